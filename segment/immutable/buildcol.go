package immutable

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tannin-db/tannin/index/bloom"
	"github.com/tannin-db/tannin/index/sorted"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// stringDictCompressMin is the size from which a string dictionary is
// stored zstd-compressed (when that saves an eighth).
const stringDictCompressMin = 64 << 10

// column encodes one column's sections and returns its metadata.
func (b *builder) column(col uint32, c *segment.ColumnBuffer) (*segment.ColumnMeta, error) {
	spec := c.Spec
	cm := &segment.ColumnMeta{Name: spec.Name, DataType: spec.DataType, SingleValue: spec.SingleValue}
	var err error
	switch {
	case !spec.SingleValue:
		err = b.mvColumn(col, c, cm)
	case b.noDict[spec.Name]:
		err = b.rawColumn(col, c, cm)
	default:
		err = b.dictColumn(col, c, cm)
	}
	if err != nil {
		return nil, err
	}
	b.nulls(col, c, cm)
	return cm, nil
}

// svValues returns the single-value column's values in the output doc
// order, in b's scratch slices when rows are reordered.
func (b *builder) svValues(c *segment.ColumnBuffer) (ints []int64, floats []float64, strs []string) {
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		if b.perm == nil {
			return c.Ints, nil, nil
		}
		b.ints = gather(b.ints, c.Ints, b.perm)
		return b.ints, nil, nil
	case schema.StorageFloat64:
		if b.perm == nil {
			return nil, c.Floats, nil
		}
		b.floats = gather(b.floats, c.Floats, b.perm)
		return nil, b.floats, nil
	}
	if b.perm == nil {
		return nil, nil, c.Strs
	}
	b.strs = gather(b.strs, c.Strs, b.perm)
	return nil, nil, b.strs
}

// dictionary holds a column's sorted distinct values: keys for numeric
// columns, strs for strings and bytes.
type dictionary struct {
	storage schema.Storage
	keys    []uint64
	strs    []string
}

func (d *dictionary) card() int {
	if d.storage == schema.StorageInt64 || d.storage == schema.StorageFloat64 {
		return len(d.keys)
	}
	return len(d.strs)
}

func (d *dictionary) bound(i int) segment.Bound {
	switch d.storage {
	case schema.StorageInt64:
		return segment.Bound{Int: encoding.KeyInt64(d.keys[i])}
	case schema.StorageFloat64:
		return segment.Bound{Float: encoding.KeyFloat64(d.keys[i])}
	}
	return segment.Bound{Str: d.strs[i]}
}

