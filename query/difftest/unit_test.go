package difftest

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/segment"
)

func TestScanShape(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		table string
		items []selectItem
		order []orderItem
		keys  []int
		limit int64
		off   int64
		group bool
		dist  bool
	}{
		{
			sql:   "SELECT a, b AS bee, COUNT(*) cnt FROM t WHERE x = 'FROM y' GROUP BY a, b ORDER BY cnt DESC, 1, bee LIMIT 10",
			table: "t", group: true, limit: 10,
			items: []selectItem{{"a", ""}, {"b", "bee"}, {"COUNT(*)", "cnt"}},
			order: []orderItem{{"cnt", true}, {"1", false}, {"bee", false}},
			keys:  []int{2, 0, 1},
		},
		{
			sql:   `SET enableNullHandling = true; SET x=1; SELECT DISTINCT "hits"."URL" FROM "hits" ORDER BY "URL" DESC NULLS LAST LIMIT 5 OFFSET 2 OPTION(timeoutMs=100)`,
			table: "hits", dist: true, limit: 5, off: 2,
			items: []selectItem{{`"hits"."URL"`, ""}},
			order: []orderItem{{`"URL"`, true}},
			keys:  []int{0},
		},
		{
			sql:   "select sum(price) / count(*), CASE WHEN a > 1 THEN 'x' ELSE 'y' END from t limit 3, 7",
			table: "t", limit: 7, off: 3,
			items: []selectItem{{"sum(price) / count(*)", ""}, {"CASE WHEN a > 1 THEN 'x' ELSE 'y' END", ""}},
		},
		{
			sql:   "SELECT DATETRUNC('DAY', ts) AS d, x IS NULL FROM t ORDER BY DATETRUNC('day', ts), x IS NULL, y LIMIT 1",
			table: "t", limit: 1,
			items: []selectItem{{"DATETRUNC('DAY', ts)", "d"}, {"x IS NULL", ""}},
			order: []orderItem{{"DATETRUNC('day', ts)", false}, {"x IS NULL", false}, {"y", false}},
			// String literals keep their case: 'day' is not 'DAY'.
			keys: []int{-1, 1, -1},
		},
		{
			sql:   "SELECT t.a FROM t ORDER BY a LIMIT 2 -- trailing comment",
			table: "t", limit: 2,
			items: []selectItem{{"t.a", ""}},
			order: []orderItem{{"a", false}},
			keys:  []int{0},
		},
	} {
		sh, err := scanShape(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if sh.Table != tc.table || sh.Limit != tc.limit || sh.Offset != tc.off || sh.GroupBy != tc.group || sh.Distinct != tc.dist {
			t.Errorf("%s:\n got table %q limit %d offset %d group %v distinct %v", tc.sql, sh.Table, sh.Limit, sh.Offset, sh.GroupBy, sh.Distinct)
		}
		if !reflect.DeepEqual(sh.Items, tc.items) {
			t.Errorf("%s:\n items %q\n want  %q", tc.sql, sh.Items, tc.items)
		}
		if !reflect.DeepEqual(sh.OrderBy, tc.order) {
			t.Errorf("%s:\n order %+v\n want  %+v", tc.sql, sh.OrderBy, tc.order)
		}
		if tc.keys != nil && !reflect.DeepEqual(sh.orderKeyColumns(), tc.keys) {
			t.Errorf("%s:\n keys %v, want %v", tc.sql, sh.orderKeyColumns(), tc.keys)
		}
	}
	for _, bad := range []string{"SELECT 'unterminated FROM t", "SELECT (a FROM t", "DELETE FROM t", "SELECT a FROM t LIMIT x"} {
		if _, err := scanShape(bad); err == nil {
			t.Errorf("scanShape(%q) succeeded", bad)
		}
	}
}

