package immutable

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/encoding"
)

// Segment is an open sealed segment. It implements segment.Segment and is
// safe for concurrent readers. Bitmaps, dictionary strings and strings
// read from it may point into the file's memory mapping: Close only when
// no reader uses the segment or anything obtained from it.
type Segment struct {
	name   string
	data   []byte
	mapped bool
	meta   *segment.Meta
	cols   []*column
	byName map[string]*column

	decOnce sync.Once
	dec     *encoding.Decompressor

	closeOnce sync.Once
	closeErr  error
}

// Open memory-maps the segment file at path and validates it: header,
// trailer, table of contents, every section's CRC and every structure a
// read relies on (segment/FORMAT.md, "Integrity").
func Open(path string) (*Segment, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment %q: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open segment %q: %w", name, err)
	}
	size := st.Size()
	if size < headerLen+trailerLen {
		return nil, fmt.Errorf("open segment %q: %w: %d bytes", name, ErrTruncated, size)
	}
	if size != int64(int(size)) {
		return nil, fmt.Errorf("open segment %q: %d bytes do not fit in memory", name, size)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("open segment %q: mmap: %w", name, err)
	}
	s, err := parse(name, data)
	if err != nil {
		_ = unix.Munmap(data)
		return nil, err
	}
	s.mapped = true
	return s, nil
}

// OpenBytes opens a segment held in memory (tests, fuzzing, a segment
// just downloaded). data must not be modified while the segment is open.
func OpenBytes(name string, data []byte) (*Segment, error) {
	return parse(name, data)
}

// Close releases the mapping. It is safe to call more than once.
func (s *Segment) Close() error {
	s.closeOnce.Do(func() {
		if s.dec != nil {
			s.dec.Close()
		}
		if s.mapped {
			s.closeErr = unix.Munmap(s.data)
		}
		s.data = nil
	})
	return s.closeErr
}

// VerifyCRC recomputes the file CRC (the segment CRC) over the whole file
// and compares it with the trailer's.
func (s *Segment) VerifyCRC() error {
	if s.data == nil {
		return fmt.Errorf("verify segment %q: closed", s.meta.Name)
	}
	n := len(s.data) - trailerLen
	if got := crc(s.data[:n]); got != s.meta.CRC {
		return fmt.Errorf("verify segment %q: file %w: computed %08x, trailer says %08x", s.meta.Name, ErrChecksum, got, s.meta.CRC)
	}
	return nil
}

// Name is the segment's name.
func (s *Segment) Name() string { return s.meta.Name }

// NumDocs is the number of rows.
func (s *Segment) NumDocs() int { return s.meta.NumDocs }

// Meta describes the segment; callers must not modify it.
func (s *Segment) Meta() *segment.Meta { return s.meta }

// Column returns the column named name, or nil.
func (s *Segment) Column(name string) segment.Column {
	if c := s.byName[name]; c != nil {
		return c
	}
	return nil
}

// decompressor returns the segment's shared zstd/s2 decompressor.
func (s *Segment) decompressor() *encoding.Decompressor {
	s.decOnce.Do(func() { s.dec = encoding.NewDecompressor(0) })
	return s.dec
}

type sectionKey struct {
	col  uint32
	kind kind
}

// stored is a section as the table of contents locates it; its CRC is
// checked before its bytes are used.
type stored struct {
	off  uint64
	data []byte
	crc  uint32
}

