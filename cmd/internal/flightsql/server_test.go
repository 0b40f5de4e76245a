package flightsql

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/flightsql/flightsqltest"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// This file tests the server through arrow-go's Flight SQL client over a
// real gRPC listener, in front of the real engine running over the
// fixture's segment files (engineBackend). The broker's own tests run the
// same client against a whole cluster.

// engineBackend answers with exec.Run over one table's segments, in
// process.
type engineBackend struct {
	table *exec.Table
	// delay holds every query this long (or until its context ends).
	delay time.Duration
}

// engineError is an engine error with the Pinot code a broker would give
// it.
type engineError struct {
	code int
	err  error
}

func (e *engineError) Error() string       { return e.err.Error() }
func (e *engineError) QueryErrorCode() int { return e.code }
func codeOf(err error) int {
	var se *sql.Error
	switch {
	case errors.As(err, &se):
		return 150
	case errors.Is(err, exec.ErrUnknownColumn):
		return 710
	case errors.Is(err, exec.ErrPlanning):
		return 720
	}
	return 200
}

func (e *engineBackend) parse(q string) (*sql.Statement, error) {
	st, err := sql.Parse(q)
	if err != nil {
		return nil, &engineError{150, err}
	}
	if st.Select == nil || !strings.EqualFold(st.Select.From.Name, e.table.Name) {
		return nil, &engineError{190, fmt.Errorf("table %q does not exist", st.Select.From.Name)}
	}
	return st, nil
}

func (e *engineBackend) Query(ctx context.Context, q string, opts map[string]string) (*exec.Result, error) {
	if opts["enablenullhandling"] != "true" {
		return nil, fmt.Errorf("query options %v lack enableNullHandling", opts)
	}
	st, err := e.parse(q)
	if err != nil {
		return nil, err
	}
	if e.delay > 0 {
		select {
		case <-time.After(e.delay):
		case <-ctx.Done():
			return nil, &engineError{400, ctx.Err()}
		}
	}
	res, err := exec.Run(ctx, e.table, st)
	if err != nil {
		return nil, &engineError{codeOf(err), err}
	}
	return res, nil
}

func (e *engineBackend) Describe(_ context.Context, q string) (string, *exec.Result, error) {
	st, err := e.parse(q)
	if err != nil {
		return "", nil, err
	}
	res, err := exec.Reduce(context.Background(), e.table.Schema, e.table.Name, st, nil)
	if err != nil {
		return "", nil, &engineError{codeOf(err), err}
	}
	res.Rows = nil
	return e.table.Name, res, nil
}

func (e *engineBackend) Tables(context.Context) []Table {
	return []Table{{Name: e.table.Name, Schema: e.table.Schema}}
}

func fixtureTable(t testing.TB) *exec.Table {
	t.Helper()
	sc, paths := flightsqltest.Build(t, t.TempDir())
	tbl := &exec.Table{Name: "alltypes", Schema: sc}
	for _, p := range paths {
		s, err := immutable.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		tbl.Segments = append(tbl.Segments, segment.Segment(s))
	}
	return tbl
}

// startServer serves cfg on a free loopback port and returns a client.
func startServer(t testing.TB, cfg Config) *flightsql.Client {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Stop(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	cl, err := flightsql.NewClient(ln.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// fetch reads every endpoint of info; it checks that no batch exceeds
// maxRows rows and returns the batches (released at cleanup).
func fetch(t testing.TB, ctx context.Context, cl *flightsql.Client, info *flight.FlightInfo, maxRows int) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	var out []arrow.RecordBatch
	var sch *arrow.Schema
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatalf("DoGet: %v", err)
		}
		sch = rdr.Schema()
		for rdr.Next() {
			rec := rdr.RecordBatch()
			if maxRows > 0 && rec.NumRows() > int64(maxRows) {
				t.Errorf("batch of %d rows, bound %d", rec.NumRows(), maxRows)
			}
			rec.Retain()
			out = append(out, rec)
		}
		if err := rdr.Err(); err != nil {
			t.Fatalf("read stream: %v", err)
		}
		rdr.Release()
	}
	t.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return sch, out
}

