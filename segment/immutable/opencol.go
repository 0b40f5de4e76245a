package immutable

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"github.com/tannin-db/tannin/index/bitmap"
	"github.com/tannin-db/tannin/index/bloom"
	"github.com/tannin-db/tannin/index/inverted"
	"github.com/tannin-db/tannin/index/rangeindex"
	"github.com/tannin-db/tannin/index/sorted"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// maxZstdRatio bounds the raw size a compressed dictionary may claim
// relative to its stored size, so that a forged length cannot make Open
// allocate without bound.
const maxZstdRatio = 256

// maxChunkValues bounds the values per raw numeric chunk (and so what
// decompressing one allocates).
const maxChunkValues = 1 << 16

// openColumn checks and decodes column col's sections.
func (s *Segment) openColumn(col uint32, cm *segment.ColumnMeta, sections map[sectionKey]stored) (*column, error) {
	c := &column{seg: s, meta: cm, numDocs: s.meta.NumDocs}
	storage := cm.DataType.Storage()
	// A sorted dictionary column answers equality and ranges from its doc
	// order: it has no inverted or range section.
	sortedDict := cm.SingleValue && cm.HasDictionary && cm.Sorted
	want := map[kind]bool{
		kindDictionary: cm.HasDictionary,
		kindForward:    true,
		kindNulls:      cm.NullCount > 0,
		kindInverted:   cm.HasInverted && !sortedDict,
		kindRange:      cm.HasRange && cm.SingleValue && !sortedDict,
		kindBloom:      cm.HasBloom,
	}
	if cm.HasRange && !cm.SingleValue && !cm.HasInverted {
		return nil, sectionError(s.name, cm, kindRange, corruptf("a multi-value range index needs the inverted index"))
	}
	if cm.HasInverted && !cm.HasDictionary {
		return nil, sectionError(s.name, cm, kindInverted, corruptf("inverted index on a column without a dictionary"))
	}
	if cm.HasRange && !cm.HasDictionary && storage != schema.StorageInt64 && storage != schema.StorageFloat64 {
		return nil, sectionError(s.name, cm, kindRange, corruptf("range index on a raw %v column", cm.DataType))
	}
	body := make(map[kind]sectionHeader)
	payload := make(map[kind][]byte)
	for k := kindDictionary; k < kindLimit; k++ {
		st, ok := sections[sectionKey{col, k}]
		if ok != want[k] {
			if ok {
				return nil, sectionError(s.name, cm, k, corruptf("section present, the metadata says none"))
			}
			return nil, sectionError(s.name, cm, k, corruptf("section missing"))
		}
		if !ok {
			continue
		}
		if crc(st.data) != st.crc {
			return nil, sectionError(s.name, cm, k, ErrChecksum)
		}
		h, p, err := parseSectionHeader(st.data)
		if err != nil {
			return nil, sectionError(s.name, cm, k, err)
		}
		body[k], payload[k] = h, p
	}
	steps := []struct {
		k kind
		f func(sectionHeader, []byte) error
	}{
		{kindDictionary, c.openDictionary},
		{kindForward, c.openForward},
		{kindNulls, c.openNulls},
		{kindInverted, c.openInverted},
		{kindRange, c.openRange},
		{kindBloom, c.openBloom},
	}
	for _, st := range steps {
		h, ok := body[st.k]
		if !ok {
			continue
		}
		if err := st.f(h, payload[st.k]); err != nil {
			return nil, sectionError(s.name, cm, st.k, wrapCorrupt(err))
		}
	}
	c.initIndexes()
	return c, nil
}

