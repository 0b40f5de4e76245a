package segment

import (
	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
)

// ColumnBuffer accumulates one column's values, in its storage family, as
// input to a segment builder. Exactly one of Ints, Floats and Strs is used.
//
// For a single-value column the slice holds one value per document. For a
// multi-value column it holds all documents' values back to back and
// Offsets[i]..Offsets[i+1] delimits document i (len(Offsets) = docs+1).
// A null document holds the field's default null value and is in Nulls.
type ColumnBuffer struct {
	Spec    *schema.FieldSpec
	Ints    []int64
	Floats  []float64
	Strs    []string
	Offsets []uint32
	Nulls   *roaring.Bitmap
}

// NewColumnBuffer returns an empty buffer for spec.
func NewColumnBuffer(spec *schema.FieldSpec) *ColumnBuffer {
	b := &ColumnBuffer{Spec: spec, Nulls: roaring.New()}
	if !spec.SingleValue {
		b.Offsets = []uint32{0}
	}
	return b
}

// Len is the number of documents in the buffer.
func (b *ColumnBuffer) Len() int {
	if !b.Spec.SingleValue {
		return len(b.Offsets) - 1
	}
	switch b.Spec.DataType.Storage() {
	case schema.StorageInt64:
		return len(b.Ints)
	case schema.StorageFloat64:
		return len(b.Floats)
	default:
		return len(b.Strs)
	}
}
