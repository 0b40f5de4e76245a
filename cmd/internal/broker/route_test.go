package broker

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

const day = int64(24 * time.Hour / time.Millisecond)

func routeSchema() *schema.Schema {
	return &schema.Schema{Name: "ev", Fields: []schema.FieldSpec{
		{Name: "uid", FieldType: schema.FieldDimension, DataType: schema.TypeLong, SingleValue: true},
		{Name: "ts", FieldType: schema.FieldDateTime, DataType: schema.TypeLong, SingleValue: true, Format: "1:MILLISECONDS:EPOCH"},
	}}
}

// segMeta is segment k's metadata: 100 rows over day k, users k*10..k*10+9.
func segMeta(name string, k int64) *segment.Meta {
	return &segment.Meta{Name: name, Table: "ev", NumDocs: 100, TimeColumn: "ts",
		StartTime: k * day, EndTime: (k+1)*day - 1, PartitionID: -1,
		Columns: []*segment.ColumnMeta{
			{Name: "uid", DataType: schema.TypeLong, SingleValue: true, Cardinality: 10,
				Min: segment.Bound{Int: k * 10}, Max: segment.Bound{Int: k*10 + 9}},
			{Name: "ts", DataType: schema.TypeLong, SingleValue: true, Cardinality: 100,
				Min: segment.Bound{Int: k * day}, Max: segment.Bound{Int: (k+1)*day - 1}},
		}}
}

func serverInst(name string, port int, enabled bool) *cluster.Instance {
	return &cluster.Instance{Name: name, Type: cluster.TypeServer, Host: "127.0.0.1", Port: port + 1000,
		GrpcPort: port, Tags: []string{"DefaultTenant_OFFLINE"}, Enabled: enabled}
}

type segSpec struct {
	name     string
	status   string
	pushMs   int64
	assigned map[string]string               // server → target state (nil: no assignment)
	view     map[string]cluster.SegmentState // server → reported state
}

// testSnapshot builds a snapshot of table ev_OFFLINE: servers s1, s2 (live,
// enabled), s3 (configured, not live) and s4 (live, disabled).
func testSnapshot(rev int64, segs []segSpec) *cluster.Snapshot {
	s := &cluster.Snapshot{
		Rev:      rev,
		Schemas:  map[string]*cluster.Schema{"ev": {Schema: routeSchema()}},
		Tables:   map[string]*cluster.Table{"ev_OFFLINE": {}},
		Segments: map[string]map[string]*cluster.Segment{"ev_OFFLINE": {}},
		Assign:   map[string]map[string]*cluster.Assignment{"ev_OFFLINE": {}},
		View:     map[string]map[string]map[string]cluster.SegmentState{"ev_OFFLINE": {}},
		Instances: map[string]*cluster.Instance{
			"s1": serverInst("s1", 1, true), "s2": serverInst("s2", 2, true), "s3": serverInst("s3", 3, true), "s4": serverInst("s4", 4, false),
		},
		Live: map[string]*cluster.Instance{"s1": serverInst("s1", 1, true), "s2": serverInst("s2", 2, true), "s4": serverInst("s4", 4, true)},
	}
	for k, sp := range segs {
		s.Segments["ev_OFFLINE"][sp.name] = &cluster.Segment{Table: "ev_OFFLINE", Meta: segMeta(sp.name, int64(k)),
			Status: sp.status, PushTimeMs: sp.pushMs}
		if sp.assigned != nil {
			s.Assign["ev_OFFLINE"][sp.name] = &cluster.Assignment{Instances: sp.assigned}
		}
		if sp.view != nil {
			s.View["ev_OFFLINE"][sp.name] = sp.view
		}
	}
	return s
}

var (
	online    = cluster.SegmentState{State: cluster.StateOnline}
	consuming = cluster.SegmentState{State: cluster.StateConsuming}
	errored   = cluster.SegmentState{State: cluster.StateError, Message: "crc"}
)

func routeFixture(now int64) []segSpec {
	on := cluster.StateOnline
	return []segSpec{
		{name: "a_both", status: "DONE", assigned: map[string]string{"s1": on, "s2": on},
			view: map[string]cluster.SegmentState{"s1": online, "s2": online}},
		{name: "b_one_dead", status: "DONE", assigned: map[string]string{"s1": on, "s3": on},
			view: map[string]cluster.SegmentState{"s1": online}},
		{name: "c_error_disabled", status: "DONE", assigned: map[string]string{"s2": on, "s4": on},
			view: map[string]cluster.SegmentState{"s2": errored, "s4": online}},
		{name: "d_new", status: "DONE", pushMs: now - 1000, assigned: map[string]string{"s1": on, "s2": on}},
		{name: "e_consuming", status: "IN_PROGRESS", assigned: map[string]string{"s1": cluster.StateConsuming},
			view: map[string]cluster.SegmentState{"s1": consuming}},
		{name: "f_new_but_dead", status: "DONE", pushMs: now - 1000, assigned: map[string]string{"s3": on}},
		{name: "g_unassigned", status: "DONE", pushMs: now},
		{name: "h_dropping", status: "DONE", assigned: map[string]string{"s1": cluster.StateDropped, "s2": on},
			view: map[string]cluster.SegmentState{"s1": online, "s2": online}},
		{name: "i_old_unreported", status: "DONE", pushMs: now - 2*NewSegmentGrace.Milliseconds(), assigned: map[string]string{"s1": on}},
	}
}

