package controller

import (
	"context"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/flushsize"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

// commitSized runs the committer's side of a one-replica segment: Consumed
// (COMMIT at once), CommitStart, CommitEnd with a sealed file of size
// bytes holding rows rows.
func (r *replica) commitSized(seg string, off stream.Offset, rows int, size int64, reason completion.Reason) {
	r.t.Helper()
	ctx := context.Background()
	if resp := r.consumed(seg, off, reason); resp.Status != completion.Commit {
		r.t.Fatalf("%s: segmentConsumed %s: %+v, want COMMIT", r.name, seg, resp)
	}
	if resp, err := r.cl.CommitStart(ctx, r.report(seg, off, reason)); err != nil || resp.Status != completion.CommitContinue {
		r.t.Fatalf("%s: segmentCommitStart %s: %+v, %v", r.name, seg, resp, err)
	}
	key := "webTransactions_REALTIME/" + seg + ".tseg." + r.name
	meta := &segment.Meta{Name: seg, Table: "webTransactions", NumDocs: rows, PartitionID: -1,
		CreatedMs: time.Now().UnixMilli(), CRC: 1234, SizeBytes: size}
	resp, err := r.cl.CommitEnd(ctx, r.report(seg, off, reason), completion.Upload{DownloadURI: "file:///deep/" + key, Key: key, Meta: meta})
	if err != nil || resp.Status != completion.CommitSuccess {
		r.t.Fatalf("%s: segmentCommitEnd %s: %+v, %v", r.name, seg, resp, err)
	}
}

// A size-based table (flush.threshold.rows 0, segment.size 1M): its first
// segments are opened with the autotune initial rows, and each commit
// opens the next segment with the threshold learned from the sealed
// sizes, in the commit's transaction; the committed record keeps its own.
func TestCommitAutotunesFlushRows(t *testing.T) {
	e := newRTEnv(t, 2)
	lead := e.leader(rtConfig())
	srv := e.servers(1)
	must(t, 200, "POST", lead.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", lead.url+"/tables", realtimeTable(t, 1, map[string]string{
		"stream.local.consumer.prop.auto.offset.reset":  "smallest",
		"realtime.segment.flush.threshold.rows":         "0",
		"realtime.segment.flush.threshold.segment.size": "1M",
		"realtime.segment.flush.autotune.initialRows":   "20000",
	}), nil)
	snap := e.deps.Cache.Snapshot()
	first := consuming(snap)
	for _, p := range []string{shard(0), shard(1)} {
		if rec := first[p]; rec == nil || rec.FlushRows != 20_000 {
			t.Fatalf("partition %s's first segment: %+v, want threshold 20000", p, rec)
		}
	}
	a := e.replica(srv[0].name, node.ControllerLeaders(e.deps.Cache))
	desired := float64(1 << 20)

	// seq 0: 20,000 rows in 200,000 bytes, under half the desired size:
	// 1.5 times the rows.
	seg0 := first[shard(0)].Meta.Name
	a.commitSized(seg0, e.appendN(shard(0), 3), 20_000, 200_000, completion.ReasonRowLimit)
	next := waitNext(e, shard(0), seg0)
	if next.FlushRows != 30_000 {
		t.Fatalf("after %s: next threshold %d, want 30000", seg0, next.FlushRows)
	}
	if done := e.deps.Cache.Snapshot().Segments[rtTable][seg0]; done.FlushRows != 20_000 {
		t.Errorf("committed %s keeps threshold %d, want 20000", seg0, done.FlushRows)
	}

	// seq 1: 30,000 rows in 600,000 bytes, within the band: the desired
	// size at the table's ratio, 0.1 of this segment's 0.05 rows per byte
	// and 0.9 of the first one's 0.1.
	seg1 := next.Meta.Name
	a.commitSized(seg1, e.appendN(shard(0), 3), 30_000, 600_000, completion.ReasonRowLimit)
	next = waitNext(e, shard(0), seg1)
	if want := int(desired * (0.1*0.05 + 0.9*0.1)); next.FlushRows != want {
		t.Fatalf("after %s: next threshold %d, want %d", seg1, next.FlushRows, want)
	}

	// Partition 1 stops on time, 15,000 of its 20,000 rows in 150,000
	// bytes: 1.1 times its rows.
	p1 := first[shard(1)].Meta.Name
	a.commitSized(p1, e.appendN(shard(1), 2), 15_000, 150_000, completion.ReasonTimeLimit)
	if next := waitNext(e, shard(1), p1); next.FlushRows != 16_500 {
		t.Fatalf("after %s: next threshold %d, want 16500", p1, next.FlushRows)
	}
}

// waitNext waits for the consuming segment that follows seg on partition.
func waitNext(e *rtEnv, partition, seg string) *cluster.Segment {
	e.t.Helper()
	var next *cluster.Segment
	e.waitFor(10*time.Second, "the segment after "+seg, func(s *cluster.Snapshot) bool {
		next = consuming(s)[partition]
		return next != nil && next.Meta.Name != seg
	})
	return next
}

// segmentFlushRows: a row count shared by the partitions is divided by the
// most partitions one server holds; a size-based table's first segment
// gets the autotune initial rows, or the desired size's rows at the
// table's ratio once it has one (a new shard).
func TestSegmentFlushRows(t *testing.T) {
	size := streamconfig.FlushConfig{SizeBased: true, SegmentSize: 100 << 20, AutotuneInitialRows: 50_000}
	for _, tc := range []struct {
		name                            string
		f                               streamconfig.FlushConfig
		ratio                           float64
		partitions, replication, server int
		want                            int
	}{
		{"per segment", streamconfig.FlushConfig{Rows: 1000}, 0, 4, 2, 2, 1000},
		{"shared by 4 partitions x 2 replicas on 2 servers", streamconfig.FlushConfig{Rows: 1000, RowsSharedByPartitions: true}, 0, 4, 2, 2, 250},
		{"size-based, no ratio yet", size, 0, 4, 1, 1, 50_000},
		{"size-based, a new shard of a table with a ratio", size, 0.01, 4, 1, 1, (100 << 20) / 100},
		{"size-based, ratio below the floor", size, 1e-9, 4, 1, 1, flushsize.MinRows},
	} {
		if got := segmentFlushRows(tc.f, tc.ratio, tc.partitions, tc.replication, tc.server); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
