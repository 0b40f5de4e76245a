// Package vec holds the column vectors that query operators pass between
// each other a batch at a time: typed slices, never a boxed value per row.
package vec

import (
	"math/bits"

	"github.com/tannin-db/tannin/schema"
)

// BatchSize is the number of rows operators process at a time: large enough
// to amortise one call per batch, small enough to stay in L1/L2 cache.
const BatchSize = 1024

// Vector is a batch of values of one logical type. The slice of the type's
// storage family is used (I64 for INT, LONG, BOOLEAN as 0/1 and TIMESTAMP as
// epoch millis; F64 for FLOAT and DOUBLE; Str for STRING, JSON, BIG_DECIMAL
// and BYTES as raw bytes). Nulls is nil when no row is null; otherwise
// Nulls[i] marks row i null and the value slot holds a zero value.
//
// A multi-value vector (a batch of a multi-value column) holds every row's
// values back to back, and row i's values are at Offsets[i]:Offsets[i+1];
// Offsets is nil for single-value vectors.
//
// A Vector is reused from batch to batch: Reset keeps the capacity.
type Vector struct {
	Type    schema.DataType
	I64     []int64
	F64     []float64
	Str     []string
	Nulls   []bool
	Offsets []uint32
}

// New returns an empty vector of type t with room for BatchSize rows.
func New(t schema.DataType) *Vector {
	v := &Vector{Type: t}
	v.Reset(t, 0)
	return v
}

// Reset sets the type and length n, reusing capacity; values are
// unspecified and Nulls is cleared to nil.
func (v *Vector) Reset(t schema.DataType, n int) {
	v.Type = t
	v.Nulls = nil
	v.Offsets = nil
	switch t.Storage() {
	case schema.StorageInt64:
		v.I64 = grow(v.I64, n)
	case schema.StorageFloat64:
		v.F64 = grow(v.F64, n)
	default:
		v.Str = grow(v.Str, n)
	}
}

// Len is the number of rows.
func (v *Vector) Len() int {
	if v.Offsets != nil {
		return len(v.Offsets) - 1
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return len(v.I64)
	case schema.StorageFloat64:
		return len(v.F64)
	default:
		return len(v.Str)
	}
}

// IsNull reports whether row i is null.
func (v *Vector) IsNull(i int) bool { return v.Nulls != nil && v.Nulls[i] }

// SetNull marks row i null, allocating the null slice on first use.
func (v *Vector) SetNull(i int) {
	if v.Nulls == nil {
		v.Nulls = make([]bool, v.Len())
	}
	v.Nulls[i] = true
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	// Selective queries fill vectors of a few values, once per segment:
	// round small sizes up to a power of two rather than to a batch, and
	// let a later, larger batch grow the vector again.
	c := n
	if n < BatchSize {
		c = 1 << bits.Len(uint(max(n, 8)-1))
	}
	return make([]T, n, c)
}
