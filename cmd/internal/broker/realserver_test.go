package broker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/cmd/internal/server"
	"github.com/tannin-db/tannin/deepstore/localfs"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment/immutable"
)

// TestWithRealServers runs the broker against two real servers
// (cmd/internal/server) that download the segments from a local deep
// store: answers equal the in-process engine, and stay equal while one
// server shuts down.
func TestWithRealServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := realDeps(t, ctx, "test")
	store, cache := deps.Store, deps.Cache
	nc := node.Config{Host: "127.0.0.1"}

	sc, _, err := schema.Parse([]byte(eventsSchema))
	if err != nil {
		t.Fatal(err)
	}
	segDir := t.TempDir()
	tc := &testCluster{t: t, store: store, cache: cache, schema: sc, segs: buildSegments(t, sc, segDir)}
	if err := store.CreateSchema(ctx, "events", []byte(eventsSchema)); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, "events_OFFLINE", []byte(eventsTable)); err != nil {
		t.Fatal(err)
	}

	var servers []*server.Server
	stops := make([]context.CancelFunc, 2)
	dones := make([]chan error, 2)
	for i := range 2 {
		cfg := server.DefaultConfig()
		cfg.AdminPort, cfg.GRPCPort, cfg.DataDir = 0, 0, filepath.Join(t.TempDir(), fmt.Sprint("server", i))
		s, err := server.New(cfg, nc, deps)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
		sctx, stop := context.WithCancel(ctx)
		stops[i], dones[i] = stop, make(chan error, 1)
		go func() { dones[i] <- s.Run(sctx) }()
	}
	defer func() {
		for i := range stops {
			stops[i]()
			<-dones[i]
		}
	}()

	var paths []string
	for _, seg := range tc.segs {
		paths = append(paths, filepath.Join(segDir, seg.Meta().Name))
	}
	publishSegments(t, ctx, deps, "events_OFFLINE", paths, servers[0].InstanceName(), servers[1].InstanceName())

	bcfg := DefaultConfig()
	bcfg.Port = 0
	b, err := New(bcfg, nc, deps)
	if err != nil {
		t.Fatal(err)
	}
	bctx, bstop := context.WithCancel(ctx)
	bdone := make(chan error, 1)
	go func() { bdone <- b.Run(bctx) }()
	defer func() {
		bstop()
		if err := <-bdone; err != nil {
			t.Errorf("broker Run: %v", err)
		}
	}()
	tc.broker, tc.url = b, "http://"+b.HTTPAddr()
	tc.waitHealthy()

	check := func(what string) {
		t.Helper()
		for _, q := range referenceQueries {
			r := tc.query(q, "")
			tc.noExceptions(t, what+": "+q, r)
			sameResult(t, what+": "+q, r, tc.reference(q))
		}
	}
	check("two servers")
	// One server leaves: its lease goes, and routing with it.
	stops[0]()
	if err := <-dones[0]; err != nil {
		t.Fatalf("server Run: %v", err)
	}
	stops[0] = func() {}
	dones[0] <- nil
	check("one server")
}

// realDeps are a node's dependencies on embedded etcd (under clusterName)
// and a local deep store, for tests that run real servers.
func realDeps(t testing.TB, ctx context.Context, clusterName string) *node.Deps {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cli, _ := clustertest.Etcd(t)
	store := cluster.NewStore(cli, clusterName)
	ds, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	return &node.Deps{Etcd: cli, Store: store, Cache: cache, DeepStore: ds, Log: log}
}

// publishSegments puts the segment files into the deep store, records
// them in etcd assigned ONLINE to servers, and waits until the servers
// report every replica ONLINE.
func publishSegments(t testing.TB, ctx context.Context, deps *node.Deps, table string, paths []string, servers ...string) {
	t.Helper()
	for _, p := range paths {
		seg, err := immutable.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		meta := *seg.Meta()
		seg.Close()
		key := table + "/" + meta.Name
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		err = deps.DeepStore.Put(ctx, key, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		asg := &cluster.Assignment{Instances: map[string]string{}}
		for _, s := range servers {
			asg.Instances[s] = cluster.StateOnline
		}
		if err := deps.Store.PutSegment(ctx, &cluster.Segment{Table: table, Meta: &meta, Key: key,
			Status: "DONE", PushTimeMs: time.Now().UnixMilli()}, asg, false); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := deps.Cache.WaitFor(wctx, func(s *cluster.Snapshot) bool {
		n := 0
		for _, states := range s.View[table] {
			for _, st := range states {
				if st.State == cluster.StateOnline {
					n++
				}
			}
		}
		return n == len(paths)*len(servers)
	}); err != nil {
		t.Fatalf("the servers did not load the segments of %s: %v", table, err)
	}
}
