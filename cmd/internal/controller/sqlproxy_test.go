package controller

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// recordingBroker is an HTTP endpoint on 127.0.0.1 registered in the
// cluster as a live broker: it records what the controller forwards and
// answers what the test sets.
type recordingBroker struct {
	*fakeInstance
	mu       sync.Mutex
	requests []recorded
	status   int
	body     string
}

type recorded struct {
	method, path, contentType string
	header                    http.Header
	body                      []byte
}

func (e *env) recordingBroker(tags ...string) *recordingBroker {
	e.t.Helper()
	b := &recordingBroker{status: http.StatusOK, body: `{"resultTable":{"dataSchema":{"columnNames":["n"],"columnDataTypes":["LONG"]},"rows":[[42]]},"exceptions":[]}`}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.requests = append(b.requests, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Clone(), body})
		status, out := b.status, b.body
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Pinot-Error-Code", "-1")
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	e.t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	if len(tags) == 0 {
		tags = []string{"DefaultTenant_BROKER"}
	}
	b.fakeInstance = e.fakeInstance(cluster.TypeBroker, p, tags, false)
	return b
}

func (b *recordingBroker) last(t *testing.T) recorded {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		t.Fatal("the broker received no request")
	}
	return b.requests[len(b.requests)-1]
}

func (b *recordingBroker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// sqlCall sends a request to /sql with headers and returns the response
// and its body.
func sqlCall(t *testing.T, method, url string, body string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// wantQueryError checks a query error answered by the proxy itself.
func wantQueryError(t *testing.T, resp *http.Response, body []byte, status, code int, fragments ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if got := resp.Header.Get("X-Pinot-Error-Code"); got != strconv.Itoa(code) {
		t.Errorf("X-Pinot-Error-Code %q, want %d", got, code)
	}
	var r struct {
		Exceptions []struct {
			ErrorCode int    `json:"errorCode"`
			Message   string `json:"message"`
		} `json:"exceptions"`
		PartialResult bool `json:"partialResult"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	if len(r.Exceptions) != 1 || r.Exceptions[0].ErrorCode != code {
		t.Fatalf("exceptions %+v, want one with code %d", r.Exceptions, code)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Exceptions[0].Message, f) {
			t.Errorf("message %q does not mention %q", r.Exceptions[0].Message, f)
		}
	}
}

func TestSQLProxyForwards(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	addWebTable(t, c.url, nil)
	b := e.recordingBroker()

	body := `{"sql": "SELECT COUNT(*) FROM webTransactions", "queryOptions": "timeoutMs=5000", "extra": 1}`
	resp, out := sqlCall(t, "POST", c.url+"/sql", body, map[string]string{
		"Authorization": "Basic YWRtaW46YWRtaW4=", "Pinot-Use-Http-Status-For-Errors": "true", "X-Correlation-Id": "c-1",
		"Cookie": "not=forwarded",
	})
	if resp.StatusCode != 200 || string(out) != b.body {
		t.Fatalf("answer %d %s, want the broker's %s", resp.StatusCode, out, b.body)
	}
	if resp.Header.Get("X-Tannin-Broker") != b.name || resp.Header.Get("X-Pinot-Error-Code") != "-1" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("relayed headers %v", resp.Header)
	}
	got := b.last(t)
	if got.method != "POST" || got.path != "/query/sql" || got.contentType != "application/json" {
		t.Errorf("forwarded %s %s (%s), want POST /query/sql (application/json)", got.method, got.path, got.contentType)
	}
	if string(got.body) != body {
		t.Errorf("forwarded body %s, want the caller's %s", got.body, body)
	}
	for k, v := range map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4=", "Pinot-Use-Http-Status-For-Errors": "true", "X-Correlation-Id": "c-1", "Cookie": ""} {
		if got.header.Get(k) != v {
			t.Errorf("forwarded header %s = %q, want %q", k, got.header.Get(k), v)
		}
	}

	// The broker's status and body are relayed unchanged, errors too.
	b.mu.Lock()
	b.status, b.body = http.StatusServiceUnavailable, `{"exceptions":[{"errorCode":305,"message":"segments unavailable"}]}`
	b.mu.Unlock()
	resp, out = sqlCall(t, "POST", c.url+"/sql", `{"sql":"SELECT * FROM webTransactions_OFFLINE"}`, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || string(out) != b.body {
		t.Errorf("broker error relayed as %d %s", resp.StatusCode, out)
	}

	// GET /sql?sql= is forwarded as the same JSON body.
	resp, _ = sqlCall(t, "GET", c.url+"/sql?sql="+strings.ReplaceAll("SELECT 1 FROM webtransactions", " ", "+")+"&queryOptions=a%3D1&trace=true", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /sql: status %d", resp.StatusCode)
	}
	var fwd map[string]string
	if err := json.Unmarshal(b.last(t).body, &fwd); err != nil {
		t.Fatal(err)
	}
	if fwd["sql"] != "SELECT 1 FROM webtransactions" || fwd["queryOptions"] != "a=1" || fwd["trace"] != "true" {
		t.Errorf("GET forwarded as %v", fwd)
	}
}

func TestSQLProxyPicksTheTablesBrokerTenant(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	addWebTable(t, c.url, func(m map[string]any) { m["tenants"] = map[string]any{"broker": "Gold", "server": "DefaultTenant"} })
	def := e.recordingBroker("DefaultTenant_BROKER")
	gold := e.recordingBroker("Gold_BROKER")
	for range 5 {
		resp, out := sqlCall(t, "POST", c.url+"/sql", `{"sql":"SELECT COUNT(*) FROM webTransactions"}`, nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-Tannin-Broker") != gold.name {
			t.Fatalf("answered by %q (%d %s), want %s", resp.Header.Get("X-Tannin-Broker"), resp.StatusCode, out, gold.name)
		}
	}
	if def.count() != 0 || gold.count() != 5 {
		t.Errorf("default tenant's broker got %d queries, Gold's %d; want 0 and 5", def.count(), gold.count())
	}
}

func TestSQLProxyNoBroker(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	addWebTable(t, c.url, nil)
	query := `{"sql":"SELECT COUNT(*) FROM webTransactions"}`
	statuses := map[string]string{"Pinot-Use-Http-Status-For-Errors": "true"}

	resp, out := sqlCall(t, "POST", c.url+"/sql", query, nil)
	wantQueryError(t, resp, out, 200, 410, "webTransactions_OFFLINE", "DefaultTenant has no brokers")
	resp, out = sqlCall(t, "POST", c.url+"/sql", query, statuses)
	wantQueryError(t, resp, out, 503, 410)

	// A broker that is registered but not live.
	b := e.recordingBroker()
	b.stop()
	e.waitFor(10*time.Second, b.name+" not live", func(s *cluster.Snapshot) bool { return !s.IsLive(b.name) })
	resp, out = sqlCall(t, "POST", c.url+"/sql", query, statuses)
	wantQueryError(t, resp, out, 503, 420, "no live broker for table webTransactions_OFFLINE", b.name+" (not live)")

	// A live broker that is disabled takes no queries either.
	d := e.recordingBroker()
	must(t, 200, "PUT", c.url+"/instances/"+d.name+"/state?state=disable", nil, nil)
	resp, out = sqlCall(t, "POST", c.url+"/sql", query, nil)
	wantQueryError(t, resp, out, 200, 420, d.name+" (disabled)", b.name+" (not live)")
	if d.count() != 0 {
		t.Errorf("the disabled broker got %d queries", d.count())
	}
	must(t, 200, "PUT", c.url+"/instances/"+d.name+"/state?state=enable", nil, nil)
	resp, out = sqlCall(t, "POST", c.url+"/sql", query, nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Tannin-Broker") != d.name {
		t.Errorf("after enabling: %d %s from %q", resp.StatusCode, out, resp.Header.Get("X-Tannin-Broker"))
	}

	// A broker that stopped without deregistering: the send fails.
	gone := httptest.NewServer(http.NotFoundHandler())
	_, port, _ := net.SplitHostPort(gone.Listener.Addr().String())
	gone.Close()
	must(t, 200, "PUT", c.url+"/instances/"+d.name+"/state?state=disable", nil, nil)
	p, _ := strconv.Atoi(port)
	dead := e.fakeInstance(cluster.TypeBroker, p, []string{"DefaultTenant_BROKER"}, false)
	resp, out = sqlCall(t, "POST", c.url+"/sql", query, statuses)
	wantQueryError(t, resp, out, 503, 425, "send query to broker "+dead.name)
}

func TestSQLProxyBadRequests(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	addWebTable(t, c.url, nil)
	b := e.recordingBroker()
	statuses := map[string]string{"Pinot-Use-Http-Status-For-Errors": "true"}
	for _, tc := range []struct {
		name, method, body string
		status, code       int
		fragments          []string
	}{
		{"not JSON", "POST", `{"sql": `, 400, 100, []string{"invalid JSON request body"}},
		{"no sql", "POST", `{"query": "SELECT 1"}`, 400, 100, []string{"missing the query string field 'sql'"}},
		{"queryOptions not a string", "POST", `{"sql": "SELECT 1 FROM webTransactions", "queryOptions": {"a": 1}}`, 400, 100, []string{"queryOptions"}},
		{"bad SQL", "POST", `{"sql": "SELEC COUNT(*) FROM webTransactions"}`, 400, 150, []string{"sql:"}},
		{"unknown table", "POST", `{"sql": "SELECT COUNT(*) FROM nope"}`, 404, 190, []string{`table "nope" does not exist`, "webTransactions_OFFLINE"}},
		{"unknown type", "POST", `{"sql": "SELECT COUNT(*) FROM webTransactions_REALTIME"}`, 404, 190, []string{"webTransactions_REALTIME"}},
		{"too large", "POST", `{"sql": "` + strings.Repeat("x", maxSQLBody) + `"}`, 400, 100, []string{"larger than"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := sqlCall(t, tc.method, c.url+"/sql", tc.body, statuses)
			wantQueryError(t, resp, out, tc.status, tc.code, tc.fragments...)
		})
	}
	resp, out := sqlCall(t, "GET", c.url+"/sql", "", nil)
	wantQueryError(t, resp, out, 200, 100, "query parameter 'sql' is missing")
	resp, out = sqlCall(t, "PUT", c.url+"/sql", `{"sql":"SELECT 1 FROM webTransactions"}`, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || !bytes.Contains(out, []byte("use POST")) {
		t.Errorf("PUT /sql: %d %s", resp.StatusCode, out)
	}
	if b.count() != 0 {
		t.Errorf("bad requests reached the broker %d times", b.count())
	}
	// Table names resolve as the broker resolves them: any case.
	resp, out = sqlCall(t, "POST", c.url+"/sql", `{"sql":"SELECT COUNT(*) FROM WEBTRANSACTIONS"}`, nil)
	if resp.StatusCode != 200 || b.count() != 1 {
		t.Errorf("upper-case table name: %d %s", resp.StatusCode, out)
	}
}
