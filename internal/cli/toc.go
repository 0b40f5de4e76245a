package cli

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// Section kinds of the segment file's table of contents (segment/FORMAT.md).
var sectionNames = map[uint16]string{2: "dict", 3: "fwd", 4: "nulls", 5: "inverted", 6: "range", 7: "bloom"}

// columnSizes reads the table of contents of a segment file (FORMAT.md,
// "Trailer" and "Table of contents entry") and returns, per column
// ordinal, the bytes of each section kind.
func columnSizes(path string, numColumns int) ([]map[uint16]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	const trailerLen, entryLen = 32, 32
	if size < 16+trailerLen {
		return nil, fmt.Errorf("segment file %s: too short for a trailer", path)
	}
	var tr [trailerLen]byte
	if _, err := f.ReadAt(tr[:], size-trailerLen); err != nil {
		return nil, fmt.Errorf("segment file %s: read trailer: %w", path, err)
	}
	tocOff := binary.LittleEndian.Uint64(tr[0:])
	tocCount := uint64(binary.LittleEndian.Uint32(tr[8:]))
	if tocOff < 16 || tocOff+entryLen*tocCount != uint64(size-trailerLen) {
		return nil, fmt.Errorf("segment file %s: table of contents out of bounds", path)
	}
	toc := make([]byte, entryLen*tocCount)
	if _, err := io.ReadFull(io.NewSectionReader(f, int64(tocOff), int64(len(toc))), toc); err != nil {
		return nil, fmt.Errorf("segment file %s: read table of contents: %w", path, err)
	}
	out := make([]map[uint16]int64, numColumns)
	for i := range out {
		out[i] = map[uint16]int64{}
	}
	for e := toc; len(e) >= entryLen; e = e[entryLen:] {
		col := binary.LittleEndian.Uint32(e[0:])
		kind := binary.LittleEndian.Uint16(e[4:])
		n := binary.LittleEndian.Uint64(e[16:])
		if col == 0xFFFFFFFF || int(col) >= numColumns || n > uint64(size) {
			continue
		}
		out[col][kind] += int64(n)
	}
	return out, nil
}

// describeSizes renders a column's section sizes: the total, then each
// section.
func describeSizes(s map[uint16]int64) string {
	var total int64
	var parts []string
	for kind := uint16(2); kind <= 7; kind++ {
		if n, ok := s[kind]; ok {
			total += n
			parts = append(parts, sectionNames[kind]+" "+humanBytes(n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return humanBytes(total) + " (" + strings.Join(parts, ", ") + ")"
}
