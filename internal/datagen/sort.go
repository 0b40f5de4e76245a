package datagen

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// SortBy reorders the rows of one batch by the values of its single-value
// column name, ascending and stable, moving every column (values, null
// bitmaps, multi-value offsets) along. It prepares a batch for a segment
// with a sorted column. Null rows sort by the default value they hold.
// The buffers get reordered copies of their slices and bitmaps; the old
// ones are never written to, so a shallow copy of a buffer keeps the
// original order.
func SortBy(cols []*segment.ColumnBuffer, name string) error {
	var key *segment.ColumnBuffer
	for _, c := range cols {
		if c.Spec.Name == name {
			key = c
		}
	}
	if key == nil {
		return fmt.Errorf("sort batch by %q: no such column", name)
	}
	if !key.Spec.SingleValue {
		return fmt.Errorf("sort batch by %q: column is multi-value", name)
	}
	n := key.Len()
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	switch key.Spec.DataType.Storage() {
	case schema.StorageInt64:
		slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(key.Ints[a], key.Ints[b]) })
	case schema.StorageFloat64:
		slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(key.Floats[a], key.Floats[b]) })
	default:
		slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(key.Strs[a], key.Strs[b]) })
	}
	for _, c := range cols {
		if c.Len() != n {
			return fmt.Errorf("sort batch by %q: column %q has %d rows, want %d", name, c.Spec.Name, c.Len(), n)
		}
		permute(c, perm)
	}
	return nil
}

// permute rewrites c so that new row i is old row perm[i].
func permute(c *segment.ColumnBuffer, perm []int) {
	if c.Nulls != nil && !c.Nulls.IsEmpty() {
		nulls := roaring.New()
		for i, p := range perm {
			if c.Nulls.Contains(uint32(p)) {
				nulls.Add(uint32(i))
			}
		}
		c.Nulls = nulls
	}
	if !c.Spec.SingleValue {
		offs := make([]uint32, 1, len(c.Offsets))
		var ints []int64
		var floats []float64
		var strs []string
		for _, p := range perm {
			lo, hi := c.Offsets[p], c.Offsets[p+1]
			switch {
			case c.Ints != nil:
				ints = append(ints, c.Ints[lo:hi]...)
			case c.Floats != nil:
				floats = append(floats, c.Floats[lo:hi]...)
			default:
				strs = append(strs, c.Strs[lo:hi]...)
			}
			offs = append(offs, offs[len(offs)-1]+hi-lo)
		}
		c.Offsets = offs
		switch {
		case c.Ints != nil:
			c.Ints = ints
		case c.Floats != nil:
			c.Floats = floats
		default:
			c.Strs = strs
		}
		return
	}
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		c.Ints = gather(c.Ints, perm)
	case schema.StorageFloat64:
		c.Floats = gather(c.Floats, perm)
	default:
		c.Strs = gather(c.Strs, perm)
	}
}

func gather[T any](src []T, perm []int) []T {
	dst := make([]T, len(perm))
	for i, p := range perm {
		dst[i] = src[p]
	}
	return dst
}
