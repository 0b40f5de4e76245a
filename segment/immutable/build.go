package immutable

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/index/bitmap"
	"github.com/tannin-db/tannin/index/inverted"
	"github.com/tannin-db/tannin/index/rangeindex"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// BuildConfig describes the segment to build: its identity, the indexes
// each column gets, and where its rows come from.
type BuildConfig struct {
	SegmentName, TableName string
	// Schema, when set, must define every column of the buffers.
	Schema *schema.Schema
	// TimeColumn's values give the segment's time range (epoch millis,
	// converted from the column's date-time format).
	TimeColumn string
	// SortedColumn, when set, orders the rows by that single-value column
	// (stable, nulls last); the column gets a sorted index.
	SortedColumn string

	InvertedColumns, RangeColumns, BloomColumns, NoDictionaryColumns []string

	// PartitionID is -1 when the segment is not partitioned.
	PartitionID            int
	StartOffset, EndOffset string

	// BloomFPP is the bloom filters' false-positive probability
	// (bloom.DefaultFPP, 0.05, when 0).
	BloomFPP float64
	// Now gives the creation time (time.Now when nil).
	Now func() time.Time
}

// Build writes a segment of the rows in cols to path, atomically (it
// writes path+".tmp", syncs it and renames it), and returns its metadata
// with the file's CRC and size. All buffers must hold the same number of
// documents. The buffers are read, never modified. It is
// (&Builder{}).Build: a process that builds segments one after another
// should keep a Builder instead, and save reallocating its scratch space.
func Build(path string, cfg BuildConfig, cols []*segment.ColumnBuffer) (*segment.Meta, error) {
	var b Builder
	defer b.Close()
	return b.Build(path, cfg, cols)
}

// Builder builds segments, keeping its scratch space (a few times the
// largest column's size) from one build to the next. The zero value is
// ready; a Builder is not safe for concurrent use.
type Builder struct {
	s scratch
}

// Build is the package-level Build, reusing b's scratch space.
func (bd *Builder) Build(path string, cfg BuildConfig, cols []*segment.ColumnBuffer) (*segment.Meta, error) {
	b, err := newBuilder(cfg, cols, &bd.s)
	if err != nil {
		return nil, fmt.Errorf("build segment %q: %w", cfg.SegmentName, err)
	}
	meta, err := b.writeFile(path)
	if err != nil {
		return nil, fmt.Errorf("build segment %q: %w", cfg.SegmentName, err)
	}
	return meta, nil
}

// Close releases the compressor; the Builder stays usable.
func (bd *Builder) Close() { bd.s.comp.Close() }

type builder struct {
	*scratch
	cfg     BuildConfig
	cols    []*segment.ColumnBuffer
	numDocs int
	// perm maps a new doc id to the input doc id when SortedColumn
	// reorders the rows; inv is its inverse. Both nil otherwise.
	perm, inv []uint32

	inverted, ranged, bloomed, noDict map[string]bool
	w                                 *fileWriter
}

// scratch is the space a Builder keeps between builds.
type scratch struct {
	db           encoding.DictBuilder
	comp         encoding.Compressor
	chunkScratch encoding.Scratch
	invB         inverted.Builder
	rngB         rangeindex.Builder
	bmw          bitmap.Writer

	ids     []uint32
	pids    []uint32
	keys    []uint64
	ints    []int64
	floats  []float64
	strs    []string
	offsets []uint32
	u64     []uint64
	sec     []byte
	area    []byte
}