// buildDict fills b.ids (len n) with the ids of the values.
func (b *builder) buildDict(storage schema.Storage, ints []int64, floats []float64, strs []string) dictionary {
	n := max(len(ints), len(floats), len(strs))
	b.ids = resize(b.ids, n)
	d := dictionary{storage: storage}
	switch storage {
	case schema.StorageInt64:
		b.keys = encoding.AppendInt64Keys(slices.Grow(b.keys[:0], n), ints)
		d.keys = b.db.Keys(b.keys, b.ids)
	case schema.StorageFloat64:
		d.keys = b.db.Float64s(floats, b.ids)
	default:
		d.strs = b.db.Strings(strs, b.ids)
	}
	return d
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

func (b *builder) dictColumn(col uint32, c *segment.ColumnBuffer, cm *segment.ColumnMeta) error {
	// The dictionary is built in input order (sequential reads of the
	// values), then the ids follow the rows' new order.
	d := b.buildDict(c.Spec.DataType.Storage(), c.Ints, c.Floats, c.Strs)
	ids := b.ids
	if b.perm != nil {
		b.pids = gather(b.pids, ids, b.perm)
		ids = b.pids
	}
	card := d.card()
	cm.HasDictionary = true
	cm.Cardinality = card
	cm.BitWidth = bitsFor(card)
	if card > 0 {
		cm.Min, cm.Max = d.bound(0), d.bound(card-1)
	}
	cm.Sorted = sorted.IsSorted(ids)
	b.dictSection(col, &d)

	// A sorted column answers equality and ranges from its doc order
	// alone, without other indexes. It is stored in the smallest of three
	// forms: its runs (4 bytes an id), its change bits (about a bit a doc),
	// or packed ids (searched by bisection).
	n := b.numDocs
	runsLen, bitsLen, packedLen := 4*(card+1), sorted.BitsLen(n), encoding.PackedLen(n, cm.BitWidth)
	switch {
	case cm.Sorted && runsLen <= bitsLen && runsLen <= packedLen:
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRuns, count: uint32(card)})
		b.sec = sorted.AppendRuns(b.sec, ids, card)
	case cm.Sorted && bitsLen <= packedLen:
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encBits, count: uint32(n)})
		b.sec = sorted.AppendBits(b.sec, ids)
	default:
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encPacked, a: byte(cm.BitWidth), count: uint32(n)})
		b.sec = encoding.AppendPacked32(b.sec, ids, cm.BitWidth)
	}
	b.w.section(col, kindForward, b.sec)

	name := c.Spec.Name
	cm.HasInverted = b.inverted[name]
	cm.HasRange = b.ranged[name]
	if cm.HasInverted && !cm.Sorted {
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRoaring, count: uint32(card)})
		b.sec = b.invB.AppendSV(b.sec, ids, card)
		b.w.section(col, kindInverted, b.sec)
	}
	if cm.HasRange && !cm.Sorted {
		var dw int
		b.area, dw = b.rngB.AppendIDs(b.area[:0], ids, card)
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRangeIDs, a: byte(dw), count: uint32(len(ids))})
		b.sec = append(b.sec, b.area...)
		b.w.section(col, kindRange, b.sec)
	}
	b.bloomSection(col, c, cm, &d)
	return nil
}

func (b *builder) rangeSection(col uint32, ids []uint32, keyOf []uint64) {
	var dw, kw int
	b.area, dw, kw = b.rngB.Append(b.area[:0], ids, keyOf)
	b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encSortedIDs, a: byte(dw), b: byte(kw), count: uint32(len(ids))})
	b.sec = append(b.sec, b.area...)
	b.w.section(col, kindRange, b.sec)
}

func (b *builder) dictSection(col uint32, d *dictionary) {
	card := d.card()
	switch d.storage {
	case schema.StorageInt64, schema.StorageFloat64:
		h := sectionHeader{enc: encNumericDelta, count: uint32(card)}
		keys := d.keys
		if d.storage == schema.StorageFloat64 {
			// Decimals (prices, rates) are stored as scaled integers:
			// their deltas are small where those of float bits are not.
			if e, ints, ok := decimalKeys(d.keys, b.keys); ok {
				h.enc, h.b, keys, b.keys = encDecimalDelta, byte(e), ints, ints
			}
		}
		b.sec = appendSectionHeader(b.sec[:0], h)
		var w int
		b.sec, w, b.u64 = encoding.AppendKeyDict(b.sec, keys, b.u64)
		b.sec[1] = byte(w)
	default:
		size := 0
		for _, v := range d.strs {
			size += len(v)
		}
		if size >= stringDictCompressMin {
			// Compressed, the values' lengths (often equal: they compress
			// to nothing) replace the offsets the reader rebuilds anyway.
			raw := slices.Grow(b.area[:0], 4*card+size)
			for _, v := range d.strs {
				raw = binary.LittleEndian.AppendUint32(raw, uint32(len(v)))
			}
			for _, v := range d.strs {
				raw = append(raw, v...)
			}
			b.area = raw
			b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encStringZstd, count: uint32(card)})
			b.sec = binary.LittleEndian.AppendUint64(b.sec, uint64(len(raw)))
			start := len(b.sec)
			b.sec = b.comp.Compress(b.sec, raw, encoding.CodecZstd)
			if len(b.sec)-start < len(raw)*7/8 {
				break
			}
		}
		b.area = appendStringDict(b.area[:0], d.strs)
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encStringPlain, count: uint32(card)})
		b.sec = append(b.sec, b.area...)
	}
	b.w.section(col, kindDictionary, b.sec)
}

