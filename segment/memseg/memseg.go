// Package memseg is a plain in-memory segment built from column buffers:
// every column dictionary-encoded with a sorted dictionary, ids in a flat
// slice, inverted and sorted indexes derived on demand. It is the naive
// reference the memory-mapped format and the query engine are tested
// against, and a quick way to put rows in front of the engine in tests.
package memseg

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Segment is an in-memory segment.
type Segment struct {
	name    string
	numDocs int
	cols    map[string]*Column
	meta    *segment.Meta
}

// Options choose indexes per column name.
type Options struct {
	Inverted map[string]bool
	Sorted   bool // give every sorted column a sorted index
}

// New builds a segment from buffers of equal length.
func New(name string, cols []*segment.ColumnBuffer, opts Options) (*Segment, error) {
	s := &Segment{name: name, cols: map[string]*Column{}, meta: &segment.Meta{Name: name, PartitionID: -1}}
	for i, b := range cols {
		n := b.Len()
		if i == 0 {
			s.numDocs = n
		} else if n != s.numDocs {
			return nil, fmt.Errorf("memseg %q: column %q has %d rows, want %d", name, b.Spec.Name, n, s.numDocs)
		}
		c, err := newColumn(b, n)
		if err != nil {
			return nil, fmt.Errorf("memseg %q: column %q: %w", name, b.Spec.Name, err)
		}
		c.inverted = opts.Inverted[b.Spec.Name]
		c.sortedIdx = opts.Sorted && c.meta.Sorted
		s.cols[b.Spec.Name] = c
		s.meta.Columns = append(s.meta.Columns, c.meta)
	}
	s.meta.NumDocs = s.numDocs
	return s, nil
}

func (s *Segment) Name() string        { return s.name }
func (s *Segment) NumDocs() int        { return s.numDocs }
func (s *Segment) Meta() *segment.Meta { return s.meta }
func (s *Segment) Column(name string) segment.Column {
	if c, ok := s.cols[name]; ok {
		return c
	}
	return nil
}

// Column is one dictionary-encoded column.
type Column struct {
	meta      *segment.ColumnMeta
	dict      *segment.Dictionary
	ids       []uint32   // single-value
	mvIDs     [][]uint32 // multi-value
	nulls     *roaring.Bitmap
	inverted  bool
	sortedIdx bool
	invOnce   sync.Once
	inv       map[uint32]*roaring.Bitmap
}

func newColumn(b *segment.ColumnBuffer, n int) (*Column, error) {
	spec := b.Spec
	c := &Column{meta: &segment.ColumnMeta{Name: spec.Name, DataType: spec.DataType, SingleValue: spec.SingleValue, HasDictionary: true}}
	dict := &segment.Dictionary{Type: spec.DataType, Sorted: true}
	var ids []uint32
	switch spec.DataType.Storage() {
	case schema.StorageInt64:
		dict.Ints, ids = encode(b.Ints)
	case schema.StorageFloat64:
		dict.Floats, ids = encode(b.Floats)
	default:
		dict.Strs, ids = encode(b.Strs)
	}
	c.dict = dict
	if spec.SingleValue {
		c.ids = ids
	} else {
		c.mvIDs = make([][]uint32, n)
		for d := 0; d < n; d++ {
			c.mvIDs[d] = ids[b.Offsets[d]:b.Offsets[d+1]]
			c.meta.MaxValuesPerDoc = max(c.meta.MaxValuesPerDoc, len(c.mvIDs[d]))
		}
		c.meta.TotalValues = len(ids)
	}
	if b.Nulls != nil && !b.Nulls.IsEmpty() {
		c.nulls = b.Nulls.Clone()
		c.meta.NullCount = int(b.Nulls.GetCardinality())
	}
	c.meta.Cardinality = dict.Len()
	// Min and max over non-null values.
	first := true
	c.meta.Sorted = spec.SingleValue
	prev := uint32(0)
	for d := 0; d < n && spec.SingleValue; d++ {
		if c.nulls != nil && c.nulls.Contains(uint32(d)) {
			c.meta.Sorted = false
			continue
		}
		id := ids[d]
		if !first && id < prev {
			c.meta.Sorted = false
		}
		setBound(dict, &c.meta.Min, id, first, -1)
		setBound(dict, &c.meta.Max, id, first, 1)
		first = false
		prev = id
	}
	if !spec.SingleValue {
		for _, id := range ids {
			setBound(dict, &c.meta.Min, id, first, -1)
			setBound(dict, &c.meta.Max, id, first, 1)
			first = false
		}
	}
	return c, nil
}

