package encoding

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"
)

//go:generate go run gen_bitpack.go

// BlockLen is the number of values in a bit-packed block: a block of width
// w is exactly 8*w bytes.
const BlockLen = 64

// BitWidth returns the number of bits needed to store v (0 for 0).
func BitWidth(v uint64) int { return bits.Len64(v) }

// PackedLen returns the byte length of n values packed at width w: whole
// 64-value blocks plus 8 bytes of slack for single-load random access.
func PackedLen(n, w int) int {
	return (n+BlockLen-1)/BlockLen*8*w + 8
}

// CheckPacked reports whether src is exactly the packed length of n values
// of width w, and w is at most maxWidth.
func CheckPacked(src []byte, n, w, maxWidth int) error {
	if w < 0 || w > maxWidth {
		return fmt.Errorf("bit width %d out of range 0..%d", w, maxWidth)
	}
	if n < 0 {
		return fmt.Errorf("negative value count %d", n)
	}
	if want := PackedLen(n, w); len(src) != want {
		return fmt.Errorf("packed length %d, want %d for %d values of %d bits", len(src), want, n, w)
	}
	return nil
}

// AppendPacked32 appends vals packed at width w (0..32) to dst. Values must
// fit in w bits (higher bits are dropped). It allocates only when dst lacks
// capacity for PackedLen(len(vals), w) more bytes.
func AppendPacked32(dst []byte, vals []uint32, w int) []byte {
	if w < 0 || w > 32 {
		panic("BUG: AppendPacked32 width out of range")
	}
	start := len(dst)
	dst = grow(dst, PackedLen(len(vals), w))
	if w == 0 {
		return dst
	}
	out := dst[start:]
	mask := uint64(1)<<w - 1
	var acc uint64
	nacc := 0
	o := 0
	for _, v := range vals {
		x := uint64(v) & mask
		acc |= x << nacc
		nacc += w
		if nacc >= 64 {
			binary.LittleEndian.PutUint64(out[o:], acc)
			o += 8
			nacc -= 64
			acc = x >> (w - nacc) // the bits that did not fit; 0 when nacc == 0
			if nacc == 0 {
				acc = 0
			}
		}
	}
	if nacc > 0 {
		binary.LittleEndian.PutUint64(out[o:], acc)
	}
	return dst
}

// AppendPacked64 is AppendPacked32 for u64 values and widths 0..64.
func AppendPacked64(dst []byte, vals []uint64, w int) []byte {
	if w < 0 || w > 64 {
		panic("BUG: AppendPacked64 width out of range")
	}
	start := len(dst)
	dst = grow(dst, PackedLen(len(vals), w))
	if w == 0 {
		return dst
	}
	out := dst[start:]
	mask := ^uint64(0)
	if w < 64 {
		mask = uint64(1)<<w - 1
	}
	var acc uint64
	nacc := 0
	o := 0
	for _, v := range vals {
		x := v & mask
		acc |= x << nacc
		nacc += w
		if nacc >= 64 {
			binary.LittleEndian.PutUint64(out[o:], acc)
			o += 8
			nacc -= 64
			if nacc == 0 {
				acc = 0
			} else {
				acc = x >> (w - nacc)
			}
		}
	}
	if nacc > 0 {
		binary.LittleEndian.PutUint64(out[o:], acc)
	}
	return dst
}

// grow extends dst by n zero bytes.
func grow(dst []byte, n int) []byte {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]byte, l, max(2*cap(dst), l+n))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:l+n]
	clear(dst[l:])
	return dst
}

// Get32 returns value i of width w (0..32) from packed src. The caller
// guarantees that i is below the packed count.
func Get32(src []byte, w int, i int) uint32 {
	bit := uint(i) * uint(w)
	x := binary.LittleEndian.Uint64(src[bit>>3:])
	return uint32(x>>(bit&7)) & uint32(uint64(1)<<w-1)
}

// Get64 returns value i of width w (0..64) from packed src.
func Get64(src []byte, w int, i int) uint64 {
	if w == 0 {
		return 0
	}
	bit := uint(i) * uint(w)
	word := bit >> 6
	off := bit & 63
	x := binary.LittleEndian.Uint64(src[word*8:]) >> off
	if off+uint(w) > 64 {
		x |= binary.LittleEndian.Uint64(src[word*8+8:]) << (64 - off)
	}
	if w < 64 {
		x &= uint64(1)<<w - 1
	}
	return x
}

