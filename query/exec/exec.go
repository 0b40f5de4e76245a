package exec

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Query parses, plans and runs one SQL query over t.
func Query(ctx context.Context, t *Table, query string) (*Result, error) {
	st, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	return Run(ctx, t, st)
}

// Run executes a parsed statement over t in process: Execute, then Reduce
// of that one Partial, handed over as is.
func Run(ctx context.Context, t *Table, st *sql.Statement) (*Result, error) {
	p, err := planQuery(t, st)
	if err != nil {
		return nil, err
	}
	part, err := p.execute(ctx)
	if err != nil {
		return nil, err
	}
	return p.reduce(ctx, []*Partial{part})
}

// segResult is what one segment contributes.
type segResult struct {
	groups *groupTable // aggregation
	rows   *rowSet     // selection
	stats  Stats
}

// execute runs the plan over the table's segments and combines their
// results into one Partial, within the statement's timeoutMs.
func (p *plan) execute(ctx context.Context) (*Partial, error) {
	if p.explain {
		return &Partial{kind: partialExplain, explain: p.explainSegments()}, nil
	}
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	part, err := p.executeSegments(ctx)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && p.timeout > 0 {
		return nil, &classError{class: ErrTimeout, err: fmt.Errorf("query timed out after %v (timeoutMs)", p.timeout)}
	}
	return part, err
}

func (p *plan) executeSegments(ctx context.Context) (*Partial, error) {
	segs := p.table.Segments
	results := make([]*segResult, len(segs))
	var total Stats
	total.NumSegmentsQueried = len(segs)
	for _, s := range segs {
		total.TotalDocs += int64(s.NumDocs())
	}
	// A selection without ORDER BY stops once enough rows were collected.
	var collected atomic.Int64
	want := p.limit + p.offset

	workers := min(runtime.GOMAXPROCS(0), len(segs))
	next := atomic.Int64{}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	work := func(w int) {
		sc := scratchPool.Get().(*segScratch)
		defer scratchPool.Put(sc)
		for {
			i := int(next.Add(1) - 1)
			if i >= len(segs) {
				return
			}
			if err := ctx.Err(); err != nil {
				errs[w] = err
				return
			}
			if !p.aggregate && len(p.orderBy) == 0 && collected.Load() >= want {
				results[i] = &segResult{}
				continue
			}
			r, err := p.runSegment(ctx, segs[i], &collected, sc)
			if err != nil {
				errs[w] = fmt.Errorf("segment %q: %w", segs[i].Name(), err)
				return
			}
			results[i] = r
		}
	}
	// The calling goroutine is one of the workers: a fresh goroutine
	// starts with a small stack that planning and execution grow, and
	// under load the growth (stack copies) cost more than the work of a
	// small segment.
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			work(w)
		}(w)
	}
	work(0)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, r := range results {
		if r == nil {
			continue
		}
		total.add(&r.stats)
	}
	part := &Partial{}
	if p.aggregate {
		part.kind = partialGroups
		part.groups = p.combineGroups(results)
		total.NumGroupsLimitReached = part.groups.limitReached
	} else {
		part.kind = partialRows
		part.rows, part.order = p.combineRows(results)
	}
	part.Stats = total
	return part, nil
}

// add sums o's counters into s.
func (s *Stats) add(o *Stats) {
	s.NumSegmentsQueried += o.NumSegmentsQueried
	s.NumSegmentsProcessed += o.NumSegmentsProcessed
	s.NumSegmentsMatched += o.NumSegmentsMatched
	s.NumDocsScanned += o.NumDocsScanned
	s.NumEntriesScannedInFilter += o.NumEntriesScannedInFilter
	s.NumEntriesScannedPostFilter += o.NumEntriesScannedPostFilter
	s.TotalDocs += o.TotalDocs
	s.NumGroupsLimitReached = s.NumGroupsLimitReached || o.NumGroupsLimitReached
}

// segScratch holds the buffers a worker reuses from one segment of a
// query to the next: each is a batch long, and allocating them for every
// segment made most of a selective query's garbage.
type segScratch struct {
	buf    []uint32   // the filter's batch of document ids
	keyIDs [][]uint32 // the group keys' dictionary ids of a batch
	groups []uint32
	valid  []bool
	// aggVecs are the aggregation batch's column vectors.
	aggVecs []*vec.Vector
}

