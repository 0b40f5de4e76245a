package exec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/memseg"
)

// allTypesSchema has a column of every data type, nullable columns and
// multi-value columns.
func allTypesSchema() *schema.Schema {
	sv := func(name string, t schema.DataType) schema.FieldSpec {
		return schema.FieldSpec{Name: name, DataType: t, SingleValue: true}
	}
	return &schema.Schema{Name: "typed", Fields: []schema.FieldSpec{
		sv("id", schema.TypeLong),
		sv("i", schema.TypeInt),
		sv("l", schema.TypeLong),
		sv("f", schema.TypeFloat),
		sv("d", schema.TypeDouble),
		sv("b", schema.TypeBoolean),
		sv("ts", schema.TypeTimestamp),
		sv("s", schema.TypeString),
		sv("j", schema.TypeJSON),
		sv("bd", schema.TypeBigDecimal),
		sv("bt", schema.TypeBytes),
		sv("n", schema.TypeLong),    // nullable
		sv("ns", schema.TypeString), // nullable
		sv("nd", schema.TypeDouble), // nullable
		{Name: "mv", DataType: schema.TypeString},
		{Name: "mvi", DataType: schema.TypeInt},
	}}
}

// allTypesTable spreads rows over segs segments, the last one empty.
func allTypesTable(t testing.TB, rows, segs int) *Table {
	t.Helper()
	s := allTypesSchema()
	r := rand.New(rand.NewPCG(42, 7))
	words := []string{"alpha", "beta", "gamma", "delta", "", "épsilon", "zeta"}
	tbl := &Table{Name: "typed", Schema: s}
	per := (rows + segs - 2) / (segs - 1)
	id := 0
	for seg := 0; seg < segs; seg++ {
		bufs := make([]*segment.ColumnBuffer, len(s.Fields))
		for i := range s.Fields {
			bufs[i] = segment.NewColumnBuffer(&s.Fields[i])
		}
		for k := 0; k < per && id < rows && seg < segs-1; k++ {
			w := words[r.IntN(len(words))]
			bufs[0].Ints = append(bufs[0].Ints, int64(id))
			bufs[1].Ints = append(bufs[1].Ints, int64(r.IntN(20)-5))
			bufs[2].Ints = append(bufs[2].Ints, int64(r.IntN(1000))*1_000_003)
			bufs[3].Floats = append(bufs[3].Floats, float64(float32(r.Float64()*10)))
			bufs[4].Floats = append(bufs[4].Floats, math.Round(r.NormFloat64()*1000)/8)
			bufs[5].Ints = append(bufs[5].Ints, int64(r.IntN(2)))
			bufs[6].Ints = append(bufs[6].Ints, 1_700_000_000_000+int64(r.IntN(50))*3_600_000)
			bufs[7].Strs = append(bufs[7].Strs, w)
			bufs[8].Strs = append(bufs[8].Strs, fmt.Sprintf(`{"k":%d}`, r.IntN(4)))
			bufs[9].Strs = append(bufs[9].Strs, fmt.Sprintf("%d.%02d", r.IntN(30), r.IntN(100)))
			bufs[10].Strs = append(bufs[10].Strs, string([]byte{byte(r.IntN(4)), 0xff, byte(r.IntN(3))}))
			if r.IntN(5) == 0 {
				bufs[11].Ints = append(bufs[11].Ints, math.MinInt64)
				bufs[11].Nulls.Add(uint32(k))
			} else {
				bufs[11].Ints = append(bufs[11].Ints, int64(r.IntN(7)))
			}
			if r.IntN(4) == 0 {
				bufs[12].Strs = append(bufs[12].Strs, "null")
				bufs[12].Nulls.Add(uint32(k))
			} else {
				bufs[12].Strs = append(bufs[12].Strs, words[r.IntN(3)])
			}
			if r.IntN(3) == 0 {
				bufs[13].Floats = append(bufs[13].Floats, 0)
				bufs[13].Nulls.Add(uint32(k))
			} else {
				bufs[13].Floats = append(bufs[13].Floats, float64(r.IntN(100))/4)
			}
			for v := r.IntN(4); v > 0; v-- {
				bufs[14].Strs = append(bufs[14].Strs, words[r.IntN(4)])
			}
			bufs[14].Offsets = append(bufs[14].Offsets, uint32(len(bufs[14].Strs)))
			for v := r.IntN(3); v > 0; v-- {
				bufs[15].Ints = append(bufs[15].Ints, int64(r.IntN(6)))
			}
			bufs[15].Offsets = append(bufs[15].Offsets, uint32(len(bufs[15].Ints)))
			id++
		}
		m, err := memseg.New(fmt.Sprintf("typed_%d", seg), bufs, memseg.Options{Sorted: true})
		if err != nil {
			t.Fatal(err)
		}
		tbl.Segments = append(tbl.Segments, m)
	}
	return tbl
}