func TestBuildTableRoute(t *testing.T) {
	now := int64(1_700_000_000_000)
	tr := buildTableRoute(testSnapshot(1, routeFixture(now)), "ev_OFFLINE")
	if tr.Schema == nil || tr.Schema.Name != "ev" {
		t.Fatalf("schema %v", tr.Schema)
	}
	replicas := map[string][]string{}
	for _, rs := range tr.Segments {
		var names []string
		for _, r := range rs.Replicas {
			names = append(names, tr.Servers[r].Name)
		}
		replicas[rs.Name] = names
	}
	want := map[string][]string{
		"a_both": {"s1", "s2"}, "b_one_dead": {"s1"}, "c_error_disabled": nil, "d_new": nil,
		"e_consuming": {"s1"}, "f_new_but_dead": nil, "g_unassigned": nil, "h_dropping": {"s2"}, "i_old_unreported": nil,
	}
	for seg, w := range want {
		if got := replicas[seg]; !slices.Equal(got, w) {
			t.Errorf("%s: replicas %v, want %v", seg, got, w)
		}
	}
	for _, srv := range tr.Servers {
		if srv.Addr != "127.0.0.1:"+srv.Name[1:] {
			t.Errorf("server %s at %s: want the gRPC port of its live registration", srv.Name, srv.Addr)
		}
	}
	// Segments are in name order; consuming ones are marked.
	for i, rs := range tr.Segments {
		if i > 0 && tr.Segments[i-1].Name >= rs.Name {
			t.Errorf("segments out of order at %s", rs.Name)
		}
		if rs.Consuming != (rs.Name == "e_consuming") {
			t.Errorf("%s: consuming = %v", rs.Name, rs.Consuming)
		}
	}

	p := tr.plan(nil, now)
	var routed []string
	for _, i := range p.Segments {
		routed = append(routed, tr.Segments[i].Name)
	}
	if w := []string{"a_both", "b_one_dead", "e_consuming", "h_dropping"}; !slices.Equal(routed, w) {
		t.Errorf("routed %v, want %v", routed, w)
	}
	if w := []string{"c_error_disabled", "f_new_but_dead", "g_unassigned", "i_old_unreported"}; !slices.Equal(p.Unavailable, w) {
		t.Errorf("unavailable %v, want %v", p.Unavailable, w)
	}
	if p.New != 1 || p.Pruned != 0 {
		t.Errorf("new %d pruned %d, want 1 and 0", p.New, p.Pruned)
	}
	// Past the grace period the new segment is unavailable.
	if p := tr.plan(nil, now+NewSegmentGrace.Milliseconds()); !slices.Contains(p.Unavailable, "d_new") || p.New != 0 {
		t.Errorf("after the grace period: unavailable %v new %d", p.Unavailable, p.New)
	}
}

