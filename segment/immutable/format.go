package immutable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// File layout constants; segment/FORMAT.md is the specification.
const (
	formatVersion = 1
	headerLen     = 16
	trailerLen    = 32
	tocEntryLen   = 32
	segmentLevel  = 0xFFFFFFFF

	headerMagic  = "TANNINSG"
	trailerMagic = "TANNINFT"

	sectionHeaderLen = 8
)

// Section kinds.
type kind uint16

const (
	kindMetadata kind = 1 + iota
	kindDictionary
	kindForward
	kindNulls
	kindInverted
	kindRange
	kindBloom
	kindLimit // one past the last kind
)

func (k kind) String() string {
	switch k {
	case kindMetadata:
		return "metadata"
	case kindDictionary:
		return "dictionary"
	case kindForward:
		return "forward index"
	case kindNulls:
		return "null bitmap"
	case kindInverted:
		return "inverted index"
	case kindRange:
		return "range index"
	case kindBloom:
		return "bloom filter"
	}
	return fmt.Sprintf("section kind %d", uint16(k))
}

// Section encodings (byte 0 of the section header).
const (
	encNumericDelta = 1 // dictionary
	encStringPlain  = 2
	encStringZstd   = 3
	encDecimalDelta = 4

	encPacked  = 1 // forward index
	encRuns    = 2
	encMV      = 3
	encRawInt  = 4
	encRawFlt  = 5
	encRawByte = 6
	encBits    = 7

	encRoaring   = 1 // null bitmap, inverted index
	encSortedIDs = 1 // range index: raw numeric, packed sorted keys
	encRangeIDs  = 2 // range index: dictionary ids as change bits
	encBloomV3   = 1 // bloom filter
)

// Errors that Open wraps; the message around them names the segment and
// the section.
var (
	// ErrChecksum: a section's bytes do not match their CRC.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrCorrupt: bytes that match their CRC do not decode, or sections
	// contradict each other or the metadata.
	ErrCorrupt = errors.New("corrupt")
	// ErrTruncated: the file is shorter than its structure says (or has no
	// trailer: an interrupted write or download).
	ErrTruncated = errors.New("truncated")
	// ErrNotSegment: the file does not start with the segment magic.
	ErrNotSegment = errors.New("not a segment file")
	// ErrVersion: the format version is not one this reader knows.
	ErrVersion = errors.New("unsupported format version")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// castagnoli returns the CRC-32C table (crc32 builds it once, behind a
// sync.Once, and hands out the same one).
func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli()) }

type tocEntry struct {
	col    uint32
	kind   kind
	offset uint64
	length uint64
	crc    uint32
}

func appendTOCEntry(dst []byte, e tocEntry) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, e.col)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(e.kind))
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, e.offset)
	dst = binary.LittleEndian.AppendUint64(dst, e.length)
	dst = binary.LittleEndian.AppendUint32(dst, e.crc)
	return binary.LittleEndian.AppendUint32(dst, 0)
}

func appendHeader(dst []byte) []byte {
	dst = append(dst, headerMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, formatVersion)
	return binary.LittleEndian.AppendUint32(dst, 0)
}

// sectionHeader is the 8-byte header every section but the metadata has.
type sectionHeader struct {
	enc, a, b byte
	count     uint32
}

func appendSectionHeader(dst []byte, h sectionHeader) []byte {
	dst = append(dst, h.enc, h.a, h.b, 0)
	return binary.LittleEndian.AppendUint32(dst, h.count)
}

func parseSectionHeader(b []byte) (sectionHeader, []byte, error) {
	if len(b) < sectionHeaderLen {
		return sectionHeader{}, nil, corruptf("%d bytes, shorter than the section header", len(b))
	}
	if b[3] != 0 {
		return sectionHeader{}, nil, corruptf("reserved header byte is %d", b[3])
	}
	return sectionHeader{enc: b[0], a: b[1], b: b[2], count: binary.LittleEndian.Uint32(b[4:])}, b[sectionHeaderLen:], nil
}
