package broker

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/apache/arrow-adbc/go/adbc/sqldriver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	arrowflightsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/flightsql"
	"github.com/tannin-db/tannin/cmd/internal/flightsql/flightsqltest"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/cmd/internal/server"
)

// This file tests Flight SQL on a real broker in front of a real server
// (cmd/internal/server, segments from a local deep store) holding the
// flightsqltest fixture: every type, a multi-value column, nulls,
// timestamps. Clients are arrow-go's flightsql.Client and the ADBC Flight
// SQL driver through database/sql; answers are compared with POST
// /query/sql cell by cell.

// flightAuth is a small authenticator for the tests: "ann"/"secret" gets
// the token "tok-ann" and may read every table.
type flightAuth struct{}

type flightUser struct{}

func (flightAuth) Authenticate(ctx context.Context, h string) (context.Context, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(cred)
		}
		if err == nil && string(raw) == "ann:secret" {
			return context.WithValue(ctx, flightUser{}, "ann"), nil
		}
		return nil, errors.New("wrong user name or password")
	case strings.EqualFold(scheme, "Bearer") && cred == "tok-ann":
		return context.WithValue(ctx, flightUser{}, "ann"), nil
	}
	return nil, errors.New("authentication required")
}

func (flightAuth) IssueToken(ctx context.Context) (string, error) {
	return "tok-" + ctx.Value(flightUser{}).(string), nil
}

func (flightAuth) CanRead(ctx context.Context, _ string) bool { return ctx.Value(flightUser{}) != nil }

type flightCluster struct {
	broker *Broker
	url    string // broker HTTP
}

// startFlightCluster runs embedded etcd, one real server holding the
// fixture table and a broker with Flight SQL on a free port.
func startFlightCluster(t testing.TB, auth flightsql.Authenticator) *flightCluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	deps := realDeps(t, ctx, "flight")
	store := deps.Store
	nc := node.Config{Host: "127.0.0.1"}
	if err := store.CreateSchema(ctx, "alltypes", []byte(flightsqltest.Schema)); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTable(ctx, "alltypes_OFFLINE", []byte(flightsqltest.Table)); err != nil {
		t.Fatal(err)
	}
	scfg := server.DefaultConfig()
	scfg.AdminPort, scfg.GRPCPort, scfg.DataDir = 0, 0, filepath.Join(t.TempDir(), "server")
	srv, err := server.New(scfg, nc, deps)
	if err != nil {
		t.Fatal(err)
	}
	sctx, sstop := context.WithCancel(ctx)
	sdone := make(chan error, 1)
	go func() { sdone <- srv.Run(sctx) }()
	t.Cleanup(func() {
		sstop()
		<-sdone
	})
	_, paths := flightsqltest.Build(t, t.TempDir())
	publishSegments(t, ctx, deps, "alltypes_OFFLINE", paths, srv.InstanceName())
	bcfg := DefaultConfig()
	bcfg.Port, bcfg.FlightAuth = 0, auth
	b, err := New(bcfg, nc, deps)
	if err != nil {
		t.Fatal(err)
	}
	bctx, bstop := context.WithCancel(ctx)
	bdone := make(chan error, 1)
	go func() { bdone <- b.Run(bctx) }()
	t.Cleanup(func() {
		bstop()
		if err := <-bdone; err != nil {
			t.Errorf("broker Run: %v", err)
		}
	})
	fc := &flightCluster{broker: b, url: "http://" + b.HTTPAddr()}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(fc.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("broker not healthy in 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.FlightAddr() == "" || strings.HasSuffix(b.FlightAddr(), ":8815") {
		t.Fatalf("Flight SQL address %q: want a free port", b.FlightAddr())
	}
	return fc
}

