package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/assign"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/flushsize"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/stream/streams"
	"github.com/tannin-db/tannin/tableconfig"
)

// A realtime table's life on the controller:
//
//   - POST /tables checks its stream config (streamconfig.Validate, 400
//     naming the key), refuses a hybrid table, opens the stream, lists its
//     partitions, checks there are servers for the replication, stores the
//     config and opens one consuming segment per partition that may start
//     (startPartitions), each at the start offset resolved once from the
//     config (LATEST becomes AtTime(now)). If that fails the table is
//     deleted again, so a table exists only with its partitions started.
//   - Servers consume; the completion endpoints (completion.go) commit
//     segments and open the next ones.
//   - The leader's validation task (validation.go) starts children after
//     a split or merge, new partitions, and replaces consuming segments
//     that lost every replica.
//   - DELETE /tables removes the records and assignments in one
//     transaction; servers drop their consuming segments when their
//     assignments go.

// streamConfigOf parses the one stream config of a realtime table.
func streamConfigOf(tc *tableconfig.TableConfig) (*streamconfig.Config, error) {
	if n := len(tc.Ingestion.StreamConfigs); n != 1 {
		return nil, errorf(http.StatusBadRequest,
			"table config %q: %d stream configs; Tannin consumes exactly one stream per realtime table", tc.TableNameWithType(), n)
	}
	sc, err := streamconfig.Parse(tc.Ingestion.StreamConfigs[0])
	if err != nil {
		return nil, fmt.Errorf("table config %q: %w", tc.TableNameWithType(), err)
	}
	return sc, nil
}

// tableStream is an open stream of a realtime table, kept while its
// stream config is unchanged.
type tableStream struct {
	conf map[string]string
	s    stream.Stream
}

// realtimeState is the controller's state for realtime tables.
type realtimeState struct {
	streams streamSet
	comp    completions
	val     validation
}

// streamSet holds the streams this controller opened, by table.
type streamSet struct {
	mu sync.Mutex
	m  map[string]*tableStream
}

// open returns the table's stream, opening it on first use or after its
// stream config changed.
func (c *Controller) openStream(ctx context.Context, table string, tc *tableconfig.TableConfig) (stream.Stream, error) {
	if len(tc.Ingestion.StreamConfigs) != 1 {
		return nil, fmt.Errorf("table %s: want exactly one stream config, have %d", table, len(tc.Ingestion.StreamConfigs))
	}
	conf := tc.Ingestion.StreamConfigs[0]
	ss := &c.rt.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ts := ss.m[table]; ts != nil {
		if reflect.DeepEqual(ts.conf, conf) {
			return ts.s, nil
		}
		_ = ts.s.Close()
		delete(ss.m, table)
	}
	sc, err := streamconfig.Parse(conf)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	s, err := streams.Open(ctx, sc, c.deps.LocalStreams)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	if ss.m == nil {
		ss.m = map[string]*tableStream{}
	}
	ss.m[table] = &tableStream{conf: conf, s: s}
	return s, nil
}

// closeStreams closes the streams of tables not in keep (nil: all).
func (c *Controller) closeStreams(keep func(table string) bool) {
	ss := &c.rt.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for t, ts := range ss.m {
		if keep == nil || !keep(t) {
			_ = ts.s.Close()
			delete(ss.m, t)
		}
	}
}

// checkRealtime vets a new realtime table before it is stored: its stream
// config, no OFFLINE twin (hybrid tables are not supported yet), a stream
// that opens and lists partitions, and enough servers for its replication.
// It returns the stream config's warnings and the partitions.
func (c *Controller) checkRealtime(ctx context.Context, snap *cluster.Snapshot, tc *tableconfig.TableConfig) ([]string, []stream.Partition, error) {
	name := tc.TableNameWithType()
	warnings, err := streamconfig.Validate(tc)
	if err != nil {
		return nil, nil, err
	}
	if _, err := streamConfigOf(tc); err != nil {
		return nil, nil, err
	}
	if off := tc.TableName + "_OFFLINE"; snap.Tables[off] != nil {
		return nil, nil, errorf(http.StatusBadRequest,
			"table %s: %s exists; hybrid tables (OFFLINE and REALTIME) are not supported yet", name, off)
	}
	s, err := c.openStream(ctx, name, tc)
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "table %s: open stream: %w", name, err)
	}
	parts, err := s.Partitions(ctx)
	if err != nil {
		c.closeStreams(func(t string) bool { return t != name })
		return nil, nil, errorf(http.StatusBadRequest, "table %s: list the stream's partitions: %w", name, err)
	}
	if len(parts) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "table %s: the stream has no partitions", name)
	}
	for _, p := range parts {
		if _, err := llcname.PartitionGroupID(p.ID); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "table %s: %w", name, err)
		}
	}
	tag := cluster.ServerTag(tc.Tenants.Server, "REALTIME")
	if _, err := assign.Place(snap, tag, tc.Segments.Replication); err != nil {
		return nil, nil, errorf(http.StatusServiceUnavailable, "table %s: %w", name, err)
	}
	return warnings, parts, nil
}

