package cluster_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/segment"
)

// A commit opens the next segment with the threshold it is given
// (Commit.NextFlushRows), or the committing one's without; the committed
// record keeps the threshold it was consumed under; a negative one is
// refused with nothing written.
func TestCommitRecordsNextFlushRows(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	started, err := st.StartConsuming(ctx, rtTable, []cluster.ConsumingStart{
		{Partition: "shardId-000000000000", StartOffset: "", Replicas: rtServers, FlushRows: 100_000}}, rtNow)
	if err != nil || len(started) != 1 {
		t.Fatalf("start: %v %v", started, err)
	}
	commit := func(seg, end string, rows, nextRows int, at time.Duration) (string, error) {
		meta := sealedMeta(seg, rows)
		return st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: seg, EndOffset: end, Meta: meta,
			DownloadURI: "file:///deep/" + seg, Key: seg, NowMs: rtNow + at.Milliseconds(), NextFlushRows: nextRows})
	}
	rev := revision(t, ctx, st)
	if _, err := commit(started[0], "100", 100_000, -1, time.Minute); err == nil || !strings.Contains(err.Error(), "next flush threshold -1 rows is negative") {
		t.Fatalf("negative threshold: %v", err)
	}
	if revision(t, ctx, st) != rev {
		t.Fatal("a refused commit wrote")
	}
	seg1, err := commit(started[0], "100", 100_000, 150_000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	seg2, err := commit(seg1, "250", 150_000, 0, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		seg    string
		status string
		rows   int
	}{
		{started[0], cluster.StatusDone, 100_000},
		{seg1, cluster.StatusDone, 150_000},
		{seg2, cluster.StatusInProgress, 150_000}, // kept: no threshold given
	} {
		rec := snap.Segments[rtTable][c.seg]
		if rec == nil || rec.Status != c.status || rec.FlushRows != c.rows {
			t.Errorf("segment %s: %+v, want %s with threshold %d", c.seg, rec, c.status, c.rows)
		}
	}
	// The stored form round-trips the committed threshold.
	rec, _, err := st.ReadSegment(ctx, rtTable, seg1)
	if err != nil || rec.FlushRows != 150_000 {
		t.Fatalf("read back %s: %+v %v", seg1, rec, err)
	}
}

// FlushRatio folds the table's committed LLC segments oldest first by push
// time, with weight 0.1 for each newer one; consuming segments, segments
// without rows or size and uploaded (non-LLC) segments do not count, and
// only the latest 64 do.
func TestFlushRatio(t *testing.T) {
	snap := &cluster.Snapshot{Segments: map[string]map[string]*cluster.Segment{}}
	add := func(name, status string, pushMs int64, rows int, size int64) {
		if snap.Segments[rtTable] == nil {
			snap.Segments[rtTable] = map[string]*cluster.Segment{}
		}
		snap.Segments[rtTable][name] = &cluster.Segment{Table: rtTable, Status: status, PushTimeMs: pushMs,
			Meta: &segment.Meta{Name: name, NumDocs: rows, SizeBytes: size}}
	}
	if r := cluster.FlushRatio(snap, rtTable); r != 0 {
		t.Fatalf("no segments: ratio %v", r)
	}
	// Partition 1's segment commits after partition 0's second: push
	// time orders them, not names.
	add("clicks__0__0__20260101T1030Z", cluster.StatusDone, 1000, 100, 1000)  // 0.1
	add("clicks__1__0__20260101T1030Z", cluster.StatusDone, 3000, 300, 1000)  // 0.3
	add("clicks__0__1__20260101T1040Z", cluster.StatusDone, 2000, 200, 1000)  // 0.2
	add("clicks__0__2__20260101T1050Z", cluster.StatusInProgress, 4000, 0, 0) // consuming
	add("clicks__2__0__20260101T1030Z", cluster.StatusDone, 2500, 0, 500)     // no rows
	add("clicks__3__0__20260101T1030Z", cluster.StatusDone, 2600, 10, 0)      // no size
	add("clicks_batch_0", cluster.StatusDone, 2700, 1_000_000, 1)             // uploaded
	want := 0.1
	want = 0.1*0.2 + 0.9*want
	want = 0.1*0.3 + 0.9*want
	if r := cluster.FlushRatio(snap, rtTable); math.Abs(r-want) > 1e-12 {
		t.Fatalf("ratio %v, want %v", r, want)
	}

	// Many segments: the first ones fall out of the window.
	snap.Segments[rtTable] = nil
	for i := range 100 {
		rows := 500
		if i < 36 {
			rows = 1_000_000 // outside the latest 64
		}
		add(llcName(i), cluster.StatusDone, int64(i), rows, 1000)
	}
	if r := cluster.FlushRatio(snap, rtTable); math.Abs(r-0.5) > 1e-12 {
		t.Fatalf("ratio over the window %v, want 0.5", r)
	}
}

func llcName(seq int) string { return fmt.Sprintf("clicks__0__%d__20260101T1030Z", seq) }
