package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/segment"
)

func TestConfig(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := DefaultConfig()
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"-admin-port", "18097", "-grpc-port", "18090", "-data-dir", "/d",
		"-tags", "A_OFFLINE, B_REALTIME", "-load-parallelism", "4"}); err != nil {
		t.Fatal(err)
	}
	want := Config{AdminPort: 18097, GRPCPort: 18090, DataDir: "/d", Tags: []string{"A_OFFLINE", "B_REALTIME"},
		LoadParallelism: 4, ShutdownTimeout: 5 * time.Second}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("parsed %+v, want %+v", cfg, want)
	}
	def := DefaultConfig()
	if err := def.Validate(); err != nil || def.AdminPort != 8097 || def.GRPCPort != 8090 {
		t.Fatalf("defaults %+v: %v", def, err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"port range", func(c *Config) { c.AdminPort = 70000 }, "-admin-port 70000: must be in 0..65535"},
		{"negative port", func(c *Config) { c.GRPCPort = -1 }, "-grpc-port -1: must be in 0..65535"},
		{"same ports", func(c *Config) { c.GRPCPort = c.AdminPort }, "-admin-port and -grpc-port: both are 8097"},
		{"data dir", func(c *Config) { c.DataDir = "" }, "-data-dir: must be set"},
		{"no tags", func(c *Config) { c.Tags = nil }, "-tags: at least one tenant tag is needed"},
		{"bad tag", func(c *Config) { c.Tags = []string{"a b"} }, `-tags: tag "a b" must be non-empty without spaces, '/' or ','`},
		{"parallelism", func(c *Config) { c.LoadParallelism = 0 }, "-load-parallelism 0: must be at least 1"},
		{"shutdown", func(c *Config) { c.ShutdownTimeout = 0 }, "-shutdown-timeout 0s: must be positive"},
		{"both ports free", func(c *Config) { c.AdminPort, c.GRPCPort = 0, 0 }, ""},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDesired(t *testing.T) {
	rec := func(name string) *cluster.Segment {
		return &cluster.Segment{Table: "t_OFFLINE", Meta: &segment.Meta{Name: name}}
	}
	a, b, c, d := rec("a"), rec("b"), rec("c"), rec("d")
	snap := &cluster.Snapshot{
		Segments: map[string]map[string]*cluster.Segment{"t_OFFLINE": {"a": a, "b": b, "c": c, "d": d}},
		Assign: map[string]map[string]*cluster.Assignment{
			"t_OFFLINE": {
				"a": {Instances: map[string]string{"me": cluster.StateOnline, "other": cluster.StateOnline}},
				"b": {Instances: map[string]string{"other": cluster.StateOnline}},
				"c": {Instances: map[string]string{"me": cluster.StateOffline}},
				"d": {Instances: map[string]string{"me": cluster.StateOnline}},
				"e": {Instances: map[string]string{"me": cluster.StateOnline}}, // no record
			},
			"u_OFFLINE": {"x": {Instances: map[string]string{"me": cluster.StateOnline}}}, // no records
		},
	}
	got := desired(snap, "me")
	want := map[segKey]*cluster.Segment{{"t_OFFLINE", "a"}: a, {"t_OFFLINE", "d"}: d}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("desired %v, want %v", got, want)
	}
	if got := desired(snap, "nobody"); len(got) != 0 {
		t.Fatalf("desired for an unassigned server: %v", got)
	}
}

func TestStatusTable(t *testing.T) {
	_, parseErr := sql.Parse("SELEC 1")
	live := context.Background()
	canceled, cancel := context.WithCancel(live)
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		code codes.Code
	}{
		{"sql", live, parseErr, codes.InvalidArgument},
		{"unknown column", live, fmt.Errorf("plan: %w", exec.ErrUnknownColumn), codes.InvalidArgument},
		{"planning", live, fmt.Errorf("plan: %w", exec.ErrPlanning), codes.InvalidArgument},
		{"unknown table", live, fmt.Errorf("table %q: %w", "x", errUnknownTable), codes.NotFound},
		{"timeout", live, fmt.Errorf("q: %w", exec.ErrTimeout), codes.DeadlineExceeded},
		{"deadline", live, fmt.Errorf("q: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"canceled", live, context.Canceled, codes.Canceled},
		{"other", live, errors.New("disk on fire"), codes.Internal},
		{"other after cancel", canceled, errors.New("broken pipe"), codes.Canceled},
		{"planning after cancel", canceled, exec.ErrPlanning, codes.InvalidArgument},
	} {
		err := toStatus(tc.ctx, tc.err)
		st, _ := status.FromError(err)
		if st.Code() != tc.code || st.Message() != tc.err.Error() {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, st.Code(), st.Message(), tc.code, tc.err.Error())
		}
	}
	if toStatus(live, nil) != nil {
		t.Error("nil error became a status")
	}
}

