package rangeindex

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/segment/encoding"
)

func naiveRange(keys []uint64, lo, hi uint64) *roaring.Bitmap {
	bm := roaring.New()
	for d, k := range keys {
		if k >= lo && k <= hi {
			bm.Add(uint32(d))
		}
	}
	return bm
}

// dictOf returns sorted distinct keys and per-doc ids.
func dictOf(keys []uint64) ([]uint64, []uint32) {
	d := slices.Clone(keys)
	slices.Sort(d)
	d = slices.Compact(d)
	ids := make([]uint32, len(keys))
	for i, k := range keys {
		j, _ := slices.BinarySearch(d, k)
		ids[i] = uint32(j)
	}
	return d, ids
}

func TestRangeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() uint64{
		"card=100":   func() uint64 { return r.Uint64N(100) },
		"constant":   func() uint64 { return 7 },
		"wide":       func() uint64 { return 1<<40 + r.Uint64N(1<<35) },
		"full range": r.Uint64,
		"two values": func() uint64 { return []uint64{0, ^uint64(0)}[r.IntN(2)] },
	}
	var b Builder
	for name, g := range gens {
		for _, n := range []int{0, 1, 1000, 70000} {
			for _, dictMode := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/n=%d/ids=%v", name, n, dictMode), func(t *testing.T) {
					keys := make([]uint64, n)
					for i := range keys {
						keys[i] = g()
					}
					dict, ids := dictOf(keys)
					keyOf := dict
					if dictMode {
						// Dictionary column: the key is the id.
						keyOf = nil
						for i, id := range ids {
							keys[i] = uint64(id)
						}
					}
					var x *Index
					if dictMode {
						body, dw := b.AppendIDs(nil, ids, len(dict))
						var err error
						if x, err = OpenIDs(body, dw, len(dict), n); err != nil {
							t.Fatal(err)
						}
					} else {
						body, dw, kw := b.Append(nil, ids, keyOf)
						var err error
						if x, err = Open(body, dw, kw, n); err != nil {
							t.Fatal(err)
						}
					}
					probes := []uint64{0, 1, 7, 99, 100, 1 << 40, ^uint64(0)}
					for range 30 {
						if n > 0 {
							probes = append(probes, keys[r.IntN(n)], keys[r.IntN(n)]+1, keys[r.IntN(n)]-1)
						}
					}
					for i := 0; i+1 < len(probes); i++ {
						lo, hi := probes[i], probes[i+1]
						if r.IntN(4) == 0 {
							lo, hi = hi, lo
						}
						if got, want := x.Range(lo, hi), naiveRange(keys, lo, hi); !got.Equals(want) {
							t.Fatalf("Range(%d, %d): %d docs, want %d", lo, hi, got.GetCardinality(), want.GetCardinality())
						}
					}
				})
			}
		}
	}
}

func TestOpenRejects(t *testing.T) {
	var b Builder
	body, dw, kw := b.Append(nil, []uint32{0, 2, 1, 3, 0}, []uint64{3, 4, 9, 12})
	x, err := Open(body, dw, kw, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Range(4, 9); !got.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("Range(4, 9) = %v", got.ToArray())
	}
	badKeys := slices.Clone(body)
	badKeys[16] = 0xff // first sorted key becomes larger than the next
	badDoc := slices.Clone(body)
	badDoc[16+encoding.PackedLen(5, kw)] = 0xff // doc id 7 at position 0
	for name, tc := range map[string]struct {
		body      []byte
		dw, kw, n int
	}{
		"truncated":        {body[:len(body)-2], dw, kw, 5},
		"wrong key width":  {body, dw, kw + 1, 5},
		"doc width > 32":   {body, 33, kw, 5},
		"wrong doc count":  {body, dw, kw, 6},
		"keys decrease":    {badKeys, dw, kw, 5},
		"doc out of range": {badDoc, dw, kw, 5},
		"short":            {body[:10], dw, kw, 5},
	} {
		if _, err := Open(tc.body, tc.dw, tc.kw, tc.n); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Open = %v", name, err)
		}
	}
}

func benchIndex(b *testing.B) (*Index, int) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]uint32, 1<<20)
	for i := range ids {
		ids[i] = uint32(r.IntN(100_000))
	}
	for i := 0; i < 100_000; i++ {
		ids[i] = uint32(i) // every id occurs
	}
	var bld Builder
	body, dw := bld.AppendIDs(nil, ids, 100_000)
	x, err := OpenIDs(body, dw, 100_000, len(ids))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(body))/float64(len(ids)), "bytes/row")
	return x, len(ids)
}

func BenchmarkRange(b *testing.B) {
	for _, sel := range []float64{0.001, 0.1, 0.5, 0.9} {
		b.Run(fmt.Sprintf("sel=%v", sel), func(b *testing.B) {
			x, n := benchIndex(b)
			hi := uint64(sel * 100_000)
			b.ReportAllocs()
			for b.Loop() {
				x.Range(0, hi)
			}
			b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]uint32, 1<<20)
	for i := range ids {
		ids[i] = uint32(r.IntN(100_000))
	}
	for i := 0; i < 100_000; i++ {
		ids[i] = uint32(i)
	}
	var bld Builder
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = bld.AppendIDs(dst[:0], ids, 100_000)
	}
	b.ReportMetric(float64(b.N)*float64(len(ids))/b.Elapsed().Seconds(), "rows/s")
}

func TestOpenIDsRejects(t *testing.T) {
	var b Builder
	body, dw := b.AppendIDs(nil, []uint32{0, 2, 1, 3, 0}, 4)
	x, err := OpenIDs(body, dw, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Range(1, 2); !got.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("Range(1, 2) = %v", got.ToArray())
	}
	badDoc := slices.Clone(body)
	badDoc[0] = 0xff // doc id 7 at position 0
	for name, tc := range map[string]struct {
		body        []byte
		dw, card, n int
	}{
		"truncated":        {body[:len(body)-1], dw, 4, 5},
		"wrong card":       {body, dw, 5, 5},
		"wrong doc width":  {body, dw + 1, 4, 5},
		"doc out of range": {badDoc, dw, 4, 5},
	} {
		if _, err := OpenIDs(tc.body, tc.dw, tc.card, tc.n); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: OpenIDs = %v", name, err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	var b Builder
	body, dw, kw := b.Append(nil, []uint32{0, 2, 1, 3, 0}, []uint64{3, 4, 9, 12})
	f.Add(body, uint8(dw), uint8(kw), uint16(5), false)
	body, dw = b.AppendIDs(nil, []uint32{0, 2, 1, 3, 0}, 4)
	f.Add(body, uint8(dw), uint8(4), uint16(5), true)
	f.Fuzz(func(t *testing.T, body []byte, dw, kwOrCard uint8, n uint16, ids bool) {
		var x *Index
		var err error
		if ids {
			x, err = OpenIDs(body, int(dw), int(kwOrCard), int(n))
		} else {
			x, err = Open(body, int(dw), int(kwOrCard), int(n))
		}
		if err != nil {
			return
		}
		for _, r := range [][2]uint64{{0, ^uint64(0)}, {1, 2}, {3, 3}, {0, 0}} {
			if bm := x.Range(r[0], r[1]); !bm.IsEmpty() && bm.Maximum() >= uint32(n) {
				t.Fatalf("doc %d beyond %d", bm.Maximum(), n)
			}
		}
	})
}
