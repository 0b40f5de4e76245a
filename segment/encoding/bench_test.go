package encoding

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

const benchN = 1 << 20

func benchPacked(w int) ([]byte, []uint32) {
	r := rand.New(rand.NewPCG(1, uint64(w)))
	vals := make([]uint32, benchN)
	for i := range vals {
		if w > 0 {
			vals[i] = uint32(r.Uint64() & (1<<w - 1))
		}
	}
	return AppendPacked32(nil, vals, w), vals
}

// BenchmarkUnpack32 decodes a 1M-value column sequentially in batches of
// 1024, as a scan does.
func BenchmarkUnpack32(b *testing.B) {
	for _, w := range []int{1, 2, 3, 4, 5, 7, 8, 10, 12, 13, 16, 17, 20, 24, 28, 32} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			buf, _ := benchPacked(w)
			dst := make([]uint32, 1024)
			b.ReportAllocs()
			b.SetBytes(int64(benchN) * 4)
			for b.Loop() {
				for start := 0; start < benchN; start += len(dst) {
					Unpack32(buf, w, start, dst)
				}
			}
			b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkGet32Random reads values at random positions one at a time.
func BenchmarkGet32Random(b *testing.B) {
	for _, w := range []int{4, 13, 20} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			buf, _ := benchPacked(w)
			r := rand.New(rand.NewPCG(2, 3))
			pos := make([]int, 4096)
			for i := range pos {
				pos[i] = r.IntN(benchN)
			}
			var sink uint32
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range pos {
					sink += Get32(buf, w, p)
				}
			}
			_ = sink
			b.ReportMetric(float64(b.N)*float64(len(pos))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkGather32 reads 1024 ascending positions at a given selectivity.
func BenchmarkGather32(b *testing.B) {
	for _, sel := range []float64{0.01, 0.3, 0.7, 0.95} {
		b.Run(fmt.Sprintf("w=13/sel=%v", sel), func(b *testing.B) {
			buf, _ := benchPacked(13)
			r := rand.New(rand.NewPCG(4, 5))
			var idx []uint32
			for i := 0; i < benchN && len(idx) < 1024; i++ {
				if r.Float64() < sel {
					idx = append(idx, uint32(i))
				}
			}
			dst := make([]uint32, len(idx))
			b.ReportAllocs()
			for b.Loop() {
				Gather32(buf, 13, idx, dst)
			}
			b.ReportMetric(float64(b.N)*float64(len(idx))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkPack32(b *testing.B) {
	for _, w := range []int{4, 13, 20} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			_, vals := benchPacked(w)
			dst := make([]byte, 0, PackedLen(len(vals), w))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendPacked32(dst[:0], vals, w)
			}
			b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkBuildKeyDict(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 7))
	gens := []struct {
		name string
		f    func() uint64
	}{
		{"dense card=1000", func() uint64 { return uint64(r.IntN(1000)) }},
		{"wide card=5000", func() uint64 { return uint64(r.IntN(5000)) * 1_000_003 }},
		{"card=1M span<2^32", func() uint64 { return r.Uint64N(1 << 31) }},
		{"card=1M full", r.Uint64},
	}
	for _, g := range gens {
		b.Run(g.name, func(b *testing.B) {
			keys := make([]uint64, benchN)
			for i := range keys {
				keys[i] = g.f()
			}
			ids := make([]uint32, benchN)
			var db DictBuilder
			b.ReportAllocs()
			for b.Loop() {
				db.Keys(keys, ids)
			}
			b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkBuildStringDict(b *testing.B) {
	for _, card := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("card=%d", card), func(b *testing.B) {
			r := rand.New(rand.NewPCG(8, 9))
			pool := make([]string, card)
			for i := range pool {
				pool[i] = fmt.Sprintf("value-%08x-%d", r.Uint32(), i)
			}
			vals := make([]string, benchN)
			for i := range vals {
				vals[i] = pool[r.IntN(card)]
			}
			ids := make([]uint32, benchN)
			b.ReportAllocs()
			for b.Loop() {
				BuildStringDict(vals, ids)
			}
			b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
