package inverted

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/index/bitmap"
)

// ErrCorrupt marks an index section that does not decode.
var ErrCorrupt = errors.New("corrupt inverted index")

// Builder builds inverted index bodies, keeping scratch space between
// columns. The zero value is ready; it is not safe for concurrent use.
type Builder struct {
	w      bitmap.Writer
	starts []uint32
	docs   []uint32
	area   []byte
}

// AppendSV appends the index body of a single-value column (ids[d] is doc
// d's dictionary id, every id below card) to dst.
func (b *Builder) AppendSV(dst []byte, ids []uint32, card int) []byte {
	b.starts = counts(b.starts, card)
	for _, id := range ids {
		b.starts[id+1]++
	}
	for i := 1; i <= card; i++ {
		b.starts[i] += b.starts[i-1]
	}
	b.docs = resize(b.docs, len(ids))
	next := append([]uint32(nil), b.starts[:card]...)
	for d, id := range ids {
		b.docs[next[id]] = uint32(d)
		next[id]++
	}
	return b.appendLists(dst, card)
}

// AppendMV appends the index body of a multi-value column: doc d holds ids
// values[offsets[d]:offsets[d+1]]; a doc is listed once per distinct id.
func (b *Builder) AppendMV(dst []byte, offsets, values []uint32, card int) []byte {
	b.starts = counts(b.starts, card)
	last := make([]uint32, card) // last doc+1 counted per id
	numDocs := len(offsets) - 1
	for d := 0; d < numDocs; d++ {
		for _, id := range values[offsets[d]:offsets[d+1]] {
			if last[id] != uint32(d)+1 {
				last[id] = uint32(d) + 1
				b.starts[id+1]++
			}
		}
	}
	for i := 1; i <= card; i++ {
		b.starts[i] += b.starts[i-1]
	}
	b.docs = resize(b.docs, int(b.starts[card]))
	next := append([]uint32(nil), b.starts[:card]...)
	clear(last)
	for d := 0; d < numDocs; d++ {
		for _, id := range values[offsets[d]:offsets[d+1]] {
			if last[id] != uint32(d)+1 {
				last[id] = uint32(d) + 1
				b.docs[next[id]] = uint32(d)
				next[id]++
			}
		}
	}
	return b.appendLists(dst, card)
}

// appendLists serializes b.docs[b.starts[i]:b.starts[i+1]] per id.
func (b *Builder) appendLists(dst []byte, card int) []byte {
	// Array containers take 2 bytes a doc plus about 20 per bitmap.
	b.area = slices.Grow(b.area[:0], 2*len(b.docs)+24*card)
	offs := len(dst)
	for range card + 1 {
		dst = binary.LittleEndian.AppendUint32(dst, 0)
	}
	for id := 0; id < card; id++ {
		binary.LittleEndian.PutUint32(dst[offs+4*id:], uint32(len(b.area)))
		b.area = b.w.AppendSorted(b.area, b.docs[b.starts[id]:b.starts[id+1]])
	}
	binary.LittleEndian.PutUint32(dst[offs+4*card:], uint32(len(b.area)))
	for len(dst)%8 != 0 {
		dst = append(dst, 0)
	}
	return append(slices.Grow(dst, len(b.area)), b.area...)
}

func counts(s []uint32, card int) []uint32 {
	s = resize(s, card+1)
	clear(s)
	return s
}

func resize(s []uint32, n int) []uint32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]uint32, n)
}

// Index reads an inverted index body in place.
type Index struct {
	offsets []byte
	area    []byte
	card    int
	numDocs uint32
	// valid has a bit per id whose bitmap passed validation: the check is
	// linear in the bitmap, and a hot value's bitmap is read by every
	// query, so it is checked once.
	valid []atomic.Uint64
}

// Open checks body's offset table for card ids and returns the index;
// bitmaps are validated one by one when read.
func Open(body []byte, card, numDocs int) (*Index, error) {
	if card < 0 || numDocs < 0 {
		return nil, fmt.Errorf("%w: negative cardinality or doc count", ErrCorrupt)
	}
	tbl := 4 * (card + 1)
	areaStart := (tbl + 7) &^ 7
	if len(body) < areaStart {
		return nil, fmt.Errorf("%w: %d bytes, offset table needs %d", ErrCorrupt, len(body), areaStart)
	}
	x := &Index{offsets: body[:tbl], area: body[areaStart:], card: card, numDocs: uint32(numDocs),
		valid: make([]atomic.Uint64, (card+63)/64)}
	prev := uint32(0)
	for i := 0; i <= card; i++ {
		o := binary.LittleEndian.Uint32(x.offsets[4*i:])
		if o < prev || (i == 0 && o != 0) {
			return nil, fmt.Errorf("%w: offset %d out of order", ErrCorrupt, i)
		}
		prev = o
	}
	if int(prev) != len(x.area) {
		return nil, fmt.Errorf("%w: bitmaps take %d bytes, offsets say %d", ErrCorrupt, len(x.area), prev)
	}
	return x, nil
}

// Card is the number of ids.
func (x *Index) Card() int { return x.card }

// Docs returns the documents holding id. The bitmap shares the section's
// memory and must not be modified. An id out of range yields an empty
// bitmap; a bitmap that does not validate an error wrapping ErrCorrupt.
func (x *Index) Docs(id uint32) (*roaring.Bitmap, error) {
	if int64(id) >= int64(x.card) {
		return roaring.New(), nil
	}
	lo := binary.LittleEndian.Uint32(x.offsets[4*id:])
	hi := binary.LittleEndian.Uint32(x.offsets[4*id+4:])
	w, bit := &x.valid[id/64], uint64(1)<<(id%64)
	if w.Load()&bit != 0 {
		return bitmap.OpenValidated(x.area[lo:hi]), nil
	}
	bm, err := bitmap.Open(x.area[lo:hi], x.numDocs)
	if err != nil {
		return nil, fmt.Errorf("%w: id %d: %w", ErrCorrupt, id, err)
	}
	w.Or(bit)
	return bm, nil
}
