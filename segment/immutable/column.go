package immutable

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/index/bloom"
	"github.com/tannin-db/tannin/index/inverted"
	"github.com/tannin-db/tannin/index/rangeindex"
	"github.com/tannin-db/tannin/index/sorted"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// fwdKind is how a column's forward index is stored.
type fwdKind uint8

const (
	fwdPacked   fwdKind = iota // bit-packed dictionary ids
	fwdRuns                    // sorted column: runs or change bits
	fwdMV                      // multi-value: packed offsets and ids
	fwdRawInt                  // frame-of-reference int64 chunks
	fwdRawFloat                // float64 chunks
	fwdRawBytes                // variable-length chunks
)

// batch is the number of ids a read decodes at a time on the stack.
const batch = 512

// cacheSlots is the number of decoded compressed chunks a column keeps.
const cacheSlots = 4

// column is one column of an open segment; everything but the chunk cache
// is immutable after Open, and the cache holds immutable chunks behind
// atomic pointers, so readers never lock.
type column struct {
	seg     *Segment
	meta    *segment.ColumnMeta
	numDocs int
	dict    *segment.Dictionary
	card    int
	kind    fwdKind

	packed []byte // fwdPacked, and ids of fwdMV
	width  int
	runs   sortedIDs // fwdRuns

	// fwdMV: doc d's values start at bases[d/64] + rel[d].
	mvBases []byte
	mvRel   []byte
	relW    int
	mvIDs   []byte

	chunkShift int
	intChunks  []encoding.IntChunk
	fltChunks  []encoding.FloatChunk
	firstDocs  []uint32
	byteChunks [][]byte
	cache      [cacheSlots]atomic.Pointer[decodedChunk]

	nulls  *roaring.Bitmap
	inv    *inverted.Index
	rng    *rangeindex.Index
	bloomF *bloom.Filter

	// Interface values built once at open.
	invIface   segment.InvertedIndex
	sortIface  segment.SortedIndex
	rangeIface segment.RangeIndex
	bloomIface segment.BloomFilter
}

// sortedIDs is the forward index of a sorted column stored as its runs
// (sorted.Runs) or its change bits (sorted.Bits).
type sortedIDs interface {
	DocRange(id uint32) (start, end uint32)
	ID(doc uint32) uint32
}

// decodedChunk is a decompressed chunk; never modified once published.
type decodedChunk struct {
	idx int
	flt encoding.FloatChunk
	byt encoding.BytesChunk
}

func (c *column) initIndexes() {
	if c.kind == fwdMV {
		c.packed = c.mvIDs
	}
	if c.meta.HasInverted {
		c.invIface = invertedIndex{c}
	}
	if c.runs != nil {
		c.sortIface = c.runs
	} else if c.kind == fwdPacked && c.meta.Sorted {
		c.sortIface = packedSorted{c}
	}
	if c.meta.HasRange {
		c.rangeIface = rangeIndex{c}
	}
	if c.bloomF != nil {
		c.bloomIface = c.bloomF
	}
}

// Meta describes the column.
func (c *column) Meta() *segment.ColumnMeta { return c.meta }

// Dictionary is nil for a raw column.
func (c *column) Dictionary() *segment.Dictionary { return c.dict }

// Nulls is nil when no doc is null.
func (c *column) Nulls() *roaring.Bitmap { return c.nulls }

// Inverted is nil unless the column has an inverted index.
func (c *column) Inverted() segment.InvertedIndex { return c.invIface }

// SortedIndex is nil unless the column is sorted and dictionary-encoded.
func (c *column) SortedIndex() segment.SortedIndex { return c.sortIface }

// RangeIndex is nil unless the column has a range index.
func (c *column) RangeIndex() segment.RangeIndex { return c.rangeIface }

// Bloom is nil unless the column has a bloom filter.
func (c *column) Bloom() segment.BloomFilter { return c.bloomIface }

// check guards the read contract: ascending docs below the doc count.
func (c *column) check(docs []uint32) {
	if n := len(docs); n > 0 && (int64(docs[n-1]) >= int64(c.numDocs) || docs[0] > docs[n-1]) {
		panic("BUG: column read of docs out of range or not ascending")
	}
}

func contiguous(docs []uint32) bool {
	n := len(docs)
	return n > 0 && docs[n-1]-docs[0] == uint32(n-1)
}