func setBound(d *segment.Dictionary, b *segment.Bound, id uint32, first bool, dir int) {
	switch d.Type.Storage() {
	case schema.StorageInt64:
		v := d.Ints[id]
		if first || (dir < 0 && v < b.Int) || (dir > 0 && v > b.Int) {
			b.Int = v
		}
	case schema.StorageFloat64:
		v := d.Floats[id]
		if first || (dir < 0 && v < b.Float) || (dir > 0 && v > b.Float) {
			b.Float = v
		}
	default:
		v := d.Strs[id]
		if first || (dir < 0 && v < b.Str) || (dir > 0 && v > b.Str) {
			b.Str = v
		}
	}
}

// encode returns the sorted distinct values and each value's id.
func encode[T int64 | float64 | string](vals []T) ([]T, []uint32) {
	dict := slices.Clone(vals)
	slices.Sort(dict)
	dict = slices.Compact(dict)
	ids := make([]uint32, len(vals))
	for i, v := range vals {
		ids[i] = uint32(sort.Search(len(dict), func(j int) bool { return dict[j] >= v }))
	}
	return dict, ids
}

func (c *Column) Meta() *segment.ColumnMeta       { return c.meta }
func (c *Column) Dictionary() *segment.Dictionary { return c.dict }
func (c *Column) Nulls() *roaring.Bitmap          { return c.nulls }
func (c *Column) RangeIndex() segment.RangeIndex  { return nil }
func (c *Column) Bloom() segment.BloomFilter      { return nil }

func (c *Column) DictIDs(docs []uint32, dst []uint32) {
	for i, d := range docs {
		dst[i] = c.ids[d]
	}
}

func (c *Column) Int64s(docs []uint32, dst []int64) {
	for i, d := range docs {
		dst[i] = c.dict.Ints[c.ids[d]]
	}
}

func (c *Column) Float64s(docs []uint32, dst []float64) {
	for i, d := range docs {
		dst[i] = c.dict.Floats[c.ids[d]]
	}
}

func (c *Column) Strings(docs []uint32, dst []string) {
	for i, d := range docs {
		dst[i] = c.dict.Strs[c.ids[d]]
	}
}

func (c *Column) MVDictIDs(doc uint32, dst []uint32) []uint32 {
	return append(dst, c.mvIDs[doc]...)
}

func (c *Column) Inverted() segment.InvertedIndex {
	if !c.inverted || !c.meta.SingleValue {
		return nil
	}
	c.invOnce.Do(func() {
		c.inv = map[uint32]*roaring.Bitmap{}
		for d, id := range c.ids {
			bm := c.inv[id]
			if bm == nil {
				bm = roaring.New()
				c.inv[id] = bm
			}
			bm.Add(uint32(d))
		}
	})
	return invIndex(c.inv)
}

type invIndex map[uint32]*roaring.Bitmap

func (m invIndex) Docs(id uint32) *roaring.Bitmap {
	if bm, ok := m[id]; ok {
		return bm
	}
	return roaring.New()
}

func (c *Column) SortedIndex() segment.SortedIndex {
	if !c.sortedIdx {
		return nil
	}
	return sortedIndex{c.ids}
}

type sortedIndex struct{ ids []uint32 }

func (s sortedIndex) DocRange(id uint32) (uint32, uint32) {
	lo := sort.Search(len(s.ids), func(i int) bool { return s.ids[i] >= id })
	hi := sort.Search(len(s.ids), func(i int) bool { return s.ids[i] > id })
	return uint32(lo), uint32(hi)
}
