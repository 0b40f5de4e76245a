package immutable

import (
	"os"
	"testing"

	"github.com/tannin-db/tannin/segment"
)

// FuzzOpen mutates a valid small segment and opens it; when reseal is set
// the CRCs are recomputed after the mutation, so that the structural
// checks behind them are exercised too. Whatever opens must read fully
// without a panic.
func FuzzOpen(f *testing.F) {
	data, _, _ := fixture(f, 40)
	f.Add(data, false)
	f.Add(data, true)
	small := genTable(3, 5, allTypeGens()[:4])
	cfg := BuildConfig{SegmentName: "s", InvertedColumns: []string{"int_sv"}, RangeColumns: []string{"long_sv"},
		BloomColumns: []string{"double_sv"}, NoDictionaryColumns: []string{"float_sv"}}
	path := f.TempDir() + "/s"
	if _, err := Build(path, cfg, small.cols); err != nil {
		f.Fatal(err)
	}
	smallData, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(smallData, false)
	f.Add(smallData, true)
	f.Fuzz(func(t *testing.T, data []byte, resealIt bool) {
		data = append([]byte(nil), data...)
		if resealIt {
			reseal(data)
		}
		s, err := OpenBytes("fuzz", data)
		if err != nil {
			return
		}
		readEverything(s)
		_ = s.VerifyCRC()
		_ = s.Close()
	})
}

// readEverything reads every column every way and queries every index.
func readEverything(s *Segment) {
	// A forged file may claim billions of docs of a constant column (a
	// valid segment); read a bounded prefix.
	n := min(s.NumDocs(), 4096)
	all := make([]uint32, n)
	for i := range all {
		all[i] = uint32(i)
	}
	var odd []uint32
	for i := 1; i < n; i += 2 {
		odd = append(odd, uint32(i))
	}
	ids := make([]uint32, n)
	i64 := make([]int64, n)
	f64 := make([]float64, n)
	strs := make([]string, n)
	for _, cm := range s.Meta().Columns {
		c := s.Column(cm.Name)
		for _, docs := range [][]uint32{all, odd} {
			c.DictIDs(docs, ids)
			c.Int64s(docs, i64)
			c.Float64s(docs, f64)
			c.Strings(docs, strs)
		}
		var mv []uint32
		for d := 0; d < n && cm.MaxValuesPerDoc <= 1<<16; d++ {
			mv = c.MVDictIDs(uint32(d), mv[:0])
		}
		if nb := c.Nulls(); nb != nil {
			_ = nb.GetCardinality()
		}
		card := 0
		if d := c.Dictionary(); d != nil {
			card = min(d.Len(), 4096)
		}
		queryIndexes(c, card)
	}
}

func queryIndexes(c segment.Column, card int) {
	if inv := c.Inverted(); inv != nil {
		for id := 0; id <= card; id++ {
			_ = inv.Docs(uint32(id)).GetCardinality()
		}
	}
	if si := c.SortedIndex(); si != nil {
		for id := 0; id <= card; id++ {
			si.DocRange(uint32(id))
		}
	}
	if ri := c.RangeIndex(); ri != nil {
		_ = ri.DocsForIDRange(0, uint32(card))
		_ = ri.DocsForIDRange(1, 1)
		_ = ri.DocsForInt64Range(-100, 100)
		_ = ri.DocsForFloat64Range(-1.5, 1e300)
	}
	if bf := c.Bloom(); bf != nil {
		_ = bf.MayContainInt64(1)
		_ = bf.MayContainFloat64(2)
		_ = bf.MayContainString("3")
	}
}
