package controller

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/tableconfig"
)

const day = 24 * time.Hour

func TestExpiredSegments(t *testing.T) {
	now := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	table := func(name, timeCol, unit string, value int) *cluster.Table {
		return &cluster.Table{Config: &tableconfig.TableConfig{TableName: name, TableType: tableconfig.Offline,
			Segments: tableconfig.SegmentsConfig{TimeColumnName: timeCol, RetentionTimeUnit: unit, RetentionTimeValue: value, Replication: 1}}}
	}
	seg := func(name string, end time.Time, docs int, status string) *cluster.Segment {
		return &cluster.Segment{Meta: &segment.Meta{Name: name, TimeColumn: "ts", NumDocs: docs,
			StartTime: end.Add(-time.Hour).UnixMilli(), EndTime: end.UnixMilli()}, Status: status}
	}
	snap := &cluster.Snapshot{
		Tables: map[string]*cluster.Table{
			"a_OFFLINE": table("a", "ts", "DAYS", 10),
			"b_OFFLINE": table("b", "", "DAYS", 10),   // no time column: kept
			"c_OFFLINE": table("c", "ts", "", 0),      // no retention: kept
			"d_OFFLINE": table("d", "ts", "hours", 1), // lower case, as Pinot accepts
		},
		Segments: map[string]map[string]*cluster.Segment{
			"a_OFFLINE": {
				"old":      seg("old", now.Add(-11*day), 5, "DONE"),
				"edge":     seg("edge", now.Add(-10*day), 5, "DONE"),
				"new":      seg("new", now.Add(-day), 5, "DONE"),
				"empty":    seg("empty", now.Add(-20*day), 0, "DONE"),
				"old2":     seg("old2", now.Add(-30*day), 5, "DONE"),
				"inflight": seg("inflight", now.Add(-30*day), 5, "IN_PROGRESS"),
			},
			"b_OFFLINE": {"old": seg("old", now.Add(-30*day), 5, "DONE")},
			"c_OFFLINE": {"old": seg("old", now.Add(-30*day), 5, "DONE")},
			"d_OFFLINE": {"x": seg("x", now.Add(-2*time.Hour), 5, "DONE"), "y": seg("y", now.Add(-30*time.Minute), 5, "DONE")},
		},
	}
	got, err := expiredSegments(snap, now)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.table+"/"+e.seg.Meta.Name)
	}
	want := []string{"a_OFFLINE/old", "a_OFFLINE/old2", "d_OFFLINE/x"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("expired %v, want %v", names, want)
	}
	snap.Tables["e_OFFLINE"] = table("e", "ts", "FORTNIGHTS", 1)
	if _, err := expiredSegments(snap, now); err == nil {
		t.Errorf("an unknown retention unit is not reported")
	}
}

