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
)

// TestWithRealServers runs the broker against two real servers
// (cmd/internal/server) that download the segments from a local deep
// store: answers equal the in-process engine, and stay equal while one
// server shuts down.
func TestWithRealServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cli, _ := clustertest.Etcd(t)
	store := cluster.NewStore(cli, "test")
	ds, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	deps := &node.Deps{Etcd: cli, Store: store, Cache: cache, DeepStore: ds, Log: log}
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

	for _, seg := range tc.segs {
		meta := *seg.Meta()
		key := "events_OFFLINE/" + meta.Name
		f, err := os.Open(filepath.Join(segDir, meta.Name))
		if err != nil {
			t.Fatal(err)
		}
		err = ds.Put(ctx, key, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		asg := &cluster.Assignment{Instances: map[string]string{
			servers[0].InstanceName(): cluster.StateOnline, servers[1].InstanceName(): cluster.StateOnline}}
		if err := store.PutSegment(ctx, &cluster.Segment{Table: "events_OFFLINE", Meta: &meta, Key: key,
			Status: "DONE", PushTimeMs: time.Now().UnixMilli()}, asg, false); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := cache.WaitFor(wctx, func(s *cluster.Snapshot) bool {
		n := 0
		for _, states := range s.View["events_OFFLINE"] {
			for _, st := range states {
				if st.State == cluster.StateOnline {
					n++
				}
			}
		}
		return n == 2*numSegments
	}); err != nil {
		t.Fatalf("servers did not load the segments: %v", err)
	}

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