func nameSet(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func newBuilder(cfg BuildConfig, cols []*segment.ColumnBuffer, s *scratch) (*builder, error) {
	if cfg.SegmentName == "" {
		return nil, fmt.Errorf("empty segment name")
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no columns")
	}
	b := &builder{
		scratch: s, cfg: cfg, cols: cols,
		inverted: nameSet(cfg.InvertedColumns), ranged: nameSet(cfg.RangeColumns),
		bloomed: nameSet(cfg.BloomColumns), noDict: nameSet(cfg.NoDictionaryColumns),
	}
	byName := make(map[string]*segment.ColumnBuffer, len(cols))
	for i, c := range cols {
		if c == nil || c.Spec == nil {
			return nil, fmt.Errorf("column %d has no field spec", i)
		}
		name := c.Spec.Name
		if name == "" {
			return nil, fmt.Errorf("column %d has an empty name", i)
		}
		if byName[name] != nil {
			return nil, fmt.Errorf("column %q appears twice", name)
		}
		byName[name] = c
		if c.Spec.DataType < schema.TypeInt || c.Spec.DataType > schema.TypeBytes {
			return nil, fmt.Errorf("column %q: invalid data type %v", name, c.Spec.DataType)
		}
		if cfg.Schema != nil && cfg.Schema.Field(name) == nil {
			return nil, fmt.Errorf("column %q is not in schema %q", name, cfg.Schema.Name)
		}
		if err := checkBuffer(c); err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		if n := c.Len(); i == 0 {
			b.numDocs = n
		} else if n != b.numDocs {
			return nil, fmt.Errorf("column %q has %d docs, column %q has %d", name, n, cols[0].Spec.Name, b.numDocs)
		}
	}
	if b.numDocs > math.MaxInt32 {
		return nil, fmt.Errorf("%d docs is over the limit of %d", b.numDocs, math.MaxInt32)
	}
	for _, c := range cols {
		if c.Nulls != nil && !c.Nulls.IsEmpty() && int64(c.Nulls.Maximum()) >= int64(b.numDocs) {
			return nil, fmt.Errorf("column %q: null doc %d is not below the doc count %d", c.Spec.Name, c.Nulls.Maximum(), b.numDocs)
		}
	}
	for _, l := range []struct {
		what  string
		names []string
	}{
		{"inverted index", cfg.InvertedColumns}, {"range index", cfg.RangeColumns},
		{"bloom filter", cfg.BloomColumns}, {"no-dictionary", cfg.NoDictionaryColumns},
		{"sorted", []string{cfg.SortedColumn}}, {"time", []string{cfg.TimeColumn}},
	} {
		for _, n := range l.names {
			if n != "" && byName[n] == nil {
				return nil, fmt.Errorf("%s column %q is not among the columns", l.what, n)
			}
		}
	}
	for _, c := range cols {
		name, spec := c.Spec.Name, c.Spec
		raw := b.noDict[name] && spec.SingleValue
		if raw && b.inverted[name] {
			return nil, fmt.Errorf("column %q: an inverted index needs a dictionary (it is a no-dictionary column)", name)
		}
		if raw && b.ranged[name] && spec.DataType.Storage() != schema.StorageInt64 && spec.DataType.Storage() != schema.StorageFloat64 {
			return nil, fmt.Errorf("column %q: a range index on a no-dictionary column needs a numeric type, not %v", name, spec.DataType)
		}
	}
	if cfg.SortedColumn != "" {
		c := byName[cfg.SortedColumn]
		if !c.Spec.SingleValue {
			return nil, fmt.Errorf("sorted column %q is multi-value", cfg.SortedColumn)
		}
		b.sortRows(c)
	}
	return b, nil
}

// checkBuffer checks a multi-value buffer's offsets.
func checkBuffer(c *segment.ColumnBuffer) error {
	if c.Spec.SingleValue {
		return nil
	}
	var nvals int
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		nvals = len(c.Ints)
	case schema.StorageFloat64:
		nvals = len(c.Floats)
	default:
		nvals = len(c.Strs)
	}
	if len(c.Offsets) == 0 || c.Offsets[0] != 0 {
		return fmt.Errorf("multi-value offsets must start with 0")
	}
	for i := 1; i < len(c.Offsets); i++ {
		if c.Offsets[i] < c.Offsets[i-1] {
			return fmt.Errorf("multi-value offset %d decreases", i)
		}
	}
	if int(c.Offsets[len(c.Offsets)-1]) != nvals {
		return fmt.Errorf("multi-value offsets end at %d, buffer holds %d values", c.Offsets[len(c.Offsets)-1], nvals)
	}
	return nil
}

