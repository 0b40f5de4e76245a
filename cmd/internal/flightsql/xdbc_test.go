package flightsql

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/flightsql/flightsqltest"
	"github.com/tannin-db/tannin/schema"
)

// This file tests the metadata calls JDBC/ODBC tools make besides the
// catalog: GetXdbcTypeInfo and the key calls, through arrow-go's client.

// typeRow is one GetXdbcTypeInfo row, nulls as nil.
type typeRow struct {
	name                   string
	dataType               int32
	columnSize             any
	prefix, suffix         any
	createParams           any
	nullable               int32
	caseSensitive          bool
	searchable             int32
	unsigned               any
	fixedPrecScale         bool
	autoIncrement          any
	localName              any
	minScale, maxScale     any
	sqlDataType            int32
	subcode, radix, intPre any
}

// typeRows reads GetXdbcTypeInfo(dataType), checking the advertised and
// streamed schemas against the spec's.
func typeRows(t *testing.T, ctx context.Context, cl *flightsql.Client, dataType *int32) []typeRow {
	t.Helper()
	info, err := cl.GetXdbcTypeInfo(ctx, dataType)
	if err != nil {
		t.Fatalf("GetXdbcTypeInfo: %v", err)
	}
	advertised, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	if !advertised.Equal(schema_ref.XdbcTypeInfo) {
		t.Errorf("GetFlightInfo schema %s, want %s", advertised, schema_ref.XdbcTypeInfo)
	}
	sch, recs := fetch(t, ctx, cl, info, 0)
	if !sch.Equal(schema_ref.XdbcTypeInfo) {
		t.Errorf("DoGet schema %s, want %s", sch, schema_ref.XdbcTypeInfo)
	}
	var rows []typeRow
	for _, rec := range recs {
		opt := func(c, r int) any {
			a := rec.Column(c)
			if a.IsNull(r) {
				return nil
			}
			switch a := a.(type) {
			case *array.String:
				return a.Value(r)
			case *array.Int32:
				return a.Value(r)
			case *array.Boolean:
				return a.Value(r)
			case *array.List:
				return a.ValueStr(r)
			}
			t.Fatalf("column %d: unexpected %s", c, a.DataType())
			return nil
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			rows = append(rows, typeRow{
				name: opt(0, r).(string), dataType: opt(1, r).(int32), columnSize: opt(2, r),
				prefix: opt(3, r), suffix: opt(4, r), createParams: opt(5, r),
				nullable: opt(6, r).(int32), caseSensitive: opt(7, r).(bool), searchable: opt(8, r).(int32),
				unsigned: opt(9, r), fixedPrecScale: opt(10, r).(bool), autoIncrement: opt(11, r),
				localName: opt(12, r), minScale: opt(13, r), maxScale: opt(14, r),
				sqlDataType: opt(15, r).(int32), subcode: opt(16, r), radix: opt(17, r), intPre: opt(18, r),
			})
		}
	}
	return rows
}

// jdbcCode is java.sql.Types' code of an Arrow type, as the Flight SQL
// JDBC driver's getColumns maps it (except float32: REAL, the SQL type
// of a single-precision float), written out independently of the server.
func jdbcCode(t arrow.DataType, typeName string) int32 {
	switch t.ID() {
	case arrow.INT32:
		return 4
	case arrow.INT64:
		return -5
	case arrow.FLOAT32:
		return 7
	case arrow.FLOAT64:
		return 8
	case arrow.BOOL:
		return 16
	case arrow.TIMESTAMP:
		return 93
	case arrow.BINARY:
		return -3
	case arrow.LIST:
		return 2003
	case arrow.STRING:
		if typeName == "BIG_DECIMAL" {
			return 3 // exact decimal text
		}
		return 12
	}
	return 0
}

