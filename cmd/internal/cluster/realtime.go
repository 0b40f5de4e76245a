package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/realtime/flushsize"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/segment"
)

// Segment record statuses (Pinot's CommonConstants.Segment.Realtime.Status).
const (
	// StatusInProgress: a consuming segment; its end offset is not known.
	StatusInProgress = "IN_PROGRESS"
	// StatusDone: a sealed segment in the deep store.
	StatusDone = "DONE"
)

// A realtime table's lifecycle in etcd, per stream partition: one
// IN_PROGRESS segment at a time (the highest sequence), every earlier one
// DONE, each starting where the one before ended. Three transactions keep
// it so, each guarded by the revisions it read, so that of two controllers
// racing (a leader change, a lingering old leader) exactly one wins and the
// other gets ErrConflict having changed nothing:
//
//   - StartConsuming opens sequence 0 of partitions that have no segment
//     (a new table, child shards after a split or merge);
//   - CommitSegment seals the IN_PROGRESS segment and opens the next one at
//     its end offset (the segment completion protocol's commit);
//   - ReplaceConsuming replaces an IN_PROGRESS segment whose replicas are
//     all lost by the next sequence at the same start offset (repair).
//
// Each also compares the mod revision of every key under the partition's
// segment-name prefix (llcname.PartitionPrefix) with the revision read:
// nothing of the partition may have been written since.

// ConsumingStart is one partition to start consuming.
type ConsumingStart struct {
	// Partition is the stream partition id ("shardId-000000000003").
	Partition string
	// StartOffset is where consumption starts (stream.Start, an AtTime
	// marker, or a parent's end for a child shard).
	StartOffset string
	// Replicas are the servers that consume it.
	Replicas []string
	// FlushRows is the segments' row threshold (Segment.FlushRows); the
	// following segments of the partition keep it.
	FlushRows int
}

// StartConsuming opens the first consuming segment (sequence 0) of each
// partition of the realtime table tableWithType that has no segment yet,
// each with its own transaction, and returns the names created. A
// partition that already has a segment is skipped, so the call can be
// repeated (table creation retried, the repair task finding children whose
// parents ended).
func (s *Store) StartConsuming(ctx context.Context, tableWithType string, parts []ConsumingStart, nowMs int64) ([]string, error) {
	raw, err := realtimeRaw(tableWithType)
	if err != nil {
		return nil, err
	}
	type prepared struct {
		ConsumingStart
		name string
		pg   int
	}
	var todo []prepared
	seen := map[int]string{}
	for _, p := range parts {
		pg, err := llcname.PartitionGroupID(p.Partition)
		if err != nil {
			return nil, fmt.Errorf("start consuming %s: %w", tableWithType, err)
		}
		if other, dup := seen[pg]; dup {
			return nil, fmt.Errorf("start consuming %s: partitions %q and %q both map to partition group %d", tableWithType, other, p.Partition, pg)
		}
		seen[pg] = p.Partition
		if len(p.Replicas) == 0 {
			return nil, fmt.Errorf("start consuming %s partition %q: no replicas", tableWithType, p.Partition)
		}
		n, err := llcname.New(raw, pg, 0, nowMs)
		if err != nil {
			return nil, fmt.Errorf("start consuming %s: %w", tableWithType, err)
		}
		todo = append(todo, prepared{ConsumingStart: p, name: n.String(), pg: pg})
	}
	var started []string
	for _, p := range todo {
		rec := consumingRecord(tableWithType, raw, p.name, p.Partition, p.StartOffset, p.FlushRows, nowMs)
		val, err := json.Marshal(rec)
		if err != nil {
			return started, fmt.Errorf("encode segment %q: %w", p.name, err)
		}
		asg, err := json.Marshal(&Assignment{Instances: stateOn(p.Replicas, StateConsuming)})
		if err != nil {
			return started, err
		}
		segPrefix := s.key(prefixSegments, tableWithType, "/", llcname.PartitionPrefix(raw, p.pg))
		asgPrefix := s.key(prefixAssign, tableWithType, "/", llcname.PartitionPrefix(raw, p.pg))
		resp, err := s.cli.Txn(ctx).
			If(
				// No key under either prefix: the partition has never
				// had a segment.
				clientv3.Compare(clientv3.CreateRevision(segPrefix), "=", 0).WithPrefix(),
				clientv3.Compare(clientv3.CreateRevision(asgPrefix), "=", 0).WithPrefix(),
			).
			Then(
				clientv3.OpPut(s.key(prefixSegments, tableWithType, "/", p.name), string(val)),
				clientv3.OpPut(s.key(prefixAssign, tableWithType, "/", p.name), string(asg)),
			).Commit()
		if err != nil {
			return started, fmt.Errorf("start consuming %s partition %q: %w", tableWithType, p.Partition, err)
		}
		if resp.Succeeded {
			started = append(started, p.name)
		}
	}
	return started, nil
}