func TestStripPinotSyntax(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1 FROM t", "SELECT 1 FROM t"},
		{"SET a = 1; SET b='x;y';\nSELECT 'OPTION(' FROM t OPTION(timeoutMs=10)", "SELECT 'OPTION(' FROM t"},
		{"select option from t", "select option from t"},
	} {
		got, err := stripPinotSyntax(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("stripPinotSyntax(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseCorpus(t *testing.T) {
	const src = `# a comment
query q1 tol=0.02 tol=2:0.05 abstol=0.5 keys=2,1
SELECT DISTINCTCOUNT(x)
FROM t LIMIT 5
----duckdb
SELECT count(DISTINCT x) FROM t LIMIT 5

table hits
error e1
SELECT nope FROM hits
----
unknown column

query q2 check=count unordered
SELECT a FROM t LIMIT 3
`
	recs, err := ParseCorpus("f", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{File: "f", Line: 2, ID: "q1", Kind: KindQuery, Table: "transactions",
			SQL: "SELECT DISTINCTCOUNT(x)\nFROM t LIMIT 5", DuckDB: "SELECT count(DISTINCT x) FROM t LIMIT 5",
			Opts: Options{RelTol: 0.02, AbsTol: 0.5, ColTol: map[int]float64{1: 0.05}, Keys: []int{1, 0}}},
		{File: "f", Line: 9, ID: "e1", Kind: KindError, Table: "hits", SQL: "SELECT nope FROM hits", Error: "unknown column"},
		{File: "f", Line: 14, ID: "q2", Kind: KindQuery, Table: "hits", SQL: "SELECT a FROM t LIMIT 3",
			Opts: Options{CountOnly: true, Unordered: true}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("got  %+v\nwant %+v", recs, want)
	}

	for _, tc := range []struct{ name, src, want string }{
		{"duplicate id", "query a\nSELECT 1\n\nquery a\nSELECT 2\n", `duplicate id "a"`},
		{"unknown option", "query a frobnicate\nSELECT 1\n", `unknown option "frobnicate"`},
		{"bad tolerance", "query a tol=x\nSELECT 1\n", `want tol=`},
		{"no sql", "query a\n----duckdb\nSELECT 1\n", "has no SQL"},
		{"error without message", "error e\nSELECT 1\n", "no expected message"},
		{"stray line", "SELECT 1\n", `want a "query <id>"`},
		{"separator misuse", "query a\nSELECT 1\n----\nx\n", "---- belongs after"},
		{"options on error", "error e tol=1\nSELECT 1\n----\nx\n", "take no options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCorpus("f", strings.NewReader(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLint(t *testing.T) {
	for _, tc := range []struct {
		sql, want string
		opts      Options
	}{
		{sql: "SELECT COUNT(*), SUM(x) FROM t"},
		{sql: "SELECT a, COUNT(*) FROM t GROUP BY a", want: "no LIMIT"},
		{sql: "SELECT DISTINCT a FROM t", want: "no LIMIT"},
		{sql: "SELECT a FROM t", want: "no LIMIT"},
		{sql: "SELECT a FROM t LIMIT 5", want: "LIMIT without ORDER BY"},
		{sql: "SELECT a FROM t LIMIT 5", opts: Options{CountOnly: true}},
		{sql: "SELECT a FROM t ORDER BY b LIMIT 5", want: `ORDER BY key "b"`},
		{sql: "SELECT a FROM t ORDER BY b LIMIT 5", opts: Options{Keys: []int{0}}},
		{sql: "SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY COUNT(*) DESC, a LIMIT 5"},
	} {
		r := Record{ID: "x", SQL: tc.sql, Opts: tc.opts}
		err := Lint(&r)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Lint(%q) = %v", tc.sql, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Lint(%q) = %v, want %q", tc.sql, err, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	ts := time.Date(2024, 11, 29, 10, 0, 0, 123e6, time.UTC)
	for _, tc := range []struct{ in, want any }{
		{nil, nil},
		{int32(-5), int64(-5)},
		{uint8(7), int64(7)},
		{float32(0.5), 0.5},
		{big.NewInt(42), int64(42)},
		{new(big.Int).Lsh(big.NewInt(1), 70), math.Ldexp(1, 70)},
		{ts, ts.UnixMilli()},
		{[]byte{1, 2}, Blob("\x01\x02")},
		{[]string{"a", "b"}, []any{"a", "b"}},
		{[]any{int32(1), nil}, []any{int64(1), nil}},
		{true, true},
	} {
		if got := normalize(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestValuesEqual(t *testing.T) {
	exact := tolerance{rel: defaultRelTol}
	loose := tolerance{rel: 0.02, loose: true}
	for _, tc := range []struct {
		a, b any
		tol  tolerance
		want bool
	}{
		{nil, nil, exact, true},
		{nil, int64(0), exact, false},
		{"", nil, exact, false},
		{int64(3), 3.0, exact, true},
		{int64(3), 3.0000001, exact, false},
		{1e12, 1e12 + 1e-3, exact, true},
		{int64(100), int64(101), exact, false},
		{int64(100), int64(101), loose, true},
		{int64(100), int64(103), loose, false},
		{int64(math.MaxInt64), int64(math.MaxInt64 - 1), exact, false},
		{true, int64(1), exact, true},
		{false, int64(1), exact, false},
		{"a", "a", exact, true},
		{"a", "A", exact, false},
		{Blob("a"), "a", exact, false},
		{math.NaN(), math.NaN(), exact, true},
		{math.Inf(1), math.Inf(1), exact, true},
		{math.Inf(1), math.Inf(-1), exact, false},
		{[]any{"a", int64(1)}, []any{"a", 1.0}, exact, true},
		{[]any{"a"}, []any{"a", "b"}, exact, false},
		{0.1, 0.1 + 1e-12, exact, true},
		{0.0, 1e-300, exact, false},
		{0.0, 0.4, tolerance{rel: defaultRelTol, abs: 0.5, loose: true}, true},
	} {
		if got := valuesEqual(tc.a, tc.b, tc.tol); got != tc.want {
			t.Errorf("valuesEqual(%#v, %#v, %+v) = %v, want %v", tc.a, tc.b, tc.tol, got, tc.want)
		}
	}
}

func rows(cols int, rs ...[]any) *Rows {
	r := &Rows{Columns: make([]string, cols)}
	r.Rows = append(r.Rows, rs...)
	return r
}

func TestCompare(t *testing.T) {
	row := func(v ...any) []any { return v }
	for _, tc := range []struct {
		name      string
		got, want *Rows
		e         Expect
		wantErr   string
	}{
		{"equal", rows(2, row("a", int64(1))), rows(2, row("a", 1.0)), Expect{}, ""},
		{"column count", rows(1, row("a")), rows(2, row("a", int64(1))), Expect{}, "column count"},
		{"row count", rows(1, row("a")), rows(1, row("a"), row("b")), Expect{}, "row count"},
		{"unordered", rows(1, row("b"), row("a"), row(nil)), rows(1, row(nil), row("a"), row("b")), Expect{}, ""},
		{"multiset counts duplicates", rows(1, row("a"), row("a"), row("b")), rows(1, row("a"), row("b"), row("b")), Expect{}, "no match"},
		{"float noise across sort", rows(2, row(1.0000000000001, "x"), row(1.0, "y")), rows(2, row(1.0, "x"), row(1.0000000000001, "y")), Expect{}, ""},
		{"ordered", rows(1, row("b"), row("a")), rows(1, row("a"), row("b")), Expect{Ordered: true, Keys: []int{0}}, "ORDER BY keys"},
		{"ordered ties free", rows(2, row(int64(1), "b"), row(int64(1), "a"), row(int64(2), "c")),
			rows(2, row(int64(1), "a"), row(int64(1), "b"), row(int64(2), "c")), Expect{Ordered: true, Keys: []int{0}}, ""},
		{"ordered tie content", rows(2, row(int64(1), "b"), row(int64(1), "z"), row(int64(2), "c")),
			rows(2, row(int64(1), "a"), row(int64(1), "b"), row(int64(2), "c")), Expect{Ordered: true, Keys: []int{0}}, "tied on the ORDER BY keys"},
		{"limit cuts a tie", rows(2, row(int64(2), "c"), row(int64(1), "x")),
			rows(2, row(int64(2), "c"), row(int64(1), "a")), Expect{Ordered: true, Keys: []int{0}, TailCut: true}, ""},
		{"limit cut still checks keys", rows(2, row(int64(2), "c"), row(int64(0), "x")),
			rows(2, row(int64(2), "c"), row(int64(1), "a")), Expect{Ordered: true, Keys: []int{0}, TailCut: true}, "ORDER BY keys"},
		{"offset cuts a tie", rows(2, row(int64(1), "q"), row(int64(2), "c")),
			rows(2, row(int64(1), "a"), row(int64(2), "c")), Expect{Ordered: true, Keys: []int{0}, HeadCut: true}, ""},
		{"value after keys", rows(2, row(int64(1), "a"), row(int64(2), "c")),
			rows(2, row(int64(1), "a"), row(int64(2), "d")), Expect{Ordered: true, Keys: []int{0}}, "row 1"},
		{"null keys tie", rows(2, row(nil, "b"), row(nil, "a")), rows(2, row(nil, "a"), row(nil, "b")), Expect{Ordered: true, Keys: []int{0}}, ""},
		{"count only", rows(1, row("x")), rows(1, row("y")), Expect{Opts: Options{CountOnly: true}}, ""},
		{"tolerance", rows(1, row(int64(1010))), rows(1, row(int64(1000))), Expect{Opts: Options{RelTol: 0.02}}, ""},
		{"column tolerance", rows(2, row(int64(1010), int64(1010))), rows(2, row(int64(1000), int64(1000))), Expect{Opts: Options{ColTol: map[int]float64{1: 0.02}}}, "no match"},
		{"bad key column", rows(1, row("a")), rows(1, row("a")), Expect{Ordered: true, Keys: []int{3}}, "not among"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Compare(tc.got, tc.want, tc.e)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Compare: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Compare = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestExpectFor(t *testing.T) {
	r := &Record{SQL: "SELECT a, COUNT(*) AS c FROM t GROUP BY a ORDER BY c DESC, a LIMIT 10 OFFSET 5"}
	e, err := expectFor(r, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Ordered || !reflect.DeepEqual(e.Keys, []int{1, 0}) || !e.HeadCut || !e.TailCut {
		t.Fatalf("expectFor = %+v", e)
	}
	if e, _ := expectFor(r, 3); e.TailCut {
		t.Fatalf("3 of LIMIT 10 rows: TailCut set")
	}
	r.Opts.Unordered = true
	if e, _ := expectFor(r, 10); e.Ordered {
		t.Fatalf("unordered option ignored")
	}
}

// testGenTables describes the default tables from small samples.
func testGenTables(t *testing.T) []GenTable {
	t.Helper()
	var gens []GenTable
	for _, ts := range DefaultTables() {
		if ts.Unique == "" {
			continue
		}
		s := ts.Dataset.Schema()
		err := ts.Dataset.Generate(ts.Seed, 2000, 2000, func(cols []*segment.ColumnBuffer) error {
			gens = append(gens, NewGenTable(setupName(&ts), s, cols, ts.Unique, ts.Group, ts.Measure))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return gens
}

// TestDuckLoad checks the reference side: what goes in through the
// appender comes back out, NULLs, timestamps, booleans and lists included.
func TestDuckLoad(t *testing.T) {
	ctx := context.Background()
	d, err := OpenDuck()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ds := datagen.Clickstream{MultiValue: true}
	s := ds.Schema()
	if err := d.CreateTable(ctx, "hits", s); err != nil {
		t.Fatal(err)
	}
	var all [][]*segment.ColumnBuffer
	err = ds.Generate(5, 3000, 1000, func(cols []*segment.ColumnBuffer) error {
		all = append(all, cols)
		return d.Append(ctx, "hits", cols)
	})
	if err != nil {
		t.Fatal(err)
	}
	var nullRegion, nullCountry, mobile int64
	var sumWidth int64
	var firstTime, firstWatch int64
	var tags []any
	for b, cols := range all {
		nullRegion += int64(cols[8].Nulls.GetCardinality())
		nullCountry += int64(cols[31].Nulls.GetCardinality())
		for _, v := range cols[16].Ints {
			sumWidth += v
		}
		for _, v := range cols[18].Ints {
			mobile += v
		}
		if b == 0 {
			firstTime, firstWatch = cols[4].Ints[0], cols[0].Ints[0]
			tc := cols[39]
			for _, v := range tc.Strs[tc.Offsets[0]:tc.Offsets[1]] {
				tags = append(tags, v)
			}
		}
	}
	got, err := d.Query(ctx, `SELECT count(*), count(*) FILTER (WHERE RegionID IS NULL), count(*) FILTER (WHERE BrowserCountry IS NULL),
		sum(ResolutionWidth), count(*) FILTER (WHERE IsMobile), min(EventTime), min(typeof(EventTime)), min(typeof(IsMobile)) FROM hits`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(3000), nullRegion, nullCountry, sumWidth, mobile, firstTime, "TIMESTAMP", "BOOLEAN"}
	if err := Compare(got, &Rows{Columns: make([]string, len(want)), Rows: [][]any{want}}, Expect{}); err != nil {
		t.Fatalf("%v\n%s", err, FormatRows(got, 1))
	}
	if nullRegion == 0 || nullCountry == 0 || mobile == 0 {
		t.Fatalf("sample has no nulls or mobiles: %d %d %d", nullRegion, nullCountry, mobile)
	}
	got, err = d.Query(ctx, fmt.Sprintf("SELECT Tags FROM hits WHERE WatchID = %d", firstWatch))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 1 || !reflect.DeepEqual(got.Rows[0][0], tags) {
		t.Fatalf("Tags of the first row = %v, want [%v]", got.Rows, tags)
	}

	// NULLs order like PostgreSQL: last ascending, first descending.
	got, err = d.Query(ctx, "SELECT RegionID FROM hits ORDER BY RegionID LIMIT 1")
	if err != nil || got.Rows[0][0] == nil {
		t.Fatalf("ascending order put a NULL first: %v %v", got, err)
	}
	got, err = d.Query(ctx, "SELECT RegionID FROM hits ORDER BY RegionID DESC LIMIT 1")
	if err != nil || got.Rows[0][0] != nil {
		t.Fatalf("descending order did not put a NULL first: %v %v", got, err)
	}
}
