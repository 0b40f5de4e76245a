package mutable

import (
	"hash/maphash"
	"math"
	"sync/atomic"
	"unsafe"
)

// slots is an open-addressing hash table (linear probing, power-of-two
// size) of dictionary ids plus one; 0 marks an empty slot. The writer
// fills a slot with an atomic store after the value is in the dictionary
// and replaces a full table by a larger copy through an atomic pointer;
// readers probe with atomic loads and compare against the values of their
// own prefix, so a slot the writer fills concurrently is either unseen or
// names an id the reader skips.
type slots struct {
	s     []uint32
	shift uint // 64 - log2(len(s))
}

func newSlots(n int) *slots {
	bits := uint(4)
	for 1<<bits < 2*n {
		bits++
	}
	return &slots{s: make([]uint32, 1<<bits), shift: 64 - bits}
}

const fib = 0x9E3779B97F4A7C15

func hashInt(v int64) uint64 { return uint64(v) * fib }

// floatBits canonicalises -0 to 0 so that both find the same entry.
func floatBits(v float64) uint64 {
	if v == 0 {
		return 0
	}
	return math.Float64bits(v)
}

// dict is a growing dictionary: values in insertion order and a hash index
// readers may probe while the writer adds. Floats are kept by their bits
// (T = uint64) so that equality is exact and NaN finds itself.
type dict[T int64 | uint64 | string] struct {
	vals []T
	tab  atomic.Pointer[slots]
	cur  *slots // the writer's copy of tab
	hash func(T) uint64
}

func (d *dict[T]) init(hash func(T) uint64) {
	d.hash = hash
	d.cur = newSlots(64)
	d.tab.Store(d.cur)
}

func hashUint(v uint64) uint64 { return v * fib }

// stringHasher hashes strings with a per-segment seed.
func stringHasher(seed maphash.Seed) func(string) uint64 {
	return func(s string) uint64 { return maphash.String(seed, s) }
}

// add returns the id of v, adding it when absent, and whether it is new.
func (d *dict[T]) add(v T, h uint64) (uint32, bool) {
	t := d.cur
	mask := uint64(len(t.s) - 1)
	for i := h >> t.shift; ; i = (i + 1) & mask {
		x := t.s[i]
		if x == 0 {
			id := uint32(len(d.vals))
			d.vals = append(d.vals, v)
			atomic.StoreUint32(&t.s[i], id+1)
			if 2*len(d.vals) > len(t.s) {
				d.grow()
			}
			return id, true
		}
		if d.vals[x-1] == v {
			return x - 1, false
		}
	}
}

// grow publishes a table twice the size holding every value.
func (d *dict[T]) grow() {
	t := newSlots(len(d.vals) * 2)
	mask := uint64(len(t.s) - 1)
	for id, v := range d.vals {
		i := d.hash(v) >> t.shift
		for t.s[i] != 0 {
			i = (i + 1) & mask
		}
		t.s[i] = uint32(id) + 1
	}
	d.cur = t
	d.tab.Store(t)
}

// lookup finds v among prefix, the values of a reader's snapshot.
func (d *dict[T]) lookup(prefix []T, v T) (uint32, bool) {
	t := d.tab.Load()
	mask := uint64(len(t.s) - 1)
	for i := d.hash(v) >> t.shift; ; i = (i + 1) & mask {
		x := atomic.LoadUint32(&t.s[i])
		if x == 0 {
			return 0, false
		}
		if id := x - 1; int(id) < len(prefix) && prefix[id] == v {
			return id, true
		}
	}
}

func (d *dict[T]) tableBytes() int64 {
	if d.cur == nil {
		return 0
	}
	return int64(len(d.cur.s)) * 4
}

// floatsOf views float bits as floats (same size and alignment).
func floatsOf(bits []uint64) []float64 {
	if len(bits) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&bits[0])), len(bits))
}