func TestXdbcTypeInfo(t *testing.T) {
	tbl := fixtureTable(t)
	cl := startServer(t, Config{Backend: &engineBackend{table: tbl}})
	ctx := context.Background()

	sr, err := cl.GetXdbcTypeInfoSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sch, err := flight.DeserializeSchema(sr.Schema, memory.DefaultAllocator); err != nil || !sch.Equal(schema_ref.XdbcTypeInfo) {
		t.Errorf("GetSchema: %v %v", sch, err)
	}

	rows := typeRows(t, ctx, cl, nil)
	byName := map[string]typeRow{}
	for i, r := range rows {
		if _, dup := byName[r.name]; dup {
			t.Errorf("type %s listed twice", r.name)
		}
		byName[r.name] = r
		if i > 0 {
			p := rows[i-1]
			if p.dataType > r.dataType || (p.dataType == r.dataType && p.name >= r.name) {
				t.Errorf("rows %d (%s %d) and %d (%s %d) are not ordered by data_type, type_name", i-1, p.name, p.dataType, i, r.name, r.dataType)
			}
		}
		if r.nullable != 1 || r.createParams != nil || r.fixedPrecScale || r.localName != nil || r.intPre != nil {
			t.Errorf("%s: nullable %d, create_params %v, fixed_prec_scale %t, local_type_name %v, interval_precision %v",
				r.name, r.nullable, r.createParams, r.fixedPrecScale, r.localName, r.intPre)
		}
		if r.prefix != r.suffix {
			t.Errorf("%s: literal prefix %v, suffix %v", r.name, r.prefix, r.suffix)
		}
		wantSQL, wantSub := r.dataType, any(nil)
		if r.dataType == 93 {
			wantSQL, wantSub = 9, int32(3)
		}
		if r.sqlDataType != wantSQL || r.subcode != wantSub {
			t.Errorf("%s: sql_data_type %d subcode %v, want %d %v", r.name, r.sqlDataType, r.subcode, wantSQL, wantSub)
		}
	}
	// Every type a column can have, single- and multi-value (JSON is
	// single-value only), and nothing else.
	var want []string
	for dt := schema.TypeInt; dt <= schema.TypeBytes; dt++ {
		want = append(want, dt.String())
		if dt != schema.TypeJSON {
			want = append(want, dt.String()+"_ARRAY")
		}
	}
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = r.name
	}
	slices.Sort(want)
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("types %v\nwant %v", got, want)
	}

	// Numbers: precision with its radix, scales for the exact ones.
	for name, w := range map[string][3]any{
		"INT": {int32(10), int32(10), int32(0)}, "LONG": {int32(19), int32(10), int32(0)},
		"FLOAT": {int32(24), int32(2), nil}, "DOUBLE": {int32(53), int32(2), nil},
		"BIG_DECIMAL": {nil, int32(10), nil},
	} {
		r := byName[name]
		if r.columnSize != w[0] || r.radix != w[1] || r.minScale != w[2] || r.maxScale != w[2] ||
			r.unsigned != false || r.autoIncrement != false || r.prefix != nil {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := byName["STRING"]; r.prefix != "'" || !r.caseSensitive || r.searchable != 3 || r.unsigned != nil {
		t.Errorf("STRING: %+v", r)
	}
	if r := byName["TIMESTAMP"]; r.columnSize != int32(len("2006-01-02 15:04:05.000")) || r.minScale != int32(3) {
		t.Errorf("TIMESTAMP: %+v", r)
	}

	// The table's columns: each TYPE_NAME a driver reports has a row whose
	// data_type is the code of the column's Arrow type.
	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	_, recs := fetch(t, ctx, cl, info, 0)
	sch, err := flight.DeserializeSchema(recs[0].Column(4).(*array.Binary).Value(0), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sch.Fields() {
		md := flightsql.ColumnMetadata{Data: &f.Metadata}
		name, _ := md.TypeName()
		r, ok := byName[name]
		if !ok {
			t.Errorf("column %s: TYPE_NAME %q has no type info", f.Name, name)
			continue
		}
		if c := jdbcCode(f.Type, name); r.dataType != c {
			t.Errorf("column %s (%s, %s): data_type %d, want %d", f.Name, name, f.Type, r.dataType, c)
		}
	}

	// What a row promises, the engine keeps: a literal written with the
	// type's prefix and suffix compares with a column of the type, and
	// LIKE works on the types said to be fully searchable.
	lit := func(typ, v string) string {
		r := byName[typ]
		p, _ := r.prefix.(string)
		s, _ := r.suffix.(string)
		return p + v + s
	}
	probes := []struct{ col, typ, value, like string }{
		{"i", "INT", "-19", ""},
		{"l", "LONG", "1000000007", ""},
		{"f", "FLOAT", "0.125", ""},
		{"d", "DOUBLE", "1.25", ""},
		{"bd", "BIG_DECIMAL", "3.01", ""},
		{"b", "BOOLEAN", "TRUE", ""},
		{"ts", "TIMESTAMP", time.UnixMilli(flightsqltest.Day0 + 3_600_000).UTC().Format("2006-01-02 15:04:05.000"), ""},
		{"s", "STRING", "s1", "s%"},
		{"j", "JSON", `{"k":1}`, `%"k"%`},
		{"by", "BYTES", "01fe", ""}, // hex, as Pinot reads a BYTES literal
		{"tags", "STRING_ARRAY", "t1", "t%"},
		{"nums", "INT_ARRAY", "1", ""},
	}
	for _, p := range probes {
		r := byName[p.typ]
		if r.searchable < 2 {
			t.Errorf("%s: searchable %d", p.typ, r.searchable)
		}
		if (p.like != "") != (r.searchable == 3) {
			t.Errorf("%s: searchable %d, probe with LIKE %q", p.typ, r.searchable, p.like)
		}
		// A predicate on a multi-value column compares its values, so it
		// takes the element type's literal.
		elem := strings.TrimSuffix(p.typ, "_ARRAY")
		preds := []string{fmt.Sprintf(`%q = %s`, p.col, lit(elem, p.value))}
		if p.like != "" {
			preds = append(preds, fmt.Sprintf(`%q LIKE %s`, p.col, lit(elem, p.like)))
		}
		for _, pred := range preds {
			q := `SELECT COUNT(*) FROM alltypes WHERE ` + pred
			info, err := cl.Execute(ctx, q)
			if err != nil {
				t.Errorf("%s: %v", q, err)
				continue
			}
			_, recs := fetch(t, ctx, cl, info, 0)
			if n := cells(t, recs)[0][0].(int64); n == 0 || n == flightsqltest.Rows {
				t.Errorf("%s: %d rows of %d", q, n, flightsqltest.Rows)
			}
		}
	}
}

func TestXdbcTypeInfoFiltered(t *testing.T) {
	cl := startServer(t, Config{Backend: &engineBackend{table: fixtureTable(t)}})
	ctx := context.Background()
	names := func(dt int32) []string {
		var out []string
		for _, r := range typeRows(t, ctx, cl, &dt) {
			if r.dataType != dt {
				t.Errorf("filter %d answered %s of data_type %d", dt, r.name, r.dataType)
			}
			out = append(out, r.name)
		}
		return out
	}
	for dt, want := range map[int32][]string{
		12:   {"JSON", "STRING"},
		93:   {"TIMESTAMP"},
		16:   {"BOOLEAN"},
		-3:   {"BYTES"},
		2003: {"BIG_DECIMAL_ARRAY", "BOOLEAN_ARRAY", "BYTES_ARRAY", "DOUBLE_ARRAY", "FLOAT_ARRAY", "INT_ARRAY", "LONG_ARRAY", "STRING_ARRAY", "TIMESTAMP_ARRAY"},
		1:    nil, // CHAR: no such type
		91:   nil, // DATE
	} {
		if got := names(dt); !reflect.DeepEqual(got, want) {
			t.Errorf("data_type %d: %v, want %v", dt, got, want)
		}
	}
}

// keyCall is one of the four key calls.
type keyCall struct {
	name string
	info func(ctx context.Context, cl *flightsql.Client, ref flightsql.TableRef) (*flight.FlightInfo, error)
	sch  func(ctx context.Context, cl *flightsql.Client) (*flight.SchemaResult, error)
	want *arrow.Schema
}

var keyCalls = []keyCall{
	{"PrimaryKeys", func(ctx context.Context, cl *flightsql.Client, ref flightsql.TableRef) (*flight.FlightInfo, error) {
		return cl.GetPrimaryKeys(ctx, ref)
	}, func(ctx context.Context, cl *flightsql.Client) (*flight.SchemaResult, error) {
		return cl.GetPrimaryKeysSchema(ctx)
	}, schema_ref.PrimaryKeys},
	{"ImportedKeys", func(ctx context.Context, cl *flightsql.Client, ref flightsql.TableRef) (*flight.FlightInfo, error) {
		return cl.GetImportedKeys(ctx, ref)
	}, func(ctx context.Context, cl *flightsql.Client) (*flight.SchemaResult, error) {
		return cl.GetImportedKeysSchema(ctx)
	}, schema_ref.ImportedKeys},
	{"ExportedKeys", func(ctx context.Context, cl *flightsql.Client, ref flightsql.TableRef) (*flight.FlightInfo, error) {
		return cl.GetExportedKeys(ctx, ref)
	}, func(ctx context.Context, cl *flightsql.Client) (*flight.SchemaResult, error) {
		return cl.GetExportedKeysSchema(ctx)
	}, schema_ref.ExportedKeys},
	// The cross reference between a table and itself; the bad reference
	// goes in as the foreign-key side, so that both sides are checked.
	{"CrossReference", func(ctx context.Context, cl *flightsql.Client, ref flightsql.TableRef) (*flight.FlightInfo, error) {
		def := dbSchema
		return cl.GetCrossReference(ctx, flightsql.TableRef{DBSchema: &def, Table: "alltypes"}, ref)
	}, func(ctx context.Context, cl *flightsql.Client) (*flight.SchemaResult, error) {
		return cl.GetCrossReferenceSchema(ctx)
	}, schema_ref.CrossReference},
}

func TestKeyCalls(t *testing.T) {
	cl := startServer(t, Config{Backend: &engineBackend{table: fixtureTable(t)}})
	ctx := context.Background()
	def, empty, other := dbSchema, "", "other"
	for _, kc := range keyCalls {
		t.Run(kc.name, func(t *testing.T) {
			sr, err := kc.sch(ctx, cl)
			if err != nil {
				t.Fatal(err)
			}
			if sch, err := flight.DeserializeSchema(sr.Schema, memory.DefaultAllocator); err != nil || !sch.Equal(kc.want) {
				t.Errorf("GetSchema: %v %v", sch, err)
			}
			// The names a tool has from GetTables, and looser ones.
			for _, ref := range []flightsql.TableRef{
				{Table: "alltypes"},
				{Catalog: &empty, DBSchema: &def, Table: "alltypes"},
				{DBSchema: &def, Table: "ALLTYPES"},
				{Table: "alltypes_OFFLINE"},
			} {
				info, err := kc.info(ctx, cl, ref)
				if err != nil {
					t.Errorf("%+v: %v", ref, err)
					continue
				}
				advertised, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
				if err != nil || !advertised.Equal(kc.want) {
					t.Errorf("GetFlightInfo schema %v %v", advertised, err)
				}
				sch, recs := fetch(t, ctx, cl, info, 0)
				if !sch.Equal(kc.want) {
					t.Errorf("DoGet schema %s, want %s", sch, kc.want)
				}
				for _, r := range recs {
					if r.NumRows() != 0 {
						t.Errorf("%+v: %d rows, want none", ref, r.NumRows())
					}
				}
			}
			for _, tc := range []struct {
				ref  flightsql.TableRef
				code codes.Code
				msg  string
			}{
				{flightsql.TableRef{Table: "nosuch"}, codes.NotFound, `table "nosuch" does not exist`},
				{flightsql.TableRef{DBSchema: &other, Table: "alltypes"}, codes.NotFound, `database schema "other"`},
				{flightsql.TableRef{DBSchema: &empty, Table: "alltypes"}, codes.NotFound, `table "alltypes" does not exist`},
				{flightsql.TableRef{Catalog: &other, Table: "alltypes"}, codes.NotFound, `no catalogs`},
				{flightsql.TableRef{}, codes.InvalidArgument, "no table named"},
			} {
				_, err := kc.info(ctx, cl, tc.ref)
				if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("%+v: %v, want %s containing %q", tc.ref, err, tc.code, tc.msg)
				}
			}
		})
	}
}

// tablesBackend lists more tables than the engine answers.
type tablesBackend struct {
	*engineBackend
	extra []Table
}

func (b *tablesBackend) Tables(ctx context.Context) []Table {
	return append(b.engineBackend.Tables(ctx), b.extra...)
}

func TestKeyCallsAuth(t *testing.T) {
	tbl := fixtureTable(t)
	backend := &tablesBackend{&engineBackend{table: tbl}, []Table{{Name: "hidden", Schema: tbl.Schema}}}
	cl := startServer(t, Config{Backend: backend, Auth: testAuth{}})
	open := startServer(t, Config{Backend: backend})
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "ann", "secret")
	if err != nil {
		t.Fatal(err)
	}
	for _, kc := range keyCalls {
		if _, err := kc.info(context.Background(), cl, flightsql.TableRef{Table: "alltypes"}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s without credentials: %v", kc.name, err)
		}
		info, err := kc.info(ctx, cl, flightsql.TableRef{Table: "alltypes"})
		if err != nil {
			t.Fatalf("%s on a readable table: %v", kc.name, err)
		}
		if _, recs := fetch(t, ctx, cl, info, 0); len(recs) != 1 || recs[0].NumRows() != 0 {
			t.Errorf("%s: %v", kc.name, recs)
		}
		_, err = kc.info(ctx, cl, flightsql.TableRef{Table: "hidden"})
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `table "hidden"`) {
			t.Errorf("%s on a table the user may not read: %v", kc.name, err)
		}
		// A ticket for the hidden table, from a server without
		// authentication, does not get past DoGet's own check.
		info, err = kc.info(context.Background(), open, flightsql.TableRef{Table: "hidden"})
		if err != nil {
			t.Fatalf("%s on the open server: %v", kc.name, err)
		}
		rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
		if err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s DoGet with a ticket for the hidden table: %v", kc.name, err)
		}
	}
}