// cells turns batches into rows of the Go values exec.Result uses, so
// that a Flight answer compares with the engine's: ints and timestamps as
// int64, floats as float64, bool, string, []byte, lists as []int64,
// []float64 or []string, null as nil.
func cells(t testing.TB, recs []arrow.RecordBatch) [][]any {
	t.Helper()
	var rows [][]any
	for _, rec := range recs {
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]any, rec.NumCols())
			for c := 0; c < int(rec.NumCols()); c++ {
				row[c] = cell(t, rec.Column(c), r)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func cell(t testing.TB, a arrow.Array, r int) any {
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
		return append([]byte(nil), a.Value(r)...)
	case *array.Timestamp:
		return int64(a.Value(r))
	case *array.List:
		lo, hi := a.ValueOffsets(r)
		switch v := a.ListValues().(type) {
		case *array.Int32:
			out := make([]int64, 0, hi-lo)
			for i := lo; i < hi; i++ {
				out = append(out, int64(v.Value(int(i))))
			}
			return out
		case *array.Int64:
			return append([]int64{}, v.Int64Values()[lo:hi]...)
		case *array.Float64:
			return append([]float64{}, v.Float64Values()[lo:hi]...)
		case *array.String:
			out := make([]string, 0, hi-lo)
			for i := lo; i < hi; i++ {
				out = append(out, v.Value(int(i)))
			}
			return out
		}
	}
	t.Fatalf("no cell conversion for %s", a.DataType())
	return nil
}

// normalise maps the engine's cells onto what the Arrow types can hold
// (float32 for FLOAT, bool for BOOLEAN, bytes for BYTES).
func normalise(res *exec.Result) [][]any {
	out := make([][]any, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]any, len(row))
		for c, v := range row {
			switch res.Types[c].String() {
			case "FLOAT":
				switch x := v.(type) {
				case float64:
					v = float64(float32(x))
				case []float64:
					y := make([]float64, len(x))
					for k := range x {
						y[k] = float64(float32(x[k]))
					}
					v = y
				}
			case "BOOLEAN":
				if x, ok := v.(int64); ok {
					v = x != 0
				}
			case "BYTES":
				if x, ok := v.(string); ok {
					v = []byte(x)
				}
			case "INT", "LONG", "TIMESTAMP":
				if x, ok := v.(float64); ok {
					v = int64(x)
				}
			}
			out[i][c] = v
		}
	}
	return out
}

const allColumns = `SELECT i, l, f, d, bd, b, ts, s, j, "by", tags, nums FROM alltypes ORDER BY ts LIMIT 1000`

func TestStatementTypesAndBatches(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}, BatchRows: 7})
	ctx := context.Background()
	info, err := cl.Execute(ctx, allColumns)
	if err != nil {
		t.Fatal(err)
	}
	advertised, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sch, recs := fetch(t, ctx, cl, info, 7)
	if !sch.Equal(advertised) {
		t.Errorf("stream schema %s differs from GetFlightInfo's %s", sch, advertised)
	}
	if len(recs) != (flightsqltest.Rows+6)/7 {
		t.Errorf("%d batches, want %d", len(recs), (flightsqltest.Rows+6)/7)
	}
	wantTypes := []string{"int32", "int64", "float32", "float64", "utf8", "bool", "timestamp[ms, tz=UTC]",
		"utf8", "utf8", "binary", "list<item: utf8, nullable>", "list<item: int32, nullable>"}
	for i, f := range sch.Fields() {
		if f.Type.String() != wantTypes[i] {
			t.Errorf("column %s: Arrow type %s, want %s", f.Name, f.Type, wantTypes[i])
		}
		if !f.Nullable {
			t.Errorf("column %s not nullable", f.Name)
		}
	}
	tagsMeta := sch.Field(10).Metadata
	md := flightsql.ColumnMetadata{Data: &tagsMeta}
	if n, _ := md.TypeName(); n != "STRING_ARRAY" {
		t.Errorf("tags TYPE_NAME %q, want STRING_ARRAY", n)
	}
	st, _ := sql.Parse(allColumns)
	want, err := exec.Run(ctx, tbl, st)
	if err != nil {
		t.Fatal(err)
	}
	got := cells(t, recs)
	if len(got) != flightsqltest.Rows {
		t.Fatalf("%d rows, want %d", len(got), flightsqltest.Rows)
	}
	nulls := 0
	for r, row := range normalise(want) {
		if !reflect.DeepEqual(got[r], row) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", r, got[r], row)
		}
		if row[0] == nil {
			nulls++
		}
	}
	if nulls == 0 {
		t.Fatal("the fixture has no NULL cells: the null path went untested")
	}
	// Spot checks against the fixture's generator, independent of the
	// engine: row 1, and row 3 (a null row).
	if got[1][0] != int64(-19) || got[1][6] != flightsqltest.Day0+3_600_000 || got[1][4] != "3.01" ||
		!reflect.DeepEqual(got[1][10], []string{"t1"}) || !reflect.DeepEqual(got[1][11], []int64{1, -1}) {
		t.Errorf("row 1 = %#v", got[1])
	}
	// Multi-value columns have no nulls in Pinot: a missing array reads
	// as the column's default null value.
	if got[3][0] != nil || got[3][1] != nil || got[3][4] != nil || got[3][9] != nil || !reflect.DeepEqual(got[3][10], []string{"null"}) {
		t.Errorf("row 3 should hold nulls: %#v", got[3])
	}
}

