package exec

import (
	"container/heap"
	"slices"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
)

// topRows returns the first k rows in ORDER BY order: a bounded heap when
// k is small against the row count (O(n log k)), a full sort otherwise.
// Rows that tie on every key come in no particular order, as SQL allows.
func topRows(rows []int, keys []*vec.Vector, order []sql.OrderItem, k int) []int {
	cmp := func(a, b int) int { return compareRows(keys, order, a, b) }
	if k <= 0 {
		return rows[:0]
	}
	if k >= len(rows)/4 {
		slices.SortFunc(rows, cmp)
		if k < len(rows) {
			rows = rows[:k]
		}
		return rows
	}
	h := &rowHeap{cmp: cmp, rows: make([]int, 0, k)}
	for _, r := range rows {
		if len(h.rows) < k {
			heap.Push(h, r)
			continue
		}
		if cmp(r, h.rows[0]) < 0 {
			h.rows[0] = r
			heap.Fix(h, 0)
		}
	}
	out := h.rows
	slices.SortFunc(out, cmp)
	return out
}

// rowHeap is a max-heap by ORDER BY: its root is the worst kept row.
type rowHeap struct {
	cmp  func(a, b int) int
	rows []int
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return h.cmp(h.rows[i], h.rows[j]) > 0 }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(int)) }
func (h *rowHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}
