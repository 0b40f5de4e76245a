package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

const rtTable = "clicks_REALTIME"

var (
	rtNow     = time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC).UnixMilli()
	rtServers = []string{"Server_a_1", "Server_b_1"}
)

func sealedMeta(name string, rows int) *segment.Meta {
	return &segment.Meta{Name: name, Table: "clicks", NumDocs: rows, TimeColumn: "ts", StartTime: 1000, EndTime: 2000,
		PartitionID: -1, CRC: 0xfeedbeef, SizeBytes: 4096, CreatedMs: rtNow,
		Columns: []*segment.ColumnMeta{{Name: "ts", DataType: schema.TypeLong, SingleValue: true, HasDictionary: true,
			Cardinality: 2, Min: segment.Bound{Int: 1000}, Max: segment.Bound{Int: 2000}}}}
}

// revision returns etcd's current revision: unchanged means nothing was
// written.
func revision(t *testing.T, ctx context.Context, st *cluster.Store) int64 {
	t.Helper()
	resp, err := st.Client().Get(ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// partitionKeys counts the segment records and assignments of one
// partition group.
func partitionKeys(t *testing.T, ctx context.Context, st *cluster.Store, pg int) (segs, asgs []string) {
	t.Helper()
	for _, kind := range []string{"segments/", "assign/"} {
		prefix := st.Prefix() + kind + rtTable + "/" + llcname.PartitionPrefix("clicks", pg)
		resp, err := st.Client().Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			name := strings.TrimPrefix(string(kv.Key), st.Prefix()+kind+rtTable+"/")
			if kind == "segments/" {
				segs = append(segs, name)
			} else {
				asgs = append(asgs, name)
			}
		}
	}
	return segs, asgs
}

func TestRealtimeLifecycle(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	parts := []cluster.ConsumingStart{
		{Partition: "shardId-000000000000", StartOffset: "", Replicas: rtServers},
		{Partition: "shardId-000000000001", StartOffset: "@1767225600000", Replicas: rtServers},
	}
	started, err := st.StartConsuming(ctx, rtTable, parts, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"clicks__0__0__20260101T1030Z", "clicks__1__0__20260101T1030Z"}
	if !reflect.DeepEqual(started, want) {
		t.Fatalf("started %v, want %v", started, want)
	}
	// Again (a retried table creation): nothing new, nothing written.
	rev := revision(t, ctx, st)
	if again, err := st.StartConsuming(ctx, rtTable, parts, rtNow+time.Hour.Milliseconds()); err != nil || len(again) != 0 {
		t.Fatalf("second StartConsuming = %v, %v; want nothing started", again, err)
	}
	if revision(t, ctx, st) != rev {
		t.Fatal("second StartConsuming wrote")
	}
	snap, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s0 := snap.Segments[rtTable][want[0]]
	if s0 == nil || s0.Status != cluster.StatusInProgress || s0.Partition != "shardId-000000000000" ||
		s0.Meta.StartOffset != "" || s0.Meta.PartitionID != -1 {
		t.Fatalf("consuming record = %+v", s0)
	}
	if s1 := snap.Segments[rtTable][want[1]]; s1.Meta.StartOffset != "@1767225600000" {
		t.Fatalf("partition 1 starts at %q", s1.Meta.StartOffset)
	}
	if a := snap.Assign[rtTable][want[0]]; !reflect.DeepEqual(a.Instances,
		map[string]string{"Server_a_1": cluster.StateConsuming, "Server_b_1": cluster.StateConsuming}) {
		t.Fatalf("consuming assignment = %v", a.Instances)
	}

	// Commit partition 0's segment.
	commitAt := rtNow + 7*time.Minute.Milliseconds()
	next, err := st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: want[0], EndOffset: "4960000000000000000001",
		Meta: sealedMeta(want[0], 100), DownloadURI: "s3://deep/clicks/" + want[0] + ".abc", Key: "clicks/" + want[0] + ".abc",
		NowMs: commitAt})
	if err != nil {
		t.Fatal(err)
	}
	if next != "clicks__0__1__20260101T1037Z" {
		t.Fatalf("next segment %q", next)
	}
	snap, err = cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := snap.Segments[rtTable][want[0]]
	m := done.Meta
	if done.Status != cluster.StatusDone || m.EndOffset != "4960000000000000000001" || m.StartOffset != "" ||
		m.NumDocs != 100 || m.CRC != 0xfeedbeef || m.StartTime != 1000 || m.EndTime != 2000 ||
		done.DownloadURI != "s3://deep/clicks/"+want[0]+".abc" || done.Partition != "shardId-000000000000" ||
		done.PushTimeMs != commitAt || done.EndOfPartition {
		t.Fatalf("committed record = %+v, meta %+v", done, m)
	}
	nrec := snap.Segments[rtTable][next]
	if nrec == nil || nrec.Status != cluster.StatusInProgress || nrec.Meta.StartOffset != "4960000000000000000001" ||
		nrec.Partition != "shardId-000000000000" {
		t.Fatalf("next record = %+v", nrec)
	}
	if a := snap.Assign[rtTable][want[0]]; !reflect.DeepEqual(a.Instances,
		map[string]string{"Server_a_1": cluster.StateOnline, "Server_b_1": cluster.StateOnline}) {
		t.Fatalf("committed assignment = %v", a.Instances)
	}
	if a := snap.Assign[rtTable][next]; !reflect.DeepEqual(a.Instances,
		map[string]string{"Server_a_1": cluster.StateConsuming, "Server_b_1": cluster.StateConsuming}) {
		t.Fatalf("next assignment = %v", a.Instances)
	}
	heads := cluster.PartitionHeads(snap, rtTable)
	if len(heads) != 2 || heads[0].Meta.Name != next || heads[1].Meta.Name != want[1] {
		t.Fatalf("partition heads = %v", heads)
	}

	// The same commit again (a second controller): refused, nothing written.
	rev = revision(t, ctx, st)
	_, err = st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: want[0], EndOffset: "4960000000000000000002",
		Meta: sealedMeta(want[0], 101), DownloadURI: "s3://x", NowMs: commitAt})
	if !errors.Is(err, cluster.ErrConflict) || !strings.Contains(err.Error(), "it is DONE") {
		t.Fatalf("second commit: %v, want ErrConflict naming the DONE status", err)
	}
	if revision(t, ctx, st) != rev {
		t.Fatal("refused commit wrote")
	}
	rec, _, err := st.ReadSegment(ctx, rtTable, want[0])
	if err != nil || rec.Meta.EndOffset != "4960000000000000000001" {
		t.Fatalf("ReadSegment after the refused commit = %+v, %v", rec, err)
	}

	// Partition 1 ends (its shard was split); its children start after.
	if n, err := st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: want[1], EndOffset: "77",
		Meta: sealedMeta(want[1], 5), DownloadURI: "s3://y", EndOfPartition: true, NowMs: commitAt}); err != nil || n != "" {
		t.Fatalf("end-of-partition commit = %q, %v; want no next segment", n, err)
	}
	children, err := st.StartConsuming(ctx, rtTable, []cluster.ConsumingStart{
		{Partition: "shardId-000000000001", StartOffset: "77", Replicas: rtServers}, // ended: has segments, skipped
		{Partition: "shardId-000000000002", StartOffset: "", Replicas: rtServers[:1]},
		{Partition: "shardId-000000000003", StartOffset: "", Replicas: rtServers[1:]},
	}, commitAt)
	if err != nil || !reflect.DeepEqual(children, []string{"clicks__2__0__20260101T1037Z", "clicks__3__0__20260101T1037Z"}) {
		t.Fatalf("children started = %v, %v", children, err)
	}
	snap, err = cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h := cluster.PartitionHeads(snap, rtTable)[1]; h.Status != cluster.StatusDone || !h.EndOfPartition {
		t.Fatalf("partition 1 head = %+v", h)
	}
}

