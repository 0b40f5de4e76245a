package immutable

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tannin-db/tannin/schema"
)

// TestConcurrentReaders has several goroutines read one segment at once,
// each in ascending batches from its own start (so that the raw chunk
// cache is shared and contended). Run with -race.
func TestConcurrentReaders(t *testing.T) {
	tbl := genTable(9, 30000, allTypeGens())
	cfg := baseConfig("seg_c")
	path := filepath.Join(t.TempDir(), "seg_c")
	if _, err := Build(path, cfg, tbl.cols); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exp := tbl.expect(sortPerm(tbl, ""))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for iter := 0; iter < 30; iter++ {
				start := r.IntN(tbl.n)
				docs := make([]uint32, 0, 1024)
				for d := start; d < tbl.n && len(docs) < 1024; d += 1 + r.IntN(3) {
					docs = append(docs, uint32(d))
				}
				for _, c := range tbl.cols {
					if !c.Spec.SingleValue {
						continue
					}
					col := s.Column(c.Spec.Name)
					got := readSV(col, docs)
					raw := col.Dictionary() == nil
					for i, d := range docs {
						want := exp[c.Spec.Name].values(int(d))[0]
						if !sameValue(got[i], want, raw) {
							errs <- fmt.Errorf("goroutine %d: %s doc %d = %v, want %v", g, c.Spec.Name, d, got[i], want)
							return
						}
					}
					if inv := col.Inverted(); inv != nil {
						_ = inv.Docs(0).GetCardinality()
					}
					if ri := col.RangeIndex(); ri != nil {
						_ = ri.DocsForIDRange(0, 3).GetCardinality()
					}
					if nb := col.Nulls(); nb != nil && col.Meta().DataType.Storage() == schema.StorageInt64 {
						_ = nb.Contains(docs[0])
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestReadsDoNotAllocate(t *testing.T) {
	tbl := genTable(5, 20000, allTypeGens())
	cfg := baseConfig("seg_a")
	path := filepath.Join(t.TempDir(), "seg_a")
	if _, err := Build(path, cfg, tbl.cols); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	docs := make([]uint32, 1024)
	var sparse []uint32
	for i := range docs {
		docs[i] = uint32(5000 + i)
		sparse = append(sparse, uint32(3*i+7))
	}
	ids := make([]uint32, 1024)
	i64 := make([]int64, 1024)
	f64 := make([]float64, 1024)
	strs := make([]string, 1024)
	for _, name := range []string{"int_sv", "long_sv", "double_sv", "city", "seq", "raw_long", "raw_str"} {
		col := s.Column(name)
		col.Strings(docs, strs) // warm the chunk cache
		allocs := testing.AllocsPerRun(20, func() {
			for _, d := range [][]uint32{docs, sparse} {
				col.DictIDs(d, ids)
				switch col.Meta().DataType.Storage() {
				case schema.StorageInt64:
					col.Int64s(d, i64)
				case schema.StorageFloat64:
					col.Float64s(d, f64)
				default:
					col.Strings(d, strs)
				}
			}
		})
		// raw_str reads a second chunk for the sparse docs: one decoded
		// chunk per chunk switch is the only allocation a read makes.
		if allocs != 0 && name != "raw_str" {
			t.Errorf("%s: reads allocated %v times", name, allocs)
		}
	}
}
