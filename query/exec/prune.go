package exec

import (
	"fmt"
	"strings"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// prune reports whether seg cannot hold a row matching the WHERE clause,
// judged from its metadata alone: a conjunct comparing a column with a
// constant outside the column's min/max, or an equality the column's bloom
// filter rules out.
func (p *plan) prune(seg segment.Segment) bool {
	if seg.NumDocs() == 0 {
		return true
	}
	if p.where == nil {
		return false
	}
	for _, c := range conjuncts(normalize(p.where)) {
		if p.conjunctPrunes(seg, c) {
			return true
		}
	}
	return false
}

func conjuncts(e sql.Expr) []sql.Expr {
	if b, ok := e.(*sql.Binary); ok && b.Op == sql.OpAnd {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []sql.Expr{e}
}

func (p *plan) conjunctPrunes(seg segment.Segment, e sql.Expr) bool {
	switch x := e.(type) {
	case *sql.Binary:
		ref, okL := x.L.(*sql.ColumnRef)
		lit, okR := literalOf(x.R)
		op := x.Op
		if !okL || !okR {
			ref, okL = x.R.(*sql.ColumnRef)
			lit, okR = literalOf(x.L)
			op = flip(op)
		}
		if !okL || !okR {
			return false
		}
		return p.rangePrunes(seg, ref.Name, op, lit)
	case *sql.Between:
		ref, ok := x.X.(*sql.ColumnRef)
		lo, ok1 := literalOf(x.Lo)
		hi, ok2 := literalOf(x.Hi)
		if !ok || !ok1 || !ok2 || x.Not {
			return false
		}
		return p.rangePrunes(seg, ref.Name, sql.OpGe, lo) || p.rangePrunes(seg, ref.Name, sql.OpLe, hi)
	case *sql.In:
		ref, ok := x.X.(*sql.ColumnRef)
		if !ok || x.Not {
			return false
		}
		for _, it := range x.List {
			lit, ok := literalOf(it)
			if !ok || !p.rangePrunes(seg, ref.Name, sql.OpEq, lit) {
				return false
			}
		}
		return true
	}
	return false
}

// rangePrunes tests `col op lit` against the column's min, max and bloom.
// pruneConst is lit converted for a comparison with a column of type t,
// and the storage the comparison happens in; ok is false when they do not
// compare. A broker and a server ask for every segment, so conversions are
// kept on the plan.
func (p *plan) pruneConst(lit *sql.Literal, t schema.DataType) (k *constNode, kind schema.Storage, ok bool) {
	p.pruneMu.Lock() // segment workers prune in parallel
	defer p.pruneMu.Unlock()
	for _, c := range p.pruneConsts {
		if c.lit == lit && c.t == t {
			return c.k, c.kind, c.k != nil
		}
	}
	c := prunedConst{lit: lit, t: t}
	if _, r, kind, err := unifyForCompare(&colNode{t: t}, newConstNode(lit)); err == nil {
		c.k, c.kind = r.(*constNode), kind
	}
	p.pruneConsts = append(p.pruneConsts, c)
	return c.k, c.kind, c.k != nil
}

// prunedConst is one conversion pruneConst made.
type prunedConst struct {
	lit  *sql.Literal
	t    schema.DataType
	k    *constNode
	kind schema.Storage
}

func (p *plan) rangePrunes(seg segment.Segment, name string, op sql.BinaryOp, lit *sql.Literal) bool {
	m, col := columnMeta(seg, name)
	if m == nil {
		return false
	}
	if !m.SingleValue || m.DataType == schema.TypeBigDecimal {
		return false
	}
	if m.NullCount == seg.NumDocs() {
		return true // every value is null: no comparison is true
	}
	k, kind, ok := p.pruneConst(lit, m.DataType)
	if !ok {
		return false
	}
	if k.val.Null {
		return true
	}
	var cmpMin, cmpMax int // sign(k - min), sign(k - max)
	switch kind {
	case schema.StorageInt64:
		if k.t.Storage() != schema.StorageInt64 {
			return false
		}
		cmpMin, cmpMax = cmp3(k.val.Int, m.Min.Int), cmp3(k.val.Int, m.Max.Int)
	case schema.StorageFloat64:
		kv := k.val.Float
		if k.t.Storage() == schema.StorageInt64 {
			kv = float64(k.val.Int)
		}
		lo, hi := m.Min.Float, m.Max.Float
		if m.DataType.Storage() == schema.StorageInt64 {
			lo, hi = float64(m.Min.Int), float64(m.Max.Int)
		}
		cmpMin, cmpMax = cmp3(kv, lo), cmp3(kv, hi)
	case schema.StorageString:
		if m.DataType.Storage() != schema.StorageString {
			return false
		}
		cmpMin, cmpMax = strings.Compare(k.val.Str, m.Min.Str), strings.Compare(k.val.Str, m.Max.Str)
	default:
		return false
	}
	switch op {
	case sql.OpEq:
		if cmpMin < 0 || cmpMax > 0 {
			return true
		}
		if col == nil {
			break
		}
		if bf := col.Bloom(); bf != nil {
			switch kind {
			case schema.StorageInt64:
				return !bf.MayContainInt64(k.val.Int)
			case schema.StorageString:
				return !bf.MayContainString(k.val.Str)
			case schema.StorageFloat64:
				if m.DataType.Storage() == schema.StorageFloat64 && k.t.Storage() == schema.StorageFloat64 {
					return !bf.MayContainFloat64(k.val.Float)
				}
			}
		}
	case sql.OpLt: // col < k: impossible when k <= min
		return cmpMin <= 0
	case sql.OpLe:
		return cmpMin < 0
	case sql.OpGt:
		return cmpMax >= 0
	case sql.OpGe:
		return cmpMax > 0
	}
	return false
}

// explainInfo is what EXPLAIN PLAN takes from segments: their document
// count and the access path of each filter leaf on the first segment (nil
// without segments: every leaf is then a full scan).
type explainInfo struct {
	totalDocs int64
	leaves    []accessPath
}

// accessPath is how a filter leaf reads its column.
type accessPath uint8

const (
	pathFullScan accessPath = iota
	pathSortedIndex
	pathInvertedIndex
	pathRangeIndex
	pathDictIDs
	numAccessPaths
)

func (a accessPath) String() string {
	switch a {
	case pathSortedIndex:
		return "FILTER_SORTED_INDEX"
	case pathInvertedIndex:
		return "FILTER_INVERTED_INDEX"
	case pathRangeIndex:
		return "FILTER_RANGE_INDEX"
	case pathDictIDs:
		return "FILTER_SCAN_ON_DICTIONARY_IDS"
	}
	return "FILTER_FULL_SCAN"
}

// explainSegments gathers the segments' part of EXPLAIN PLAN (server side).
func (p *plan) explainSegments() *explainInfo {
	info := &explainInfo{}
	for _, s := range p.table.Segments {
		info.totalDocs += int64(s.NumDocs())
	}
	if len(p.table.Segments) == 0 {
		return info
	}
	seg := p.table.Segments[0]
	info.leaves = []accessPath{}
	for _, leaf := range filterLeaves(p.where) {
		path := pathFullScan
		var refs []string
		sql.Walk(leaf, func(x sql.Expr) bool {
			if r, ok := x.(*sql.ColumnRef); ok {
				refs = append(refs, r.Name)
			}
			return true
		})
		if len(refs) > 0 {
			if col := seg.Column(refs[0]); col != nil {
				switch {
				case col.SortedIndex() != nil:
					path = pathSortedIndex
				case col.Inverted() != nil:
					path = pathInvertedIndex
				case col.RangeIndex() != nil:
					path = pathRangeIndex
				case col.Dictionary() != nil:
					path = pathDictIDs
				}
			}
		}
		info.leaves = append(info.leaves, path)
	}
	return info
}

// filterLeaves lists the predicates under the AND/OR tree of the
// normalized WHERE clause, in the order EXPLAIN PLAN shows them.
func filterLeaves(where sql.Expr) []sql.Expr {
	if where == nil {
		return nil
	}
	var out []sql.Expr
	var rec func(e sql.Expr)
	rec = func(e sql.Expr) {
		if b, ok := e.(*sql.Binary); ok && (b.Op == sql.OpAnd || b.Op == sql.OpOr) {
			rec(b.L)
			rec(b.R)
			return
		}
		out = append(out, e)
	}
	rec(normalize(where))
	return out
}

// explainResult describes the plan in Pinot's EXPLAIN PLAN shape: one row
// per operator with its id and parent id. info holds what the segments
// tell (document count, access paths); without it the plan is the
// schema's alone.
func (p *plan) explainResult(info *explainInfo) (*Result, error) {
	if info == nil {
		info = &explainInfo{}
	}
	leaves := filterLeaves(p.where)
	if info.leaves != nil && len(info.leaves) != len(leaves) {
		return nil, fmt.Errorf("reduce EXPLAIN: the partials describe %d filter predicates, the statement has %d", len(info.leaves), len(leaves))
	}
	res := &Result{
		Columns:    []string{"Operator", "Operator_Id", "Parent_Id"},
		Types:      []schema.DataType{schema.TypeString, schema.TypeInt, schema.TypeInt},
		MultiValue: []bool{false, false, false},
	}
	add := func(op string, parent int) int {
		id := len(res.Rows)
		res.Rows = append(res.Rows, []any{op, int64(id), int64(parent)})
		return id
	}
	names := make([]string, len(p.items))
	for i, it := range p.items {
		names[i] = it.name
	}
	root := add(fmt.Sprintf("BROKER_REDUCE(limit:%d%s)", p.limit, orderText(p)), -1)
	combine := add("COMBINE_"+map[bool]string{true: "GROUP_BY", false: "SELECT"}[p.aggregate && len(p.groupBy) > 0], root)
	if p.aggregate && len(p.groupBy) == 0 {
		res.Rows[combine][0] = "COMBINE_AGGREGATE"
	}
	var op string
	switch {
	case p.aggregate && len(p.groupBy) > 0:
		keys := make([]string, len(p.groupBy))
		for i, g := range p.groupBy {
			keys[i] = g.String()
		}
		aggs := make([]string, len(p.aggs))
		for i, a := range p.aggs {
			aggs[i] = a.key
		}
		op = fmt.Sprintf("GROUP_BY(groupKeys:%s, aggregations:%s)", strings.Join(keys, ", "), strings.Join(aggs, ", "))
	case p.aggregate:
		aggs := make([]string, len(p.aggs))
		for i, a := range p.aggs {
			aggs[i] = a.key
		}
		op = fmt.Sprintf("AGGREGATE(aggregations:%s)", strings.Join(aggs, ", "))
	default:
		op = fmt.Sprintf("SELECT(selectList:%s)", strings.Join(names, ", "))
	}
	opID := add(op, combine)
	proj := add("PROJECT", opID)
	docs := add("DOC_ID_SET", proj)
	if p.where == nil {
		add(fmt.Sprintf("FILTER_MATCH_ENTIRE_SEGMENT(docs:%d)", info.totalDocs), docs)
		return res, nil
	}
	next := 0
	var rec func(e sql.Expr, parent int)
	rec = func(e sql.Expr, parent int) {
		if b, ok := e.(*sql.Binary); ok && (b.Op == sql.OpAnd || b.Op == sql.OpOr) {
			id := add(map[sql.BinaryOp]string{sql.OpAnd: "FILTER_AND", sql.OpOr: "FILTER_OR"}[b.Op], parent)
			rec(b.L, id)
			rec(b.R, id)
			return
		}
		path := pathFullScan
		if info.leaves != nil {
			path = info.leaves[next]
		}
		next++
		add(fmt.Sprintf("%s(predicate:%s)", path, e.String()), parent)
	}
	rec(normalize(p.where), docs)
	return res, nil
}

func orderText(p *plan) string {
	if len(p.orderBy) == 0 {
		return ""
	}
	parts := make([]string, len(p.orderBy))
	for i, o := range p.orderBy {
		parts[i] = o.Expr.String()
		if o.Desc {
			parts[i] += " DESC"
		} else {
			parts[i] += " ASC"
		}
	}
	return ", sort:[" + strings.Join(parts, ", ") + "]"
}

// columnMeta returns the metadata of seg's column name, and the column
// itself unless seg is metadata only (a broker's metaSegment, which has no
// bloom filters): the broker asks for every segment and conjunct of every
// query, and boxing a column for each cost an allocation.
func columnMeta(seg segment.Segment, name string) (*segment.ColumnMeta, segment.Column) {
	if ms, ok := seg.(metaSegment); ok {
		return ms.columnMeta(name), nil
	}
	col := seg.Column(name)
	if col == nil {
		return nil, nil
	}
	return col.Meta(), col
}
