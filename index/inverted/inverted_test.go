package inverted

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// naiveSV scans the ids for one id.
func naiveSV(ids []uint32, id uint32) *roaring.Bitmap {
	bm := roaring.New()
	for d, x := range ids {
		if x == id {
			bm.Add(uint32(d))
		}
	}
	return bm
}

func naiveMV(offsets, values []uint32, id uint32) *roaring.Bitmap {
	bm := roaring.New()
	for d := 0; d+1 < len(offsets); d++ {
		for _, x := range values[offsets[d]:offsets[d+1]] {
			if x == id {
				bm.Add(uint32(d))
			}
		}
	}
	return bm
}

func TestSVMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b Builder
	for _, tc := range []struct{ n, card int }{{0, 0}, {1, 1}, {1000, 1}, {1000, 7}, {100000, 300}, {70000, 70000}} {
		t.Run(fmt.Sprintf("n=%d/card=%d", tc.n, tc.card), func(t *testing.T) {
			ids := make([]uint32, tc.n)
			for i := range ids {
				if tc.card == tc.n {
					ids[i] = uint32(i) // every id once
				} else {
					ids[i] = uint32(r.IntN(tc.card))
				}
			}
			if tc.n > 0 {
				// a long run for run containers
				for i := 0; i < tc.n/3; i++ {
					ids[i] = 0
				}
			}
			body := b.AppendSV(nil, ids, tc.card)
			x, err := Open(body, tc.card, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			// Twice: the second read skips the validation the first did.
			for range 2 {
				for id := 0; id < tc.card; id += 1 + tc.card/50 {
					got, err := x.Docs(uint32(id))
					if err != nil {
						t.Fatal(err)
					}
					if want := naiveSV(ids, uint32(id)); !got.Equals(want) {
						t.Fatalf("Docs(%d): %d docs, want %d", id, got.GetCardinality(), want.GetCardinality())
					}
				}
			}
			if got, _ := x.Docs(uint32(tc.card)); !got.IsEmpty() {
				t.Fatalf("Docs(card) not empty")
			}
		})
	}
}

func TestMVMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, card = 20000, 50
	offsets := []uint32{0}
	var values []uint32
	for d := 0; d < n; d++ {
		k := r.IntN(5)
		for j := 0; j < k; j++ {
			values = append(values, uint32(r.IntN(card)))
		}
		if k == 4 {
			values = append(values, values[len(values)-1]) // repeated value in a doc
		}
		offsets = append(offsets, uint32(len(values)))
	}
	var b Builder
	body := b.AppendMV(nil, offsets, values, card)
	x, err := Open(body, card, n)
	if err != nil {
		t.Fatal(err)
	}
	for id := uint32(0); id < card; id++ {
		got, err := x.Docs(id)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveMV(offsets, values, id); !got.Equals(want) {
			t.Fatalf("Docs(%d): %d docs, want %d", id, got.GetCardinality(), want.GetCardinality())
		}
	}
}

func TestOpenRejects(t *testing.T) {
	var b Builder
	ids := []uint32{0, 1, 1, 2, 0}
	body := b.AppendSV(nil, ids, 3)
	for name, tc := range map[string]struct {
		body          []byte
		card, numDocs int
	}{
		"truncated table": {body[:8], 3, 5},
		"truncated area":  {body[:len(body)-1], 3, 5},
		"wrong card":      {body, 4, 5},
		"negative":        {body, -1, 5},
	} {
		if _, err := Open(tc.body, tc.card, tc.numDocs); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Open = %v", name, err)
		}
	}
	// A bitmap with doc ids beyond numDocs is caught when read.
	x, err := Open(body, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Docs(0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Docs with doc 4 >= numDocs 2: %v", err)
	}
	bad := append([]byte(nil), body...)
	areaStart := (4*4 + 7) &^ 7
	last := areaStart + int(bad[8]) // offsets[2], little-endian low byte
	bad[last] ^= 0xff               // the cookie of id 2's bitmap
	x, err = Open(bad, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Every time: a bitmap that failed is never marked validated.
	for range 2 {
		if _, err := x.Docs(2); err == nil {
			t.Fatal("garbled last bitmap accepted")
		}
	}
}

func BenchmarkAppendSV(b *testing.B) {
	for _, card := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("card=%d", card), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			ids := make([]uint32, 1<<20)
			for i := range ids {
				ids[i] = uint32(r.IntN(card))
			}
			var bld Builder
			var dst []byte
			b.ReportAllocs()
			for b.Loop() {
				dst = bld.AppendSV(dst[:0], ids, card)
			}
			b.ReportMetric(float64(b.N)*float64(len(ids))/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(len(dst))/float64(len(ids)), "bytes/row")
		})
	}
}

func FuzzOpen(f *testing.F) {
	var b Builder
	f.Add(b.AppendSV(nil, []uint32{0, 1, 1, 2, 0, 2, 2}, 3), uint8(3), uint16(7))
	f.Fuzz(func(t *testing.T, body []byte, card uint8, n uint16) {
		x, err := Open(body, int(card), int(n))
		if err != nil {
			return
		}
		for id := 0; id <= int(card); id++ {
			bm, err := x.Docs(uint32(id))
			if err == nil && !bm.IsEmpty() && bm.Maximum() >= uint32(n) {
				t.Fatalf("doc %d beyond %d", bm.Maximum(), n)
			}
		}
	})
}
