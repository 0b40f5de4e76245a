package exec

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// distinctDictAcc is a segment's DISTINCTCOUNT over a dictionary column:
// it collects dictionary ids (a bitset without GROUP BY, a roaring bitmap
// per group with it) and turns them into values only once, when the
// segment's result merges into the query's distinctAcc.
type distinctDictAcc struct {
	dict   *segment.Dictionary
	col    segment.Column
	dense  []uint64 // ungrouped
	groups []*roaring.Bitmap
	ids    []uint32
	nulls  []bool
}

func newDistinctDictAcc(col segment.Column) *distinctDictAcc {
	return &distinctDictAcc{dict: col.Dictionary(), col: col}
}

func (a *distinctDictAcc) resize(n int) { a.groups = resize(a.groups, n) }

// add is not used: addDocs reads the ids itself.
func (a *distinctDictAcc) add(int, []uint32, *vec.Vector, []bool) {}

// addDocs folds the dictionary ids of docs (expanded by rep when not nil)
// into their groups.
func (a *distinctDictAcc) addDocs(docs []uint32, rows int, groups []uint32, rep []int32, mask []bool) {
	if cap(a.ids) < len(docs) {
		a.ids = make([]uint32, len(docs), max(len(docs), 1024))
	}
	ids := a.ids[:len(docs)]
	a.col.DictIDs(docs, ids)
	var nulls []bool
	if nb := a.col.Nulls(); nb != nil && !nb.IsEmpty() {
		if cap(a.nulls) < len(docs) {
			a.nulls = make([]bool, len(docs))
		}
		nulls = a.nulls[:len(docs)]
		for i, d := range docs {
			nulls[i] = nb.Contains(d)
		}
	}
	if groups == nil {
		if a.dense == nil {
			a.dense = make([]uint64, (a.dict.Len()+63)/64)
		}
		for i, id := range ids {
			if (mask != nil && !mask[i]) || (nulls != nil && nulls[i]) {
				continue
			}
			a.dense[id>>6] |= 1 << (id & 63)
		}
		return
	}
	for j := 0; j < rows; j++ {
		row := j
		if rep != nil {
			row = int(rep[j])
		}
		if (mask != nil && !mask[j]) || (nulls != nil && nulls[row]) {
			continue
		}
		g := groups[j]
		if a.groups[g] == nil {
			a.groups[g] = roaring.New()
		}
		a.groups[g].Add(ids[row])
	}
}

// forEachID calls f with every id collected for group g.
func (a *distinctDictAcc) forEachID(g int, f func(id uint32)) {
	if a.dense != nil && g == 0 {
		for w, word := range a.dense {
			for word != 0 {
				f(uint32(w*64 + bits.TrailingZeros64(word)))
				word &= word - 1
			}
		}
		return
	}
	if g < len(a.groups) && a.groups[g] != nil {
		it := a.groups[g].Iterator()
		for it.HasNext() {
			f(it.Next())
		}
	}
}

func (a *distinctDictAcc) merge(int, accumulator, int) {
	panic("BUG: distinctDictAcc is a per-segment accumulator")
}

func (a *distinctDictAcc) result(int, *vec.Vector, int) {
	panic("BUG: distinctDictAcc is a per-segment accumulator")
}

// mergeFromDict folds group src of a segment's id sets into group dst.
func (a *distinctAcc) mergeFromDict(dst int, d *distinctDictAcc, src int) {
	dict := d.dict
	switch a.storage {
	case schema.StorageInt64:
		if a.ints[dst] == nil {
			a.ints[dst] = map[int64]struct{}{}
		}
		m := a.ints[dst]
		d.forEachID(src, func(id uint32) { m[dict.Ints[id]] = struct{}{} })
	case schema.StorageFloat64:
		if a.flts[dst] == nil {
			a.flts[dst] = map[float64]struct{}{}
		}
		m := a.flts[dst]
		if dict.Type.Storage() != schema.StorageFloat64 {
			// BIG_DECIMAL: exact decimal text, counted by its value.
			d.forEachID(src, func(id uint32) { m[parseFloatOrZero(dict.Strs[id])] = struct{}{} })
			break
		}
		d.forEachID(src, func(id uint32) { m[dict.Floats[id]] = struct{}{} })
	default:
		if a.strs[dst] == nil {
			a.strs[dst] = map[string]struct{}{}
		}
		m := a.strs[dst]
		d.forEachID(src, func(id uint32) { m[dict.Strs[id]] = struct{}{} })
	}
}
