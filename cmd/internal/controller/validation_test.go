package controller

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
)

// TestPlanPartitions checks which partitions may start, on made-up
// lineages and segment records: in particular that a partition whose
// records were consumed (a descendant has segments) is never started again
// after retention deleted its segments.
func TestPlanPartitions(t *testing.T) {
	p := func(id int, closed bool, parents ...int) stream.Partition {
		sp := stream.Partition{ID: shard(id), Closed: closed}
		for _, par := range parents {
			sp.Parents = append(sp.Parents, shard(par))
		}
		return sp
	}
	// seg is a partition's head: "C" consuming, "E" DONE at its end, "D"
	// DONE without end (broken).
	type seg struct {
		pg   int
		kind byte
	}
	for _, tc := range []struct {
		name                  string
		parts                 []stream.Partition
		segs                  []seg
		start, waiting, ended []int
	}{
		{"new table", []stream.Partition{p(0, false), p(1, false)}, nil, []int{0, 1}, nil, nil},
		{"children wait for a consuming parent", []stream.Partition{p(0, true), p(1, false, 0), p(2, false, 0)},
			[]seg{{0, 'C'}}, nil, []int{1, 2}, nil},
		{"children start after the parent ended", []stream.Partition{p(0, true), p(1, false, 0), p(2, false, 0)},
			[]seg{{0, 'E'}}, []int{1, 2}, nil, []int{0}},
		{"a merge waits for both parents", []stream.Partition{p(0, true), p(1, true), p(2, false, 0, 1)},
			[]seg{{0, 'E'}, {1, 'C'}}, nil, []int{2}, []int{0}},
		{"a merge starts once both ended", []stream.Partition{p(0, true), p(1, true), p(2, false, 0, 1)},
			[]seg{{0, 'E'}, {1, 'E'}}, []int{2}, nil, []int{0, 1}},
		{"a parent expired from the stream is done", []stream.Partition{p(1, false, 0)}, nil, []int{1}, nil, nil},
		{"expired by retention: consumed parent never restarts", []stream.Partition{p(0, true), p(1, false, 0)},
			[]seg{{1, 'C'}}, nil, nil, []int{0}},
		{"expired grandparent, parent ended, child starts", []stream.Partition{p(0, true), p(1, true, 0), p(2, false, 1)},
			[]seg{{1, 'E'}}, []int{2}, nil, []int{0, 1}},
		{"at creation a closed root starts before its children", []stream.Partition{p(0, true), p(1, false, 0)},
			nil, []int{0}, []int{1}, nil},
		{"a broken head is neither started nor ended", []stream.Partition{p(0, false)}, []seg{{0, 'D'}}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := &cluster.Snapshot{Segments: map[string]map[string]*cluster.Segment{rtTable: {}}}
			for _, s := range tc.segs {
				name := llcname.Name{Table: "webTransactions", PartitionGroup: s.pg, Sequence: 3}.String()
				rec := &cluster.Segment{Table: rtTable, Partition: shard(s.pg), Meta: &segment.Meta{Name: name}}
				switch s.kind {
				case 'C':
					rec.Status = cluster.StatusInProgress
				case 'E':
					rec.Status, rec.EndOfPartition = cluster.StatusDone, true
				case 'D':
					rec.Status = cluster.StatusDone
				}
				snap.Segments[rtTable][name] = rec
			}
			plan := planPartitions(snap, rtTable, tc.parts)
			ids := func(pgs []int) []string {
				var out []string
				for _, pg := range pgs {
					out = append(out, shard(pg))
				}
				return out
			}
			if !reflect.DeepEqual(plan.start, ids(tc.start)) || !reflect.DeepEqual(plan.waiting, ids(tc.waiting)) ||
				!reflect.DeepEqual(plan.ended, ids(tc.ended)) {
				t.Fatalf("plan start=%v waiting=%v ended=%v; want %v %v %v", plan.start, plan.waiting, plan.ended,
					ids(tc.start), ids(tc.waiting), ids(tc.ended))
			}
		})
	}
}

