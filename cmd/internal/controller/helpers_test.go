package controller

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/deepstore/localfs"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// env is a real embedded etcd, a metadata cache on it and a local deep
// store: what a controller runs on.
type env struct {
	t    *testing.T
	deps *node.Deps
	nc   node.Config
	ctx  context.Context
}

func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cli, endpoint := clustertest.Etcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := testLog(t)
	store := cluster.NewStore(cli, "test")
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	nc := node.DefaultConfig()
	nc.EtcdEndpoints = []string{endpoint}
	nc.ClusterName = "test"
	nc.Host = "127.0.0.1"
	return &env{t: t, ctx: ctx, nc: nc, deps: &node.Deps{Etcd: cli, Store: store, Cache: cache, DeepStore: ds, Log: log}}
}

// running is a controller started with Run.
type running struct {
	*Controller
	url  string
	stop func()
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.ShutdownTimeout = time.Second
	return cfg
}

// start runs a controller until the test ends (or stop).
func (e *env) start(cfg Config) *running {
	e.t.Helper()
	c, err := New(cfg, e.nc, e.deps)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("controller Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				e.t.Errorf("controller did not stop within 15s")
			}
		})
	}
	e.t.Cleanup(stop)
	return &running{Controller: c, url: "http://" + c.HTTPAddr(), stop: stop}
}

// waitFor waits up to d for cond to hold on the cache's snapshot.
func (e *env) waitFor(d time.Duration, what string, cond func(*cluster.Snapshot) bool) *cluster.Snapshot {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	s, err := e.deps.Cache.WaitFor(ctx, cond)
	if err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
	return s
}

// fakeInstance is a live instance registered the way a real role does;
// a fake server also reports ONLINE every segment assigned to it and
// withdraws the ones taken away, as the server role does.
type fakeInstance struct {
	name string
	reg  *cluster.Registration
	stop func()
}

func (e *env) fakeInstance(typ string, port int, tags []string, serve bool) *fakeInstance {
	e.t.Helper()
	in := &cluster.Instance{
		Name: cluster.InstanceName(typ, "127.0.0.1", port), Type: typ, Host: "127.0.0.1",
		Port: port, GrpcPort: port + 1, Tags: tags, Enabled: true,
	}
	rctx, rcancel := context.WithCancel(context.Background())
	reg, err := cluster.Register(rctx, e.deps.Store, in, e.deps.Log)
	if err != nil {
		rcancel()
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	if serve {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.report(ctx, reg, in.Name)
		}()
	}
	var once sync.Once
	f := &fakeInstance{name: in.Name, reg: reg}
	f.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			_ = reg.Close()
			rcancel()
		})
	}
	e.t.Cleanup(f.stop)
	e.waitFor(10*time.Second, in.Name+" live", func(s *cluster.Snapshot) bool { return s.IsLive(in.Name) })
	return f
}

func (e *env) server(port int) *fakeInstance {
	return e.fakeInstance(cluster.TypeServer, port, []string{"DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"}, true)
}

func (e *env) report(ctx context.Context, reg *cluster.Registration, name string) {
	for {
		snap, ch := e.deps.Cache.Current()
		for t, segs := range snap.Assign {
			for seg, a := range segs {
				if _, ok := a.Instances[name]; ok {
					if _, done := snap.View[t][seg][name]; !done {
						_ = reg.SetState(ctx, t, seg, cluster.SegmentState{State: cluster.StateOnline})
					}
				}
			}
		}
		for t, segs := range snap.View {
			for seg, servers := range segs {
				if _, ok := servers[name]; !ok {
					continue
				}
				if a := snap.Assign[t][seg]; a == nil || a.Instances[name] == "" {
					_ = reg.ClearState(ctx, t, seg)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// call sends a request and returns the status and body.
func call(t *testing.T, method, url, contentType string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// must sends a request that must answer want and decodes the JSON answer
// into out (when not nil).
func must(t *testing.T, want int, method, url string, body []byte, out any) []byte {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	status, got := call(t, method, url, "application/json", r)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, status, want, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, got, err)
		}
	}
	return got
}

// wantError checks an error answer: the status, Pinot's error shape and
// the fragments the message must contain.
func wantError(t *testing.T, status int, body []byte, fragments ...string) {
	t.Helper()
	var e struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Code != status {
		t.Errorf("error body code %d, want %d: %s", e.Code, status, body)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Error, f) {
			t.Errorf("error %q does not mention %q", e.Error, f)
		}
	}
}

func readTestdata(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webSchema is the quickstart's schema.
func webSchema(t *testing.T) *schema.Schema {
	t.Helper()
	sc, _, err := schema.Parse(deploy.QuickstartSchema)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// addWebTable creates the quickstart's schema and table config, with the
// config's JSON edited by edit (when not nil).
func addWebTable(t *testing.T, url string, edit func(map[string]any)) {
	t.Helper()
	must(t, 200, "POST", url+"/schemas", deploy.QuickstartSchema, nil)
	cfg := deploy.QuickstartTableConfig
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(cfg, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		var err error
		if cfg, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	must(t, 200, "POST", url+"/tables", cfg, nil)
}

func setSegmentsConfig(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m["segmentsConfig"].(map[string]any)[key] = v }
}

// buildSegment builds a segment of n rows over every field of sc; the
// time column's values start at startMs and step by one second. It
// returns the file's bytes.
func buildSegment(t *testing.T, sc *schema.Schema, table, name, timeColumn string, n int, startMs int64) []byte {
	t.Helper()
	var cols []*segment.ColumnBuffer
	for i := range sc.Fields {
		f := &sc.Fields[i]
		b := segment.NewColumnBuffer(f)
		for d := 0; d < n; d++ {
			vals := 1
			if !f.SingleValue {
				vals = 2
			}
			for v := 0; v < vals; v++ {
				switch f.DataType.Storage() {
				case schema.StorageInt64:
					x := int64(d*10 + v)
					if f.Name == timeColumn {
						x = startMs + int64(d)*1000
					}
					if f.DataType == schema.TypeBoolean {
						x = int64(d % 2)
					}
					b.Ints = append(b.Ints, x)
				case schema.StorageFloat64:
					b.Floats = append(b.Floats, float64(d)+0.5)
				default:
					b.Strs = append(b.Strs, fmt.Sprintf("%s-%d", f.Name, (d+v)%7))
				}
			}
			if !f.SingleValue {
				b.Offsets = append(b.Offsets, uint32(len(b.Ints)+len(b.Floats)+len(b.Strs)))
			}
		}
		cols = append(cols, b)
	}
	path := filepath.Join(t.TempDir(), name+segmentExt)
	_, err := immutable.Build(path, immutable.BuildConfig{
		SegmentName: name, TableName: table, Schema: sc, TimeColumn: timeColumn, PartitionID: -1,
	}, cols)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// multipartBody wraps a file in a multipart/form-data body.
func multipartBody(t *testing.T, filename string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(filename, filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// tarGz packs files (name → bytes) into a gzip'd tar, as Pinot's push
// tools send segments.
func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "seg/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(files) {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "seg/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a segment file (named filename) to path (with its query).
func upload(t *testing.T, url, filename string, data []byte) (int, []byte) {
	t.Helper()
	body, ct := multipartBody(t, filename, data)
	return call(t, "POST", url, ct, bytes.NewReader(body))
}

// fakeClock is a clock tests move.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func jsonMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
