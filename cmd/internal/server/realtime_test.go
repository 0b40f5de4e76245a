package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completion/completiontest"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/memstream"
	"github.com/tannin-db/tannin/stream/streams"
)

const (
	rtTableName  = "clicks_REALTIME"
	rtSchemaJSON = `{"schemaName": "clicks",
 "dimensionFieldSpecs": [{"name": "id", "dataType": "LONG"}, {"name": "campaign", "dataType": "STRING"}],
 "metricFieldSpecs": [{"name": "price", "dataType": "DOUBLE"}],
 "dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}]}`
	rtTableJSON = `{"tableName": "clicks", "tableType": "REALTIME",
 "segmentsConfig": {"timeColumnName": "ts", "replication": "1"}, "tenants": {},
 "tableIndexConfig": {"sortedColumn": ["campaign"], "invertedIndexColumns": ["campaign"]},
 "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{
   "streamType": "local", "stream.local.topic.name": "clicks",
   "realtime.segment.flush.threshold.segment.rows": "100"}]}}}`
	rtShard = "shardId-000000000000"
)

// etcdBackend is the completion controller's metadata in real etcd: the
// commit is cluster.Store.CommitSegment, the controller leader's write.
type etcdBackend struct {
	store *cluster.Store
	cache *cluster.Cache
}

func (b *etcdBackend) Record(ctx context.Context, seg string) (completion.Record, []string, error) {
	rec, _, err := b.store.ReadSegment(ctx, rtTableName, seg)
	if errors.Is(err, cluster.ErrNotFound) {
		return completion.Record{}, nil, fmt.Errorf("%v: %w", err, completiontest.ErrNotFound)
	}
	if err != nil {
		return completion.Record{}, nil, err
	}
	var replicas []string
	if a := b.cache.Snapshot().Assign[rtTableName][seg]; a != nil {
		for name, st := range a.Instances {
			if st == cluster.StateConsuming || st == cluster.StateOnline {
				replicas = append(replicas, name)
			}
		}
	}
	sort.Strings(replicas)
	return completion.Record{Done: rec.Status == cluster.StatusDone, EndOffset: stream.Offset(rec.Meta.EndOffset)}, replicas, nil
}

func (b *etcdBackend) Commit(ctx context.Context, c completiontest.Commit) error {
	_, err := b.store.CommitSegment(ctx, &cluster.Commit{Table: rtTableName, Segment: c.Segment, EndOffset: string(c.EndOffset),
		Meta: c.Upload.Meta, DownloadURI: c.Upload.DownloadURI, Key: c.Upload.Key, EndOfPartition: c.EndOfPartition,
		NowMs: time.Now().UnixMilli()})
	if errors.Is(err, cluster.ErrConflict) {
		return fmt.Errorf("%v: %w", err, completiontest.ErrConflict)
	}
	return err
}

func (b *etcdBackend) Stopped(context.Context, string, string) error { return nil }

// rtHarness is the server harness plus a realtime table read from an
// in-process stream.
type rtHarness struct {
	*harness
	ms    *memstream.Stream
	local *streams.Local
	ctl   *completiontest.Controller
	sch   *schema.Schema
}

