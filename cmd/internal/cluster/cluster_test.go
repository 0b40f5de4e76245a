package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

const schemaJSON = `{"schemaName":"t","dimensionFieldSpecs":[{"name":"a","dataType":"DOUBLE"}]}`
const tableJSON = `{"tableName":"t","tableType":"OFFLINE","segmentsConfig":{"replication":"1"},"tenants":{},"tableIndexConfig":{},"metadata":{}}`

func TestStoreAndCache(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSchema(ctx, "t", []byte(schemaJSON)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSchema(ctx, "t", []byte(schemaJSON)); !errors.Is(err, cluster.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	if err := st.UpdateSchema(ctx, "nope", []byte(schemaJSON)); !errors.Is(err, cluster.ErrNotFound) {
		t.Fatalf("update of a missing schema: %v, want ErrNotFound", err)
	}
	if err := st.CreateTable(ctx, "t_OFFLINE", []byte(tableJSON)); err != nil {
		t.Fatal(err)
	}
	// Sync sees every write made before it.
	if s, err := cache.Sync(ctx); err != nil || s.Tables["t_OFFLINE"] == nil || s.Schemas["t"] == nil {
		t.Fatalf("Sync after writes: err %v, table or schema missing", err)
	}
	// Bounds that JSON cannot carry as numbers or text must survive.
	meta := &segment.Meta{Name: "s1", Table: "t_OFFLINE", NumDocs: 3, PartitionID: -1, CRC: 0xdeadbeef, SizeBytes: 123,
		Columns: []*segment.ColumnMeta{{Name: "a", DataType: schema.TypeDouble, SingleValue: true, HasDictionary: true,
			Cardinality: 2, Min: segment.Bound{Float: math.Inf(-1)}, Max: segment.Bound{Float: math.NaN()}}}}
	seg := &cluster.Segment{Table: "t_OFFLINE", Meta: meta, Key: "t_OFFLINE/s1.tseg", DownloadURI: "file:///x", Status: "DONE"}
	asg := &cluster.Assignment{Instances: map[string]string{"Server_h_1": cluster.StateOnline}}
	if err := st.PutSegment(ctx, seg, asg, false); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSegment(ctx, seg, asg, false); !errors.Is(err, cluster.ErrExists) {
		t.Fatalf("second put: %v, want ErrExists", err)
	}
	snap, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool { return s.Assign["t_OFFLINE"]["s1"] != nil })
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Segments["t_OFFLINE"]["s1"]
	if got == nil || got.Meta.CRC != 0xdeadbeef || got.Meta.SizeBytes != 123 || got.Key != seg.Key {
		t.Fatalf("segment record = %+v", got)
	}
	if c := got.Meta.Columns[0]; !math.IsInf(c.Min.Float, -1) || !math.IsNaN(c.Max.Float) {
		t.Fatalf("bounds = %v, %v; want -Inf, NaN", c.Min.Float, c.Max.Float)
	}
	if snap.TableSchema("t_OFFLINE") == nil || snap.Tables["t_OFFLINE"] == nil {
		t.Fatal("table or its schema missing from the snapshot")
	}
	// A stale revision loses.
	a := snap.Assign["t_OFFLINE"]["s1"]
	next := &cluster.Assignment{Instances: map[string]string{"Server_h_2": cluster.StateOnline}, Rev: a.Rev}
	if err := st.SetAssignments(ctx, []cluster.AssignmentChange{{Table: "t_OFFLINE", Segment: "s1", Assignment: next}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAssignments(ctx, []cluster.AssignmentChange{{Table: "t_OFFLINE", Segment: "s1", Assignment: next}}); !errors.Is(err, cluster.ErrConflict) {
		t.Fatalf("stale CAS: %v, want ErrConflict", err)
	}
	if err := st.DeleteTable(ctx, "t_OFFLINE"); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool {
		return s.Tables["t_OFFLINE"] == nil && s.Segments["t_OFFLINE"] == nil && s.Assign["t_OFFLINE"] == nil
	}); err != nil {
		t.Fatal("table delete did not remove its segments and assignments")
	}
	// The older snapshot is unchanged: snapshots are immutable.
	if snap.Segments["t_OFFLINE"]["s1"] == nil {
		t.Fatal("an old snapshot changed")
	}
}

func TestRegistrationAndElection(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	in := &cluster.Instance{Name: "Server_h_1", Type: cluster.TypeServer, Host: "h", Port: 1, GrpcPort: 2,
		Tags: []string{"DefaultTenant_OFFLINE"}, Enabled: true}
	reg, err := cluster.Register(ctx, st, in, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.SetState(ctx, "t_OFFLINE", "s1", cluster.SegmentState{State: cluster.StateOnline}); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool {
		return s.IsLive("Server_h_1") && s.View["t_OFFLINE"]["s1"]["Server_h_1"].State == cluster.StateOnline &&
			len(s.LiveInstances(cluster.TypeServer, "DefaultTenant_OFFLINE")) == 1
	}); err != nil {
		t.Fatal("registration or state not seen")
	}
	// Tags set while the instance was down survive its next registration.
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool {
		return !s.IsLive("Server_h_1") && s.View["t_OFFLINE"] == nil && s.Instances["Server_h_1"] != nil
	}); err != nil {
		t.Fatal("closing the registration did not drop the live key and states")
	}
	stored, _ := st.GetInstance(ctx, "Server_h_1")
	stored.Tags = []string{"Other_OFFLINE"}
	if err := st.PutInstance(ctx, stored); err != nil {
		t.Fatal(err)
	}
	in2 := *in
	in2.Port = 9
	reg, err = cluster.Register(ctx, st, &in2, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if got := reg.Instance(); got.Port != 9 || len(got.Tags) != 1 || got.Tags[0] != "Other_OFFLINE" {
		t.Fatalf("re-registered instance = %+v", got)
	}

	// Election: the first campaigner leads; when it goes, the second does.
	c1, err := cluster.Register(ctx, st, &cluster.Instance{Name: "Controller_h_1", Type: cluster.TypeController}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Campaign(ctx, c1); err != nil {
		t.Fatal(err)
	}
	c2, err := cluster.Register(ctx, st, &cluster.Instance{Name: "Controller_h_2", Type: cluster.TypeController}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	won := make(chan error, 1)
	go func() { _, err := cluster.Campaign(ctx, c2); won <- err }()
	if _, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool { return s.Leader == "Controller_h_1" }); err != nil {
		t.Fatal("first controller does not lead")
	}
	select {
	case <-won:
		t.Fatal("second controller won while the first leads")
	case <-time.After(300 * time.Millisecond):
	}
	c1.Close()
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	if _, err := cache.WaitFor(ctx, func(s *cluster.Snapshot) bool { return s.Leader == "Controller_h_2" }); err != nil {
		t.Fatal("second controller does not lead after the first left")
	}
}