// scratchPool keeps segScratches from query to query: nothing a segment's
// result holds points into them.
var scratchPool = sync.Pool{New: func() any { return &segScratch{buf: make([]uint32, vec.BatchSize)} }}

// keyIDBuf is the i-th group key's id buffer.
func (sc *segScratch) keyIDBuf(i int) []uint32 {
	for len(sc.keyIDs) <= i {
		sc.keyIDs = append(sc.keyIDs, make([]uint32, vec.BatchSize))
	}
	return sc.keyIDs[i]
}

func (p *plan) runSegment(ctx context.Context, seg segment.Segment, collected *atomic.Int64, sc *segScratch) (*segResult, error) {
	r := &segResult{}
	if p.prune(seg) {
		return r, nil
	}
	r.stats.NumSegmentsProcessed = 1
	fc := &filterCtx{seg: seg, numDocs: seg.NumDocs(), buf: sc.buf, scratch: sc}
	ds, err := evalFilter(p.table.Schema, seg, p.where, fc)
	if err != nil {
		return nil, err
	}
	r.stats.NumEntriesScannedInFilter = fc.entriesScanned
	matched := ds.cardinality(fc.numDocs)
	r.stats.NumDocsScanned = int64(matched)
	if matched > 0 {
		r.stats.NumSegmentsMatched = 1
	}
	if p.aggregate {
		if t, ok := p.metadataAnswer(seg); ok {
			r.groups = t
			r.stats.NumDocsScanned = 0
			return r, nil
		}
		if t, ok := p.countAnswer(matched); ok {
			r.groups = t
			return r, nil
		}
		r.groups, err = p.aggregateSegment(ctx, seg, ds, fc, &r.stats)
	} else {
		r.rows, err = p.selectSegment(ctx, seg, ds, fc, collected, &r.stats)
	}
	return r, err
}