func TestRetention(t *testing.T) {
	e := newEnv(t)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := testConfig()
	cfg.Now = clock.Now
	cfg.RetentionInterval = 50 * time.Millisecond
	c := e.start(cfg)
	e.server(7501)
	addWebTable(t, c.url, func(m map[string]any) {
		setSegmentsConfig("retentionTimeUnit", "DAYS")(m)
		setSegmentsConfig("retentionTimeValue", "30")(m)
	})
	sc := webSchema(t)
	start := clock.Now()
	for i, age := range []time.Duration{40 * day, 20 * day, time.Hour} {
		name := fmt.Sprintf("seg_%d", i)
		data := buildSegment(t, sc, "webTransactions", name, "creationTimestamp", 10, start.Add(-age).UnixMilli())
		if status, body := upload(t, c.url+"/v2/segments", name+segmentExt, data); status != 200 {
			t.Fatalf("upload %s: %d %s", name, status, body)
		}
	}
	gone := func(names ...string) func(*cluster.Snapshot) bool {
		return func(s *cluster.Snapshot) bool {
			for _, n := range names {
				if s.Segments[web][n] != nil || s.Assign[web][n] != nil {
					return false
				}
			}
			return true
		}
	}
	e.waitFor(10*time.Second, "seg_0 past retention deleted", gone("seg_0"))
	snap := e.deps.Cache.Snapshot()
	if snap.Segments[web]["seg_1"] == nil || snap.Segments[web]["seg_2"] == nil {
		t.Fatalf("retention deleted segments within it: %v", sortedKeys(snap.Segments[web]))
	}
	// The record goes first, the file after it: wait for the file too.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.deps.DeepStore.Size(context.Background(), web+"/seg_0"+segmentExt)
		if errors.Is(err, deepstore.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("seg_0's file after retention: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	clock.Set(start.Add(15 * day))
	e.waitFor(10*time.Second, "seg_1 past retention deleted", gone("seg_1"))
	if e.deps.Cache.Snapshot().Segments[web]["seg_2"] == nil {
		t.Fatalf("retention deleted seg_2")
	}
	if _, err := e.deps.DeepStore.Size(context.Background(), web+"/seg_2"+segmentExt); err != nil {
		t.Errorf("seg_2's file: %v", err)
	}
}

// leaderOf asks a controller which controller leads.
func leaderOf(t *testing.T, url string) string {
	var info map[string]any
	must(t, 200, "GET", url+"/cluster/info", nil, &info)
	s, _ := info["leader"].(string)
	return s
}

func TestLeaderFailover(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	c1, c2 := e.start(cfg), e.start(cfg)
	var leader, other *running
	deadline := time.Now().Add(10 * time.Second)
	for leader == nil {
		switch {
		case c1.IsLeader():
			leader, other = c1, c2
		case c2.IsLeader():
			leader, other = c2, c1
		case time.Now().After(deadline):
			t.Fatal("no controller leads after 10s")
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	if other.IsLeader() {
		t.Fatal("both controllers lead")
	}
	deadline = time.Now().Add(5 * time.Second)
	for leader.retentionRuns.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if leader.retentionRuns.Load() == 0 || other.retentionRuns.Load() != 0 {
		t.Errorf("retention passes: leader %d, follower %d; only the leader should run them",
			leader.retentionRuns.Load(), other.retentionRuns.Load())
	}
	e.waitFor(10*time.Second, "the election in the cache", func(s *cluster.Snapshot) bool { return s.Leader == leader.Name() })
	for _, c := range []*running{c1, c2} {
		if got := leaderOf(t, c.url); got != leader.Name() {
			t.Errorf("%s says the leader is %q, want %q", c.Name(), got, leader.Name())
		}
	}
	var info map[string]any
	must(t, 200, "GET", other.url+"/cluster/info", nil, &info)
	if info["clusterName"] != "test" || info["isLeader"] != false || info["instance"] != other.Name() {
		t.Errorf("GET /cluster/info = %v", info)
	}

	began := time.Now()
	leader.stop()
	deadline = time.Now().Add(5 * time.Second)
	for !other.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatalf("%s does not lead 5s after the leader stopped", other.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("failover took %v", time.Since(began))
	deadline = time.Now().Add(5 * time.Second)
	for other.retentionRuns.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if other.retentionRuns.Load() == 0 {
		t.Errorf("the new leader runs no retention pass")
	}
	e.waitFor(5*time.Second, "the new leader in the cache", func(s *cluster.Snapshot) bool {
		return s.Leader == other.Name() && !s.IsLive(leader.Name())
	})
	if got := leaderOf(t, other.url); got != other.Name() {
		t.Errorf("after failover the leader is %q, want %q", got, other.Name())
	}
	// The survivor takes writes.
	must(t, 200, "POST", other.url+"/schemas", []byte(`{"schemaName":"after","dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`), nil)
}

func TestHealthVersionInfo(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	cfg.Version = "v9.9.9"
	c := e.start(cfg)
	if got := string(must(t, 200, "GET", c.url+"/health", nil, nil)); got != "OK" {
		t.Errorf("GET /health = %q", got)
	}
	var v map[string]string
	must(t, 200, "GET", c.url+"/version", nil, &v)
	if v["tannin-controller"] != "v9.9.9" {
		t.Errorf("GET /version = %v", v)
	}
	status, body := call(t, "GET", c.url+"/no/such/path", "", nil)
	if status != http.StatusNotFound {
		t.Errorf("unknown path: status %d: %s", status, body)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{errorf(http.StatusTeapot, "x"), http.StatusTeapot},
		{fmt.Errorf("wrapped: %w", errorf(http.StatusConflict, "x")), http.StatusConflict},
		{fmt.Errorf("x: %w", schema.ErrInvalid), http.StatusBadRequest},
		{fmt.Errorf("x: %w", tableconfig.ErrInvalid), http.StatusBadRequest},
		{fmt.Errorf("x: %w", cluster.ErrExists), http.StatusConflict},
		{fmt.Errorf("x: %w", cluster.ErrConflict), http.StatusConflict},
		{fmt.Errorf("x: %w", cluster.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("x: %w", deepstore.ErrNotFound), http.StatusNotFound},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge},
		{context.DeadlineExceeded, http.StatusGatewayTimeout},
		{context.Canceled, http.StatusServiceUnavailable},
		{errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		edit func(*Config)
		bad  bool
	}{
		{"default", func(*Config) {}, false},
		{"any port", func(c *Config) { c.Port = 0 }, false},
		{"port too high", func(c *Config) { c.Port = 70000 }, true},
		{"no upload room", func(c *Config) { c.MaxUploadBytes = 0 }, true},
		{"no retention interval", func(c *Config) { c.RetentionInterval = 0 }, true},
		{"no move time", func(c *Config) { c.MoveTimeout = -time.Second }, true},
		{"data dir", func(c *Config) { c.DataDir = dir }, false},
		{"missing data dir", func(c *Config) { c.DataDir = dir + "/nope" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); (err != nil) != tt.bad {
				t.Errorf("Validate() = %v, want error %v", err, tt.bad)
			}
		})
	}
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	c := DefaultConfig()
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-port", "9100", "-max-upload-bytes", "1024", "-retention-interval", "1m", "-data-dir", dir}); err != nil {
		t.Fatal(err)
	}
	if c.Port != 9100 || c.MaxUploadBytes != 1024 || c.RetentionInterval != time.Minute || c.DataDir != dir {
		t.Errorf("flags gave %+v", c)
	}
	if d := DefaultConfig(); d.Port != 9000 || d.MaxUploadBytes != 4<<30 || d.RetentionInterval != 10*time.Minute {
		t.Errorf("DefaultConfig() = %+v, want Pinot's port 9000, 4 GiB uploads, retention every 10m", d)
	}
}