// Commit is what CommitSegment records: the sealed segment and where it
// lies.
type Commit struct {
	// Table is the realtime table's name with type; Segment the
	// committing (IN_PROGRESS) segment's LLC name.
	Table, Segment string
	// EndOffset is the committed end offset: the position after the
	// segment's last record, where the next segment starts.
	EndOffset string
	// Meta is the sealed segment's metadata (row count, time range,
	// columns, CRC, size). Its Name must be Segment; its offsets are
	// taken from the record and EndOffset.
	Meta *segment.Meta
	// DownloadURI and Key locate the committer's upload in the deep store.
	DownloadURI, Key string
	// EndOfPartition: the partition is closed and read to its end; no
	// segment follows.
	EndOfPartition bool
	// NowMs is the commit time, epoch milliseconds: the push time of the
	// sealed segment and the creation time in the next one's name.
	NowMs int64
	// NextFlushRows is the next segment's row threshold (Segment.FlushRows):
	// the controller's autotuned one for a size-based table
	// (realtime/flushsize); 0 keeps the committing segment's.
	NextFlushRows int
}

// CommitSegment commits a consuming segment in one transaction: its record
// IN_PROGRESS → DONE with c's metadata, end offset and download URI (and
// the row threshold it was consumed under); the next segment's record
// IN_PROGRESS at that end offset (sequence+1) with c.NextFlushRows; the
// committed segment's assignment CONSUMING → ONLINE on its replicas and a
// CONSUMING assignment of the next segment on the same replicas. It returns
// the next segment's name ("" with EndOfPartition). If the record is not
// IN_PROGRESS any more or anything of the partition moved since it was
// read, nothing changes and the error wraps ErrConflict (ErrNotFound when
// the segment or its assignment is gone): reread the record to learn what
// happened.
func (s *Store) CommitSegment(ctx context.Context, c *Commit) (string, error) {
	raw, err := realtimeRaw(c.Table)
	if err != nil {
		return "", err
	}
	name, err := llcname.Parse(c.Segment)
	if err != nil {
		return "", fmt.Errorf("commit segment: %w", err)
	}
	switch {
	case name.Table != raw:
		return "", fmt.Errorf("commit segment %q: it belongs to table %q, not %q", c.Segment, name.Table, c.Table)
	case c.Meta == nil:
		return "", fmt.Errorf("commit segment %q: no metadata", c.Segment)
	case c.Meta.Name != c.Segment:
		return "", fmt.Errorf("commit segment %q: the metadata names segment %q", c.Segment, c.Meta.Name)
	case c.DownloadURI == "":
		return "", fmt.Errorf("commit segment %q: no download URI", c.Segment)
	case c.NextFlushRows < 0:
		return "", fmt.Errorf("commit segment %q: next flush threshold %d rows is negative", c.Segment, c.NextFlushRows)
	}
	cur, err := s.readPartitionSegment(ctx, c.Table, c.Segment)
	if err != nil {
		return "", fmt.Errorf("commit segment %q: %w", c.Segment, err)
	}
	if cur.rec.Status != StatusInProgress {
		return "", fmt.Errorf("commit segment %q: it is %s, not %s: %w", c.Segment, cur.rec.Status, StatusInProgress, ErrConflict)
	}
	start := cur.rec.Meta.StartOffset
	if c.Meta.StartOffset != "" && c.Meta.StartOffset != start {
		return "", fmt.Errorf("commit segment %q: built from offset %q, the segment starts at %q", c.Segment, c.Meta.StartOffset, start)
	}

	meta := *c.Meta
	meta.StartOffset, meta.EndOffset = start, c.EndOffset
	done := &Segment{Table: c.Table, Meta: &meta, DownloadURI: c.DownloadURI, Key: c.Key, PushTimeMs: c.NowMs,
		Status: StatusDone, Partition: cur.rec.Partition, EndOfPartition: c.EndOfPartition, FlushRows: cur.rec.FlushRows}
	doneVal, err := json.Marshal(done)
	if err != nil {
		return "", fmt.Errorf("encode segment %q: %w", c.Segment, err)
	}
	replicas := cur.asg.Replicas()
	online, err := json.Marshal(&Assignment{Instances: stateOn(replicas, StateOnline)})
	if err != nil {
		return "", err
	}
	cmps := cur.guards(s, c.Table, raw, name.PartitionGroup)
	ops := []clientv3.Op{
		clientv3.OpPut(s.key(prefixSegments, c.Table, "/", c.Segment), string(doneVal)),
		clientv3.OpPut(s.key(prefixAssign, c.Table, "/", c.Segment), string(online)),
	}
	next := ""
	if !c.EndOfPartition {
		next = name.Next(c.NowMs).String()
		flushRows := cur.rec.FlushRows
		if c.NextFlushRows > 0 {
			flushRows = c.NextFlushRows
		}
		nextOps, nextCmps, err := s.openOps(c.Table, raw, next, cur.rec.Partition, c.EndOffset, flushRows, replicas, c.NowMs)
		if err != nil {
			return "", err
		}
		ops, cmps = append(ops, nextOps...), append(cmps, nextCmps...)
	}
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return "", fmt.Errorf("commit segment %q: %w", c.Segment, err)
	}
	if !resp.Succeeded {
		return "", fmt.Errorf("commit segment %q: the partition changed since it was read: %w", c.Segment, ErrConflict)
	}
	return next, nil
}

