package assign

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

func TestRebalance(t *testing.T) {
	abc, abcd := names(3), names(4)
	tests := []struct {
		name     string
		w        world
		replicas int
		// wantMoves is the number of segments that move; wantAdds the
		// number of replicas placed on a server that did not hold them.
		wantMoves, wantAdds int
		wantAfter           map[string]int
		wantErr             string
	}{
		{
			name:     "a fourth server takes exactly its share",
			w:        world{servers: servers(abcd...), assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abc)}},
			replicas: 2, wantMoves: 6, wantAdds: 6,
			wantAfter: map[string]int{"Server_a": 6, "Server_b": 6, "Server_c": 6, "Server_d": 6},
		},
		{
			name: "a dead server's replicas spread over the others",
			w: world{servers: append(servers(abc...), srv{name: "Server_d", dead: true}),
				assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abcd)}},
			replicas: 2, wantMoves: 6, wantAdds: 6,
			wantAfter: map[string]int{"Server_a": 8, "Server_b": 8, "Server_c": 8},
		},
		{
			name: "a removed server (config deleted, still live) is left",
			w: world{servers: append(servers(abc...), srv{name: "Server_d", unlisted: true}),
				assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abcd)}},
			replicas: 2, wantMoves: 6, wantAdds: 6,
			wantAfter: map[string]int{"Server_a": 8, "Server_b": 8, "Server_c": 8},
		},
		{
			name: "draining, disabled and untagged servers are left",
			w: world{servers: append(servers("Server_a", "Server_b"),
				srv{name: "Server_c", draining: true}, srv{name: "Server_d", disabled: true},
				srv{name: "Server_e", tags: []string{"Other_OFFLINE"}}),
				assign: map[string]map[string][]string{tbl: {"s1": {"Server_c", "Server_d"}, "s2": {"Server_a", "Server_e"}}}},
			replicas: 2, wantMoves: 2, wantAdds: 3,
			wantAfter: map[string]int{"Server_a": 2, "Server_b": 2},
		},
		{
			name:     "replication raised from 2 to 3",
			w:        world{servers: servers(abc...), assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abc)}},
			replicas: 3, wantMoves: 12, wantAdds: 12,
			wantAfter: map[string]int{"Server_a": 12, "Server_b": 12, "Server_c": 12},
		},
		{
			name:     "replication lowered from 2 to 1",
			w:        world{servers: servers(abc...), assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abc)}},
			replicas: 1, wantMoves: 12, wantAdds: 0,
			wantAfter: map[string]int{"Server_a": 4, "Server_b": 4, "Server_c": 4},
		},
		{
			name:     "balanced already: nothing moves",
			w:        world{servers: servers(abcd...), assign: map[string]map[string][]string{tbl: roundRobin(12, 2, abcd)}},
			replicas: 2, wantMoves: 0,
			wantAfter: map[string]int{"Server_a": 6, "Server_b": 6, "Server_c": 6, "Server_d": 6},
		},
		{
			name: "uneven total: the ceil shares stay where the replicas are",
			// 11 segments x 2 on 3 servers: 8, 7, 7; with a 4th: 6, 6, 5, 5.
			w:        world{servers: servers(abcd...), assign: map[string]map[string][]string{tbl: roundRobin(11, 2, abc)}},
			replicas: 2, wantMoves: 5, wantAdds: 5,
			wantAfter: map[string]int{"Server_a": 6, "Server_b": 6, "Server_c": 5, "Server_d": 5},
		},
		{
			name: "segments without an assignment are placed",
			w: world{servers: servers(abc...), assign: map[string]map[string][]string{},
				records: map[string][]string{tbl: {"s1", "s2", "s3"}}},
			replicas: 1, wantMoves: 3, wantAdds: 3,
			wantAfter: map[string]int{"Server_a": 1, "Server_b": 1, "Server_c": 1},
		},
		{
			name: "load from other tables breaks ties",
			w: world{servers: servers(abc...), assign: map[string]map[string][]string{
				"other_OFFLINE": {"o1": {"Server_a", "Server_c"}, "o2": {"Server_a"}},
				tbl:             {"s1": nil, "s2": nil},
			}},
			replicas: 1, wantMoves: 2, wantAdds: 2,
			wantAfter: map[string]int{"Server_a": 0, "Server_b": 1, "Server_c": 1},
		},
		{
			name: "over-replicated segment on a dead server and a live one",
			w: world{servers: append(servers(abc...), srv{name: "Server_x", dead: true}),
				assign: map[string]map[string][]string{tbl: {
					"s1": {"Server_a", "Server_b", "Server_c", "Server_x"}, "s2": {"Server_x"}, "s3": {"Server_b"},
				}}},
			replicas: 1, wantMoves: 2, wantAdds: 1,
			wantAfter: map[string]int{"Server_a": 1, "Server_b": 1, "Server_c": 1},
		},
		{
			name:      "an empty table needs no servers",
			w:         world{servers: nil, assign: map[string]map[string][]string{}},
			replicas:  3,
			wantAfter: map[string]int{},
		},
		{
			name:     "not enough servers",
			w:        world{servers: append(servers("Server_a", "Server_b"), srv{name: "Server_c", dead: true}), assign: map[string]map[string][]string{tbl: roundRobin(4, 1, abc)}},
			replicas: 3,
			wantErr:  `rebalance table "t_OFFLINE": tag "DefaultTenant_OFFLINE": need 3 live, enabled, non-draining servers, 2 qualify (3 registered with the tag, 2 of them live)`,
		},
		{
			name:     "no server at all",
			w:        world{assign: map[string]map[string][]string{tbl: roundRobin(4, 1, abc)}},
			replicas: 1,
			wantErr:  "need 1 live, enabled, non-draining servers, 0 qualify",
		},
		{
			name:     "replication zero",
			w:        world{servers: servers(abc...), assign: map[string]map[string][]string{tbl: roundRobin(4, 1, abc)}},
			replicas: 0,
			wantErr:  "replication 0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.w.snapshot()
			p, err := Rebalance(s, tbl, tag, tc.replicas)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, s, p, tc.replicas)
			if len(p.Moves) != tc.wantMoves {
				t.Errorf("%d moves, want %d: %+v", len(p.Moves), tc.wantMoves, p.Moves)
			}
			adds := 0
			for _, m := range p.Moves {
				for _, n := range m.To {
					if !slices.Contains(m.From, n) {
						adds++
					}
				}
			}
			if adds != tc.wantAdds {
				t.Errorf("%d replicas added, want %d", adds, tc.wantAdds)
			}
			after := loadOf(p.Target)
			for n, want := range tc.wantAfter {
				if after[n] != want {
					t.Errorf("server %s: %d replicas after, want %d (all: %v)", n, after[n], want, after)
				}
			}
		})
	}
}