func TestPlanPrunes(t *testing.T) {
	on := cluster.StateOnline
	var segs []segSpec
	for _, n := range []string{"d0", "d1", "d2", "d3"} {
		segs = append(segs, segSpec{name: n, status: "DONE", assigned: map[string]string{"s1": on},
			view: map[string]cluster.SegmentState{"s1": online}})
	}
	segs[3].status = "IN_PROGRESS" // consuming: never pruned
	tr := buildTableRoute(testSnapshot(1, segs), "ev_OFFLINE")
	tests := []struct {
		where  string
		routed []string
	}{
		{"", []string{"d0", "d1", "d2", "d3"}},
		{"WHERE ts >= " + itoa(2*day), []string{"d2", "d3"}},
		{"WHERE ts < " + itoa(day), []string{"d0", "d3"}},
		{"WHERE uid = 15", []string{"d1", "d3"}},
		{"WHERE uid BETWEEN 5 AND 12", []string{"d0", "d1", "d3"}},
		{"WHERE uid IN (1, 25)", []string{"d0", "d2", "d3"}},
		{"WHERE uid = 15 OR uid = 25", []string{"d0", "d1", "d2", "d3"}},
		{"WHERE uid > 1000", []string{"d3"}},
	}
	for _, tt := range tests {
		st, err := sql.Parse("SELECT COUNT(*) FROM ev " + tt.where)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := exec.NewPruner(routeSchema(), "ev", st)
		if err != nil {
			t.Fatal(err)
		}
		p := tr.plan(pr, 0)
		var routed []string
		for _, i := range p.Segments {
			routed = append(routed, tr.Segments[i].Name)
		}
		if !slices.Equal(routed, tt.routed) || p.Pruned != 4-len(tt.routed) {
			t.Errorf("%q: routed %v (pruned %d), want %v", tt.where, routed, p.Pruned, tt.routed)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestPickReplica(t *testing.T) {
	reps := []int32{10, 20, 30}
	counts := map[int32]int{}
	for rot := uint64(0); rot < 300; rot++ {
		r, ok := pickReplica(reps, nil, rot)
		if !ok {
			t.Fatal("no replica")
		}
		counts[r]++
	}
	for _, r := range reps {
		if counts[r] != 100 {
			t.Errorf("replica %d chosen %d times of 300, want 100 (rotation)", r, counts[r])
		}
	}
	if r, ok := pickReplica(reps, []int32{20}, 1); !ok || r != 30 {
		t.Errorf("skip tried: got %d %v, want 30", r, ok)
	}
	if r, ok := pickReplica(reps, []int32{30, 10}, 2); !ok || r != 20 {
		t.Errorf("skip tried: got %d %v, want 20", r, ok)
	}
	if _, ok := pickReplica(reps, []int32{10, 20, 30}, 0); ok {
		t.Error("every replica tried: want none")
	}
	if _, ok := pickReplica(nil, nil, 0); ok {
		t.Error("no replicas: want none")
	}
}

func TestResolveTable(t *testing.T) {
	tables := map[string]*cluster.Table{"ev_OFFLINE": {}, "rt_REALTIME": {}, "hy_OFFLINE": {}, "hy_REALTIME": {}, "MixedCase_OFFLINE": {}}
	names := newRoutes(&cluster.Snapshot{Tables: tables}).names
	tests := []struct {
		written, want string
		code          int
	}{
		{"ev", "ev_OFFLINE", 0},
		{"ev_OFFLINE", "ev_OFFLINE", 0},
		{"EV", "ev_OFFLINE", 0},
		{"ev_offline", "ev_OFFLINE", 0},
		{"rt", "rt_REALTIME", 0},
		{"mixedcase", "MixedCase_OFFLINE", 0},
		{"ev_REALTIME", "", codeTableMissing},
		{"nosuch", "", codeTableMissing},
		{"hy", "", codePlanning},
		{"hy_REALTIME", "hy_REALTIME", 0},
	}
	for _, tt := range tests {
		got, qe := resolveTable(names, tables, tt.written)
		if tt.code != 0 {
			if qe == nil || qe.Code != tt.code {
				t.Errorf("resolveTable(%q) = %q, %v; want code %d", tt.written, got, qe, tt.code)
			}
			continue
		}
		if qe != nil || got != tt.want {
			t.Errorf("resolveTable(%q) = %q, %v; want %q", tt.written, got, qe, tt.want)
		}
	}
}

// TestRoutesCachedPerSnapshot: one snapshot builds a table's route once.
func TestRoutesCachedPerSnapshot(t *testing.T) {
	s1 := testSnapshot(1, routeFixture(0))
	rs := newRoutes(s1)
	a, b := rs.table("ev_OFFLINE"), rs.table("ev_OFFLINE")
	if a != b {
		t.Error("same snapshot: the route was built twice")
	}
	rs2 := newRoutes(testSnapshot(2, routeFixture(0)[:1]))
	if c := rs2.table("ev_OFFLINE"); c == a || len(c.Segments) != 1 {
		t.Errorf("new snapshot: got the old route (%d segments)", len(c.Segments))
	}
}

func BenchmarkPlan(b *testing.B) {
	on := cluster.StateOnline
	var segs []segSpec
	for i := 0; i < 64; i++ {
		segs = append(segs, segSpec{name: "seg" + strconv.Itoa(1000+i), status: "DONE",
			assigned: map[string]string{"s1": on, "s2": on},
			view:     map[string]cluster.SegmentState{"s1": online, "s2": online}})
	}
	tr := buildTableRoute(testSnapshot(1, segs), "ev_OFFLINE")
	st, err := sql.Parse("SELECT COUNT(*) FROM ev WHERE uid = 15 AND ts >= 0")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		pr, err := exec.NewPruner(routeSchema(), "ev", st)
		if err != nil {
			b.Fatal(err)
		}
		_ = tr.plan(pr, 0)
	}
}
