package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/query/sql"
)

// This file is Apache Pinot's controller query endpoint (PinotQueryResource):
// POST /sql with {"sql": "...", "queryOptions": "k=v;...", "trace": ...}
// and GET /sql?sql=&queryOptions=&trace=. The controller finds the table the
// query reads, picks a live broker of that table's broker tenant and
// forwards the request to the broker's /query/sql with the caller's
// Authorization header (the broker decides what the caller may read, as
// Pinot's @ManualAuthorization says), then relays the broker's status,
// headers and JSON body unchanged. The admin console's query page uses it,
// so that a browser needs only the controller's address.
//
// Errors the controller finds itself are answered as the broker answers
// query errors: Pinot's BrokerResponseNative with an exceptions entry
// {errorCode, message}, HTTP 200, or the code's HTTP status when the client
// sends Pinot-Use-Http-Status-For-Errors: true.

// Pinot's query error codes the proxy answers with (QueryErrorCode).
const (
	sqlCodeJSONParsing     = 100 // body not JSON, or without "sql"
	sqlCodeSQLParsing      = 150 // the query does not parse
	sqlCodeTableMissing    = 190 // no such table
	sqlCodeBrokerMissing   = 410 // the table's broker tenant has no broker
	sqlCodeBrokerNotLive   = 420 // it has brokers, none live and enabled
	sqlCodeBrokerSend      = 425 // the chosen broker could not be reached
	sqlCodeInternalProxied = 450
)

// sqlHTTPStatus is Pinot's QueryErrorCode.getHttpResponseStatus for the
// codes above.
var sqlHTTPStatus = map[int]int{
	sqlCodeJSONParsing:     http.StatusBadRequest,
	sqlCodeSQLParsing:      http.StatusBadRequest,
	sqlCodeTableMissing:    http.StatusNotFound,
	sqlCodeBrokerMissing:   http.StatusServiceUnavailable,
	sqlCodeBrokerNotLive:   http.StatusServiceUnavailable,
	sqlCodeBrokerSend:      http.StatusServiceUnavailable,
	sqlCodeInternalProxied: http.StatusInternalServerError,
}

// maxSQLBody bounds a query request body, as the broker bounds its own.
const maxSQLBody = 1 << 20

// forwardHeaders are the request headers passed on to the broker: the
// caller's credentials and the Pinot headers that change its answer.
var forwardHeaders = []string{
	"Authorization", "Pinot-Use-Http-Status-For-Errors", "X-Correlation-Id", "Database", "Accept",
}

// relayHeaders are the broker's response headers passed back.
var relayHeaders = []string{"Content-Type", "X-Pinot-Error-Code", "Content-Encoding"}

// sqlProxy serves /sql.
type sqlProxy struct {
	c      *Controller
	client *http.Client
}

// sqlProxy returns the /sql handler. Its client has no overall timeout:
// the broker bounds a query by its own timeout (timeoutMs) and the
// caller's disconnect cancels the forwarded request.
func (c *Controller) sqlProxy() http.Handler {
	tr := &http.Transport{
		Proxy:               nil, // brokers are cluster members: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &sqlProxy{c: c, client: &http.Client{Transport: tr}}
}

// queryFailure is one error the proxy answers with.
type queryFailure struct {
	code int
	msg  string
}

func (p *sqlProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	var query string
	switch r.Method {
	case http.MethodPost:
		b, f := readSQLBody(w, r)
		if f != nil {
			p.fail(w, r, f)
			return
		}
		body, query = b.raw, b.sql
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		if !q.Has("sql") {
			p.fail(w, r, &queryFailure{sqlCodeJSONParsing, "query parameter 'sql' is missing"})
			return
		}
		query = q.Get("sql")
		// The broker takes the same fields as a JSON body.
		m := map[string]string{"sql": query}
		for _, k := range []string{"queryOptions", "trace"} {
			if q.Has(k) {
				m[k] = q.Get(k)
			}
		}
		body, _ = json.Marshal(m)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Code: http.StatusMethodNotAllowed,
			Error: fmt.Sprintf("method %s not allowed on /sql: use POST with {\"sql\": \"...\"} or GET ?sql=", r.Method)})
		return
	}
	snap := p.c.deps.Cache.Snapshot()
	table, f := queryTable(snap, query)
	if f != nil {
		p.fail(w, r, f)
		return
	}
	broker, f := pickBroker(snap, table)
	if f != nil {
		p.fail(w, r, f)
		return
	}
	p.forward(w, r, broker, body)
}

// sqlBody is a POST body: the raw bytes, forwarded as they came, and the
// query in them.
type sqlBody struct {
	raw []byte
	sql string
}

