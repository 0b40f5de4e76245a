package immutable

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

func baseConfig(name string) BuildConfig {
	return BuildConfig{
		SegmentName: name, TableName: "t", TimeColumn: "ts", PartitionID: -1,
		InvertedColumns:     []string{"city", "int_sv", "tags", "scores", "seq"},
		RangeColumns:        []string{"long_sv", "double_sv", "raw_long", "raw_double", "weights", "int_sv", "city", "seq"},
		BloomColumns:        []string{"city", "long_sv", "raw_str", "double_sv", "raw_bytes", "tags", "raw_long"},
		NoDictionaryColumns: rawColumnNames(),
		StartOffset:         "49590338271490256608559692538361571095921575989136588898",
		EndOffset:           "49590338271490256608559692540361571095921575989136588898",
		Now:                 func() time.Time { return time.UnixMilli(1_700_000_000_000) },
	}
}

func TestBuildOpenReadAll(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		sortBy string
	}{
		{"empty", 0, ""},
		{"one row", 1, ""},
		{"small", 300, ""},
		{"three chunks", 20000, ""},
		{"sorted by city (nulls last)", 5000, "city"},
		{"sorted by long with nulls", 3000, "long_sv"},
		{"sorted by raw double", 3000, "raw_double"},
		{"sorted by seq (already sorted)", 3000, "seq"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := genTable(uint64(i+1), tc.n, allTypeGens())
			cfg := baseConfig(fmt.Sprintf("seg_%d", i))
			cfg.Schema = tbl.schema
			cfg.SortedColumn = tc.sortBy
			path := filepath.Join(t.TempDir(), cfg.SegmentName)
			meta, err := Build(path, cfg, tbl.cols)
			if err != nil {
				t.Fatal(err)
			}
			seg, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer seg.Close()
			if err := seg.VerifyCRC(); err != nil {
				t.Fatal(err)
			}
			if meta.CRC != seg.Meta().CRC || meta.SizeBytes != seg.Meta().SizeBytes {
				t.Fatalf("built CRC/size %08x/%d, opened %08x/%d", meta.CRC, meta.SizeBytes, seg.Meta().CRC, seg.Meta().SizeBytes)
			}
			perm := sortPerm(tbl, tc.sortBy)
			verifySegment(t, seg, tbl, cfg, perm)
		})
	}
}

func verifySegment(t *testing.T, seg *Segment, tbl *testTable, cfg BuildConfig, perm []uint32) {
	t.Helper()
	m := seg.Meta()
	if m.Name != cfg.SegmentName || m.Table != cfg.TableName || m.NumDocs != tbl.n || seg.NumDocs() != tbl.n ||
		m.PartitionID != cfg.PartitionID || m.StartOffset != cfg.StartOffset || m.EndOffset != cfg.EndOffset ||
		m.CreatedMs != 1_700_000_000_000 {
		t.Fatalf("segment metadata %+v", m)
	}
	exp := tbl.expect(perm)
	raw := make(map[string]bool)
	for _, n := range cfg.NoDictionaryColumns {
		raw[n] = true
	}
	for _, buf := range tbl.cols {
		name := buf.Spec.Name
		t.Run(name, func(t *testing.T) {
			col := seg.Column(name)
			if col == nil {
				t.Fatal("column missing")
			}
			verifyColumn(t, col, exp[name], tbl.n, raw[name] && buf.Spec.SingleValue, cfg)
		})
	}
	if seg.Column("no such column") != nil {
		t.Fatal("unknown column is not nil")
	}
	// Time range: TIMESTAMP millis over non-null docs.
	if m.TimeColumn != "ts" {
		t.Fatalf("time column %q", m.TimeColumn)
	}
	if tbl.n > 0 {
		var ts *segment.ColumnBuffer
		for _, c := range tbl.cols {
			if c.Spec.Name == "ts" {
				ts = c
			}
		}
		if m.StartTime != slices.Min(ts.Ints) || m.EndTime != slices.Max(ts.Ints) {
			t.Fatalf("time range [%d, %d], want [%d, %d]", m.StartTime, m.EndTime, slices.Min(ts.Ints), slices.Max(ts.Ints))
		}
	}
}

func readSV(col segment.Column, docs []uint32) []any {
	out := make([]any, len(docs))
	switch col.Meta().DataType.Storage() {
	case schema.StorageInt64:
		v := make([]int64, len(docs))
		col.Int64s(docs, v)
		for i := range v {
			out[i] = v[i]
		}
	case schema.StorageFloat64:
		v := make([]float64, len(docs))
		col.Float64s(docs, v)
		for i := range v {
			out[i] = v[i]
		}
	default:
		v := make([]string, len(docs))
		col.Strings(docs, v)
		for i := range v {
			out[i] = v[i]
		}
	}
	return out
}

func dictValue(d *segment.Dictionary, id uint32) any {
	switch {
	case d.Ints != nil:
		return d.Ints[id]
	case d.Floats != nil:
		return d.Floats[id]
	}
	return d.Strs[id]
}