func TestRebalanceErrorKinds(t *testing.T) {
	s := world{servers: servers("Server_a"), assign: map[string]map[string][]string{tbl: {"s": {"Server_a"}}}}.snapshot()
	if _, err := Rebalance(s, tbl, tag, 2); !errors.Is(err, ErrNotEnoughServers) {
		t.Errorf("two replicas on one server: %v, want ErrNotEnoughServers", err)
	}
	if _, err := Rebalance(s, tbl, tag, -1); !errors.Is(err, ErrInvalidReplication) {
		t.Errorf("replication -1: %v, want ErrInvalidReplication", err)
	}
}

// TestRebalanceFewestMoves checks, on random clusters, that the plan is
// valid and balanced and places no more replicas than the exact optimum a
// min-cost flow finds (naiveMinAdds).
func TestRebalanceFewestMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 400 {
		nServers := 1 + rng.IntN(6)
		all := names(nServers + 1)
		var svs []srv
		for _, n := range all[:nServers] {
			sv := srv{name: n}
			switch rng.IntN(8) {
			case 0:
				sv.dead = true
			case 1:
				sv.draining = true
			}
			svs = append(svs, sv)
		}
		w := world{servers: svs, assign: map[string]map[string][]string{tbl: {}, "other_OFFLINE": {}}}
		replicas := 1 + rng.IntN(3)
		nSegs := rng.IntN(25)
		for i := range nSegs {
			var reps []string
			for _, n := range all { // all[nServers] was never registered
				if rng.IntN(3) == 0 {
					reps = append(reps, n)
				}
			}
			w.assign[tbl][fmt.Sprintf("s%02d", i)] = reps
			w.assign["other_OFFLINE"][fmt.Sprintf("o%02d", i)] = reps
		}
		s := w.snapshot()
		t.Run(fmt.Sprint(iter), func(t *testing.T) {
			p, err := Rebalance(s, tbl, tag, replicas)
			elig := eligibleServers(s, tag, "")
			if nSegs > 0 && len(elig) < replicas {
				if !errors.Is(err, ErrNotEnoughServers) {
					t.Fatalf("%d eligible servers for %d replicas: %v", len(elig), replicas, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, s, p, replicas)
			if again, _ := Rebalance(s, tbl, tag, replicas); !reflect.DeepEqual(p, again) {
				t.Fatal("two rebalances of one snapshot differ")
			}
			adds := 0
			for seg, to := range p.Target {
				for _, n := range to {
					if !slices.Contains(p.Current[seg], n) {
						adds++
					}
				}
			}
			if best := naiveMinAdds(s, tbl, tag, replicas); adds != best {
				t.Errorf("plan places %d replicas, the optimum %d", adds, best)
			}
		})
	}
}

func TestRebalanceDeterministic(t *testing.T) {
	w := world{servers: servers(names(5)...), assign: map[string]map[string][]string{
		tbl: roundRobin(40, 3, names(3)), "other_OFFLINE": roundRobin(7, 1, names(5)),
	}}
	first, err := Rebalance(w.snapshot(), tbl, tag, 2)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		p, err := Rebalance(w.snapshot(), tbl, tag, 2) // fresh maps, fresh iteration orders
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, p) {
			t.Fatal("rebalance is not deterministic")
		}
	}
}

