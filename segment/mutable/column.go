package mutable

import (
	"hash/maphash"
	"math"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/query/fn"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// column is the writer's side of one column. Only the writer goroutine
// touches it; what readers need is copied into a colState on publication.
type column struct {
	spec     *schema.FieldSpec
	st       schema.Storage
	mv       bool
	raw      bool // no dictionary (single-value only)
	inverted bool
	tf       *fn.TimeFormat // set on the time column

	// The dictionary of a dictionary column; for a raw column the set of
	// distinct values, kept for an exact cardinality and never exposed.
	di dict[int64]
	df dict[uint64]
	ds dict[string]

	ids  chunked[uint32] // dictionary ids: one per doc, or every value of a multi-value column
	ends chunked[uint32] // multi-value: each doc's end offset in ids
	ri   chunked[int64]  // raw values
	rf   chunked[float64]
	rs   chunked[string]

	nullDocs        chunked[uint32]
	frozenNulls     *roaring.Bitmap // nulls below the last freeze point
	frozenNullCount int

	inv *invWriter

	stats   colStats
	counted []bool // per dictionary id: seen in a non-null row
	defID   int64  // id first added by a null row (the default value), or -1
	// Sortedness: the previous non-null value.
	prevI   int64
	prevF   float64
	prevS   string
	hasPrev bool

	strBytes int64 // bytes of distinct strings held
	scratch  []uint32
	isNull   []bool
}

// colStats are the running statistics behind ColumnMeta.
type colStats struct {
	nullCount   int
	totalValues int // multi-value
	maxPerDoc   int
	minI, maxI  int64
	minF, maxF  float64
	minS, maxS  string
	hasBound    bool
	sorted      bool
	timeLo      int64 // time column stored as text: millis of the values
	timeHi      int64
	hasTime     bool
	// dictAsc: the dictionary's values ascend with their ids (values
	// arrived in order, as a time column's often do), so it can be read
	// as a sorted dictionary.
	dictAsc bool
}

func newColumn(spec *schema.FieldSpec, cfg *Config, shift uint, seed maphash.Seed) (*column, error) {
	c := &column{spec: spec, st: spec.DataType.Storage(), mv: !spec.SingleValue, defID: -1}
	c.raw = spec.SingleValue && contains(cfg.NoDictionaryColumns, spec.Name)
	c.inverted = contains(cfg.InvertedColumns, spec.Name)
	c.stats.sorted = spec.SingleValue
	c.stats.dictAsc = true
	if spec.Name == cfg.TimeColumn {
		f := spec.Format
		if f == "" || spec.DataType == schema.TypeTimestamp {
			f = "TIMESTAMP"
		}
		tf, err := fn.ParseTimeFormat(f)
		if err != nil {
			return nil, err
		}
		c.tf = tf
	}
	switch c.st {
	case schema.StorageInt64:
		c.di.init(hashInt)
	case schema.StorageFloat64:
		c.df.init(hashUint)
	default:
		c.ds.init(stringHasher(seed))
	}
	c.nullDocs = newChunked[uint32](shift, 0)
	switch {
	case c.raw:
		switch c.st {
		case schema.StorageInt64:
			c.ri = newChunked[int64](shift, cfg.Capacity)
		case schema.StorageFloat64:
			c.rf = newChunked[float64](shift, cfg.Capacity)
		default:
			c.rs = newChunked[string](shift, cfg.Capacity)
		}
	case c.mv:
		c.ids = newChunked[uint32](shift, cfg.Capacity)
		c.ends = newChunked[uint32](shift, cfg.Capacity)
	default:
		c.ids = newChunked[uint32](shift, cfg.Capacity)
	}
	if c.inverted {
		c.inv = &invWriter{shift: shift}
	}
	return c, nil
}

func (c *column) dictLen() int {
	switch c.st {
	case schema.StorageInt64:
		return len(c.di.vals)
	case schema.StorageFloat64:
		return len(c.df.vals)
	}
	return len(c.ds.vals)
}

// markNulls records the null rows of b (the first n) as docs base.., and
// returns a per-row null mask, or nil when no row is null.
func (c *column) markNulls(b *segment.ColumnBuffer, base, n int) []bool {
	if b.Nulls == nil || b.Nulls.IsEmpty() {
		return nil
	}
	if cap(c.isNull) < n {
		c.isNull = make([]bool, n)
	}
	mask := c.isNull[:n]
	clear(mask)
	it := b.Nulls.Iterator()
	any := false
	for it.HasNext() {
		r := int(it.Next())
		if r >= n {
			break
		}
		mask[r] = true
		c.nullDocs.set(c.stats.nullCount, uint32(base+r))
		c.stats.nullCount++
		any = true
	}
	if !any {
		return nil
	}
	c.stats.sorted = false
	return mask
}

// appendRows appends rows [0, n) of b as docs base...
func (c *column) appendRows(b *segment.ColumnBuffer, base, n int) {
	isNull := c.markNulls(b, base, n)
	switch {
	case c.mv:
		c.appendMV(b, base, n, isNull)
	case c.raw:
		c.appendRaw(b, base, n, isNull)
	default:
		c.appendDict(b, base, n, isNull)
	}
}

func (c *column) ids32(n int) []uint32 {
	if cap(c.scratch) < n {
		c.scratch = make([]uint32, n, max(n, 2*cap(c.scratch)))
	}
	return c.scratch[:n]
}

// encode adds the values to the dictionary and sets their ids.
func (c *column) encode(b *segment.ColumnBuffer, lo, hi int, ids []uint32) {
	switch c.st {
	case schema.StorageInt64:
		d := &c.di
		for i, v := range b.Ints[lo:hi] {
			ids[i], _ = d.add(v, hashInt(v))
		}
	case schema.StorageFloat64:
		d := &c.df
		for i, v := range b.Floats[lo:hi] {
			x := floatBits(v)
			ids[i], _ = d.add(x, hashUint(x))
		}
	default:
		d := &c.ds
		for i, v := range b.Strs[lo:hi] {
			id, added := d.add(v, d.hash(v))
			if added {
				c.strBytes += int64(len(v))
			}
			ids[i] = id
		}
	}
}

func (c *column) appendDict(b *segment.ColumnBuffer, base, n int, isNull []bool) {
	prevLen := c.dictLen()
	ids := c.ids32(n)
	c.encode(b, 0, n, ids)
	c.checkDictAsc(prevLen)
	c.ids.write(base, ids)
	c.count(ids, prevLen, func(r int) bool { return isNull != nil && isNull[r] })
	if c.stats.sorted {
		c.checkSorted(b, n)
	}
}

// checkDictAsc keeps stats.dictAsc while the values added since prevLen
// continue the ascending order.
func (c *column) checkDictAsc(prevLen int) {
	if !c.stats.dictAsc {
		return
	}
	switch c.st {
	case schema.StorageInt64:
		c.stats.dictAsc = ascending(c.di.vals, prevLen, func(a, b int64) bool { return a < b })
	case schema.StorageFloat64:
		c.stats.dictAsc = ascending(c.df.vals, prevLen, func(a, b uint64) bool {
			x, y := math.Float64frombits(a), math.Float64frombits(b)
			return x < y
		})
	default:
		// BIG_DECIMAL text does not sort numerically.
		c.stats.dictAsc = c.spec.DataType != schema.TypeBigDecimal &&
			ascending(c.ds.vals, prevLen, func(a, b string) bool { return a < b })
	}
}

func ascending[T any](vals []T, from int, less func(a, b T) bool) bool {
	for i := max(from, 1); i < len(vals); i++ {
		if !less(vals[i-1], vals[i]) {
			return false
		}
	}
	return true
}

// count folds values seen for the first time in a non-null row into the
// bounds. Only ids new in this batch, or the default value a null row
// added, can be uncounted, so other rows cost one compare.
func (c *column) count(ids []uint32, prevLen int, null func(r int) bool) {
	for len(c.counted) < c.dictLen() {
		c.counted = append(c.counted, false)
	}
	for r, id := range ids {
		if int(id) < prevLen && int64(id) != c.defID {
			continue
		}
		if c.counted[id] {
			continue
		}
		if null(r) {
			if c.defID < 0 {
				c.defID = int64(id)
			}
			continue
		}
		c.counted[id] = true
		switch c.st {
		case schema.StorageInt64:
			c.boundInt(c.di.vals[id])
		case schema.StorageFloat64:
			c.boundFloat(math.Float64frombits(c.df.vals[id]))
		default:
			c.boundStr(c.ds.vals[id])
		}
	}
}

func (c *column) boundInt(v int64) {
	s := &c.stats
	if !s.hasBound {
		s.minI, s.maxI, s.hasBound = v, v, true
		return
	}
	s.minI, s.maxI = min(s.minI, v), max(s.maxI, v)
}

func (c *column) boundFloat(v float64) {
	s := &c.stats
	if !s.hasBound {
		s.minF, s.maxF, s.hasBound = v, v, true
		return
	}
	s.minF, s.maxF = min(s.minF, v), max(s.maxF, v)
}

func (c *column) boundStr(v string) {
	s := &c.stats
	if !s.hasBound {
		s.minS, s.maxS, s.hasBound = v, v, true
	} else {
		if v < s.minS {
			s.minS = v
		}
		if v > s.maxS {
			s.maxS = v
		}
	}
	if c.tf != nil {
		// A time column stored as text: its text order is not its time
		// order, so each distinct value is converted once.
		if ms, err := c.tf.ToMillis(v); err == nil {
			if !s.hasTime {
				s.timeLo, s.timeHi, s.hasTime = ms, ms, true
			} else {
				s.timeLo, s.timeHi = min(s.timeLo, ms), max(s.timeHi, ms)
			}
		}
	}
}

// checkSorted keeps stats.sorted while values never decrease (nulls have
// already cleared it).
func (c *column) checkSorted(b *segment.ColumnBuffer, n int) {
	switch c.st {
	case schema.StorageInt64:
		for _, v := range b.Ints[:n] {
			if c.hasPrev && v < c.prevI {
				c.stats.sorted = false
				return
			}
			c.prevI, c.hasPrev = v, true
		}
	case schema.StorageFloat64:
		for _, v := range b.Floats[:n] {
			if c.hasPrev && !(v >= c.prevF) {
				c.stats.sorted = false
				return
			}
			c.prevF, c.hasPrev = v, true
		}
	default:
		for _, v := range b.Strs[:n] {
			if c.hasPrev && strings.Compare(v, c.prevS) < 0 {
				c.stats.sorted = false
				return
			}
			c.prevS, c.hasPrev = v, true
		}
	}
}

func (c *column) appendRaw(b *segment.ColumnBuffer, base, n int, isNull []bool) {
	prevLen := c.dictLen()
	ids := c.ids32(n)
	switch c.st {
	case schema.StorageInt64:
		c.ri.write(base, b.Ints[:n])
	case schema.StorageFloat64:
		c.rf.write(base, b.Floats[:n])
	default:
		c.rs.write(base, b.Strs[:n])
	}
	// The distinct set gives the exact cardinality and the bounds.
	c.encode(b, 0, n, ids)
	c.count(ids, prevLen, func(r int) bool { return isNull != nil && isNull[r] })
	if c.stats.sorted {
		c.checkSorted(b, n)
	}
}

func (c *column) appendMV(b *segment.ColumnBuffer, base, n int, isNull []bool) {
	off := b.Offsets
	lo, hi := int(off[0]), int(off[n])
	prevLen := c.dictLen()
	ids := c.ids32(hi - lo)
	c.encode(b, lo, hi, ids)
	c.checkDictAsc(prevLen)
	c.ids.write(c.stats.totalValues, ids)
	start := c.stats.totalValues
	for r := 0; r < n; r++ {
		k := int(off[r+1] - off[r])
		c.stats.maxPerDoc = max(c.stats.maxPerDoc, k)
		c.ends.set(base+r, uint32(start+int(off[r+1])-lo))
	}
	c.stats.totalValues += hi - lo
	// The value's row, for the null check: rows are few per batch next to
	// values only when lists are long, so a walk of the offsets is cheap.
	row := 0
	c.count(ids, prevLen, func(v int) bool {
		for int(off[row+1])-lo <= v {
			row++
		}
		return isNull != nil && isNull[row]
	})
}

// colState is what readers see of a column, fixed at a publication.
type colState struct {
	colStats
	dictLen int
	dictI   []int64
	dictF   []uint64
	dictS   []string
	ids     view[uint32]
	ends    view[uint32]
	ri      view[int64]
	rf      view[float64]
	rs      view[string]

	nullDocs        view[uint32]
	frozenNulls     *roaring.Bitmap
	frozenNullCount int
	inv             invState
}

func (c *column) state() colState {
	s := colState{colStats: c.stats, dictLen: c.dictLen(), nullDocs: c.nullDocs.view(),
		frozenNulls: c.frozenNulls, frozenNullCount: c.frozenNullCount}
	if !c.raw {
		s.dictI, s.dictF, s.dictS = c.di.vals, c.df.vals, c.ds.vals
	}
	s.ids, s.ends = c.ids.view(), c.ends.view()
	s.ri, s.rf, s.rs = c.ri.view(), c.rf.view(), c.rs.view()
	if c.inv != nil {
		s.inv = c.inv.state()
	}
	return s
}

// freeze folds the rows [from, to) into the frozen null bitmap and the
// inverted index.
func (c *column) freeze(from, to int) {
	if c.stats.nullCount > c.frozenNullCount {
		bm := roaring.New()
		if c.frozenNulls != nil {
			bm = c.frozenNulls.Clone()
		}
		v := c.nullDocs.view()
		bm.AddMany(v.appendRange(nil, c.frozenNullCount, c.stats.nullCount))
		c.frozenNulls, c.frozenNullCount = bm, c.stats.nullCount
	}
	if c.inv != nil {
		c.inv.freeze(c, from, to)
	}
}

// sizeBytes estimates the memory the column holds.
func (c *column) sizeBytes() int64 {
	n := c.ids.bytes(4) + c.ends.bytes(4) + c.ri.bytes(8) + c.rf.bytes(8) + c.rs.bytes(16) + c.nullDocs.bytes(4)
	n += int64(cap(c.di.vals))*8 + int64(cap(c.df.vals))*8 + int64(cap(c.ds.vals))*16 + c.strBytes
	n += c.di.tableBytes() + c.df.tableBytes() + c.ds.tableBytes() + int64(cap(c.counted))
	if c.frozenNulls != nil {
		n += int64(c.frozenNulls.GetSizeInBytes())
	}
	if c.inv != nil {
		n += c.inv.bytes
	}
	return n
}
