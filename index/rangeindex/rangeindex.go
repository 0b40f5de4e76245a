package rangeindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/index/sorted"
	"github.com/tannin-db/tannin/segment/encoding"
)

// ErrCorrupt marks a range index section that does not decode.
var ErrCorrupt = errors.New("corrupt range index")

// Builder builds range index bodies, keeping scratch space between
// columns. The zero value is ready; it is not safe for concurrent use.
type Builder struct {
	starts []uint32
	docs   []uint32
	sids   []uint32
	keys   []uint64
}

// Append appends the index body to dst for docs whose ids[d] is below
// len(keyOf) (or any id when keyOf is nil); the key of id is keyOf[id], or
// id itself when keyOf is nil, and keyOf must be ascending. It returns the
// body with the doc width and key width (the section header's parameters).
func (b *Builder) Append(dst []byte, ids []uint32, keyOf []uint64) ([]byte, int, int) {
	n := len(ids)
	card := 0
	for _, id := range ids {
		card = max(card, int(id)+1)
	}
	// Counting sort by id: stable, so docs ascend within an id.
	b.starts = resize(b.starts, card+1)
	clear(b.starts)
	for _, id := range ids {
		b.starts[id+1]++
	}
	for i := 1; i <= card; i++ {
		b.starts[i] += b.starts[i-1]
	}
	b.docs = resize(b.docs, n)
	for d, id := range ids {
		b.docs[b.starts[id]] = uint32(d)
		b.starts[id]++
	}
	key := func(id uint32) uint64 {
		if keyOf == nil {
			return uint64(id)
		}
		return keyOf[id]
	}
	var lo, hi uint64
	if n > 0 {
		lo, hi = key(ids[b.docs[0]]), key(ids[b.docs[n-1]])
	}
	if cap(b.keys) < n {
		b.keys = make([]uint64, n)
	}
	b.keys = b.keys[:n]
	for p, d := range b.docs {
		b.keys[p] = key(ids[d]) - lo
	}
	kw := bits.Len64(hi - lo)
	dw := 0
	if n > 1 {
		dw = bits.Len32(uint32(n - 1))
	}
	dst = binary.LittleEndian.AppendUint64(dst, lo)
	dst = binary.LittleEndian.AppendUint64(dst, hi)
	dst = encoding.AppendPacked64(dst, b.keys, kw)
	dst = encoding.AppendPacked32(dst, b.docs, dw)
	return dst, dw, kw
}

func resize(s []uint32, n int) []uint32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]uint32, n)
}

// AppendIDs appends the body of a dictionary column's index: its ids rise
// by exactly one from key run to key run (every id below card occurs), so
// the sorted keys are stored as change bits (sorted.Bits, about a bit a
// doc) instead of packed keys. It returns the body and the doc width.
func (b *Builder) AppendIDs(dst []byte, ids []uint32, card int) ([]byte, int) {
	n := len(ids)
	b.starts = resize(b.starts, card+1)
	clear(b.starts)
	for _, id := range ids {
		b.starts[id+1]++
	}
	for i := 1; i <= card; i++ {
		b.starts[i] += b.starts[i-1]
	}
	b.docs = resize(b.docs, n)
	for d, id := range ids {
		b.docs[b.starts[id]] = uint32(d)
		b.starts[id]++
	}
	b.sids = resize(b.sids, n)
	sortedIDs := b.sids // ids in position order
	p := 0
	for id := 0; id < card; id++ {
		// b.starts[id] is now the end of id's positions.
		for ; p < int(b.starts[id]); p++ {
			sortedIDs[p] = uint32(id)
		}
	}
	dw := 0
	if n > 1 {
		dw = bits.Len32(uint32(n - 1))
	}
	dst = encoding.AppendPacked32(dst, b.docs, dw)
	dst = sorted.AppendBits(dst, sortedIDs)
	return dst, dw
}

// Index reads a range index body in place.
type Index struct {
	minKey, maxKey uint64
	keys, docs     []byte
	kw, dw         int
	n              int
	// ids is set for a dictionary column's index (AppendIDs).
	ids *sorted.Bits
}

