package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/startreedata/pinot-client-go/pinot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// This file tests the broker in a real cluster: embedded etcd, fake servers
// answering querypb.Query over real gRPC listeners with the real engine
// (exec.Execute over real segments), and queries over HTTP.

const eventsSchema = `{"schemaName":"events",
 "dimensionFieldSpecs":[
  {"name":"userID","dataType":"LONG"},
  {"name":"campaign","dataType":"STRING"},
  {"name":"tags","dataType":"STRING","singleValueField":false},
  {"name":"flag","dataType":"BOOLEAN"},
  {"name":"payload","dataType":"BYTES"}],
 "metricFieldSpecs":[{"name":"clicks","dataType":"LONG"},{"name":"revenue","dataType":"DOUBLE"}],
 "dateTimeFieldSpecs":[
  {"name":"ts","dataType":"LONG","format":"1:MILLISECONDS:EPOCH","granularity":"1:MILLISECONDS"},
  {"name":"at","dataType":"TIMESTAMP","format":"TIMESTAMP","granularity":"1:MILLISECONDS"}]}`

const eventsTable = `{"tableName":"events","tableType":"OFFLINE",
 "segmentsConfig":{"timeColumnName":"ts","replication":"2"},
 "tenants":{"broker":"DefaultTenant","server":"DefaultTenant"},
 "tableIndexConfig":{"invertedIndexColumns":["userID"]}}`

const (
	numSegments = 4
	rowsPerSeg  = 50
	day0        = int64(1_700_000_000_000)
)

