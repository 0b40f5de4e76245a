package assign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
)

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn + 1}))

// testCluster is a real embedded etcd with a metadata cache and fake
// servers.
type testCluster struct {
	t     *testing.T
	ctx   context.Context
	store *cluster.Store
	cache *cluster.Cache
	wg    sync.WaitGroup
}

func newTestCluster(t *testing.T) *testCluster {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	store := clustertest.Store(t)
	tc := &testCluster{t: t, ctx: ctx, store: store}
	t.Cleanup(func() { cancel(); tc.wg.Wait() })
	cache, err := cluster.NewCache(ctx, store, quiet)
	if err != nil {
		t.Fatal(err)
	}
	tc.cache = cache
	return tc
}

// Fake server behaviours.
const (
	serveOK     = "ok"     // reports ONLINE a few ms after an assignment
	serveError  = "error"  // reports ERROR
	serveSilent = "silent" // never reports
)

// server registers a fake server that follows its assignments as a real
// one does: it reports each assigned segment (ONLINE after a short load,
// or ERROR, or nothing) and withdraws the state of a segment taken away.
func (tc *testCluster) server(name, mode string) {
	tc.t.Helper()
	reg, err := cluster.Register(tc.ctx, tc.store, &cluster.Instance{Name: name, Type: cluster.TypeServer,
		Host: "127.0.0.1", Port: 1, GrpcPort: -1, Tags: []string{tag}, Enabled: true}, quiet)
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.wg.Add(1)
	go func() {
		defer tc.wg.Done()
		defer reg.Close()
		reported := map[[2]string]bool{}
		for {
			s, changed := tc.cache.Current()
			for _, table := range sortedKeys(s.Assign) {
				for _, seg := range sortedKeys(s.Assign[table]) {
					key := [2]string{table, seg}
					if _, ok := s.Assign[table][seg].Instances[name]; !ok || reported[key] {
						continue
					}
					reported[key] = true
					switch mode {
					case serveOK:
						time.Sleep(20 * time.Millisecond) // loading the segment
						_ = reg.SetState(tc.ctx, table, seg, cluster.SegmentState{State: cluster.StateOnline})
					case serveError:
						_ = reg.SetState(tc.ctx, table, seg, cluster.SegmentState{State: cluster.StateError, Message: "download: checksum mismatch"})
					}
				}
			}
			for key := range reported {
				if a := s.Assign[key[0]][key[1]]; a == nil || a.Instances[name] == "" {
					delete(reported, key)
					_ = reg.ClearState(tc.ctx, key[0], key[1])
				}
			}
			select {
			case <-changed:
			case <-tc.ctx.Done():
				return
			}
		}
	}()
	tc.waitFor("server "+name+" live", func(s *cluster.Snapshot) bool { return s.IsLive(name) })
}

func (tc *testCluster) waitFor(what string, cond func(*cluster.Snapshot) bool) *cluster.Snapshot {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(tc.ctx, 20*time.Second)
	defer cancel()
	s, err := tc.cache.WaitFor(ctx, cond)
	if err != nil {
		tc.t.Fatalf("waiting for %s: %v", what, err)
	}
	return s
}

// assign writes initial assignments of table tbl.
func (tc *testCluster) assign(a map[string][]string) {
	tc.t.Helper()
	var changes []cluster.AssignmentChange
	for _, seg := range sortedKeys(a) {
		inst := map[string]string{}
		for _, n := range a[seg] {
			inst[n] = cluster.StateOnline
		}
		changes = append(changes, cluster.AssignmentChange{Table: tbl, Segment: seg, Assignment: &cluster.Assignment{Instances: inst}})
	}
	if err := tc.store.SetAssignments(tc.ctx, changes); err != nil {
		tc.t.Fatal(err)
	}
}

// settled holds when the view of tbl is exactly the assignment, all ONLINE:
// new replicas loaded and old ones withdrawn.
func settled(s *cluster.Snapshot) bool {
	for seg, a := range s.Assign[tbl] {
		view := s.View[tbl][seg]
		if len(view) != len(a.Instances) {
			return false
		}
		for n := range a.Instances {
			if view[n].State != cluster.StateOnline {
				return false
			}
		}
	}
	return true
}

func assignmentOf(s *cluster.Snapshot) map[string][]string {
	out := map[string][]string{}
	for seg, a := range s.Assign[tbl] {
		out[seg] = a.Replicas()
	}
	return out
}