// ReplaceConsuming replaces the IN_PROGRESS segment lost, whose replicas
// are all gone or failed (the repair task's decision), by the next
// sequence at the same start offset, consumed by replicas (nil: the same
// servers as before), in one transaction that deletes lost's record and
// assignment. Nothing of lost was committed, so nothing is lost or
// counted twice: the replacement re-reads the same records. It returns the
// new segment's name; ErrConflict (wrapped) if lost is no longer
// IN_PROGRESS or its partition moved.
func (s *Store) ReplaceConsuming(ctx context.Context, tableWithType, lost string, replicas []string, nowMs int64) (string, error) {
	raw, err := realtimeRaw(tableWithType)
	if err != nil {
		return "", err
	}
	name, err := llcname.Parse(lost)
	if err != nil {
		return "", fmt.Errorf("replace consuming segment: %w", err)
	}
	if name.Table != raw {
		return "", fmt.Errorf("replace consuming segment %q: it belongs to table %q, not %q", lost, name.Table, tableWithType)
	}
	cur, err := s.readPartitionSegment(ctx, tableWithType, lost)
	if err != nil {
		return "", fmt.Errorf("replace consuming segment %q: %w", lost, err)
	}
	if cur.rec.Status != StatusInProgress {
		return "", fmt.Errorf("replace consuming segment %q: it is %s, not %s: %w", lost, cur.rec.Status, StatusInProgress, ErrConflict)
	}
	if replicas == nil {
		replicas = cur.asg.Replicas()
	}
	if len(replicas) == 0 {
		return "", fmt.Errorf("replace consuming segment %q: no replicas", lost)
	}
	next := name.Next(nowMs).String()
	ops, cmps, err := s.openOps(tableWithType, raw, next, cur.rec.Partition, cur.rec.Meta.StartOffset, cur.rec.FlushRows, replicas, nowMs)
	if err != nil {
		return "", err
	}
	cmps = append(cmps, cur.guards(s, tableWithType, raw, name.PartitionGroup)...)
	ops = append(ops,
		clientv3.OpDelete(s.key(prefixSegments, tableWithType, "/", lost)),
		clientv3.OpDelete(s.key(prefixAssign, tableWithType, "/", lost)))
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return "", fmt.Errorf("replace consuming segment %q: %w", lost, err)
	}
	if !resp.Succeeded {
		return "", fmt.Errorf("replace consuming segment %q: the partition changed since it was read: %w", lost, ErrConflict)
	}
	return next, nil
}