// OpenIDs checks a body written by AppendIDs for n docs and card ids.
func OpenIDs(body []byte, dw, card, n int) (*Index, error) {
	wantDW := 0
	if n > 1 {
		wantDW = bits.Len32(uint32(n - 1))
	}
	if n < 0 || card < 0 || dw != wantDW {
		return nil, fmt.Errorf("%w: doc width %d over %d docs", ErrCorrupt, dw, n)
	}
	dl := encoding.PackedLen(n, dw)
	if len(body) != dl+sorted.BitsLen(n) {
		return nil, fmt.Errorf("%w: %d bytes for %d docs", ErrCorrupt, len(body), n)
	}
	ids, err := sorted.OpenBits(body[dl:], card, n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	x := &Index{docs: body[:dl], dw: dw, n: n, ids: ids}
	if card > 0 {
		x.maxKey = uint64(card - 1)
	}
	if err := x.checkDocs(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *Index) checkDocs() error {
	var buf [encoding.BlockLen * 4]uint32
	for p := 0; p < x.n; p += len(buf) {
		m := min(len(buf), x.n-p)
		encoding.Unpack32(x.docs, x.dw, p, buf[:m])
		for i, d := range buf[:m] {
			if int(d) >= x.n {
				return fmt.Errorf("%w: doc id %d at position %d is not below %d", ErrCorrupt, d, p+i, x.n)
			}
		}
	}
	return nil
}

// Open checks body (numDocs docs, doc width dw, key width kw): exact
// lengths, keys ascending within [minKey, maxKey], doc ids below numDocs.
func Open(body []byte, dw, kw, numDocs int) (*Index, error) {
	wantDW := 0
	if numDocs > 1 {
		wantDW = bits.Len32(uint32(numDocs - 1))
	}
	if numDocs < 0 || dw != wantDW || kw < 0 || kw > 64 {
		return nil, fmt.Errorf("%w: widths %d/%d over %d docs", ErrCorrupt, dw, kw, numDocs)
	}
	kl := encoding.PackedLen(numDocs, kw)
	if len(body) != 16+kl+encoding.PackedLen(numDocs, dw) {
		return nil, fmt.Errorf("%w: %d bytes for %d docs", ErrCorrupt, len(body), numDocs)
	}
	x := &Index{
		minKey: binary.LittleEndian.Uint64(body),
		maxKey: binary.LittleEndian.Uint64(body[8:]),
		keys:   body[16 : 16+kl],
		docs:   body[16+kl:],
		kw:     kw, dw: dw, n: numDocs,
	}
	if x.maxKey < x.minKey || bits.Len64(x.maxKey-x.minKey) != kw {
		return nil, fmt.Errorf("%w: key range [%d, %d] does not take %d bits", ErrCorrupt, x.minKey, x.maxKey, kw)
	}
	var buf [encoding.BlockLen * 4]uint64
	var dbuf [encoding.BlockLen * 4]uint32
	prev := uint64(0)
	for p := 0; p < numDocs; p += len(buf) {
		m := min(len(buf), numDocs-p)
		encoding.Unpack64(x.keys, kw, p, buf[:m])
		encoding.Unpack32(x.docs, dw, p, dbuf[:m])
		for i := 0; i < m; i++ {
			if buf[i] < prev {
				return nil, fmt.Errorf("%w: keys decrease at position %d", ErrCorrupt, p+i)
			}
			prev = buf[i]
			if int(dbuf[i]) >= numDocs {
				return nil, fmt.Errorf("%w: doc id %d at position %d is not below %d", ErrCorrupt, dbuf[i], p+i, numDocs)
			}
		}
	}
	if numDocs > 0 && prev != x.maxKey-x.minKey {
		return nil, fmt.Errorf("%w: largest key differs from the header's", ErrCorrupt)
	}
	return x, nil
}

// MinKey and MaxKey bound the indexed keys.
func (x *Index) MinKey() uint64 { return x.minKey }

// MaxKey is the largest indexed key.
func (x *Index) MaxKey() uint64 { return x.maxKey }

// search returns the first position whose key is >= k (k relative).
func (x *Index) search(k uint64) int {
	return sort.Search(x.n, func(p int) bool { return encoding.Get64(x.keys, x.kw, p) >= k })
}

// Positions returns the positions [from, to) of the keys in [lo, hi].
func (x *Index) Positions(lo, hi uint64) (from, to int) {
	if lo > hi || x.n == 0 || hi < x.minKey || lo > x.maxKey {
		return 0, 0
	}
	if x.ids != nil {
		s, _ := x.ids.DocRange(uint32(lo))
		_, e := x.ids.DocRange(uint32(min(hi, x.maxKey)))
		return int(s), int(e)
	}
	lo = max(lo, x.minKey) - x.minKey
	hi = min(hi, x.maxKey) - x.minKey
	from = x.search(lo)
	if hi == x.maxKey-x.minKey {
		return from, x.n
	}
	return from, x.search(hi + 1)
}

// Range returns the docs whose key is in [lo, hi], as a new bitmap the
// caller owns.
func (x *Index) Range(lo, hi uint64) *roaring.Bitmap {
	from, to := x.Positions(lo, hi)
	k := to - from
	switch {
	case k == 0:
		return roaring.New()
	case k == x.n:
		bm := roaring.New()
		bm.AddRange(0, uint64(x.n))
		return bm
	case k <= x.n/64:
		docs := make([]uint32, k)
		encoding.Unpack32(x.docs, x.dw, from, docs)
		slices.Sort(docs)
		bm := roaring.New()
		bm.AddMany(docs)
		return bm
	}
	words := make([]uint64, (x.n+63)/64)
	var buf [encoding.BlockLen * 4]uint32
	if k <= x.n/2 {
		x.setBits(words, from, to, &buf)
	} else {
		for i := range words {
			words[i] = ^uint64(0)
		}
		if tail := x.n % 64; tail != 0 {
			words[len(words)-1] = 1<<tail - 1
		}
		x.clearBits(words, 0, from, &buf)
		x.clearBits(words, to, x.n, &buf)
	}
	bm := roaring.FromDense(words, false)
	bm.RunOptimize()
	return bm
}

func (x *Index) setBits(words []uint64, from, to int, buf *[encoding.BlockLen * 4]uint32) {
	for p := from; p < to; p += len(buf) {
		m := min(len(buf), to-p)
		encoding.Unpack32(x.docs, x.dw, p, buf[:m])
		for _, d := range buf[:m] {
			words[d>>6] |= 1 << (d & 63)
		}
	}
}

func (x *Index) clearBits(words []uint64, from, to int, buf *[encoding.BlockLen * 4]uint32) {
	for p := from; p < to; p += len(buf) {
		m := min(len(buf), to-p)
		encoding.Unpack32(x.docs, x.dw, p, buf[:m])
		for _, d := range buf[:m] {
			words[d>>6] &^= 1 << (d & 63)
		}
	}
}
