package immutable

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// testTable is generated input plus what a reader should see.
type testTable struct {
	schema *schema.Schema
	cols   []*segment.ColumnBuffer
	n      int
}

type colGen struct {
	name   string
	typ    schema.DataType
	sv     bool
	nulls  float64 // fraction of null docs
	format string
	gen    func(r *rand.Rand, doc int) any // int64, float64 or string
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// allTypeGens covers every data type, single- and multi-value, with nulls.
func allTypeGens() []colGen {
	return []colGen{
		{name: "int_sv", typ: schema.TypeInt, sv: true, gen: func(r *rand.Rand, _ int) any { return int64(r.Int32N(1000) - 500) }},
		{name: "long_sv", typ: schema.TypeLong, sv: true, nulls: 0.1, gen: func(r *rand.Rand, _ int) any { return r.Int64() >> r.IntN(63) }},
		{name: "float_sv", typ: schema.TypeFloat, sv: true, gen: func(r *rand.Rand, _ int) any { return float64(float32(r.NormFloat64())) }},
		{name: "double_sv", typ: schema.TypeDouble, sv: true, nulls: 0.05, gen: func(r *rand.Rand, _ int) any {
			return pick(r, r.NormFloat64()*1e6, float64(r.IntN(50))/4, math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0)
		}},
		{name: "bigdec", typ: schema.TypeBigDecimal, sv: true, gen: func(r *rand.Rand, _ int) any { return fmt.Sprintf("%d.%02d", r.IntN(10000), r.IntN(100)) }},
		{name: "flag", typ: schema.TypeBoolean, sv: true, gen: func(r *rand.Rand, _ int) any { return int64(r.IntN(2)) }},
		{name: "ts", typ: schema.TypeTimestamp, sv: true, gen: func(r *rand.Rand, d int) any { return 1_700_000_000_000 + int64(d)*1000 + r.Int64N(500) }},
		{name: "city", typ: schema.TypeString, sv: true, nulls: 0.2, gen: func(r *rand.Rand, _ int) any {
			return pick(r, "Paris", "Berlin", "", "München", "Zürich", "Oslo")
		}},
		{name: "payload", typ: schema.TypeJSON, sv: true, gen: func(r *rand.Rand, d int) any { return fmt.Sprintf(`{"id":%d,"k":"%c"}`, d%97, 'a'+r.IntN(26)) }},
		{name: "blob", typ: schema.TypeBytes, sv: true, gen: func(r *rand.Rand, _ int) any {
			b := make([]byte, r.IntN(6))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}},
		{name: "uuid", typ: schema.TypeString, sv: true, gen: func(r *rand.Rand, _ int) any { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) }},
		{name: "seq", typ: schema.TypeLong, sv: true, gen: func(_ *rand.Rand, d int) any { return int64(d / 3) }},
		{name: "tags", typ: schema.TypeString, sv: false, nulls: 0.1, gen: func(r *rand.Rand, _ int) any { return pick(r, "a", "b", "c", "d", "ee") }},
		{name: "scores", typ: schema.TypeInt, sv: false, gen: func(r *rand.Rand, _ int) any { return int64(r.IntN(40)) }},
		{name: "weights", typ: schema.TypeDouble, sv: false, gen: func(r *rand.Rand, _ int) any { return float64(r.IntN(1000)) / 8 }},
		{name: "raw_long", typ: schema.TypeLong, sv: true, nulls: 0.05, gen: func(r *rand.Rand, d int) any { return int64(d)*7 - r.Int64N(1<<40) }},
		{name: "raw_double", typ: schema.TypeDouble, sv: true, gen: func(r *rand.Rand, _ int) any { return pick(r, r.NormFloat64(), float64(r.IntN(100000))/100) }},
		{name: "raw_str", typ: schema.TypeString, sv: true, gen: func(r *rand.Rand, d int) any { return fmt.Sprintf("user-%d-%s", d%1000, pick(r, "x", "yy", "")) }},
		{name: "raw_bytes", typ: schema.TypeBytes, sv: true, nulls: 0.1, gen: func(r *rand.Rand, _ int) any {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}},
	}
}

// rawColumnNames are the no-dictionary columns of allTypeGens.
func rawColumnNames() []string { return []string{"raw_long", "raw_double", "raw_str", "raw_bytes"} }

func defaultNull(t schema.DataType) any {
	switch t.Storage() {
	case schema.StorageInt64:
		if t == schema.TypeLong || t == schema.TypeTimestamp {
			return int64(math.MinInt64)
		}
		return int64(math.MinInt32)
	case schema.StorageFloat64:
		return math.Inf(-1)
	}
	if t == schema.TypeString || t == schema.TypeJSON {
		return "null"
	}
	return ""
}