// Unpack32 decodes values start..start+len(dst)-1 of width w from packed
// src into dst: whole blocks with the width's unrolled function, the
// partial blocks at either end through a block on the stack.
func Unpack32(src []byte, w int, start int, dst []uint32) {
	if len(dst) == 0 {
		return
	}
	if w == 0 {
		clear(dst)
		return
	}
	blk := start / BlockLen
	in := start % BlockLen
	bs := 8 * w
	var tmp [BlockLen]uint32
	if in != 0 {
		unpackBlocks32(w, src[blk*bs:], tmp[:])
		n := copy(dst, tmp[in:])
		dst = dst[n:]
		blk++
	}
	if full := len(dst) / BlockLen * BlockLen; full > 0 {
		unpackBlocks32(w, src[blk*bs:], dst[:full])
		dst = dst[full:]
		blk += full / BlockLen
	}
	if len(dst) > 0 {
		unpackBlocks32(w, src[blk*bs:], tmp[:])
		copy(dst, tmp[:])
	}
}

// Unpack64 is Unpack32 for u64 values of width 0..64.
func Unpack64(src []byte, w int, start int, dst []uint64) {
	if len(dst) == 0 {
		return
	}
	if w == 0 {
		clear(dst)
		return
	}
	blk := start / BlockLen
	in := start % BlockLen
	bs := 8 * w
	var tmp [BlockLen]uint64
	if in != 0 {
		unpackBlocks64(w, src[blk*bs:], tmp[:])
		n := copy(dst, tmp[in:])
		dst = dst[n:]
		blk++
	}
	if full := len(dst) / BlockLen * BlockLen; full > 0 {
		unpackBlocks64(w, src[blk*bs:], dst[:full])
		dst = dst[full:]
		blk += full / BlockLen
	}
	if len(dst) > 0 {
		unpackBlocks64(w, src[blk*bs:], tmp[:])
		copy(dst, tmp[:])
	}
}

// Gather32 reads the values at the ascending positions idx into dst
// (len(dst) >= len(idx)). Contiguous positions are unpacked block by
// block; any others are read one by one, which measures faster than
// decoding the blocks they fall in at every density short of contiguous.
func Gather32(src []byte, w int, idx []uint32, dst []uint32) {
	n := len(idx)
	if n == 0 {
		return
	}
	dst = dst[:n]
	if w == 0 {
		clear(dst)
		return
	}
	if int(idx[n-1])-int(idx[0])+1 == n {
		Unpack32(src, w, int(idx[0]), dst)
		return
	}
	gatherSparse32(src, w, idx, dst)
}

// gatherSparse32 reads each value with one unaligned 8-byte load. The
// positions ascend, so checking the last load against src covers every
// load; the loop then runs without bounds checks, four values per
// iteration so that their loads overlap.
func gatherSparse32(src []byte, w int, idx []uint32, dst []uint32) {
	n := len(idx)
	if last := uint(idx[n-1]) * uint(w) >> 3; last+8 > uint(len(src)) || len(dst) < n {
		panic(fmt.Sprintf("BUG: gather of position %d at width %d from %d packed bytes", idx[n-1], w, len(src)))
	}
	if !littleEndian {
		mask := uint32(uint64(1)<<w - 1)
		for i, p := range idx {
			bit := uint(p) * uint(w)
			x := binary.LittleEndian.Uint64(src[bit>>3:])
			dst[i] = uint32(x>>(bit&7)) & mask
		}
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(src))
	ip := unsafe.Pointer(unsafe.SliceData(idx))
	dp := unsafe.Pointer(unsafe.SliceData(dst))
	uw := uint(w)
	mask := uint32(uint64(1)<<w - 1)
	load := func(i int) uint32 {
		bit := uint(*(*uint32)(unsafe.Add(ip, 4*i))) * uw
		return uint32(*(*uint64)(unsafe.Add(base, bit>>3))>>(bit&7)) & mask
	}
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := load(i), load(i+1), load(i+2), load(i+3)
		*(*uint32)(unsafe.Add(dp, 4*i)) = a
		*(*uint32)(unsafe.Add(dp, 4*i+4)) = b
		*(*uint32)(unsafe.Add(dp, 4*i+8)) = c
		*(*uint32)(unsafe.Add(dp, 4*i+12)) = d
	}
	for ; i < n; i++ {
		*(*uint32)(unsafe.Add(dp, 4*i)) = load(i)
	}
}

// littleEndian reports whether the host stores integers little-endian, as
// the packed format does, so that a native load reads a packed word.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
