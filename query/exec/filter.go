package exec

import (
	"fmt"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// docSet is a set of matching documents: every document of the segment,
// or a bitmap. The bitmap may be an index's own (see union): it is never
// modified, only combined into new ones.
type docSet struct {
	all bool
	bm  *roaring.Bitmap
}

func (d docSet) cardinality(numDocs int) int {
	if d.all {
		return numDocs
	}
	return int(d.bm.GetCardinality())
}

// without returns the documents of d not in bm. For every document it
// flips bm: roaring's AndNot of a full-range run container goes through
// array containers and allocates heavily.
func without(d docSet, bm *roaring.Bitmap, numDocs int) docSet {
	if d.all {
		return docSet{bm: roaring.Flip(bm, 0, uint64(numDocs))}
	}
	return docSet{bm: roaring.AndNot(d.bm, bm)}
}

// union returns the union of index bitmaps: the bitmap itself when there
// is one, which saves copying an equality's posting list.
func union(bms []*roaring.Bitmap) *roaring.Bitmap {
	if len(bms) == 1 {
		return bms[0]
	}
	return roaring.FastOr(bms...)
}

// smallCandidates is the number of candidate documents below which a
// filter reads their dictionary ids rather than an index: after a selective
// first condition (one user's rows), a time range's index bitmap over half
// the segment costs far more than checking the few candidates.
const smallCandidates = 4096

func intersect(a, b docSet, numDocs int) docSet {
	switch {
	case a.all:
		return b
	case b.all:
		return a
	}
	return docSet{bm: roaring.And(a.bm, b.bm)}
}

// forEachBatch calls f with ascending batches of at most vec.BatchSize
// document ids of ds.
func forEachBatch(ds docSet, numDocs int, buf []uint32, f func(docs []uint32) error) error {
	if ds.all {
		for start := 0; start < numDocs; start += len(buf) {
			n := min(len(buf), numDocs-start)
			docs := buf[:n]
			for i := range docs {
				docs[i] = uint32(start + i)
			}
			if err := f(docs); err != nil {
				return err
			}
		}
		return nil
	}
	it := ds.bm.ManyIterator()
	for {
		n := it.NextMany(buf)
		if n == 0 {
			return nil
		}
		if err := f(buf[:n]); err != nil {
			return err
		}
	}
}

// filterNode is a compiled WHERE clause node for one segment.
type filterNode interface {
	// docs returns the documents of candidates that satisfy the node.
	docs(fc *filterCtx, candidates docSet) (docSet, error)
	// cost orders the children of AND: index answers first, then scans.
	cost() int
}

type filterCtx struct {
	seg     segment.Segment
	numDocs int
	buf     []uint32
	scratch *segScratch
	// entriesScanned counts values read by scans (Pinot's
	// numEntriesScannedInFilter).
	entriesScanned int64
}

// filterBuilder compiles a normalized WHERE expression for one segment.
type filterBuilder struct {
	schema *schema.Schema
	seg    segment.Segment
}

func (fb *filterBuilder) build(e sql.Expr) (filterNode, error) {
	switch x := e.(type) {
	case *sql.Binary:
		if x.Op == sql.OpAnd || x.Op == sql.OpOr {
			l, err := fb.build(x.L)
			if err != nil {
				return nil, err
			}
			r, err := fb.build(x.R)
			if err != nil {
				return nil, err
			}
			children := []filterNode{l, r}
			if x.Op == sql.OpAnd {
				return flattenAnd(children), nil
			}
			return &orFilter{children: children}, nil
		}
	}
	return fb.leaf(e)
}

func flattenAnd(children []filterNode) filterNode {
	var flat []filterNode
	for _, c := range children {
		if a, ok := c.(*andFilter); ok {
			flat = append(flat, a.children...)
		} else {
			flat = append(flat, c)
		}
	}
	sort.SliceStable(flat, func(i, j int) bool { return flat[i].cost() < flat[j].cost() })
	return &andFilter{children: flat}
}

type andFilter struct{ children []filterNode }

func (f *andFilter) cost() int {
	c := 3
	for _, ch := range f.children {
		c = min(c, ch.cost())
	}
	return c
}

func (f *andFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	for _, ch := range f.children {
		var err error
		cand, err = ch.docs(fc, cand)
		if err != nil {
			return docSet{}, err
		}
		if !cand.all && cand.bm.IsEmpty() {
			return cand, nil
		}
	}
	return cand, nil
}

type orFilter struct{ children []filterNode }

func (f *orFilter) cost() int {
	c := 0
	for _, ch := range f.children {
		c = max(c, ch.cost())
	}
	return c
}

func (f *orFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	out := roaring.New()
	for _, ch := range f.children {
		d, err := ch.docs(fc, cand)
		if err != nil {
			return docSet{}, err
		}
		if d.all {
			return d, nil
		}
		out.Or(d.bm)
	}
	return docSet{bm: out}, nil
}

// constFilter is a condition folded to a constant.
type constFilter struct{ match bool }

func (f *constFilter) cost() int { return 0 }

func (f *constFilter) docs(_ *filterCtx, cand docSet) (docSet, error) {
	if f.match {
		return cand, nil
	}
	return docSet{bm: roaring.New()}, nil
}

// leaf compiles a predicate. A predicate whose only column is a
// single-value dictionary column is evaluated once per distinct value
// (on the dictionary), then mapped to documents through the column's
// indexes; anything else is evaluated row by row.
func (fb *filterBuilder) leaf(e sql.Expr) (filterNode, error) {
	if f := fb.mvLeaf(e); f != nil {
		return f, nil
	}
	c := newCompiler(fb.schema)
	n, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	if k, ok := n.(*constNode); ok {
		return &constFilter{match: !k.val.Null && k.val.Int != 0}, nil
	}
	if isNull, ok := e.(*sql.IsNull); ok {
		if ref, ok := isNull.X.(*sql.ColumnRef); ok {
			return &nullFilter{col: fb.seg.Column(ref.Name), not: isNull.Not}, nil
		}
	}
	if len(c.colNames) == 1 && !nullSensitive(e) {
		col := fb.seg.Column(c.colNames[0])
		if col != nil && col.Dictionary() != nil && col.Meta().SingleValue {
			return &dictFilter{expr: e, node: n, compiler: c, col: col}, nil
		}
	}
	return &scanFilter{node: n, compiler: c}, nil
}

// nullSensitive reports whether e can be true for a null input, in which
// case it cannot be evaluated on dictionary values alone.
func nullSensitive(e sql.Expr) bool {
	found := false
	sql.Walk(e, func(x sql.Expr) bool {
		switch x := x.(type) {
		case *sql.IsNull, *sql.Case:
			found = true
		case *sql.Func:
			switch x.Name {
			// Functions that answer for a NULL input rather than
			// returning NULL (concat, greatest and least skip NULLs).
			case "coalesce", "ifnull", "nullif", "isnull", "isnotnull", "nvl", "concat", "greatest", "least":
				found = true
			}
		case *sql.In:
			for _, it := range x.List {
				if l, ok := it.(*sql.Literal); ok && l.Kind == sql.LitNull {
					found = true
				}
			}
		case *sql.Literal:
			if x.Kind == sql.LitNull {
				found = true
			}
		}
		return !found
	})
	return found
}

// nullFilter is col IS [NOT] NULL, answered from the null bitmap.
type nullFilter struct {
	col segment.Column
	not bool
}

func (f *nullFilter) cost() int { return 0 }

func (f *nullFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	nulls := roaring.New()
	if f.col == nil {
		nulls.AddRange(0, uint64(fc.numDocs))
	} else if bm := f.col.Nulls(); bm != nil {
		nulls = bm
	}
	if f.not {
		return without(cand, nulls, fc.numDocs), nil
	}
	return intersect(cand, docSet{bm: nulls}, fc.numDocs), nil
}

// dictFilter evaluates a predicate on one dictionary column.
type dictFilter struct {
	expr     sql.Expr
	node     node
	compiler *compiler
	col      segment.Column
}

func (f *dictFilter) cost() int {
	if f.col.SortedIndex() != nil || f.col.Inverted() != nil || f.col.RangeIndex() != nil {
		return 0
	}
	return 1
}

// idSet is the set of dictionary ids whose value satisfies a predicate:
// a contiguous range [lo, hi) or a bitmap over ids.
type idSet struct {
	isRange bool
	lo, hi  uint32
	bits    []bool
	count   int
}

func (s *idSet) contains(id uint32) bool {
	if s.isRange {
		return id >= s.lo && id < s.hi
	}
	return s.bits[id]
}

func (s *idSet) forEach(f func(id uint32)) {
	if s.isRange {
		for id := s.lo; id < s.hi; id++ {
			f(id)
		}
		return
	}
	for id, ok := range s.bits {
		if ok {
			f(uint32(id))
		}
	}
}

// matchingIDs finds the ids satisfying the predicate: by binary search for
// a comparison with a constant on a sorted dictionary, by hash lookup for
// equality or IN on an unsorted (consuming segment's) one, else by
// evaluating the predicate over every dictionary value.
func (f *dictFilter) matchingIDs() (*idSet, error) {
	dict := f.col.Dictionary()
	if dict.Sorted {
		if s, ok := sortedRange(f.expr, f.col, dict); ok {
			return s, nil
		}
	} else if s, ok := unsortedLookup(f.expr, dict); ok {
		return s, nil
	}
	n := dict.Len()
	set := &idSet{bits: make([]bool, n)}
	b := &batch{cols: []*colSlot{{v: vec.New(dict.Type)}}}
	for start := 0; start < n; start += vec.BatchSize {
		end := min(n, start+vec.BatchSize)
		v := b.cols[0].v
		v.Reset(dict.Type, end-start)
		switch dict.Type.Storage() {
		case schema.StorageInt64:
			copy(v.I64, dict.Ints[start:end])
		case schema.StorageFloat64:
			copy(v.F64, dict.Floats[start:end])
		default:
			copy(v.Str, dict.Strs[start:end])
		}
		b.n = end - start
		b.cols[0].loaded = true
		out, err := f.node.eval(b)
		if err != nil {
			return nil, err
		}
		for i := 0; i < b.n; i++ {
			if truth(out, i) == 1 {
				set.bits[start+i] = true
				set.count++
			}
		}
	}
	return set, nil
}

func (f *dictFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	match, err := f.matchingIDs()
	if err != nil {
		return docSet{}, err
	}
	nulls := f.col.Nulls()
	hasNulls := nulls != nil && !nulls.IsEmpty()
	dictLen := f.col.Dictionary().Len()
	var ds docSet
	switch {
	case match.count == 0:
		return docSet{bm: roaring.New()}, nil
	case match.count == dictLen && !hasNulls:
		return cand, nil
	case f.col.SortedIndex() != nil:
		si := f.col.SortedIndex()
		bm := roaring.New()
		if match.isRange {
			s, _ := si.DocRange(match.lo)
			_, e := si.DocRange(match.hi - 1)
			bm.AddRange(uint64(s), uint64(e))
		} else {
			match.forEach(func(id uint32) {
				if s, e := si.DocRange(id); e > s {
					bm.AddRange(uint64(s), uint64(e))
				}
			})
		}
		ds = docSet{bm: bm}
	case !cand.all && cand.bm.GetCardinality() < smallCandidates:
		return f.scan(fc, cand, match)
	case match.isRange && f.col.RangeIndex() != nil && (cand.all || match.count > 128):
		ds = docSet{bm: f.col.RangeIndex().DocsForIDRange(match.lo, match.hi-1)}
	case f.col.Inverted() != nil && dictLen-match.count < match.count && (dictLen-match.count <= 128 || cand.all):
		// Most values match (col <> x, NOT IN): union the few that do
		// not and take the complement.
		inv := f.col.Inverted()
		bms := make([]*roaring.Bitmap, 0, dictLen-match.count)
		for id := 0; id < dictLen; id++ {
			if !match.contains(uint32(id)) {
				bms = append(bms, inv.Docs(uint32(id)))
			}
		}
		ds = without(cand, union(bms), fc.numDocs)
	case f.col.Inverted() != nil && (match.count <= 128 || cand.all):
		inv := f.col.Inverted()
		bms := make([]*roaring.Bitmap, 0, match.count)
		match.forEach(func(id uint32) { bms = append(bms, inv.Docs(id)) })
		ds = docSet{bm: union(bms)}
	default:
		return f.scan(fc, cand, match)
	}
	res := intersect(cand, ds, fc.numDocs)
	if hasNulls {
		res = without(res, nulls, fc.numDocs)
	}
	return res, nil
}

// scan reads the dictionary ids of the candidates and keeps the matching.
func (f *dictFilter) scan(fc *filterCtx, cand docSet, match *idSet) (docSet, error) {
	out := roaring.New()
	n := vec.BatchSize
	if !cand.all {
		n = int(min(cand.bm.GetCardinality(), uint64(n)))
	}
	ids := make([]uint32, n)
	keep := make([]uint32, 0, n)
	nulls := f.col.Nulls()
	err := forEachBatch(cand, fc.numDocs, fc.buf, func(docs []uint32) error {
		f.col.DictIDs(docs, ids)
		fc.entriesScanned += int64(len(docs))
		keep = keep[:0]
		if match.isRange {
			lo, hi := match.lo, match.hi
			for i, d := range docs {
				if id := ids[i]; id >= lo && id < hi {
					keep = append(keep, d)
				}
			}
		} else {
			bits := match.bits
			for i, d := range docs {
				if bits[ids[i]] {
					keep = append(keep, d)
				}
			}
		}
		out.AddMany(keep)
		return nil
	})
	if err != nil {
		return docSet{}, err
	}
	if nulls != nil && !nulls.IsEmpty() {
		out.AndNot(nulls)
	}
	return docSet{bm: out}, nil
}

// scanFilter evaluates an arbitrary condition row by row.
type scanFilter struct {
	node     node
	compiler *compiler
}

func (f *scanFilter) cost() int { return 2 }

func (f *scanFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	b := f.compiler.newBatch(fc.seg)
	out := roaring.New()
	keep := make([]uint32, 0, vec.BatchSize)
	err := forEachBatch(cand, fc.numDocs, fc.buf, func(docs []uint32) error {
		b.reset(docs)
		fc.entriesScanned += int64(len(docs) * max(1, len(b.cols)))
		v, err := f.node.eval(b)
		if err != nil {
			return err
		}
		keep = keep[:0]
		for i, d := range docs {
			if truth(v, i) == 1 {
				keep = append(keep, d)
			}
		}
		out.AddMany(keep)
		return nil
	})
	if err != nil {
		return docSet{}, err
	}
	return docSet{bm: out}, nil
}

// normalize pushes NOT down to the leaves (De Morgan), so that each leaf
// can exclude null inputs itself: NOT (a = 1) is a <> 1, which is unknown,
// not true, for a null a.
func normalize(e sql.Expr) sql.Expr {
	switch x := e.(type) {
	case *sql.Unary:
		if x.Op == sql.OpNot {
			return negate(x.X)
		}
	case *sql.Binary:
		if x.Op == sql.OpAnd || x.Op == sql.OpOr {
			return &sql.Binary{Op: x.Op, L: normalize(x.L), R: normalize(x.R)}
		}
	case *sql.Between:
		if x.Not {
			return &sql.Binary{Op: sql.OpOr, L: &sql.Binary{Op: sql.OpLt, L: x.X, R: x.Lo}, R: &sql.Binary{Op: sql.OpGt, L: x.X, R: x.Hi}}
		}
	}
	return e
}

func negate(e sql.Expr) sql.Expr {
	switch x := e.(type) {
	case *sql.Unary:
		if x.Op == sql.OpNot {
			return normalize(x.X)
		}
	case *sql.Binary:
		switch x.Op {
		case sql.OpAnd:
			return &sql.Binary{Op: sql.OpOr, L: negate(x.L), R: negate(x.R)}
		case sql.OpOr:
			return &sql.Binary{Op: sql.OpAnd, L: negate(x.L), R: negate(x.R)}
		case sql.OpEq:
			return &sql.Binary{Op: sql.OpNe, L: x.L, R: x.R}
		case sql.OpNe:
			return &sql.Binary{Op: sql.OpEq, L: x.L, R: x.R}
		case sql.OpLt:
			return &sql.Binary{Op: sql.OpGe, L: x.L, R: x.R}
		case sql.OpLe:
			return &sql.Binary{Op: sql.OpGt, L: x.L, R: x.R}
		case sql.OpGt:
			return &sql.Binary{Op: sql.OpLe, L: x.L, R: x.R}
		case sql.OpGe:
			return &sql.Binary{Op: sql.OpLt, L: x.L, R: x.R}
		}
	case *sql.In:
		return &sql.In{X: x.X, List: x.List, Not: !x.Not}
	case *sql.Between:
		return normalize(&sql.Between{X: x.X, Lo: x.Lo, Hi: x.Hi, Not: !x.Not})
	case *sql.Like:
		return &sql.Like{X: x.X, Pattern: x.Pattern, Not: !x.Not, CaseInsensitive: x.CaseInsensitive}
	case *sql.IsNull:
		return &sql.IsNull{X: x.X, Not: !x.Not}
	}
	return &sql.Unary{Op: sql.OpNot, X: e}
}

// evalFilter returns the documents of seg matching where (all when nil).
func evalFilter(s *schema.Schema, seg segment.Segment, where sql.Expr, fc *filterCtx) (docSet, error) {
	if where == nil {
		return docSet{all: true}, nil
	}
	fb := &filterBuilder{schema: s, seg: seg}
	f, err := fb.build(normalize(where))
	if err != nil {
		return docSet{}, fmt.Errorf("WHERE: %w", err)
	}
	return f.docs(fc, docSet{all: true})
}

// mvLeaf compiles a predicate on one multi-value column, which matches a
// document when any of its values matches (Pinot's semantics).
func (fb *filterBuilder) mvLeaf(e sql.Expr) filterNode {
	name, single := singleColumn(e)
	if !single {
		return nil
	}
	if f := fb.schema.Field(name); f == nil || f.SingleValue {
		return nil
	}
	c := newCompiler(fb.schema)
	c.mvAsScalar = true
	n, err := c.compile(e)
	if err != nil {
		return nil
	}
	col := fb.seg.Column(name)
	if col == nil || col.Dictionary() == nil {
		return &constFilter{match: false}
	}
	return &mvFilter{dictFilter{expr: e, node: n, compiler: c, col: col}}
}

// mvFilter evaluates a predicate on a multi-value column's dictionary,
// then keeps the documents holding any matching id.
type mvFilter struct{ dictFilter }

func (f *mvFilter) cost() int {
	if f.col.Inverted() != nil {
		return 0
	}
	return 1
}

func (f *mvFilter) docs(fc *filterCtx, cand docSet) (docSet, error) {
	match, err := f.dictFilter.matchingIDs()
	if err != nil {
		return docSet{}, err
	}
	if match.count == 0 {
		return docSet{bm: roaring.New()}, nil
	}
	if inv := f.col.Inverted(); inv != nil {
		bms := make([]*roaring.Bitmap, 0, match.count)
		match.forEach(func(id uint32) { bms = append(bms, inv.Docs(id)) })
		return intersect(cand, docSet{bm: union(bms)}, fc.numDocs), nil
	}
	out := roaring.New()
	var ids []uint32
	err = forEachBatch(cand, fc.numDocs, fc.buf, func(docs []uint32) error {
		for _, d := range docs {
			ids = f.col.MVDictIDs(d, ids[:0])
			fc.entriesScanned += int64(len(ids))
			for _, id := range ids {
				if match.contains(id) {
					out.Add(d)
					break
				}
			}
		}
		return nil
	})
	return docSet{bm: out}, err
}