// decimalKeys returns the Int64Keys of round(v*10^e) for the float keys
// when every value is such a decimal (the scaling is exact and monotonic,
// so the keys stay strictly increasing).
func decimalKeys(keys []uint64, scratch []uint64) (int, []uint64, bool) {
	vals := make([]float64, len(keys))
	for i, k := range keys {
		vals[i] = encoding.KeyFloat64(k)
	}
	e, ok := encoding.DecimalExponent(vals)
	if !ok {
		return 0, nil, false
	}
	p := math.Pow10(e)
	out := scratch[:0]
	for _, v := range vals {
		out = append(out, encoding.Int64Key(int64(math.Round(v*p))))
	}
	return e, out, true
}

// appendStringDict appends u32 offsets[n+1], pad8, bytes.
func appendStringDict(dst []byte, strs []string) []byte {
	size := 4*(len(strs)+1) + 8
	for _, s := range strs {
		size += len(s)
	}
	dst = slices.Grow(dst, size)
	off := uint32(0)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	for _, s := range strs {
		off += uint32(len(s))
		dst = binary.LittleEndian.AppendUint32(dst, off)
	}
	dst = encoding.Pad8(dst)
	for _, s := range strs {
		dst = append(dst, s...)
	}
	return dst
}

func bloomKind(t schema.DataType) bloom.Kind {
	switch t.Storage() {
	case schema.StorageInt64:
		return bloom.Int64
	case schema.StorageFloat64:
		return bloom.Float64
	case schema.StorageBytes:
		return bloom.Bytes
	}
	return bloom.String
}

func (b *builder) bloomSection(col uint32, c *segment.ColumnBuffer, cm *segment.ColumnMeta, d *dictionary) {
	if !b.bloomed[c.Spec.Name] {
		return
	}
	cm.HasBloom = true
	k := bloomKind(c.Spec.DataType)
	f := bloom.New(k, d.card(), b.cfg.BloomFPP)
	// When most values are distinct, adding the input in its order (equal
	// values add the same bits) reads memory sequentially, where the
	// sorted dictionary points all over it.
	if total := max(len(c.Ints), len(c.Floats), len(c.Strs)); 2*d.card() > total {
		switch d.storage {
		case schema.StorageInt64:
			for _, v := range c.Ints {
				f.AddInt64(v)
			}
		case schema.StorageFloat64:
			for _, v := range c.Floats {
				f.AddFloat64(v)
			}
		default:
			for _, v := range c.Strs {
				f.AddString(v)
			}
		}
	} else {
		b.addDict(f, d)
	}
	b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encBloomV3, a: byte(k)})
	b.sec = f.Append(b.sec)
	b.w.section(col, kindBloom, b.sec)
}

func (b *builder) addDict(f *bloom.Filter, d *dictionary) {
	switch d.storage {
	case schema.StorageInt64:
		for _, key := range d.keys {
			f.AddInt64(encoding.KeyInt64(key))
		}
	case schema.StorageFloat64:
		for _, key := range d.keys {
			f.AddFloat64(encoding.KeyFloat64(key))
		}
	default:
		for _, s := range d.strs {
			f.AddString(s)
		}
	}
}