// sortRows computes the permutation that orders rows by c's value (a
// counting sort on dictionary ids: stable), null docs last in input order.
func (b *builder) sortRows(c *segment.ColumnBuffer) {
	n := b.numDocs
	ids := make([]uint32, n)
	var card int
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		b.keys = encoding.AppendInt64Keys(slices.Grow(b.keys[:0], n), c.Ints)
		card = len(b.db.Keys(b.keys, ids))
	case schema.StorageFloat64:
		card = len(b.db.Float64s(c.Floats, ids))
	default:
		card = len(b.db.Strings(c.Strs, ids))
	}
	isNull := nullMask(c.Nulls, n)
	starts := make([]uint32, card+2) // bucket card is the nulls
	for d, id := range ids {
		if isNull != nil && isNull[d] {
			id = uint32(card)
		}
		starts[id+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	perm := make([]uint32, n)
	identity := true
	for d, id := range ids {
		if isNull != nil && isNull[d] {
			id = uint32(card)
		}
		p := starts[id]
		starts[id]++
		perm[p] = uint32(d)
		identity = identity && p == uint32(d)
	}
	if identity {
		return
	}
	b.perm = perm
	b.inv = make([]uint32, n)
	for p, d := range perm {
		b.inv[d] = uint32(p)
	}
}

func nullMask(nulls *roaring.Bitmap, n int) []bool {
	if nulls == nil || nulls.IsEmpty() {
		return nil
	}
	m := make([]bool, n)
	it := nulls.Iterator()
	for it.HasNext() {
		m[it.Next()] = true
	}
	return m
}

func gather[T any](dst []T, src []T, perm []uint32) []T {
	dst = slices.Grow(dst[:0], len(perm))[:len(perm)]
	for i, p := range perm {
		dst[i] = src[p]
	}
	return dst
}

func (b *builder) writeFile(path string) (*segment.Meta, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	b.w = newFileWriter(f)
	b.w.write(appendHeader(nil))

	now := time.Now
	if b.cfg.Now != nil {
		now = b.cfg.Now
	}
	meta := &segment.Meta{
		Name: b.cfg.SegmentName, Table: b.cfg.TableName, NumDocs: b.numDocs,
		PartitionID: b.cfg.PartitionID, CreatedMs: now().UnixMilli(),
		StartOffset: b.cfg.StartOffset, EndOffset: b.cfg.EndOffset,
		Columns: make([]*segment.ColumnMeta, len(b.cols)),
	}
	for i, c := range b.cols {
		cm, err := b.column(uint32(i), c)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Spec.Name, err)
		}
		meta.Columns[i] = cm
	}
	if b.cfg.TimeColumn != "" {
		for _, c := range b.cols {
			if c.Spec.Name == b.cfg.TimeColumn {
				if err := b.timeRange(meta, c); err != nil {
					return nil, fmt.Errorf("time column %q: %w", c.Spec.Name, err)
				}
			}
		}
	}
	js, err := marshalMeta(meta)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	b.w.section(segmentLevel, kindMetadata, js)
	fileCRC, size, err := b.w.finish()
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	ok = true
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // make the rename durable; not every file system supports it
		d.Close()
	}
	meta.CRC = fileCRC
	meta.SizeBytes = size
	return meta, nil
}