func TestEmptyResultAndAggregates(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}})
	ctx := context.Background()
	info, err := cl.Execute(ctx, `SELECT s, COUNT(*), SUM(d), MAX(ts) FROM alltypes WHERE i > 1000 GROUP BY s`)
	if err != nil {
		t.Fatal(err)
	}
	sch, recs := fetch(t, ctx, cl, info, 0)
	if n := len(cells(t, recs)); n != 0 {
		t.Errorf("%d rows, want none", n)
	}
	if got := fmt.Sprint(sch.Field(1).Type, " ", sch.Field(2).Type); got != "int64 float64" {
		t.Errorf("COUNT, SUM types %s", got)
	}
	info, err = cl.Execute(ctx, `SELECT COUNT(*), COUNT(i), MIN(ts) FROM alltypes`)
	if err != nil {
		t.Fatal(err)
	}
	_, recs = fetch(t, ctx, cl, info, 0)
	rows := cells(t, recs)
	if len(rows) != 1 || rows[0][0] != int64(flightsqltest.Rows) || rows[0][2] != float64(flightsqltest.Day0) {
		t.Fatalf("aggregates %v", rows)
	}
	if c := rows[0][1].(int64); c >= flightsqltest.Rows || c == 0 {
		t.Errorf("COUNT(i) = %d: nulls not skipped", c)
	}
}

func TestErrorsAsStatusCodes(t *testing.T) {
	tbl := fixtureTable(t)
	backend := &engineBackend{table: tbl}
	cl := startServer(t, Config{Backend: backend})
	ctx := context.Background()
	for _, tc := range []struct {
		sql  string
		code codes.Code
		msg  string
	}{
		{`SELEC i FROM alltypes`, codes.InvalidArgument, "syntax error"},
		{`SELECT i FROM nosuch`, codes.NotFound, `"nosuch" does not exist`},
		{`SELECT nosuch FROM alltypes`, codes.InvalidArgument, "nosuch"},
	} {
		_, err := cl.Execute(ctx, tc.sql)
		if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %s containing %q", tc.sql, err, tc.code, tc.msg)
		}
	}
	_, err := cl.ExecuteUpdate(ctx, `DELETE FROM alltypes`)
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("update: %v", err)
	}
}

func TestCancelledQuery(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl, delay: 30 * time.Second}})
	info, err := cl.Execute(context.Background(), `SELECT COUNT(*) FROM alltypes`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
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
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("cancellation took %v", took)
	}
}

// testAuth is a small authenticator: user "ann" with password "secret"
// gets token "tok-ann" and reads every table but "hidden".
type testAuth struct{}

type principal struct{}

func (testAuth) Authenticate(ctx context.Context, h string) (context.Context, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(cred); err != nil {
				return nil, errors.New("malformed Basic credentials")
			}
		}
		if string(raw) == "ann:secret" {
			return context.WithValue(ctx, principal{}, "ann"), nil
		}
		return nil, errors.New("wrong user name or password")
	case strings.EqualFold(scheme, "Bearer") && cred == "tok-ann":
		return context.WithValue(ctx, principal{}, "ann"), nil
	case h == "":
		return nil, errors.New("credentials required")
	}
	return nil, errors.New("invalid token")
}

func (testAuth) IssueToken(ctx context.Context) (string, error) {
	return "tok-" + ctx.Value(principal{}).(string), nil
}

func (testAuth) CanRead(ctx context.Context, table string) bool {
	return ctx.Value(principal{}) != nil && table != "hidden"
}

func TestAuthHandshakeAndBearer(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}, Auth: testAuth{}})
	ctx := context.Background()
	if _, err := cl.Execute(ctx, `SELECT COUNT(*) FROM alltypes`); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no credentials: %v", err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "ann", "wrong"); status.Code(err) != codes.Unauthenticated ||
		strings.Contains(err.Error(), "wrong\"") {
		t.Fatalf("wrong password: %v", err)
	}
	actx, err := cl.Client.AuthenticateBasicToken(ctx, "ann", "secret")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Execute(actx, `SELECT COUNT(*) FROM alltypes`)
	if err != nil {
		t.Fatalf("with the bearer token: %v", err)
	}
	_, recs := fetch(t, actx, cl, info, 0)
	if rows := cells(t, recs); rows[0][0] != int64(flightsqltest.Rows) {
		t.Errorf("count %v", rows)
	}
	// The ticket alone does not let another caller in.
	if rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket); err == nil {
		rdr.Next()
		err = rdr.Err()
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("DoGet without credentials: %v", err)
		}
		rdr.Release()
	} else if status.Code(err) != codes.Unauthenticated {
		t.Errorf("DoGet without credentials: %v", err)
	}
}