// splitQuery runs q the distributed way: the table's segments dealt
// round-robin to servers, each Executed, its Partial encoded and decoded
// when wire is set, then all Reduced.
func splitQuery(t testing.TB, tbl *Table, q string, servers int, wire bool) (*Result, error) {
	t.Helper()
	st, err := sql.Parse(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	ctx := context.Background()
	parts := make([]*Partial, servers)
	for s := range parts {
		sub := &Table{Name: tbl.Name, Schema: tbl.Schema}
		for i := s; i < len(tbl.Segments); i += servers {
			sub.Segments = append(sub.Segments, tbl.Segments[i])
		}
		p, err := Execute(ctx, sub, st)
		if err != nil {
			return nil, err
		}
		if wire {
			buf, err := p.AppendBinary(nil)
			if err != nil {
				t.Fatalf("%s: server %d: %v", q, s, err)
			}
			if p, err = UnmarshalPartial(buf); err != nil {
				t.Fatalf("%s: server %d: %v", q, s, err)
			}
		}
		parts[s] = p
	}
	return Reduce(ctx, tbl.Schema, tbl.Name, st, parts)
}

// sameResult compares results: columns and types exactly, floats within
// a relative tol, rows in order when ordered, else as multisets.
func sameResult(a, b *Result, ordered bool, tol float64) error {
	if !reflect.DeepEqual(a.Columns, b.Columns) || !reflect.DeepEqual(a.Types, b.Types) || !reflect.DeepEqual(a.MultiValue, b.MultiValue) {
		return fmt.Errorf("columns %v %v %v, want %v %v %v", a.Columns, a.Types, a.MultiValue, b.Columns, b.Types, b.MultiValue)
	}
	if len(a.Rows) != len(b.Rows) {
		return fmt.Errorf("%d rows, want %d", len(a.Rows), len(b.Rows))
	}
	ar, br := a.Rows, b.Rows
	if !ordered {
		key := func(r []any) string { return fmt.Sprintf("%v", r) }
		ar, br = slices.Clone(ar), slices.Clone(br)
		slices.SortFunc(ar, func(x, y []any) int { return strings.Compare(key(x), key(y)) })
		slices.SortFunc(br, func(x, y []any) int { return strings.Compare(key(x), key(y)) })
	}
	for i := range ar {
		for j := range ar[i] {
			x, y := ar[i][j], br[i][j]
			if fx, ok := x.(float64); ok {
				if fy, ok := y.(float64); ok && math.Abs(fx-fy) <= tol*math.Max(1, math.Max(math.Abs(fx), math.Abs(fy))) {
					continue
				}
			}
			if !reflect.DeepEqual(x, y) {
				return fmt.Errorf("row %d column %d: %#v, want %#v\n got  %v\n want %v", i, j, x, y, ar[i], br[i])
			}
		}
	}
	return nil
}

// TestSplitMatchesSingleProcess runs queries over every key type and
// aggregate kind both ways, with several server counts (some servers
// without segments), with and without the wire encoding.
func TestSplitMatchesSingleProcess(t *testing.T) {
	tbl := allTypesTable(t, 3000, 6)
	cases := []struct {
		q       string
		ordered bool
		tol     float64
	}{
		// Aggregations without GROUP BY.
		{q: "SELECT COUNT(*), COUNT(n), SUM(i), SUM(d), AVG(nd), MIN(f), MAX(l), MIN(s), MAX(ns), MIN(bd), MAX(bt) FROM typed"},
		{q: "SELECT DISTINCTCOUNT(s), DISTINCTCOUNT(l), DISTINCTCOUNT(d), COUNT(DISTINCT bt), COUNT(DISTINCT j), DISTINCTCOUNT(bd) FROM typed"},
		{q: "SELECT DISTINCTCOUNTHLL(id), DISTINCTCOUNTHLL(s), PERCENTILE(d, 50), PERCENTILE90(l), PERCENTILETDIGEST(d, 90), PERCENTILEEST(i, 50) FROM typed", tol: 0.05},
		{q: "SELECT COUNT(*), SUM(i), AVG(d), MIN(s), MAX(f), DISTINCTCOUNT(s), DISTINCTCOUNTHLL(s), PERCENTILE(d, 50), PERCENTILETDIGEST(d, 50) FROM typed WHERE i < -100"},
		{q: "SELECT COUNTMV(mv), DISTINCTCOUNTMV(mv), SUMMV(mvi), MAXMV(mvi) FROM typed"},
		{q: "SELECT COUNT(*) FILTER (WHERE b = true), SUM(d) FILTER (WHERE s = 'alpha') FROM typed"},
		// Every key type.
		{q: "SELECT i, COUNT(*), SUM(d) FROM typed GROUP BY i ORDER BY i LIMIT 100", ordered: true},
		{q: "SELECT l, COUNT(*) FROM typed GROUP BY l ORDER BY COUNT(*) DESC, l LIMIT 20", ordered: true},
		{q: "SELECT f, MIN(d), MAX(d) FROM typed GROUP BY f ORDER BY f DESC LIMIT 50", ordered: true},
		{q: "SELECT d, COUNT(*) FROM typed GROUP BY d ORDER BY d LIMIT 40 OFFSET 7", ordered: true},
		{q: "SELECT b, AVG(d), DISTINCTCOUNT(s) FROM typed GROUP BY b ORDER BY b LIMIT 10", ordered: true},
		{q: "SELECT ts, COUNT(*) FROM typed GROUP BY ts ORDER BY ts LIMIT 100", ordered: true},
		{q: "SELECT s, COUNT(*), MIN(ns), MAX(s), PERCENTILE(l, 25) FROM typed GROUP BY s ORDER BY s LIMIT 100", ordered: true},
		{q: "SELECT j, COUNT(*) FROM typed GROUP BY j ORDER BY j LIMIT 10", ordered: true},
		{q: "SELECT bd, COUNT(*) FROM typed GROUP BY bd ORDER BY bd LIMIT 5000", ordered: true},
		{q: "SELECT bt, COUNT(*), DISTINCTCOUNT(bt) FROM typed GROUP BY bt ORDER BY bt LIMIT 100", ordered: true},
		{q: "SELECT n, COUNT(*), SUM(n) FROM typed GROUP BY n ORDER BY n NULLS FIRST LIMIT 100", ordered: true},
		{q: "SELECT ns, COUNT(*), DISTINCTCOUNTHLL(id) FROM typed GROUP BY ns ORDER BY ns LIMIT 100", ordered: true, tol: 0.05},
		{q: "SELECT nd, COUNT(*) FROM typed GROUP BY nd ORDER BY nd DESC NULLS LAST LIMIT 200", ordered: true},
		{q: "SELECT mv, COUNT(*), SUM(i) FROM typed GROUP BY mv ORDER BY mv LIMIT 100", ordered: true},
		{q: "SELECT mvi, mv, COUNT(*) FROM typed GROUP BY mvi, mv ORDER BY mvi, mv LIMIT 100", ordered: true},
		{q: "SELECT i % 3, COUNT(*) FROM typed GROUP BY i % 3 ORDER BY 1 LIMIT 10", ordered: true},
		{q: "SELECT UPPER(s), LENGTH(j), COUNT(*) FROM typed GROUP BY UPPER(s), LENGTH(j) ORDER BY 1, 2 LIMIT 100", ordered: true},
		{q: "SELECT i, i * 2 + 1, COUNT(*) FROM typed GROUP BY i, i * 2 + 1 ORDER BY i LIMIT 100", ordered: true},
		{q: "SELECT s, b, ns, COUNT(*), PERCENTILETDIGEST(d, 50) FROM typed GROUP BY s, b, ns ORDER BY s, b, ns LIMIT 1000", ordered: true, tol: 0.05},
		{q: "SELECT s, i, AVG(d) FROM typed GROUP BY s, i LIMIT 10000"},
		// HAVING, DISTINCT, ORDER BY aggregates, OFFSET.
		{q: "SELECT s, COUNT(*) AS c FROM typed GROUP BY s HAVING COUNT(*) > 400 ORDER BY c DESC LIMIT 10", ordered: true},
		{q: "SELECT DISTINCT s, b FROM typed ORDER BY s, b LIMIT 100", ordered: true},
		{q: "SELECT DISTINCT i FROM typed WHERE i > 3 ORDER BY i DESC LIMIT 3 OFFSET 2", ordered: true},
		{q: "SELECT i, SUM(d) FROM typed WHERE s = 'nothing' GROUP BY i ORDER BY i LIMIT 10", ordered: true},
		// Selections.
		{q: "SELECT * FROM typed ORDER BY id LIMIT 30 OFFSET 5", ordered: true},
		{q: "SELECT id, mv, mvi, bt, n, ns FROM typed WHERE i > 10 ORDER BY d DESC, id LIMIT 50", ordered: true},
		{q: "SELECT id, s FROM typed WHERE s = 'nothing' ORDER BY id LIMIT 10", ordered: true},
		{q: "SELECT id, nd FROM typed ORDER BY nd NULLS FIRST, id LIMIT 40", ordered: true},
		{q: "SELECT s, id FROM typed ORDER BY s DESC, id LIMIT 2000 OFFSET 1000", ordered: true},
	}
	for _, c := range cases {
		want, err := Query(context.Background(), tbl, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		tol := c.tol
		if tol == 0 {
			tol = 1e-9
		}
		for _, servers := range []int{1, 2, 3, 6, 8} {
			for _, wire := range []bool{false, true} {
				got, err := splitQuery(t, tbl, c.q, servers, wire)
				if err != nil {
					t.Errorf("%s (servers=%d wire=%v): %v", c.q, servers, wire, err)
					continue
				}
				if err := sameResult(got, want, c.ordered, tol); err != nil {
					t.Errorf("%s (servers=%d wire=%v): %v", c.q, servers, wire, err)
				}
				if got.Stats != want.Stats {
					t.Errorf("%s (servers=%d wire=%v): stats %+v, want %+v", c.q, servers, wire, got.Stats, want.Stats)
				}
			}
		}
	}
}

// TestSplitSelectionWithoutOrder checks a selection without ORDER BY:
// any LIMIT rows will do, but exactly that many.
func TestSplitSelectionWithoutOrder(t *testing.T) {
	tbl := allTypesTable(t, 1000, 4)
	for _, servers := range []int{1, 2, 5} {
		for _, q := range []string{"SELECT id, mv FROM typed LIMIT 25", "SELECT id FROM typed LIMIT 10 OFFSET 995", "SELECT id FROM typed WHERE b = true LIMIT 0"} {
			got, err := splitQuery(t, tbl, q, servers, true)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			want := mustQuery(t, tbl, q)
			if len(got.Rows) != len(want.Rows) {
				t.Errorf("%s (servers=%d): %d rows, want %d", q, servers, len(got.Rows), len(want.Rows))
			}
		}
	}
}

// TestSplitKeepsSortedMerge checks that a server's groups of one sorted
// string key stay in key order, so that the broker merges them bt a k-way
// merge, and that the order survives the wire.
func TestSplitKeepsSortedMerge(t *testing.T) {
	tbl := allTypesTable(t, 2000, 5)
	st, err := sql.Parse("SELECT s, COUNT(*) FROM typed GROUP BY s LIMIT 100")
	if err != nil {
		t.Fatal(err)
	}
	sub := &Table{Name: "typed", Schema: tbl.Schema, Segments: tbl.Segments[:3]}
	p, err := Execute(context.Background(), sub, st)
	if err != nil {
		t.Fatal(err)
	}
	if !p.groups.inOrder {
		t.Fatal("merged groups of a sorted string key are not in key order")
	}
	buf, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalPartial(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !q.groups.inOrder || q.groups.n != p.groups.n {
		t.Errorf("decoded: inOrder %v, %d groups; want in order, %d groups", q.groups.inOrder, q.groups.n, p.groups.n)
	}
	// A hash-merged key is not in order.
	st2, _ := sql.Parse("SELECT i, COUNT(*) FROM typed GROUP BY i LIMIT 100")
	p2, err := Execute(context.Background(), sub, st2)
	if err != nil {
		t.Fatal(err)
	}
	if p2.groups.inOrder {
		t.Error("hash-merged integer groups claim key order")
	}
}

// TestReduceZeroPartials checks the empty answers the broker gives when
// no server holds a segment.
func TestReduceZeroPartials(t *testing.T) {
	s := allTypesSchema()
	cases := []struct {
		q     string
		cols  []string
		types []schema.DataType
		rows  [][]any
	}{
		{"SELECT COUNT(*), SUM(i), AVG(d), MIN(s), DISTINCTCOUNT(s), DISTINCTCOUNTHLL(s), PERCENTILE(d, 50) FROM typed",
			[]string{"count(*)", "sum(i)", "avg(d)", "min(s)", "distinctcount(s)", "distinctcounthll(s)", "percentile(d,50)"},
			[]schema.DataType{schema.TypeLong, schema.TypeDouble, schema.TypeDouble, schema.TypeString, schema.TypeInt, schema.TypeLong, schema.TypeDouble},
			[][]any{{int64(0), nil, nil, nil, int64(0), int64(0), nil}}},
		{"SELECT s, COUNT(*) AS c FROM typed GROUP BY s ORDER BY c LIMIT 10",
			[]string{"s", "c"}, []schema.DataType{schema.TypeString, schema.TypeLong}, nil},
		{"SELECT id, bt, mv FROM typed ORDER BY id LIMIT 10",
			[]string{"id", "bt", "mv"}, []schema.DataType{schema.TypeLong, schema.TypeBytes, schema.TypeString}, nil},
	}
	for _, c := range cases {
		st, err := sql.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Reduce(context.Background(), s, "typed", st, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if !reflect.DeepEqual(res.Columns, c.cols) || !reflect.DeepEqual(res.Types, c.types) || len(res.Rows) != len(c.rows) || (c.rows != nil && !reflect.DeepEqual(res.Rows, c.rows)) {
			t.Errorf("%s:\n got  %v %v %v\n want %v %v %v", c.q, res.Columns, res.Types, res.Rows, c.cols, c.types, c.rows)
		}
		// The same as an empty table in one process.
		want := mustQuery(t, &Table{Name: "typed", Schema: s}, c.q)
		if err := sameResult(res, want, true, 0); err != nil {
			t.Errorf("%s: vs empty table: %v", c.q, err)
		}
	}
}

func TestExplainFromPartials(t *testing.T) {
	tbl := allTypesTable(t, 500, 3)
	q := "EXPLAIN PLAN FOR SELECT s, COUNT(*) FROM typed WHERE s = 'alpha' AND (i > 3 OR d < 0) GROUP BY s LIMIT 5"
	want := mustQuery(t, tbl, q)
	if leaf := want.Rows[len(want.Rows)-4][0].(string); !strings.HasPrefix(leaf, "FILTER_SCAN_ON_DICTIONARY_IDS(predicate:s = 'alpha')") {
		t.Errorf("first leaf %v, want a dictionary scan", leaf)
	}
	for _, servers := range []int{1, 2, 4} {
		got, err := splitQuery(t, tbl, q, servers, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("servers=%d:\n got  %v\n want %v", servers, got.Rows, want.Rows)
		}
	}
	// From the schema alone: every leaf a full scan, no documents.
	st, _ := sql.Parse(q)
	res, err := Reduce(context.Background(), tbl.Schema, "typed", st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(want.Rows) {
		t.Fatalf("%d operators, want %d", len(res.Rows), len(want.Rows))
	}
	for _, r := range res.Rows {
		if op := r[0].(string); strings.HasPrefix(op, "FILTER_") && !strings.HasPrefix(op, "FILTER_FULL_SCAN") && !strings.HasPrefix(op, "FILTER_AND") && !strings.HasPrefix(op, "FILTER_OR") {
			t.Errorf("schema-only EXPLAIN has %s", op)
		}
	}
}

// TestNumGroupsLimitSurvivesTheWire checks Pinot's per-segment group
// limit: the flag set on one server reaches the broker's result.
func TestNumGroupsLimitSurvivesTheWire(t *testing.T) {
	tbl := allTypesTable(t, 2000, 4)
	q := "SET numGroupsLimit = 10; SELECT id, COUNT(*) FROM typed GROUP BY id LIMIT 1000"
	want := mustQuery(t, tbl, q)
	if !want.Stats.NumGroupsLimitReached || len(want.Rows) != 30 {
		t.Fatalf("single process: limit reached %v, %d rows; want true, 30", want.Stats.NumGroupsLimitReached, len(want.Rows))
	}
	for _, servers := range []int{1, 2, 3} {
		got, err := splitQuery(t, tbl, q, servers, true)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Stats.NumGroupsLimitReached || len(got.Rows) != 30 {
			t.Errorf("servers=%d: limit reached %v, %d rows; want true, 30", servers, got.Stats.NumGroupsLimitReached, len(got.Rows))
		}
	}
	// One server under the limit, one over: still reached.
	st, _ := sql.Parse(q)
	var parts []*Partial
	for _, segs := range [][]segment.Segment{tbl.Segments[:0], tbl.Segments[:1]} {
		p, err := Execute(context.Background(), &Table{Name: "typed", Schema: tbl.Schema, Segments: segs}, st)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, roundTrip(t, p))
	}
	res, err := Reduce(context.Background(), tbl.Schema, "typed", st, parts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stats.NumGroupsLimitReached {
		t.Error("limit reached on one server is lost")
	}
}

func roundTrip(t testing.TB, p *Partial) *Partial {
	t.Helper()
	buf, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalPartial(buf)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestReduceRejectsMismatchedPartials checks that partials of another
// statement give an error, not a panic or a wrong answer.
func TestReduceRejectsMismatchedPartials(t *testing.T) {
	tbl := allTypesTable(t, 300, 2)
	exec := func(q string) *Partial {
		st, err := sql.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Execute(context.Background(), tbl, st)
		if err != nil {
			t.Fatal(err)
		}
		return roundTrip(t, p)
	}
	cases := []struct{ from, to, want string }{
		{"SELECT id FROM typed ORDER BY id LIMIT 5", "SELECT COUNT(*) FROM typed", "holds rows, the statement needs groups"},
		{"SELECT COUNT(*) FROM typed", "SELECT id FROM typed LIMIT 5", "holds groups, the statement needs rows"},
		{"SELECT COUNT(*) FROM typed", "SELECT SUM(i) FROM typed", "aggregate 1 is COUNT, the statement's SUM"},
		{"SELECT SUM(i) FROM typed", "SELECT AVG(i) FROM typed", "aggregate 1 is SUM, the statement's AVG"},
		{"SELECT PERCENTILE(d, 50) FROM typed", "SELECT PERCENTILE(d, 90) FROM typed", "PERCENTILE(50)"},
		{"SELECT DISTINCTCOUNT(s) FROM typed", "SELECT DISTINCTCOUNT(i) FROM typed", "DISTINCTCOUNT"},
		{"SELECT i, COUNT(*) FROM typed GROUP BY i LIMIT 5", "SELECT s, COUNT(*) FROM typed GROUP BY s LIMIT 5", "group key 1 is INT, the statement's STRING"},
		{"SELECT i, COUNT(*) FROM typed GROUP BY i LIMIT 5", "SELECT COUNT(*) FROM typed", "1 keys and 1 aggregates, the statement 0 and 1"},
		{"SELECT id FROM typed ORDER BY id LIMIT 5", "SELECT id, s FROM typed ORDER BY id LIMIT 5", "1 columns and 1 sort keys, the statement 2 and 1"},
		{"SELECT COUNT(*) FROM typed", "EXPLAIN PLAN FOR SELECT COUNT(*) FROM typed", "needs an EXPLAIN PLAN"},
	}
	for _, c := range cases {
		p := exec(c.from)
		st, err := sql.Parse(c.to)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Reduce(context.Background(), tbl.Schema, "typed", st, []*Partial{p, p})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s reduced as %s: error %v, want %q", c.from, c.to, err, c.want)
		}
	}
	// Rows of different types from two servers.
	a, b := exec("SELECT id FROM typed ORDER BY id LIMIT 5"), exec("SELECT s FROM typed ORDER BY id LIMIT 5")
	st, _ := sql.Parse("SELECT id FROM typed ORDER BY id LIMIT 5")
	if _, err := Reduce(context.Background(), tbl.Schema, "typed", st, []*Partial{a, b}); err == nil || !strings.Contains(err.Error(), "column 1 is STRING") {
		t.Errorf("mixed column types: error %v", err)
	}
	if _, err := Reduce(context.Background(), tbl.Schema, "typed", st, []*Partial{a, nil}); err == nil || !strings.Contains(err.Error(), "partial 1: nil") {
		t.Errorf("nil partial: error %v", err)
	}
}

func TestErrorClasses(t *testing.T) {
	tbl := allTypesTable(t, 200, 2)
	ctx := context.Background()
	cases := []struct {
		q     string
		class error
		msg   string
	}{
		{"SELECT nope FROM typed", ErrUnknownColumn, `unknown column "nope" in table "typed"`},
		{"SELECT s, COUNT(*) FROM typed GROUP BY nope LIMIT 5", ErrUnknownColumn, `GROUP BY: unknown column "nope" in table "typed"`},
		{"SELECT COUNT(*) FROM other", ErrPlanning, `unknown table "other"`},
		{"SELECT SUM(s) FROM typed", ErrPlanning, "function sum: argument must be numeric, got STRING"},
		{"SELECT s, COUNT(*) FROM typed", ErrPlanning, `column "s" must appear in the GROUP BY`},
		{"SET timeoutMs = -1; SELECT COUNT(*) FROM typed", ErrPlanning, "query option timeoutMs"},
	}
	for _, c := range cases {
		st, err := sql.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		_, errQ := Query(ctx, tbl, c.q)
		_, errE := Execute(ctx, tbl, st)
		_, errR := Reduce(ctx, tbl.Schema, tbl.Name, st, nil)
		for i, err := range []error{errQ, errE, errR} {
			if !errors.Is(err, c.class) || err.Error() != c.msg && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s (%d): error %v, want %q of class %v", c.q, i, err, c.msg, c.class)
			}
		}
		if c.class == ErrUnknownColumn && (errors.Is(errQ, ErrPlanning) || errQ.Error() != c.msg) {
			t.Errorf("%s: %q is also ErrPlanning or has a changed message", c.q, errQ)
		}
	}
}

func TestExecuteTimeout(t *testing.T) {
	tbl := allTypesTable(t, 200, 2)
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	st, err := sql.Parse("SET timeoutMs = 5000; SELECT s, COUNT(*) FROM typed GROUP BY s LIMIT 10")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Execute(expired, tbl, st)
	if !errors.Is(err, ErrTimeout) || err.Error() != "query timed out after 5s (timeoutMs)" {
		t.Errorf("error %v, want ErrTimeout", err)
	}
	if errors.Is(err, ErrPlanning) {
		t.Errorf("timeout %v is also ErrPlanning", err)
	}
	// A short timeoutMs on its own: a query that cannot finish in 1ms.
	big := testTable(t, genRows(12, 200_000), 2, false)
	_, err = Query(context.Background(), big, "SET timeoutMs = 1; SELECT userID, ts, PERCENTILE(price, 50) FROM tx GROUP BY userID, ts LIMIT 10")
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("timeoutMs=1 on 200k rows: error %v, want ErrTimeout", err)
	}
}
