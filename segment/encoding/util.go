package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt marks bytes that do not decode; errors wrapping it describe
// what is wrong.
var ErrCorrupt = errors.New("corrupt")

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func appendU64(dst []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(dst, v) }
func appendU32(dst []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(dst, v) }

// Pad8 appends zero bytes to dst until its length is a multiple of 8.
func Pad8(dst []byte) []byte {
	for len(dst)%8 != 0 {
		dst = append(dst, 0)
	}
	return dst
}