func verifyColumn(t *testing.T, col segment.Column, e *expected, n int, raw bool, cfg BuildConfig) {
	t.Helper()
	cm := col.Meta()
	spec := e.buf.Spec
	var all []any
	rows := make([][]any, n)
	for d := 0; d < n; d++ {
		rows[d] = e.values(d)
		all = append(all, rows[d]...)
	}
	distinct := sortedDistinct(all)

	// Metadata.
	if cm.Name != spec.Name || cm.DataType != spec.DataType || cm.SingleValue != spec.SingleValue || cm.HasDictionary == raw {
		t.Fatalf("column meta %+v", cm)
	}
	if cm.Cardinality != len(distinct) || cm.NullCount != int(e.nulls.GetCardinality()) {
		t.Fatalf("cardinality %d, nulls %d; want %d, %d", cm.Cardinality, cm.NullCount, len(distinct), e.nulls.GetCardinality())
	}
	if n > 0 {
		checkBound(t, "min", cm.DataType, cm.Min, distinct[0])
		checkBound(t, "max", cm.DataType, cm.Max, distinct[len(distinct)-1])
	}
	if !spec.SingleValue {
		maxPer := 0
		for _, r := range rows {
			maxPer = max(maxPer, len(r))
		}
		if cm.TotalValues != len(all) || cm.MaxValuesPerDoc != maxPer {
			t.Fatalf("total %d, max per doc %d; want %d, %d", cm.TotalValues, cm.MaxValuesPerDoc, len(all), maxPer)
		}
	}

	// Nulls.
	if got := col.Nulls(); (got == nil) != e.nulls.IsEmpty() || (got != nil && !got.Equals(e.nulls)) {
		t.Fatalf("null bitmap differs")
	}

	dict := col.Dictionary()
	if (dict == nil) != raw {
		t.Fatalf("dictionary presence %v for raw=%v", dict != nil, raw)
	}
	if dict != nil && dict.Len() != cm.Cardinality {
		t.Fatalf("dictionary has %d values, cardinality %d", dict.Len(), cm.Cardinality)
	}
	if dict != nil {
		for i := 0; i < dict.Len(); i++ {
			if !sameValue(dictValue(dict, uint32(i)), distinct[i], false) {
				t.Fatalf("dictionary value %d = %v, want %v", i, dictValue(dict, uint32(i)), distinct[i])
			}
		}
	}

	if spec.SingleValue {
		want := make([]any, n)
		sortedVals := true
		for d := range rows {
			want[d] = rows[d][0]
			if d > 0 && valueKeyCompare(want[d-1], want[d]) > 0 {
				sortedVals = false
			}
		}
		if cm.Sorted != sortedVals {
			t.Fatalf("Sorted = %v, values sorted: %v", cm.Sorted, sortedVals)
		}
		if (col.SortedIndex() != nil) != (sortedVals && !raw) {
			t.Fatalf("sorted index presence %v", col.SortedIndex() != nil)
		}
		checkReads(t, col, want, raw)
	} else {
		var ids []uint32
		for d := 0; d < n; d++ {
			ids = col.MVDictIDs(uint32(d), ids[:0])
			if len(ids) != len(rows[d]) {
				t.Fatalf("doc %d has %d values, want %d", d, len(ids), len(rows[d]))
			}
			for j, id := range ids {
				if !sameValue(dictValue(dict, id), rows[d][j], false) {
					t.Fatalf("doc %d value %d = %v, want %v", d, j, dictValue(dict, id), rows[d][j])
				}
			}
		}
	}
	checkIndexes(t, col, rows, distinct, raw, cfg)
}

