package exec

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// rowSet is a segment's contribution to a selection query: projected
// values (and ORDER BY keys) of its surviving rows, column by column.
type rowSet struct {
	items []*vec.Vector
	keys  []*vec.Vector
	n     int
}

// appendRows appends rows idx of src to dst (all of src when idx is nil).
func appendRows(dst, src *vec.Vector, n int, idx []int) {
	if src.Offsets != nil {
		appendMVRows(dst, src, n, idx)
		return
	}
	add := func(i int) {
		switch src.Type.Storage() {
		case schema.StorageInt64:
			dst.I64 = append(dst.I64, src.I64[i])
		case schema.StorageFloat64:
			dst.F64 = append(dst.F64, src.F64[i])
		default:
			dst.Str = append(dst.Str, src.Str[i])
		}
		if src.IsNull(i) || dst.Nulls != nil {
			if dst.Nulls == nil {
				dst.Nulls = make([]bool, dst.Len()-1, dst.Len())
			}
			dst.Nulls = append(dst.Nulls, src.IsNull(i))
		}
	}
	if idx == nil {
		for i := 0; i < n; i++ {
			add(i)
		}
		return
	}
	for _, i := range idx {
		add(i)
	}
}

func emptyLike(v *vec.Vector) *vec.Vector {
	e := &vec.Vector{Type: v.Type}
	return e
}

