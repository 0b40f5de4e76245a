package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/localfs"
	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

const (
	testTable   = "tx_OFFLINE"
	schemaJSON  = `{"schemaName":"tx","dimensionFieldSpecs":[{"name":"userID","dataType":"STRING"},{"name":"campaign","dataType":"STRING"},{"name":"n","dataType":"LONG"}],"metricFieldSpecs":[{"name":"amount","dataType":"DOUBLE"}]}`
	tableJSON   = `{"tableName":"tx","tableType":"OFFLINE","segmentsConfig":{"replication":"1"},"tenants":{},"tableIndexConfig":{},"metadata":{}}`
	waitTimeout = 20 * time.Second
)

// testLog discards unless TANNIN_TEST_LOG is set: background goroutines
// (the cache's watch) may log after a test ends, when t.Log panics.
func testLog() *slog.Logger {
	if os.Getenv("TANNIN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// countingStore counts Get calls of a deep store. With a gate, each Get
// waits until the gate is closed, and the most Gets under way at once is
// recorded.
type countingStore struct {
	deepstore.Store
	gets   atomic.Int64
	gate   chan struct{}
	active atomic.Int64
	most   atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.gets.Add(1)
	if c.gate != nil {
		n := c.active.Add(1)
		defer c.active.Add(-1)
		for {
			m := c.most.Load()
			if n <= m || c.most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.Store.Get(ctx, key)
}

// harness is a cluster for one test: real embedded etcd, a metadata
// cache, a local-filesystem deep store, the tx table and its schema.
type harness struct {
	t      *testing.T
	ctx    context.Context
	store  *cluster.Store
	cache  *cluster.Cache
	ds     *countingStore
	sch    *schema.Schema
	built  string // where segments are built before upload
	log    *slog.Logger
	dsRoot string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cli, _ := clustertest.Etcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := testLog()
	store := cluster.NewStore(cli, "test")
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	fs, err := localfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	sch, _, err := schema.Parse([]byte(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, store: store, cache: cache, ds: &countingStore{Store: fs}, sch: sch,
		built: t.TempDir(), log: log, dsRoot: root}
	if err := store.CreateSchema(ctx, "tx", []byte(schemaJSON)); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, testTable, []byte(tableJSON)); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) deps() *node.Deps {
	return &node.Deps{Etcd: h.store.Client(), Store: h.store, Cache: h.cache, DeepStore: h.ds, Log: h.log}
}

// testConfig is a server config on free loopback ports with dataDir.
func testConfig(dataDir string) Config {
	cfg := DefaultConfig()
	cfg.AdminPort, cfg.GRPCPort = 0, 0
	cfg.DataDir = dataDir
	cfg.ShutdownTimeout = 2 * time.Second
	return cfg
}

// running is a server started by a test.
type running struct {
	*Server
	cancel context.CancelFunc
	done   chan error
}

// start creates and runs a server; the test's cleanup stops it.
func (h *harness) start(cfg Config) *running {
	h.t.Helper()
	return h.startWith(cfg, h.deps())
}

// startWith is start with the given dependencies.
func (h *harness) startWith(cfg Config, deps *node.Deps) *running {
	h.t.Helper()
	nc := node.DefaultConfig()
	nc.Host = "127.0.0.1"
	s, err := New(cfg, nc, deps)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	r := &running{Server: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	h.t.Cleanup(func() { r.stop(h.t) })
	return r
}

// stop cancels the server and waits for Run to return nil.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			close(r.done)
		}
	case <-time.After(waitTimeout):
		t.Fatal("server did not stop")
	}
}

// rowsFor generates n rows: (userID, campaign, n, amount).
func rowsFor(n int, seed uint64) (users, camps []string, ns []int64, amounts []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		users = append(users, fmt.Sprintf("u%03d", r.IntN(200)))
		camps = append(camps, []string{"NONE", "spring", "summer", "fall"}[r.IntN(4)])
		ns = append(ns, int64(i)+int64(seed)*1_000_000)
		amounts = append(amounts, float64(r.IntN(100000))/100)
	}
	return
}

// build writes a segment of n generated rows and returns its path and
// metadata.
func (h *harness) build(name string, n int, seed uint64) (string, *segment.Meta) {
	h.t.Helper()
	users, camps, ns, amounts := rowsFor(n, seed)
	var cols []*segment.ColumnBuffer
	for i := range h.sch.Fields {
		f := &h.sch.Fields[i]
		b := segment.NewColumnBuffer(f)
		switch f.Name {
		case "userID":
			b.Strs = users
		case "campaign":
			b.Strs = camps
		case "n":
			b.Ints = ns
		case "amount":
			b.Floats = amounts
		}
		cols = append(cols, b)
	}
	path := filepath.Join(h.built, fmt.Sprintf("%s-%d.tseg", name, seed))
	meta, err := immutable.Build(path, immutable.BuildConfig{
		SegmentName: name, TableName: "tx", Schema: h.sch, PartitionID: -1,
		InvertedColumns: []string{"userID"},
	}, cols)
	if err != nil {
		h.t.Fatal(err)
	}
	return path, meta
}

// push uploads a built segment to the deep store and records it with an
// assignment to servers (replace overwrites an existing record and keeps
// its assignment when servers is empty).
func (h *harness) push(path string, meta *segment.Meta, replace bool, servers ...string) {
	h.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.pushBytes(data, meta, replace, servers...)
}

func (h *harness) pushBytes(data []byte, meta *segment.Meta, replace bool, servers ...string) {
	h.t.Helper()
	key := "tx/" + meta.Name + ".tseg"
	if err := h.ds.Put(h.ctx, key, bytes.NewReader(data)); err != nil {
		h.t.Fatal(err)
	}
	var asg *cluster.Assignment
	if len(servers) > 0 || !replace {
		asg = &cluster.Assignment{Instances: map[string]string{}}
		for _, s := range servers {
			asg.Instances[s] = cluster.StateOnline
		}
	}
	seg := &cluster.Segment{Table: testTable, Meta: meta, Key: key, DownloadURI: h.ds.URI(key),
		PushTimeMs: time.Now().UnixMilli(), Status: "DONE"}
	if err := h.store.PutSegment(h.ctx, seg, asg, replace); err != nil {
		h.t.Fatal(err)
	}
}

// assign sets a segment's assignment to servers.
func (h *harness) assign(seg string, servers ...string) {
	h.t.Helper()
	h.assignAll([]string{seg}, servers...)
}

// assignAll sets the assignments of segs to servers in one transaction.
func (h *harness) assignAll(segs []string, servers ...string) {
	h.t.Helper()
	snap := h.cache.Snapshot()
	var changes []cluster.AssignmentChange
	for _, seg := range segs {
		a := &cluster.Assignment{Instances: map[string]string{}}
		if old := snap.Assign[testTable][seg]; old != nil {
			a.Rev = old.Rev
		}
		for _, s := range servers {
			a.Instances[s] = cluster.StateOnline
		}
		changes = append(changes, cluster.AssignmentChange{Table: testTable, Segment: seg, Assignment: a})
	}
	if err := h.store.SetAssignments(h.ctx, changes); err != nil {
		h.t.Fatal(err)
	}
}

// waitState waits until the external view of seg on server satisfies ok
// (present false when the key is absent).
func (h *harness) waitState(seg, server string, ok func(st cluster.SegmentState, present bool) bool) cluster.SegmentState {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	var got cluster.SegmentState
	var present bool
	_, err := h.cache.WaitFor(ctx, func(s *cluster.Snapshot) bool {
		got, present = s.View[testTable][seg][server]
		return ok(got, present)
	})
	if err != nil {
		h.t.Fatalf("segment %s on %s: state %+v (present %v): %v", seg, server, got, present, err)
	}
	return got
}

func (h *harness) waitOnline(seg, server string) {
	h.t.Helper()
	h.waitState(seg, server, func(st cluster.SegmentState, present bool) bool {
		return present && st.State == cluster.StateOnline
	})
}

func (h *harness) waitGone(seg, server string) {
	h.t.Helper()
	h.waitState(seg, server, func(_ cluster.SegmentState, present bool) bool { return !present })
}

// client dials the server's query port.
func client(t *testing.T, s *Server) querypb.QueryClient {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return querypb.NewQueryClient(conn)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	return portOf(t, clustertest.FreeAddr(t))
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