func (fc *flightCluster) client(t testing.TB) *arrowflightsql.Client {
	t.Helper()
	cl, err := arrowflightsql.NewClient(fc.broker.FlightAddr(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// flightRows runs q through Execute + DoGet and returns the schema and
// rows.
func flightRows(t testing.TB, ctx context.Context, cl *arrowflightsql.Client, q string) (*arrow.Schema, [][]any) {
	t.Helper()
	info, err := cl.Execute(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return readInfo(t, ctx, cl, info)
}

func readInfo(t testing.TB, ctx context.Context, cl *arrowflightsql.Client, info *flight.FlightInfo) (*arrow.Schema, [][]any) {
	t.Helper()
	var rows [][]any
	var sch *arrow.Schema
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatalf("DoGet: %v", err)
		}
		sch = rdr.Schema()
		for rdr.Next() {
			rec := rdr.RecordBatch()
			for r := 0; r < int(rec.NumRows()); r++ {
				row := make([]any, rec.NumCols())
				for c := range row {
					row[c] = arrowCell(rec.Column(c), r)
				}
				rows = append(rows, row)
			}
		}
		if err := rdr.Err(); err != nil {
			t.Fatalf("read: %v", err)
		}
		rdr.Release()
	}
	return sch, rows
}

// arrowCell returns a cell in the form Pinot's JSON gives it (see
// jsonCell): numbers as float64 or int64, timestamps as epoch millis,
// bytes as hex, lists as []any.
func arrowCell(a arrow.Array, r int) any {
	if a.IsNull(r) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int32:
		return int64(a.Value(r))
	case *array.Int64:
		return a.Value(r)
	case *array.Float32:
		return float64(a.Value(r))
	case *array.Float64:
		return a.Value(r)
	case *array.Boolean:
		return a.Value(r)
	case *array.String:
		return a.Value(r)
	case *array.Binary:
		return hex.EncodeToString(a.Value(r))
	case *array.Timestamp:
		return int64(a.Value(r))
	case *array.List:
		lo, hi := a.ValueOffsets(r)
		out := []any{}
		for i := lo; i < hi; i++ {
			out = append(out, arrowCell(a.ListValues(), int(i)))
		}
		return out
	}
	return fmt.Sprintf("unsupported %s", a.DataType())
}

// httpResult posts q with enableNullHandling=true and returns column
// types and rows decoded to the forms arrowCell gives.
func (fc *flightCluster) httpResult(t testing.TB, q string) ([]string, [][]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": q, "queryOptions": "enableNullHandling=true"})
	resp, err := http.Post(fc.url+"/query/sql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var br struct {
		ResultTable *struct {
			DataSchema struct {
				ColumnDataTypes []string `json:"columnDataTypes"`
			} `json:"dataSchema"`
			Rows [][]any `json:"rows"`
		} `json:"resultTable"`
		Exceptions []any `json:"exceptions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&br); err != nil || br.ResultTable == nil || len(br.Exceptions) > 0 {
		t.Fatalf("HTTP %s: %v %s", q, err, raw)
	}
	types := br.ResultTable.DataSchema.ColumnDataTypes
	rows := br.ResultTable.Rows
	for _, row := range rows {
		for c := range row {
			row[c] = jsonCell(t, row[c], strings.TrimSuffix(types[c], "_ARRAY"))
		}
	}
	return types, rows
}

func jsonCell(t testing.TB, v any, typ string) any {
	switch x := v.(type) {
	case nil, bool:
		return x
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonCell(t, x[i], typ)
		}
		return out
	case json.Number:
		switch typ {
		case "INT", "LONG":
			n, err := x.Int64()
			if err != nil {
				t.Fatalf("%s cell %s: %v", typ, x, err)
			}
			return n
		case "FLOAT":
			f, _ := strconv.ParseFloat(string(x), 32)
			return f
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case string:
		switch typ {
		case "TIMESTAMP":
			ts, err := time.Parse("2006-01-02 15:04:05.999999999", x)
			if err != nil {
				t.Fatalf("timestamp %q: %v", x, err)
			}
			return ts.UnixMilli()
		case "DOUBLE", "FLOAT":
			switch x {
			case "NaN":
				return math.NaN()
			case "Infinity":
				return math.Inf(1)
			case "-Infinity":
				return math.Inf(-1)
			}
		}
		return x
	}
	t.Fatalf("unexpected JSON cell %#v", v)
	return nil
}

// flightTypeName is the Pinot type name a field's Flight SQL metadata
// carries.
func flightTypeName(f arrow.Field) string {
	m := arrowflightsql.ColumnMetadata{Data: &f.Metadata}
	name, _ := m.TypeName()
	return name
}

var differentialQueries = []string{
	`SELECT i, l, f, d, bd, b, ts, s, j, "by", tags, nums FROM alltypes ORDER BY ts LIMIT 100`,
	`SELECT s, COUNT(*), SUM(d), AVG(f), MIN(l), MAX(ts) FROM alltypes GROUP BY s ORDER BY s`,
	`SELECT COUNT(*), COUNT(i), SUM(i), DISTINCTCOUNT(s) FROM alltypes`,
	`SELECT tags, COUNT(*) FROM alltypes GROUP BY tags ORDER BY tags`,
	`SELECT i, s, bd FROM alltypes WHERE i IS NULL ORDER BY ts`,
	`SELECT b, COUNT(*), MIN(i) FROM alltypes GROUP BY b ORDER BY b`,
	`SELECT ts, DATETRUNC('DAY', ts) FROM alltypes WHERE ts >= 1700050000000 ORDER BY ts LIMIT 5`,
	`SELECT s, i, nums FROM alltypes WHERE tags = 'even' ORDER BY i DESC LIMIT 7`,
	`SELECT SUMMV(nums), MAXMV(nums), COUNT(*) FROM alltypes WHERE i BETWEEN -5 AND 5`,
	`SELECT l / 1000, f * 2, UPPER(s) FROM alltypes WHERE l IS NOT NULL ORDER BY l LIMIT 4`,
	`SELECT i FROM alltypes WHERE s = 'nomatch'`,
}

func TestFlightSQLMatchesHTTP(t *testing.T) {
	fc := startFlightCluster(t, nil)
	cl := fc.client(t)
	ctx := context.Background()
	nulls := 0
	for _, q := range differentialQueries {
		sch, got := flightRows(t, ctx, cl, q)
		types, want := fc.httpResult(t, q)
		if len(types) != sch.NumFields() {
			t.Fatalf("%s: %d Flight columns, %d HTTP columns", q, sch.NumFields(), len(types))
		}
		for c, f := range sch.Fields() {
			if name := flightTypeName(f); name != types[c] {
				t.Errorf("%s: column %s is %s over Flight, %s over HTTP", q, f.Name, name, types[c])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d Flight rows, %d HTTP rows", q, len(got), len(want))
		}
		for r := range got {
			for c := range got[r] {
				if got[r][c] == nil {
					nulls++
				}
				if !sameCell(got[r][c], want[r][c]) {
					t.Errorf("%s: row %d column %s: Flight %#v, HTTP %#v", q, r, sch.Field(c).Name, got[r][c], want[r][c])
				}
			}
		}
	}
	if nulls == 0 {
		t.Error("no NULL cell was compared")
	}
}

func sameCell(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb || math.IsNaN(fa) && math.IsNaN(fb))
	}
	if la, ok := a.([]any); ok {
		lb, ok := b.([]any)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !sameCell(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestFlightSQLCatalogAndErrors(t *testing.T) {
	fc := startFlightCluster(t, nil)
	cl := fc.client(t)
	ctx := context.Background()
	info, err := cl.GetTables(ctx, &arrowflightsql.GetTablesOpts{IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readInfo(t, ctx, cl, info)
	if len(rows) != 1 || rows[0][1] != "default" || rows[0][2] != "alltypes" || rows[0][3] != "TABLE" {
		t.Fatalf("tables %v", rows)
	}
	raw, _ := hex.DecodeString(rows[0][4].(string))
	sch, err := flight.DeserializeSchema(raw, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := sch.FieldsByName("ts"); !ok || f[0].Type.String() != "timestamp[ms, tz=UTC]" {
		t.Errorf("ts in the table schema: %v", f)
	}
	if f, ok := sch.FieldsByName("tags"); !ok || f[0].Type.ID() != arrow.LIST {
		t.Errorf("tags in the table schema: %v", f)
	}
	for _, tc := range []struct {
		sql  string
		code codes.Code
		msg  string
	}{
		{`SELECT i FROM alltypes WHERE`, codes.InvalidArgument, "syntax error"},
		{`SELECT i FROM nosuch`, codes.NotFound, `table "nosuch" does not exist`},
		{`SELECT nosuch FROM alltypes`, codes.InvalidArgument, "nosuch"},
		{`SELECT nosuchfn(i) FROM alltypes`, codes.InvalidArgument, "nosuchfn"},
	} {
		_, err := cl.Execute(ctx, tc.sql)
		if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %s with %q", tc.sql, err, tc.code, tc.msg)
		}
	}
	// A prepared statement over arrow-go's client.
	ps, err := cl.Prepare(ctx, `SELECT COUNT(*) FROM alltypes WHERE s = ? AND ts >= ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close(ctx)
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	sb.AppendValues([]string{"s2"}, nil)
	tb := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"})
	tb.Append(arrow.Timestamp(flightsqltest.Day0 + 30*3_600_000))
	cols := []arrow.Array{sb.NewArray(), tb.NewArray()}
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "1", Type: cols[0].DataType()}, {Name: "2", Type: cols[1].DataType()}}, nil), cols, 1)
	ps.SetParameters(rec)
	info, err = ps.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, got := readInfo(t, ctx, cl, info)
	want := int64(0)
	for n := 30; n < flightsqltest.Rows; n++ {
		if n%5 == 2 && n%7 != 3 {
			want++
		}
	}
	if len(got) != 1 || got[0][0] != want {
		t.Errorf("prepared count %v, want %d", got, want)
	}
}