// ReadSegment reads one segment record straight from etcd (linearizable),
// with its mod revision: what a controller whose commit was refused reads
// to learn who committed.
func (s *Store) ReadSegment(ctx context.Context, tableWithType, name string) (*Segment, int64, error) {
	resp, err := s.cli.Get(ctx, s.key(prefixSegments, tableWithType, "/", name))
	if err != nil {
		return nil, 0, fmt.Errorf("read segment %q: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, fmt.Errorf("read segment %q: %w", name, ErrNotFound)
	}
	var rec Segment
	if err := json.Unmarshal(resp.Kvs[0].Value, &rec); err != nil {
		return nil, 0, fmt.Errorf("segment %q record: %w", name, err)
	}
	return &rec, resp.Kvs[0].ModRevision, nil
}

// PartitionHeads returns, for each partition group of a realtime table in
// snap, its segment of the highest sequence: the IN_PROGRESS one while the
// partition is consumed, a DONE one after it ended (EndOfPartition) or
// when something broke. Names that are not LLC names (uploaded segments)
// are ignored.
func PartitionHeads(snap *Snapshot, tableWithType string) map[int]*Segment {
	heads := map[int]*Segment{}
	seqs := map[int]int{}
	for name, rec := range snap.Segments[tableWithType] {
		n, err := llcname.Parse(name)
		if err != nil {
			continue
		}
		if cur, ok := seqs[n.PartitionGroup]; !ok || n.Sequence > cur {
			seqs[n.PartitionGroup], heads[n.PartitionGroup] = n.Sequence, rec
		}
	}
	return heads
}

// flushRatioWindow is how many of a table's latest committed segments
// FlushRatio folds: with weight 0.9 per step, older ones would add less
// than 0.1%.
const flushRatioWindow = 64

// FlushRatio is a realtime table's rows per byte for size-based flushing:
// flushsize.Ratio folded over its latest committed segments, oldest first
// (by push time, then name), 0 before any has rows and a size. It is
// recomputed from the records rather than kept under a key of its own,
// which every partition's commit would have to rewrite: the records
// already carry each segment's rows and size, a new leader reads the same
// ratio, and the ratio goes with the table. Segments not named in LLC
// form (uploaded ones) were not consumed and are left out.
func FlushRatio(snap *Snapshot, tableWithType string) float64 {
	type sample struct {
		name   string
		pushMs int64
		rows   int
		size   int64
	}
	var ss []sample
	for name, rec := range snap.Segments[tableWithType] {
		if rec.Status != StatusDone || rec.Meta == nil || rec.Meta.NumDocs <= 0 || rec.Meta.SizeBytes <= 0 {
			continue
		}
		if _, err := llcname.Parse(name); err != nil {
			continue
		}
		ss = append(ss, sample{name, rec.PushTimeMs, rec.Meta.NumDocs, rec.Meta.SizeBytes})
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].pushMs != ss[j].pushMs {
			return ss[i].pushMs < ss[j].pushMs
		}
		return ss[i].name < ss[j].name
	})
	if len(ss) > flushRatioWindow {
		ss = ss[len(ss)-flushRatioWindow:]
	}
	r := 0.0
	for _, s := range ss {
		r = flushsize.Ratio(r, s.rows, s.size)
	}
	return r
}

// partitionSegment is a segment record and its assignment as read at one
// revision.
type partitionSegment struct {
	name           string
	rec            *Segment
	asg            *Assignment
	recRev, asgRev int64
	// rev is the revision the reads saw.
	rev int64
}