func checkBound(t *testing.T, what string, dt schema.DataType, b segment.Bound, want any) {
	t.Helper()
	var got any
	switch dt.Storage() {
	case schema.StorageInt64:
		got = b.Int
	case schema.StorageFloat64:
		got = b.Float
	default:
		got = b.Str
	}
	if !sameValue(got, want, false) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func checkReads(t *testing.T, col segment.Column, want []any, raw bool) {
	t.Helper()
	n := len(want)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	check := func(what string, docs []uint32) {
		got := readSV(col, docs)
		for i, d := range docs {
			if !sameValue(got[i], want[d], raw) {
				t.Fatalf("%s: doc %d = %#v, want %#v", what, d, got[i], want[d])
			}
		}
		if dict := col.Dictionary(); dict != nil && len(docs) > 0 {
			ids := make([]uint32, len(docs))
			col.DictIDs(docs, ids)
			for i, d := range docs {
				if !sameValue(dictValue(dict, ids[i]), want[d], false) {
					t.Fatalf("%s: DictIDs doc %d -> %v, want %v", what, d, dictValue(dict, ids[i]), want[d])
				}
			}
		}
	}
	all := make([]uint32, n)
	for i := range all {
		all[i] = uint32(i)
	}
	check("whole range", all)
	for _, bs := range []int{1, 7, 64, 1000, 4099} {
		for s := 0; s < n; s += bs * 3 {
			check(fmt.Sprintf("run of %d at %d", bs, s), all[s:min(s+bs, n)])
		}
	}
	for _, density := range []float64{0.001, 0.1, 0.6} {
		var docs []uint32
		for d := 0; d < n; d++ {
			if r.Float64() < density {
				docs = append(docs, uint32(d))
			}
		}
		check(fmt.Sprintf("random density %v", density), docs)
	}
	if n > 0 {
		check("last doc", all[n-1:])
	}
}

func checkIndexes(t *testing.T, col segment.Column, rows [][]any, distinct []any, raw bool, cfg BuildConfig) {
	t.Helper()
	cm := col.Meta()
	name := cm.Name
	in := func(list []string) bool { return slices.Contains(list, name) }
	if (col.Inverted() != nil) != in(cfg.InvertedColumns) && !(in(cfg.RangeColumns) && !cm.SingleValue) {
		t.Fatalf("inverted index presence %v", col.Inverted() != nil)
	}
	if (col.RangeIndex() != nil) != in(cfg.RangeColumns) || (col.Bloom() != nil) != in(cfg.BloomColumns) {
		t.Fatalf("range/bloom presence %v/%v", col.RangeIndex() != nil, col.Bloom() != nil)
	}
	docsWith := func(match func(v any) bool) *roaring.Bitmap {
		bm := roaring.New()
		for d, vals := range rows {
			for _, v := range vals {
				if match(v) {
					bm.Add(uint32(d))
					break
				}
			}
		}
		return bm
	}
	dict := col.Dictionary()
	if inv := col.Inverted(); inv != nil {
		for id := 0; id < dict.Len(); id += 1 + dict.Len()/40 {
			v := dictValue(dict, uint32(id))
			want := docsWith(func(x any) bool { return valueKeyCompare(x, v) == 0 })
			if got := inv.Docs(uint32(id)); !got.Equals(want) {
				t.Fatalf("inverted Docs(%d) (%v): %d docs, want %d", id, v, got.GetCardinality(), want.GetCardinality())
			}
		}
	}
	if si := col.SortedIndex(); si != nil {
		for id := 0; id < dict.Len(); id++ {
			v := dictValue(dict, uint32(id))
			want := docsWith(func(x any) bool { return valueKeyCompare(x, v) == 0 })
			s, e := si.DocRange(uint32(id))
			got := roaring.New()
			got.AddRange(uint64(s), uint64(e))
			if !got.Equals(want) {
				t.Fatalf("sorted DocRange(%d) = [%d,%d), want %v", id, s, e, want.ToArray())
			}
		}
	}
	if ri := col.RangeIndex(); ri != nil && len(distinct) > 0 {
		r := rand.New(rand.NewPCG(uint64(len(rows)), 9))
		for range 25 {
			a, b := r.IntN(len(distinct)), r.IntN(len(distinct))
			if a > b {
				a, b = b, a
			}
			lo, hi := distinct[a], distinct[b]
			want := docsWith(func(x any) bool { return valueKeyCompare(x, lo) >= 0 && valueKeyCompare(x, hi) <= 0 })
			if dict != nil {
				if got := ri.DocsForIDRange(uint32(a), uint32(b)); !got.Equals(want) {
					t.Fatalf("DocsForIDRange(%d, %d): %d docs, want %d", a, b, got.GetCardinality(), want.GetCardinality())
				}
			}
			switch l := lo.(type) {
			case int64:
				if got := ri.DocsForInt64Range(l, hi.(int64)); !got.Equals(want) {
					t.Fatalf("DocsForInt64Range(%d, %d): %d docs, want %d", l, hi, got.GetCardinality(), want.GetCardinality())
				}
				// Float bounds around ints: [lo-0.5, hi+0.5] holds the same ints.
				if l > -1<<52 && hi.(int64) < 1<<52 {
					if got := ri.DocsForFloat64Range(float64(l)-0.5, float64(hi.(int64))+0.5); !got.Equals(want) {
						t.Fatalf("DocsForFloat64Range around [%d, %d] differs", l, hi)
					}
				}
			case float64:
				if got := ri.DocsForFloat64Range(l, hi.(float64)); !got.Equals(want) {
					t.Fatalf("DocsForFloat64Range(%v, %v): %d docs, want %d", l, hi, got.GetCardinality(), want.GetCardinality())
				}
			}
		}
	}
	if bf := col.Bloom(); bf != nil {
		for _, v := range distinct {
			var ok bool
			switch x := v.(type) {
			case int64:
				ok = bf.MayContainInt64(x)
			case float64:
				ok = bf.MayContainFloat64(x)
			case string:
				ok = bf.MayContainString(x)
			}
			if !ok {
				t.Fatalf("bloom filter misses %v", v)
			}
		}
	}
	_ = math.Inf
	_ = encoding.BlockLen
}