// watchServing follows every etcd revision from now on and records each at
// which a segment of tbl has fewer than minServing serving replicas: ones
// that are assigned, live and report ONLINE. stop ends the watch and
// returns how many revisions were checked and the violations.
func (tc *testCluster) watchServing(minServing int) (stop func() (revs int, violations []string)) {
	cli, prefix := tc.store.Client(), tc.store.Prefix()
	assign := map[string]map[string]bool{}
	view := map[string]map[string]string{}
	live := map[string]bool{}
	apply := func(key string, val []byte) {
		rel := strings.TrimPrefix(key, prefix)
		switch {
		case strings.HasPrefix(rel, "assign/"+tbl+"/"):
			seg := strings.TrimPrefix(rel, "assign/"+tbl+"/")
			if val == nil {
				delete(assign, seg)
				return
			}
			var a cluster.Assignment
			if err := json.Unmarshal(val, &a); err != nil {
				panic(err)
			}
			assign[seg] = map[string]bool{}
			for n := range a.Instances {
				assign[seg][n] = true
			}
		case strings.HasPrefix(rel, "view/"+tbl+"/"):
			seg, server, _ := strings.Cut(strings.TrimPrefix(rel, "view/"+tbl+"/"), "/")
			if view[seg] == nil {
				view[seg] = map[string]string{}
			}
			if val == nil {
				delete(view[seg], server)
				return
			}
			var st cluster.SegmentState
			if err := json.Unmarshal(val, &st); err != nil {
				panic(err)
			}
			view[seg][server] = st.State
		case strings.HasPrefix(rel, "live/"):
			live[strings.TrimPrefix(rel, "live/")] = val != nil
		}
	}
	var violations []string
	revs := 0
	check := func(rev int64) {
		revs++
		for _, seg := range sortedKeys(assign) {
			serving := 0
			for n := range assign[seg] {
				if live[n] && view[seg][n] == cluster.StateOnline {
					serving++
				}
			}
			if serving < minServing {
				violations = append(violations, fmt.Sprintf("revision %d: segment %s has %d serving replicas (assigned %v, view %v)",
					rev, seg, serving, sortedKeys(assign[seg]), view[seg]))
			}
		}
	}
	resp, err := cli.Get(tc.ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		tc.t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		apply(string(kv.Key), kv.Value)
	}
	check(resp.Header.Revision)
	wctx, cancel := context.WithCancel(tc.ctx)
	wch := cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for wr := range wch {
			for i, ev := range wr.Events {
				var val []byte
				if ev.Type == clientv3.EventTypePut {
					val = ev.Kv.Value
				}
				apply(string(ev.Kv.Key), val)
				// A transaction's events share a revision: check after
				// the last of them.
				if i == len(wr.Events)-1 || wr.Events[i+1].Kv.ModRevision != ev.Kv.ModRevision {
					check(ev.Kv.ModRevision)
				}
			}
		}
	}()
	return func() (int, []string) {
		cancel()
		<-done
		return revs, violations
	}
}