func (s *Store) readPartitionSegment(ctx context.Context, tableWithType, name string) (*partitionSegment, error) {
	segKey := s.key(prefixSegments, tableWithType, "/", name)
	asgKey := s.key(prefixAssign, tableWithType, "/", name)
	// One transaction: both reads at one revision.
	resp, err := s.cli.Txn(ctx).Then(clientv3.OpGet(segKey), clientv3.OpGet(asgKey)).Commit()
	if err != nil {
		return nil, err
	}
	segKvs := resp.Responses[0].GetResponseRange().Kvs
	asgKvs := resp.Responses[1].GetResponseRange().Kvs
	if len(segKvs) == 0 {
		return nil, fmt.Errorf("no segment record: %w", ErrNotFound)
	}
	if len(asgKvs) == 0 {
		return nil, fmt.Errorf("no assignment: %w", ErrNotFound)
	}
	p := &partitionSegment{name: name, rec: &Segment{}, asg: &Assignment{}, recRev: segKvs[0].ModRevision,
		asgRev: asgKvs[0].ModRevision, rev: resp.Header.Revision}
	if err := json.Unmarshal(segKvs[0].Value, p.rec); err != nil {
		return nil, fmt.Errorf("segment record: %w", err)
	}
	if err := json.Unmarshal(asgKvs[0].Value, p.asg); err != nil {
		return nil, fmt.Errorf("assignment: %w", err)
	}
	p.asg.Rev = p.asgRev
	return p, nil
}

// guards are the compares under which a transition of p's partition
// applies: p's record and assignment unchanged, and no segment of the
// partition written since p was read.
func (p *partitionSegment) guards(s *Store, tableWithType, raw string, pg int) []clientv3.Cmp {
	return []clientv3.Cmp{
		clientv3.Compare(clientv3.ModRevision(s.key(prefixSegments, tableWithType, "/", p.name)), "=", p.recRev),
		clientv3.Compare(clientv3.ModRevision(s.key(prefixAssign, tableWithType, "/", p.name)), "=", p.asgRev),
		clientv3.Compare(clientv3.ModRevision(s.key(prefixSegments, tableWithType, "/", llcname.PartitionPrefix(raw, pg))),
			"<", p.rev+1).WithPrefix(),
	}
}

// openOps are the writes (and their create-only compares) that open a
// consuming segment.
func (s *Store) openOps(tableWithType, raw, name, partition, start string, flushRows int, replicas []string, nowMs int64) ([]clientv3.Op, []clientv3.Cmp, error) {
	rec := consumingRecord(tableWithType, raw, name, partition, start, flushRows, nowMs)
	val, err := json.Marshal(rec)
	if err != nil {
		return nil, nil, fmt.Errorf("encode segment %q: %w", name, err)
	}
	asg, err := json.Marshal(&Assignment{Instances: stateOn(replicas, StateConsuming)})
	if err != nil {
		return nil, nil, err
	}
	segKey := s.key(prefixSegments, tableWithType, "/", name)
	asgKey := s.key(prefixAssign, tableWithType, "/", name)
	return []clientv3.Op{clientv3.OpPut(segKey, string(val)), clientv3.OpPut(asgKey, string(asg))},
		[]clientv3.Cmp{
			clientv3.Compare(clientv3.CreateRevision(segKey), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(asgKey), "=", 0),
		}, nil
}

// consumingRecord is the record of a segment that starts consuming at
// start: no rows and no columns yet, partition id -1 (the stream's
// partition group is not a partition of the table's partition column, and
// brokers must not prune by it).
func consumingRecord(tableWithType, raw, name, partition, start string, flushRows int, nowMs int64) *Segment {
	return &Segment{Table: tableWithType, Status: StatusInProgress, Partition: partition, PushTimeMs: nowMs, FlushRows: flushRows,
		Meta: &segment.Meta{Name: name, Table: raw, PartitionID: -1, CreatedMs: nowMs, StartOffset: start}}
}

func stateOn(replicas []string, state string) map[string]string {
	m := make(map[string]string, len(replicas))
	for _, r := range replicas {
		m[r] = state
	}
	return m
}

func realtimeRaw(tableWithType string) (string, error) {
	if TableType(tableWithType) != "REALTIME" {
		return "", fmt.Errorf("table %q is not a realtime table (name with _REALTIME)", tableWithType)
	}
	return RawTableName(tableWithType), nil
}
