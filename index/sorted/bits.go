package sorted

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
)

// Bits is the sorted index of a high-cardinality sorted column in one bit
// a doc: bit d is set when doc d's id is one more than doc d-1's (ids of a
// sorted dictionary column rise by exactly one at each change, since every
// dictionary value occurs). A doc's id is the number of set bits up to it
// (rank); an id's first doc is the position of its set bit (select). A
// rank directory of one u32 per 512 docs makes both O(1) and O(log n).
//
// Body layout: u64 words[ceil(n/64)], then u32 ranks[ceil(n/512)+1] where
// ranks[k] counts the set bits before doc 512*k.
type Bits struct {
	words []byte
	ranks []byte
	n     int
	card  int
}

const docsPerRank = 512

// BitsLen is the body length of n docs.
func BitsLen(n int) int {
	return 8*((n+63)/64) + 4*((n+docsPerRank-1)/docsPerRank+1)
}

// AppendBits appends the change bits and rank directory of non-decreasing
// ids that rise by at most one from doc to doc.
func AppendBits(dst []byte, ids []uint32) []byte {
	n := len(ids)
	start := len(dst)
	nw := (n + 63) / 64
	for range nw {
		dst = binary.LittleEndian.AppendUint64(dst, 0)
	}
	words := dst[start:]
	for d := 1; d < n; d++ {
		if ids[d] != ids[d-1] {
			w := words[8*(d/64):]
			binary.LittleEndian.PutUint64(w, binary.LittleEndian.Uint64(w)|1<<(d%64))
		}
	}
	rank := uint32(0)
	for k := 0; k <= (n+docsPerRank-1)/docsPerRank; k++ {
		dst = binary.LittleEndian.AppendUint32(dst, rank)
		for w := 8 * k; w < min(8*k+8, nw); w++ {
			rank += uint32(bits.OnesCount64(binary.LittleEndian.Uint64(words[8*w:])))
		}
	}
	if len(dst)-start != BitsLen(n) {
		panic("BUG: sorted bits length")
	}
	return dst
}

// OpenBits checks body for n docs and card ids: exact length, no bit for
// doc 0 or beyond n, card-1 set bits, a consistent rank directory.
func OpenBits(body []byte, card, n int) (*Bits, error) {
	if n < 0 || card < 0 || len(body) != BitsLen(n) || (n == 0) != (card == 0) {
		return nil, fmt.Errorf("%w: %d bytes for %d docs and %d ids", ErrCorrupt, len(body), n, card)
	}
	nw := (n + 63) / 64
	b := &Bits{words: body[:8*nw], ranks: body[8*nw:], n: n, card: card}
	if n == 0 {
		return b, nil
	}
	if b.word(0)&1 != 0 {
		return nil, fmt.Errorf("%w: doc 0 starts a run", ErrCorrupt)
	}
	if r := n % 64; r != 0 && b.word(nw-1)>>r != 0 {
		return nil, fmt.Errorf("%w: bits beyond the last doc", ErrCorrupt)
	}
	rank := uint32(0)
	for k := 0; k <= (n+docsPerRank-1)/docsPerRank; k++ {
		if b.rank(k) != rank {
			return nil, fmt.Errorf("%w: rank directory entry %d", ErrCorrupt, k)
		}
		for w := 8 * k; w < min(8*k+8, nw); w++ {
			rank += uint32(bits.OnesCount64(b.word(w)))
		}
	}
	if int(rank) != card-1 {
		return nil, fmt.Errorf("%w: %d runs for %d ids", ErrCorrupt, rank+1, card)
	}
	return b, nil
}

func (b *Bits) word(i int) uint64 { return binary.LittleEndian.Uint64(b.words[8*i:]) }
func (b *Bits) rank(k int) uint32 { return binary.LittleEndian.Uint32(b.ranks[4*k:]) }

// Card is the number of ids.
func (b *Bits) Card() int { return b.card }

// ID returns doc's id (doc below the doc count): the set bits up to it.
func (b *Bits) ID(doc uint32) uint32 {
	d := int(doc)
	r := b.rank(d / docsPerRank)
	for w := d / docsPerRank * 8; w < d/64; w++ {
		r += uint32(bits.OnesCount64(b.word(w)))
	}
	mask := ^uint64(0) >> (63 - d%64) // bits 0..d%64
	return r + uint32(bits.OnesCount64(b.word(d/64)&mask))
}

// IDs writes the ids of ascending docs to dst.
func (b *Bits) IDs(docs []uint32, dst []uint32) {
	for i, d := range docs {
		dst[i] = b.ID(d)
	}
}

// Fill writes the ids of docs start..start+len(dst)-1 to dst.
func (b *Bits) Fill(start uint32, dst []uint32) {
	if len(dst) == 0 {
		return
	}
	id := b.ID(start)
	dst[0] = id
	dst = dst[1:]
	d := int(start) + 1
	for len(dst) > 0 {
		// One word at a time: its bits from d%64 on are the increments.
		w := b.word(d/64) >> (d % 64)
		m := min(64-d%64, len(dst))
		out := dst[:m]
		for j := range out {
			id += uint32(w & 1)
			w >>= 1
			out[j] = id
		}
		dst = dst[m:]
		d += m
	}
}

// first returns the first doc with id k (1 <= k < card): the position of
// the k-th set bit.
func (b *Bits) first(k uint32) uint32 {
	nr := (b.n+docsPerRank-1)/docsPerRank + 1
	// The last directory entry with fewer than k bits before it.
	sb := sort.Search(nr, func(i int) bool { return b.rank(i) >= k }) - 1
	r := b.rank(sb)
	for w := sb * 8; ; w++ {
		x := b.word(w)
		c := uint32(bits.OnesCount64(x))
		if r+c >= k {
			for need := k - r; need > 1; need-- {
				x &= x - 1
			}
			return uint32(64*w + bits.TrailingZeros64(x))
		}
		r += c
	}
}

// DocRange returns the docs [start, end) holding id.
func (b *Bits) DocRange(id uint32) (start, end uint32) {
	if int64(id) >= int64(b.card) {
		return uint32(b.n), uint32(b.n)
	}
	if id > 0 {
		start = b.first(id)
	}
	end = uint32(b.n)
	if int64(id)+1 < int64(b.card) {
		end = b.first(id + 1)
	}
	return start, end
}