func newRTHarness(t *testing.T) *rtHarness {
	h := newHarness(t)
	if err := h.store.CreateSchema(h.ctx, "clicks", []byte(rtSchemaJSON)); err != nil {
		t.Fatal(err)
	}
	if err := h.store.CreateTable(h.ctx, rtTableName, []byte(rtTableJSON)); err != nil {
		t.Fatal(err)
	}
	sch, _, err := schema.Parse([]byte(rtSchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	ms := memstream.NewWithOptions(1, memstream.Options{FetchWait: 20 * time.Millisecond})
	local := &streams.Local{}
	local.Register("clicks", ms)
	cfg := completion.DefaultConfig()
	cfg.MaxHold = 300 * time.Millisecond
	ctl := completiontest.New(&etcdBackend{store: h.store, cache: h.cache}, ms.Compare, cfg)
	return &rtHarness{harness: h, ms: ms, local: local, ctl: ctl, sch: sch}
}

func (h *rtHarness) deps() *node.Deps {
	d := h.harness.deps()
	d.LocalStreams, d.Completion = h.local, h.ctl
	return d
}

func (h *rtHarness) startRT(cfg Config) *running {
	h.t.Helper()
	return h.startWith(cfg, h.deps())
}

func (h *rtHarness) produce(id int) {
	h.t.Helper()
	data := fmt.Appendf(nil, `{"id": %d, "campaign": "c%d", "price": %d.25, "ts": %d}`, id, id%7, id%50, 1714521600000+int64(id))
	if _, err := h.ms.Append(rtShard, "k", data); err != nil {
		h.t.Fatal(err)
	}
}

// query runs SQL over every segment of the table on s, as a broker would.
func (h *rtHarness) query(c querypb.QueryClient, q string) (*exec.Result, []string) {
	h.t.Helper()
	var segs []string
	for name := range h.cache.Snapshot().Segments[rtTableName] {
		segs = append(segs, name)
	}
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	resp, err := c.Execute(ctx, &querypb.ExecuteRequest{RequestId: "rt", Table: rtTableName, Sql: q, Segments: segs})
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	part, err := exec.UnmarshalPartial(resp.GetPartial())
	if err != nil {
		h.t.Fatal(err)
	}
	st, err := sql.Parse(q)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := exec.Reduce(ctx, h.sch, "clicks", st, []*exec.Partial{part})
	if err != nil {
		h.t.Fatal(err)
	}
	return res, resp.GetMissingSegments()
}

func (h *rtHarness) countSum(c querypb.QueryClient) (int64, float64, []string) {
	res, missing := h.query(c, "SELECT COUNT(*), SUM(price) FROM clicks")
	return toInt(res.Rows[0][0]), toFloat(res.Rows[0][1]), missing
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case int:
		return int64(x)
	}
	panic(fmt.Sprintf("%T", v))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case nil: // SUM over no rows
		return 0
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("%T", v))
}

func wantSum(n int) float64 {
	s := 0.0
	for id := 1; id <= n; id++ {
		s += float64(id%50) + 0.25
	}
	return s
}

