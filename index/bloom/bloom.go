package bloom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	bloomv3 "github.com/bits-and-blooms/bloom/v3"

	"github.com/tannin-db/tannin/segment/encoding"
)

// DefaultFPP is the false-positive probability of a filter sized by New
// when none is configured (Pinot's default).
const DefaultFPP = 0.05

// maxK bounds the hash count a reader accepts.
const maxK = 64

// ErrCorrupt marks a bloom filter section that does not decode.
var ErrCorrupt = errors.New("corrupt bloom filter")

// Kind is the storage family whose canonical bytes a filter hashes.
type Kind uint8

// Kinds, as stored in the section header.
const (
	Int64 Kind = iota
	Float64
	String
	Bytes
)

func (k Kind) String() string {
	switch k {
	case Int64:
		return "int64"
	case Float64:
		return "float64"
	case String:
		return "string"
	case Bytes:
		return "bytes"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Filter is a bloom filter over one column's values.
type Filter struct {
	kind Kind
	f    *bloomv3.BloomFilter
}

// New returns an empty filter sized for n distinct values at false-positive
// probability fpp (DefaultFPP when fpp is not in (0, 1)).
func New(kind Kind, n int, fpp float64) *Filter {
	if !(fpp > 0 && fpp < 1) {
		fpp = DefaultFPP
	}
	return &Filter{kind: kind, f: bloomv3.NewWithEstimates(uint(max(n, 1)), fpp)}
}

// Kind is the storage family the filter hashes.
func (f *Filter) Kind() Kind { return f.kind }

func int64Bytes(b *[8]byte, v int64) []byte {
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	return b[:]
}

func float64Bytes(b *[8]byte, v float64) []byte {
	binary.LittleEndian.PutUint64(b[:], encoding.CanonicalFloat64(v))
	return b[:]
}

func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// AddInt64 adds v to an Int64 filter.
func (f *Filter) AddInt64(v int64) {
	var b [8]byte
	f.f.Add(int64Bytes(&b, v))
}

// AddFloat64 adds v to a Float64 filter.
func (f *Filter) AddFloat64(v float64) {
	var b [8]byte
	f.f.Add(float64Bytes(&b, v))
}

// AddString adds v to a String or Bytes filter.
func (f *Filter) AddString(v string) { f.f.Add(stringBytes(v)) }

// Append appends the section body (u64 m, u64 k, words) to dst.
func (f *Filter) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(f.f.Cap()))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(f.f.K()))
	words := f.f.BitSet().Words()
	need := (f.f.Cap() + 63) / 64
	for i := uint(0); i < need; i++ {
		var w uint64
		if int(i) < len(words) {
			w = words[i]
		}
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst
}

// Open reads a section body for a filter of kind, viewing the words in
// place when body is 8-byte aligned on a little-endian host.
func Open(body []byte, kind Kind) (*Filter, error) {
	if kind > Bytes {
		return nil, fmt.Errorf("%w: unknown kind %d", ErrCorrupt, kind)
	}
	if len(body) < 16 {
		return nil, fmt.Errorf("%w: %d bytes, header needs 16", ErrCorrupt, len(body))
	}
	m := binary.LittleEndian.Uint64(body)
	k := binary.LittleEndian.Uint64(body[8:])
	if m == 0 || k == 0 || k > maxK {
		return nil, fmt.Errorf("%w: m=%d k=%d", ErrCorrupt, m, k)
	}
	nw := (m + 63) / 64
	if uint64(len(body)-16)/8 != nw || (len(body)-16)%8 != 0 {
		return nil, fmt.Errorf("%w: %d bytes of words, m=%d needs %d", ErrCorrupt, len(body)-16, m, 8*nw)
	}
	raw := body[16:]
	var words []uint64
	if uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%8 == 0 && littleEndian() {
		words = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(raw))), nw)
	} else {
		words = make([]uint64, nw)
		for i := range words {
			words[i] = binary.LittleEndian.Uint64(raw[8*i:])
		}
	}
	return &Filter{kind: kind, f: bloomv3.FromWithM(words, uint(m), uint(k))}, nil
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// MayContainInt64 reports whether v may be among the values; false means
// certainly absent. A float column tests float64(v); a string column the
// decimal text of v.
func (f *Filter) MayContainInt64(v int64) bool {
	var b [8]byte
	switch f.kind {
	case Int64:
		return f.f.Test(int64Bytes(&b, v))
	case Float64:
		return f.f.Test(float64Bytes(&b, float64(v)))
	default:
		var s [24]byte
		return f.f.Test(strconv.AppendInt(s[:0], v, 10))
	}
}

// MayContainFloat64 is MayContainInt64 for a float value. An int column
// holds only integers, so a fractional v is absent; a string column cannot
// tell which text a float has and answers true.
func (f *Filter) MayContainFloat64(v float64) bool {
	var b [8]byte
	switch f.kind {
	case Float64:
		return f.f.Test(float64Bytes(&b, v))
	case Int64:
		if v != math.Trunc(v) || v < -(1<<63) || v >= 1<<63 {
			return false
		}
		return f.f.Test(int64Bytes(&b, int64(v)))
	default:
		return true
	}
}

// MayContainString is MayContainInt64 for a string value. A numeric column
// tests the number the text parses to and answers true for text that is
// not a number.
func (f *Filter) MayContainString(v string) bool {
	switch f.kind {
	case String, Bytes:
		return f.f.Test(stringBytes(v))
	case Int64:
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return f.MayContainInt64(i)
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return f.MayContainFloat64(x)
		}
		return true
	default:
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return f.MayContainFloat64(x)
		}
		return true
	}
}