func TestPlanJSON(t *testing.T) {
	w := world{servers: servers("Server_a", "Server_b"), assign: map[string]map[string][]string{tbl: {"s1": {"Server_a"}, "s2": {"Server_a"}}}}
	p, err := Rebalance(w.snapshot(), tbl, tag, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"tableNameWithType":"t_OFFLINE",` +
		`"currentAssignment":{"s1":["Server_a"],"s2":["Server_a"]},` +
		`"targetAssignment":{"s1":["Server_b"],"s2":["Server_a"]},` +
		`"moves":[{"segment":"s1","from":["Server_a"],"to":["Server_b"]}],` +
		`"segmentsPerServerBefore":{"Server_a":2,"Server_b":0},` +
		`"segmentsPerServerAfter":{"Server_a":1,"Server_b":1}}`
	if string(got) != want {
		t.Errorf("plan JSON\n got %s\nwant %s", got, want)
	}
	empty, err := Rebalance(world{}.snapshot(), tbl, tag, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(empty)
	if want := `{"tableNameWithType":"t_OFFLINE","currentAssignment":{},"targetAssignment":{},"moves":[],"segmentsPerServerBefore":{},"segmentsPerServerAfter":{}}`; string(got) != want {
		t.Errorf("empty plan JSON\n got %s\nwant %s", got, want)
	}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		name     string
		w        world
		replicas int
		want     []string
		wantErr  string
	}{
		{
			name: "least loaded over all tables, ties by name",
			w: world{servers: servers(names(4)...), assign: map[string]map[string][]string{
				tbl:             {"s1": {"Server_a", "Server_b"}, "s2": {"Server_a"}},
				"other_OFFLINE": {"o1": {"Server_a", "Server_c"}},
			}},
			replicas: 2, want: []string{"Server_b", "Server_d"},
		},
		{
			name: "only live, registered, enabled, non-draining servers with the tag",
			w: world{servers: []srv{
				{name: "Server_a", dead: true}, {name: "Server_b", disabled: true}, {name: "Server_c", draining: true},
				{name: "Server_d", tags: []string{"Other_OFFLINE"}}, {name: "Server_e", unlisted: true},
				{name: "Broker_f", typ: cluster.TypeBroker}, {name: "Server_g"}, {name: "Server_h"},
			}, assign: map[string]map[string][]string{tbl: {"s1": {"Server_g"}}}},
			replicas: 2, want: []string{"Server_g", "Server_h"},
		},
		{
			name:     "not enough",
			w:        world{servers: append(servers("Server_a"), srv{name: "Server_b", dead: true}, srv{name: "Server_c", tags: []string{"X"}})},
			replicas: 2,
			wantErr:  `place segment: tag "DefaultTenant_OFFLINE": need 2 live, enabled, non-draining servers, 1 qualify (2 registered with the tag, 1 of them live): not enough eligible servers`,
		},
		{name: "replication zero", w: world{servers: servers("Server_a")}, replicas: 0, wantErr: "replication 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Place(tc.w.snapshot(), tag, tc.replicas)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("placed on %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPlaceSpreads places segments one by one, as uploads do: the servers
// end within one replica of each other and no segment repeats a server.
func TestPlaceSpreads(t *testing.T) {
	w := world{servers: servers(names(3)...), assign: map[string]map[string][]string{tbl: {}}}
	for i := range 13 {
		got, err := Place(w.snapshot(), tag, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] == got[1] {
			t.Fatalf("segment %d placed on %v", i, got)
		}
		w.assign[tbl][fmt.Sprint(i)] = got
	}
	load := loadOf(w.assign[tbl])
	if want := map[string]int{"Server_a": 9, "Server_b": 9, "Server_c": 8}; !reflect.DeepEqual(load, want) {
		t.Errorf("load %v, want %v", load, want)
	}
}
