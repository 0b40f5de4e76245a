package encoding

import (
	"math"
	"slices"
	"strings"
	"unsafe"
)

// Dictionary building: sorted distinct values and, per input value, the
// index of its value in that order (its dictionary id).
//
// Numeric columns build on ordered u64 keys (Int64Key, Float64Key), one
// code path for ints and floats. Three strategies, picked by the data:
// a dense rank array when the key range is small (booleans, small ints,
// days), a hash map while the distinct count stays low, and an LSD radix
// sort of (key, position) pairs for high cardinality.

const (
	// mapLimit is the distinct count at which the hash-map strategy gives
	// way to sorting.
	mapLimit = 1 << 14
	// denseMax bounds the rank array of the dense strategy (u32 entries).
	denseMax = 1 << 24
)

// Float64s returns the dictionary of vals as ascending ordered keys
// (Float64Key) and sets ids; like Keys, the result is valid until the next
// call on b. When every value is a decimal with at most
// 18 fractional digits (prices, percentages), it builds on the scaled
// integers instead, whose narrow range takes the dense path; the order is
// the same since the scaling is exact and monotonic.
func (b *DictBuilder) Float64s(vals []float64, ids []uint32) []uint64 {
	if len(vals) == 0 {
		return nil
	}
	b.keys = resize(b.keys, len(vals))
	if e, ok := DecimalExponent(vals); ok {
		p := math.Pow10(e)
		for i, v := range vals {
			b.keys[i] = Int64Key(int64(math.Round(v * p)))
		}
		d := b.Keys(b.keys, ids)
		for i, k := range d {
			d[i] = Float64Key(float64(KeyInt64(k)) / p)
		}
		return d
	}
	for i, v := range vals {
		b.keys[i] = Float64Key(v)
	}
	return b.Keys(b.keys, ids)
}

// DictBuilder builds dictionaries, keeping its scratch buffers from one
// column to the next. The zero value is ready to use; it is not safe for
// concurrent use.
type DictBuilder struct {
	a, tmp    []uint64
	pos, tpos []uint32
	rank      []uint32
	keys      []uint64
	ptrs      *[ptrSlots]ptrSlot
}

// BuildKeyDict is (&DictBuilder{}).Keys(keys, ids).
func BuildKeyDict(keys []uint64, ids []uint32) []uint64 {
	var b DictBuilder
	return b.Keys(keys, ids)
}

// Keys returns the distinct keys in ascending order and sets ids[i] to the
// index of keys[i] in it. len(ids) must be >= len(keys). The returned
// slice may share b's scratch space: it is valid until the next call on b
// (a high-cardinality dictionary is not copied out).
func (b *DictBuilder) Keys(keys []uint64, ids []uint32) []uint64 {
	n := len(keys)
	if n == 0 {
		return nil
	}
	ids = ids[:n]
	lo, hi := keys[0], keys[0]
	for _, k := range keys {
		lo = min(lo, k)
		hi = max(hi, k)
	}
	span := hi - lo
	if span < uint64(min(max(4*n, 1<<16), denseMax)) {
		return b.denseDict(keys, ids, lo, int(span)+1)
	}
	if d, ok := mapDict(keys, ids); ok {
		return d
	}
	return b.sortDict(keys, ids, lo, span)
}

func (b *DictBuilder) denseDict(keys []uint64, ids []uint32, lo uint64, span int) []uint64 {
	b.rank = resize(b.rank, span)
	rank := b.rank
	clear(rank)
	for _, k := range keys {
		rank[k-lo] = 1
	}
	n := 0
	for _, r := range rank {
		n += int(r)
	}
	dict := make([]uint64, 0, n)
	id := uint32(0)
	for j, r := range rank {
		if r != 0 {
			rank[j] = id
			id++
			dict = append(dict, lo+uint64(j))
		}
	}
	for i, k := range keys {
		ids[i] = rank[k-lo]
	}
	return dict
}