// selectSegment collects the rows of a selection query. Without ORDER BY
// it stops after LIMIT+OFFSET rows; with ORDER BY it keeps the top rows by
// their sort keys and projects only those.
func (p *plan) selectSegment(ctx context.Context, seg segment.Segment, ds docSet, fc *filterCtx, collected *atomic.Int64, st *Stats) (*rowSet, error) {
	want := int(p.limit + p.offset)
	c := newCompiler(p.table.Schema)
	c.dictExprs = true
	items := make([]node, len(p.items))
	for i, it := range p.items {
		n, err := c.compileItem(it.expr)
		if err != nil {
			return nil, err
		}
		items[i] = n
	}
	keyNodes := make([]node, len(p.orderBy))
	for i, o := range p.orderBy {
		n, err := c.compile(o.Expr)
		if err != nil {
			return nil, err
		}
		keyNodes[i] = n
	}
	b := c.newBatch(seg)
	b.rows = ds.cardinality(fc.numDocs)
	if len(p.orderBy) == 0 {
		b.rows = min(b.rows, want)
	}
	rs := &rowSet{}
	if want == 0 {
		return rs, nil
	}
	if len(p.orderBy) == 0 {
		stop := errStop{}
		err := forEachBatch(ds, fc.numDocs, fc.buf, func(docs []uint32) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if int(collected.Load()) >= want {
				return stop
			}
			take := min(len(docs), want-rs.n)
			docs = docs[:take]
			b.reset(docs)
			if err := rs.appendEval(items, b, nil); err != nil {
				return err
			}
			st.NumEntriesScannedPostFilter += int64(take * len(items))
			rs.n += take
			collected.Add(int64(take))
			if rs.n >= want {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			return nil, err
		}
		return rs, nil
	}

	// Top-N: keep the ORDER BY keys and doc ids, trimming to the best
	// `want` rows whenever the buffer doubles. After a trim the worst kept
	// row is a bound: a row that sorts after it can never make the cut.
	keys := make([]*vec.Vector, len(keyNodes))
	batchKeys := make([]*vec.Vector, len(keyNodes))
	var bound []*vec.Vector
	var docIDs []uint32
	var keep []int
	trim := func() {
		idx := topIndexes(keys, p, len(docIDs), want)
		for k := range keys {
			nk := emptyLike(keys[k])
			appendRows(nk, keys[k], 0, idx)
			keys[k] = nk
		}
		nd := make([]uint32, len(idx))
		for i, j := range idx {
			nd[i] = docIDs[j]
		}
		docIDs = nd
		if len(docIDs) == want {
			bound = make([]*vec.Vector, len(keys))
			for k := range keys {
				bound[k] = emptyLike(keys[k])
				appendRows(bound[k], keys[k], 0, []int{want - 1})
			}
		}
	}
	err := forEachBatch(ds, fc.numDocs, fc.buf, func(docs []uint32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.reset(docs)
		for k, kn := range keyNodes {
			v, err := kn.eval(b)
			if err != nil {
				return err
			}
			batchKeys[k] = v
			if keys[k] == nil {
				keys[k] = emptyLike(v)
			}
		}
		st.NumEntriesScannedPostFilter += int64(len(docs) * len(keyNodes))
		var idx []int // nil: every row of the batch
		if bound != nil {
			keep = keep[:0]
			for i := range docs {
				if compareAcross(batchKeys, i, bound, 0, p.orderBy) <= 0 {
					keep = append(keep, i)
				}
			}
			if len(keep) == 0 {
				return nil
			}
			idx = keep
		}
		for k := range keyNodes {
			appendRows(keys[k], batchKeys[k], b.n, idx)
		}
		if idx == nil {
			docIDs = append(docIDs, docs...)
		} else {
			for _, i := range idx {
				docIDs = append(docIDs, docs[i])
			}
		}
		if len(docIDs) >= 2*want+vec.BatchSize {
			trim()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(docIDs) == 0 {
		return rs, nil
	}
	trim()
	// Project the winners in ascending doc order, as readers want, then
	// restore the sort order.
	order := make([]int, len(docIDs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, c int) bool { return docIDs[order[a]] < docIDs[order[c]] })
	sortedDocs := make([]uint32, len(order))
	for i, j := range order {
		sortedDocs[i] = docIDs[j]
	}
	proj := &rowSet{}
	for start := 0; start < len(sortedDocs); start += vec.BatchSize {
		end := min(len(sortedDocs), start+vec.BatchSize)
		b.reset(sortedDocs[start:end])
		if err := proj.appendEval(items, b, nil); err != nil {
			return nil, err
		}
	}
	// proj row i holds doc sortedDocs[i] = docIDs[order[i]]; put it back at
	// position order[i].
	back := make([]int, len(order))
	for i, j := range order {
		back[j] = i
	}
	rs.items = make([]*vec.Vector, len(items))
	for k := range items {
		rs.items[k] = emptyLike(proj.items[k])
		appendRows(rs.items[k], proj.items[k], 0, back)
	}
	rs.keys = keys
	rs.n = len(docIDs)
	return rs, nil
}

type errStop struct{}

func (errStop) Error() string { return "stop" }

func (rs *rowSet) appendEval(items []node, b *batch, idx []int) error {
	if rs.items == nil {
		rs.items = make([]*vec.Vector, len(items))
	}
	for k, n := range items {
		v, err := n.eval(b)
		if err != nil {
			return err
		}
		if rs.items[k] == nil {
			rs.items[k] = emptyLike(v)
		}
		appendRows(rs.items[k], v, b.n, idx)
	}
	return nil
}

// topIndexes returns the indexes of the best `want` rows in sort order.
func topIndexes(keys []*vec.Vector, p *plan, n, want int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return topRows(idx, keys, p.orderBy, want)
}

// combineRows gathers the segments' rows into one row set and picks the
// candidates (server side): the first OFFSET+LIMIT rows in ORDER BY order,
// or any OFFSET+LIMIT rows without ORDER BY. It returns the row set and
// the candidates' row numbers in order.
func (p *plan) combineRows(results []*segResult) (*rowSet, []int) {
	var sets []*rowSet
	for _, r := range results {
		if r != nil && r.rows != nil && r.rows.n > 0 {
			sets = append(sets, r.rows)
		}
	}
	rs := concatRows(sets, nil)
	rows := make([]int, rs.n)
	for i := range rows {
		rows[i] = i
	}
	want := p.offset + p.limit
	if len(p.orderBy) > 0 {
		rows = topRows(rows, rs.keys, p.orderBy, int(want))
	} else if int64(len(rows)) > want {
		rows = rows[:want]
	}
	return rs, rows
}

// concatRows appends the row sets into one: rows orders[i] of sets[i]
// (all of them when orders is nil or orders[i] is nil), in that order.
func concatRows(sets []*rowSet, orders [][]int) *rowSet {
	out := &rowSet{}
	for i, rs := range sets {
		var idx []int
		if orders != nil {
			idx = orders[i]
		}
		if out.items == nil {
			out.items = make([]*vec.Vector, len(rs.items))
			for k, v := range rs.items {
				out.items[k] = emptyLike(v)
			}
			out.keys = make([]*vec.Vector, len(rs.keys))
			for k, v := range rs.keys {
				out.keys[k] = emptyLike(v)
			}
		}
		for k, v := range rs.items {
			appendRows(out.items[k], v, rs.n, idx)
		}
		for k, v := range rs.keys {
			appendRows(out.keys[k], v, rs.n, idx)
		}
		if idx == nil {
			out.n += rs.n
		} else {
			out.n += len(idx)
		}
	}
	return out
}

// reduceRows merges the partials' candidate rows (one partial's are
// already in order), sorts them and applies OFFSET and LIMIT.
func (p *plan) reduceRows(parts []*Partial) (*Result, error) {
	var chosen []*Partial
	for i, part := range parts {
		if part.rows == nil || part.numRows() == 0 {
			continue
		}
		var first *rowSet
		if len(chosen) > 0 {
			first = chosen[0].rows
		}
		if err := p.checkRowSet(part.rows, first); err != nil {
			return nil, fmt.Errorf("reduce partial %d: %w", i, err)
		}
		chosen = append(chosen, part)
	}
	var items []*vec.Vector
	var rows []int
	switch len(chosen) {
	case 0:
		// No rows: still name and type the columns.
		c := newCompiler(p.table.Schema)
		items = make([]*vec.Vector, len(p.items))
		for i, it := range p.items {
			n, err := c.compileItem(it.expr)
			if err != nil {
				return nil, err
			}
			items[i] = vec.New(n.typ())
		}
	case 1:
		// One partial's candidates are in their final order.
		items, rows = chosen[0].rows.items, chosen[0].selected()
	default:
		sets := make([]*rowSet, len(chosen))
		orders := make([][]int, len(chosen))
		for i, part := range chosen {
			sets[i], orders[i] = part.rows, part.order
		}
		rs := concatRows(sets, orders)
		items = rs.items
		rows = make([]int, rs.n)
		for i := range rows {
			rows[i] = i
		}
		if len(p.orderBy) > 0 {
			rows = topRows(rows, rs.keys, p.orderBy, int(p.offset+p.limit))
		}
	}
	rows = window(rows, p.offset, p.limit)
	res := p.newResult(items)
	res.Rows = make([][]any, 0, len(rows))
	for _, r := range rows {
		res.Rows = append(res.Rows, rowValues(items, r))
	}
	return res, nil
}

// checkRowSet checks that a partial's rows fit the statement and the rows
// of the first partial (nil for the first).
func (p *plan) checkRowSet(rs *rowSet, first *rowSet) error {
	if len(rs.items) != len(p.items) || len(rs.keys) != len(p.orderBy) {
		return fmt.Errorf("rows have %d columns and %d sort keys, the statement %d and %d", len(rs.items), len(rs.keys), len(p.items), len(p.orderBy))
	}
	for _, k := range rs.keys {
		if k.Offsets != nil {
			return fmt.Errorf("a sort key is multi-value")
		}
	}
	if first == nil {
		return nil
	}
	for k, v := range rs.items {
		if v.Type != first.items[k].Type || (v.Offsets == nil) != (first.items[k].Offsets == nil) {
			return fmt.Errorf("column %d is %s (multi-value %v), another partial's %s (multi-value %v)",
				k+1, v.Type, v.Offsets != nil, first.items[k].Type, first.items[k].Offsets != nil)
		}
	}
	for k, v := range rs.keys {
		if v.Type != first.keys[k].Type {
			return fmt.Errorf("sort key %d is %s, another partial's %s", k+1, v.Type, first.keys[k].Type)
		}
	}
	return nil
}

func appendMVRows(dst, src *vec.Vector, n int, idx []int) {
	if dst.Offsets == nil {
		dst.Offsets = []uint32{0}
	}
	add := func(i int) {
		lo, hi := src.Offsets[i], src.Offsets[i+1]
		switch src.Type.Storage() {
		case schema.StorageInt64:
			dst.I64 = append(dst.I64, src.I64[lo:hi]...)
		case schema.StorageFloat64:
			dst.F64 = append(dst.F64, src.F64[lo:hi]...)
		default:
			dst.Str = append(dst.Str, src.Str[lo:hi]...)
		}
		dst.Offsets = append(dst.Offsets, uint32(flatLen(dst)))
	}
	if idx == nil {
		for i := 0; i < n; i++ {
			add(i)
		}
		return
	}
	for _, i := range idx {
		add(i)
	}
}

// compareAcross compares row a of the key vectors as with row b of the
// key vectors bs, in ORDER BY order.
func compareAcross(as []*vec.Vector, a int, bs []*vec.Vector, b int, order []sql.OrderItem) int {
	for k := range as {
		if c := compareVecValues(as[k], a, bs[k], b, order[k]); c != 0 {
			return c
		}
	}
	return 0
}
