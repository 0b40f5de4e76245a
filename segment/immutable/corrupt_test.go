package immutable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture builds a small segment with every type and index and returns
// its bytes.
func fixture(t testing.TB, n int) ([]byte, *testTable, BuildConfig) {
	t.Helper()
	tbl := genTable(42, n, allTypeGens())
	cfg := baseConfig("seg_0")
	cfg.Schema = tbl.schema
	cfg.SortedColumn = "city"
	path := filepath.Join(t.TempDir(), "seg_0")
	if _, err := Build(path, cfg, tbl.cols); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, tbl, cfg
}

type tocView struct {
	entries []tocEntry
	tocOff  int
}

func readTOC(t testing.TB, data []byte) tocView {
	tr := data[len(data)-trailerLen:]
	off := int(binary.LittleEndian.Uint64(tr))
	cnt := int(binary.LittleEndian.Uint32(tr[8:]))
	v := tocView{tocOff: off}
	for i := 0; i < cnt; i++ {
		e := data[off+i*tocEntryLen:]
		v.entries = append(v.entries, tocEntry{
			col:    binary.LittleEndian.Uint32(e),
			kind:   kind(binary.LittleEndian.Uint16(e[4:])),
			offset: binary.LittleEndian.Uint64(e[8:]),
			length: binary.LittleEndian.Uint64(e[16:]),
			crc:    binary.LittleEndian.Uint32(e[24:]),
		})
	}
	return v
}

// reseal recomputes every section CRC, the table of contents CRC and the
// file CRC after data was modified in place, so that the structural checks
// behind the CRCs are exercised. Bytes too short for a trailer are left.
func reseal(data []byte) {
	if len(data) < headerLen+trailerLen {
		return
	}
	tr := data[len(data)-trailerLen:]
	off := binary.LittleEndian.Uint64(tr)
	cnt := uint64(binary.LittleEndian.Uint32(tr[8:]))
	end := uint64(len(data) - trailerLen)
	if off > end || (end-off)/tocEntryLen < cnt {
		return
	}
	for i := uint64(0); i < cnt; i++ {
		e := data[off+i*tocEntryLen:]
		so, sl := binary.LittleEndian.Uint64(e[8:]), binary.LittleEndian.Uint64(e[16:])
		if so <= end && sl <= end-so {
			binary.LittleEndian.PutUint32(e[24:], crc(data[so:so+sl]))
		}
	}
	binary.LittleEndian.PutUint32(tr[12:], crc(data[off:off+cnt*tocEntryLen]))
	binary.LittleEndian.PutUint32(tr[16:], crc(data[:end]))
}

func TestCorruptSectionNamesIt(t *testing.T) {
	data, tbl, _ := fixture(t, 2000)
	v := readTOC(t, data)
	if len(v.entries) < 40 {
		t.Fatalf("only %d sections", len(v.entries))
	}
	names := map[uint32]string{}
	for i, c := range tbl.cols {
		names[uint32(i)] = c.Spec.Name
	}
	for _, e := range v.entries {
		for _, at := range []uint64{0, e.length / 2, e.length - 1} {
			if e.length == 0 {
				continue
			}
			t.Run(fmt.Sprintf("%v/col=%d/at=%d", e.kind, e.col, at), func(t *testing.T) {
				bad := append([]byte(nil), data...)
				bad[e.offset+at] ^= 0x5a
				_, err := OpenBytes("seg_0", bad)
				if err == nil {
					t.Fatal("corrupt section accepted")
				}
				want := fmt.Sprintf(`open segment "seg_0": column %q %v: checksum mismatch`, names[e.col], e.kind)
				if e.col == segmentLevel {
					want = `open segment "seg_0": metadata: checksum mismatch`
				}
				if err.Error() != want || !errors.Is(err, ErrChecksum) {
					t.Fatalf("error %q, want %q", err, want)
				}
			})
		}
	}
}

func TestCorruptFileStructure(t *testing.T) {
	data, _, _ := fixture(t, 500)
	v := readTOC(t, data)
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		is     error
		msg    string
	}{
		{"empty", func(b []byte) []byte { return nil }, ErrTruncated, "header"},
		{"header only", func(b []byte) []byte { return b[:headerLen] }, ErrTruncated, "header"},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrNotSegment, "header"},
		{"future version", func(b []byte) []byte { b[8] = 2; return b }, ErrVersion, "header: unsupported format version 2"},
		{"flags", func(b []byte) []byte { b[12] = 1; return b }, ErrCorrupt, "header"},
		{"truncated by one", func(b []byte) []byte { return b[:len(b)-1] }, ErrTruncated, "trailer"},
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2] }, ErrTruncated, "trailer"},
		{"toc byte", func(b []byte) []byte { b[v.tocOff+3] ^= 1; return b }, ErrChecksum, "table of contents"},
		{"toc offset", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[len(b)-trailerLen:], uint64(v.tocOff+8))
			return b
		}, ErrCorrupt, "table of contents"},
		{"toc count", func(b []byte) []byte {
			b[len(b)-trailerLen+8]++
			return b
		}, ErrCorrupt, "table of contents"},
		{"trailer version", func(b []byte) []byte { b[len(b)-trailerLen+20] = 9; return b }, ErrVersion, "trailer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.mutate(append([]byte(nil), data...))
			_, err := OpenBytes("seg_0", bad)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), `open segment "seg_0": `) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.is, tc.msg)
			}
		})
	}
}