func (b *builder) nulls(col uint32, c *segment.ColumnBuffer, cm *segment.ColumnMeta) {
	if c.Nulls == nil || c.Nulls.IsEmpty() {
		return
	}
	cm.NullCount = int(c.Nulls.GetCardinality())
	docs := slices.Grow(b.offsets[:0], cm.NullCount)
	it := c.Nulls.Iterator()
	for it.HasNext() {
		d := it.Next()
		if b.inv != nil {
			d = b.inv[d]
		}
		docs = append(docs, d)
	}
	if b.inv != nil {
		slicesSortU32(docs)
	}
	b.offsets = docs
	b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRoaring, count: uint32(cm.NullCount)})
	b.sec = slices.Grow(b.sec, 2*len(docs)+64)
	b.sec = b.bmw.AppendSorted(b.sec, docs)
	b.w.section(col, kindNulls, b.sec)
}

func (b *builder) mvColumn(col uint32, c *segment.ColumnBuffer, cm *segment.ColumnMeta) error {
	storage := c.Spec.DataType.Storage()
	d := b.buildDict(storage, c.Ints, c.Floats, c.Strs)
	ids, offsets := b.ids, c.Offsets
	total := len(ids)
	if total > math.MaxUint32 {
		return fmt.Errorf("%d values is over the limit of %d", total, uint32(math.MaxUint32))
	}
	if b.perm != nil {
		newOffs := make([]uint32, 1, b.numDocs+1)
		newIDs := make([]uint32, 0, total)
		for _, o := range b.perm {
			newIDs = append(newIDs, ids[offsets[o]:offsets[o+1]]...)
			newOffs = append(newOffs, uint32(len(newIDs)))
		}
		ids, offsets = newIDs, newOffs
	}
	card := d.card()
	cm.HasDictionary = true
	cm.Cardinality = card
	cm.BitWidth = bitsFor(card)
	cm.TotalValues = total
	for i := 0; i < b.numDocs; i++ {
		cm.MaxValuesPerDoc = max(cm.MaxValuesPerDoc, int(offsets[i+1]-offsets[i]))
	}
	if card > 0 {
		cm.Min, cm.Max = d.bound(0), d.bound(card-1)
	}
	b.dictSection(col, &d)

	// Offsets: a u32 base per 64 docs and each doc's offset from its
	// block's base, packed: a few bits a doc where absolute offsets take
	// bits(total), and still one load each.
	rel := resize(b.pids, len(offsets))
	var maxRel uint32
	for d, o := range offsets {
		rel[d] = o - offsets[d&^(encoding.BlockLen-1)]
		maxRel = max(maxRel, rel[d])
	}
	b.pids = rel
	rw := encoding.BitWidth(uint64(maxRel))
	b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encMV, a: byte(cm.BitWidth), b: byte(rw), count: uint32(b.numDocs)})
	b.sec = binary.LittleEndian.AppendUint64(b.sec, uint64(total))
	for d := 0; d < len(offsets); d += encoding.BlockLen {
		b.sec = binary.LittleEndian.AppendUint32(b.sec, offsets[d])
	}
	b.sec = encoding.Pad8(b.sec)
	b.sec = encoding.AppendPacked32(b.sec, rel, rw)
	b.sec = encoding.AppendPacked32(b.sec, ids, cm.BitWidth)
	b.w.section(col, kindForward, b.sec)

	// Multi-value columns answer ranges from their inverted index.
	name := c.Spec.Name
	cm.HasRange = b.ranged[name]
	cm.HasInverted = b.inverted[name] || cm.HasRange
	if cm.HasInverted {
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRoaring, count: uint32(card)})
		b.sec = b.invB.AppendMV(b.sec, offsets, ids, card)
		b.w.section(col, kindInverted, b.sec)
	}
	b.bloomSection(col, c, cm, &d)
	return nil
}

