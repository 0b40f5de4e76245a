package encoding

import (
	"math"
	"unsafe"
)

// Raw (no-dictionary) values are stored in chunks: fixed-width numbers in
// chunks of NumericChunkValues, variable-length bytes in chunks closed at
// BytesChunkBytes of data or BytesChunkValues values.
const (
	NumericChunkValues = 8192
	BytesChunkValues   = 4096
	BytesChunkBytes    = 64 << 10
	// MaxCompressedChunk bounds the raw length of a compressed bytes
	// chunk, so that a forged length cannot make a reader allocate without
	// bound; larger chunks (a single large value) are stored plain.
	MaxCompressedChunk = 1 << 20

	intChunkHeader   = 16
	floatChunkHeader = 8
	bytesChunkHeader = 8
	maxDecimalExp    = 18
)

// Scratch holds a builder's reusable buffers so that chunk encoders do not
// allocate per chunk.
type Scratch struct {
	u64 []uint64
	buf []byte
}

// AppendIntChunk appends a frame-of-reference chunk of vals: the minimum,
// the width of the largest difference, the packed differences.
func AppendIntChunk(dst []byte, vals []int64, s *Scratch) []byte {
	if len(vals) == 0 {
		panic("BUG: AppendIntChunk of no values")
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	w := BitWidth(uint64(hi) - uint64(lo))
	s.u64 = s.u64[:0]
	for _, v := range vals {
		s.u64 = append(s.u64, uint64(v)-uint64(lo))
	}
	dst = appendU64(dst, uint64(lo))
	dst = append(dst, byte(w), 0, 0, 0, 0, 0, 0, 0)
	return AppendPacked64(dst, s.u64, w)
}

// IntChunk is a parsed frame-of-reference chunk; it reads in place.
type IntChunk struct {
	Min    int64
	W      int
	Packed []byte
}

// ParseIntChunk parses a chunk of n values, checking its length exactly.
func ParseIntChunk(b []byte, n int) (IntChunk, error) {
	if len(b) < intChunkHeader {
		return IntChunk{}, errorf("int chunk of %d bytes is shorter than its header", len(b))
	}
	c := IntChunk{Min: int64(le64(b)), W: int(b[8]), Packed: b[intChunkHeader:]}
	for _, x := range b[9:intChunkHeader] {
		if x != 0 {
			return IntChunk{}, errorf("int chunk reserved bytes are not zero")
		}
	}
	if err := CheckPacked(c.Packed, n, c.W, 64); err != nil {
		return IntChunk{}, errorf("int chunk: %w", err)
	}
	return c, nil
}

// Get returns value i.
func (c *IntChunk) Get(i int) int64 {
	return int64(uint64(c.Min) + Get64(c.Packed, c.W, i))
}

// Decode writes values start..start+len(dst)-1 to dst.
func (c *IntChunk) Decode(start int, dst []int64) {
	if len(dst) == 0 {
		return
	}
	u := unsafe.Slice((*uint64)(unsafe.Pointer(&dst[0])), len(dst))
	Unpack64(c.Packed, c.W, start, u)
	if m := uint64(c.Min); m != 0 {
		for i := range u {
			u[i] += m
		}
	}
}

// Float chunk kinds.
const (
	FloatPlain   = 0
	FloatDecimal = 1
	FloatS2      = 2
	FloatZstd    = 3
)

// AppendFloatChunk appends a chunk of vals: decimal (integers scaled by a
// power of ten, frame-of-reference packed) when every value round-trips
// through it, else the plain values compressed with codec when that saves
// an eighth, else plain.
func AppendFloatChunk(dst []byte, vals []float64, codec Codec, z *Compressor, s *Scratch) []byte {
	if len(vals) == 0 {
		panic("BUG: AppendFloatChunk of no values")
	}
	if e, ok := DecimalExponent(vals); ok {
		p := math.Pow10(e)
		s.u64 = s.u64[:0]
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, v := range vals {
			m := int64(math.Round(v * p))
			lo = min(lo, m)
			hi = max(hi, m)
		}
		for _, v := range vals {
			s.u64 = append(s.u64, uint64(int64(math.Round(v*p))-lo))
		}
		w := BitWidth(uint64(hi - lo))
		dst = append(dst, FloatDecimal, byte(e), 0, 0, 0, 0, 0, 0)
		dst = appendU64(dst, uint64(lo))
		dst = append(dst, byte(w), 0, 0, 0, 0, 0, 0, 0)
		return AppendPacked64(dst, s.u64, w)
	}
	s.buf = s.buf[:0]
	for _, v := range vals {
		s.buf = appendU64(s.buf, math.Float64bits(v))
	}
	if codec != CodecNone {
		start := len(dst)
		kind := byte(FloatS2)
		if codec == CodecZstd {
			kind = FloatZstd
		}
		dst = append(dst, kind, 0, 0, 0, 0, 0, 0, 0)
		dst = z.Compress(dst, s.buf, codec)
		if len(dst)-start-floatChunkHeader < len(s.buf)*7/8 {
			return dst
		}
		dst = dst[:start]
	}
	dst = append(dst, FloatPlain, 0, 0, 0, 0, 0, 0, 0)
	return append(dst, s.buf...)
}

// DecimalExponent returns the smallest e such that every v equals
// float64(int64(round(v*10^e)))/10^e exactly, with |m| < 2^53.
func DecimalExponent(vals []float64) (int, bool) {
	for e := 0; e <= maxDecimalExp; e++ {
		p := math.Pow10(e)
		ok := true
		for _, v := range vals {
			m := math.Round(v * p)
			if !(m > -(1<<53) && m < 1<<53) {
				ok = false
				break
			}
			if math.Float64bits(float64(int64(m))/p) != math.Float64bits(v) {
				ok = false
				break
			}
		}
		if ok {
			return e, true
		}
	}
	return 0, false
}

// FloatChunk is a parsed float chunk. Plain and decimal chunks read in
// place; compressed ones are decompressed (Decompress) into a plain chunk.
type FloatChunk struct {
	Kind int
	// Decimal: value = float64(Min + packed[i]) / Scale.
	Scale  float64
	Min    int64
	W      int
	Packed []byte
	// Plain: n little-endian f64; compressed: the compressed payload.
	Data []byte
	N    int
}

// ParseFloatChunk parses a chunk of n values, checking lengths exactly (a
// compressed payload is checked when decompressed).
func ParseFloatChunk(b []byte, n int) (FloatChunk, error) {
	if len(b) < floatChunkHeader {
		return FloatChunk{}, errorf("float chunk of %d bytes is shorter than its header", len(b))
	}
	for _, x := range b[2:floatChunkHeader] {
		if x != 0 {
			return FloatChunk{}, errorf("float chunk reserved bytes are not zero")
		}
	}
	c := FloatChunk{Kind: int(b[0]), N: n}
	body := b[floatChunkHeader:]
	switch c.Kind {
	case FloatPlain:
		if b[1] != 0 {
			return FloatChunk{}, errorf("plain float chunk has parameter %d", b[1])
		}
		if len(body) != 8*n {
			return FloatChunk{}, errorf("plain float chunk has %d bytes, want %d", len(body), 8*n)
		}
		c.Data = body
	case FloatDecimal:
		e := int(b[1])
		if e > maxDecimalExp {
			return FloatChunk{}, errorf("decimal float chunk exponent %d out of range", e)
		}
		if len(body) < intChunkHeader {
			return FloatChunk{}, errorf("decimal float chunk of %d bytes is shorter than its header", len(b))
		}
		ic, err := ParseIntChunk(body, n)
		if err != nil {
			return FloatChunk{}, err
		}
		c.Scale, c.Min, c.W, c.Packed = math.Pow10(e), ic.Min, ic.W, ic.Packed
	case FloatS2, FloatZstd:
		if b[1] != 0 {
			return FloatChunk{}, errorf("compressed float chunk has parameter %d", b[1])
		}
		c.Data = body
	default:
		return FloatChunk{}, errorf("unknown float chunk kind %d", c.Kind)
	}
	return c, nil
}

// Compressed reports whether the chunk must be decompressed before reading.
func (c *FloatChunk) Compressed() bool { return c.Kind == FloatS2 || c.Kind == FloatZstd }

// Decompress returns the plain chunk of a compressed chunk, decompressing
// into a new buffer.
func (c *FloatChunk) Decompress(d *Decompressor) (FloatChunk, error) {
	codec := CodecS2
	if c.Kind == FloatZstd {
		codec = CodecZstd
	}
	raw, err := d.Decompress(make([]byte, 0, 8*c.N), c.Data, codec, 8*c.N)
	if err != nil {
		return FloatChunk{}, err
	}
	return FloatChunk{Kind: FloatPlain, Data: raw, N: c.N}, nil
}

// Get returns value i of a plain or decimal chunk.
func (c *FloatChunk) Get(i int) float64 {
	if c.Kind == FloatDecimal {
		return float64(int64(uint64(c.Min)+Get64(c.Packed, c.W, i))) / c.Scale
	}
	return math.Float64frombits(le64(c.Data[8*i:]))
}

// Decode writes values start..start+len(dst)-1 of a plain or decimal
// chunk to dst.
func (c *FloatChunk) Decode(start int, dst []float64) {
	if len(dst) == 0 {
		return
	}
	if c.Kind == FloatDecimal {
		u := unsafe.Slice((*uint64)(unsafe.Pointer(&dst[0])), len(dst))
		Unpack64(c.Packed, c.W, start, u)
		m, s := uint64(c.Min), c.Scale
		for i, x := range u {
			dst[i] = float64(int64(m+x)) / s
		}
		return
	}
	src := c.Data[8*start : 8*(start+len(dst))]
	for i := range dst {
		dst[i] = math.Float64frombits(le64(src[8*i:]))
	}
}

// NextBytesChunk returns the end of the chunk of vals that starts at start:
// at most BytesChunkValues values, closed once BytesChunkBytes of data are in.
// A value larger than BytesChunkBytes gets a chunk of its own.
func NextBytesChunk(vals []string, start int) int {
	end := start
	size := 0
	for end < len(vals) && end-start < BytesChunkValues && size < BytesChunkBytes {
		if len(vals[end]) > BytesChunkBytes && end > start {
			break
		}
		size += len(vals[end])
		end++
	}
	return end
}

// AppendBytesChunk appends a chunk of variable-length vals: a header (codec,
// raw length) and the payload u32 offsets[n+1] + bytes, compressed with
// codec when that saves an eighth.
func AppendBytesChunk(dst []byte, vals []string, codec Codec, z *Compressor, s *Scratch) []byte {
	raw := s.buf[:0]
	off := uint32(0)
	raw = appendU32(raw, 0)
	for _, v := range vals {
		off += uint32(len(v))
		raw = appendU32(raw, off)
	}
	for _, v := range vals {
		raw = append(raw, v...)
	}
	s.buf = raw
	start := len(dst)
	if codec != CodecNone && len(raw) <= MaxCompressedChunk {
		dst = append(dst, byte(codec), 0, 0, 0)
		dst = appendU32(dst, uint32(len(raw)))
		dst = z.Compress(dst, raw, codec)
		if len(dst)-start-bytesChunkHeader < len(raw)*7/8 {
			return dst
		}
		dst = dst[:start]
	}
	dst = append(dst, byte(CodecNone), 0, 0, 0)
	dst = appendU32(dst, uint32(len(raw)))
	return append(dst, raw...)
}

// BytesChunk is a decoded chunk of variable-length values.
type BytesChunk struct {
	offsets []byte
	data    []byte
}

// ParseBytesChunk splits a stored chunk into its codec, raw length and
// payload (padding included), checking the header.
func ParseBytesChunk(b []byte) (Codec, int, []byte, error) {
	if len(b) < bytesChunkHeader {
		return 0, 0, nil, errorf("bytes chunk of %d bytes is shorter than its header", len(b))
	}
	c := Codec(b[0])
	if c != CodecNone && c != CodecS2 && c != CodecZstd {
		return 0, 0, nil, errorf("bytes chunk has unknown codec %d", b[0])
	}
	if b[1] != 0 || b[2] != 0 || b[3] != 0 {
		return 0, 0, nil, errorf("bytes chunk reserved bytes are not zero")
	}
	return c, int(le32(b[4:])), b[bytesChunkHeader:], nil
}

// DecodeBytesChunk decodes a stored chunk of n values: in place when it is
// not compressed, else into a new buffer that the returned chunk (and the
// strings it returns) reference.
func DecodeBytesChunk(b []byte, n int, d *Decompressor) (BytesChunk, error) {
	codec, rawLen, payload, err := ParseBytesChunk(b)
	if err != nil {
		return BytesChunk{}, err
	}
	if err := checkRawLen(codec, rawLen, n); err != nil {
		return BytesChunk{}, err
	}
	var raw []byte
	if codec == CodecNone {
		if len(payload) != rawLen {
			return BytesChunk{}, errorf("bytes chunk payload of %d bytes, want %d", len(payload), rawLen)
		}
		raw = payload[:rawLen]
	} else {
		raw, err = d.Decompress(make([]byte, 0, rawLen), payload, codec, rawLen)
		if err != nil {
			return BytesChunk{}, err
		}
	}
	return checkBytesPayload(raw, n)
}

// CheckBytesChunk validates a stored chunk of n values without
// decompressing it: the header always, the payload when it is stored plain.
func CheckBytesChunk(b []byte, n int) error {
	codec, rawLen, _, err := ParseBytesChunk(b)
	if err != nil {
		return err
	}
	if err := checkRawLen(codec, rawLen, n); err != nil {
		return err
	}
	if codec == CodecNone {
		_, err = DecodeBytesChunk(b, n, nil)
	}
	return err
}

func checkRawLen(c Codec, rawLen, n int) error {
	if rawLen < 4*(n+1) {
		return errorf("bytes chunk raw length %d is shorter than %d offsets", rawLen, n+1)
	}
	if c != CodecNone && rawLen > MaxCompressedChunk {
		return errorf("compressed bytes chunk claims %d raw bytes, over the limit of %d", rawLen, MaxCompressedChunk)
	}
	return nil
}

func checkBytesPayload(raw []byte, n int) (BytesChunk, error) {
	offs := raw[:4*(n+1)]
	data := raw[4*(n+1):]
	prev := uint32(0)
	if le32(offs) != 0 {
		return BytesChunk{}, errorf("bytes chunk first offset is not 0")
	}
	for i := 1; i <= n; i++ {
		o := le32(offs[4*i:])
		if o < prev {
			return BytesChunk{}, errorf("bytes chunk offset %d decreases", i)
		}
		prev = o
	}
	if int(prev) != len(data) {
		return BytesChunk{}, errorf("bytes chunk holds %d value bytes, offsets say %d", len(data), prev)
	}
	return BytesChunk{offsets: offs, data: data}, nil
}

// Len is the number of values in the chunk.
func (c *BytesChunk) Len() int { return len(c.offsets)/4 - 1 }

// Get returns value i as a string sharing the chunk's memory.
func (c *BytesChunk) Get(i int) string {
	lo := le32(c.offsets[4*i:])
	hi := le32(c.offsets[4*i+4:])
	if hi == lo {
		return ""
	}
	return unsafe.String(&c.data[lo], int(hi-lo))
}

// EmptyBytesChunk returns a chunk of n empty values: what a reader serves
// for a chunk whose stored bytes passed their CRC yet do not decode (a
// forged file), since column reads have no error path.
func EmptyBytesChunk(n int) BytesChunk {
	return BytesChunk{offsets: make([]byte, 4*(n+1))}
}

// ZeroFloatChunk returns a plain chunk of n zeros, the float counterpart
// of EmptyBytesChunk.
func ZeroFloatChunk(n int) FloatChunk {
	return FloatChunk{Kind: FloatPlain, Data: make([]byte, 8*n), N: n}
}
