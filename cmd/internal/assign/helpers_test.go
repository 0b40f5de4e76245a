package assign

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/tableconfig"
)

const (
	tbl = "t_OFFLINE"
	tag = "DefaultTenant_OFFLINE"
)

// srv describes one instance of a hand-built snapshot.
type srv struct {
	name                               string
	tags                               []string // default: tag
	dead, disabled, draining, unlisted bool     // unlisted: live but its instances/ config deleted
	typ                                string   // default: server
}

// world is a hand-built cluster: instances, and per table the replicas of
// each segment.
type world struct {
	servers []srv
	assign  map[string]map[string][]string
	records map[string][]string // segment records without an assignment
	tables  map[string]tableconfig.TableConfig
}

func (w world) snapshot() *cluster.Snapshot {
	s := &cluster.Snapshot{Instances: map[string]*cluster.Instance{}, Live: map[string]*cluster.Instance{},
		Assign: map[string]map[string]*cluster.Assignment{}, Segments: map[string]map[string]*cluster.Segment{},
		Tables: map[string]*cluster.Table{}, View: map[string]map[string]map[string]cluster.SegmentState{}}
	for _, sv := range w.servers {
		tags, typ := sv.tags, sv.typ
		if tags == nil {
			tags = []string{tag}
		}
		if typ == "" {
			typ = cluster.TypeServer
		}
		in := &cluster.Instance{Name: sv.name, Type: typ, Tags: tags, Enabled: !sv.disabled, Draining: sv.draining}
		if !sv.unlisted {
			s.Instances[sv.name] = in
		}
		if !sv.dead {
			s.Live[sv.name] = in
		}
	}
	for table, segs := range w.assign {
		s.Assign[table] = map[string]*cluster.Assignment{}
		for seg, replicas := range segs {
			a := &cluster.Assignment{Instances: map[string]string{}, Rev: 7}
			for _, name := range replicas {
				a.Instances[name] = cluster.StateOnline
			}
			s.Assign[table][seg] = a
		}
	}
	for table, segs := range w.records {
		s.Segments[table] = map[string]*cluster.Segment{}
		for _, seg := range segs {
			s.Segments[table][seg] = &cluster.Segment{Table: table}
		}
	}
	for table, cfg := range w.tables {
		cfg := cfg
		s.Tables[table] = &cluster.Table{Config: &cfg}
	}
	return s
}

// names returns n server names: Server_a, Server_b, ...
func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Server_%c", 'a'+i)
	}
	return out
}

func servers(ns ...string) []srv {
	out := make([]srv, len(ns))
	for i, n := range ns {
		out[i] = srv{name: n}
	}
	return out
}

// roundRobin assigns n segments with r replicas each: segment i on
// servers i, i+1, ... (mod len(over)).
func roundRobin(n, r int, over []string) map[string][]string {
	out := map[string][]string{}
	for i := range n {
		var reps []string
		for j := range r {
			reps = append(reps, over[(i+j)%len(over)])
		}
		slices.Sort(reps)
		out[fmt.Sprintf("seg%02d", i)] = reps
	}
	return out
}

// loadOf counts replicas per server in an assignment.
func loadOf(a map[string][]string) map[string]int {
	out := map[string]int{}
	for _, reps := range a {
		for _, n := range reps {
			out[n]++
		}
	}
	return out
}

// checkPlan verifies what every rebalance plan must satisfy on s: each
// segment gets `replicas` distinct eligible servers, every eligible server
// ends with floor or ceil of the average, the moves are exactly the changed
// segments, and a second rebalance from the target moves nothing.
func checkPlan(t *testing.T, s *cluster.Snapshot, p *Plan, replicas int) {
	t.Helper()
	elig := eligibleServers(s, tag, "")
	total := len(p.Target) * replicas
	changed := 0
	for seg, to := range p.Target {
		if len(to) != replicas {
			t.Errorf("segment %s: %d replicas %v, want %d", seg, len(to), to, replicas)
		}
		if !slices.IsSorted(to) || len(slices.Compact(slices.Clone(to))) != len(to) {
			t.Errorf("segment %s: replicas %v not sorted and distinct", seg, to)
		}
		for _, n := range to {
			if !slices.Contains(elig, n) {
				t.Errorf("segment %s: replica on ineligible server %s", seg, n)
			}
		}
		if !slices.Equal(to, p.Current[seg]) {
			changed++
		}
	}
	if changed != len(p.Moves) {
		t.Errorf("%d segments change, %d moves", changed, len(p.Moves))
	}
	for _, m := range p.Moves {
		if !slices.Equal(m.From, p.Current[m.Segment]) || !slices.Equal(m.To, p.Target[m.Segment]) {
			t.Errorf("move %+v does not match current %v / target %v", m, p.Current[m.Segment], p.Target[m.Segment])
		}
	}
	if len(elig) > 0 && total > 0 {
		lo, hi := total/len(elig), (total+len(elig)-1)/len(elig)
		after := loadOf(p.Target)
		for _, n := range elig {
			if after[n] < lo || after[n] > hi || p.LoadAfter[n] != after[n] {
				t.Errorf("server %s ends with %d replicas (LoadAfter %d), want %d..%d", n, after[n], p.LoadAfter[n], lo, hi)
			}
		}
	}
	// Idempotent: the target is balanced already.
	s2 := *s
	s2.Assign = map[string]map[string]*cluster.Assignment{}
	for table, segs := range s.Assign {
		s2.Assign[table] = segs
	}
	s2.Assign[p.Table] = map[string]*cluster.Assignment{}
	for seg, to := range p.Target {
		a := &cluster.Assignment{Instances: map[string]string{}}
		for _, n := range to {
			a.Instances[n] = cluster.StateOnline
		}
		s2.Assign[p.Table][seg] = a
	}
	p2, err := Rebalance(&s2, p.Table, tag, replicas)
	if err != nil {
		t.Fatalf("rebalance of the target: %v", err)
	}
	if len(p2.Moves) != 0 {
		t.Errorf("rebalance of the target moves %d segments: %+v", len(p2.Moves), p2.Moves)
	}
}