// endPartition plays a replica that read a closed partition to its end
// and commits its consuming segment as the partition's last.
func (e *rtEnv) endPartition(r *replica, partition string) {
	e.t.Helper()
	rec := consuming(e.deps.Cache.Snapshot())[partition]
	if rec == nil {
		e.t.Fatalf("partition %s has no consuming segment", partition)
	}
	seg := rec.Meta.Name
	end := stream.Offset(rec.Meta.StartOffset)
	// The offset after the partition's last record: fetch to the end.
	cons, err := e.ms.Consumer(partition)
	if err != nil {
		e.t.Fatal(err)
	}
	defer cons.Close()
	for {
		res, err := cons.Fetch(context.Background(), end, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		end = res.Next
		if res.EndOfPartition {
			break
		}
	}
	if resp := r.consumed(seg, end, completion.ReasonEndOfPartition); resp.Status != completion.Commit {
		e.t.Fatalf("end of %s: %+v, want COMMIT", partition, resp)
	}
	if resp := r.commit(seg, end, 3, completion.ReasonEndOfPartition); resp.Status != completion.CommitSuccess {
		e.t.Fatalf("commit end of %s: %+v", partition, resp)
	}
}

func (e *rtEnv) info(c *running) consuminginfo.Table {
	e.t.Helper()
	var out consuminginfo.Table
	must(e.t, 200, "GET", c.url+"/tables/webTransactions/consumingSegmentsInfo", nil, &out)
	return out
}

func partitionStatus(info consuminginfo.Table, pg int) consuminginfo.PartitionStatus {
	for _, s := range info.Partitions {
		if s.PartitionGroup == pg {
			return s
		}
	}
	return consuminginfo.PartitionStatus{}
}

func TestSplitAndMerge(t *testing.T) {
	e := newRTEnv(t, 3)
	c := e.leader(rtConfig())
	srv := e.servers(1)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 1, map[string]string{"stream.local.consumer.prop.auto.offset.reset": "smallest"}), nil)
	for i := 0; i < 3; i++ {
		e.appendN(shard(i), 3)
	}
	kids, err := e.ms.Split(shard(0))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := e.ms.Merge(shard(1), shard(2))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(kids, ",") != shard(3)+","+shard(4) || merged != shard(5) {
		t.Fatalf("split %v, merge %s", kids, merged)
	}
	// While the parents are consumed the children wait, and say so.
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	if cons := consuming(e.deps.Cache.Snapshot()); len(cons) != 3 {
		t.Fatalf("children started while their parents consume: %v", cons)
	}
	if st := partitionStatus(e.info(c), 5); st.Status != consuminginfo.PartitionWaitingForParents {
		t.Fatalf("merged child status %+v, want WAITING_FOR_PARENTS", st)
	}

	r := e.replica(srv[0].name, node.ControllerLeaders(e.deps.Cache))
	e.endPartition(r, shard(0))
	// The split's children start right after the parent's last commit.
	e.waitFor(10*time.Second, "split children consuming", func(s *cluster.Snapshot) bool {
		cons := consuming(s)
		return cons[shard(3)] != nil && cons[shard(4)] != nil
	})
	e.endPartition(r, shard(1))
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	if consuming(e.deps.Cache.Snapshot())[shard(5)] != nil {
		t.Fatal("the merged child started before both parents ended")
	}
	e.endPartition(r, shard(2))
	snap := e.waitFor(10*time.Second, "merged child consuming", func(s *cluster.Snapshot) bool {
		return consuming(s)[shard(5)] != nil
	})
	cons := consuming(snap)
	if len(cons) != 3 {
		t.Fatalf("consuming after split and merge: %v, want shards 3, 4, 5", cons)
	}
	for _, id := range []string{shard(3), shard(4), shard(5)} {
		// Children start where the table started (smallest: the
		// stream's start, so from their first record).
		if rec := cons[id]; rec.Meta.StartOffset != string(stream.Start) {
			t.Errorf("%s starts at %q", id, rec.Meta.StartOffset)
		}
	}
	// The statuses are the validation task's: the children may have
	// started from the parents' last commits before its next run.
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	for i := 0; i < 3; i++ {
		if st := partitionStatus(e.info(c), i); st.Status != consuminginfo.PartitionEnded {
			t.Errorf("parent %d status %+v, want ENDED", i, st)
		}
	}
	// Retention deletes a parent's segments: it is not started again.
	for name, rec := range snap.Segments[rtTable] {
		if rec.Partition == shard(0) {
			if err := e.deps.Store.DeleteSegment(e.ctx, rtTable, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	for _, rec := range e.deps.Cache.Snapshot().Segments[rtTable] {
		if rec.Partition == shard(0) {
			t.Fatalf("the consumed parent %s was started again: %s", shard(0), rec.Meta.Name)
		}
	}
}

func TestRepairLostConsumingSegment(t *testing.T) {
	e := newRTEnv(t, 1)
	c := e.leader(rtConfig())
	a := e.fakeInstance(cluster.TypeServer, 7100, []string{"DefaultTenant_REALTIME"}, false)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 1, nil), nil)
	first := consuming(e.deps.Cache.Snapshot())[shard(0)]
	b := e.fakeInstance(cluster.TypeServer, 7110, []string{"DefaultTenant_REALTIME"}, false)

	// A dies: the segment moves to B at the same start offset.
	a.stop()
	snap := e.waitFor(10*time.Second, "segment replaced onto B", func(s *cluster.Snapshot) bool {
		rec := consuming(s)[shard(0)]
		return rec != nil && rec.Meta.Name != first.Meta.Name
	})
	second := consuming(snap)[shard(0)]
	if second.Meta.StartOffset != first.Meta.StartOffset {
		t.Fatalf("replacement starts at %q, the lost segment at %q", second.Meta.StartOffset, first.Meta.StartOffset)
	}
	if n, _ := llcname.Parse(second.Meta.Name); n.Sequence != 1 {
		t.Fatalf("replacement %s, want sequence 1", second.Meta.Name)
	}
	if got := snap.Assign[rtTable][second.Meta.Name].Replicas(); len(got) != 1 || got[0] != b.name {
		t.Fatalf("replacement on %v, want %s", got, b.name)
	}
	if snap.Segments[rtTable][first.Meta.Name] != nil {
		t.Fatal("the lost segment's record is still there")
	}
	if st := partitionStatus(e.info(c), 0); st.Status != consuminginfo.PartitionRepaired && st.Status != consuminginfo.PartitionConsuming {
		t.Fatalf("status after repair: %+v", st)
	}

	// B reports ERROR and no other server is there: the partition is
	// stuck, visibly, until a server comes.
	if err := b.reg.SetState(e.ctx, rtTable, second.Meta.Name, cluster.SegmentState{State: cluster.StateError, Message: "disk full"}); err != nil {
		t.Fatal(err)
	}
	b.stop()
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	st := partitionStatus(e.info(c), 0)
	if st.Status != consuminginfo.PartitionStuck || !strings.Contains(st.Message, "every replica is lost") ||
		!strings.Contains(st.Message, "not enough eligible servers") {
		t.Fatalf("status without servers: %+v", st)
	}
	cc := e.fakeInstance(cluster.TypeServer, 7120, []string{"DefaultTenant_REALTIME"}, false)
	snap = e.waitFor(10*time.Second, "segment replaced onto C", func(s *cluster.Snapshot) bool {
		rec := consuming(s)[shard(0)]
		return rec != nil && s.Assign[rtTable][rec.Meta.Name].Instances[cc.name] == cluster.StateConsuming
	})
	if third := consuming(snap)[shard(0)]; third.Meta.StartOffset != first.Meta.StartOffset {
		t.Fatalf("second replacement starts at %q", third.Meta.StartOffset)
	}
}

