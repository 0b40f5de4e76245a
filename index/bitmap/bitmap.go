package bitmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Portable format constants.
const (
	cookieNoRun       = 12346
	cookieRun         = 12347
	noOffsetThreshold = 4
	arrayMax          = 4096
	bitmapBytes       = 8192
)

// ErrCorrupt marks a serialized bitmap that does not decode or holds doc
// ids outside the segment.
var ErrCorrupt = errors.New("corrupt bitmap")

const (
	kindArray = iota
	kindBitmap
	kindRun
)

type container struct {
	key   uint16
	card  int
	kind  int
	runs  int
	first int // index of the container's first value in the input
}

// Writer serializes ascending uint32 lists. The zero value is ready; it
// keeps scratch space between calls and is not safe for concurrent use.
type Writer struct {
	cs []container
}

// AppendSorted appends the portable serialization of docs, which must be
// strictly ascending, to dst.
func (w *Writer) AppendSorted(dst []byte, docs []uint32) []byte {
	cs := w.cs[:0]
	for i := 0; i < len(docs); {
		key := uint16(docs[i] >> 16)
		j := i + 1
		runs := 1
		for j < len(docs) && uint16(docs[j]>>16) == key {
			if docs[j] != docs[j-1]+1 {
				runs++
			}
			j++
		}
		c := container{key: key, card: j - i, runs: runs, first: i}
		size := 2 * c.card
		c.kind = kindArray
		if c.card > arrayMax {
			size = bitmapBytes
			c.kind = kindBitmap
		}
		if 2+4*runs < size {
			c.kind = kindRun
		}
		cs = append(cs, c)
		i = j
	}
	w.cs = cs

	hasRun := false
	for _, c := range cs {
		if c.kind == kindRun {
			hasRun = true
			break
		}
	}
	start := len(dst)
	n := len(cs)
	if hasRun {
		dst = binary.LittleEndian.AppendUint32(dst, cookieRun|uint32(n-1)<<16)
		flags := len(dst)
		for range (n + 7) / 8 {
			dst = append(dst, 0)
		}
		for i, c := range cs {
			if c.kind == kindRun {
				dst[flags+i/8] |= 1 << (i % 8)
			}
		}
	} else {
		dst = binary.LittleEndian.AppendUint32(dst, cookieNoRun)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	for _, c := range cs {
		dst = binary.LittleEndian.AppendUint16(dst, c.key)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c.card-1))
	}
	if !hasRun || n >= noOffsetThreshold {
		off := len(dst) - start + 4*n
		for _, c := range cs {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(off))
			off += containerSize(c)
		}
	}
	for _, c := range cs {
		vals := docs[c.first : c.first+c.card]
		switch c.kind {
		case kindArray:
			for _, v := range vals {
				dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
			}
		case kindBitmap:
			var words [bitmapBytes / 8]uint64
			for _, v := range vals {
				lo := uint16(v)
				words[lo>>6] |= 1 << (lo & 63)
			}
			for _, x := range words {
				dst = binary.LittleEndian.AppendUint64(dst, x)
			}
		case kindRun:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(c.runs))
			runStart := uint16(vals[0])
			for i := 1; i <= len(vals); i++ {
				if i == len(vals) || vals[i] != vals[i-1]+1 {
					dst = binary.LittleEndian.AppendUint16(dst, runStart)
					dst = binary.LittleEndian.AppendUint16(dst, uint16(vals[i-1])-runStart)
					if i < len(vals) {
						runStart = uint16(vals[i])
					}
				}
			}
		}
	}
	return dst
}

func containerSize(c container) int {
	switch c.kind {
	case kindArray:
		return 2 * c.card
	case kindBitmap:
		return bitmapBytes
	}
	return 2 + 4*c.runs
}

// AppendDense appends the serialization of the set bits of words (bit j of
// the set is bit j%64 of words[j/64]) to dst, using scratch for the
// positions; it returns the grown dst and scratch.
func (w *Writer) AppendDense(dst []byte, words []uint64, scratch []uint32) ([]byte, []uint32) {
	scratch = scratch[:0]
	for i, x := range words {
		for x != 0 {
			b := uint32(bits.TrailingZeros64(x))
			scratch = append(scratch, uint32(i)*64+b)
			x &= x - 1
		}
	}
	return w.AppendSorted(dst, scratch), scratch
}