func (c *column) openDictionary(h sectionHeader, p []byte) error {
	cm := c.meta
	card := int(h.count)
	if card != cm.Cardinality {
		return corruptf("%d values, the metadata says %d", card, cm.Cardinality)
	}
	if bitsFor(card) != cm.BitWidth {
		return corruptf("bit width %d does not fit %d values", cm.BitWidth, card)
	}
	d := &segment.Dictionary{Type: cm.DataType, Sorted: true}
	switch cm.DataType.Storage() {
	case schema.StorageInt64, schema.StorageFloat64:
		decimal := h.enc == encDecimalDelta && cm.DataType.Storage() == schema.StorageFloat64
		if !(h.enc == encNumericDelta && h.b == 0 || decimal && h.b <= 18) {
			return corruptf("encoding %d/%d is not a numeric dictionary", h.enc, h.b)
		}
		// Check the length before allocating: it bounds card by the
		// section size (deltas are >= 1, so a width of 0 allows one key).
		if card > 1 && h.a == 0 {
			return corruptf("%d keys with zero-width deltas", card)
		}
		if card > 0 && (len(p) < 8 || encoding.CheckPacked(p[8:], card-1, int(h.a), 64) != nil) {
			return corruptf("%d bytes do not hold %d keys of %d-bit deltas", len(p), card, h.a)
		}
		keys := make([]uint64, card)
		if err := encoding.DecodeKeyDict(p, card, int(h.a), keys); err != nil {
			return err
		}
		if card > 0 {
			if cm.DataType.Storage() == schema.StorageInt64 {
				ints := unsafe.Slice((*int64)(unsafe.Pointer(&keys[0])), card)
				for i, k := range keys {
					ints[i] = encoding.KeyInt64(k)
				}
				d.Ints = ints
			} else {
				fl := unsafe.Slice((*float64)(unsafe.Pointer(&keys[0])), card)
				p := math.Pow10(int(h.b))
				prev := uint64(0)
				for i, k := range keys {
					if decimal {
						fl[i] = float64(encoding.KeyInt64(k)) / p
						// Distinct scaled integers must stay distinct floats.
						if fk := encoding.Float64Key(fl[i]); i > 0 && fk <= prev {
							return corruptf("decimal dictionary values %d and %d are not increasing", i-1, i)
						} else {
							prev = fk
						}
					} else {
						fl[i] = encoding.KeyFloat64(k)
					}
				}
				d.Floats = fl
			}
		}
	default:
		if h.a != 0 || h.b != 0 {
			return corruptf("string dictionary parameters %d/%d are not zero", h.a, h.b)
		}
		raw := p
		switch h.enc {
		case encStringPlain:
		case encStringZstd:
			if len(p) < 8 {
				return corruptf("compressed dictionary of %d bytes has no length", len(p))
			}
			rawLen := binary.LittleEndian.Uint64(p)
			if rawLen > math.MaxInt32 || rawLen > uint64(len(p))*maxZstdRatio+(1<<16) {
				return corruptf("compressed dictionary claims %d raw bytes from %d", rawLen, len(p))
			}
			raw, err := c.seg.decompressor().Decompress(make([]byte, 0, rawLen), p[8:], encoding.CodecZstd, int(rawLen))
			if err != nil {
				return err
			}
			strs, err := parseStringLengths(raw, card)
			if err != nil {
				return err
			}
			d.Strs = strs
			c.dict, c.card = d, card
			return nil
		default:
			return corruptf("encoding %d is not a string dictionary", h.enc)
		}
		strs, err := parseStringDict(raw, card)
		if err != nil {
			return err
		}
		d.Strs = strs
	}
	c.dict = d
	c.card = card
	return nil
}

// parseStringLengths views u32 lengths[card] then bytes: strings point
// into b. Values must strictly increase.
func parseStringLengths(b []byte, card int) ([]string, error) {
	if len(b)/4 < card {
		return nil, corruptf("%d bytes, lengths need %d", len(b), 4*card)
	}
	data := b[4*card:]
	strs := make([]string, card)
	off := 0
	for i := 0; i < card; i++ {
		l := int(binary.LittleEndian.Uint32(b[4*i:]))
		if l > len(data)-off {
			return nil, corruptf("value %d of %d bytes overruns the data", i, l)
		}
		if l > 0 {
			strs[i] = unsafe.String(&data[off], l)
		}
		if i > 0 && strs[i-1] >= strs[i] {
			return nil, corruptf("values %d and %d are not strictly increasing", i-1, i)
		}
		off += l
	}
	if off != len(data) {
		return nil, corruptf("%d value bytes, lengths say %d", len(data), off)
	}
	return strs, nil
}

