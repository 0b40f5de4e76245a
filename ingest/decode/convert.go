package decode

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Text-to-value conversions, following Pinot's PinotDataType where it is
// well defined: integers parse strictly from text (Integer.parseInt of the
// trimmed text), while a JSON number with a fraction or exponent truncates
// toward zero into an integer column (Number.longValue).

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unsafeBytes views s as bytes for a call that neither keeps nor modifies it.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// trimSpace trims what Java's String.trim trims, for the ASCII range.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseInt parses an optionally signed decimal integer, surrounding
// white space ignored.
func parseInt(b []byte) (int64, bool) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	i, neg := 0, false
	if b[0] == '-' || b[0] == '+' {
		neg, i = b[0] == '-', 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if len(b)-i > 18 { // may overflow: let strconv check
		n, err := strconv.ParseInt(unsafeString(b), 10, 64)
		return n, err == nil
	}
	var n int64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseFloat parses a number as Java's Float.parseFloat/Double.parseDouble
// do: white space trimmed, an optional f/F/d/D suffix, NaN and Infinity.
func parseFloat(b []byte, bits int) (float64, bool) {
	b = trimSpace(b)
	if n := len(b); n > 1 {
		switch b[n-1] {
		case 'f', 'F', 'd', 'D':
			if c := b[n-2]; c >= '0' && c <= '9' || c == '.' {
				b = b[:n-1]
			}
		}
	}
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafeString(b), bits)
	if err != nil {
		return 0, false
	}
	return f, true
}

// javaF64ToI64 is Java's (long) cast of a double: NaN is 0, out-of-range
// values saturate.
func javaF64ToI64(x float64) int64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return int64(x)
}

// javaF64ToI32 is Java's (int) cast of a double.
func javaF64ToI32(x float64) int64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int64(int32(x))
}

// parseBool accepts true, false (any case), 1 and 0.
func parseBool(b []byte) (v, ok bool) {
	b = trimSpace(b)
	switch len(b) {
	case 1:
		switch b[0] {
		case '1':
			return true, true
		case '0':
			return false, true
		}
	case 4:
		return true, bytes.EqualFold(b, []byte("true"))
	case 5:
		return false, bytes.EqualFold(b, []byte("false"))
	}
	return false, false
}

// isDecimal reports whether b is text java.math.BigDecimal accepts:
// [+-]digits[.digits][e[+-]digits], with at least one digit before the
// exponent.
func isDecimal(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(b)
}

// isIntegerLiteral reports whether a JSON number has neither fraction nor
// exponent.
func isIntegerLiteral(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// sanitize applies Pinot's SanitizationTransformer to string bytes: the
// value ends at the first NUL character and is cut to maxLen characters.
func sanitize(b []byte, maxLen int) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) <= maxLen {
		return b
	}
	n, chars := 0, 0
	for n < len(b) && chars < maxLen {
		_, size := utf8.DecodeRune(b[n:])
		n += size
		chars++
	}
	return b[:n]
}