func (b *builder) timeRange(meta *segment.Meta, c *segment.ColumnBuffer) error {
	if !c.Spec.SingleValue {
		return fmt.Errorf("the time column must be single-value")
	}
	tf, err := parseTimeFormat(c.Spec)
	if err != nil {
		return err
	}
	meta.TimeColumn = c.Spec.Name
	if b.numDocs == 0 {
		return nil
	}
	// Null docs hold a default value that says nothing about time: the
	// range covers the non-null docs (all docs when every one is null).
	isNull := nullMask(c.Nulls, b.numDocs)
	if isNull != nil && c.Nulls.GetCardinality() == uint64(b.numDocs) {
		isNull = nil
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		vlo, vhi := int64(math.MaxInt64), int64(math.MinInt64)
		for d, v := range c.Ints {
			if isNull == nil || !isNull[d] {
				vlo, vhi = min(vlo, v), max(vhi, v)
			}
		}
		if tf.layout != "" {
			// Dates stored as numbers, e.g. 20240131 for yyyyMMdd.
			for _, v := range []int64{vlo, vhi} {
				ms, err := tf.millisString(fmt.Sprint(v))
				if err != nil {
					return err
				}
				lo, hi = min(lo, ms), max(hi, ms)
			}
		} else {
			lo, hi = tf.millisInt(vlo), tf.millisInt(vhi)
		}
	case schema.StorageFloat64:
		vlo, vhi := math.Inf(1), math.Inf(-1)
		for d, v := range c.Floats {
			if isNull == nil || !isNull[d] {
				vlo, vhi = min(vlo, v), max(vhi, v)
			}
		}
		lo, hi = tf.millisFloat(vlo), tf.millisFloat(vhi)
	default:
		seen := make(map[string]bool)
		for d, v := range c.Strs {
			if (isNull != nil && isNull[d]) || seen[v] {
				continue
			}
			seen[v] = true
			ms, err := tf.millisString(v)
			if err != nil {
				return err
			}
			lo, hi = min(lo, ms), max(hi, ms)
		}
	}
	meta.StartTime, meta.EndTime = lo, hi
	return nil
}

// fileWriter streams sections, keeping the file CRC and the table of
// contents.
type fileWriter struct {
	bw  *bufio.Writer
	off uint64
	crc uint32
	toc []tocEntry
	err error
}

func newFileWriter(f *os.File) *fileWriter {
	return &fileWriter{bw: bufio.NewWriterSize(f, 1<<20)}
}

func (w *fileWriter) write(p []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.bw.Write(p)
	w.crc = crc32.Update(w.crc, castagnoli(), p)
	w.off += uint64(len(p))
}

func (w *fileWriter) pad() {
	var zero [8]byte
	if r := w.off % 8; r != 0 {
		w.write(zero[:8-r])
	}
}

func (w *fileWriter) section(col uint32, k kind, data []byte) {
	w.pad()
	w.toc = append(w.toc, tocEntry{col: col, kind: k, offset: w.off, length: uint64(len(data)), crc: crc(data)})
	w.write(data)
}

func (w *fileWriter) finish() (fileCRC uint32, size int64, err error) {
	w.pad()
	tocOff := w.off
	slices.SortFunc(w.toc, func(a, b tocEntry) int {
		if a.col != b.col {
			return cmpU32(a.col, b.col)
		}
		return int(a.kind) - int(b.kind)
	})
	var toc []byte
	for _, e := range w.toc {
		toc = appendTOCEntry(toc, e)
	}
	w.write(toc)
	fileCRC = w.crc
	var tr []byte
	tr = binary.LittleEndian.AppendUint64(tr, tocOff)
	tr = binary.LittleEndian.AppendUint32(tr, uint32(len(w.toc)))
	tr = binary.LittleEndian.AppendUint32(tr, crc(toc))
	tr = binary.LittleEndian.AppendUint32(tr, fileCRC)
	tr = binary.LittleEndian.AppendUint32(tr, formatVersion)
	tr = append(tr, trailerMagic...)
	w.write(tr)
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return fileCRC, int64(w.off), w.err
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bitsFor is the bit width of ids below card.
func bitsFor(card int) int {
	if card <= 1 {
		return 0
	}
	return bits.Len32(uint32(card - 1))
}

func slicesSortU32(s []uint32) { slices.Sort(s) }