// parseStringDict views u32 offsets[card+1], pad8, bytes: strings point
// into b. Values must strictly increase.
func parseStringDict(b []byte, card int) ([]string, error) {
	tbl := 4 * (card + 1)
	dataStart := (tbl + 7) &^ 7
	if len(b) < dataStart {
		return nil, corruptf("%d bytes, offset table needs %d", len(b), dataStart)
	}
	data := b[dataStart:]
	strs := make([]string, card)
	prev := uint32(0)
	if binary.LittleEndian.Uint32(b) != 0 {
		return nil, corruptf("first offset is not 0")
	}
	for i := 0; i < card; i++ {
		o := binary.LittleEndian.Uint32(b[4*i+4:])
		if o < prev || int64(o) > int64(len(data)) {
			return nil, corruptf("offset %d out of order or range", i+1)
		}
		if o > prev {
			strs[i] = unsafe.String(&data[prev], int(o-prev))
		}
		if i > 0 && strs[i-1] >= strs[i] {
			return nil, corruptf("values %d and %d are not strictly increasing", i-1, i)
		}
		prev = o
	}
	if int(prev) != len(data) {
		return nil, corruptf("%d value bytes, offsets say %d", len(data), prev)
	}
	return strs, nil
}

func (c *column) openForward(h sectionHeader, p []byte) error {
	cm := c.meta
	n := c.numDocs
	storage := cm.DataType.Storage()
	if cm.HasDictionary && c.card == 0 && (n > 0 || cm.TotalValues > 0) {
		return corruptf("%d docs with an empty dictionary", n)
	}
	switch {
	case !cm.SingleValue:
		if h.enc != encMV {
			return corruptf("encoding %d is not multi-value", h.enc)
		}
		return c.openMV(h, p)
	case cm.HasDictionary && cm.Sorted && h.enc == encRuns:
		if int(h.count) != c.card || h.a != 0 || h.b != 0 {
			return corruptf("runs header (count %d) does not match the dictionary", h.count)
		}
		r, err := sorted.Open(p, c.card, n)
		if err != nil {
			return err
		}
		c.kind, c.runs = fwdRuns, r
		return nil
	case cm.HasDictionary && cm.Sorted && h.enc == encBits:
		if int(h.count) != n || h.a != 0 || h.b != 0 {
			return corruptf("change bits header (count %d) does not match the doc count", h.count)
		}
		r, err := sorted.OpenBits(p, c.card, n)
		if err != nil {
			return err
		}
		c.kind, c.runs = fwdRuns, r
		return nil
	case cm.HasDictionary:
		if h.enc != encPacked || int(h.count) != n || int(h.a) != cm.BitWidth || h.b != 0 {
			return corruptf("encoding %d, count %d, width %d: not packed ids of this column", h.enc, h.count, h.a)
		}
		if err := encoding.CheckPacked(p, n, cm.BitWidth, 32); err != nil {
			return err
		}
		if err := checkIDs(p, cm.BitWidth, 0, n, c.card); err != nil {
			return err
		}
		if cm.Sorted {
			if err := checkNonDecreasing(p, cm.BitWidth, n); err != nil {
				return err
			}
		}
		c.kind, c.packed, c.width = fwdPacked, p, cm.BitWidth
		return nil
	}
	if int(h.count) != n || h.a != 0 || h.b != 0 {
		return corruptf("raw index header count %d or parameters do not match", h.count)
	}
	switch {
	case storage == schema.StorageInt64 && h.enc == encRawInt:
		return c.openNumericChunks(p, func(b []byte, m int) error {
			ch, err := encoding.ParseIntChunk(b, m)
			c.intChunks = append(c.intChunks, ch)
			return err
		}, fwdRawInt)
	case storage == schema.StorageFloat64 && h.enc == encRawFlt:
		return c.openNumericChunks(p, func(b []byte, m int) error {
			ch, err := encoding.ParseFloatChunk(b, m)
			c.fltChunks = append(c.fltChunks, ch)
			return err
		}, fwdRawFloat)
	case (storage == schema.StorageString || storage == schema.StorageBytes) && h.enc == encRawByte:
		return c.openBytesChunks(p)
	}
	return corruptf("encoding %d is not a raw %v index", h.enc, cm.DataType)
}

// checkIDs checks that the packed ids at [from, to) are below card, unless
// the width cannot express an id >= card.
func checkIDs(p []byte, w, from, to, card int) error {
	if w == 0 || uint64(card) >= uint64(1)<<w {
		return nil
	}
	var buf [encoding.BlockLen * 16]uint32
	lim := uint32(card)
	for i := from; i < to; i += len(buf) {
		m := min(len(buf), to-i)
		encoding.Unpack32(p, w, i, buf[:m])
		var mx uint32
		for _, id := range buf[:m] {
			mx = max(mx, id)
		}
		if mx >= lim {
			return corruptf("dictionary id %d at or after value %d is not below the cardinality %d", mx, i, card)
		}
	}
	return nil
}