// segmentFlushRows is the row threshold recorded in a partition's first
// consuming segment (the following ones keep it, or for size-based
// flushing get the one the commit computes), decided here so that every
// replica stops at the same row count (a threshold each server worked out
// from the partitions it happens to hold would differ between replicas).
// A threshold Pinot shares among the partitions a server consumes (the
// older realtime.segment.flush.threshold.size) is divided by the most
// partitions one server holds when the load is spread evenly. Size-based
// flushing starts from the autotune initial rows, or, for a new shard of a
// table that has committed segments, from the rows its ratio (rows per
// byte, cluster.FlushRatio) puts in the desired size.
func segmentFlushRows(f streamconfig.FlushConfig, ratio float64, partitions, replication, servers int) int {
	switch {
	case f.SizeBased:
		return flushsize.Initial(f, ratio)
	case f.RowsSharedByPartitions && servers > 0:
		perServer := (partitions*max(1, replication) + servers - 1) / servers
		return max(1, f.Rows/max(1, perServer))
	}
	return max(1, f.Rows)
}

// nextFlushRows is the row threshold of the segment that follows seg,
// committed now with meta, in a table flushed by size (0 otherwise: the
// next segment keeps seg's). The table's ratio comes from the segments
// committed before seg in snap, with seg's own folded in by
// flushsize.Next.
func nextFlushRows(snap *cluster.Snapshot, table, seg string, meta *segment.Meta, now time.Time) int {
	tbl, rec := snap.Tables[table], snap.Segments[table][seg]
	if tbl == nil || rec == nil || rec.Meta == nil || meta == nil {
		return 0
	}
	sc, err := streamConfigOf(tbl.Config)
	if err != nil || !sc.Flush.SizeBased {
		return 0
	}
	rows, _ := flushsize.Next(sc.Flush, flushsize.Committed{
		Rows: meta.NumDocs, SizeBytes: meta.SizeBytes, Threshold: rec.FlushRows,
		Consumed: now.Sub(time.UnixMilli(rec.Meta.CreatedMs)),
	}, cluster.FlushRatio(snap, table), rand.Float64())
	return rows
}

// createRealtime opens the consuming segments of a table just stored; on
// failure it deletes the table again.
func (c *Controller) createRealtime(ctx context.Context, tc *tableconfig.TableConfig, parts []stream.Partition) error {
	name := tc.TableNameWithType()
	sc, err := streamConfigOf(tc)
	if err != nil {
		return err
	}
	now := c.cfg.now()
	start := sc.Start.Offset(now)
	snap, err := c.deps.Cache.Sync(ctx)
	if err == nil {
		_, err = c.startPartitions(ctx, snap, name, parts, start)
	}
	if err != nil {
		c.closeStreams(func(t string) bool { return t != name })
		if derr := c.deps.Store.DeleteTable(context.WithoutCancel(ctx), name); derr != nil && !errors.Is(derr, cluster.ErrNotFound) {
			c.log.Error("delete realtime table after failed start", "table", name, "err", derr)
		}
		return fmt.Errorf("table %s: start consuming: %w", name, err)
	}
	return nil
}

// startPartitions opens sequence 0 of every partition that may start now
// (see partitionPlan) at start, placing replicas with assign.Place (each
// placement counted in the load of the next), and returns the segments
// opened.
func (c *Controller) startPartitions(ctx context.Context, snap *cluster.Snapshot, table string,
	parts []stream.Partition, start stream.Offset) ([]string, error) {
	plan := planPartitions(snap, table, parts)
	if len(plan.start) == 0 {
		return nil, nil
	}
	tc := snap.Tables[table].Config
	tag := cluster.ServerTag(tc.Tenants.Server, "REALTIME")
	sc, err := streamConfigOf(tc)
	if err != nil {
		return nil, err
	}
	var ratio float64
	if sc.Flush.SizeBased {
		ratio = cluster.FlushRatio(snap, table)
	}
	flushRows := segmentFlushRows(sc.Flush, ratio, len(parts), tc.Segments.Replication, len(snap.LiveInstances(cluster.TypeServer, tag)))
	placer := newPlacer(snap)
	var todo []cluster.ConsumingStart
	for _, p := range plan.start {
		replicas, err := placer.place(tag, tc.Segments.Replication)
		if err != nil {
			return nil, errorf(http.StatusServiceUnavailable, "table %s partition %s: %w", table, p, err)
		}
		todo = append(todo, cluster.ConsumingStart{Partition: p, StartOffset: string(start), Replicas: replicas, FlushRows: flushRows})
	}
	started, err := c.deps.Store.StartConsuming(ctx, table, todo, c.cfg.now().UnixMilli())
	for _, s := range started {
		c.log.Info("consuming segment opened", "table", table, "segment", s, "start", start)
	}
	return started, err
}

