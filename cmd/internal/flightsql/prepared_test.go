package flightsql

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/flightsql/flightsqltest"
	"github.com/tannin-db/tannin/schema"
)

// params builds a parameter batch from columns.
func params(t testing.TB, cols ...arrow.Array) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	n := 0
	for i, c := range cols {
		fields[i] = arrow.Field{Name: "p" + string(rune('1'+i)), Type: c.DataType(), Nullable: true}
		n = c.Len()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	t.Cleanup(rec.Release)
	return rec
}

func strings1(vals ...string) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

func int64s(vals ...int64) arrow.Array {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

func TestPreparedStatement(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}})
	ctx := context.Background()
	ps, err := cl.Prepare(ctx, `SELECT s, COUNT(*) AS n FROM alltypes WHERE s = ? AND i > ? GROUP BY s ORDER BY s`)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close(ctx)
	if got := ps.ParameterSchema().String(); !strings.Contains(got, "parameter_1: type=utf8") || !strings.Contains(got, "parameter_2: type=int64") {
		t.Errorf("parameter schema %s: want utf8 (s) then int64 (i)", got)
	}
	if ds := ps.DatasetSchema(); ds == nil || ds.NumFields() != 2 || ds.Field(1).Type.ID() != arrow.INT64 {
		t.Errorf("dataset schema at prepare time: %v", ds)
	}
	// Executing before binding is refused.
	if _, err := ps.Execute(ctx); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "2 parameter(s)") {
		t.Errorf("execute unbound: %v", err)
	}
	// Two parameter rows: two executions, results in order. The quote in
	// the second value stays inside the literal.
	ps.SetParameters(params(t, strings1("s1", "x' OR '1'='1"), int64s(-100, -100)))
	info, err := ps.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, recs := fetch(t, ctx, cl, info, 0)
	rows := cells(t, recs)
	// s1: rows n with n%5 == 1 and not null rows (n%7 == 3).
	want := int64(0)
	for n := 0; n < flightsqltest.Rows; n++ {
		if n%5 == 1 && n%7 != 3 {
			want++
		}
	}
	if !reflect.DeepEqual(rows, [][]any{{"s1", want}}) {
		t.Errorf("bound rows gave %v, want [[s1 %d]] (and nothing for the injection attempt)", rows, want)
	}

	// Count and type mismatches are precise errors.
	ps.SetParameters(params(t, strings1("s1")))
	if _, err := ps.Execute(ctx); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "2 parameter(s) but the bound batch has 1 column(s)") {
		t.Errorf("count mismatch: %v", err)
	}
	ps.SetParameters(params(t, int64s(1), int64s(2)))
	if _, err := ps.Execute(ctx); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), `parameter 1 (int64) compared with column "s" (STRING)`) {
		t.Errorf("type mismatch: %v", err)
	}

	// A binary parameter binds as hex, which is how a BYTES literal reads:
	// it matches the one row whose bytes are 01 fe.
	bs, err := cl.Prepare(ctx, `SELECT COUNT(*) FROM alltypes WHERE "by" = ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close(ctx)
	bb := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
	bb.Append([]byte{0x01, 0xfe})
	bs.SetParameters(params(t, bb.NewArray()))
	bb.Release()
	info, err = bs.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, recs := fetch(t, ctx, cl, info, 0); !reflect.DeepEqual(cells(t, recs), [][]any{{int64(1)}}) {
		t.Errorf("binary parameter 01fe counted %v, want [[1]]", cells(t, recs))
	}
}

func TestPreparedWithoutParameters(t *testing.T) {
	cl := startServer(t, Config{Backend: &engineBackend{table: fixtureTable(t)}})
	ctx := context.Background()
	ps, err := cl.Prepare(ctx, `SELECT COUNT(*) FROM alltypes`)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ps.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, recs := fetch(t, ctx, cl, info, 0)
	if rows := cells(t, recs); !reflect.DeepEqual(rows, [][]any{{int64(flightsqltest.Rows)}}) {
		t.Errorf("rows %v", rows)
	}
	if err := ps.Close(ctx); err != nil {
		t.Error(err)
	}
	if _, err := cl.Prepare(ctx, `SELECT nosuch FROM alltypes`); status.Code(err) != codes.InvalidArgument {
		t.Errorf("prepare with an unknown column: %v", err)
	}
}

func TestCatalogCalls(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}})
	ctx := context.Background()
	read := func(info *flight.FlightInfo, err error) [][]any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		_, recs := fetch(t, ctx, cl, info, 0)
		var rows [][]any
		for _, rec := range recs {
			for r := 0; r < int(rec.NumRows()); r++ {
				row := []any{}
				for c := 0; c < int(rec.NumCols()); c++ {
					switch a := rec.Column(c).(type) {
					case *array.String:
						if a.IsNull(r) {
							row = append(row, nil)
						} else {
							row = append(row, a.Value(r))
						}
					case *array.Binary:
						sch, err := flight.DeserializeSchema(a.Value(r), memory.DefaultAllocator)
						if err != nil {
							t.Fatal(err)
						}
						row = append(row, sch)
					default:
						row = append(row, a.ValueStr(r))
					}
				}
				rows = append(rows, row)
			}
		}
		return rows
	}
	if rows := read(cl.GetCatalogs(ctx)); len(rows) != 0 {
		t.Errorf("catalogs %v", rows)
	}
	def := "default"
	if rows := read(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{})); !reflect.DeepEqual(rows, [][]any{{nil, "default"}}) {
		t.Errorf("schemas %v", rows)
	}
	pat := "def%"
	if rows := read(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{DbSchemaFilterPattern: &pat})); len(rows) != 1 {
		t.Errorf("schemas like def%%: %v", rows)
	}
	if rows := read(cl.GetTableTypes(ctx)); !reflect.DeepEqual(rows, [][]any{{"TABLE"}}) {
		t.Errorf("table types %v", rows)
	}
	for _, tc := range []struct {
		pattern string
		want    int
	}{{"all%", 1}, {"all_ypes", 1}, {"%x%", 0}, {"ALLTYPES", 0}} {
		p := tc.pattern
		rows := read(cl.GetTables(ctx, &flightsql.GetTablesOpts{DbSchemaFilterPattern: &def, TableNameFilterPattern: &p}))
		if len(rows) != tc.want {
			t.Errorf("tables like %q: %v", tc.pattern, rows)
		}
	}
	rows := read(cl.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true, TableTypes: []string{"TABLE"}}))
	if len(rows) != 1 || rows[0][2] != "alltypes" || rows[0][3] != "TABLE" {
		t.Fatalf("tables %v", rows)
	}
	sch := rows[0][4].(*arrow.Schema)
	if sch.NumFields() != len(tbl.Schema.Fields) {
		t.Fatalf("table schema %s", sch)
	}
	for i, f := range tbl.Schema.Fields {
		want := arrowType(f.DataType)
		if !f.SingleValue {
			want = arrow.ListOf(want)
		}
		if got := sch.Field(i); got.Name != f.Name || !arrow.TypeEqual(got.Type, want) {
			t.Errorf("table column %d: %s %s, want %s %s", i, got.Name, got.Type, f.Name, want)
		}
	}
	if f := sch.Field(0); f.Type.ID() != arrow.INT32 || tbl.Schema.Fields[0].DataType != schema.TypeInt {
		t.Errorf("first column %s", f)
	}

	// SqlInfo: what the ADBC driver reads on connect; unknown ids are
	// left out, not an error.
	info, err := cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName,
		flightsql.SqlInfoFlightSqlServerReadOnly, flightsql.SqlInfoFlightSqlServerTransaction, 999999})
	if err != nil {
		t.Fatal(err)
	}
	_, recs := fetch(t, ctx, cl, info, 0)
	if len(recs) != 1 || recs[0].NumRows() != 3 {
		t.Fatalf("sql info: %v", recs)
	}
	names := recs[0].Column(0).(*array.Uint32)
	vals := recs[0].Column(1).(*array.DenseUnion)
	if names.Value(0) != uint32(flightsql.SqlInfoFlightSqlServerName) ||
		vals.Field(0).(*array.String).Value(int(vals.ValueOffset(0))) != "Tannin" {
		t.Errorf("server name: %v", recs[0])
	}
}

func TestAuthCatalogFilter(t *testing.T) {
	tbl := fixtureTable(t)
	tbl.Name = "hidden"
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}, Auth: testAuth{}})
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "ann", "secret")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{})
	if err != nil {
		t.Fatal(err)
	}
	_, recs := fetch(t, ctx, cl, info, 0)
	if len(recs) != 1 || recs[0].NumRows() != 0 {
		t.Errorf("a table the user may not read is listed: %v", recs)
	}
	if _, err := cl.Execute(ctx, `SELECT COUNT(*) FROM hidden`); status.Code(err) != codes.PermissionDenied ||
		!strings.Contains(err.Error(), `table "hidden"`) {
		t.Errorf("query over a table the user may not read: %v", err)
	}
}