// TestExecuteRebalanceAndDrain: 12 segments × 2 replicas on three
// servers; a fourth joins and the rebalance moves 6 segments to it, then
// the fourth drains and its 6 replicas go back. At every revision in
// between every segment has both replicas serving.
func TestExecuteRebalanceAndDrain(t *testing.T) {
	tc := newTestCluster(t)
	for _, n := range names(3) {
		tc.server(n, serveOK)
	}
	tc.assign(roundRobin(12, 2, names(3)))
	tc.waitFor("initial segments ONLINE", func(s *cluster.Snapshot) bool { return len(s.Assign[tbl]) == 12 && settled(s) })
	tc.server("Server_d", serveOK)

	plan, err := Rebalance(tc.cache.Snapshot(), tbl, tag, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Moves) != 6 {
		t.Fatalf("rebalance plans %d moves, want 6", len(plan.Moves))
	}
	// Each move replaces one replica of two: the other serves throughout,
	// and the new one must serve before the old one goes.
	stop := tc.watchServing(2)
	// The first write meets a concurrent change of one of its segments:
	// Execute must reread and retry.
	writes := 0
	opt := Options{BatchSize: 4, Timeout: 10 * time.Second, beforeWrite: func() {
		writes++
		if writes == 1 {
			key := tc.store.Prefix() + "assign/" + tbl + "/" + plan.Moves[0].Segment
			resp, err := tc.store.Client().Get(tc.ctx, key)
			if err != nil || len(resp.Kvs) != 1 {
				t.Errorf("bump %s: %v", key, err)
				return
			}
			if _, err := tc.store.Client().Put(tc.ctx, key, string(resp.Kvs[0].Value)); err != nil {
				t.Errorf("bump %s: %v", key, err)
			}
		}
	}}
	start := time.Now()
	if err := ExecuteWith(tc.ctx, tc.store, tc.cache, plan, quiet, opt); err != nil {
		t.Fatal(err)
	}
	t.Logf("rebalance of 6 moves took %v", time.Since(start))
	// Two batches, each an add and a remove write, plus one retry.
	if writes != 5 {
		t.Errorf("%d assignment writes, want 5 (2 batches × 2 + 1 retry after the conflict)", writes)
	}
	s := tc.waitFor("rebalance settled", settled)
	if got := assignmentOf(s); !reflect.DeepEqual(got, plan.Target) {
		t.Errorf("assignment after rebalance\n got %v\nwant %v", got, plan.Target)
	}

	// Drain Server_d.
	in, err := tc.store.GetInstance(tc.ctx, "Server_d")
	if err != nil {
		t.Fatal(err)
	}
	in.Draining = true
	if err := tc.store.PutInstance(tc.ctx, in); err != nil {
		t.Fatal(err)
	}
	s = tc.waitFor("Server_d draining", func(s *cluster.Snapshot) bool { return s.Instances["Server_d"].Draining })
	plans, err := Drain(s, "Server_d")
	if err != nil || len(plans) != 1 || len(plans[0].Moves) != 6 {
		t.Fatalf("drain: %v, %d plans", err, len(plans))
	}
	if err := ExecuteWith(tc.ctx, tc.store, tc.cache, plans[0], quiet, Options{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	s = tc.waitFor("drain settled", settled)
	for seg, reps := range assignmentOf(s) {
		if len(reps) != 2 || slices.Contains(reps, "Server_d") {
			t.Errorf("segment %s on %v after the drain", seg, reps)
		}
	}
	revs, violations := stop()
	for _, v := range violations {
		t.Error(v)
	}
	if revs < 25 {
		t.Errorf("watched only %d revisions", revs)
	}
	t.Logf("%d revisions checked", revs)
}

// TestExecuteFailures: a new replica that reports ERROR, one that never
// comes up and one on a server that is not live leave their segments on
// the old replicas and are named in the error; the other moves happen.
func TestExecuteFailures(t *testing.T) {
	tc := newTestCluster(t)
	tc.server("Server_a", serveOK)
	tc.server("Server_b", serveOK)
	tc.server("Server_e", serveError)
	tc.server("Server_z", serveSilent)
	tc.assign(map[string][]string{"s0": {"Server_a"}, "s1": {"Server_a"}, "s2": {"Server_a"}, "s3": {"Server_a"},
		"s4": {"Server_a"}, "s5": {"Server_a", "Server_b"}})
	tc.waitFor("initial segments ONLINE", func(s *cluster.Snapshot) bool { return len(s.Assign[tbl]) == 6 && settled(s) })
	stop := tc.watchServing(1)

	a, b := []string{"Server_a"}, []string{"Server_b"}
	plan := &Plan{Table: tbl, Moves: []Move{
		{Segment: "s0", From: a, To: []string{"Server_e"}},
		{Segment: "s1", From: a, To: []string{"Server_z"}},
		{Segment: "s2", From: a, To: b},
		{Segment: "s3", From: a, To: []string{"Server_a", "Server_b"}},
		{Segment: "s4", From: a, To: []string{"Server_gone"}},
		{Segment: "s5", From: []string{"Server_a", "Server_b"}, To: b}, // replication lowered
		{Segment: "deleted", From: a, To: b},                           // no longer exists: skipped
	}}
	timeout := 1500 * time.Millisecond
	start := time.Now()
	err := ExecuteWith(tc.ctx, tc.store, tc.cache, plan, quiet, Options{Timeout: timeout})
	var xe *ExecuteError
	if !errors.As(err, &xe) {
		t.Fatalf("execute: %v, want an *ExecuteError", err)
	}
	if took := time.Since(start); took < timeout || took > timeout+5*time.Second {
		t.Errorf("execute took %v with a timeout of %v", took, timeout)
	}
	got := map[string]string{}
	for _, f := range xe.Failed {
		got[f.Segment] = f.Reason
	}
	want := map[string]string{
		"s0": "Server_e reports ERROR: download: checksum mismatch",
		"s1": "Server_z not serving within 1.5s",
		"s4": "Server_gone is not live",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failed moves\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(err.Error(), `execute plan of table "t_OFFLINE": 3 segments kept their old replicas: s0 (Server_e reports ERROR`) {
		t.Errorf("error text: %v", err)
	}
	s := tc.waitFor("settled", settled)
	wantAsg := map[string][]string{"s0": a, "s1": a, "s2": b, "s3": {"Server_a", "Server_b"}, "s4": a, "s5": b}
	if got := assignmentOf(s); !reflect.DeepEqual(got, wantAsg) {
		t.Errorf("assignment\n got %v\nwant %v", got, wantAsg)
	}

	// Cancelling the context stops the wait at once; the segment keeps its
	// serving replica (the added one stays, over-replicated but safe).
	ctx, cancel := context.WithCancel(tc.ctx)
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	err = ExecuteWith(ctx, tc.store, tc.cache, &Plan{Table: tbl, Moves: []Move{{Segment: "s0", From: a, To: []string{"Server_z"}}}},
		quiet, Options{Timeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled execute: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled execute returned after %v", took)
	}
	s = tc.cache.Snapshot()
	if reps := s.Assign[tbl]["s0"].Replicas(); !reflect.DeepEqual(reps, []string{"Server_a", "Server_z"}) {
		t.Errorf("s0 on %v after the cancelled move, want Server_a and Server_z", reps)
	}

	revs, violations := stop()
	for _, v := range violations {
		t.Error(v)
	}
	t.Logf("%d revisions checked", revs)
}