func (b *builder) rawColumn(col uint32, c *segment.ColumnBuffer, cm *segment.ColumnMeta) error {
	ints, floats, strs := b.svValues(c)
	storage := c.Spec.DataType.Storage()
	n := b.numDocs
	// The exact cardinality, and ids for the range index, come from the
	// dictionary the column does not store.
	d := b.buildDict(storage, ints, floats, strs)
	cm.Cardinality = d.card()
	if n > 0 {
		cm.Min, cm.Max = d.bound(0), d.bound(d.card()-1)
	}
	switch storage {
	case schema.StorageInt64:
		cm.Sorted = nonDecreasing(ints, func(a, b int64) bool { return a <= b })
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRawInt, count: uint32(n)})
		b.sec = b.numericChunks(b.sec, n, func(dst []byte, lo, hi int) []byte {
			return encoding.AppendIntChunk(dst, ints[lo:hi], &b.chunkScratch)
		})
	case schema.StorageFloat64:
		cm.Sorted = nonDecreasing(floats, func(a, b float64) bool { return encoding.Float64Key(a) <= encoding.Float64Key(b) })
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRawFlt, count: uint32(n)})
		b.sec = b.numericChunks(b.sec, n, func(dst []byte, lo, hi int) []byte {
			return encoding.AppendFloatChunk(dst, floats[lo:hi], encoding.CodecZstd, &b.comp, &b.chunkScratch)
		})
	default:
		cm.Sorted = nonDecreasing(strs, func(a, b string) bool { return strings.Compare(a, b) <= 0 })
		b.sec = appendSectionHeader(b.sec[:0], sectionHeader{enc: encRawByte, count: uint32(n)})
		b.sec = b.bytesChunks(b.sec, strs)
	}
	b.w.section(col, kindForward, b.sec)
	if b.ranged[c.Spec.Name] {
		cm.HasRange = true
		b.rangeSection(col, b.ids, d.keys)
	}
	b.bloomSection(col, c, cm, &d)
	return nil
}

func nonDecreasing[T any](vals []T, le func(a, b T) bool) bool {
	for i := 1; i < len(vals); i++ {
		if !le(vals[i-1], vals[i]) {
			return false
		}
	}
	return true
}

// numericChunks appends the chunk directory and the chunks of n values.
func (b *builder) numericChunks(dst []byte, n int, chunk func(dst []byte, lo, hi int) []byte) []byte {
	const cv = encoding.NumericChunkValues
	nc := (n + cv - 1) / cv
	dst = binary.LittleEndian.AppendUint32(dst, cv)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(nc))
	dir := len(dst)
	for range nc + 1 {
		dst = binary.LittleEndian.AppendUint64(dst, 0)
	}
	area := len(dst)
	for i := 0; i < nc; i++ {
		binary.LittleEndian.PutUint64(dst[dir+8*i:], uint64(len(dst)-area))
		dst = chunk(dst, i*cv, min((i+1)*cv, n))
	}
	binary.LittleEndian.PutUint64(dst[dir+8*nc:], uint64(len(dst)-area))
	return dst
}

// bytesChunks appends the directory (chunk count, first docs, offsets) and
// the chunks of variable-length values.
func (b *builder) bytesChunks(dst []byte, vals []string) []byte {
	firsts := b.offsets[:0]
	for lo := 0; lo < len(vals); {
		firsts = append(firsts, uint32(lo))
		lo = encoding.NextBytesChunk(vals, lo)
	}
	nc := len(firsts)
	firsts = append(firsts, uint32(len(vals)))
	b.offsets = firsts
	dst = binary.LittleEndian.AppendUint32(dst, uint32(nc))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	for _, f := range firsts {
		dst = binary.LittleEndian.AppendUint32(dst, f)
	}
	dst = encoding.Pad8(dst)
	dir := len(dst)
	for range nc + 1 {
		dst = binary.LittleEndian.AppendUint64(dst, 0)
	}
	area := len(dst)
	for i := 0; i < nc; i++ {
		binary.LittleEndian.PutUint64(dst[dir+8*i:], uint64(len(dst)-area))
		dst = encoding.AppendBytesChunk(dst, vals[firsts[i]:firsts[i+1]], encoding.CodecZstd, &b.comp, &b.chunkScratch)
	}
	binary.LittleEndian.PutUint64(dst[dir+8*nc:], uint64(len(dst)-area))
	return dst
}