// Open checks that buf is a well-formed bitmap in the portable
// serialization that uses all of buf and whose values are all below limit,
// then decodes it in place. The check is linear in the size of buf
// (roaring's own Validate is quadratic in the runs of a run container,
// which a forged input can exploit). The bitmap shares buf's memory: buf
// must stay valid and unmodified while it is in use, and the bitmap must
// not be modified.
func Open(buf []byte, limit uint32) (*roaring.Bitmap, error) {
	mx, empty, err := check(buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if !empty && mx >= limit {
		return nil, fmt.Errorf("%w: value %d is not below %d", ErrCorrupt, mx, limit)
	}
	bm := roaring.New()
	n, err := bm.FromBuffer(buf)
	if err != nil || n != int64(len(buf)) {
		// check accepted what roaring's reader did not: a disagreement
		// about the format, not bad input.
		return nil, fmt.Errorf("%w: roaring reader: %v (%d of %d bytes)", ErrCorrupt, err, n, len(buf))
	}
	return bm, nil
}

// OpenValidated decodes in place a bitmap that Open accepted before (the
// same bytes): the caller remembers which ones it validated.
func OpenValidated(buf []byte) *roaring.Bitmap {
	bm := roaring.New()
	if _, err := bm.FromBuffer(buf); err != nil {
		panic("bitmap: OpenValidated of a buffer Open did not accept: " + err.Error())
	}
	return bm
}

// check parses buf the way roaring's reader does (sequentially; the offset
// header is skipped) and returns the largest value.
func check(buf []byte) (mx uint32, empty bool, err error) {
	le16 := binary.LittleEndian.Uint16
	le32 := binary.LittleEndian.Uint32
	if len(buf) < 4 {
		return 0, false, fmt.Errorf("%d bytes, no cookie", len(buf))
	}
	cookie := le32(buf)
	pos := 4
	var size int
	var runFlags []byte
	switch {
	case cookie&0xFFFF == cookieRun:
		size = int(cookie>>16) + 1
		nf := (size + 7) / 8
		if len(buf) < pos+nf {
			return 0, false, fmt.Errorf("truncated run flags")
		}
		runFlags = buf[pos : pos+nf]
		pos += nf
	case cookie == cookieNoRun:
		if len(buf) < 8 {
			return 0, false, fmt.Errorf("truncated container count")
		}
		size = int(le32(buf[4:]))
		pos = 8
		if size > 1<<16 {
			return 0, false, fmt.Errorf("%d containers", size)
		}
	default:
		return 0, false, fmt.Errorf("unknown cookie %#x", cookie)
	}
	desc := pos
	pos += 4 * size
	if runFlags == nil || size >= noOffsetThreshold {
		pos += 4 * size
	}
	if len(buf) < pos {
		return 0, false, fmt.Errorf("truncated container headers")
	}
	prevKey := -1
	for i := 0; i < size; i++ {
		key := int(le16(buf[desc+4*i:]))
		card := int(le16(buf[desc+4*i+2:])) + 1
		if key <= prevKey {
			return 0, false, fmt.Errorf("container keys out of order")
		}
		prevKey = key
		var hi int // largest low 16 bits in the container
		switch {
		case runFlags != nil && runFlags[i/8]&(1<<(i%8)) != 0:
			if len(buf) < pos+2 {
				return 0, false, fmt.Errorf("truncated run count")
			}
			nr := int(le16(buf[pos:]))
			pos += 2
			if nr == 0 || len(buf) < pos+4*nr {
				return 0, false, fmt.Errorf("run container of %d runs in %d bytes", nr, len(buf)-pos)
			}
			prevEnd := -2
			for r := 0; r < nr; r++ {
				start := int(le16(buf[pos+4*r:]))
				end := start + int(le16(buf[pos+4*r+2:]))
				if end > 0xFFFF || start <= prevEnd {
					return 0, false, fmt.Errorf("runs overlap or overflow")
				}
				prevEnd = end
			}
			hi = prevEnd
			pos += 4 * nr
		case card > arrayMax:
			if len(buf) < pos+bitmapBytes {
				return 0, false, fmt.Errorf("truncated bitmap container")
			}
			words := buf[pos : pos+bitmapBytes]
			got := 0
			hi = -1
			for w := 0; w < bitmapBytes/8; w++ {
				x := binary.LittleEndian.Uint64(words[8*w:])
				got += bits.OnesCount64(x)
				if x != 0 {
					hi = 64*w + 63 - bits.LeadingZeros64(x)
				}
			}
			if got != card {
				return 0, false, fmt.Errorf("bitmap container holds %d values, header says %d", got, card)
			}
			pos += bitmapBytes
		default:
			if len(buf) < pos+2*card {
				return 0, false, fmt.Errorf("truncated array container")
			}
			prev := -1
			for j := 0; j < card; j++ {
				v := int(le16(buf[pos+2*j:]))
				if v <= prev {
					return 0, false, fmt.Errorf("array container not strictly increasing")
				}
				prev = v
			}
			hi = prev
			pos += 2 * card
		}
		mx = uint32(key)<<16 | uint32(hi)
	}
	if pos != len(buf) {
		return 0, false, fmt.Errorf("%d bytes decoded of %d", pos, len(buf))
	}
	return mx, size == 0, nil
}

// View decodes buf in place without validating it: for bytes that Open
// accepted before.
func View(buf []byte) *roaring.Bitmap {
	bm := roaring.New()
	if _, err := bm.FromBuffer(buf); err != nil {
		panic("BUG: bitmap.View of bytes Open did not accept: " + err.Error())
	}
	return bm
}