// DictIDs reads the dictionary ids of single-value docs. A raw or
// multi-value column reads zeros.
func (c *column) DictIDs(docs []uint32, dst []uint32) {
	n := len(docs)
	if n == 0 {
		return
	}
	c.check(docs)
	dst = dst[:n]
	switch c.kind {
	case fwdPacked:
		if contiguous(docs) {
			encoding.Unpack32(c.packed, c.width, int(docs[0]), dst)
		} else {
			encoding.Gather32(c.packed, c.width, docs, dst)
		}
	case fwdRuns:
		// Concrete calls: through the interface dst would escape, and
		// callers' stack buffers with it.
		switch r := c.runs.(type) {
		case *sorted.Runs:
			if contiguous(docs) {
				r.Fill(docs[0], dst)
			} else {
				r.IDs(docs, dst)
			}
		case *sorted.Bits:
			if contiguous(docs) {
				r.Fill(docs[0], dst)
			} else {
				r.IDs(docs, dst)
			}
		}
	default:
		clear(dst)
	}
}

// Int64s reads values as int64: the values of an int column, truncated
// floats of a float column, parsed text of a string column (0 when not a
// number).
func (c *column) Int64s(docs []uint32, dst []int64) {
	n := len(docs)
	if n == 0 {
		return
	}
	c.check(docs)
	dst = dst[:n]
	switch c.kind {
	case fwdPacked, fwdRuns:
		var ids [batch]uint32
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.DictIDs(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			switch {
			case c.dict.Ints != nil:
				vals := c.dict.Ints
				for j, id := range ids[:m] {
					out[j] = vals[id]
				}
			case c.dict.Floats != nil:
				vals := c.dict.Floats
				for j, id := range ids[:m] {
					out[j] = int64(vals[id])
				}
			default:
				vals := c.dict.Strs
				for j, id := range ids[:m] {
					out[j] = parseInt(vals[id])
				}
			}
		}
	case fwdRawInt:
		if contiguous(docs) {
			c.rawIntRun(int(docs[0]), dst)
			return
		}
		shift, mask := c.chunkShift, uint32(1)<<c.chunkShift-1
		for i, d := range docs {
			dst[i] = c.intChunks[d>>shift].Get(int(d & mask))
		}
	case fwdRawFloat:
		var buf [batch]float64
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Float64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = int64(v)
			}
		}
	case fwdRawBytes:
		var buf [batch]string
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Strings(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = parseInt(v)
			}
		}
	default:
		clear(dst)
	}
}

func (c *column) rawIntRun(start int, dst []int64) {
	cv := 1 << c.chunkShift
	for len(dst) > 0 {
		ci, in := start>>c.chunkShift, start&(cv-1)
		m := min(cv-in, len(dst))
		c.intChunks[ci].Decode(in, dst[:m])
		dst = dst[m:]
		start += m
	}
}

// Float64s reads values as float64 (converted from an int column, parsed
// from a string column).
func (c *column) Float64s(docs []uint32, dst []float64) {
	n := len(docs)
	if n == 0 {
		return
	}
	c.check(docs)
	dst = dst[:n]
	switch c.kind {
	case fwdPacked, fwdRuns:
		var ids [batch]uint32
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.DictIDs(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			switch {
			case c.dict.Floats != nil:
				vals := c.dict.Floats
				for j, id := range ids[:m] {
					out[j] = vals[id]
				}
			case c.dict.Ints != nil:
				vals := c.dict.Ints
				for j, id := range ids[:m] {
					out[j] = float64(vals[id])
				}
			default:
				vals := c.dict.Strs
				for j, id := range ids[:m] {
					out[j] = parseFloat(vals[id])
				}
			}
		}
	case fwdRawFloat:
		if contiguous(docs) {
			start := int(docs[0])
			cv := 1 << c.chunkShift
			out := dst
			for len(out) > 0 {
				ci, in := start>>c.chunkShift, start&(cv-1)
				m := min(cv-in, len(out))
				c.floatChunk(ci).Decode(in, out[:m])
				out = out[m:]
				start += m
			}
			return
		}
		shift, mask := c.chunkShift, uint32(1)<<c.chunkShift-1
		cur := -1
		var ch *encoding.FloatChunk
		for i, d := range docs {
			if ci := int(d >> shift); ci != cur {
				cur, ch = ci, c.floatChunk(ci)
			}
			dst[i] = ch.Get(int(d & mask))
		}
	case fwdRawInt:
		var buf [batch]int64
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Int64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = float64(v)
			}
		}
	case fwdRawBytes:
		var buf [batch]string
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Strings(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = parseFloat(v)
			}
		}
	default:
		clear(dst)
	}
}