// readSQLBody reads and checks a POST body the way the broker does, so
// that a bad body gets the same answer from either.
func readSQLBody(w http.ResponseWriter, r *http.Request) (*sqlBody, *queryFailure) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSQLBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &queryFailure{sqlCodeJSONParsing, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
		}
		return nil, &queryFailure{sqlCodeJSONParsing, "read request body: " + err.Error()}
	}
	var b struct {
		SQL          *string         `json:"sql"`
		QueryOptions json.RawMessage `json:"queryOptions"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, &queryFailure{sqlCodeJSONParsing, "invalid JSON request body: " + err.Error()}
	}
	if b.SQL == nil {
		return nil, &queryFailure{sqlCodeJSONParsing, "payload is missing the query string field 'sql'"}
	}
	if o := bytes.TrimSpace(b.QueryOptions); len(o) > 0 && o[0] != '"' && !bytes.Equal(o, []byte("null")) {
		return nil, &queryFailure{sqlCodeJSONParsing, "field 'queryOptions': want a string of k=v pairs separated by ';'"}
	}
	return &sqlBody{raw: raw, sql: *b.SQL}, nil
}

// queryTable parses the query and resolves the table it reads to a table
// with type, as the broker resolves it: "t_OFFLINE" or "t_REALTIME" names
// one; a raw name reads whichever type exists; exact names first, then
// case-insensitively.
func queryTable(snap *cluster.Snapshot, query string) (string, *queryFailure) {
	stmt, err := sql.Parse(query)
	if err != nil {
		return "", &queryFailure{sqlCodeSQLParsing, err.Error()}
	}
	written := stmt.Select.From.Name
	lookup := func(name string) string {
		if snap.Tables[name] != nil {
			return name
		}
		for t := range snap.Tables {
			if strings.EqualFold(t, name) {
				return t
			}
		}
		return ""
	}
	upper := strings.ToUpper(written)
	if strings.HasSuffix(upper, "_OFFLINE") || strings.HasSuffix(upper, "_REALTIME") {
		if t := lookup(written); t != "" {
			return t, nil
		}
	} else {
		// A hybrid table goes to the OFFLINE side's broker tenant, as
		// Pinot's /brokers/tables does; the broker answers what it can.
		for _, typ := range []string{"_OFFLINE", "_REALTIME"} {
			if t := lookup(written + typ); t != "" {
				return t, nil
			}
		}
	}
	return "", &queryFailure{sqlCodeTableMissing, fmt.Sprintf("table %q does not exist (tables: %s)", written, tableList(snap))}
}

// tableList names the cluster's tables for an error message, briefly.
func tableList(snap *cluster.Snapshot) string {
	names := sortedKeys(snap.Tables)
	switch {
	case len(names) == 0:
		return "none"
	case len(names) > 10:
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// pickBroker chooses a live, enabled broker of the table's broker tenant at
// random (Pinot's selectRandomInstanceId), or says precisely why there is
// none.
func pickBroker(snap *cluster.Snapshot, table string) (*cluster.Instance, *queryFailure) {
	tenant := tableBrokerTenant(snap, table)
	tag := cluster.BrokerTag(tenant)
	var live []*cluster.Instance
	var down []string
	for _, name := range sortedKeys(snap.Instances) {
		in := snap.Instances[name]
		if in.Type != cluster.TypeBroker || !in.HasTag(tag) {
			continue
		}
		switch {
		case !snap.IsLive(name):
			down = append(down, name+" (not live)")
		case !in.Enabled:
			down = append(down, name+" (disabled)")
		default:
			live = append(live, in)
		}
	}
	if len(live) == 0 && len(down) == 0 {
		return nil, &queryFailure{sqlCodeBrokerMissing, fmt.Sprintf(
			"no broker serves table %s: broker tenant %s has no brokers (none tagged %s)", table, tenant, tag)}
	}
	if len(live) == 0 {
		sort.Strings(down)
		return nil, &queryFailure{sqlCodeBrokerNotLive, fmt.Sprintf(
			"no live broker for table %s: broker tenant %s has %d broker(s), none live and enabled: %s",
			table, tenant, len(down), strings.Join(down, ", "))}
	}
	return live[rand.IntN(len(live))], nil
}

// forward sends the query to the broker and relays its answer.
func (p *sqlProxy) forward(w http.ResponseWriter, r *http.Request, broker *cluster.Instance, body []byte) {
	target := url.URL{Scheme: "http", Host: net.JoinHostPort(broker.Host, strconv.Itoa(broker.Port)), Path: "/query/sql"}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		p.fail(w, r, &queryFailure{sqlCodeInternalProxied, fmt.Sprintf("build request to broker %s: %v", broker.Name, err)})
		return
	}
	for _, h := range forwardHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		p.fail(w, r, &queryFailure{sqlCodeBrokerSend, fmt.Sprintf("send query to broker %s at %s: %v", broker.Name, target.Host, err)})
		return
	}
	defer resp.Body.Close()
	for _, h := range relayHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			w.Header()[h] = v
		}
	}
	// Which broker answered, for the console and for debugging.
	w.Header().Set("X-Tannin-Broker", broker.Name)
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		p.c.log.Debug("relay query response", "broker", broker.Name, "err", err)
	}
}

// fail answers an error in the broker's response shape.
func (p *sqlProxy) fail(w http.ResponseWriter, r *http.Request, f *queryFailure) {
	p.c.log.Debug("query not forwarded", "code", f.code, "err", f.msg)
	status := http.StatusOK
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Pinot-Use-Http-Status-For-Errors")), "true") {
		status = sqlHTTPStatus[f.code]
	}
	w.Header().Set("X-Pinot-Error-Code", strconv.Itoa(f.code))
	type exception struct {
		ErrorCode int    `json:"errorCode"`
		Message   string `json:"message"`
	}
	writeJSON(w, status, struct {
		NumRowsResultSet int         `json:"numRowsResultSet"`
		PartialResult    bool        `json:"partialResult"`
		Exceptions       []exception `json:"exceptions"`
		TimeUsedMs       int64       `json:"timeUsedMs"`
	}{PartialResult: true, Exceptions: []exception{{f.code, f.msg}}})
}