// Structural corruption behind valid CRCs: each must be caught and named.
func TestForgedSectionsAreRejected(t *testing.T) {
	data, tbl, _ := fixture(t, 500)
	v := readTOC(t, data)
	colIndex := func(name string) uint32 {
		for i, c := range tbl.cols {
			if c.Spec.Name == name {
				return uint32(i)
			}
		}
		t.Fatalf("no column %q", name)
		return 0
	}
	find := func(col string, k kind) tocEntry {
		ci := colIndex(col)
		for _, e := range v.entries {
			if e.col == ci && e.kind == k {
				return e
			}
		}
		t.Fatalf("no %v for %q", k, col)
		return tocEntry{}
	}
	tests := []struct {
		name   string
		col    string
		k      kind
		mutate func(sec []byte)
	}{
		{"forward width", "int_sv", kindForward, func(s []byte) { s[1]++ }},
		{"forward id over cardinality", "int_sv", kindForward, func(s []byte) {
			for i := sectionHeaderLen; i < len(s)-8; i++ {
				s[i] = 0xff
			}
		}},
		{"forward encoding", "long_sv", kindForward, func(s []byte) { s[0] = encRuns }},
		{"dictionary count", "long_sv", kindDictionary, func(s []byte) { s[4]++ }},
		{"dictionary not increasing", "city", kindDictionary, func(s []byte) {
			// Make the second offset equal the first: an empty duplicate.
			binary.LittleEndian.PutUint32(s[sectionHeaderLen+8:], binary.LittleEndian.Uint32(s[sectionHeaderLen+4:]))
		}},
		{"runs out of order", "city", kindForward, func(s []byte) { binary.LittleEndian.PutUint32(s[sectionHeaderLen+4:], 1<<30) }},
		{"null count", "long_sv", kindNulls, func(s []byte) { s[4]++ }},
		{"mv offsets", "tags", kindForward, func(s []byte) { s[sectionHeaderLen+8] = 0xff }},
		{"raw chunk directory", "raw_long", kindForward, func(s []byte) { s[sectionHeaderLen] = 3 }},
		{"raw bytes first docs", "raw_str", kindForward, func(s []byte) { s[sectionHeaderLen+8+4] = 0 }},
		{"range doc width", "long_sv", kindRange, func(s []byte) { s[1] = 40 }},
		{"bloom kind", "city", kindBloom, func(s []byte) { s[1] = 0 }},
		{"inverted offsets", "int_sv", kindInverted, func(s []byte) { s[sectionHeaderLen+4] = 0xff }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := append([]byte(nil), data...)
			e := find(tc.col, tc.k)
			tc.mutate(bad[e.offset : e.offset+e.length])
			reseal(bad)
			_, err := OpenBytes("seg_0", bad)
			want := fmt.Sprintf(`open segment "seg_0": column %q %v: corrupt`, tc.col, tc.k)
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %v, want prefix %q", err, want)
			}
		})
	}
}

func TestPaddingIsCoveredByFileCRC(t *testing.T) {
	data, _, _ := fixture(t, 100)
	v := readTOC(t, data)
	// Find a padding byte: between the end of one section and the next.
	pad := -1
	for i := 0; i+1 < len(v.entries) && pad < 0; i++ {
		end := v.entries[i].offset + v.entries[i].length
		for _, e := range v.entries {
			if e.offset > end && e.offset-end < 8 && e.offset%8 == 0 {
				pad = int(end)
			}
		}
	}
	if pad < 0 {
		t.Fatal("no padding found")
	}
	bad := append([]byte(nil), data...)
	bad[pad] = 0xee
	s, err := OpenBytes("seg_0", bad)
	if err != nil {
		t.Fatalf("padding is not read, Open should succeed: %v", err)
	}
	if err := s.VerifyCRC(); !errors.Is(err, ErrChecksum) {
		t.Fatalf("VerifyCRC = %v", err)
	}
}

func TestTruncationNeverPanics(t *testing.T) {
	data, _, _ := fixture(t, 300)
	for n := 0; n < len(data); n += 1 + n/50 {
		if _, err := OpenBytes("seg_0", data[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes accepted", n, len(data))
		}
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), `open segment "nope"`) {
		t.Fatalf("Open = %v", err)
	}
}