func TestRealtimeErrors(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	started, err := st.StartConsuming(ctx, rtTable, []cluster.ConsumingStart{{Partition: "0", Replicas: rtServers}}, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	seg := started[0]
	ok := func() *cluster.Commit {
		return &cluster.Commit{Table: rtTable, Segment: seg, EndOffset: "9", Meta: sealedMeta(seg, 1), DownloadURI: "s3://z", NowMs: rtNow}
	}
	for _, tc := range []struct {
		name string
		edit func(c *cluster.Commit)
		want string
	}{
		{"offline table", func(c *cluster.Commit) { c.Table = "clicks_OFFLINE" }, "not a realtime table"},
		{"other table", func(c *cluster.Commit) { c.Table = "views_REALTIME" }, `belongs to table "clicks"`},
		{"not an llc name", func(c *cluster.Commit) { c.Segment = "clicks_0"; c.Meta.Name = "clicks_0" }, "want 4 parts"},
		{"no metadata", func(c *cluster.Commit) { c.Meta = nil }, "no metadata"},
		{"metadata of another segment", func(c *cluster.Commit) { c.Meta.Name = "x" }, `metadata names segment "x"`},
		{"no uri", func(c *cluster.Commit) { c.DownloadURI = "" }, "no download URI"},
		{"built from elsewhere", func(c *cluster.Commit) { c.Meta.StartOffset = "3" }, `built from offset "3"`},
		{"unknown segment", func(c *cluster.Commit) {
			c.Segment = "clicks__0__5__20260101T1030Z"
			c.Meta.Name = c.Segment
		}, "not found"},
	} {
		c := ok()
		tc.edit(c)
		rev := revision(t, ctx, st)
		_, err := st.CommitSegment(ctx, c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
		if revision(t, ctx, st) != rev {
			t.Errorf("%s: the refused commit wrote", tc.name)
		}
	}
	for _, tc := range []struct {
		parts []cluster.ConsumingStart
		want  string
	}{
		{[]cluster.ConsumingStart{{Partition: "shard-x", Replicas: rtServers}}, `"shard-x"`},
		{[]cluster.ConsumingStart{{Partition: "1"}}, "no replicas"},
		{[]cluster.ConsumingStart{{Partition: "1", Replicas: rtServers}, {Partition: "shardId-001", Replicas: rtServers}}, "both map to partition group 1"},
	} {
		if _, err := st.StartConsuming(ctx, rtTable, tc.parts, rtNow); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("StartConsuming(%v): %v, want %q", tc.parts, err, tc.want)
		}
	}
	if _, err := st.ReplaceConsuming(ctx, rtTable, "clicks__0__9__20260101T1030Z", nil, rtNow); !errors.Is(err, cluster.ErrNotFound) {
		t.Errorf("replace of an unknown segment: %v, want ErrNotFound", err)
	}
	if _, _, err := st.ReadSegment(ctx, rtTable, "nope"); !errors.Is(err, cluster.ErrNotFound) {
		t.Errorf("ReadSegment of an unknown segment: %v", err)
	}
}

// TestCommitRace: controllers race to commit the same segment, each with
// its own committer's end offset and upload (and a different minute, so
// each would open a differently named next segment). Exactly one wins,
// every other fails with ErrConflict, and the partition has exactly one
// consuming segment after each round.
func TestCommitRace(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	started, err := st.StartConsuming(ctx, rtTable, []cluster.ConsumingStart{{Partition: "shardId-000000000004", Replicas: rtServers}}, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	seg := started[0]
	const racers, rounds = 6, 5
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		nexts := make([]string, racers)
		errs := make([]error, racers)
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				end := fmt.Sprintf("%d%02d", round+1, i)
				nexts[i], errs[i] = st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: seg, EndOffset: end,
					Meta: sealedMeta(seg, 10+i), DownloadURI: fmt.Sprintf("s3://deep/%s.%d", seg, i),
					NowMs: rtNow + int64(round*racers+i+1)*time.Minute.Milliseconds()})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: racers %d and %d both committed", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, cluster.ErrConflict):
				t.Fatalf("round %d: racer %d: %v, want ErrConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody committed: %v", round, errs)
		}
		rec, _, err := st.ReadSegment(ctx, rtTable, seg)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d%02d", round+1, winner); rec.Status != cluster.StatusDone || rec.Meta.EndOffset != want ||
			rec.Meta.NumDocs != 10+winner || rec.DownloadURI != fmt.Sprintf("s3://deep/%s.%d", seg, winner) {
			t.Fatalf("round %d: record %+v does not match the winner %d", round, rec, winner)
		}
		segs, asgs := partitionKeys(t, ctx, st, 4)
		if len(segs) != round+2 || !reflect.DeepEqual(segs, asgs) {
			t.Fatalf("round %d: partition has records %v and assignments %v, want %d of each", round, segs, asgs, round+2)
		}
		nrec, _, err := st.ReadSegment(ctx, rtTable, nexts[winner])
		if err != nil || nrec.Status != cluster.StatusInProgress || nrec.Meta.StartOffset != rec.Meta.EndOffset {
			t.Fatalf("round %d: next segment %q = %+v, %v; want IN_PROGRESS from %q", round, nexts[winner], nrec, err, rec.Meta.EndOffset)
		}
		seg = nexts[winner]
	}
}

