package exec

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/axiomhq/hyperloglog"
	"github.com/influxdata/tdigest"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// accResults evaluates every group of a.
func accResults(a accumulator, t schema.DataType, n int) *vec.Vector {
	v := vec.New(t)
	v.Reset(t, n)
	for g := 0; g < n; g++ {
		a.result(g, v, g)
	}
	return v
}

func newHLL(vals ...string) *hyperloglog.Sketch {
	sk := hyperloglog.New14()
	for _, v := range vals {
		sk.Insert([]byte(v))
	}
	return sk
}

func newDigest(vals ...float64) *tdigest.TDigest {
	td := tdigest.NewWithCompression(tdigestCompression)
	for _, v := range vals {
		td.Add(v, 1)
	}
	return td
}

// TestAccumulatorEncoding round-trips every accumulator kind, with empty
// and non-empty groups, and compares the groups' results (and, for the
// exact kinds, the state).
func TestAccumulatorEncoding(t *testing.T) {
	many := make([]string, 20000)
	for i := range many {
		many[i] = strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune(i))
	}
	manyFloats := make([]float64, 5000)
	for i := range manyFloats {
		manyFloats[i] = math.Sin(float64(i)) * 1000
	}
	cases := []struct {
		name  string
		acc   accumulator
		typ   schema.DataType
		exact bool // the decoded state equals the original
		tol   float64
	}{
		{"count", &countAcc{n: []int64{0, 5, 1 << 40}}, schema.TypeLong, true, 0},
		{"sum", &sumAcc{sum: []float64{0, -1.5, 1e300}, n: []int64{0, 2, 7}}, schema.TypeDouble, true, 0},
		{"avg", &sumAcc{avg: true, sum: []float64{0, -1.5, 1e300}, n: []int64{0, 2, 7}}, schema.TypeDouble, true, 0},
		{"min", &minMaxAcc{extremeAcc: extremeAcc[float64]{val: []float64{0, math.Inf(-1), -7.25}, has: []bool{false, true, true}}}, schema.TypeDouble, true, 0},
		{"max", &minMaxAcc{extremeAcc: extremeAcc[float64]{max: true, val: []float64{3, 0, 1e-300}, has: []bool{true, false, true}}}, schema.TypeDouble, true, 0},
		{"min strings", &strMinMaxAcc{extremeAcc[string]{val: []string{"", "", "ünï\x00code"}, has: []bool{true, false, true}}}, schema.TypeString, true, 0},
		{"max strings", &strMinMaxAcc{extremeAcc[string]{max: true, val: []string{"zz", "", ""}, has: []bool{true, false, false}}}, schema.TypeString, true, 0},
		{"distinct ints", &distinctAcc{storage: schema.StorageInt64, ints: []map[int64]struct{}{nil, {1: {}, math.MinInt64: {}, math.MaxInt64: {}}, {0: {}}}}, schema.TypeInt, true, 0},
		{"distinct floats", &distinctAcc{storage: schema.StorageFloat64, flts: []map[float64]struct{}{{1.5: {}, -2: {}, math.Inf(1): {}}, nil, {0: {}}}}, schema.TypeInt, true, 0},
		{"distinct strings", &distinctAcc{storage: schema.StorageString, strs: []map[string]struct{}{{"": {}, "a": {}, "\xff\x00": {}}, nil, {"b": {}}}}, schema.TypeInt, true, 0},
		{"hll", &hllAcc{sk: []*hyperloglog.Sketch{nil, newHLL("a", "b", "c"), newHLL(many...)}}, schema.TypeLong, false, 0},
		{"percentile", &percentileAcc{pct: 50, vals: [][]float64{nil, {3, 1, 2}, {-1}}}, schema.TypeDouble, false, 0},
		{"tdigest", &tdigestAcc{pct: 90, td: []*tdigest.TDigest{newDigest(1, 2, 3), nil, newDigest(manyFloats...)}}, schema.TypeDouble, false, 0.01},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 3
			tbl := &groupTable{n: n, keys: []*keyValues{{t: schema.TypeInt, ints: []int64{1, 2, 3}, nulls: make([]bool, n)}}, accs: []accumulator{c.acc}}
			want := accResults(c.acc, c.typ, n)
			got := roundTrip(t, &Partial{kind: partialGroups, groups: tbl}).groups
			if got.n != n || len(got.accs) != 1 {
				t.Fatalf("decoded %d groups, %d aggregates", got.n, len(got.accs))
			}
			if !sameAccumulator(c.acc, got.accs[0]) {
				t.Fatalf("decoded %s, want %s", accName(got.accs[0]), accName(c.acc))
			}
			if c.exact && !reflect.DeepEqual(got.accs[0], c.acc) {
				t.Errorf("state %#v, want %#v", got.accs[0], c.acc)
			}
			res := accResults(got.accs[0], c.typ, n)
			for g := 0; g < n; g++ {
				if res.IsNull(g) != want.IsNull(g) {
					t.Errorf("group %d: null %v, want %v", g, res.IsNull(g), want.IsNull(g))
					continue
				}
				switch c.typ.Storage() {
				case schema.StorageFloat64:
					if d := math.Abs(res.F64[g] - want.F64[g]); d > c.tol*math.Max(1, math.Abs(want.F64[g])) {
						t.Errorf("group %d: %v, want %v", g, res.F64[g], want.F64[g])
					}
				case schema.StorageInt64:
					if res.I64[g] != want.I64[g] {
						t.Errorf("group %d: %v, want %v", g, res.I64[g], want.I64[g])
					}
				default:
					if res.Str[g] != want.Str[g] {
						t.Errorf("group %d: %q, want %q", g, res.Str[g], want.Str[g])
					}
				}
			}
			// The decoded accumulator merges like the original.
			m1, m2 := copyAcc(t, c.acc), copyAcc(t, c.acc)
			m1.merge(0, c.acc, 2)
			m2.merge(0, got.accs[0], 2)
			a, b := accResults(m1, c.typ, n), accResults(m2, c.typ, n)
			if a.IsNull(0) != b.IsNull(0) || (a.Len() > 0 && !reflect.DeepEqual(a.I64, b.I64)) {
				t.Errorf("merged: %+v, want %+v", b, a)
			}
		})
	}
}

