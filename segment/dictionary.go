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
// id range. A consuming segment's dictionary is in insertion order
// (Sorted false) and carries a Lookup for finding values by hash; its
// readers see a prefix of a growing dictionary, so the Lookup, which is
// shared by every prefix, may know ids at or beyond Len: Find* treat those
// as absent.
type Dictionary struct {
	Type   schema.DataType
	Ints   []int64
	Floats []float64
	Strs   []string
	Sorted bool

	// Lookup finds values of an unsorted dictionary. It is safe to call
	// while the dictionary grows. Nil for sorted dictionaries; an unsorted
	// dictionary without one is searched linearly.
	Lookup DictLookup
}

// DictLookup finds the id of a value in an unsorted dictionary. An
// implementation must be safe for concurrent use with the writer that adds
// values; it may return ids of values added after the caller's prefix was
// taken.
type DictLookup interface {
	LookupInt64(v int64) (uint32, bool)
	LookupFloat64(v float64) (uint32, bool)
	LookupString(v string) (uint32, bool)
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
// it returns the id of the first greater value (possibly Len()) and false;
// for an unsorted one, 0 and false.
func (d *Dictionary) FindInt64(v int64) (uint32, bool) {
	if !d.Sorted {
		if d.Lookup == nil {
			return linearFind(d.Ints, v)
		}
		id, ok := d.Lookup.LookupInt64(v)
		return inPrefix(id, ok, len(d.Ints))
	}
	i := sort.Search(len(d.Ints), func(i int) bool { return d.Ints[i] >= v })
	return uint32(i), i < len(d.Ints) && d.Ints[i] == v
}

// FindFloat64 is FindInt64 for float dictionaries.
func (d *Dictionary) FindFloat64(v float64) (uint32, bool) {
	if !d.Sorted {
		if d.Lookup == nil {
			return linearFind(d.Floats, v)
		}
		id, ok := d.Lookup.LookupFloat64(v)
		return inPrefix(id, ok, len(d.Floats))
	}
	i := sort.Search(len(d.Floats), func(i int) bool { return d.Floats[i] >= v })
	return uint32(i), i < len(d.Floats) && d.Floats[i] == v
}

// FindString is FindInt64 for string and bytes dictionaries.
func (d *Dictionary) FindString(v string) (uint32, bool) {
	if !d.Sorted {
		if d.Lookup == nil {
			return linearFind(d.Strs, v)
		}
		id, ok := d.Lookup.LookupString(v)
		return inPrefix(id, ok, len(d.Strs))
	}
	i := sort.Search(len(d.Strs), func(i int) bool { return d.Strs[i] >= v })
	return uint32(i), i < len(d.Strs) && d.Strs[i] == v
}

// inPrefix drops an id the lookup knows but this dictionary's prefix does
// not hold yet.
func inPrefix(id uint32, ok bool, n int) (uint32, bool) {
	if !ok || int(id) >= n {
		return 0, false
	}
	return id, true
}

func linearFind[T comparable](vals []T, v T) (uint32, bool) {
	for i, x := range vals {
		if x == v {
			return uint32(i), true
		}
	}
	return 0, false
}