func TestFlightSQLOverADBC(t *testing.T) {
	fc := startFlightCluster(t, flightAuth{})
	ctx := context.Background()
	dsn := "uri=grpc+tcp://" + fc.broker.FlightAddr() + ";username=ann;password=secret"
	db, err := sql.Open("flightsql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT s, COUNT(*) AS n, MAX(ts) AS last FROM alltypes GROUP BY s ORDER BY s`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		var n int64
		var last float64
		if err := rows.Scan(&s, &n, &last); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", s, n))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	_, httpRows := fc.httpResult(t, `SELECT s, COUNT(*) AS n, MAX(ts) AS last FROM alltypes GROUP BY s ORDER BY s`)
	var want []string
	for _, r := range httpRows {
		want = append(want, fmt.Sprintf("%s=%v", r[0], r[1]))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ADBC %v, HTTP %v", got, want)
	}

	// Timestamps scan as time.Time, nulls as invalid NullInt64.
	var ts time.Time
	var i sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT ts, i FROM alltypes WHERE s = 'null-row-3'`).Scan(&ts, &i); err != nil {
		t.Fatal(err)
	}
	if ts.UnixMilli() != flightsqltest.Day0+3*3_600_000 || i.Valid {
		t.Errorf("ts %v, i %v", ts, i)
	}

	// A prepared statement with parameters.
	stmt, err := db.PrepareContext(ctx, `SELECT COUNT(*) FROM alltypes WHERE s = ? AND i > ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for _, tc := range []struct {
		s    string
		min  int64
		want int64
	}{{"s1", -100, 0}, {"s4", 0, 0}, {"nomatch", -100, 0}} {
		for n := 0; n < flightsqltest.Rows; n++ {
			if n%7 != 3 && fmt.Sprintf("s%d", n%5) == tc.s && int64(n-20) > tc.min {
				tc.want++
			}
		}
		var count int64
		if err := stmt.QueryRowContext(ctx, tc.s, tc.min).Scan(&count); err != nil {
			t.Fatalf("%s, %d: %v", tc.s, tc.min, err)
		}
		if count != tc.want {
			t.Errorf("s = %s AND i > %d: %d, want %d", tc.s, tc.min, count, tc.want)
		}
	}

	// Wrong credentials are refused.
	bad, err := sql.Open("flightsql", "uri=grpc+tcp://"+fc.broker.FlightAddr()+";username=ann;password=nope")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := bad.PingContext(ctx); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("wrong password: %v", err)
	}
	// And arrow-go's client without credentials is Unauthenticated.
	if _, err := fc.client(t).Execute(ctx, `SELECT COUNT(*) FROM alltypes`); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no credentials: %v", err)
	}
}

