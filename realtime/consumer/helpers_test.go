package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/memstore"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completion/completiontest"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/segment/mutable"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/memstream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/tableconfig"
)

const testSchema = `{"schemaName": "clicks",
 "dimensionFieldSpecs": [
  {"name": "id", "dataType": "LONG"},
  {"name": "user", "dataType": "STRING"},
  {"name": "campaign", "dataType": "STRING", "notNull": true}],
 "metricFieldSpecs": [{"name": "price", "dataType": "DOUBLE"}],
 "dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}]}`

const testTable = `{"tableName": "clicks", "tableType": "REALTIME",
 "segmentsConfig": {"timeColumnName": "ts", "replication": "2"},
 "tenants": {},
 "tableIndexConfig": {"sortedColumn": ["user"], "invertedIndexColumns": ["campaign"], "rangeIndexColumns": ["price"]},
 "ingestionConfig": {
  "streamIngestionConfig": {"streamConfigMaps": [{"streamType": "local", "stream.local.topic.name": "clicks"}]},
  "filterConfig": {"filterFunction": "equals(campaign, 'bot')"}}}`

func testTables(t testing.TB) (*schema.Schema, *tableconfig.TableConfig) {
	t.Helper()
	sch, _, err := schema.Parse([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := tableconfig.Parse([]byte(testTable))
	if err != nil {
		t.Fatal(err)
	}
	return sch, tc
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// goodEvent returns a good record with id.
func goodEvent(id int) []byte {
	return fmt.Appendf(nil, `{"id": %d, "user": "u%d", "campaign": "c%d", "price": %d.5, "ts": %d}`,
		id, id%17, id%5, id%100, 1714521600000+int64(id))
}

// testHost is a Host that keeps what the partition hands it.
type testHost struct {
	dir string

	mu        sync.Mutex
	consuming map[string]*mutable.Segment
	sealed    map[string]*segment.Meta
	discarded map[string]bool
}

func newTestHost(t testing.TB) *testHost {
	return &testHost{dir: t.TempDir(), consuming: map[string]*mutable.Segment{}, sealed: map[string]*segment.Meta{},
		discarded: map[string]bool{}}
}

func (h *testHost) Consuming(name string, seg *mutable.Segment) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.consuming[name] = seg
}

func (h *testHost) Sealed(name string, meta *segment.Meta) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sealed[name] = meta
}

func (h *testHost) Discarded(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.discarded[name] = true
	delete(h.consuming, name)
}

func (h *testHost) SealPath(name string) string { return filepath.Join(h.dir, name+".tseg") }

func (h *testHost) sealedMeta(name string) *segment.Meta {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sealed[name]
}

func (h *testHost) wasDiscarded(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.discarded[name]
}

func (h *testHost) consumingSeg(name string) *mutable.Segment {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.consuming[name]
}

// cluster is a stream, the in-process completion controller over Memory,
// a deep store, and the replicas that consume partition 0.
type cluster struct {
	t     testing.TB
	s     *memstream.Stream
	strm  stream.Stream // what replicas read (s, or a wrapper)
	mem   *completiontest.Memory
	ctl   *completiontest.Controller
	ds    *memstore.Store
	sch   *schema.Schema
	tc    *tableconfig.TableConfig
	first string

	mu       sync.Mutex
	replicas map[string]*replica
}

type replica struct {
	name string
	p    *Partition
	host *testHost
	stop context.CancelFunc
	done chan error
}

func newCluster(t testing.TB, maxHold time.Duration) *cluster {
	sch, tc := testTables(t)
	s := memstream.NewWithOptions(1, memstream.Options{FetchWait: 20 * time.Millisecond})
	mem := completiontest.NewMemory()
	cfg := completion.DefaultConfig()
	cfg.MaxHold = maxHold
	c := &cluster{t: t, s: s, strm: s, mem: mem, ctl: completiontest.New(mem, s.Compare, cfg), ds: memstore.New(),
		sch: sch, tc: tc, replicas: map[string]*replica{}}
	// The metadata watch: opened segments are assigned to their replicas,
	// committed ones announced.
	mem.Subscribe(func(ev completiontest.Event) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, name := range ev.Segment.Replicas {
			r := c.replicas[name]
			if r == nil {
				continue
			}
			switch {
			case ev.Opened:
				r.p.Assign(Spec{Name: ev.Segment.Name, Start: ev.Segment.Start, CreatedMs: ev.Segment.CreatedMs,
					FlushRows: ev.Segment.FlushRows})
			case ev.Committed:
				r.p.Done(ev.Segment.Name)
			}
		}
	})
	n, err := llcname.New("clicks", 0, 0, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	c.first = n.String()
	return c
}

func (c *cluster) config(instance string) Config {
	return Config{
		TableWithType: "clicks_REALTIME", Table: c.tc, Schema: c.sch,
		Decoder:   streamconfig.DecoderConfig{Format: streamconfig.JSON},
		Partition: "shardId-000000000000", Instance: instance,
		FlushRows: 100, MaxRecordBytes: 200,
		HoldPause: 50 * time.Millisecond, RetryPause: 10 * time.Millisecond, MaxRetryPause: 50 * time.Millisecond,
		Log: testLog().With("instance", instance),
	}
}

// start runs a replica with cfg; the replicas of the first segment are
// those started before open.
func (c *cluster) start(cfg Config) *replica {
	return c.startWith(cfg, c.strm, c.ds)
}

func (c *cluster) startWith(cfg Config, s stream.Stream, ds deepstore.Store) *replica {
	c.t.Helper()
	h := newTestHost(c.t)
	p, err := New(cfg, Deps{Stream: s, Controller: c.ctl, DeepStore: ds, Host: h})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{name: cfg.Instance, p: p, host: h, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- p.Run(ctx) }()
	c.mu.Lock()
	c.replicas[cfg.Instance] = r
	c.mu.Unlock()
	c.t.Cleanup(func() { c.kill(r) })
	return r
}

// kill stops a replica and waits for it.
func (c *cluster) kill(r *replica) {
	c.mu.Lock()
	if c.replicas[r.name] == r {
		delete(c.replicas, r.name)
	}
	c.mu.Unlock()
	r.stop()
	select {
	case err := <-r.done:
		if err != nil {
			c.t.Errorf("replica %s: Run: %v", r.name, err)
		}
		r.done <- nil // later kills return at once
	case <-time.After(10 * time.Second):
		c.t.Errorf("replica %s did not stop within 10s", r.name)
	}
}

// open opens the first segment on replicas.
func (c *cluster) open(replicas ...string) {
	c.t.Helper()
	if err := c.mem.Open(c.first, stream.Start, replicas, time.Now().UnixMilli()); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) produce(data []byte) stream.Offset {
	c.t.Helper()
	off, err := c.s.Append("shardId-000000000000", "k", data)
	if err != nil {
		c.t.Fatal(err)
	}
	return off
}

// ids reads the id column of seg's first n rows.
func ids(seg segment.Segment) []int64 {
	n := seg.NumDocs()
	docs := make([]uint32, n)
	for i := range docs {
		docs[i] = uint32(i)
	}
	out := make([]int64, n)
	seg.Column("id").Int64s(docs, out)
	return out
}

// committedIDs opens every committed segment's upload and returns the ids
// they hold, checking that the segments chain offset to offset from the
// stream's start.
func (c *cluster) committedIDs() (all []int64, segs []completiontest.Segment) {
	c.t.Helper()
	prev := stream.Start
	for _, s := range c.mem.Segments() {
		if s.Start != prev {
			c.t.Fatalf("segment %s starts at %q, the one before ended at %q", s.Name, s.Start, prev)
		}
		if !s.Done {
			break
		}
		prev = s.End
		segs = append(segs, s)
		data, err := readAll(c.ds, s.Upload.Key)
		if err != nil {
			c.t.Fatalf("segment %s upload %q: %v", s.Name, s.Upload.Key, err)
		}
		seg, err := immutable.OpenBytes(s.Name, data)
		if err != nil {
			c.t.Fatalf("open committed %s: %v", s.Name, err)
		}
		if seg.Meta().StartOffset != string(s.Start) || seg.Meta().EndOffset != string(s.End) {
			c.t.Errorf("segment %s holds offsets (%s, %s], its record (%s, %s]", s.Name, seg.Meta().StartOffset,
				seg.Meta().EndOffset, s.Start, s.End)
		}
		all = append(all, ids(seg)...)
		seg.Close()
	}
	return all, segs
}

func readAll(ds deepstore.Store, key string) ([]byte, error) {
	rc, err := ds.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf []byte
	b := make([]byte, 64<<10)
	for {
		n, err := rc.Read(b)
		buf = append(buf, b[:n]...)
		if err != nil {
			return buf, nil
		}
	}
}

// checkExactly fails unless got holds each of want once.
func checkExactly(t *testing.T, what string, got []int64, want map[int64]bool) {
	t.Helper()
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	var dup, missing, extra []int64
	for id, n := range seen {
		if n > 1 {
			dup = append(dup, id)
		}
		if !want[id] {
			extra = append(extra, id)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	sort.Slice(dup, func(i, j int) bool { return dup[i] < dup[j] })
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	if len(dup)+len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d rows; duplicated %v, missing %v, unexpected %v", what, len(got), head(dup), head(missing), head(extra))
	}
}

func head(x []int64) []int64 {
	if len(x) > 10 {
		return x[:10]
	}
	return x
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slowStream delays every fetch of its consumers and caps their size, so
// that a replica lags behind the others.
type slowStream struct {
	stream.Stream
	delay time.Duration
	max   int
}

func (s slowStream) Consumer(p string) (stream.Consumer, error) {
	c, err := s.Stream.Consumer(p)
	if err != nil {
		return nil, err
	}
	return slowConsumer{c, s}, nil
}

type slowConsumer struct {
	stream.Consumer
	s slowStream
}

func (c slowConsumer) Fetch(ctx context.Context, from stream.Offset, max int) (stream.FetchResult, error) {
	time.Sleep(c.s.delay)
	return c.Consumer.Fetch(ctx, from, min(max, c.s.max))
}