func mapDict(keys []uint64, ids []uint32) ([]uint64, bool) {
	m := make(map[uint64]uint32, 256)
	var distinct []uint64
	for i, k := range keys {
		id, ok := m[k]
		if !ok {
			if len(distinct) >= mapLimit {
				return nil, false
			}
			id = uint32(len(distinct))
			m[k] = id
			distinct = append(distinct, k)
		}
		ids[i] = id
	}
	return remapSorted(distinct, ids), true
}

// remapSorted sorts distinct (first-seen order) and rewrites ids from
// first-seen ids to sorted ids.
func remapSorted(distinct []uint64, ids []uint32) []uint64 {
	order := make([]uint32, len(distinct))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int {
		ka, kb := distinct[a], distinct[b]
		if ka < kb {
			return -1
		}
		if ka > kb {
			return 1
		}
		return 0
	})
	remap := make([]uint32, len(distinct))
	dict := make([]uint64, len(distinct))
	for newID, old := range order {
		remap[old] = uint32(newID)
		dict[newID] = distinct[old]
	}
	for i, id := range ids {
		ids[i] = remap[id]
	}
	return dict
}

func (b *DictBuilder) sortDict(keys []uint64, ids []uint32, lo, span uint64) []uint64 {
	n := len(keys)
	b.a = resize(b.a, n)
	b.tmp = resize(b.tmp, n)
	if span < 1<<32 && uint64(n) < 1<<32 {
		// Pack (key-lo, position) into one word and sort by the high half.
		a := b.a
		for i, k := range keys {
			a[i] = (k-lo)<<32 | uint64(i)
		}
		a = radixSort64(a, b.tmp, 4)
		out := b.tmp
		if &out[0] == &a[0] {
			out = b.a
		}
		id := uint32(0)
		prev := a[0] >> 32
		out[0] = lo + prev
		for _, x := range a {
			if k := x >> 32; k != prev {
				prev = k
				id++
				out[id] = lo + k
			}
			ids[uint32(x)] = id
		}
		return out[:id+1]
	}
	copy(b.a, keys)
	b.pos = resize(b.pos, n)
	b.tpos = resize(b.tpos, n)
	for i := range b.pos {
		b.pos[i] = uint32(i)
	}
	k, pos := radixSortPairs(b.a, b.pos, b.tmp, b.tpos)
	out := b.tmp
	if &out[0] == &k[0] {
		out = b.a
	}
	id := uint32(0)
	out[0] = k[0]
	for i, x := range k {
		if x != out[id] {
			id++
			out[id] = x
		}
		ids[pos[i]] = id
	}
	return out[:id+1]
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// radixSort64 sorts a by bytes fromByte..7 (little-endian byte order,
// least significant first), skipping bytes that are equal in every
// element, and returns the sorted slice (a or tmp).
func radixSort64(a, tmp []uint64, fromByte int) []uint64 {
	var counts [8][256]int
	for _, x := range a {
		for b := fromByte; b < 8; b++ {
			counts[b][byte(x>>(8*b))]++
		}
	}
	n := len(a)
	for b := fromByte; b < 8; b++ {
		c := &counts[b]
		if c[byte(a[0]>>(8*b))] == n {
			continue
		}
		sum := 0
		for i := range c {
			sum, c[i] = sum+c[i], sum
		}
		shift := uint(8 * b)
		for _, x := range a {
			d := byte(x >> shift)
			tmp[c[d]] = x
			c[d]++
		}
		a, tmp = tmp, a
	}
	return a
}

// radixSortPairs sorts keys ascending, carrying vals along.
func radixSortPairs(keys []uint64, vals []uint32, tk []uint64, tv []uint32) ([]uint64, []uint32) {
	var counts [8][256]int
	for _, x := range keys {
		for b := 0; b < 8; b++ {
			counts[b][byte(x>>(8*b))]++
		}
	}
	n := len(keys)
	for b := 0; b < 8; b++ {
		c := &counts[b]
		if c[byte(keys[0]>>(8*b))] == n {
			continue
		}
		sum := 0
		for i := range c {
			sum, c[i] = sum+c[i], sum
		}
		shift := uint(8 * b)
		for i, x := range keys {
			d := byte(x >> shift)
			tk[c[d]] = x
			tv[c[d]] = vals[i]
			c[d]++
		}
		keys, tk = tk, keys
		vals, tv = tv, vals
	}
	return keys, vals
}

// BuildStringDict is (&DictBuilder{}).Strings(vals, ids).
func BuildStringDict(vals []string, ids []uint32) []string {
	var b DictBuilder
	return b.Strings(vals, ids)
}

// Strings returns the distinct values of vals in bytewise order and sets
// ids[i] to the index of vals[i] in it. len(ids) must be >= len(vals).
//
// A hash map serves low cardinality; past mapLimit distinct values it
// gives way to sorting: a radix sort on the 8 bytes that follow the
// values' common prefix, then a comparison sort within runs of equal
// prefixes.
func (b *DictBuilder) Strings(vals []string, ids []uint32) []string {
	if len(vals) == 0 {
		return nil
	}
	ids = ids[:len(vals)]
	if d, ok := b.mapStrings(vals, ids); ok {
		return d
	}
	return b.sortStrings(vals, ids)
}

// ptrSlot remembers the id of a string by the address of its bytes.
type ptrSlot struct {
	p  uintptr
	n  int
	id uint32
}

const ptrSlots = 4096

func (b *DictBuilder) mapStrings(vals []string, ids []uint32) ([]string, bool) {
	m := make(map[string]uint32, 256)
	var distinct []string
	// Ingestion usually hands over interned strings (one allocation per
	// distinct value): a direct-mapped cache on the bytes' address then
	// answers most rows without hashing the string. Equal addresses and
	// lengths mean equal strings; the map settles everything else.
	if b.ptrs == nil {
		b.ptrs = new([ptrSlots]ptrSlot)
	}
	clear(b.ptrs[:])
	cache := b.ptrs
	for i, v := range vals {
		p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
		sl := &cache[(p>>3^p>>13)&(ptrSlots-1)]
		if len(v) > 0 && sl.p == p && sl.n == len(v) {
			ids[i] = sl.id
			continue
		}
		id, ok := m[v]
		if !ok {
			if len(distinct) >= mapLimit {
				return nil, false
			}
			id = uint32(len(distinct))
			m[v] = id
			distinct = append(distinct, v)
		}
		*sl = ptrSlot{p, len(v), id}
		ids[i] = id
	}
	type entry struct {
		s  string
		id uint32
	}
	order := make([]entry, len(distinct))
	for i, s := range distinct {
		order[i] = entry{s, uint32(i)}
	}
	slices.SortFunc(order, func(a, b entry) int { return strings.Compare(a.s, b.s) })
	remap := make([]uint32, len(distinct))
	for newID, e := range order {
		remap[e.id] = uint32(newID)
		distinct[newID] = e.s
	}
	for i, id := range ids {
		ids[i] = remap[id]
	}
	return distinct, true
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// prefixKey returns the 8 bytes of s from offset cp, big-endian, zero
// padded: its order is the order of those bytes.
func prefixKey(s string, cp int) uint64 {
	if len(s) >= cp+8 {
		_ = s[cp+7]
		return uint64(s[cp])<<56 | uint64(s[cp+1])<<48 | uint64(s[cp+2])<<40 | uint64(s[cp+3])<<32 |
			uint64(s[cp+4])<<24 | uint64(s[cp+5])<<16 | uint64(s[cp+6])<<8 | uint64(s[cp+7])
	}
	var k uint64
	for j := 0; j < 8; j++ {
		k <<= 8
		if cp+j < len(s) {
			k |= uint64(s[cp+j])
		}
	}
	return k
}

func (b *DictBuilder) sortStrings(vals []string, ids []uint32) []string {
	n := len(vals)
	b.a = resize(b.a, n)
	b.tmp = resize(b.tmp, n)
	b.pos = resize(b.pos, n)
	b.tpos = resize(b.tpos, n)
	// The common prefix of all values carries no order: the keys start
	// after it. Guess it from a sample and check it while extracting the
	// keys (one pass over the strings' bytes); a value without it shortens
	// the guess and restarts.
	cp := len(vals[0])
	for _, v := range vals[:min(n, 1024)] {
		cp = min(cp, commonPrefix(v, vals[0][:cp]))
	}
	prefix := vals[0][:cp]
restart:
	for i, v := range vals {
		if len(v) < cp || v[:cp] != prefix {
			cp = commonPrefix(v, prefix)
			prefix = prefix[:cp]
			goto restart
		}
		b.a[i] = prefixKey(v, cp)
		b.pos[i] = uint32(i)
	}
	keys, pos := radixSortPairs(b.a, b.pos, b.tmp, b.tpos)
	// A string no longer than cp+8 is its prefix key and its length:
	// two such strings with equal keys are equal iff equal in length.
	short := cp + 8
	// Runs of equal prefixes: order by the whole string, unless they are
	// all the same short string.
	for lo := 0; lo < n; {
		hi := lo + 1
		same := len(vals[pos[lo]]) <= short
		for hi < n && keys[hi] == keys[lo] {
			same = same && len(vals[pos[hi]]) == len(vals[pos[lo]])
			hi++
		}
		if hi-lo > 1 && !same {
			run := pos[lo:hi]
			slices.SortFunc(run, func(x, y uint32) int { return strings.Compare(vals[x], vals[y]) })
		}
		lo = hi
	}
	// Two walks: count the distinct values, then fill an exact slice
	// (a high-cardinality dictionary would otherwise grow by copying).
	same := func(i int) bool {
		if keys[i] != keys[i-1] {
			return false
		}
		v, u := vals[pos[i]], vals[pos[i-1]]
		if len(v) <= short && len(u) <= short {
			return len(v) == len(u)
		}
		return v == u
	}
	card := 1
	for i := 1; i < n; i++ {
		if !same(i) {
			card++
		}
	}
	dict := make([]string, card)
	id := uint32(0)
	dict[0] = vals[pos[0]]
	ids[pos[0]] = 0
	for i := 1; i < n; i++ {
		if !same(i) {
			id++
			dict[id] = vals[pos[i]]
		}
		ids[pos[i]] = id
	}
	return dict
}

// AppendKeyDict appends the numeric-delta dictionary body of sorted,
// strictly increasing keys: the first key and the packed deltas. It
// returns the delta width (the section header's parameter a).
func AppendKeyDict(dst []byte, keys []uint64, scratch []uint64) ([]byte, int, []uint64) {
	if len(keys) == 0 {
		return dst, 0, scratch
	}
	scratch = slices.Grow(scratch[:0], len(keys))
	dst = slices.Grow(dst, 8+PackedLen(len(keys), 64))
	var maxDelta uint64
	for i := 1; i < len(keys); i++ {
		d := keys[i] - keys[i-1]
		maxDelta = max(maxDelta, d)
		scratch = append(scratch, d)
	}
	w := BitWidth(maxDelta)
	dst = appendU64(dst, keys[0])
	dst = AppendPacked64(dst, scratch, w)
	return dst, w, scratch
}

// DecodeKeyDict decodes a numeric-delta dictionary body of n keys packed at
// delta width w into dst (len n), checking that keys strictly increase and
// that body has exactly the expected length.
func DecodeKeyDict(body []byte, n, w int, dst []uint64) error {
	if n == 0 {
		if len(body) != 0 {
			return errorf("empty dictionary has %d body bytes", len(body))
		}
		return nil
	}
	if len(body) < 8 {
		return errorf("dictionary body of %d bytes is shorter than its first key", len(body))
	}
	if err := CheckPacked(body[8:], n-1, w, 64); err != nil {
		return errorf("dictionary deltas: %w", err)
	}
	dst = dst[:n]
	dst[0] = le64(body)
	Unpack64(body[8:], w, 0, dst[1:])
	for i := 1; i < n; i++ {
		d := dst[i]
		next := dst[i-1] + d
		if d == 0 || next < dst[i-1] {
			return errorf("dictionary key %d does not increase", i)
		}
		dst[i] = next
	}
	return nil
}