func genTable(seed uint64, n int, gens []colGen) *testTable {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sch := &schema.Schema{Name: "t"}
	for _, g := range gens {
		sch.Fields = append(sch.Fields, schema.FieldSpec{Name: g.name, DataType: g.typ, SingleValue: g.sv, Format: g.format,
			DefaultNull: defaultNull(g.typ)})
	}
	t := &testTable{schema: sch, n: n}
	for i, g := range gens {
		spec := &sch.Fields[i]
		b := segment.NewColumnBuffer(spec)
		for d := 0; d < n; d++ {
			null := r.Float64() < g.nulls
			k := 1
			if !g.sv {
				k = r.IntN(4)
				if null {
					k = 1
				}
			}
			for j := 0; j < k; j++ {
				v := g.gen(r, d)
				if null {
					v = spec.DefaultNull
				}
				switch x := v.(type) {
				case int64:
					b.Ints = append(b.Ints, x)
				case float64:
					b.Floats = append(b.Floats, x)
				case string:
					b.Strs = append(b.Strs, x)
				}
			}
			if !g.sv {
				b.Offsets = append(b.Offsets, uint32(max(len(b.Ints), len(b.Floats), len(b.Strs))))
			}
			if null {
				b.Nulls.Add(uint32(d))
			}
		}
		t.cols = append(t.cols, b)
	}
	return t
}

// expected is what a reader should see for one column: values in output
// doc order.
type expected struct {
	buf   *segment.ColumnBuffer
	perm  []uint32 // output doc -> input doc
	nulls *roaring.Bitmap
}

// sortPerm is the reference for SortedColumn: a stable sort by value with
// null docs last.
func sortPerm(t *testTable, col string) []uint32 {
	perm := make([]uint32, t.n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	if col == "" {
		return perm
	}
	var b *segment.ColumnBuffer
	for _, c := range t.cols {
		if c.Spec.Name == col {
			b = c
		}
	}
	sort.SliceStable(perm, func(i, j int) bool {
		a, c := perm[i], perm[j]
		an, cn := b.Nulls.Contains(a), b.Nulls.Contains(c)
		if an || cn {
			return !an && cn
		}
		switch b.Spec.DataType.Storage() {
		case schema.StorageInt64:
			return b.Ints[a] < b.Ints[c]
		case schema.StorageFloat64:
			return encoding.Float64Key(b.Floats[a]) < encoding.Float64Key(b.Floats[c])
		}
		return b.Strs[a] < b.Strs[c]
	})
	return perm
}

func (t *testTable) expect(perm []uint32) map[string]*expected {
	inv := make([]uint32, len(perm))
	for p, d := range perm {
		inv[d] = uint32(p)
	}
	m := make(map[string]*expected)
	for _, c := range t.cols {
		nulls := roaring.New()
		it := c.Nulls.Iterator()
		for it.HasNext() {
			nulls.Add(inv[it.Next()])
		}
		m[c.Spec.Name] = &expected{buf: c, perm: perm, nulls: nulls}
	}
	return m
}

// value returns output doc d's values (one for single-value columns).
func (e *expected) values(d int) []any {
	in := int(e.perm[d])
	lo, hi := in, in+1
	if !e.buf.Spec.SingleValue {
		lo, hi = int(e.buf.Offsets[in]), int(e.buf.Offsets[in+1])
	}
	var out []any
	for i := lo; i < hi; i++ {
		switch e.buf.Spec.DataType.Storage() {
		case schema.StorageInt64:
			out = append(out, e.buf.Ints[i])
		case schema.StorageFloat64:
			out = append(out, e.buf.Floats[i])
		default:
			out = append(out, e.buf.Strs[i])
		}
	}
	return out
}

// sameValue compares a read value with an input value: floats by their
// canonical bits in dictionary columns (-0 reads as +0), by bits in raw
// columns.
func sameValue(got, want any, raw bool) bool {
	if gf, ok := got.(float64); ok {
		wf := want.(float64)
		if raw {
			return math.Float64bits(gf) == math.Float64bits(wf)
		}
		return encoding.CanonicalFloat64(gf) == encoding.CanonicalFloat64(wf)
	}
	return got == want
}

func valueKeyCompare(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return cmp.Compare(encoding.Float64Key(x), encoding.Float64Key(b.(float64)))
	}
	return cmp.Compare(a.(string), b.(string))
}

func sortedDistinct(vals []any) []any {
	s := slices.Clone(vals)
	slices.SortFunc(s, valueKeyCompare)
	return slices.CompactFunc(s, func(a, b any) bool { return valueKeyCompare(a, b) == 0 })
}

// internTable returns a copy of t whose equal strings share their bytes.
func internTable(t *testTable) *testTable {
	out := &testTable{schema: t.schema, n: t.n}
	for _, c := range t.cols {
		cc := *c
		if c.Strs != nil {
			seen := make(map[string]string)
			cc.Strs = make([]string, len(c.Strs))
			for i, s := range c.Strs {
				if x, ok := seen[s]; ok {
					cc.Strs[i] = x
				} else {
					seen[s] = s
					cc.Strs[i] = s
				}
			}
		}
		out.cols = append(out.cols, &cc)
	}
	return out
}
