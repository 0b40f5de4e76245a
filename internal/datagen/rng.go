package datagen

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
)

// rng wraps a PCG stream with the few draws the generators need, all
// without division or rejection loops: bias below 2^-32 is irrelevant here.
type rng struct {
	p rand.PCG
}

func newRNG(seed, stream uint64) *rng {
	r := &rng{}
	r.p.Seed(seed, stream^0x9e3779b97f4a7c15)
	return r
}

// intn returns a value in [0, n) for n > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool {
	return float64(r.p.Uint64()>>11)*(1.0/(1<<53)) < p
}

// float returns a value in [0, 1).
func (r *rng) float() float64 {
	return float64(r.p.Uint64()>>11) * (1.0 / (1 << 53))
}

// sampler draws indexes 0..n-1 from a fixed discrete distribution in O(1):
// a 4096-entry lookup table quantizes the cumulative weights.
type sampler struct {
	table [4096]uint32
}

func newSampler(weights []float64) *sampler {
	var total float64
	for _, w := range weights {
		total += w
	}
	s := &sampler{}
	cum, j := 0.0, 0
	for i := range weights {
		cum += weights[i] / total
		end := int(math.Round(cum * float64(len(s.table))))
		if i == len(weights)-1 {
			end = len(s.table)
		}
		for ; j < end; j++ {
			s.table[j] = uint32(i)
		}
	}
	return s
}

// zipfSampler favours low indexes: weight of rank k is 1/(k+1)^s.
func zipfSampler(n int, s float64) *sampler {
	w := make([]float64, n)
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), s)
	}
	return newSampler(w)
}

func (s *sampler) draw(r *rng) int {
	return int(s.table[r.p.Uint64()>>52])
}

// permute63 is a bijection on [0, 2^63): distinct inputs give distinct,
// well-mixed outputs, which makes unique high-cardinality ids.
func permute63(x uint64) uint64 {
	const mask = 1<<63 - 1
	x &= mask
	x = (x * 0x9e3779b97f4a7c15) & mask
	x ^= x >> 31
	x = (x * 0xbf58476d1ce4e5b9) & mask
	x ^= x >> 29
	x = (x * 0x94d049bb133111eb) & mask
	x ^= x >> 32
	return x
}

// hash64 hashes b into a non-negative int64, eight bytes at a time. It
// is fixed forever: tests and data files may depend on its values.
func hash64(b []byte) int64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xbf58476d1ce4e5b9
		h ^= h >> 29
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h = (h ^ tail) * 0x94d049bb133111eb
	h ^= h >> 32
	return int64(h >> 1)
}