// TestStartAndReplaceRace: concurrent StartConsuming of one partition
// opens it once; a repair racing a commit of the same segment: one wins.
func TestStartAndReplaceRace(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	var wg sync.WaitGroup
	results := make([][]string, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := st.StartConsuming(ctx, rtTable, []cluster.ConsumingStart{{Partition: "shardId-000000000007", Replicas: rtServers}},
				rtNow+int64(i)*time.Minute.Milliseconds())
			if err != nil {
				t.Error(err)
			}
			results[i] = got
		}()
	}
	wg.Wait()
	var opened []string
	for _, r := range results {
		opened = append(opened, r...)
	}
	if segs, _ := partitionKeys(t, ctx, st, 7); len(opened) != 1 || !reflect.DeepEqual(segs, opened) {
		t.Fatalf("concurrent starts opened %v; partition holds %v", opened, segs)
	}
	seg := opened[0]

	// Replace the lost consuming segment: same start, next sequence, new
	// replicas; the lost one's keys go.
	repl, err := st.ReplaceConsuming(ctx, rtTable, seg, []string{"Server_c_1"}, rtNow+time.Hour.Milliseconds())
	if err != nil {
		t.Fatal(err)
	}
	if repl != "clicks__7__1__20260101T1130Z" {
		t.Fatalf("replacement %q", repl)
	}
	if segs, asgs := partitionKeys(t, ctx, st, 7); !reflect.DeepEqual(segs, []string{repl}) || !reflect.DeepEqual(asgs, []string{repl}) {
		t.Fatalf("after replace: records %v, assignments %v", segs, asgs)
	}
	rec, _, err := st.ReadSegment(ctx, rtTable, repl)
	if err != nil || rec.Status != cluster.StatusInProgress || rec.Meta.StartOffset != "" || rec.Partition != "shardId-000000000007" {
		t.Fatalf("replacement record = %+v, %v", rec, err)
	}
	// A late commit of the lost segment is refused.
	if _, err := st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: seg, EndOffset: "5", Meta: sealedMeta(seg, 1),
		DownloadURI: "s3://late", NowMs: rtNow}); !errors.Is(err, cluster.ErrNotFound) {
		t.Fatalf("commit of the replaced segment: %v, want ErrNotFound", err)
	}

	// Repair and commit race on the replacement: exactly one applies.
	for round := 0; round < 5; round++ {
		cur := repl
		var commitErr, replaceErr error
		var next, replaced string
		wg.Add(2)
		go func() {
			defer wg.Done()
			next, commitErr = st.CommitSegment(ctx, &cluster.Commit{Table: rtTable, Segment: cur, EndOffset: fmt.Sprint(100 + round),
				Meta: sealedMeta(cur, 3), DownloadURI: "s3://c", NowMs: rtNow + int64(2+round)*time.Hour.Milliseconds()})
		}()
		go func() {
			defer wg.Done()
			replaced, replaceErr = st.ReplaceConsuming(ctx, rtTable, cur, nil, rtNow+int64(2+round)*time.Hour.Milliseconds()+1)
		}()
		wg.Wait()
		if (commitErr == nil) == (replaceErr == nil) {
			t.Fatalf("round %d: commit err %v, replace err %v; want exactly one to apply", round, commitErr, replaceErr)
		}
		segs, _ := partitionKeys(t, ctx, st, 7)
		inProgress := 0
		for _, name := range segs {
			r, _, err := st.ReadSegment(ctx, rtTable, name)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status == cluster.StatusInProgress {
				inProgress++
			}
		}
		if inProgress != 1 {
			t.Fatalf("round %d: %d consuming segments in the partition (%v)", round, inProgress, segs)
		}
		if commitErr == nil {
			repl = next
		} else {
			repl = replaced
		}
	}
}
