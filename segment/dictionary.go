package segment

import (
	"sort"

	"github.com/tannin-db/tannin/schema"
)

// Dictionary holds a column's distinct values; a value's id is its index.
// Exactly one of Ints, Floats and Strs is used, chosen by the data type's
// storage family (Strs also holds BYTES as raw bytes in strings).
//
// A sealed segment's dictionary is sorted ascending, so a value range is an
// id range. A consuming segment's dictionary is in insertion order and
// carries a hash index for lookups; its readers see a prefix of a growing
// dictionary.
type Dictionary struct {
	Type   schema.DataType
	Ints   []int64
	Floats []float64
	Strs   []string
	Sorted bool

	// Hash lookups for unsorted dictionaries.
	IntIndex   map[int64]uint32
	FloatIndex map[float64]uint32
	StrIndex   map[string]uint32
}

// Len is the number of distinct values.
func (d *Dictionary) Len() int {
	switch d.Type.Storage() {
	case schema.StorageInt64:
		return len(d.Ints)
	case schema.StorageFloat64:
		return len(d.Floats)
	default:
		return len(d.Strs)
	}
}

// FindInt64 returns the id of v. For a sorted dictionary, when v is absent
// it returns the id of the first greater value (possibly Len()) and false.
func (d *Dictionary) FindInt64(v int64) (uint32, bool) {
	if !d.Sorted {
		id, ok := d.IntIndex[v]
		return id, ok
	}
	i := sort.Search(len(d.Ints), func(i int) bool { return d.Ints[i] >= v })
	return uint32(i), i < len(d.Ints) && d.Ints[i] == v
}

// FindFloat64 is FindInt64 for float dictionaries.
func (d *Dictionary) FindFloat64(v float64) (uint32, bool) {
	if !d.Sorted {
		id, ok := d.FloatIndex[v]
		return id, ok
	}
	i := sort.Search(len(d.Floats), func(i int) bool { return d.Floats[i] >= v })
	return uint32(i), i < len(d.Floats) && d.Floats[i] == v
}

// FindString is FindInt64 for string and bytes dictionaries.
func (d *Dictionary) FindString(v string) (uint32, bool) {
	if !d.Sorted {
		id, ok := d.StrIndex[v]
		return id, ok
	}
	i := sort.Search(len(d.Strs), func(i int) bool { return d.Strs[i] >= v })
	return uint32(i), i < len(d.Strs) && d.Strs[i] == v
}