// checkNonDecreasing checks the packed ids of a column marked sorted.
func checkNonDecreasing(p []byte, w, n int) error {
	var buf [encoding.BlockLen * 16]uint32
	prev := uint32(0)
	for i := 0; i < n; i += len(buf) {
		m := min(len(buf), n-i)
		encoding.Unpack32(p, w, i, buf[:m])
		for j, id := range buf[:m] {
			if id < prev {
				return corruptf("sorted column's id decreases at doc %d", i+j)
			}
			prev = id
		}
	}
	return nil
}

func (c *column) openMV(h sectionHeader, p []byte) error {
	cm := c.meta
	n := c.numDocs
	idW, relW := int(h.a), int(h.b)
	if int(h.count) != n || idW != cm.BitWidth || relW > 32 {
		return corruptf("count %d, widths %d/%d do not match the column", h.count, idW, relW)
	}
	if len(p) < 8 {
		return corruptf("%d bytes, no value count", len(p))
	}
	total := binary.LittleEndian.Uint64(p)
	if total != uint64(cm.TotalValues) {
		return corruptf("%d values, the metadata says %d", total, cm.TotalValues)
	}
	nb := (n + 1 + encoding.BlockLen - 1) / encoding.BlockLen
	bl := (4*nb + 7) &^ 7
	rl := encoding.PackedLen(n+1, relW)
	il := encoding.PackedLen(int(total), idW)
	if len(p) != 8+bl+rl+il {
		return corruptf("%d bytes, want %d", len(p), 8+bl+rl+il)
	}
	bases, rel, ids := p[8:8+4*nb], p[8+bl:8+bl+rl], p[8+bl+rl:]
	var buf [encoding.BlockLen * 16]uint32
	prev := uint64(0)
	maxPer := uint64(0)
	for i := 0; i <= n; i += len(buf) {
		m := min(len(buf), n+1-i)
		encoding.Unpack32(rel, relW, i, buf[:m])
		for j, r := range buf[:m] {
			d := i + j
			if d%encoding.BlockLen == 0 && r != 0 {
				return corruptf("doc %d starts an offset block but is not at its base", d)
			}
			o := uint64(binary.LittleEndian.Uint32(bases[4*(d/encoding.BlockLen):])) + uint64(r)
			if (d == 0 && o != 0) || o < prev || o > total {
				return corruptf("value offset of doc %d out of order or range", d)
			}
			maxPer = max(maxPer, o-prev)
			prev = o
		}
	}
	if prev != total || maxPer != uint64(cm.MaxValuesPerDoc) {
		return corruptf("offsets end at %d with at most %d values per doc; the metadata says %d and %d", prev, maxPer, total, cm.MaxValuesPerDoc)
	}
	if err := checkIDs(ids, idW, 0, int(total), c.card); err != nil {
		return err
	}
	c.kind, c.mvBases, c.mvRel, c.relW, c.mvIDs, c.width = fwdMV, bases, rel, relW, ids, idW
	return nil
}

// openNumericChunks parses the raw int/float directory and each chunk.
func (c *column) openNumericChunks(p []byte, parse func(b []byte, m int) error, k fwdKind) error {
	n := c.numDocs
	if len(p) < 8 {
		return corruptf("%d bytes, no chunk directory", len(p))
	}
	cv := int(binary.LittleEndian.Uint32(p))
	nc := int(binary.LittleEndian.Uint32(p[4:]))
	if cv <= 0 || cv > maxChunkValues || cv&(cv-1) != 0 || nc != (n+cv-1)/cv {
		return corruptf("%d chunks of %d values for %d docs", nc, cv, n)
	}
	chunks, err := chunkSpans(p[8:], nc)
	if err != nil {
		return err
	}
	for i, ch := range chunks {
		if err := parse(ch, min(cv, n-i*cv)); err != nil {
			return corruptf("chunk %d: %w", i, err)
		}
	}
	c.kind, c.chunkShift = k, bits.TrailingZeros(uint(cv))
	return nil
}