// aggregateSegment folds the matching documents into groups.
func (p *plan) aggregateSegment(ctx context.Context, seg segment.Segment, ds docSet, fc *filterCtx, st *Stats) (*groupTable, error) {
	c := newCompiler(p.table.Schema)
	c.dictExprs = true
	argNodes := make([]node, len(p.aggs))
	filterNodes := make([]node, len(p.aggs))
	accs := make([]accumulator, len(p.aggs))
	for i, a := range p.aggs {
		accs[i] = a.newAccumulator()
		if a.kind == aggDistinctCount && !a.mv {
			// Distinct values of a dictionary column: collect ids.
			if ref, ok := a.arg.(*sql.ColumnRef); ok {
				if col := seg.Column(ref.Name); col != nil && col.Dictionary() != nil && col.Meta().SingleValue {
					accs[i] = newDistinctDictAcc(col)
				}
			}
		}
		if a.arg != nil {
			n, err := a.compileArg(c)
			if err != nil {
				return nil, err
			}
			argNodes[i] = n
		}
		if a.filter != nil {
			n, err := c.compile(a.filter)
			if err != nil {
				return nil, err
			}
			filterNodes[i] = n
		}
	}
	var keys []*keyCol
	for i, g := range p.groupBy {
		if p.derived[i] {
			continue // computed from the other keys after grouping
		}
		k := &keyCol{}
		if ref, ok := g.(*sql.ColumnRef); ok {
			col := seg.Column(ref.Name)
			if f := p.table.Schema.Field(ref.Name); !f.SingleValue {
				if col == nil || col.Dictionary() == nil {
					return nil, fmt.Errorf("multi-value column %q has no dictionary in this segment", ref.Name)
				}
				k.col, k.dict, k.mv, k.t = col, col.Dictionary(), true, f.DataType
				k.card = uint64(k.dict.Len()) + 1
				keys = append(keys, k)
				continue
			}
			if col != nil && col.Dictionary() != nil && col.Meta().SingleValue {
				k.col, k.dict = col, col.Dictionary()
				k.t = p.table.Schema.Field(ref.Name).DataType
				k.card = uint64(k.dict.Len()) + 1 // + the null key
				keys = append(keys, k)
				continue
			}
		}
		n, err := c.compile(g)
		if err != nil {
			return nil, err
		}
		k.node, k.t = n, n.typ()
		k.local = newLocalDict(k.t)
		keys = append(keys, k)
	}
	var grouper *segmentGrouper
	if len(keys) > 0 {
		grouper = newSegmentGrouper(keys, accs, p.numGroupsLimit, ds.cardinality(fc.numDocs), fc.scratch)
	} else {
		for _, a := range accs {
			a.resize(1)
		}
	}
	b := c.newBatchReusing(seg, &fc.scratch.aggVecs)
	b.rows = ds.cardinality(fc.numDocs)
	ex := &expander{}
	err := forEachBatch(ds, fc.numDocs, fc.buf, func(docs []uint32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.reset(docs)
		var groups []uint32
		var valid []bool
		var rep []int32 // expanded row -> batch row, for multi-value keys
		rows := b.n
		if grouper != nil {
			var err error
			if groups, valid, err = grouper.assign(b); err != nil {
				return err
			}
			if grouper.hasMV {
				rep = grouper.rep
				rows = len(rep)
			}
		}
		for i, a := range accs {
			if da, ok := a.(*distinctDictAcc); ok {
				m, err := ex.rowMask(rows, valid, rep, filterNodes[i], b)
				if err != nil {
					return err
				}
				da.addDocs(b.docs, rows, groups, rep, m)
				continue
			}
			var v *vec.Vector
			if argNodes[i] != nil {
				var err error
				if v, err = argNodes[i].eval(b); err != nil {
					return err
				}
			}
			var fv *vec.Vector
			if filterNodes[i] != nil {
				var err error
				if fv, err = filterNodes[i].eval(b); err != nil {
					return err
				}
			}
			if err := ex.add(a, p.aggs[i], rows, groups, valid, rep, v, fv); err != nil {
				return err
			}
		}
		st.NumEntriesScannedPostFilter += int64(b.n * len(b.cols))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if grouper != nil {
		return grouper.finish(), nil
	}
	return &groupTable{accs: accs, n: 1}, nil
}

// keyTypes are the types of the group keys that group tables hold (the
// derived keys are computed after grouping).
func (p *plan) keyTypes() []schema.DataType {
	if p.groupKeyTypes != nil || len(p.groupBy) == 0 {
		return p.groupKeyTypes
	}
	_, slotTypes := p.postAggCompiler()
	for i := range p.groupBy {
		if !p.derived[i] {
			p.groupKeyTypes = append(p.groupKeyTypes, slotTypes[i])
		}
	}
	return p.groupKeyTypes
}

func (p *plan) newAccumulators() []accumulator {
	accs := make([]accumulator, len(p.aggs))
	for i, a := range p.aggs {
		accs[i] = a.newAccumulator()
	}
	return accs
}

// combineGroups merges the segments' group tables into one (server side).
func (p *plan) combineGroups(results []*segResult) *groupTable {
	var tables []*groupTable
	for _, r := range results {
		if r != nil && r.groups != nil {
			tables = append(tables, r.groups)
		}
	}
	return mergeGroupTables(tables, p.keyTypes(), p.newAccumulators(), false)
}

// mergeGroupTables merges group tables into one table of distinct keys
// whose accumulators are accs. Tables that are all sorted on one string
// key merge by a k-way merge, which leaves the result sorted too; others
// merge by hashing their keys. Without keys the result has one group,
// even from no tables.
//
// With adopt, the tables are partials (distinct keys, the statement's key
// types and accumulator kinds): the largest becomes the output, modified
// in place, and accs go unused.
func mergeGroupTables(tables []*groupTable, keyTypes []schema.DataType, accs []accumulator, adopt bool) *groupTable {
	// The k-way merge pays off where hashing is dear: string keys.
	allSorted := len(keyTypes) == 1 && keyTypes[0].Storage() == schema.StorageString
	largest := -1
	for i, t := range tables {
		allSorted = allSorted && (t.isSorted() || t.n == 0)
		if largest < 0 || t.n > tables[largest].n {
			largest = i
		}
	}
	if allSorted && len(tables) > 0 {
		return mergeSorted(tables, keyTypes[0], accs)
	}
	hint := 0
	if largest >= 0 {
		hint = tables[largest].n
	}
	m := newMerger(keyTypes, accs, hint)
	if adopt && largest >= 0 {
		m.adopt(tables[largest])
	}
	for i, g := range tables {
		if adopt && i == largest {
			continue
		}
		if len(keyTypes) == 0 {
			for i, a := range m.out.accs {
				a.merge(0, g.accs[i], 0)
			}
			m.out.limitReached = m.out.limitReached || g.limitReached
			continue
		}
		m.add(g)
	}
	return m.out
}

// reduceGroups merges the partials' group tables (one is taken as is),
// then applies HAVING, ORDER BY, OFFSET and LIMIT and evaluates the select
// list.
func (p *plan) reduceGroups(ctx context.Context, tables []*groupTable) (*Result, error) {
	keyTypes := p.keyTypes()
	for i, t := range tables {
		if err := checkGroupTable(t, keyTypes, p.aggs); err != nil {
			return nil, fmt.Errorf("reduce partial %d: %w", i, err)
		}
	}
	var t *groupTable
	if len(tables) == 1 {
		t = tables[0]
	} else {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t = mergeGroupTables(tables, keyTypes, p.newAccumulators(), true)
	}
	return p.finishGroups(t)
}

// finishGroups evaluates HAVING, ORDER BY, DISTINCT, OFFSET/LIMIT and the
// select list over the merged groups.
func (p *plan) finishGroups(t *groupTable) (*Result, error) {
	pc, slotTypes := p.postAggCompiler()
	accs := t.accs
	// Slots: group keys, then aggregate results.
	n := t.n
	slots := make([]*vec.Vector, len(slotTypes))
	j := 0
	for i := range p.groupBy {
		if p.derived[i] {
			continue
		}
		slots[i] = vec.New(t.keys[j].t)
		t.keys[j].toVector(slots[i])
		j++
	}
	if err := p.deriveKeys(slots, n); err != nil {
		return nil, err
	}
	for i, a := range accs {
		v := vec.New(slotTypes[len(p.groupBy)+i])
		v.Reset(v.Type, n)
		for g := 0; g < n; g++ {
			a.result(g, v, g)
		}
		slots[len(p.groupBy)+i] = v
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	b := &batch{n: n, slots: slots}
	if p.having != nil {
		hn, err := pc.compile(p.having)
		if err != nil {
			return nil, err
		}
		hv, err := hn.eval(b)
		if err != nil {
			return nil, err
		}
		kept := rows[:0]
		for _, r := range rows {
			if truth(hv, r) == 1 {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	items := make([]*vec.Vector, len(p.items))
	for i, it := range p.items {
		nd, err := pc.compile(it.expr)
		if err != nil {
			return nil, err
		}
		v, err := nd.eval(b)
		if err != nil {
			return nil, err
		}
		items[i] = cloneVector(v)
	}
	if len(p.orderBy) > 0 {
		keys := make([]*vec.Vector, len(p.orderBy))
		for i, o := range p.orderBy {
			nd, err := pc.compile(o.Expr)
			if err != nil {
				return nil, err
			}
			v, err := nd.eval(b)
			if err != nil {
				return nil, err
			}
			keys[i] = cloneVector(v)
		}
		if p.distinct {
			sortRows(rows, keys, p.orderBy)
		} else {
			rows = topRows(rows, keys, p.orderBy, int(p.offset+p.limit))
		}
	}
	res := p.newResult(items)
	if p.distinct {
		rows = distinctRows(rows, items)
	}
	rows = window(rows, p.offset, p.limit)
	for _, r := range rows {
		res.Rows = append(res.Rows, rowValues(items, r))
	}
	res.Stats.NumGroupsLimitReached = t.limitReached
	return res, nil
}

func window(rows []int, offset, limit int64) []int {
	if offset >= int64(len(rows)) {
		return nil
	}
	rows = rows[offset:]
	if limit < int64(len(rows)) {
		rows = rows[:limit]
	}
	return rows
}

func distinctRows(rows []int, items []*vec.Vector) []int {
	seen := map[string]bool{}
	var buf []byte
	out := rows[:0]
	for _, r := range rows {
		buf = buf[:0]
		for _, v := range items {
			buf = appendVecKey(buf, v, r)
		}
		if !seen[string(buf)] {
			seen[string(buf)] = true
			out = append(out, r)
		}
	}
	return out
}

func appendVecKey(dst []byte, v *vec.Vector, i int) []byte {
	if v.IsNull(i) {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = appendValueKey(dst, v, i)
	return append(dst, 0xff)
}

func cloneVector(v *vec.Vector) *vec.Vector {
	c := &vec.Vector{Type: v.Type}
	c.I64 = append([]int64(nil), v.I64...)
	c.F64 = append([]float64(nil), v.F64...)
	c.Str = append([]string(nil), v.Str...)
	if v.Nulls != nil {
		c.Nulls = append([]bool(nil), v.Nulls...)
	}
	return c
}

// sortRows orders row numbers by the key vectors. NULLs sort last
// ascending and first descending unless NULLS FIRST/LAST says otherwise.
func sortRows(rows []int, keys []*vec.Vector, order []sql.OrderItem) {
	sort.SliceStable(rows, func(a, b int) bool {
		return compareRows(keys, order, rows[a], rows[b]) < 0
	})
}

func compareRows(keys []*vec.Vector, order []sql.OrderItem, a, b int) int {
	for k, v := range keys {
		c := compareVecValues(v, a, v, b, order[k])
		if c != 0 {
			return c
		}
	}
	return 0
}

func compareVecValues(va *vec.Vector, a int, vb *vec.Vector, b int, o sql.OrderItem) int {
	na, nb := va.IsNull(a), vb.IsNull(b)
	nullsFirst := o.Desc
	if o.NullsFirst != nil {
		nullsFirst = *o.NullsFirst
	}
	if na || nb {
		if na && nb {
			return 0
		}
		if na == nullsFirst {
			return -1
		}
		return 1
	}
	var c int
	switch va.Type.Storage() {
	case schema.StorageInt64:
		c = cmp3(va.I64[a], vb.I64[b])
	case schema.StorageFloat64:
		c = cmp3(va.F64[a], vb.F64[b])
	default:
		c = strings.Compare(va.Str[a], vb.Str[b])
	}
	if o.Desc {
		c = -c
	}
	return c
}

func (p *plan) newResult(items []*vec.Vector) *Result {
	res := &Result{}
	for i, it := range p.items {
		res.Columns = append(res.Columns, it.name)
		res.Types = append(res.Types, items[i].Type)
		mv := false
		if ref, ok := it.expr.(*sql.ColumnRef); ok && !p.aggregate {
			f := p.table.Schema.Field(ref.Name)
			mv = f != nil && !f.SingleValue
		}
		res.MultiValue = append(res.MultiValue, mv)
	}
	return res
}

// rowValues converts row r of the vectors to Go values (see Result).
func rowValues(items []*vec.Vector, r int) []any {
	row := make([]any, len(items))
	for i, v := range items {
		row[i] = valueAt(v, r)
	}
	return row
}

func valueAt(v *vec.Vector, r int) any {
	if v.Offsets != nil {
		lo, hi := v.Offsets[r], v.Offsets[r+1]
		switch v.Type.Storage() {
		case schema.StorageInt64:
			return slices.Clone(v.I64[lo:hi])
		case schema.StorageFloat64:
			return slices.Clone(v.F64[lo:hi])
		default:
			out := make([]string, hi-lo)
			for i, s := range v.Str[lo:hi] {
				out[i] = strings.Clone(s)
			}
			return out
		}
	}
	if v.IsNull(r) {
		return nil
	}
	switch v.Type {
	case schema.TypeBoolean:
		return v.I64[r] != 0
	case schema.TypeBytes:
		return []byte(v.Str[r])
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return v.I64[r]
	case schema.StorageFloat64:
		return v.F64[r]
	default:
		return strings.Clone(v.Str[r])
	}
}
