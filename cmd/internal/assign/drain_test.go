package assign

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/tableconfig"
)

func TestDrain(t *testing.T) {
	rt := "r_REALTIME"
	cfg := func(tenant string, replication int) tableconfig.TableConfig {
		return tableconfig.TableConfig{Tenants: tableconfig.TenantsConfig{Server: tenant}, Segments: tableconfig.SegmentsConfig{Replication: replication}}
	}
	tests := []struct {
		name    string
		w       world
		server  string
		want    map[string]map[string][]string // table → segment → target, for the tables that move
		wantErr string
	}{
		{
			name: "only the drained server's replicas move, to the least loaded",
			w: world{servers: append(servers("Server_a", "Server_b", "Server_c"), srv{name: "Server_d", draining: true}),
				tables: map[string]tableconfig.TableConfig{tbl: cfg("", 2)},
				assign: map[string]map[string][]string{
					tbl: {"s1": {"Server_a", "Server_d"}, "s2": {"Server_b", "Server_d"}, "s3": {"Server_a", "Server_b"}, "s4": {"Server_c", "Server_d"}},
					// Load elsewhere: c is busiest overall, b least.
					"busy_OFFLINE": {"o1": {"Server_c"}, "o2": {"Server_c"}, "o3": {"Server_a"}},
				}},
			server: "Server_d",
			want: map[string]map[string][]string{tbl: {
				"s1": {"Server_a", "Server_c"}, // table loads a2 b2 c1: c
				"s2": {"Server_a", "Server_b"}, // a2 b2 c2: a (3 overall) before c (4)
				"s3": {"Server_a", "Server_b"},
				"s4": {"Server_b", "Server_c"}, // a3 b2 c2: b (fewer overall)
			}},
		},
		{
			name: "every table, each with its own tenant tag and replication",
			w: world{servers: []srv{
				{name: "Server_a", tags: []string{tag, "T2_REALTIME"}}, {name: "Server_b"},
				{name: "Server_c", tags: []string{"T2_REALTIME"}},
			},
				tables: map[string]tableconfig.TableConfig{tbl: cfg("", 1), rt: cfg("T2", 1)},
				assign: map[string]map[string][]string{
					tbl: {"s1": {"Server_a"}}, rt: {"r1": {"Server_a"}}, "idle_OFFLINE": {"x": {"Server_b"}},
				}},
			server: "Server_a",
			want: map[string]map[string][]string{
				rt:  {"r1": {"Server_c"}},
				tbl: {"s1": {"Server_b"}},
			},
		},
		{
			name: "a segment over its replication just loses the replica",
			w: world{servers: servers("Server_a", "Server_b", "Server_c"), tables: map[string]tableconfig.TableConfig{tbl: cfg("", 1)},
				assign: map[string]map[string][]string{tbl: {"s1": {"Server_a", "Server_b"}}}},
			server: "Server_a",
			want:   map[string]map[string][]string{tbl: {"s1": {"Server_b"}}},
		},
		{
			name: "a table without config keeps its replica count on the default tenant",
			w: world{servers: servers("Server_a", "Server_b", "Server_c"),
				assign: map[string]map[string][]string{tbl: {"s1": {"Server_a", "Server_b"}}}},
			server: "Server_a",
			want:   map[string]map[string][]string{tbl: {"s1": {"Server_b", "Server_c"}}},
		},
		{
			name:   "a server with nothing gives no plans",
			w:      world{servers: servers("Server_a", "Server_b"), assign: map[string]map[string][]string{tbl: {"s1": {"Server_b"}}}},
			server: "Server_a",
			want:   map[string]map[string][]string{},
		},
		{
			name: "no other server can take it",
			w: world{servers: append(servers("Server_a", "Server_b"), srv{name: "Server_c", dead: true}),
				tables: map[string]tableconfig.TableConfig{tbl: cfg("", 2)},
				assign: map[string]map[string][]string{tbl: {"s1": {"Server_a", "Server_b"}}}},
			server:  "Server_a",
			wantErr: `drain server "Server_a": table "t_OFFLINE" segment "s1": tag "DefaultTenant_OFFLINE": need 2 live, enabled, non-draining servers, 1 qualify (3 registered with the tag, 2 of them live)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.w.snapshot()
			plans, err := Drain(s, tc.server)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrNotEnoughServers) {
					t.Fatalf("error %v, want ErrNotEnoughServers containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string][]string{}
			for _, p := range plans {
				got[p.Table] = p.Target
				if p.LoadAfter[tc.server] != 0 {
					t.Errorf("table %s: %s keeps %d replicas", p.Table, tc.server, p.LoadAfter[tc.server])
				}
				for _, m := range p.Moves {
					if !reflect.DeepEqual(m.From, p.Current[m.Segment]) || !reflect.DeepEqual(m.To, p.Target[m.Segment]) {
						t.Errorf("move %+v does not match the plan", m)
					}
				}
				for seg, to := range p.Target {
					from := p.Current[seg]
					for _, n := range from {
						if n != tc.server && !slices.Contains(to, n) {
							t.Errorf("table %s segment %s: replica on %s moved though only %s drains", p.Table, seg, n, tc.server)
						}
					}
				}
				if again, _ := Drain(s, tc.server); !reflect.DeepEqual(plans, again) {
					t.Error("two drains of one snapshot differ")
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("targets\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestDrainThenRebalance: after a drain, the drained server (now marked
// draining) holds nothing and a rebalance only evens out the others.
func TestDrainThenRebalance(t *testing.T) {
	w := world{servers: servers(names(4)...), assign: map[string]map[string][]string{tbl: roundRobin(12, 2, names(4))}}
	plans, err := Drain(w.snapshot(), "Server_d")
	if err != nil || len(plans) != 1 {
		t.Fatalf("drain: %v, %d plans", err, len(plans))
	}
	if len(plans[0].Moves) != 6 {
		t.Errorf("drain moves %d segments, want the 6 on Server_d", len(plans[0].Moves))
	}
	w.assign[tbl] = plans[0].Target
	w.servers[3].draining = true
	s := w.snapshot()
	p, err := Rebalance(s, tbl, tag, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, s, p, 2)
	if p.LoadAfter["Server_d"] != 0 {
		t.Errorf("Server_d ends with %d", p.LoadAfter["Server_d"])
	}
}
