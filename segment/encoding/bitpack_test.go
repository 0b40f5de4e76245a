package encoding

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

func randVals(r *rand.Rand, n, w int) []uint64 {
	vals := make([]uint64, n)
	for i := range vals {
		if w == 64 {
			vals[i] = r.Uint64()
		} else if w > 0 {
			vals[i] = r.Uint64() & (1<<w - 1)
		}
	}
	// Make sure the extremes occur.
	if n > 2 && w > 0 {
		vals[0] = 0
		vals[n-1] = ^uint64(0) >> (64 - w)
	}
	return vals
}

func to32(v []uint64) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = uint32(x)
	}
	return out
}

func TestPacked32MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for w := 0; w <= 32; w++ {
		for _, n := range []int{0, 1, 2, 63, 64, 65, 127, 128, 129, 1000} {
			t.Run(fmt.Sprintf("w=%d/n=%d", w, n), func(t *testing.T) {
				vals := randVals(r, n, w)
				want := naivePack(vals, w)
				got := AppendPacked32(nil, to32(vals), w)
				if !bytes.Equal(got, want) {
					t.Fatalf("AppendPacked32 differs from naive packing")
				}
				if err := CheckPacked(got, n, w, 32); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < n; i++ {
					if g := Get32(got, w, i); uint64(g) != vals[i] || naiveGet(got, w, i) != vals[i] {
						t.Fatalf("Get32(%d) = %d, want %d", i, g, vals[i])
					}
				}
				// Every start and a spread of lengths.
				for start := 0; start <= n; start += 1 + start/3 {
					for _, l := range []int{0, 1, 5, 63, 64, 65, 200, n} {
						if start+l > n {
							continue
						}
						dst := make([]uint32, l)
						Unpack32(got, w, start, dst)
						for i := range dst {
							if uint64(dst[i]) != vals[start+i] {
								t.Fatalf("Unpack32(start=%d, len=%d)[%d] = %d, want %d", start, l, i, dst[i], vals[start+i])
							}
						}
					}
				}
			})
		}
	}
}

func TestPacked64MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for w := 0; w <= 64; w++ {
		for _, n := range []int{0, 1, 63, 64, 65, 300} {
			vals := randVals(r, n, w)
			want := naivePack(vals, w)
			got := AppendPacked64([]byte{0xAA}, vals, w)[1:]
			if !bytes.Equal(got, want) {
				t.Fatalf("w=%d n=%d: AppendPacked64 differs from naive packing", w, n)
			}
			for i := 0; i < n; i++ {
				if g := Get64(got, w, i); g != vals[i] {
					t.Fatalf("w=%d n=%d: Get64(%d) = %d, want %d", w, n, i, g, vals[i])
				}
			}
			for start := 0; start <= n; start += 7 {
				dst := make([]uint64, n-start)
				Unpack64(got, w, start, dst)
				for i := range dst {
					if dst[i] != vals[start+i] {
						t.Fatalf("w=%d n=%d: Unpack64(start=%d)[%d] = %d, want %d", w, n, start, i, dst[i], vals[start+i])
					}
				}
			}
		}
	}
}

func TestGather32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 5000
	for _, w := range []int{0, 1, 3, 8, 13, 17, 31, 32} {
		vals := randVals(r, n, w)
		buf := AppendPacked32(nil, to32(vals), w)
		for _, density := range []float64{0.001, 0.05, 0.3, 0.9, 1} {
			var idx []uint32
			for i := 0; i < n; i++ {
				if r.Float64() < density {
					idx = append(idx, uint32(i))
				}
			}
			dst := make([]uint32, len(idx))
			Gather32(buf, w, idx, dst)
			for i, p := range idx {
				if uint64(dst[i]) != vals[p] {
					t.Fatalf("w=%d density=%v: Gather32[%d] (pos %d) = %d, want %d", w, density, i, p, dst[i], vals[p])
				}
			}
		}
	}
}

func TestAppendPackedDoesNotAllocateWithCapacity(t *testing.T) {
	vals := make([]uint32, 4096)
	for i := range vals {
		vals[i] = uint32(i) & 0x7ff
	}
	dst := make([]byte, 0, PackedLen(len(vals), 11))
	allocs := testing.AllocsPerRun(10, func() {
		_ = AppendPacked32(dst[:0], vals, 11)
	})
	if allocs != 0 {
		t.Fatalf("AppendPacked32 with capacity allocated %v times", allocs)
	}
	out := make([]uint32, len(vals))
	buf := AppendPacked32(dst[:0], vals, 11)
	allocs = testing.AllocsPerRun(10, func() {
		Unpack32(buf, 11, 3, out[:4000])
	})
	if allocs != 0 {
		t.Fatalf("Unpack32 allocated %v times", allocs)
	}
}

func TestCheckPacked(t *testing.T) {
	tests := []struct {
		name     string
		n, w     int
		len      int
		maxWidth int
		ok       bool
	}{
		{"exact", 100, 7, PackedLen(100, 7), 32, true},
		{"short", 100, 7, PackedLen(100, 7) - 1, 32, false},
		{"long", 100, 7, PackedLen(100, 7) + 8, 32, false},
		{"width too big", 10, 33, PackedLen(10, 33), 32, false},
		{"width 64 ok", 10, 64, PackedLen(10, 64), 64, true},
		{"negative width", 10, -1, 8, 32, false},
		{"zero width", 1000, 0, 8, 32, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPacked(make([]byte, max(tc.len, 0)), tc.n, tc.w, tc.maxWidth)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckPacked = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func FuzzPacked32(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(5), uint16(1), uint16(3))
	f.Add(bytes.Repeat([]byte{0xff}, 400), uint8(32), uint16(60), uint16(70))
	f.Fuzz(func(t *testing.T, data []byte, wb uint8, startb, lenb uint16) {
		w := int(wb % 33)
		vals := make([]uint64, len(data)/4)
		for i := range vals {
			vals[i] = uint64(le32(data[4*i:]))
			if w < 32 {
				vals[i] &= 1<<w - 1
			}
		}
		buf := AppendPacked32(nil, to32(vals), w)
		if !bytes.Equal(buf, naivePack(vals, w)) {
			t.Fatalf("w=%d: packing differs from naive", w)
		}
		n := len(vals)
		if n == 0 {
			return
		}
		start := int(startb) % n
		l := int(lenb) % (n - start + 1)
		dst := make([]uint32, l)
		Unpack32(buf, w, start, dst)
		for i := range dst {
			if uint64(dst[i]) != vals[start+i] {
				t.Fatalf("w=%d: Unpack32[%d] = %d, want %d", w, start+i, dst[i], vals[start+i])
			}
		}
		idx := make([]uint32, 0, n)
		for i := start; i < n; i += 1 + int(data[i%len(data)]%5) {
			idx = append(idx, uint32(i))
		}
		g := make([]uint32, len(idx))
		Gather32(buf, w, idx, g)
		for i, p := range idx {
			if uint64(g[i]) != vals[p] || uint64(Get32(buf, w, int(p))) != vals[p] {
				t.Fatalf("w=%d: Gather32/Get32 at %d = %d, want %d", w, p, g[i], vals[p])
			}
		}
	})
}