// The server role consumes a realtime table through etcd: rows are
// queryable at once, segments commit at 100 rows (sealed, uploaded, ONLINE
// from the local copy without a download), counts stay exact throughout,
// and a restart rebuilds the consuming segment from its start offset.
func TestRealtimeConsumeCommitQuery(t *testing.T) {
	h := newRTHarness(t)
	dir := t.TempDir()
	s := h.startRT(testConfig(dir))
	waitFor(t, "registered", s.Ready)
	started, err := h.store.StartConsuming(h.ctx, rtTableName, []cluster.ConsumingStart{{Partition: rtShard, StartOffset: "", Replicas: []string{s.InstanceName()}}}, time.Now().UnixMilli())
	if err != nil || len(started) != 1 {
		t.Fatalf("start consuming: %v %v", started, err)
	}
	first := started[0]
	waitFor(t, "CONSUMING reported", func() bool {
		return h.cache.Snapshot().View[rtTableName][first][s.InstanceName()].State == cluster.StateConsuming
	})
	c := client(t, s.Server)

	// Visible at once.
	h.produce(1)
	waitFor(t, "the first row visible", func() bool { n, _, _ := h.countSum(c); return n == 1 })

	// 250 rows: two commits and 50 rows consuming; exact at every step.
	for id := 2; id <= 250; id++ {
		h.produce(id)
		if id%25 == 0 {
			n, _, missing := h.countSum(c)
			if n > int64(id) || len(missing) > 0 {
				t.Fatalf("after %d events: COUNT(*) %d, missing %v", id, n, missing)
			}
		}
	}
	waitFor(t, "250 rows", func() bool { n, _, _ := h.countSum(c); return n == 250 })
	n, sum, _ := h.countSum(c)
	if n != 250 || math.Abs(sum-wantSum(250)) > 1e-6 {
		t.Fatalf("COUNT %d SUM %v, want 250 %v", n, sum, wantSum(250))
	}
	// Two segments DONE and ONLINE here, loaded from the local sealed
	// copy (no download); the third consuming.
	var done []string
	waitFor(t, "two segments ONLINE", func() bool {
		done = done[:0]
		snap := h.cache.Snapshot()
		for name, rec := range snap.Segments[rtTableName] {
			if rec.Status == cluster.StatusDone && snap.View[rtTableName][name][s.InstanceName()].State == cluster.StateOnline {
				done = append(done, name)
			}
		}
		return len(done) == 2
	})
	for _, name := range done {
		rec := h.cache.Snapshot().Segments[rtTableName][name]
		if rec.Meta.NumDocs != 100 {
			t.Errorf("segment %s: %d rows, want 100", name, rec.Meta.NumDocs)
		}
	}
	if got := h.ds.gets.Load(); got != 0 {
		t.Errorf("%d deep-store downloads; the committer's own copies must be reused", got)
	}
	waitFor(t, "consuming copies released", func() bool {
		s.segs.mu.RLock()
		defer s.segs.mu.RUnlock()
		return len(s.segs.consuming) == 1
	})
	if n, sum, _ := h.countSum(c); n != 250 || math.Abs(sum-wantSum(250)) > 1e-6 {
		t.Fatalf("after the sealed segments went ONLINE: COUNT %d SUM %v", n, sum)
	}

	// consumingSegmentsInfo on the admin port.
	var info consuminginfo.Server
	resp, err := http.Get("http://" + s.HTTPAddr() + "/tables/clicks/consumingSegmentsInfo")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || len(info.Segments) != 1 {
		t.Fatalf("consumingSegmentsInfo: %+v %v", info, err)
	}
	if e := info.Segments[0]; e.State != consuminginfo.StateConsuming || e.Rows != 50 || e.CurrentOffset != "250" ||
		e.StartOffset != "200" || e.PartitionGroup != 0 || e.LastConsumedMs == 0 {
		t.Errorf("consuming segment info %+v", e)
	}

	// /metrics: the partition consumer's rows and state, the fragments
	// the queries above ran, the segments by state.
	mresp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`tannin_server_rows_consumed_total{partition="shardId-000000000000",table="clicks_REALTIME"} 250`,
		`tannin_server_partition_consumer_state{partition="shardId-000000000000",state="CONSUMING",table="clicks_REALTIME"} 1`,
		`tannin_server_segments{state="ONLINE",table="clicks_REALTIME"} 2`,
		`tannin_server_segments{state="CONSUMING",table="clicks_REALTIME"} 1`,
		`tannin_server_query_fragments_total{table="clicks_REALTIME"}`,
		`tannin_deepstore_operations_total{op="put",result="ok",role="server"}`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(string(page), "tannin_server_"))
		}
	}

	// Restart: the consuming segment is rebuilt from offset 200, the
	// sealed ones reopen from their local files.
	cfg2 := testConfig(dir)
	cfg2.AdminPort = portOf(t, s.HTTPAddr()) // the same instance name
	s.stop(t)
	for id := 251; id <= 300; id++ {
		h.produce(id)
	}
	s2 := h.startRT(cfg2)
	c2 := client(t, s2.Server)
	waitFor(t, "300 rows after restart", func() bool {
		n, _, missing := h.countSum(c2)
		return n == 300 && len(missing) == 0
	})
	if n, sum, _ := h.countSum(c2); n != 300 || math.Abs(sum-wantSum(300)) > 1e-6 {
		t.Fatalf("after restart: COUNT %d SUM %v, want 300 %v", n, sum, wantSum(300))
	}
	if got := h.ds.gets.Load(); got != 0 {
		t.Errorf("%d deep-store downloads after restart; local copies must be reused", got)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