// copyAcc returns an independent copy of a through the wire.
func copyAcc(t *testing.T, a accumulator) accumulator {
	t.Helper()
	tbl := &groupTable{n: 3, keys: []*keyValues{{t: schema.TypeInt, ints: []int64{1, 2, 3}, nulls: make([]bool, 3)}}, accs: []accumulator{a}}
	return roundTrip(t, &Partial{kind: partialGroups, groups: tbl}).groups.accs[0]
}

// TestKeyEncoding round-trips group keys of every type, with NULLs.
func TestKeyEncoding(t *testing.T) {
	nulls := []bool{false, true, false, false}
	keys := []*keyValues{
		{t: schema.TypeInt, ints: []int64{-1, 0, math.MaxInt32, 7}, nulls: nulls},
		{t: schema.TypeLong, ints: []int64{math.MinInt64, 0, math.MaxInt64, 1}, nulls: make([]bool, 4)},
		{t: schema.TypeFloat, flts: []float64{1.5, 0, float64(float32(0.1)), math.Inf(1)}, nulls: nulls},
		{t: schema.TypeDouble, flts: []float64{math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, -1e308}, nulls: make([]bool, 4)},
		{t: schema.TypeBigDecimal, strs: []string{"1.10", "", "-0.000001", "123456789012345678901234567890"}, nulls: nulls},
		{t: schema.TypeBoolean, ints: []int64{1, 0, 0, 1}, nulls: []bool{true, true, false, false}},
		{t: schema.TypeTimestamp, ints: []int64{1_700_000_000_000, 0, -1, 0}, nulls: nulls},
		{t: schema.TypeString, strs: []string{"", "", "é", strings.Repeat("long", 100)}, nulls: nulls},
		{t: schema.TypeJSON, strs: []string{`{"a":1}`, "", "[]", "null"}, nulls: make([]bool, 4)},
		{t: schema.TypeBytes, strs: []string{"\x00\xff", "", "", "\x01"}, nulls: []bool{false, false, true, false}},
	}
	tbl := &groupTable{n: 4, keys: keys, accs: []accumulator{&countAcc{n: []int64{1, 2, 3, 4}}}}
	got := roundTrip(t, &Partial{kind: partialGroups, groups: tbl}).groups
	for j, k := range got.keys {
		if k.t != keys[j].t || !reflect.DeepEqual(k.nulls, keys[j].nulls) {
			t.Errorf("key %d (%s): type %s nulls %v, want %v", j, keys[j].t, k.t, k.nulls, keys[j].nulls)
		}
		for g := 0; g < 4; g++ {
			if compareKeys(k, g, keys[j], g) != 0 {
				t.Errorf("key %d (%s) group %d differs", j, keys[j].t, g)
			}
		}
		if k.t.Storage() == schema.StorageFloat64 && math.Signbit(k.flts[0]) != math.Signbit(keys[j].flts[0]) {
			t.Errorf("key %d: sign of zero lost", j)
		}
		if !reflect.DeepEqual(k.strs, keys[j].strs) && k.t.Storage() != schema.StorageInt64 && k.t.Storage() != schema.StorageFloat64 {
			t.Errorf("key %d: %q, want %q", j, k.strs, keys[j].strs)
		}
	}
	// Empty tables: groups of keys, and no rows.
	for _, p := range []*Partial{
		{kind: partialGroups, groups: &groupTable{keys: []*keyValues{newKeyValues(schema.TypeString), newKeyValues(schema.TypeBytes)}, accs: []accumulator{&countAcc{}, &hllAcc{}}}},
		{kind: partialRows, rows: &rowSet{}},
		{kind: partialRows},
	} {
		q := roundTrip(t, p)
		if q.numRows() != 0 || (q.groups != nil && (q.groups.n != 0 || len(q.groups.keys) != 2 || len(q.groups.accs) != 2)) {
			t.Errorf("empty %s partial decoded as %+v", p.kind, q)
		}
	}
}