// parse validates data and builds the segment.
func parse(name string, data []byte) (*Segment, error) {
	fail := func(where string, err error) (*Segment, error) {
		return nil, fmt.Errorf("open segment %q: %s: %w", name, where, err)
	}
	if len(data) < headerLen+trailerLen {
		return fail("header", fmt.Errorf("%w: %d bytes", ErrTruncated, len(data)))
	}
	if !bytes.Equal(data[:8], []byte(headerMagic)) {
		return fail("header", ErrNotSegment)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != formatVersion {
		return fail("header", fmt.Errorf("%w %d (this reader knows %d)", ErrVersion, v, formatVersion))
	}
	if fl := binary.LittleEndian.Uint32(data[12:]); fl != 0 {
		return fail("header", corruptf("unknown flags %#x", fl))
	}
	tr := data[len(data)-trailerLen:]
	if !bytes.Equal(tr[24:32], []byte(trailerMagic)) {
		return fail("trailer", fmt.Errorf("%w: no trailer magic (incomplete write?)", ErrTruncated))
	}
	if v := binary.LittleEndian.Uint32(tr[20:]); v != formatVersion {
		return fail("trailer", fmt.Errorf("%w %d", ErrVersion, v))
	}
	tocOff := binary.LittleEndian.Uint64(tr)
	tocCount := uint64(binary.LittleEndian.Uint32(tr[8:]))
	tocEnd := uint64(len(data) - trailerLen)
	if tocOff%8 != 0 || tocOff < headerLen || tocOff > tocEnd || (tocEnd-tocOff) != tocCount*tocEntryLen {
		return fail("table of contents", corruptf("offset %d and %d entries do not fit a %d-byte file", tocOff, tocCount, len(data)))
	}
	toc := data[tocOff:tocEnd]
	if crc(toc) != binary.LittleEndian.Uint32(tr[12:]) {
		return fail("table of contents", ErrChecksum)
	}
	fileCRC := binary.LittleEndian.Uint32(tr[16:])

	sections := make(map[sectionKey]stored, tocCount)
	var spans []stored
	var prev sectionKey
	for i := uint64(0); i < tocCount; i++ {
		e := toc[i*tocEntryLen:]
		k := sectionKey{col: binary.LittleEndian.Uint32(e), kind: kind(binary.LittleEndian.Uint16(e[4:]))}
		off := binary.LittleEndian.Uint64(e[8:])
		length := binary.LittleEndian.Uint64(e[16:])
		sum := binary.LittleEndian.Uint32(e[24:])
		where := fmt.Sprintf("table of contents entry %d", i)
		switch {
		case binary.LittleEndian.Uint16(e[6:]) != 0 || binary.LittleEndian.Uint32(e[28:]) != 0:
			return fail(where, corruptf("reserved bytes are not zero"))
		case k.kind < kindMetadata || k.kind >= kindLimit:
			return fail(where, corruptf("unknown section kind %d", k.kind))
		case (k.kind == kindMetadata) != (k.col == segmentLevel):
			return fail(where, corruptf("%v for column ordinal %d", k.kind, k.col))
		case i > 0 && (k.col < prev.col || k.col == prev.col && k.kind <= prev.kind):
			return fail(where, corruptf("entries out of order or repeated"))
		case off%8 != 0 || off < headerLen || off > tocOff || length > tocOff-off:
			return fail(where, corruptf("section [%d, +%d) outside the sections area", off, length))
		}
		prev = k
		st := stored{off: off, data: data[off : off+length], crc: sum}
		spans = append(spans, st)
		sections[k] = st
	}
	// Sections must not overlap.
	slices.SortFunc(spans, func(a, b stored) int { return cmp.Compare(a.off, b.off) })
	for i := 1; i < len(spans); i++ {
		if spans[i].off < spans[i-1].off+uint64(len(spans[i-1].data)) {
			return fail("table of contents", corruptf("sections overlap"))
		}
	}

	md, ok := sections[sectionKey{segmentLevel, kindMetadata}]
	if !ok {
		return fail("metadata", corruptf("no metadata section"))
	}
	if crc(md.data) != md.crc {
		return fail("metadata", ErrChecksum)
	}
	meta, err := unmarshalMeta(md.data)
	if err != nil {
		return fail("metadata", err)
	}
	if meta.Name != "" {
		name = meta.Name
	}
	meta.CRC = fileCRC
	meta.SizeBytes = int64(len(data))
	s := &Segment{name: name, data: data, meta: meta, byName: make(map[string]*column, len(meta.Columns))}
	for k := range sections {
		if k.col != segmentLevel && int64(k.col) >= int64(len(meta.Columns)) {
			return nil, fmt.Errorf("open segment %q: %v of column ordinal %d: %w", name, k.kind, k.col, corruptf("the metadata has %d columns", len(meta.Columns)))
		}
	}
	for i, cm := range meta.Columns {
		c, err := s.openColumn(uint32(i), cm, sections)
		if err != nil {
			if s.dec != nil {
				s.dec.Close()
			}
			return nil, err
		}
		s.cols = append(s.cols, c)
		s.byName[cm.Name] = c
	}
	return s, nil
}

// sectionError names the segment, the column and the section.
func sectionError(seg string, cm *segment.ColumnMeta, k kind, err error) error {
	return fmt.Errorf("open segment %q: column %q %v: %w", seg, cm.Name, k, err)
}

// wrapCorrupt makes a decoding error of another package wrap ErrCorrupt
// too.
func wrapCorrupt(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// FileCRC reads a segment file's CRC from its trailer without reading or
// mapping the rest of the file: enough to tell whether a local copy is the
// segment a record names before paying for Open's checks.
func FileCRC(path string) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Size() < headerLen+trailerLen {
		return 0, fmt.Errorf("segment file %s: %w: %d bytes", path, ErrTruncated, st.Size())
	}
	var tr [trailerLen]byte
	if _, err := f.ReadAt(tr[:], st.Size()-trailerLen); err != nil {
		return 0, fmt.Errorf("segment file %s: %w", path, err)
	}
	if !bytes.Equal(tr[24:32], []byte(trailerMagic)) {
		return 0, fmt.Errorf("segment file %s: trailer: %w: no trailer magic (incomplete write?)", path, ErrTruncated)
	}
	return binary.LittleEndian.Uint32(tr[16:]), nil
}
