package encoding

import (
	"fmt"
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Codec is a general-purpose compression applied to a chunk of bytes.
type Codec uint8

// Codec values as stored on disk.
const (
	CodecNone Codec = 0
	CodecS2   Codec = 2
	CodecZstd Codec = 3
)

func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecS2:
		return "s2"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// Compressor compresses chunks. It is not safe for concurrent use: a
// segment builder owns one.
type Compressor struct {
	zenc *zstd.Encoder
}

// Compress appends src compressed with c to dst.
func (z *Compressor) Compress(dst, src []byte, c Codec) []byte {
	switch c {
	case CodecNone:
		return append(dst, src...)
	case CodecS2:
		n := s2.MaxEncodedLen(len(src))
		start := len(dst)
		dst = grow(dst, n)
		out := s2.Encode(dst[start:], src)
		return dst[:start+len(out)]
	case CodecZstd:
		if z.zenc == nil {
			// Only invalid options make NewWriter fail.
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithAllLitEntropyCompression(true),
				zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true))
			if err != nil {
				panic("BUG: zstd encoder options: " + err.Error())
			}
			z.zenc = enc
		}
		// EncodeAll appends block by block: grow once, not per block.
		dst = slices.Grow(dst, len(src)+len(src)/64+64)
		return z.zenc.EncodeAll(src, dst)
	}
	panic("BUG: unknown codec " + c.String())
}

// Close releases the compressor's resources.
func (z *Compressor) Close() {
	if z.zenc != nil {
		z.zenc.Close()
		z.zenc = nil
	}
}

// Decompressor decompresses chunks; it is safe for concurrent use.
type Decompressor struct {
	zdec *zstd.Decoder
}

// NewDecompressor returns a decompressor whose zstd decoder runs at most
// concurrency decodes at once (GOMAXPROCS when <= 0).
func NewDecompressor(concurrency int) *Decompressor {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(concurrency),
		zstd.WithDecoderLowmem(true), zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(1<<32))
	if err != nil {
		panic("BUG: zstd decoder options: " + err.Error())
	}
	return &Decompressor{zdec: dec}
}

// Close releases the decompressor's resources.
func (d *Decompressor) Close() { d.zdec.Close() }

// Decompress appends the decompression of src (codec c) to dst, which must
// come to exactly rawLen bytes; anything else is an error wrapping
// ErrCorrupt.
func (d *Decompressor) Decompress(dst, src []byte, c Codec, rawLen int) ([]byte, error) {
	start := len(dst)
	switch c {
	case CodecNone:
		if len(src) != rawLen {
			return dst, errorf("stored length %d, want %d", len(src), rawLen)
		}
		return append(dst, src...), nil
	case CodecS2:
		n, err := s2.DecodedLen(src)
		if err != nil {
			return dst, errorf("s2: %v", err)
		}
		if n != rawLen {
			return dst, errorf("s2 length %d, want %d", n, rawLen)
		}
		dst = grow(dst, rawLen)
		if _, err := s2.Decode(dst[start:], src); err != nil {
			return dst[:start], errorf("s2: %v", err)
		}
		return dst, nil
	case CodecZstd:
		if cap(dst)-start < rawLen {
			nd := make([]byte, start, start+rawLen)
			copy(nd, dst)
			dst = nd
		}
		out, err := d.zdec.DecodeAll(src, dst[:start:start+rawLen])
		if err != nil {
			return dst[:start], errorf("zstd: %v", err)
		}
		if len(out)-start != rawLen {
			return dst[:start], errorf("zstd length %d, want %d", len(out)-start, rawLen)
		}
		return out, nil
	}
	return dst, errorf("unknown codec %d", uint8(c))
}