// placer places several segments in a row, counting each placement in
// the load the next one sees (assign.Place reads loads from the
// snapshot's assignments).
type placer struct {
	snap    cluster.Snapshot
	pending map[string]*cluster.Assignment
}

// pendingTable is the pseudo table of placements not yet in etcd; no real
// table name can start with a NUL.
const pendingTable = "\x00pending"

func newPlacer(snap *cluster.Snapshot) *placer {
	p := &placer{snap: *snap, pending: map[string]*cluster.Assignment{}}
	p.snap.Assign = make(map[string]map[string]*cluster.Assignment, len(snap.Assign)+1)
	for t, m := range snap.Assign {
		p.snap.Assign[t] = m
	}
	p.snap.Assign[pendingTable] = p.pending
	return p
}

func (p *placer) place(tag string, replicas int) ([]string, error) {
	servers, err := assign.Place(&p.snap, tag, replicas)
	if err != nil {
		return nil, err
	}
	a := &cluster.Assignment{Instances: map[string]string{}}
	for _, s := range servers {
		a.Instances[s] = cluster.StateConsuming
	}
	p.pending[fmt.Sprint(len(p.pending))] = a
	return servers, nil
}

// tableStart is the start offset of partitions a realtime table starts
// after its creation (children after a split or merge, new shards): the
// offset its first segments started at, which createRealtime resolved
// once from the config (LATEST: the creation time). Every sequence-0
// record carries it, so it survives restarts and leader changes; a
// partition created after that time holds only later records, so the same
// marker reads it from its beginning. When no sequence-0 record is left
// (all expired) it is stream.Start; found reports whether one was.
func tableStart(snap *cluster.Snapshot, table string) (start stream.Offset, found bool) {
	best := stream.Start
	var bestMs int64 = -1
	for name, rec := range snap.Segments[table] {
		n, err := llcname.Parse(name)
		if err != nil || n.Sequence != 0 {
			continue
		}
		found = true
		off := stream.Offset(rec.Meta.StartOffset)
		if ms, ok := stream.ParseMarker(off); ok && ms > bestMs {
			best, bestMs = off, ms
		}
	}
	return best, found
}

// partitionPlan is what planPartitions decides for a realtime table.
type partitionPlan struct {
	// start are the partitions to open sequence 0 of, in ID order.
	start []string
	// waiting are partitions whose parents are not read to their end.
	waiting []string
	// ended are closed partitions read to their end (or consumed and
	// expired by retention).
	ended []string
}

// planPartitions decides which partitions of table may start consuming,
// from the stream's partitions and the table's segments in snap. A
// partition with no segment starts when
//
//   - no descendant (child, grandchild, ...) of it has a segment: if one
//     has, the partition was consumed and its segments since expired by
//     retention; starting it again would count its records twice;
//   - every parent is done: its last segment is DONE with endOfPartition,
//     or it is no longer in the stream (expired there), or it has no
//     segment but a descendant has (consumed, then expired).
//
// A partition with segments is never started again (StartConsuming would
// skip it anyway).
func planPartitions(snap *cluster.Snapshot, table string, parts []stream.Partition) partitionPlan {
	heads := cluster.PartitionHeads(snap, table)
	byID := make(map[string]stream.Partition, len(parts))
	children := map[string][]string{}
	for _, p := range parts {
		byID[p.ID] = p
		for _, par := range p.Parents {
			children[par] = append(children[par], p.ID)
		}
	}
	head := func(id string) *cluster.Segment {
		pg, err := llcname.PartitionGroupID(id)
		if err != nil {
			return nil
		}
		return heads[pg]
	}
	memo := map[string]bool{}
	var descHasSegments func(id string) bool
	descHasSegments = func(id string) bool {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = false // lineage is acyclic; this only guards bad input
		v := false
		for _, ch := range children[id] {
			if head(ch) != nil || descHasSegments(ch) {
				v = true
				break
			}
		}
		memo[id] = v
		return v
	}
	done := func(id string) bool {
		if _, listed := byID[id]; !listed {
			return true
		}
		if h := head(id); h != nil {
			return h.Status == cluster.StatusDone && h.EndOfPartition
		}
		return descHasSegments(id)
	}
	var plan partitionPlan
	ids := make([]string, 0, len(parts))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if h := head(id); h != nil {
			if h.Status == cluster.StatusDone && h.EndOfPartition {
				plan.ended = append(plan.ended, id)
			}
			continue
		}
		if descHasSegments(id) {
			plan.ended = append(plan.ended, id)
			continue
		}
		ready := true
		for _, par := range byID[id].Parents {
			if !done(par) {
				ready = false
				break
			}
		}
		if ready {
			plan.start = append(plan.start, id)
		} else {
			plan.waiting = append(plan.waiting, id)
		}
	}
	return plan
}

// nowMs is the controller clock in epoch milliseconds.
func (c *Controller) nowMs() int64 { return c.cfg.now().UnixMilli() }