// buildSegments writes the events segments into dir, file name = segment
// name: segment k holds day k.
func buildSegments(t testing.TB, sc *schema.Schema, dir string) []*immutable.Segment {
	t.Helper()
	var out []*immutable.Segment
	campaigns := []string{"alpha", "beta", "gamma", "delta", "eps"}
	for k := 0; k < numSegments; k++ {
		bufs := map[string]*segment.ColumnBuffer{}
		var cols []*segment.ColumnBuffer
		for i := range sc.Fields {
			b := segment.NewColumnBuffer(&sc.Fields[i])
			bufs[sc.Fields[i].Name] = b
			cols = append(cols, b)
		}
		for r := 0; r < rowsPerSeg; r++ {
			n := k*rowsPerSeg + r
			bufs["userID"].Ints = append(bufs["userID"].Ints, int64(n%17))
			bufs["campaign"].Strs = append(bufs["campaign"].Strs, campaigns[n%len(campaigns)])
			mv := bufs["tags"]
			mv.Strs = append(mv.Strs, "t"+strconv.Itoa(n%3), "u"+strconv.Itoa(n%2))
			mv.Offsets = append(mv.Offsets, uint32(len(mv.Strs)))
			bufs["flag"].Ints = append(bufs["flag"].Ints, int64(n%2))
			bufs["payload"].Strs = append(bufs["payload"].Strs, string([]byte{byte(n), 0xff}))
			bufs["clicks"].Ints = append(bufs["clicks"].Ints, int64(n*3%11))
			bufs["revenue"].Floats = append(bufs["revenue"].Floats, float64(n)/4)
			ts := day0 + int64(k)*day + int64(r)*60_000
			bufs["ts"].Ints = append(bufs["ts"].Ints, ts)
			bufs["at"].Ints = append(bufs["at"].Ints, ts+int64(n%1000))
		}
		name := fmt.Sprintf("events_%d", k)
		path := filepath.Join(dir, name)
		if _, err := immutable.Build(path, immutable.BuildConfig{SegmentName: name, TableName: "events", Schema: sc,
			TimeColumn: "ts", InvertedColumns: []string{"userID"}, PartitionID: -1}, cols); err != nil {
			t.Fatal(err)
		}
		s, err := immutable.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// behaviour is a fake server's fault injection.
type behaviour struct {
	code    codes.Code    // answer with this status (OK: answer normally)
	msg     string        // its message
	sleep   time.Duration // before answering (the call's deadline still applies)
	missing bool          // report every segment asked for as missing
}

// fakeServer answers Execute with the real engine over its segments.
type fakeServer struct {
	querypb.UnimplementedQueryServer
	name   string
	addr   string
	schema *schema.Schema
	segs   map[string]segment.Segment
	behave atomic.Pointer[behaviour]
	calls  atomic.Int64

	mu sync.Mutex
	gs *grpc.Server
}

func startFakeServer(t testing.TB, sc *schema.Schema, segs []segment.Segment) *fakeServer {
	t.Helper()
	f := &fakeServer{schema: sc, segs: map[string]segment.Segment{}}
	for _, s := range segs {
		f.segs[s.Name()] = s
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = lis.Addr().String()
	port := lis.Addr().(*net.TCPAddr).Port
	f.name = cluster.InstanceName(cluster.TypeServer, "127.0.0.1", port)
	f.serve(lis)
	t.Cleanup(f.stop)
	return f
}

func (f *fakeServer) serve(lis net.Listener) {
	gs := grpc.NewServer()
	querypb.RegisterQueryServer(gs, f)
	f.mu.Lock()
	f.gs = gs
	f.mu.Unlock()
	go gs.Serve(lis)
}

// stop takes the server down (its registration stays: a crashed process
// whose lease has not expired yet).
func (f *fakeServer) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gs != nil {
		f.gs.Stop()
		f.gs = nil
	}
}

func (f *fakeServer) restart(t testing.TB) {
	t.Helper()
	lis, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatalf("restart %s: %v", f.name, err)
	}
	f.serve(lis)
}

func (f *fakeServer) set(b *behaviour) { f.behave.Store(b) }

func (f *fakeServer) Execute(ctx context.Context, req *querypb.ExecuteRequest) (*querypb.ExecuteResponse, error) {
	f.calls.Add(1)
	start := time.Now()
	b := f.behave.Load()
	if b == nil {
		b = &behaviour{}
	}
	if b.sleep > 0 {
		select {
		case <-time.After(b.sleep):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if b.code != codes.OK {
		return nil, status.Error(b.code, b.msg)
	}
	st, err := sql.Parse(req.Sql)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	st.Options = mergeOptions(st.Options, req.QueryOptions)
	tbl := &exec.Table{Name: cluster.RawTableName(req.Table), Schema: f.schema}
	resp := &querypb.ExecuteResponse{}
	for _, name := range req.Segments {
		s, ok := f.segs[name]
		if !ok || b.missing {
			resp.MissingSegments = append(resp.MissingSegments, name)
			continue
		}
		tbl.Segments = append(tbl.Segments, s)
	}
	p, err := exec.Execute(ctx, tbl, st)
	if err != nil {
		code := codes.Internal
		switch {
		case errors.Is(err, exec.ErrUnknownColumn), errors.Is(err, exec.ErrPlanning):
			code = codes.InvalidArgument
		case errors.Is(err, exec.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			code = codes.DeadlineExceeded
		}
		return nil, status.Error(code, err.Error())
	}
	if resp.Partial, err = p.AppendBinary(nil); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp.ServerTimeMs = time.Since(start).Milliseconds()
	return resp, nil
}

// testCluster is etcd, three fake servers A, B, C and a running broker.
type testCluster struct {
	t       testing.TB
	store   *cluster.Store
	cache   *cluster.Cache
	schema  *schema.Schema
	segs    []*immutable.Segment
	servers []*fakeServer
	broker  *Broker
	url     string
	stop    func() error
}

// replicasOf is the assignment: events_k on two of A, B, C.
var replicasOf = [numSegments][]int{{0, 1}, {1, 2}, {0, 2}, {0, 1}}

func newTestCluster(t testing.TB, cfg Config) *testCluster {
	t.Helper()
	return newTestClusterWith(t, cfg, nil)
}

// newTestClusterWith is newTestCluster with the broker's dependencies
// edited by deps (when not nil) before it starts.
func newTestClusterWith(t testing.TB, cfg Config, deps func(*node.Deps)) *testCluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cli, _ := clustertest.Etcd(t)
	store := cluster.NewStore(cli, "test")
	sc, _, err := schema.Parse([]byte(eventsSchema))
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{t: t, store: store, schema: sc}
	tc.segs = buildSegments(t, sc, t.TempDir())
	if err := store.CreateSchema(ctx, "events", []byte(eventsSchema)); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, "events_OFFLINE", []byte(eventsTable)); err != nil {
		t.Fatal(err)
	}
	// Three servers, each loading the segments assigned to it.
	hosted := make([][]segment.Segment, 3)
	for k, reps := range replicasOf {
		for _, r := range reps {
			hosted[r] = append(hosted[r], tc.segs[k])
		}
	}
	for i := range 3 {
		tc.servers = append(tc.servers, startFakeServer(t, sc, hosted[i]))
	}
	for k, reps := range replicasOf {
		asg := &cluster.Assignment{Instances: map[string]string{}}
		for _, r := range reps {
			asg.Instances[tc.servers[r].name] = cluster.StateOnline
		}
		meta := *tc.segs[k].Meta()
		if err := store.PutSegment(ctx, &cluster.Segment{Table: "events_OFFLINE", Meta: &meta, Status: "DONE",
			PushTimeMs: time.Now().UnixMilli()}, asg, false); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range tc.servers {
		port := f.addr[strings.LastIndexByte(f.addr, ':')+1:]
		p, _ := strconv.Atoi(port)
		reg, err := cluster.Register(ctx, store, &cluster.Instance{Name: f.name, Type: cluster.TypeServer, Host: "127.0.0.1",
			Port: p, GrpcPort: p, Tags: []string{"DefaultTenant_OFFLINE"}, Enabled: true}, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reg.Close() })
		for _, s := range hosted[i] {
			if err := reg.SetState(ctx, "events_OFFLINE", s.Name(), cluster.SegmentState{State: cluster.StateOnline}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	tc.cache = cache
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if _, err := cache.WaitFor(wctx, func(s *cluster.Snapshot) bool {
		n := 0
		for _, states := range s.View["events_OFFLINE"] {
			n += len(states)
		}
		return n == 2*numSegments && len(s.Live) == 3
	}); err != nil {
		t.Fatalf("cluster metadata did not arrive: %v", err)
	}
	cfg.Port = 0
	d := &node.Deps{Etcd: cli, Store: store, Cache: cache, Log: log}
	if deps != nil {
		deps(d)
	}
	b, err := New(cfg, node.Config{Host: "127.0.0.1"}, d)
	if err != nil {
		t.Fatal(err)
	}
	tc.broker, tc.url = b, "http://"+b.HTTPAddr()
	rctx, rcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(rctx) }()
	var once sync.Once
	var runErr error
	tc.stop = func() error {
		once.Do(func() {
			rcancel()
			select {
			case runErr = <-done:
			case <-time.After(15 * time.Second):
				runErr = fmt.Errorf("broker Run did not return")
			}
		})
		return runErr
	}
	t.Cleanup(func() { tc.stop() })
	tc.waitHealthy()
	return tc
}

func (tc *testCluster) waitHealthy() {
	tc.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(tc.url + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == "OK" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.t.Fatal("broker did not become healthy")
}

// restart brings server i back and waits until the broker reaches it
// again (gRPC reconnects after its backoff).
func (tc *testCluster) restart(i int) {
	tc.t.Helper()
	tc.servers[i].restart(tc.t)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := tc.query("SELECT COUNT(*) FROM events", "")
		if len(r.Exceptions) == 0 && r.NumServersResponded == 3 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tc.t.Fatalf("server %s not reachable again", tc.servers[i].name)
}

func (tc *testCluster) reset() {
	for _, f := range tc.servers {
		f.set(nil)
	}
}

func (tc *testCluster) calls() int64 {
	var n int64
	for _, f := range tc.servers {
		n += f.calls.Load()
	}
	return n
}

// brokerResponse is the decoded JSON, numbers kept as text.
type brokerResponse struct {
	ResultTable *struct {
		DataSchema struct {
			ColumnNames     []string `json:"columnNames"`
			ColumnDataTypes []string `json:"columnDataTypes"`
		} `json:"dataSchema"`
		Rows [][]any `json:"rows"`
	} `json:"resultTable"`
	Exceptions []struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	} `json:"exceptions"`
	PartialResult             bool              `json:"partialResult"`
	NumServersQueried         int               `json:"numServersQueried"`
	NumServersResponded       int               `json:"numServersResponded"`
	NumSegmentsQueried        int               `json:"numSegmentsQueried"`
	NumSegmentsProcessed      int               `json:"numSegmentsProcessed"`
	NumSegmentsPrunedByBroker int               `json:"numSegmentsPrunedByBroker"`
	NumDocsScanned            int64             `json:"numDocsScanned"`
	TotalDocs                 int64             `json:"totalDocs"`
	TimeUsedMs                int64             `json:"timeUsedMs"`
	RequestID                 string            `json:"requestId"`
	BrokerID                  string            `json:"brokerId"`
	TraceInfo                 map[string]string `json:"traceInfo"`
	raw                       []byte
	status                    int
	errorCode                 string
}

func decodeResponse(t testing.TB, status int, hdr http.Header, body []byte) *brokerResponse {
	t.Helper()
	var br brokerResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&br); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if br.Exceptions == nil {
		t.Fatalf("exceptions must be an array: %s", body)
	}
	br.raw, br.status, br.errorCode = body, status, hdr.Get("X-Pinot-Error-Code")
	return &br
}

// post sends POST /query/sql with a JSON body.
func (tc *testCluster) post(body string, headers ...string) *brokerResponse {
	tc.t.Helper()
	req, err := http.NewRequest(http.MethodPost, tc.url+"/query/sql", strings.NewReader(body))
	if err != nil {
		tc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tc.t.Fatal(err)
	}
	return decodeResponse(tc.t, resp.StatusCode, resp.Header, b)
}

func (tc *testCluster) query(sqlText string, opts string) *brokerResponse {
	tc.t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": sqlText, "queryOptions": opts})
	return tc.post(string(body))
}

// reference answers the query in-process over every segment and renders
// it as the broker would.
func (tc *testCluster) reference(sqlText string) *brokerResponse {
	tc.t.Helper()
	tbl := &exec.Table{Name: "events", Schema: tc.schema}
	for _, s := range tc.segs {
		tbl.Segments = append(tbl.Segments, s)
	}
	res, err := exec.Query(context.Background(), tbl, sqlText)
	if err != nil {
		tc.t.Fatalf("reference %q: %v", sqlText, err)
	}
	r := &response{Result: res, Schema: tc.schema}
	return decodeResponse(tc.t, 200, http.Header{}, r.appendJSON(nil))
}

// sameResult compares the result tables of a broker answer and the
// reference.
func sameResult(t *testing.T, what string, got, want *brokerResponse) {
	t.Helper()
	if got.ResultTable == nil {
		t.Fatalf("%s: no resultTable: %s", what, got.raw)
	}
	if !reflect.DeepEqual(got.ResultTable, want.ResultTable) {
		t.Fatalf("%s:\n got %s\nwant %s", what, got.raw, want.raw)
	}
}

func (tc *testCluster) noExceptions(t *testing.T, what string, r *brokerResponse) {
	t.Helper()
	if len(r.Exceptions) > 0 || r.PartialResult {
		s := tc.cache.Snapshot()
		live := []string{}
		for name := range s.Live {
			live = append(live, name)
		}
		slices.Sort(live)
		t.Logf("snapshot at failure: rev %d, live %v, segment states %v", s.Rev, live, s.View["events_OFFLINE"])
		t.Fatalf("%s: exceptions %+v partial %v", what, r.Exceptions, r.PartialResult)
	}
}

var referenceQueries = []string{
	"SELECT COUNT(*) FROM events",
	"SELECT campaign, COUNT(*), SUM(clicks), MAX(revenue), MIN(ts) FROM events GROUP BY campaign ORDER BY campaign",
	"SELECT userID, SUM(revenue) AS r FROM events WHERE ts >= " + strconv.FormatInt(day0+day, 10) + " GROUP BY userID HAVING SUM(revenue) > 20 ORDER BY r DESC, userID LIMIT 5",
	"SELECT userID, campaign, tags, flag, payload, clicks, revenue, ts, at FROM events ORDER BY ts DESC LIMIT 7",
	"SELECT DISTINCT campaign FROM events ORDER BY campaign",
	"SELECT COUNT(DISTINCT userID), AVG(clicks) FROM events WHERE campaign IN ('alpha', 'beta')",
	"SELECT tags, COUNT(*) FROM events GROUP BY tags ORDER BY tags",
	"SELECT userID, clicks FROM events WHERE userID = 3 ORDER BY ts LIMIT 3 OFFSET 2",
}

func TestBrokerCluster(t *testing.T) {
	tc := newTestCluster(t, DefaultConfig())

	t.Run("answers equal the in-process engine", func(t *testing.T) {
		for _, q := range referenceQueries {
			got := tc.query(q, "groupByMode=sql;responseFormat=sql")
			tc.noExceptions(t, q, got)
			sameResult(t, q, got, tc.reference(q))
			if got.errorCode != "-1" || got.status != http.StatusOK {
				t.Errorf("%s: status %d X-Pinot-Error-Code %q", q, got.status, got.errorCode)
			}
			if got.BrokerID != tc.broker.Name() || got.RequestID == "" {
				t.Errorf("brokerId %q requestId %q", got.BrokerID, got.RequestID)
			}
		}
	})

	t.Run("stats", func(t *testing.T) {
		r := tc.query("SELECT COUNT(*) FROM events WHERE clicks >= 0", "")
		tc.noExceptions(t, "count", r)
		if r.NumSegmentsQueried != numSegments || r.TotalDocs != numSegments*rowsPerSeg || r.NumServersQueried < 2 ||
			r.NumServersResponded != r.NumServersQueried || r.NumDocsScanned != numSegments*rowsPerSeg {
			t.Errorf("stats: %s", r.raw)
		}
	})

	t.Run("broker prunes by time", func(t *testing.T) {
		q := "SELECT COUNT(*) FROM events WHERE ts >= " + strconv.FormatInt(day0+2*day, 10)
		r := tc.query(q, "")
		tc.noExceptions(t, q, r)
		sameResult(t, q, r, tc.reference(q))
		if r.NumSegmentsPrunedByBroker != 2 || r.NumSegmentsQueried != 2 {
			t.Errorf("pruned %d queried %d, want 2 and 2", r.NumSegmentsPrunedByBroker, r.NumSegmentsQueried)
		}
		q = "SELECT COUNT(*) FROM events WHERE ts < 0"
		r = tc.query(q, "")
		tc.noExceptions(t, q, r)
		sameResult(t, q, r, tc.reference(q))
		if r.NumSegmentsPrunedByBroker != numSegments || r.NumServersQueried != 0 {
			t.Errorf("all pruned: %s", r.raw)
		}
	})

	t.Run("GET and POST /query", func(t *testing.T) {
		q := "SELECT campaign, COUNT(*) FROM events GROUP BY campaign ORDER BY campaign"
		resp, err := http.Get(tc.url + "/query/sql?" + url.Values{"sql": {q}, "trace": {"true"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := decodeResponse(t, resp.StatusCode, resp.Header, body)
		tc.noExceptions(t, "GET", got)
		sameResult(t, "GET", got, tc.reference(q))
		if len(got.TraceInfo) == 0 {
			t.Errorf("trace=true: empty traceInfo")
		}
		resp, err = http.Post(tc.url+"/query", "application/json", strings.NewReader(`{"sql":"`+q+`","queryOptions":"useMultistageEngine=true"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		got = decodeResponse(t, resp.StatusCode, resp.Header, body)
		tc.noExceptions(t, "POST /query", got)
		sameResult(t, "POST /query", got, tc.reference(q))
	})

	t.Run("query errors", func(t *testing.T) {
		tests := []struct {
			body   string
			code   int
			status int // with Pinot-Use-Http-Status-For-Errors
		}{
			{`{"sql":"SELECT FROM WHERE"}`, codeSQLParsing, 400},
			{`{"sql":"SELECT COUNT(*) FROM nosuch"}`, codeTableMissing, 404},
			{`{"sql":"SELECT nosuch FROM events"}`, codeUnknownColumn, 400},
			{`{"sql":"SELECT campaign FROM events HAVING COUNT(*) > 1 GROUP BY x"}`, codeSQLParsing, 400},
			{`{"sql":"SELECT campaign FROM events HAVING clicks > 1"}`, codePlanning, 400},
			{`{"sql":`, codeJSONParsing, 400},
			{`{"query":"x"}`, codeJSONParsing, 400},
		}
		for _, tt := range tests {
			r := tc.post(tt.body)
			if r.status != 200 || len(r.Exceptions) != 1 || r.Exceptions[0].ErrorCode != tt.code ||
				r.errorCode != strconv.Itoa(tt.code) || r.ResultTable != nil || !r.PartialResult {
				t.Errorf("%s: %d %q %s", tt.body, r.status, r.errorCode, r.raw)
			}
			r = tc.post(tt.body, "Pinot-Use-Http-Status-For-Errors", "true")
			if r.status != tt.status || r.Exceptions[0].ErrorCode != tt.code {
				t.Errorf("%s with HTTP statuses: %d %s", tt.body, r.status, r.raw)
			}
		}
	})

	t.Run("options: SET wins, timeoutMs bounds the query", func(t *testing.T) {
		tc.servers[0].set(&behaviour{sleep: 5 * time.Second})
		tc.servers[1].set(&behaviour{sleep: 5 * time.Second})
		tc.servers[2].set(&behaviour{sleep: 5 * time.Second})
		defer tc.reset()
		start := time.Now()
		r := tc.query("SET timeoutMs = 300; SELECT COUNT(*) FROM events", "timeoutMs=20000")
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("SET timeoutMs=300 took %v", el)
		}
		if !r.PartialResult || len(r.Exceptions) == 0 || r.Exceptions[0].ErrorCode != codeServerNotResponding {
			t.Errorf("every server too slow: %s", r.raw)
		}
	})

	t.Run("failover: server down", func(t *testing.T) {
		tc.servers[0].stop()
		defer tc.restart(0)
		for i := 0; i < 4; i++ { // every rotation
			for _, q := range referenceQueries[:3] {
				r := tc.query(q, "")
				tc.noExceptions(t, q, r)
				sameResult(t, q, r, tc.reference(q))
			}
		}
	})

	t.Run("failover: Unavailable", func(t *testing.T) {
		tc.servers[1].set(&behaviour{code: codes.Unavailable, msg: "shutting down"})
		defer tc.reset()
		before := tc.servers[1].calls.Load()
		for i := 0; i < 4; i++ {
			q := referenceQueries[1]
			r := tc.query(q, "")
			tc.noExceptions(t, q, r)
			sameResult(t, q, r, tc.reference(q))
		}
		if tc.servers[1].calls.Load() == before {
			t.Error("the failing server was never asked: nothing failed over")
		}
	})

	t.Run("failover: missing segments", func(t *testing.T) {
		tc.servers[2].set(&behaviour{missing: true})
		defer tc.reset()
		before := tc.servers[2].calls.Load()
		defer func() {
			if tc.servers[2].calls.Load() == before {
				t.Error("the server missing its segments was never asked")
			}
		}()
		for i := 0; i < 4; i++ {
			q := referenceQueries[3]
			r := tc.query(q, "")
			tc.noExceptions(t, q, r)
			sameResult(t, q, r, tc.reference(q))
		}
	})

	t.Run("failover: server sleeps past the deadline", func(t *testing.T) {
		tc.servers[0].set(&behaviour{sleep: 10 * time.Second})
		defer tc.reset()
		before := tc.servers[0].calls.Load()
		defer func() {
			if tc.servers[0].calls.Load() == before {
				t.Error("the sleeping server was never asked")
			}
		}()
		for i := 0; i < 3; i++ {
			q := referenceQueries[1]
			start := time.Now()
			r := tc.query(q, "timeoutMs=2000")
			el := time.Since(start)
			tc.noExceptions(t, q, r)
			sameResult(t, q, r, tc.reference(q))
			if el > 1900*time.Millisecond {
				t.Errorf("answered after %v, past the 2 s timeout", el)
			}
		}
	})

	t.Run("no replica left: partial result", func(t *testing.T) {
		tc.servers[0].set(&behaviour{code: codes.Unavailable, msg: "down"})
		tc.servers[1].set(&behaviour{code: codes.Internal, msg: "disk on fire"})
		defer tc.reset()
		r := tc.query("SELECT COUNT(*) FROM events", "")
		if !r.PartialResult || r.ResultTable == nil {
			t.Fatalf("want a partial result: %s", r.raw)
		}
		var codesSeen []int
		for _, e := range r.Exceptions {
			codesSeen = append(codesSeen, e.ErrorCode)
		}
		if !slices.Equal(codesSeen, []int{codeServerNotResponding, codeSegmentsUnavailable}) {
			t.Errorf("exception codes %v: %s", codesSeen, r.raw)
		}
		// events_0 and events_3 live on A and B only.
		if msg := r.Exceptions[1].Message; !strings.Contains(msg, "events_0") || !strings.Contains(msg, "events_3") ||
			!strings.Contains(r.Exceptions[0].Message, tc.servers[0].name) || !strings.Contains(r.Exceptions[0].Message, tc.servers[1].name) {
			t.Errorf("exceptions do not name the segments and servers: %s", r.raw)
		}
		// What is answered is exactly the other two segments.
		if got := fmt.Sprint(r.ResultTable.Rows); got != fmt.Sprint([][]any{{json.Number(strconv.Itoa(2 * rowsPerSeg))}}) {
			t.Errorf("rows %s, want the 2 reachable segments' count", got)
		}
		if r.errorCode != strconv.Itoa(codeServerNotResponding) {
			t.Errorf("X-Pinot-Error-Code %q", r.errorCode)
		}
	})

	t.Run("server query error is the answer, not retried", func(t *testing.T) {
		for _, f := range tc.servers {
			f.set(&behaviour{code: codes.InvalidArgument, msg: `unknown column "zz" in table "events"`})
		}
		defer tc.reset()
		before := tc.calls()
		r := tc.query("SELECT COUNT(*) FROM events", "")
		if len(r.Exceptions) != 1 || r.Exceptions[0].ErrorCode != codeUnknownColumn || r.ResultTable != nil ||
			!strings.Contains(r.Exceptions[0].Message, `unknown column "zz"`) {
			t.Errorf("want the server's error: %s", r.raw)
		}
		if calls := tc.calls() - before; calls > int64(r.NumServersQueried) {
			t.Errorf("%d calls for %d servers queried: the query error was retried", calls, r.NumServersQueried)
		}
	})

	t.Run("pinot-client-go", func(t *testing.T) {
		conn, err := pinot.NewFromBrokerList([]string{tc.broker.HTTPAddr()})
		if err != nil {
			t.Fatal(err)
		}
		q := "SELECT campaign, COUNT(*) AS n, SUM(revenue) AS r FROM events GROUP BY campaign ORDER BY campaign"
		resp, err := conn.ExecuteSQL("events", q)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Exceptions) != 0 || resp.ResultTable == nil {
			t.Fatalf("exceptions %+v", resp.Exceptions)
		}
		ref := tc.reference(q)
		rt := resp.ResultTable
		if rt.GetRowCount() != len(ref.ResultTable.Rows) || rt.GetColumnCount() != 3 ||
			rt.GetColumnDataType(1) != "LONG" || rt.GetColumnDataType(2) != "DOUBLE" {
			t.Fatalf("shape: %+v", rt.DataSchema)
		}
		for i, row := range ref.ResultTable.Rows {
			n, _ := row[1].(json.Number).Int64()
			r, _ := row[2].(json.Number).Float64()
			if rt.GetString(i, 0) != row[0] || rt.GetLong(i, 1) != n || rt.GetDouble(i, 2) != r {
				t.Errorf("row %d: %v %v %v, want %v", i, rt.GetString(i, 0), rt.GetLong(i, 1), rt.GetDouble(i, 2), row)
			}
		}
		if resp.NumSegmentsQueried != numSegments || resp.TotalDocs != numSegments*rowsPerSeg || resp.NumServersResponded == 0 {
			t.Errorf("stats: %+v", resp)
		}
		resp, err = conn.ExecuteSQLWithParams("events", "SELECT at, payload, flag, tags FROM events WHERE userID = ? ORDER BY at LIMIT 1", []any{3})
		if err != nil || len(resp.Exceptions) != 0 {
			t.Fatalf("%v %+v", err, resp)
		}
		rt = resp.ResultTable
		if at := rt.GetString(0, 0); len(at) < len("2006-01-02 15:04:05.0") || at[10] != ' ' {
			t.Errorf("TIMESTAMP as %q", at)
		}
		if rt.GetColumnDataType(3) != "STRING_ARRAY" || rt.GetColumnDataType(2) != "BOOLEAN" || rt.GetColumnDataType(1) != "BYTES" {
			t.Errorf("types %v", rt.DataSchema.ColumnDataTypes)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		// The subtests above answered queries, errors and a partial result.
		fams := scrape(t, tc.url+"/metrics")
		ok := value(fams, "tannin_broker_queries_total", "table", "events")
		errs := value(fams, "tannin_broker_query_errors_total", "table", "events", "code", strconv.Itoa(codeUnknownColumn))
		partial := value(fams, "tannin_broker_partial_results_total", "table", "events")
		var observed uint64
		for _, m := range fams["tannin_broker_query_latency_seconds"].GetMetric() {
			if m.GetLabel()[0].GetValue() == "events" {
				observed = m.GetHistogram().GetSampleCount()
			}
		}
		if ok < 10 || errs < 1 || partial < 1 || observed != uint64(ok) {
			t.Errorf("queries %v, unknown-column errors %v, partial results %v, latencies observed %d", ok, errs, partial, observed)
		}
		if slots := value(fams, "tannin_broker_query_slots"); slots < 1 {
			t.Errorf("query slots %v", slots)
		}
	})

	t.Run("shutdown leaves the cluster", func(t *testing.T) {
		name := tc.broker.Name()
		if !tc.cache.Snapshot().IsLive(name) {
			t.Fatalf("broker %s is not live", name)
		}
		if err := tc.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := tc.cache.WaitFor(ctx, func(s *cluster.Snapshot) bool { return !s.IsLive(name) }); err != nil {
			t.Errorf("broker still live after shutdown: its lease was not revoked")
		}
		if tc.broker.pool.size() != 0 {
			t.Errorf("%d gRPC connections left open", tc.broker.pool.size())
		}
	})
}

// TestEmptyTable: a table without segments answers with an empty result
// of the right shape.
func TestEmptyTable(t *testing.T) {
	tc := newTestCluster(t, DefaultConfig())
	ctx := context.Background()
	if err := tc.store.CreateSchema(ctx, "empty", []byte(strings.Replace(eventsSchema, `"events"`, `"empty"`, 1))); err != nil {
		t.Fatal(err)
	}
	if err := tc.store.CreateTable(ctx, "empty_OFFLINE", []byte(strings.Replace(eventsTable, `"events"`, `"empty"`, 1))); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := tc.cache.WaitFor(wctx, func(s *cluster.Snapshot) bool { return s.Tables["empty_OFFLINE"] != nil }); err != nil {
		t.Fatal(err)
	}
	// Without null handling the SUM of nothing shows as 0.0, as in Pinot;
	// with it, as null.
	for opts, want := range map[string]string{"": "[[0 0.0]]", "enableNullHandling=true": "[[0 <nil>]]"} {
		r := tc.query("SELECT COUNT(*), SUM(clicks) FROM empty", opts)
		tc.noExceptions(t, "count", r)
		if r.ResultTable == nil || fmt.Sprint(r.ResultTable.Rows) != want || r.NumServersQueried != 0 {
			t.Errorf("count over no segments with %q: %s", opts, r.raw)
		}
	}
	r := tc.query("SELECT campaign, clicks FROM empty ORDER BY clicks LIMIT 5", "enableNullHandling=true")
	tc.noExceptions(t, "select", r)
	if r.ResultTable == nil || len(r.ResultTable.Rows) != 0 ||
		!slices.Equal(r.ResultTable.DataSchema.ColumnDataTypes, []string{"STRING", "LONG"}) {
		t.Errorf("selection over no segments: %s", r.raw)
	}
}

// TestHealthBeforeRun: /health is 503 until the broker registered.
func TestHealthBeforeRun(t *testing.T) {
	cli, _ := clustertest.Etcd(t)
	store := cluster.NewStore(cli, "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache, err := cluster.NewCache(ctx, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Port = 0
	b, err := New(cfg, node.Config{Host: "127.0.0.1"}, &node.Deps{Etcd: cli, Store: store, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer b.ln.Close()
	req, _ := http.NewRequest(http.MethodGet, "/health", nil)
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("health before Run: %d", rec.Code)
	}
	// A bound port is refused.
	cfg.Port = b.ln.Addr().(*net.TCPAddr).Port
	if _, err := New(cfg, node.Config{Host: "127.0.0.1"}, &node.Deps{Cache: cache}); err == nil {
		t.Error("New on a bound port: want an error")
	}
}

// scrape reads a /metrics page into metric families.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// value is the counter or gauge value of the series with the given label
// pairs, or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	return -1
}