// TestRowEncoding round-trips selection rows: nulls, multi-value columns
// (with empty arrays), bytes, and a candidate order.
func TestRowEncoding(t *testing.T) {
	rs := &rowSet{n: 4, items: []*vec.Vector{
		{Type: schema.TypeLong, I64: []int64{10, 11, 12, 13}},
		{Type: schema.TypeDouble, F64: []float64{1, 0, 3, 4}, Nulls: []bool{false, true, false, false}},
		{Type: schema.TypeBytes, Str: []string{"\x00", "", "\xff\xfe", "z"}, Nulls: []bool{false, true, false, false}},
		{Type: schema.TypeString, Str: []string{"a", "b", "c", "d", "e"}, Offsets: []uint32{0, 2, 2, 5, 5}},
		{Type: schema.TypeInt, I64: []int64{1, 2, 3}, Offsets: []uint32{0, 0, 1, 1, 3}},
		{Type: schema.TypeFloat, F64: []float64{0.5}, Offsets: []uint32{0, 0, 0, 1, 1}},
		{Type: schema.TypeBoolean, I64: []int64{1, 0, 1, 0}},
	}, keys: []*vec.Vector{
		{Type: schema.TypeTimestamp, I64: []int64{5, 0, 7, 8}, Nulls: []bool{false, true, false, false}},
	}}
	order := []int{2, 0, 1}
	got := roundTrip(t, &Partial{kind: partialRows, rows: rs, order: order, Stats: Stats{NumDocsScanned: 99, TotalDocs: 1 << 40}})
	if got.Stats.NumDocsScanned != 99 || got.Stats.TotalDocs != 1<<40 {
		t.Errorf("stats %+v", got.Stats)
	}
	if got.numRows() != 3 || got.order != nil {
		t.Fatalf("%d rows (order %v), want 3 in order", got.numRows(), got.order)
	}
	check := func(what string, a, b []*vec.Vector) {
		for k := range a {
			for i, r := range order {
				if x, y := valueAt(a[k], r), valueAt(b[k], i); !reflect.DeepEqual(x, y) {
					t.Errorf("%s %d row %d: %#v, want %#v", what, k, i, y, x)
				}
			}
			if a[k].Type != b[k].Type {
				t.Errorf("%s %d: type %s, want %s", what, k, b[k].Type, a[k].Type)
			}
		}
	}
	check("column", rs.items, got.rows.items)
	check("key", rs.keys, got.rows.keys)
}

