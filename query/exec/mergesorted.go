package exec

import (
	"container/heap"
	"strings"

	"github.com/tannin-db/tannin/schema"
)

// mergeSorted merges group tables whose groups are in ascending order of a
// single key (groupTable.isSorted) with a k-way merge: equal keys meet at
// the head of the heap, so no key is hashed; the merged groups are in key
// order again. This is the merge of
// high-cardinality GROUP BY on one dictionary column (GROUP BY URL), where
// a hash table of millions of keys is bound by cache misses.
func mergeSorted(tables []*groupTable, keyType schema.DataType, accs []accumulator) *groupTable {
	out := &groupTable{accs: accs, keys: []*keyValues{newKeyValues(keyType)}, inOrder: true}
	h := &cursorHeap{}
	for _, t := range tables {
		if t.n > 0 {
			h.cs = append(h.cs, cursor{t: t})
		}
	}
	heap.Init(h)
	k := out.keys[0]
	for h.Len() > 0 {
		c := &h.cs[0]
		src := c.t.sortedGroup(c.pos)
		if out.n == 0 || compareKeys(k, out.n-1, c.t.keys[0], src) != 0 {
			k.appendFrom(c.t.keys[0], src)
			out.n++
			for _, a := range accs {
				a.resize(out.n)
			}
		}
		for i, a := range accs {
			a.merge(out.n-1, c.t.accs[i], src)
		}
		if c.t.limitReached {
			out.limitReached = true
		}
		c.pos++
		if c.pos == c.t.n {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return out
}

// compareKeys orders key values, NULL last.
func compareKeys(a *keyValues, i int, b *keyValues, j int) int {
	an, bn := a.nulls[i], b.nulls[j]
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	switch a.t.Storage() {
	case schema.StorageInt64:
		return cmp3(a.ints[i], b.ints[j])
	case schema.StorageFloat64:
		return cmp3(floatKeyValue(a.flts[i]), floatKeyValue(b.flts[j]))
	default:
		return strings.Compare(a.strs[i], b.strs[j])
	}
}

// floatKeyValue makes -0 equal +0, as grouping does.
func floatKeyValue(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

type cursor struct {
	t   *groupTable
	pos int
}

type cursorHeap struct{ cs []cursor }

func (h *cursorHeap) Len() int { return len(h.cs) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.cs[i], h.cs[j]
	return compareKeys(a.t.keys[0], a.t.sortedGroup(a.pos), b.t.keys[0], b.t.sortedGroup(b.pos)) < 0
}
func (h *cursorHeap) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *cursorHeap) Push(x any)    { h.cs = append(h.cs, x.(cursor)) }
func (h *cursorHeap) Pop() any {
	x := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return x
}