// chunkSpans reads u64 offsets[nc+1] and returns the chunks of the area
// that follows.
func chunkSpans(p []byte, nc int) ([][]byte, error) {
	dir := 8 * (nc + 1)
	if len(p) < dir {
		return nil, corruptf("%d bytes, chunk offsets need %d", len(p), dir)
	}
	area := p[dir:]
	chunks := make([][]byte, nc)
	prev := uint64(0)
	for i := 0; i <= nc; i++ {
		o := binary.LittleEndian.Uint64(p[8*i:])
		if (i == 0 && o != 0) || o < prev || o > uint64(len(area)) {
			return nil, corruptf("chunk offset %d out of order or range", i)
		}
		if i > 0 {
			chunks[i-1] = area[prev:o]
		}
		prev = o
	}
	if prev != uint64(len(area)) {
		return nil, corruptf("chunks take %d bytes, offsets say %d", len(area), prev)
	}
	return chunks, nil
}

func (c *column) openBytesChunks(p []byte) error {
	n := c.numDocs
	if len(p) < 8 {
		return corruptf("%d bytes, no chunk directory", len(p))
	}
	nc := int(binary.LittleEndian.Uint32(p))
	if binary.LittleEndian.Uint32(p[4:]) != 0 || nc > n {
		return corruptf("%d chunks for %d docs", nc, n)
	}
	fl := 4 * (nc + 1)
	dirStart := 8 + (fl+7)&^7
	if len(p) < dirStart {
		return corruptf("%d bytes, first docs need %d", len(p), dirStart)
	}
	firsts := make([]uint32, nc+1)
	for i := range firsts {
		firsts[i] = binary.LittleEndian.Uint32(p[8+4*i:])
		if (i == 0 && firsts[i] != 0) || (i > 0 && firsts[i] <= firsts[i-1]) {
			return corruptf("chunk first doc %d out of order", i)
		}
	}
	if int(firsts[nc]) != n {
		return corruptf("chunks end at doc %d of %d", firsts[nc], n)
	}
	chunks, err := chunkSpans(p[dirStart:], nc)
	if err != nil {
		return err
	}
	for i, ch := range chunks {
		if err := encoding.CheckBytesChunk(ch, int(firsts[i+1]-firsts[i])); err != nil {
			return corruptf("chunk %d: %w", i, err)
		}
	}
	c.kind, c.firstDocs, c.byteChunks = fwdRawBytes, firsts, chunks
	return nil
}

func (c *column) openNulls(h sectionHeader, p []byte) error {
	if h.enc != encRoaring || h.a != 0 || h.b != 0 || int(h.count) != c.meta.NullCount {
		return corruptf("header %d/%d/%d does not describe %d nulls", h.enc, h.a, h.count, c.meta.NullCount)
	}
	bm, err := bitmap.Open(p, uint32(c.numDocs))
	if err != nil {
		return err
	}
	if bm.GetCardinality() != uint64(c.meta.NullCount) {
		return corruptf("%d null docs, the metadata says %d", bm.GetCardinality(), c.meta.NullCount)
	}
	c.nulls = bm
	return nil
}

func (c *column) openInverted(h sectionHeader, p []byte) error {
	if h.enc != encRoaring || h.a != 0 || h.b != 0 || int(h.count) != c.card {
		return corruptf("header %d/%d for %d ids, the dictionary has %d", h.enc, h.a, h.count, c.card)
	}
	ix, err := inverted.Open(p, c.card, c.numDocs)
	if err != nil {
		return err
	}
	c.inv = ix
	return nil
}

func (c *column) openRange(h sectionHeader, p []byte) error {
	if int(h.count) != c.numDocs {
		return corruptf("%d docs, the segment has %d", h.count, c.numDocs)
	}
	var ix *rangeindex.Index
	var err error
	switch {
	case c.meta.HasDictionary && h.enc == encRangeIDs && h.b == 0:
		ix, err = rangeindex.OpenIDs(p, int(h.a), c.card, c.numDocs)
	case !c.meta.HasDictionary && h.enc == encSortedIDs:
		ix, err = rangeindex.Open(p, int(h.a), int(h.b), c.numDocs)
	default:
		return corruptf("encoding %d does not fit the column", h.enc)
	}
	if err != nil {
		return err
	}
	c.rng = ix
	return nil
}

func (c *column) openBloom(h sectionHeader, p []byte) error {
	k := bloomKind(c.meta.DataType)
	if h.enc != encBloomV3 || h.a != byte(k) || h.b != 0 || h.count != 0 {
		return corruptf("header %d/%d does not describe a %v filter", h.enc, h.a, k)
	}
	f, err := bloom.Open(p, k)
	if err != nil {
		return err
	}
	c.bloomF = f
	return nil
}