// TestUnmarshalRejectsDamage checks that every truncation and every bit
// flip of valid encodings is an error, and that damage behind a correct
// checksum never panics.
func TestUnmarshalRejectsDamage(t *testing.T) {
	sts := parseStatements(t, fuzzStatements)
	for _, buf := range seedPartials(t, 40) {
		if _, err := UnmarshalPartial(buf); err != nil {
			t.Fatalf("valid encoding: %v", err)
		}
		for n := 0; n < len(buf); n++ {
			if _, err := UnmarshalPartial(buf[:n]); err == nil {
				t.Fatalf("truncated to %d of %d bytes: no error", n, len(buf))
			}
		}
		for i := 0; i < len(buf); i++ {
			for bit := 0; bit < 8; bit++ {
				b := append([]byte(nil), buf...)
				b[i] ^= 1 << bit
				if _, err := UnmarshalPartial(b); err == nil {
					t.Fatalf("bit %d of byte %d flipped: no error", bit, i)
				}
			}
			b := append([]byte(nil), buf...)
			b[i] ^= 0xff
			fixChecksum(b)
			decodeAndReduce(t, b, sts) // must not panic
		}
		if _, err := UnmarshalPartial(append(append([]byte(nil), buf...), 0)); err == nil {
			t.Error("trailing byte: no error")
		}
	}
}

func fixChecksum(b []byte) {
	if len(b) >= 4 {
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli()))
	}
}

// fuzzStatements are the statements the fuzzer reduces decoded partials
// with: one per partial shape.
var fuzzStatements = []string{
	"SELECT s, COUNT(*), SUM(d), MIN(s), DISTINCTCOUNT(s), DISTINCTCOUNTHLL(s), PERCENTILE(d, 50), PERCENTILETDIGEST(d, 90) FROM typed GROUP BY s ORDER BY s LIMIT 5",
	"SELECT COUNT(*), MAX(l), AVG(i) FROM typed",
	"SELECT id, mv, bt, nd FROM typed ORDER BY nd, id LIMIT 5 OFFSET 1",
	"EXPLAIN PLAN FOR SELECT id FROM typed WHERE i = 3 AND s = 'a' LIMIT 1",
}

func parseStatements(t testing.TB, qs []string) []*sql.Statement {
	sts := make([]*sql.Statement, len(qs))
	for i, q := range qs {
		st, err := sql.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		sts[i] = st
	}
	return sts
}

// seedPartials encodes partials of the fuzz statements and more over a
// table of rows rows.
func seedPartials(t testing.TB, rows int) [][]byte {
	tbl := allTypesTable(t, rows, 3)
	var out [][]byte
	for _, q := range append(fuzzStatements,
		"SELECT i, b, COUNT(*) FROM typed GROUP BY i, b LIMIT 5",
		"SELECT mv, PERCENTILE(d, 50) FROM typed GROUP BY mv LIMIT 5",
		"SELECT id FROM typed WHERE s = 'nothing' ORDER BY id LIMIT 5",
	) {
		st, err := sql.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Execute(context.Background(), tbl, st)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf)
	}
	return out
}

// decodeAndReduce decodes data and, when that succeeds, reduces the
// partial with each statement: errors are fine, panics are not.
func decodeAndReduce(t testing.TB, data []byte, sts []*sql.Statement) {
	p, err := UnmarshalPartial(data)
	if err != nil {
		return
	}
	// The decoded partial encodes again and decodes to the same bytes.
	again, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatalf("re-encode a decoded partial: %v", err)
	}
	if _, err := UnmarshalPartial(again); err != nil {
		t.Fatalf("decode a re-encoded partial: %v", err)
	}
	s := allTypesSchema()
	for _, st := range sts {
		for _, parts := range [][]*Partial{{p}, {p, p}} {
			_, _ = Reduce(context.Background(), s, "typed", st, parts)
			p, _ = UnmarshalPartial(again) // Reduce may modify partials
		}
	}
}

func FuzzUnmarshalPartial(f *testing.F) {
	for _, buf := range seedPartials(f, 40) {
		f.Add(buf)
	}
	sts := parseStatements(f, fuzzStatements)
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeAndReduce(t, data, sts)
		// Behind a correct checksum the decoder itself is exercised.
		b := append([]byte(nil), data...)
		fixChecksum(b)
		decodeAndReduce(t, b, sts)
	})
}

