package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completionhttp"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/memstream"
	"github.com/tannin-db/tannin/stream/streams"
)

// rtEnv is env with a memstream registered as the local stream "web".
type rtEnv struct {
	*env
	ms *memstream.Stream
}

func newRTEnv(t *testing.T, partitions int) *rtEnv {
	e := newEnv(t)
	ms := memstream.New(partitions)
	t.Cleanup(func() { _ = ms.Close() })
	e.deps.LocalStreams = &streams.Local{}
	e.deps.LocalStreams.Register("web", ms)
	return &rtEnv{env: e, ms: ms}
}

// rtConfig is a controller config with short realtime timings.
func rtConfig() Config {
	cfg := testConfig()
	cfg.ValidationInterval = 100 * time.Millisecond
	cfg.Completion = completion.Config{MaxHold: 300 * time.Millisecond, CommitTimeout: 5 * time.Second}
	return cfg
}

// leader starts a controller and waits until it leads.
func (e *rtEnv) leader(cfg Config) *running {
	e.t.Helper()
	c := e.start(cfg)
	deadline := time.Now().Add(15 * time.Second)
	for !c.IsLeader() {
		if time.Now().After(deadline) {
			e.t.Fatal("controller did not lead within 15s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.waitFor(10*time.Second, "leader in the cache", func(s *cluster.Snapshot) bool { return s.Leader == c.Name() })
	return c
}

// servers registers n live servers of the default tenant that report
// nothing (the test plays their part).
func (e *rtEnv) servers(n int) []*fakeInstance {
	var out []*fakeInstance
	for i := 0; i < n; i++ {
		out = append(out, e.fakeInstance(cluster.TypeServer, 7000+10*i, []string{"DefaultTenant_REALTIME"}, false))
	}
	return out
}

// realtimeTable is the quickstart's table as a REALTIME table reading the
// local stream "web", with stream keys overridden by stream (a value of
// "" deletes the key) and segmentsConfig.replicasPerPartition = replicas.
func realtimeTable(t *testing.T, replicas int, stream map[string]string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(quickstartTable(t), &m); err != nil {
		t.Fatal(err)
	}
	m["tableType"] = "REALTIME"
	m["segmentsConfig"].(map[string]any)["replicasPerPartition"] = fmt.Sprint(replicas)
	sc := map[string]any{"streamType": "local", "stream.local.topic.name": "web"}
	for k, v := range stream {
		if v == "" {
			delete(sc, k)
		} else {
			sc[k] = v
		}
	}
	m["ingestionConfig"].(map[string]any)["streamIngestionConfig"] = map[string]any{"streamConfigMaps": []any{sc}}
	return jsonMarshal(t, m)
}

func quickstartTable(t *testing.T) []byte {
	t.Helper()
	return readTestdata(t, "deploy/quickstart/webTransactions_offline_table_config.json")
}

const rtTable = "webTransactions_REALTIME"

// consuming returns the table's IN_PROGRESS segments by partition.
func consuming(s *cluster.Snapshot) map[string]*cluster.Segment {
	out := map[string]*cluster.Segment{}
	for _, rec := range s.Segments[rtTable] {
		if rec.Status == cluster.StatusInProgress {
			out[rec.Partition] = rec
		}
	}
	return out
}

func shard(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// TestValidationStartsAnOrphanTable: a REALTIME table stored without its
// partitions started (its creator died in between, or the validation task
// ran first) is started by the validation task at the stream config's
// start, LATEST being "now", never from the stream's beginning.
func TestValidationStartsAnOrphanTable(t *testing.T) {
	e := newRTEnv(t, 2)
	clock := &fakeClock{}
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	clock.Set(at)
	cfg := rtConfig()
	cfg.Now = clock.Now
	c := e.leader(cfg)
	e.servers(1)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	// Stored as the controller's create stores it, but no partition opened.
	if err := e.deps.Store.CreateTable(e.ctx, rtTable, realtimeTable(t, 1, nil)); err != nil {
		t.Fatal(err)
	}
	snap := e.waitFor(10*time.Second, "the validation task started the partitions", func(s *cluster.Snapshot) bool {
		return len(consuming(s)) == 2
	})
	for p, rec := range consuming(snap) {
		if got, want := rec.Meta.StartOffset, string(stream.AtTime(at.UnixMilli())); got != want {
			t.Errorf("%s starts at %q, want %q (LATEST as of the validation run)", p, got, want)
		}
	}
}

func TestRealtimeTableCreate(t *testing.T) {
	e := newRTEnv(t, 3)
	clock := &fakeClock{}
	created := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	clock.Set(created)
	cfg := rtConfig()
	cfg.Now = clock.Now
	c := e.leader(cfg)
	srv := e.servers(3)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 2, nil), nil)

	// The answer waited for the cache: the segments are there at once.
	snap := e.deps.Cache.Snapshot()
	cons := consuming(snap)
	if len(cons) != 3 {
		t.Fatalf("consuming segments: %v, want one per partition", cons)
	}
	load := map[string]int{}
	for i := 0; i < 3; i++ {
		rec := cons[shard(i)]
		if rec == nil {
			t.Fatalf("partition %s has no consuming segment", shard(i))
		}
		want := llcname.Name{Table: "webTransactions", PartitionGroup: i, Sequence: 0, Created: created}.String()
		if rec.Meta.Name != want {
			t.Errorf("segment %q, want %q", rec.Meta.Name, want)
		}
		// LATEST (the default) resolved once, at creation.
		if got, want := rec.Meta.StartOffset, string(stream.AtTime(created.UnixMilli())); got != want {
			t.Errorf("%s starts at %q, want %q", rec.Meta.Name, got, want)
		}
		a := snap.Assign[rtTable][rec.Meta.Name]
		if len(a.Instances) != 2 {
			t.Errorf("%s on %v, want 2 replicas", rec.Meta.Name, a.Instances)
		}
		for s, st := range a.Instances {
			load[s]++
			if st != cluster.StateConsuming {
				t.Errorf("%s on %s is %s, want CONSUMING", rec.Meta.Name, s, st)
			}
		}
	}
	// 3 partitions × 2 replicas over 3 servers: 2 each.
	for _, s := range srv {
		if load[s.name] != 2 {
			t.Errorf("server %s holds %d consuming replicas, want 2 (load %v)", s.name, load[s.name], load)
		}
	}

	// The validation task finds nothing to start or repair.
	runs := c.rt.val.runs.Load()
	e.waitRuns(c, runs+2)
	if got := len(e.deps.Cache.Snapshot().Segments[rtTable]); got != 3 {
		t.Fatalf("after validation: %d segments, want 3", got)
	}

	// /metrics shows the leader, the consuming segments and the
	// partitions' validation status.
	page := getText(t, c.url+"/metrics")
	for _, want := range []string{
		"tannin_controller_leader 1",
		`tannin_controller_segments{status="IN_PROGRESS",table="webTransactions_REALTIME"} 3`,
		`tannin_controller_realtime_partitions{status="CONSUMING",table="webTransactions_REALTIME"} 3`,
		`tannin_controller_live_instances{type="SERVER"} 3`,
		"tannin_controller_tables 1",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Deleting the table removes every consuming segment's assignment.
	must(t, 200, "DELETE", c.url+"/tables/webTransactions?type=realtime", nil, nil)
	snap = e.deps.Cache.Snapshot()
	if len(snap.Assign[rtTable]) != 0 || len(snap.Segments[rtTable]) != 0 {
		t.Fatalf("after delete: assignments %v, segments %v", snap.Assign[rtTable], snap.Segments[rtTable])
	}

	// TRIM_HORIZON (auto.offset.reset smallest) starts at stream.Start.
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 1, map[string]string{"stream.local.consumer.prop.auto.offset.reset": "smallest"}), nil)
	for p, rec := range consuming(e.deps.Cache.Snapshot()) {
		if rec.Meta.StartOffset != string(stream.Start) {
			t.Errorf("%s starts at %q, want the stream's start", p, rec.Meta.StartOffset)
		}
	}
}

// waitRuns waits until the leader's validation task has run n times.
func (e *rtEnv) waitRuns(c *running, n int64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.rt.val.runs.Load() < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("validation ran %d times, want %d", c.rt.val.runs.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRealtimeTableBadConfig(t *testing.T) {
	e := newRTEnv(t, 2)
	c := e.leader(rtConfig())
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)

	// No servers yet: 503 naming the tag.
	status, body := call(t, "POST", c.url+"/tables", "application/json", strings.NewReader(string(realtimeTable(t, 1, nil))))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("without servers: %d %s", status, body)
	}
	wantError(t, status, body, "DefaultTenant_REALTIME")
	e.servers(1)

	for _, tc := range []struct {
		name   string
		stream map[string]string
		status int
		want   []string
	}{
		{"no topic", map[string]string{"stream.local.topic.name": ""}, 400, []string{"stream.local.topic.name"}},
		{"bad flush time", map[string]string{"realtime.segment.flush.threshold.time": "6x"}, 400,
			[]string{"realtime.segment.flush.threshold.time", `"6x"`}},
		{"unknown key", map[string]string{"stream.local.topicname": "web"}, 400, []string{"stream.local.topicname"}},
		{"kinesis key on local", map[string]string{"region": "us-east-1"}, 400, []string{"region"}},
		{"bad start", map[string]string{"stream.local.consumer.prop.auto.offset.reset": "yesterday"}, 400,
			[]string{"stream.local.consumer.prop.auto.offset.reset", "yesterday"}},
		{"unknown stream", map[string]string{"stream.local.topic.name": "nope"}, 400, []string{`local stream "nope"`}},
		{"replication above servers", nil, 503, []string{"need 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replicas := 1
			if tc.status == 503 {
				replicas = 2
			}
			status, body := call(t, "POST", c.url+"/tables", "application/json",
				strings.NewReader(string(realtimeTable(t, replicas, tc.stream))))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			wantError(t, status, body, tc.want...)
			if snap := e.deps.Cache.Snapshot(); snap.Tables[rtTable] != nil || len(snap.Segments[rtTable]) != 0 {
				t.Fatalf("a refused table left metadata behind")
			}
		})
	}

	// Hybrid tables are refused either way round.
	must(t, 200, "POST", c.url+"/tables", quickstartTable(t), nil)
	status, body = call(t, "POST", c.url+"/tables", "application/json", strings.NewReader(string(realtimeTable(t, 1, nil))))
	if status != 400 {
		t.Fatalf("hybrid: %d %s", status, body)
	}
	wantError(t, status, body, "hybrid")
}

// replica is a fake server's consumer: it speaks to the controller only
// through the real HTTP client.
type replica struct {
	t    *testing.T
	name string
	cl   *completionhttp.Client
}

func (e *rtEnv) replica(name string, leaders completionhttp.Leaders) *replica {
	return &replica{t: e.t, name: name, cl: completionhttp.NewClient(leaders, completionhttp.Options{
		RequestTimeout: 5 * time.Second, Attempts: 20, Backoff: 20 * time.Millisecond})}
}

func (r *replica) report(seg string, off stream.Offset, reason completion.Reason) completion.Report {
	return completion.Report{Segment: seg, Instance: r.name, Offset: off, Reason: reason, Rows: 10}
}

func (r *replica) consumed(seg string, off stream.Offset, reason completion.Reason) completion.Response {
	r.t.Helper()
	resp, err := r.cl.Consumed(context.Background(), r.report(seg, off, reason))
	if err != nil {
		r.t.Fatalf("%s: segmentConsumed %s: %v", r.name, seg, err)
	}
	return resp
}

// commit runs the committer's side from COMMIT to the end and returns
// CommitEnd's answer.
func (r *replica) commit(seg string, off stream.Offset, rows int, reason completion.Reason) completion.Response {
	r.t.Helper()
	ctx := context.Background()
	resp, err := r.cl.CommitStart(ctx, r.report(seg, off, reason))
	if err != nil || resp.Status != completion.CommitContinue {
		r.t.Fatalf("%s: segmentCommitStart %s: %+v, %v", r.name, seg, resp, err)
	}
	key := "webTransactions_REALTIME/" + seg + ".tseg." + r.name
	meta := &segment.Meta{Name: seg, Table: "webTransactions", NumDocs: rows, PartitionID: -1,
		CreatedMs: time.Now().UnixMilli(), CRC: 1234, SizeBytes: 4096}
	resp, err = r.cl.CommitEnd(ctx, r.report(seg, off, reason), completion.Upload{DownloadURI: "file:///deep/" + key, Key: key, Meta: meta})
	if err != nil {
		r.t.Fatalf("%s: segmentCommitEnd %s: %v", r.name, seg, err)
	}
	return resp
}

// appendN appends n records to partition and returns the last offset.
func (e *rtEnv) appendN(partition string, n int) stream.Offset {
	e.t.Helper()
	var off stream.Offset
	for i := 0; i < n; i++ {
		var err error
		if off, err = e.ms.Append(partition, "k", []byte(`{}`)); err != nil {
			e.t.Fatal(err)
		}
	}
	return off
}

func TestCompletionEndpoints(t *testing.T) {
	e := newRTEnv(t, 1)
	lead := e.leader(rtConfig())
	follower := e.start(rtConfig())
	srv := e.servers(2)
	must(t, 200, "POST", lead.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", lead.url+"/tables", realtimeTable(t, 2, map[string]string{"stream.local.consumer.prop.auto.offset.reset": "smallest"}), nil)
	seg0 := consuming(e.deps.Cache.Snapshot())[shard(0)].Meta.Name
	end := e.appendN(shard(0), 10)
	mid := stream.Offset(fmt.Sprint(7)) // memstream offsets are sequence numbers

	// A follower answers NOT_LEADER on the wire.
	var w completionhttp.Response
	must(t, 200, "GET", follower.url+"/segmentConsumed?name="+seg0+"&instance="+srv[0].name+"&streamPartitionMsgOffset=3&reason=rowLimit", nil, &w)
	if w.Status != "NOT_LEADER" {
		t.Fatalf("follower answered %+v, want NOT_LEADER", w)
	}
	// A malformed request is FAILED with the reason.
	must(t, 200, "GET", lead.url+"/segmentConsumed?instance=x&streamPartitionMsgOffset=3", nil, &w)
	if w.Status != "FAILED" || !strings.Contains(w.Message, `"name"`) {
		t.Fatalf("request without a name: %+v", w)
	}

	// Replica A's client first asks the follower (a stale view of the
	// leader), gets NOT_LEADER and follows to the leader.
	var asked atomic.Int32
	stale := completionhttp.LeaderFunc(func(ctx context.Context) (string, error) {
		if asked.Add(1) == 1 {
			return follower.url, nil
		}
		return node.ControllerLeaders(e.deps.Cache).Leader(ctx)
	})
	a := e.replica(srv[0].name, stale)
	b := e.replica(srv[1].name, node.ControllerLeaders(e.deps.Cache))

	// A reaches the row limit first: it commits at once (rowLimit).
	if resp := a.consumed(seg0, end, completion.ReasonRowLimit); resp.Status != completion.Commit || resp.Offset != end || resp.BuildTime <= 0 {
		t.Fatalf("A: %+v, want COMMIT at %q with a build time", resp, end)
	}
	if asked.Load() < 2 {
		t.Fatalf("the client asked for the leader %d times; it should have followed NOT_LEADER", asked.Load())
	}
	// B, behind, catches up to A's offset.
	if resp := b.consumed(seg0, mid, completion.ReasonTimeLimit); resp.Status != completion.CatchUp || resp.Offset != end {
		t.Fatalf("B: %+v, want CATCH_UP to %q", resp, end)
	}
	if resp := a.commit(seg0, end, 10, completion.ReasonRowLimit); resp.Status != completion.CommitSuccess || resp.Offset != end {
		t.Fatalf("A commit end: %+v, want COMMIT_SUCCESS", resp)
	}
	// B, caught up, keeps its copy; a repeated CommitEnd from A is told
	// KEEP: the commit happened once.
	if resp := b.consumed(seg0, end, completion.ReasonRowLimit); resp.Status != completion.Keep || resp.Offset != end {
		t.Fatalf("B after commit: %+v, want KEEP", resp)
	}
	resp, err := a.cl.CommitEnd(context.Background(), a.report(seg0, end, completion.ReasonRowLimit), completion.Upload{
		DownloadURI: "file:///other", Key: "other", Meta: &segment.Meta{Name: seg0, PartitionID: -1}})
	if err != nil || resp.Status != completion.Keep {
		t.Fatalf("repeated commit end: %+v, %v", resp, err)
	}

	snap, err := e.deps.Cache.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := snap.Segments[rtTable][seg0]
	if done.Status != cluster.StatusDone || done.Meta.EndOffset != string(end) || done.Meta.NumDocs != 10 ||
		!strings.HasSuffix(done.DownloadURI, seg0+".tseg."+srv[0].name) {
		t.Fatalf("committed record: %+v %+v", done, done.Meta)
	}
	for s, st := range snap.Assign[rtTable][seg0].Instances {
		if st != cluster.StateOnline {
			t.Errorf("%s on %s: %s, want ONLINE", seg0, s, st)
		}
	}
	next := consuming(snap)[shard(0)]
	if next == nil || next.Meta.StartOffset != string(end) {
		t.Fatalf("next segment: %+v, want one starting at %q", next, end)
	}
	if n, _ := llcname.Parse(next.Meta.Name); n.Sequence != 1 {
		t.Fatalf("next segment %s, want sequence 1", next.Meta.Name)
	}
	if got := snap.Assign[rtTable][next.Meta.Name].Replicas(); strings.Join(got, ",") != srv[0].name+","+srv[1].name {
		t.Fatalf("next segment on %v", got)
	}

	// The leader goes away: the follower takes over and rebuilds the
	// FSM from etcd; a replica that stopped consuming is marked OFFLINE.
	lead.stop()
	e.waitFor(15*time.Second, "follower leads", func(s *cluster.Snapshot) bool { return s.Leader == follower.Name() })
	resp, err = b.cl.StoppedConsuming(context.Background(), completion.Report{Segment: next.Meta.Name, Instance: srv[1].name,
		Offset: end, Message: "decoder exploded"})
	if err != nil || resp.Status != completion.Processed {
		t.Fatalf("stopped consuming: %+v, %v", resp, err)
	}
	e.waitFor(10*time.Second, "B OFFLINE", func(s *cluster.Snapshot) bool {
		return s.Assign[rtTable][next.Meta.Name].Instances[srv[1].name] == cluster.StateOffline
	})
	// A alone commits the next segment (B is no longer waited for).
	end2 := e.appendN(shard(0), 5)
	if resp := a.consumed(next.Meta.Name, end2, completion.ReasonTimeLimit); resp.Status != completion.Hold && resp.Status != completion.Commit {
		t.Fatalf("A on %s: %+v", next.Meta.Name, resp)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := a.consumed(next.Meta.Name, end2, completion.ReasonTimeLimit)
		if resp.Status == completion.Commit {
			break
		}
		if resp.Status != completion.Hold || time.Now().After(deadline) {
			t.Fatalf("A on %s: %+v, want HOLD then COMMIT", next.Meta.Name, resp)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp := a.commit(next.Meta.Name, end2, 5, completion.ReasonTimeLimit); resp.Status != completion.CommitSuccess {
		t.Fatalf("A commit of %s: %+v", next.Meta.Name, resp)
	}
	// Exactly the two commits happened.
	snap, _ = e.deps.Cache.Sync(context.Background())
	var dones []string
	for name, rec := range snap.Segments[rtTable] {
		if rec.Status == cluster.StatusDone {
			dones = append(dones, name+"@"+rec.Meta.StartOffset+".."+rec.Meta.EndOffset)
		}
	}
	sort.Strings(dones)
	if len(dones) != 2 {
		t.Fatalf("committed segments: %v, want 2", dones)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