// Strings reads values as strings: string and bytes columns share the
// segment's memory (no allocation); numeric columns are formatted, which
// allocates.
func (c *column) Strings(docs []uint32, dst []string) {
	n := len(docs)
	if n == 0 {
		return
	}
	c.check(docs)
	dst = dst[:n]
	switch c.kind {
	case fwdPacked, fwdRuns:
		var ids [batch]uint32
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.DictIDs(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			switch {
			case c.dict.Strs != nil || c.card == 0:
				vals := c.dict.Strs
				for j, id := range ids[:m] {
					out[j] = vals[id]
				}
			case c.dict.Ints != nil:
				for j, id := range ids[:m] {
					out[j] = strconv.FormatInt(c.dict.Ints[id], 10)
				}
			default:
				for j, id := range ids[:m] {
					out[j] = formatFloat(c.meta.DataType, c.dict.Floats[id])
				}
			}
		}
	case fwdRawBytes:
		ci := sort.Search(len(c.firstDocs)-1, func(i int) bool { return c.firstDocs[i+1] > docs[0] })
		ch := c.bytesChunk(ci)
		for i, d := range docs {
			if d >= c.firstDocs[ci+1] {
				for d >= c.firstDocs[ci+1] {
					ci++
				}
				ch = c.bytesChunk(ci)
			}
			dst[i] = ch.Get(int(d - c.firstDocs[ci]))
		}
	case fwdRawInt:
		var buf [batch]int64
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Int64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = strconv.FormatInt(v, 10)
			}
		}
	case fwdRawFloat:
		var buf [batch]float64
		for i := 0; i < n; i += batch {
			m := min(batch, n-i)
			c.Float64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = formatFloat(c.meta.DataType, v)
			}
		}
	default:
		clear(dst)
	}
}

// MVDictIDs appends the dictionary ids of doc to dst. A single-value
// dictionary column appends its one id; a raw column nothing.
func (c *column) MVDictIDs(doc uint32, dst []uint32) []uint32 {
	if int64(doc) >= int64(c.numDocs) {
		panic("BUG: MVDictIDs of a doc out of range")
	}
	switch c.kind {
	case fwdMV:
		lo, hi := c.mvOffset(int(doc)), c.mvOffset(int(doc)+1)
		l := len(dst)
		dst = slices.Grow(dst, hi-lo)[:l+hi-lo]
		encoding.Unpack32(c.mvIDs, c.width, lo, dst[l:])
		return dst
	case fwdPacked:
		return append(dst, encoding.Get32(c.packed, c.width, int(doc)))
	case fwdRuns:
		return append(dst, c.runs.ID(doc))
	}
	return dst
}

func (c *column) mvOffset(d int) int {
	base := binary.LittleEndian.Uint32(c.mvBases[4*(d/encoding.BlockLen):])
	return int(base) + int(encoding.Get32(c.mvRel, c.relW, d))
}

// floatChunk returns chunk ci ready to read, decompressing (and caching)
// a compressed one.
func (c *column) floatChunk(ci int) *encoding.FloatChunk {
	ch := &c.fltChunks[ci]
	if !ch.Compressed() {
		return ch
	}
	slot := &c.cache[ci%cacheSlots]
	if p := slot.Load(); p != nil && p.idx == ci {
		return &p.flt
	}
	plain, err := ch.Decompress(c.seg.decompressor())
	if err != nil {
		// Only a forged file (its CRC matched) gets here; reads have no
		// error path, so the chunk reads as zeros.
		plain = encoding.ZeroFloatChunk(ch.N)
	}
	p := &decodedChunk{idx: ci, flt: plain}
	slot.Store(p)
	return &p.flt
}

// bytesChunk returns chunk ci decoded: in place when stored plain, else
// decompressed into a new buffer (cached) that returned strings reference.
func (c *column) bytesChunk(ci int) *encoding.BytesChunk {
	slot := &c.cache[ci%cacheSlots]
	if p := slot.Load(); p != nil && p.idx == ci {
		return &p.byt
	}
	n := int(c.firstDocs[ci+1] - c.firstDocs[ci])
	ch, err := encoding.DecodeBytesChunk(c.byteChunks[ci], n, c.seg.decompressor())
	if err != nil {
		ch = encoding.EmptyBytesChunk(n) // forged file, as in floatChunk
	}
	p := &decodedChunk{idx: ci, byt: ch}
	slot.Store(p)
	return &p.byt
}

func parseInt(s string) int64 {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v
	}
	f, _ := strconv.ParseFloat(s, 64)
	return int64(f)
}

func parseFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func formatFloat(t schema.DataType, v float64) string {
	if t == schema.TypeFloat {
		return strconv.FormatFloat(v, 'g', -1, 32)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// invertedIndex serves Docs from the inverted section or the runs of a
// sorted column.
type invertedIndex struct{ c *column }

func (x invertedIndex) Docs(id uint32) *roaring.Bitmap {
	c := x.c
	if c.sortIface != nil {
		s, e := c.sortIface.DocRange(id)
		bm := roaring.New()
		bm.AddRange(uint64(s), uint64(e))
		return bm
	}
	bm, err := c.inv.Docs(id)
	if err != nil {
		// A forged bitmap: answer from the (validated) forward index.
		return c.scanID(id)
	}
	return bm
}

// scanID returns the docs holding id by reading the forward index.
func (c *column) scanID(id uint32) *roaring.Bitmap {
	bm := roaring.New()
	if c.kind == fwdMV {
		var ids []uint32
		for d := 0; d < c.numDocs; d++ {
			ids = c.MVDictIDs(uint32(d), ids[:0])
			if slices.Contains(ids, id) {
				bm.Add(uint32(d))
			}
		}
		return bm
	}
	var docs, ids [batch]uint32
	for d := 0; d < c.numDocs; d += batch {
		m := min(batch, c.numDocs-d)
		for j := range docs[:m] {
			docs[j] = uint32(d + j)
		}
		c.DictIDs(docs[:m], ids[:m])
		for j, x := range ids[:m] {
			if x == id {
				bm.Add(uint32(d + j))
			}
		}
	}
	return bm
}

// packedSorted is the sorted index of a sorted column stored as packed
// ids (when runs would be larger): binary search over the ids.
type packedSorted struct{ c *column }

func (p packedSorted) DocRange(id uint32) (start, end uint32) {
	c := p.c
	first := func(x uint32) uint32 {
		return uint32(sort.Search(c.numDocs, func(d int) bool { return encoding.Get32(c.packed, c.width, d) >= x }))
	}
	if int64(id) >= int64(c.card) {
		return uint32(c.numDocs), uint32(c.numDocs)
	}
	return first(id), first(id + 1)
}

// rangeIndex serves ranges in id space (dictionary columns) or value space
// (raw numeric columns).
type rangeIndex struct{ c *column }

func (r rangeIndex) DocsForIDRange(lo, hi uint32) *roaring.Bitmap {
	c := r.c
	if lo > hi || c.dict == nil || int64(lo) >= int64(c.card) {
		return roaring.New()
	}
	hi = min(hi, uint32(c.card-1))
	switch {
	case c.sortIface != nil:
		s, _ := c.sortIface.DocRange(lo)
		_, e := c.sortIface.DocRange(hi)
		bm := roaring.New()
		bm.AddRange(uint64(s), uint64(e))
		return bm
	case c.rng != nil:
		return c.rng.Range(uint64(lo), uint64(hi))
	case c.kind == fwdMV:
		bms := make([]*roaring.Bitmap, 0, hi-lo+1)
		for id := lo; id <= hi; id++ {
			bms = append(bms, c.invIface.Docs(id))
		}
		return roaring.FastOr(bms...)
	}
	return roaring.New()
}

func (r rangeIndex) DocsForInt64Range(lo, hi int64) *roaring.Bitmap {
	c := r.c
	if lo > hi {
		return roaring.New()
	}
	switch c.meta.DataType.Storage() {
	case schema.StorageInt64:
		if c.dict != nil {
			vals := c.dict.Ints
			a := sort.Search(len(vals), func(i int) bool { return vals[i] >= lo })
			b := sort.Search(len(vals), func(i int) bool { return vals[i] > hi })
			if a >= b {
				return roaring.New()
			}
			return r.DocsForIDRange(uint32(a), uint32(b-1))
		}
		return c.rng.Range(encoding.Int64Key(lo), encoding.Int64Key(hi))
	case schema.StorageFloat64:
		return r.DocsForFloat64Range(float64(lo), float64(hi))
	}
	return roaring.New()
}

func (r rangeIndex) DocsForFloat64Range(lo, hi float64) *roaring.Bitmap {
	c := r.c
	if lo != lo || hi != hi || lo > hi {
		return roaring.New()
	}
	switch c.meta.DataType.Storage() {
	case schema.StorageFloat64:
		klo, khi := encoding.Float64Key(lo), encoding.Float64Key(hi)
		if c.dict != nil {
			vals := c.dict.Floats
			a := sort.Search(len(vals), func(i int) bool { return encoding.Float64Key(vals[i]) >= klo })
			b := sort.Search(len(vals), func(i int) bool { return encoding.Float64Key(vals[i]) > khi })
			if a >= b {
				return roaring.New()
			}
			return r.DocsForIDRange(uint32(a), uint32(b-1))
		}
		return c.rng.Range(klo, khi)
	case schema.StorageInt64:
		// Integers in [lo, hi] are those in [ceil(lo), floor(hi)].
		l, h := math.Ceil(lo), math.Floor(hi)
		if l > h || h < math.MinInt64 || l >= math.MaxInt64 {
			return roaring.New()
		}
		il, ih := int64(math.MinInt64), int64(math.MaxInt64)
		if l > math.MinInt64 {
			il = int64(l)
		}
		if h < math.MaxInt64 {
			ih = int64(h)
		}
		return r.DocsForInt64Range(il, ih)
	}
	return roaring.New()
}
