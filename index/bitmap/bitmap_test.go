package bitmap

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

func genDocs(r *rand.Rand, kind string, n int) []uint32 {
	var docs []uint32
	switch kind {
	case "empty":
	case "sparse":
		for i := 0; i < n; i++ {
			docs = append(docs, r.Uint32N(1<<22))
		}
	case "dense":
		for i := uint32(0); i < 200000; i++ {
			if r.IntN(3) != 0 {
				docs = append(docs, i)
			}
		}
	case "runs":
		for s := uint32(0); s < 1<<20; s += 1000 + r.Uint32N(5000) {
			for i := uint32(0); i < 1+r.Uint32N(3000); i++ {
				docs = append(docs, s+i)
			}
		}
	case "full container":
		for i := uint32(65536); i < 2*65536; i++ {
			docs = append(docs, i)
		}
	case "mixed":
		for i := uint32(0); i < 70000; i++ { // run + bitmap part
			docs = append(docs, i)
		}
		for i := 0; i < 5000; i++ {
			docs = append(docs, 1<<17+r.Uint32N(65536))
		}
		for i := 0; i < 100; i++ {
			docs = append(docs, 1<<18+r.Uint32N(65536))
		}
		docs = append(docs, ^uint32(0))
	}
	slices.Sort(docs)
	return slices.Compact(docs)
}

func TestAppendSortedMatchesRoaring(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var w Writer
	for _, kind := range []string{"empty", "sparse", "dense", "runs", "full container", "mixed"} {
		for _, n := range []int{1, 3, 5000} {
			t.Run(fmt.Sprintf("%s/n=%d", kind, n), func(t *testing.T) {
				docs := genDocs(r, kind, n)
				buf := w.AppendSorted([]byte{1, 2, 3}, docs)[3:]
				got, err := Open(buf, ^uint32(0))
				if len(docs) > 0 && docs[len(docs)-1] == ^uint32(0) {
					// The limit is exclusive: the max value is rejected.
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("Open with value at limit: %v", err)
					}
					got = View(buf)
				} else if err != nil {
					t.Fatal(err)
				}
				want := roaring.BitmapOf(docs...)
				if !got.Equals(want) {
					t.Fatalf("decoded bitmap differs: %d vs %d values", got.GetCardinality(), want.GetCardinality())
				}
				want.RunOptimize()
				if rs := want.GetSerializedSizeInBytes(); uint64(len(buf)) > rs+8 {
					t.Fatalf("serialized size %d, roaring's own %d", len(buf), rs)
				}
				// roaring's own reader must agree too (copying path).
				var copyBM roaring.Bitmap
				if err := copyBM.UnmarshalBinary(buf); err != nil || !copyBM.Equals(want) {
					t.Fatalf("roaring UnmarshalBinary: %v", err)
				}
			})
		}
	}
}

func TestAppendDense(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := make([]uint64, 3000)
	for i := range words {
		if i%7 != 0 {
			words[i] = r.Uint64() & r.Uint64()
		}
	}
	var w Writer
	buf, _ := w.AppendDense(nil, words, nil)
	bm, err := Open(buf, uint32(64*len(words)))
	if err != nil {
		t.Fatal(err)
	}
	for j := uint32(0); j < uint32(64*len(words)); j++ {
		if bm.Contains(j) != (words[j/64]>>(j%64)&1 != 0) {
			t.Fatalf("bit %d differs", j)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	var w Writer
	good := w.AppendSorted(nil, []uint32{1, 5, 9, 70000})
	tests := []struct {
		name  string
		buf   []byte
		limit uint32
	}{
		{"empty buffer", nil, 100000},
		{"truncated", good[:len(good)-1], 100000},
		{"trailing bytes", append(append([]byte(nil), good...), 0, 0), 100000},
		{"value over limit", good, 70000},
		{"bad cookie", append([]byte{9, 9, 9, 9}, good[4:]...), 100000},
	}
	unsorted := append([]byte(nil), good...)
	// array container values are the last 2*3 bytes of the first
	// container; swap the first two values.
	hdr := 8 + 4*2 + 4*2
	unsorted[hdr], unsorted[hdr+2] = unsorted[hdr+2], unsorted[hdr]
	tests = append(tests, struct {
		name  string
		buf   []byte
		limit uint32
	}{"unsorted array", unsorted, 100000})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(tc.buf, tc.limit); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	var w Writer
	f.Add(w.AppendSorted(nil, []uint32{1, 2, 3, 100, 65536, 65537}))
	run := make([]uint32, 0, 10000)
	for i := uint32(0); i < 10000; i++ {
		run = append(run, i+7)
	}
	f.Add(w.AppendSorted(nil, run))
	f.Fuzz(func(t *testing.T, buf []byte) {
		bm, err := Open(buf, 1<<20)
		if err != nil {
			return
		}
		// A bitmap that opened reads back fully within the limit.
		it := bm.Iterator()
		for it.HasNext() {
			if v := it.Next(); v >= 1<<20 {
				t.Fatalf("value %d over limit", v)
			}
		}
		_ = bm.GetCardinality()
	})
}
