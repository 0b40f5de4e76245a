package encoding

import "math"

// canonicalNaN is the one NaN a dictionary or bloom filter stores.
const canonicalNaN = 0x7FF8000000000001

// Int64Key maps v to a u64 whose unsigned order is v's order.
func Int64Key(v int64) uint64 { return uint64(v) ^ (1 << 63) }

// KeyInt64 inverts Int64Key.
func KeyInt64(k uint64) int64 { return int64(k ^ (1 << 63)) }

// CanonicalFloat64 returns the bits stored for f: -0 becomes +0 and every
// NaN the same quiet NaN, so that equal values have equal bits.
func CanonicalFloat64(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return canonicalNaN
	}
	return math.Float64bits(f)
}

// Float64Key maps f to a u64 whose unsigned order is f's order (NaN after
// +Inf), after canonicalisation.
func Float64Key(f float64) uint64 {
	b := CanonicalFloat64(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// KeyFloat64 inverts Float64Key.
func KeyFloat64(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// AppendInt64Keys appends the keys of vals to dst.
func AppendInt64Keys(dst []uint64, vals []int64) []uint64 {
	for _, v := range vals {
		dst = append(dst, Int64Key(v))
	}
	return dst
}

// AppendFloat64Keys appends the keys of vals to dst.
func AppendFloat64Keys(dst []uint64, vals []float64) []uint64 {
	for _, v := range vals {
		dst = append(dst, Float64Key(v))
	}
	return dst
}