// fakeAdmin serves a server's GET /tables/{t}/consumingSegmentsInfo on a
// free loopback port and returns the port.
func fakeAdmin(t *testing.T, answerOf func() consuminginfo.Server) int {
	t.Helper()
	port := clustertest.FreePort(t)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tables/{table}/consumingSegmentsInfo", func(w http.ResponseWriter, r *http.Request) {
		answer := answerOf()
		if r.PathValue("table") != answer.Table {
			http.Error(w, "no such table", http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(answer)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return port
}

func TestConsumingSegmentsInfo(t *testing.T) {
	e := newRTEnv(t, 2)
	c := e.leader(rtConfig())
	// Server A answers for partition 0's consuming segment, whatever its
	// name; server B's admin port is closed.
	aPort := fakeAdmin(t, func() consuminginfo.Server {
		rec := consuming(e.deps.Cache.Snapshot())[shard(0)]
		return consuminginfo.Server{Table: rtTable, Segments: []consuminginfo.ServerSegment{{
			Segment: rec.Meta.Name, Partition: shard(0), State: consuminginfo.StateConsuming, Rows: 1234, RowsPerSec: 56.5,
			StartOffset: "", CurrentOffset: "1234", RecordsLag: consuminginfo.Unknown, LagMs: 250, IngestionDelayMs: 300,
			LastConsumedMs: 1700000000000, BadRecords: map[string]int64{"undecodable": 2},
		}}}
	})
	a := e.fakeInstance(cluster.TypeServer, aPort, []string{"DefaultTenant_REALTIME"}, false)
	bPort := clustertest.FreePort(t)
	b := e.fakeInstance(cluster.TypeServer, bPort, []string{"DefaultTenant_REALTIME"}, false)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 2, map[string]string{"stream.local.consumer.prop.auto.offset.reset": "smallest"}), nil)
	cons := consuming(e.deps.Cache.Snapshot())
	seg0, seg1 := cons[shard(0)].Meta.Name, cons[shard(1)].Meta.Name
	info := e.info(c)
	if info.ServersFailingToRespond != 1 || info.ServersUnparsableRespond != 0 {
		t.Fatalf("failing %d, unparsable %d; want 1, 0", info.ServersFailingToRespond, info.ServersUnparsableRespond)
	}
	if len(info.SegmentToConsumingInfo) != 2 {
		t.Fatalf("segments %v, want both consuming ones", info.SegmentToConsumingInfo)
	}
	byServer := func(s string) map[string]consuminginfo.SegmentServer {
		out := map[string]consuminginfo.SegmentServer{}
		for _, e := range info.SegmentToConsumingInfo[s] {
			out[e.ServerName] = e
		}
		return out
	}
	got := byServer(seg0)[a.name]
	if got.ConsumerState != "CONSUMING" || got.Rows != 1234 || got.LastConsumedTimestamp != 1700000000000 ||
		got.PartitionToOffsetMap["0"] != "1234" || got.PartitionOffsetInfo.CurrentOffsetsMap["0"] != "1234" ||
		got.PartitionOffsetInfo.AvailabilityLagMsMap["0"] != "250" || got.PartitionOffsetInfo.RecordsLagMap["0"] != "UNKNOWN" ||
		got.PartitionOffsetInfo.LatestUpstreamOffsetMap["0"] != "UNKNOWN" || got.BadRecords["undecodable"] != 2 {
		t.Fatalf("A's entry for %s: %+v", seg0, got)
	}
	if st := byServer(seg0)[b.name].ConsumerState; st != consuminginfo.StateUnreachable {
		t.Fatalf("B's entry: %s, want UNREACHABLE", st)
	}
	if st := byServer(seg1)[a.name].ConsumerState; st != consuminginfo.StateMissing {
		t.Fatalf("A's entry for %s, which it does not list: %s, want MISSING", seg1, st)
	}
	// The raw JSON carries Pinot's key.
	_, raw := call(t, "GET", c.url+"/tables/webTransactions_REALTIME/consumingSegmentsInfo", "", nil)
	if !strings.Contains(string(raw), `"_segmentToConsumingInfoMap"`) || !strings.Contains(string(raw), `"availabilityLagMsMap"`) {
		t.Fatalf("answer lacks Pinot's keys: %s", raw)
	}
	if status, body := call(t, "GET", c.url+"/tables/nope/consumingSegmentsInfo", "", nil); status != 404 {
		t.Fatalf("unknown table: %d %s", status, body)
	}
}