func TestUnloadWaitsForQueries(t *testing.T) {
	h := newHarness(t)
	cfg := testConfig(t.TempDir())
	s := h.start(cfg)
	name := s.InstanceName()
	p, m := h.build("tx_0", 1000, 1)
	h.push(p, m, false, name)
	h.waitOnline("tx_0", name)

	segs, held, missing := s.segs.acquire(testTable, []string{"tx_0", "nope"})
	if len(segs) != 1 || !slices.Equal(missing, []string{"nope"}) {
		t.Fatalf("acquire: %d segments, missing %v", len(segs), missing)
	}
	h.assign("tx_0")
	// The state goes first, so brokers stop routing...
	h.waitGone("tx_0", name)
	// ...while the query holding the segment still reads it.
	time.Sleep(200 * time.Millisecond)
	file := filepath.Join(cfg.DataDir, testTable, "tx_0.tseg")
	if !fileExists(file) {
		t.Fatal("file deleted under a running query")
	}
	res, err := exec.Query(h.ctx, &exec.Table{Name: "tx", Schema: h.sch, Segments: segs}, "SELECT COUNT(*), MAX(n) FROM tx")
	if err != nil || res.Rows[0][0] != int64(1000) {
		t.Fatalf("query on a held segment: %v %v", res, err)
	}
	// New queries no longer get it.
	if _, _, missing := s.segs.acquire(testTable, []string{"tx_0"}); len(missing) != 1 {
		t.Fatal("an unassigned segment was handed to a new query")
	}
	release(held)
	waitFor(t, "file removal after the query ended", func() bool { return !fileExists(file) })
}

func TestFailedReloadReportsError(t *testing.T) {
	h := newHarness(t)
	s := h.start(testConfig(t.TempDir()))
	name := s.InstanceName()
	p, m := h.build("tx_0", 200, 1)
	h.push(p, m, false, name)
	h.waitOnline("tx_0", name)
	// A re-upload whose record has a CRC the file does not have.
	p2, m2 := h.build("tx_0", 300, 2)
	m2.CRC ^= 1
	h.push(p2, m2, true)
	st := h.waitState("tx_0", name, func(st cluster.SegmentState, present bool) bool {
		return present && st.State == cluster.StateError
	})
	if want := `load segment "tx_0" of table "tx_OFFLINE": downloaded file has CRC`; len(st.Message) < len(want) || st.Message[:len(want)] != want {
		t.Fatalf("message %q", st.Message)
	}
	// The old version is unloaded: it is not what the cluster wants.
	waitFor(t, "old version unloaded", func() bool {
		_, held, _ := s.segs.acquire(testTable, []string{"tx_0"})
		release(held)
		return len(held) == 0
	})
}

func TestLeaseLossRegistersAgain(t *testing.T) {
	h := newHarness(t)
	s := h.start(testConfig(t.TempDir()))
	name := s.InstanceName()
	p, m := h.build("tx_0", 100, 1)
	h.push(p, m, false, name)
	h.waitOnline("tx_0", name)
	started := h.cache.Snapshot().Live[name].StartTimeMs

	// Lose the lease (as when etcd was unreachable past the TTL): the
	// live key and the states go with it.
	cli := h.store.Client()
	leases, err := cli.Leases(h.ctx)
	if err != nil || len(leases.Leases) != 1 {
		t.Fatalf("leases %v: %v", leases, err)
	}
	time.Sleep(5 * time.Millisecond) // a later StartTimeMs for the new registration
	resp, err := cli.Revoke(h.ctx, leases.Leases[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	if _, err := h.cache.WaitRev(ctx, resp.Header.Revision); err != nil {
		t.Fatal(err)
	}
	// The server registers again and reports its segments again.
	if _, err := h.cache.WaitFor(ctx, func(s *cluster.Snapshot) bool {
		in := s.Live[name]
		return in != nil && in.StartTimeMs > started
	}); err != nil {
		t.Fatalf("no new registration: %v", err)
	}
	h.waitOnline("tx_0", name)
	waitFor(t, "ready", s.Ready)
}

func TestLoadParallelism(t *testing.T) {
	h := newHarness(t)
	h.ds.gate = make(chan struct{})
	cfg := testConfig(t.TempDir())
	cfg.LoadParallelism = 2
	n := newName(t, h, cfg)
	for i := range 5 {
		p, m := h.build(fmt.Sprintf("tx_%d", i), 100, uint64(i+1))
		h.push(p, m, false, n.name)
	}
	s := h.start(n.cfg)
	waitFor(t, "two downloads", func() bool { return h.ds.active.Load() == 2 })
	time.Sleep(100 * time.Millisecond)
	if got := h.ds.most.Load(); got != 2 {
		t.Fatalf("%d downloads at once, want 2", got)
	}
	if s.Ready() {
		t.Fatal("ready while loading")
	}
	// The watch loop is not blocked by the loads: unassigning every
	// segment aborts the queued and the running loads alike.
	var all []string
	for i := range 5 {
		all = append(all, fmt.Sprintf("tx_%d", i))
	}
	h.assignAll(all)
	waitFor(t, "loads aborted", func() bool { return h.ds.active.Load() == 0 })
	waitFor(t, "ready", s.Ready)
	if got := h.ds.gets.Load(); got != 2 {
		t.Fatalf("%d downloads started, want 2 (the others were queued when aborted)", got)
	}
	// Assigned again, all load with the gate open, two at a time.
	close(h.ds.gate)
	h.assignAll(all, n.name)
	for i := range 5 {
		h.waitOnline(fmt.Sprintf("tx_%d", i), n.name)
	}
	if segs := s.segs.list(testTable); len(segs) != 5 {
		t.Fatalf("listed %v", segs)
	}
}