// TestPartialExample checks the example of PARTIAL.md byte for byte.
func TestPartialExample(t *testing.T) {
	tbl := testTable(t, genRows(1, 1000), 1, false)
	st, err := sql.Parse("SELECT COUNT(*) FROM tx")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Execute(context.Background(), tbl, st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.AppendBinary([]byte{0xaa}) // appends
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0xaa, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0xe8, 0x07, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe8, 0x07, 0xf1, 0xbc, 0xb5, 0x25}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("encoding\n % x\nwant\n % x", got, want)
	}
}

// sameAccumulator reports whether b is an accumulator of a's kind and
// parameters.
func sameAccumulator(a, b accumulator) bool {
	switch a := a.(type) {
	case *countAcc:
		_, ok := b.(*countAcc)
		return ok
	case *sumAcc:
		b, ok := b.(*sumAcc)
		return ok && a.avg == b.avg
	case *minMaxAcc:
		b, ok := b.(*minMaxAcc)
		return ok && a.max == b.max
	case *strMinMaxAcc:
		b, ok := b.(*strMinMaxAcc)
		return ok && a.max == b.max
	case *distinctAcc:
		b, ok := b.(*distinctAcc)
		return ok && a.storage == b.storage
	case *hllAcc:
		_, ok := b.(*hllAcc)
		return ok
	case *percentileAcc:
		b, ok := b.(*percentileAcc)
		return ok && a.pct == b.pct
	case *tdigestAcc:
		b, ok := b.(*tdigestAcc)
		return ok && a.pct == b.pct
	}
	return false
}

// BenchmarkPartial measures a 200k-group partial (one LONG key, COUNT,
// SUM, MIN of strings): encoding, decoding, and a broker's Reduce of
// four servers' partials of 50k groups each, decoded.
func BenchmarkPartial(b *testing.B) {
	const rows = 200_000
	tbl := testTable(b, genRows(13, rows), 4, false)
	st, err := sql.Parse("SET numGroupsLimit = 1000000; SELECT ts, COUNT(*), SUM(price), MIN(userID) FROM tx GROUP BY ts ORDER BY COUNT(*) DESC, ts LIMIT 10")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	whole, err := Execute(ctx, tbl, st)
	if err != nil {
		b.Fatal(err)
	}
	buf, err := whole.AppendBinary(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(buf)))
		out, _ := whole.AppendBinary(nil) // a buffer AppendBinary sized
		for b.Loop() {
			if out, err = whole.AppendBinary(out[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf))/rows, "bytes/group")
	})
	b.Run("op=decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			if _, err := UnmarshalPartial(buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "groups/s")
	})
	var bufs [][]byte
	for _, seg := range tbl.Segments {
		p, err := Execute(ctx, &Table{Name: tbl.Name, Schema: tbl.Schema, Segments: []segment.Segment{seg}}, st)
		if err != nil {
			b.Fatal(err)
		}
		pb, err := p.AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		bufs = append(bufs, pb)
	}
	b.Run("op=reduce/servers=4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			parts := make([]*Partial, len(bufs))
			for i, pb := range bufs {
				if parts[i], err = UnmarshalPartial(pb); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			res, err := Reduce(ctx, tbl.Schema, tbl.Name, st, parts)
			if err != nil || len(res.Rows) != 10 {
				b.Fatalf("reduce: %v", err)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "groups/s")
	})
}

// TestUnmarshalRejectsBadSketches checks sketches that would misbehave
// after decoding: a t-digest of infinite weight, an HLL sketch of another
// precision.
func TestUnmarshalRejectsBadSketches(t *testing.T) {
	heavy := tdigest.NewWithCompression(tdigestCompression)
	heavy.Add(1, 1e308)
	heavy.Add(2, 1e308)
	hll16 := hyperloglog.New16()
	hll16.Insert([]byte("x"))
	for _, c := range []struct {
		name string
		acc  accumulator
		want string
	}{
		{"t-digest weight", &tdigestAcc{pct: 50, td: []*tdigest.TDigest{heavy}}, "t-digest of group 0: centroid"},
		{"hll precision", &hllAcc{sk: []*hyperloglog.Sketch{hll16}}, "not precision 14"},
	} {
		p := &Partial{kind: partialGroups, groups: &groupTable{n: 1, accs: []accumulator{c.acc}}}
		buf, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := UnmarshalPartial(buf); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
