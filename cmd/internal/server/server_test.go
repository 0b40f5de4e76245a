package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// openAll opens built segment files in process, for reference answers.
func openAll(t *testing.T, paths ...string) []segment.Segment {
	t.Helper()
	var out []segment.Segment
	for _, p := range paths {
		s, err := immutable.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// queryServer sends one fragment and reduces the partial like a broker.
func (h *harness) queryServer(t *testing.T, c querypb.QueryClient, query string, segs ...string) (*exec.Result, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	resp, err := c.Execute(ctx, &querypb.ExecuteRequest{RequestId: "t1", Table: testTable, Sql: query, Segments: segs})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	part, err := exec.UnmarshalPartial(resp.GetPartial())
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	st, err := sql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Reduce(ctx, h.sch, "tx", st, []*exec.Partial{part})
	if err != nil {
		t.Fatalf("%s: reduce: %v", query, err)
	}
	return res, resp.GetMissingSegments()
}

func TestServeAndQuery(t *testing.T) {
	h := newHarness(t)
	// Two segments are here before the server starts, a third arrives
	// later, a fourth belongs to another server.
	p0, m0 := h.build("tx_0", 3000, 1)
	p1, m1 := h.build("tx_1", 2000, 2)
	p2, m2 := h.build("tx_2", 2500, 3)
	p3, m3 := h.build("tx_3", 100, 4)

	cfg := testConfig(t.TempDir())
	s := h.start(cfg)
	name := s.InstanceName()
	if !strings.HasPrefix(name, "Server_127.0.0.1_") {
		t.Fatalf("instance name %q", name)
	}
	h.push(p0, m0, false, name)
	h.push(p1, m1, false, name)
	h.push(p3, m3, false, "Server_elsewhere_1")
	h.waitOnline("tx_0", name)
	h.waitOnline("tx_1", name)
	h.push(p2, m2, false, name, "Server_elsewhere_1")
	h.waitOnline("tx_2", name)

	// Registration: config and live key with both ports.
	snap := h.cache.Snapshot()
	in := snap.Live[name]
	if in == nil || in.Type != cluster.TypeServer || !in.Enabled || in.GrpcPort == in.Port ||
		!slices.Equal(in.Tags, []string{"DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"}) {
		t.Fatalf("live instance %+v", in)
	}
	if addr := s.GRPCAddr(); !strings.HasSuffix(addr, ":"+strconv.Itoa(in.GrpcPort)) {
		t.Fatalf("grpc port %d, bound %s", in.GrpcPort, addr)
	}
	for _, seg := range []string{"tx_0", "tx_1", "tx_2"} {
		if !fileExists(filepath.Join(cfg.DataDir, testTable, seg+".tseg")) {
			t.Fatalf("no local file of %s", seg)
		}
	}
	if fileExists(filepath.Join(cfg.DataDir, testTable, "tx_3.tseg")) {
		t.Fatal("tx_3 is not assigned here but was downloaded")
	}

	// Admin API.
	waitFor(t, "health", func() bool { code, _ := httpGet(t, "http://"+s.HTTPAddr()+"/health"); return code == 200 })
	if code, body := httpGet(t, "http://"+s.HTTPAddr()+"/health/liveness"); code != 200 || body != "OK" {
		t.Fatalf("liveness %d %q", code, body)
	}
	code, body := httpGet(t, "http://"+s.HTTPAddr()+"/tables/"+testTable+"/segments")
	var ts tableSegments
	if err := json.Unmarshal([]byte(body), &ts); code != 200 || err != nil {
		t.Fatalf("segments: %d %s %v", code, body, err)
	}
	if !slices.Equal(ts.Segments, []string{"tx_0", "tx_1", "tx_2"}) || len(ts.Details) != 3 ||
		ts.Details[0].State != cluster.StateOnline || ts.Details[0].TotalDocs != 3000 || ts.Details[0].SizeBytes != m0.SizeBytes {
		t.Fatalf("segments: %s", body)
	}
	if code, _ := httpGet(t, "http://"+s.HTTPAddr()+"/tables/tx/segments"); code != 200 {
		t.Fatalf("segments by raw name: %d", code)
	}
	if code, _ := httpGet(t, "http://"+s.HTTPAddr()+"/tables/nope/segments"); code != 404 {
		t.Fatalf("segments of an unknown table: %d", code)
	}

	// Queries: the server's partial, reduced, equals the in-process answer
	// over the same segments; segments not here are reported missing.
	c := client(t, s.Server)
	local := openAll(t, p0, p1, p2)
	table := &exec.Table{Name: "tx", Schema: h.sch, Segments: local}
	for _, q := range []string{
		"SELECT COUNT(*) FROM tx",
		"SELECT campaign, COUNT(*), SUM(amount), MIN(n), MAX(amount) FROM tx GROUP BY campaign ORDER BY campaign",
		"SELECT userID, SUM(amount) FROM tx WHERE campaign = 'NONE' GROUP BY userID ORDER BY SUM(amount) DESC, userID LIMIT 7",
		"SELECT n, userID, amount FROM tx WHERE userID = 'u017' ORDER BY n LIMIT 20",
		"SELECT DISTINCT campaign FROM tx ORDER BY campaign",
		"SELECT COUNT(*) FROM tx WHERE amount > 500 OPTION(timeoutMs=20000)",
	} {
		got, missing := h.queryServer(t, c, q, "tx_0", "tx_1", "tx_2", "tx_3", "tx_1")
		if !slices.Equal(missing, []string{"tx_3"}) {
			t.Fatalf("%s: missing %v", q, missing)
		}
		want, err := exec.Query(h.ctx, table, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rows, want.Rows) || !slices.Equal(got.Columns, want.Columns) {
			t.Fatalf("%s:\n got %v %v\nwant %v %v", q, got.Columns, got.Rows, want.Columns, want.Rows)
		}
		if got.Stats.NumSegmentsQueried != 3 || got.Stats.TotalDocs != 7500 {
			t.Fatalf("%s: stats %+v", q, got.Stats)
		}
	}

	// Query errors carry the engine's message with the right code.
	for _, tc := range []struct {
		table, sql string
		code       codes.Code
		msg        string
	}{
		{testTable, "SELEC 1", codes.InvalidArgument, "sql:"},
		{testTable, "SELECT nope FROM tx", codes.InvalidArgument, `unknown column "nope"`},
		{testTable, "SELECT COUNT(*) FROM other", codes.InvalidArgument, `unknown table "other"`},
		{"other_OFFLINE", "SELECT COUNT(*) FROM other", codes.NotFound, `table "other_OFFLINE"`},
	} {
		_, err := c.Execute(h.ctx, &querypb.ExecuteRequest{Table: tc.table, Sql: tc.sql, Segments: []string{"tx_0"}})
		if st, _ := status.FromError(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.sql, err, tc.code, tc.msg)
		}
	}
}

func TestUnassignAndDeleteTable(t *testing.T) {
	h := newHarness(t)
	cfg := testConfig(t.TempDir())
	s := h.start(cfg)
	name := s.InstanceName()
	p0, m0 := h.build("tx_0", 500, 1)
	p1, m1 := h.build("tx_1", 500, 2)
	h.push(p0, m0, false, name)
	h.push(p1, m1, false, name)
	h.waitOnline("tx_0", name)
	h.waitOnline("tx_1", name)
	file0 := filepath.Join(cfg.DataDir, testTable, "tx_0.tseg")
	file1 := filepath.Join(cfg.DataDir, testTable, "tx_1.tseg")

	// Moved to another server: state withdrawn, file deleted, queries
	// report it missing.
	h.assign("tx_0", "Server_elsewhere_1")
	h.waitGone("tx_0", name)
	waitFor(t, "tx_0 file removal", func() bool { return !fileExists(file0) })
	c := client(t, s.Server)
	res, missing := h.queryServer(t, c, "SELECT COUNT(*) FROM tx", "tx_0", "tx_1")
	if !slices.Equal(missing, []string{"tx_0"}) || res.Rows[0][0] != int64(500) {
		t.Fatalf("after unassign: missing %v rows %v", missing, res.Rows)
	}
	// Assigned back: downloaded again.
	gets := h.ds.gets.Load()
	h.assign("tx_0", name)
	h.waitOnline("tx_0", name)
	if h.ds.gets.Load() != gets+1 {
		t.Fatalf("reassigned segment: %d deep-store gets, want 1", h.ds.gets.Load()-gets)
	}

	// Table deleted: everything goes.
	if err := h.store.DeleteTable(h.ctx, testTable); err != nil {
		t.Fatal(err)
	}
	h.waitGone("tx_0", name)
	h.waitGone("tx_1", name)
	waitFor(t, "file removal", func() bool { return !fileExists(file0) && !fileExists(file1) })
	waitFor(t, "unload", func() bool { return len(s.segs.tables()) == 0 })
	_, err := c.Execute(h.ctx, &querypb.ExecuteRequest{Table: testTable, Sql: "SELECT COUNT(*) FROM tx"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("query of a deleted table: %v", err)
	}
}

func TestCorruptSegmentAndRetry(t *testing.T) {
	h := newHarness(t)
	p0, m0 := h.build("tx_0", 800, 1)
	p1, m1 := h.build("tx_1", 800, 2)
	good, err := os.ReadFile(p0)
	if err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 0xff

	// tx_0 is corrupt in the deep store before the server starts: the
	// initial load ends in ERROR and the server is still ready.
	cfg := testConfig(t.TempDir())
	nameSrv := newName(t, h, cfg)
	h.pushBytes(bad, m0, false, nameSrv.name)
	h.push(p1, m1, false, nameSrv.name)
	s := h.start(nameSrv.cfg)
	if s.InstanceName() != nameSrv.name {
		t.Fatalf("instance %s, want %s", s.InstanceName(), nameSrv.name)
	}
	st := h.waitState("tx_0", s.InstanceName(), func(st cluster.SegmentState, present bool) bool {
		return present && st.State == cluster.StateError
	})
	if !strings.Contains(st.Message, `"tx_0"`) {
		t.Fatalf("error message %q does not name the segment", st.Message)
	}
	h.waitOnline("tx_1", s.InstanceName())
	waitFor(t, "ready", s.Ready)
	if code, _ := httpGet(t, "http://"+s.HTTPAddr()+"/health"); code != 200 {
		t.Fatalf("health with an ERROR segment: %d", code)
	}
	if fileExists(filepath.Join(cfg.DataDir, testTable, "tx_0.tseg")) {
		t.Fatal("a corrupt download was kept")
	}
	if m, _ := filepath.Glob(filepath.Join(cfg.DataDir, testTable, "*.tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
	code, body := httpGet(t, "http://"+s.HTTPAddr()+"/tables/"+testTable+"/segments")
	if code != 200 || !strings.Contains(body, `"state":"ERROR"`) || strings.Contains(body, `"segments":["tx_0"`) {
		t.Fatalf("segments: %d %s", code, body)
	}
	// No retry while the record stays the same.
	gets := h.ds.gets.Load()
	h.assign("tx_1", s.InstanceName())
	time.Sleep(300 * time.Millisecond)
	if h.ds.gets.Load() != gets {
		t.Fatal("an unchanged ERROR segment was downloaded again")
	}
	// A fixed upload (record rewritten) loads.
	h.pushBytes(good, m0, true)
	h.waitOnline("tx_0", s.InstanceName())
}

// named is a config whose admin port is fixed, so the instance name is
// known before the server starts.
type named struct {
	cfg  Config
	name string
}

func newName(t *testing.T, h *harness, cfg Config) named {
	t.Helper()
	addr := freePort(t)
	cfg.AdminPort = addr
	return named{cfg: cfg, name: cluster.InstanceName(cluster.TypeServer, "127.0.0.1", addr)}
}

func TestReloadOnCRCChange(t *testing.T) {
	h := newHarness(t)
	s := h.start(testConfig(t.TempDir()))
	name := s.InstanceName()
	p0, m0 := h.build("tx_0", 300, 1)
	h.push(p0, m0, false, name)
	h.waitOnline("tx_0", name)
	c := client(t, s.Server)
	res, _ := h.queryServer(t, c, "SELECT COUNT(*) FROM tx", "tx_0")
	if res.Rows[0][0] != int64(300) {
		t.Fatalf("count %v", res.Rows)
	}
	// Re-upload with other rows: the server swaps versions.
	p0b, m0b := h.build("tx_0", 450, 9)
	if m0b.CRC == m0.CRC {
		t.Fatal("test segments have the same CRC")
	}
	h.push(p0b, m0b, true)
	waitFor(t, "reload", func() bool {
		res, _ := h.queryServer(t, c, "SELECT COUNT(*) FROM tx", "tx_0")
		return res.Rows[0][0] == int64(450)
	})
	h.waitOnline("tx_0", name)
	if crc, err := immutable.FileCRC(s.segs.path(segKey{testTable, "tx_0"})); err != nil || crc != m0b.CRC {
		t.Fatalf("local file CRC %08x %v, want %08x", crc, err, m0b.CRC)
	}
}

func TestRestartLoadsFromLocalDisk(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	n := newName(t, h, testConfig(dir))
	var paths []string
	for i, seg := range []string{"tx_0", "tx_1", "tx_2"} {
		p, m := h.build(seg, 400, uint64(i+1))
		h.push(p, m, false, n.name)
		paths = append(paths, p)
	}
	s := h.start(n.cfg)
	for _, seg := range []string{"tx_0", "tx_1", "tx_2"} {
		h.waitOnline(seg, n.name)
	}
	if got := h.ds.gets.Load(); got != 3 {
		t.Fatalf("first start: %d gets, want 3", got)
	}
	s.stop(t)
	// A clean stop revokes the lease: live key and states go at once.
	for _, seg := range []string{"tx_0", "tx_1", "tx_2"} {
		h.waitGone(seg, n.name)
	}
	if h.cache.Snapshot().IsLive(n.name) {
		t.Fatal("still live after stop")
	}
	// Leftovers of a crash and of an unassigned segment are swept.
	junk := filepath.Join(dir, testTable, "tx_9.tseg.123.tmp")
	if err := os.WriteFile(junk, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, testTable, "gone.tseg"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// While down, tx_2 was re-uploaded with other rows.
	p2, m2 := h.build("tx_2", 700, 42)
	h.push(p2, m2, true)

	s2 := h.start(n.cfg)
	if s2.InstanceName() != n.name {
		t.Fatalf("restarted as %s, want %s", s2.InstanceName(), n.name)
	}
	for _, seg := range []string{"tx_0", "tx_1", "tx_2"} {
		h.waitOnline(seg, n.name)
	}
	if got := h.ds.gets.Load(); got != 4 {
		t.Fatalf("restart: %d gets in all, want 4 (only the changed tx_2)", got)
	}
	if fileExists(junk) || fileExists(filepath.Join(dir, testTable, "gone.tseg")) {
		t.Fatal("stale files were not swept")
	}
	c := client(t, s2.Server)
	res, _ := h.queryServer(t, c, "SELECT COUNT(*) FROM tx", "tx_0", "tx_1", "tx_2")
	if res.Rows[0][0] != int64(1500) {
		t.Fatalf("count after restart %v, want 1500", res.Rows)
	}
}

func TestHealthBeforeRun(t *testing.T) {
	h := newHarness(t)
	nc := newName(t, h, testConfig(t.TempDir()))
	p, m := h.build("tx_0", 100, 1)
	h.push(p, m, false, nc.name)
	s := h.start(nc.cfg)
	// Wait for ONLINE, then /health is OK; before Run it answered 503
	// (checked on a second, never-run server).
	h.waitOnline("tx_0", nc.name)
	waitFor(t, "health", func() bool { code, _ := httpGet(t, "http://"+s.HTTPAddr()+"/health"); return code == 200 })

	cfg := testConfig(t.TempDir())
	idle, err := New(cfg, s.nc, h.deps())
	if err != nil {
		t.Fatal(err)
	}
	go idle.httpSrv.Serve(idle.httpLn)
	t.Cleanup(func() { idle.httpSrv.Close(); idle.grpcLn.Close() })
	if code, body := httpGet(t, "http://"+idle.HTTPAddr()+"/health"); code != 503 {
		t.Fatalf("health before registration: %d %q", code, body)
	}
	if code, _ := httpGet(t, "http://"+idle.HTTPAddr()+"/health/readiness"); code != 503 {
		t.Fatalf("readiness before registration: %d", code)
	}
	// Bad addresses fail in New.
	busy := cfg
	busy.DataDir = t.TempDir()
	busy.AdminPort = portOf(t, s.HTTPAddr())
	if _, err := New(busy, s.nc, h.deps()); err == nil {
		t.Fatal("New on a port in use succeeded")
	}
}