// TestFlightSQLCancel cancels a DoGet while the servers are still working
// (fake servers that hold their answer): the call ends promptly with
// Canceled and the broker counts the query as answered with an error.
func TestFlightSQLCancel(t *testing.T) {
	tc := newTestCluster(t, DefaultConfig())
	for _, s := range tc.servers {
		s.set(&behaviour{sleep: time.Minute})
	}
	cl, err := arrowflightsql.NewClient(tc.broker.FlightAddr(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	info, err := cl.Execute(context.Background(), `SELECT COUNT(*) FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	errorsBefore := metricSum(t, tc.url, "tannin_broker_query_errors_total")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err == nil {
		for rdr.Next() {
		}
		err = rdr.Err()
		rdr.Release()
	}
	if status.Code(err) != codes.Canceled {
		t.Fatalf("cancelled DoGet: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("cancellation took %v", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for metricSum(t, tc.url, "tannin_broker_query_errors_total") <= errorsBefore {
		if time.Now().After(deadline) {
			t.Fatal("the broker did not record the cancelled query")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricSum adds up every sample of a counter on the broker's /metrics.
func metricSum(t testing.TB, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	sum := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// BenchmarkFlightSQLvsHTTP measures one small query's round trip through
// Flight SQL (arrow-go client: GetFlightInfo + DoGet) and through POST
// /query/sql (JSON), one client at a time, same broker, same query.
func BenchmarkFlightSQLvsHTTP(b *testing.B) {
	fc := startFlightCluster(b, nil)
	const q = `SELECT s, COUNT(*), SUM(d) FROM alltypes WHERE i > 0 GROUP BY s ORDER BY s`
	ctx := context.Background()
	b.Run("api=flightsql", func(b *testing.B) {
		cl := fc.client(b)
		b.ReportAllocs()
		for b.Loop() {
			info, err := cl.Execute(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
			if err != nil {
				b.Fatal(err)
			}
			n := int64(0)
			for rdr.Next() {
				n += rdr.RecordBatch().NumRows()
			}
			if rdr.Err() != nil || n != 5 {
				b.Fatalf("rows %d: %v", n, rdr.Err())
			}
			rdr.Release()
		}
	})
	b.Run("api=http", func(b *testing.B) {
		client := &http.Client{}
		body, _ := json.Marshal(map[string]string{"sql": q})
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Post(fc.url+"/query/sql", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(out, []byte(`"exceptions":[]`)) {
				b.Fatalf("query failed: %s", out)
			}
		}
	})
}
