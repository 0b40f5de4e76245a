package exec

import (
	"fmt"
	"math"
	"strings"

	"github.com/tannin-db/tannin/query/fn"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// batch is the environment a compiled expression evaluates in: a batch of
// documents of one segment, or (after aggregation) a batch of groups whose
// keys and aggregate results sit in slots.
type batch struct {
	seg segment.Segment // nil outside a segment
	// rows is how many rows of the segment the query will evaluate (an
	// estimate, for choosing evaluation strategies).
	rows int
	n    int
	docs []uint32
	cols []*colSlot
	// slots hold precomputed inputs: group keys and aggregate results.
	slots []*vec.Vector
}

// colSlot caches one column's values for the current batch.
type colSlot struct {
	name   string
	col    segment.Column
	v      *vec.Vector
	loaded bool
}

func (b *batch) reset(docs []uint32) {
	b.docs = docs
	b.n = len(docs)
	for _, c := range b.cols {
		c.loaded = false
	}
}

// node is a compiled, typed expression. Each node owns its output vector,
// so a compiled tree is used by one goroutine at a time.
type node interface {
	typ() schema.DataType
	eval(b *batch) (*vec.Vector, error)
}

// compiler turns resolved syntax into nodes.
type compiler struct {
	schema *schema.Schema
	// colNames are the columns read, by slot in batch.cols: a query reads
	// a few columns, and a linear search beats a map built per compile;
	// colIndex takes over past a few dozen.
	colNames []string
	colIndex map[string]int
	// slotOf, when set, maps an expression's SQL text to a slot: the
	// post-aggregation phase compiles group keys and aggregates as slots.
	slotOf    map[string]int
	slotTypes []schema.DataType
	// postAgg rejects plain columns after grouping.
	postAgg bool
	// mvAsScalar compiles a multi-value column as if it were single-value:
	// filters evaluate predicates on its dictionary values that way.
	mvAsScalar bool
	// dictExprs evaluates single-column expressions on the column's
	// dictionary (see dictExprNode); set for per-segment compilers.
	dictExprs bool
}

func newCompiler(s *schema.Schema) *compiler {
	return &compiler{schema: s}
}

// newBatch returns a batch environment for the columns this compiler saw.
func (c *compiler) newBatch(seg segment.Segment) *batch {
	return c.newBatchReusing(seg, nil)
}

// newBatchReusing is newBatch with the column vectors taken from *vecs
// (grown as needed), which a worker keeps from segment to segment.
func (c *compiler) newBatchReusing(seg segment.Segment, vecs *[]*vec.Vector) *batch {
	b := &batch{seg: seg, cols: make([]*colSlot, len(c.colNames))}
	for i, name := range c.colNames {
		cs := &colSlot{name: name}
		if seg != nil {
			cs.col = seg.Column(name)
		}
		t := c.schema.Field(name).DataType
		if vecs == nil {
			cs.v = vec.New(t)
		} else {
			if len(*vecs) <= i {
				*vecs = append(*vecs, vec.New(t))
			}
			cs.v = (*vecs)[i]
			cs.v.Reset(t, 0)
		}
		b.cols[i] = cs
	}
	return b
}

func (c *compiler) slot(name string) int {
	if c.colIndex != nil {
		if i, ok := c.colIndex[name]; ok {
			return i
		}
	} else {
		for i, n := range c.colNames {
			if n == name {
				return i
			}
		}
	}
	c.colNames = append(c.colNames, name)
	i := len(c.colNames) - 1
	switch {
	case c.colIndex != nil:
		c.colIndex[name] = i
	case len(c.colNames) > 32: // SELECT * of a wide table
		c.colIndex = make(map[string]int, 2*len(c.colNames))
		for j, n := range c.colNames {
			c.colIndex[n] = j
		}
	}
	return i
}

// compileItem compiles a select-list item: a bare multi-value column is
// allowed there and yields arrays.
func (c *compiler) compileItem(e sql.Expr) (node, error) {
	if ref, ok := e.(*sql.ColumnRef); ok && !c.postAgg {
		if f := c.schema.Field(ref.Name); f != nil && !f.SingleValue {
			return &mvColNode{slot: c.slot(f.Name), t: f.DataType}, nil
		}
	}
	return c.compile(e)
}

func (c *compiler) compile(e sql.Expr) (node, error) {
	n, err := c.compileNode(e)
	if err != nil || !c.dictExprs {
		return n, err
	}
	return c.maybeDictExpr(e, n), nil
}

func (c *compiler) compileNode(e sql.Expr) (node, error) {
	if c.slotOf != nil {
		if i, ok := c.slotOf[e.String()]; ok {
			return &slotNode{slot: i, t: c.slotTypes[i]}, nil
		}
	}
	switch e := e.(type) {
	case *sql.ColumnRef:
		if c.postAgg {
			return nil, fmt.Errorf("column %q must appear in the GROUP BY clause or be used in an aggregate function", e.Name)
		}
		f := c.schema.Field(e.Name)
		if f == nil {
			return nil, &classError{class: ErrUnknownColumn, err: fmt.Errorf("unknown column %q", e.Name)}
		}
		if !f.SingleValue && !c.mvAsScalar {
			return nil, fmt.Errorf("multi-value column %q can only be selected or filtered on", f.Name)
		}
		return &colNode{slot: c.slot(f.Name), t: f.DataType}, nil
	case *sql.Literal:
		return newConstNode(e), nil
	case *sql.Unary:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		if e.Op == sql.OpNot {
			return &notNode{x: toBool(x)}, nil
		}
		if !x.typ().IsNumeric() && x.typ().Storage() != schema.StorageInt64 {
			return nil, fmt.Errorf("cannot negate %s value %s", x.typ(), e.X)
		}
		zero := newConstNode(&sql.Literal{Kind: sql.LitInt})
		return newArith(sql.OpSub, zero, x)
	case *sql.Binary:
		l, err := c.compile(e.L)
		if err != nil {
			return nil, err
		}
		r, err := c.compile(e.R)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case sql.OpAnd, sql.OpOr:
			return &logicNode{and: e.Op == sql.OpAnd, l: toBool(l), r: toBool(r)}, nil
		case sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
			return newCompare(e.Op, l, r, e)
		case sql.OpConcat:
			// concat() skips nulls as DuckDB's does; || is NULL when an
			// operand is.
			n, err := c.bindFunc("concat", []node{l, r})
			if err != nil {
				return nil, err
			}
			if _, ok := n.(*constNode); ok {
				return n, nil
			}
			return &strictNode{x: n, args: []node{l, r}}, nil
		default:
			n, err := newArith(e.Op, l, r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e, err)
			}
			return n, nil
		}
	case *sql.Func:
		if op, ok := comparisonFuncs[strings.ToLower(e.Name)]; ok && len(e.Args) == 2 {
			// Pinot's function forms of the comparison operators, as
			// filterConfig uses them: equals(device, 'bot').
			return c.compile(&sql.Binary{Op: op, L: e.Args[0], R: e.Args[1]})
		}
		if isAggregate(e.Name) {
			if c.postAgg {
				return nil, fmt.Errorf("BUG: aggregate %s not planned", e)
			}
			return nil, fmt.Errorf("aggregate function %s is not allowed here", e)
		}
		args := make([]node, len(e.Args))
		for i, a := range e.Args {
			n, err := c.compile(a)
			if err != nil {
				return nil, err
			}
			args[i] = n
		}
		if e.Name == "regexp_like" {
			return c.compileRegexpLike(e, args)
		}
		return c.bindFunc(e.Name, args)
	case *sql.Case:
		return c.compileCase(e)
	case *sql.Cast:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		t := &constNode{t: schema.TypeString, val: fn.Const{Str: e.Type}}
		return c.bindFunc("cast", []node{x, t})
	case *sql.In:
		return c.compileIn(e)
	case *sql.Between:
		lo := &sql.Binary{Op: sql.OpGe, L: e.X, R: e.Lo}
		hi := &sql.Binary{Op: sql.OpLe, L: e.X, R: e.Hi}
		var x sql.Expr = &sql.Binary{Op: sql.OpAnd, L: lo, R: hi}
		if e.Not {
			x = &sql.Unary{Op: sql.OpNot, X: x}
		}
		return c.compile(x)
	case *sql.Like:
		return c.compileLike(e)
	case *sql.IsNull:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		return &isNullNode{x: x, not: e.Not}, nil
	case *sql.Star:
		return nil, fmt.Errorf("* is only allowed in a select list or COUNT(*)")
	}
	return nil, fmt.Errorf("unsupported expression %s", e)
}

func (c *compiler) bindFunc(name string, args []node) (node, error) {
	fargs := make([]fn.Arg, len(args))
	for i, a := range args {
		fargs[i].Type = a.typ()
		if k, ok := a.(*constNode); ok {
			v := k.val
			fargs[i].Const = &v
		}
	}
	f, err := fn.Bind(name, fargs)
	if err != nil {
		return nil, err
	}
	fnode := &funcNode{f: f, args: args, in: make([]*vec.Vector, len(args)), out: vec.New(f.Type)}
	return foldConst(fnode)
}

var comparisonFuncs = map[string]sql.BinaryOp{
	"equals":             sql.OpEq,
	"notequals":          sql.OpNe,
	"greaterthan":        sql.OpGt,
	"greaterthanorequal": sql.OpGe,
	"lessthan":           sql.OpLt,
	"lessthanorequal":    sql.OpLe,
}

// foldConst evaluates a node whose inputs are all constants once.
func foldConst(n node) (node, error) {
	if !allConst(n) {
		return n, nil
	}
	v, err := n.eval(&batch{n: 1})
	if err != nil {
		return nil, err
	}
	return constFromVector(v, 0), nil
}

func allConst(n node) bool {
	switch n := n.(type) {
	case *funcNode:
		for _, a := range n.args {
			if _, ok := a.(*constNode); !ok {
				return false
			}
		}
		return true
	case *arithNode:
		_, l := n.l.(*constNode)
		_, r := n.r.(*constNode)
		return l && r
	}
	return false
}

func constFromVector(v *vec.Vector, i int) *constNode {
	k := &constNode{t: v.Type}
	if v.IsNull(i) {
		k.val.Null = true
		return k
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		k.val.Int = v.I64[i]
	case schema.StorageFloat64:
		k.val.Float = v.F64[i]
	default:
		k.val.Str = v.Str[i]
	}
	return k
}

// strictNode makes x NULL wherever one of args is NULL.
type strictNode struct {
	x    node
	args []node
}

func (n *strictNode) typ() schema.DataType { return n.x.typ() }

func (n *strictNode) eval(b *batch) (*vec.Vector, error) {
	out, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	for _, a := range n.args {
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		mergeNulls(out, v)
	}
	return out, nil
}

// colNode reads a column of the batch's segment.
type colNode struct {
	slot int
	t    schema.DataType
}

func (n *colNode) typ() schema.DataType { return n.t }

func (n *colNode) eval(b *batch) (*vec.Vector, error) {
	cs := b.cols[n.slot]
	if cs.loaded {
		return cs.v, nil
	}
	loadColumn(cs.col, n.t, b.docs, cs.v)
	cs.loaded = true
	return cs.v, nil
}

// loadColumn reads the values of docs into v, marking nulls.
func loadColumn(col segment.Column, t schema.DataType, docs []uint32, v *vec.Vector) {
	v.Reset(t, len(docs))
	if col == nil {
		// A column added to the schema after the segment was built reads
		// as null.
		for i := range docs {
			v.SetNull(i)
		}
		return
	}
	switch t.Storage() {
	case schema.StorageInt64:
		col.Int64s(docs, v.I64)
	case schema.StorageFloat64:
		col.Float64s(docs, v.F64)
	default:
		col.Strings(docs, v.Str)
	}
	if nulls := col.Nulls(); nulls != nil && !nulls.IsEmpty() {
		markNulls(nulls, docs, v)
	}
}

// mvColNode reads a multi-value column: each row an array of values.
type mvColNode struct {
	slot int
	t    schema.DataType
	ids  []uint32
}

func (n *mvColNode) typ() schema.DataType { return n.t }

func (n *mvColNode) eval(b *batch) (*vec.Vector, error) {
	cs := b.cols[n.slot]
	if cs.loaded {
		return cs.v, nil
	}
	v := cs.v
	v.Reset(n.t, 0)
	v.Offsets = append(v.Offsets[:0], 0)
	if cs.col == nil || cs.col.Dictionary() == nil {
		for range b.docs {
			v.Offsets = append(v.Offsets, v.Offsets[len(v.Offsets)-1])
		}
		cs.loaded = true
		return v, nil
	}
	dict := cs.col.Dictionary()
	for _, d := range b.docs {
		n.ids = cs.col.MVDictIDs(d, n.ids[:0])
		for _, id := range n.ids {
			switch n.t.Storage() {
			case schema.StorageInt64:
				v.I64 = append(v.I64, dict.Ints[id])
			case schema.StorageFloat64:
				v.F64 = append(v.F64, dict.Floats[id])
			default:
				v.Str = append(v.Str, dict.Strs[id])
			}
		}
		v.Offsets = append(v.Offsets, uint32(flatLen(v)))
	}
	cs.loaded = true
	return v, nil
}

// slotNode reads a precomputed vector (a group key or aggregate result).
type slotNode struct {
	slot int
	t    schema.DataType
}

func (n *slotNode) typ() schema.DataType { return n.t }

func (n *slotNode) eval(b *batch) (*vec.Vector, error) { return b.slots[n.slot], nil }

// constNode is a literal, broadcast to the batch length on demand.
type constNode struct {
	t      schema.DataType
	val    fn.Const
	isNull bool // the NULL literal, which takes any type
	out    *vec.Vector
}

func newConstNode(l *sql.Literal) *constNode {
	switch l.Kind {
	case sql.LitInt:
		return &constNode{t: schema.TypeLong, val: fn.Const{Int: l.Int}}
	case sql.LitFloat:
		return &constNode{t: schema.TypeDouble, val: fn.Const{Float: l.Float}}
	case sql.LitBool:
		k := &constNode{t: schema.TypeBoolean}
		if l.Bool {
			k.val.Int = 1
		}
		return k
	case sql.LitString:
		return &constNode{t: schema.TypeString, val: fn.Const{Str: l.Str}}
	}
	return &constNode{t: schema.TypeString, val: fn.Const{Null: true}, isNull: true}
}

func (n *constNode) typ() schema.DataType { return n.t }

func (n *constNode) eval(b *batch) (*vec.Vector, error) {
	if n.out != nil && n.out.Len() == b.n && n.out.Type == n.t {
		return n.out, nil
	}
	if n.out == nil {
		n.out = vec.New(n.t)
	}
	v := n.out
	v.Reset(n.t, b.n)
	switch n.t.Storage() {
	case schema.StorageInt64:
		for i := range v.I64 {
			v.I64[i] = n.val.Int
		}
	case schema.StorageFloat64:
		for i := range v.F64 {
			v.F64[i] = n.val.Float
		}
	default:
		for i := range v.Str {
			v.Str[i] = n.val.Str
		}
	}
	if n.val.Null {
		for i := 0; i < b.n; i++ {
			v.SetNull(i)
		}
	}
	return v, nil
}

// funcNode calls a bound scalar function.
type funcNode struct {
	f    *fn.Func
	args []node
	in   []*vec.Vector
	out  *vec.Vector
}

func (n *funcNode) typ() schema.DataType { return n.f.Type }

func (n *funcNode) eval(b *batch) (*vec.Vector, error) {
	for i, a := range n.args {
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		n.in[i] = v
	}
	if err := n.f.Eval(n.in, b.n, n.out); err != nil {
		return nil, err
	}
	return n.out, nil
}

// arithNode is +, -, *, / or % on numbers. Integer operands stay integers
// except for /, which always divides in floating point (Pinot's and
// DuckDB's semantics).
type arithNode struct {
	op   sql.BinaryOp
	l, r node
	t    schema.DataType
	out  *vec.Vector
	lf   *vec.Vector
	rf   *vec.Vector
}

func numericOperand(t schema.DataType) bool {
	return t.IsNumeric() || t == schema.TypeTimestamp || t == schema.TypeBoolean
}

func newArith(op sql.BinaryOp, l, r node) (node, error) {
	lt, rt := l.typ(), r.typ()
	if !numericOperand(lt) && !isNullConst(l) {
		return nil, fmt.Errorf("arithmetic on %s operand", lt)
	}
	if !numericOperand(rt) && !isNullConst(r) {
		return nil, fmt.Errorf("arithmetic on %s operand", rt)
	}
	t := schema.TypeLong
	if op == sql.OpDiv || lt.Storage() == schema.StorageFloat64 || rt.Storage() == schema.StorageFloat64 || lt == schema.TypeBigDecimal || rt == schema.TypeBigDecimal {
		t = schema.TypeDouble
	}
	n := &arithNode{op: op, l: l, r: r, t: t, out: vec.New(t)}
	return foldConst(n)
}

func isNullConst(n node) bool {
	k, ok := n.(*constNode)
	return ok && k.isNull
}

func (n *arithNode) typ() schema.DataType { return n.t }

func (n *arithNode) eval(b *batch) (*vec.Vector, error) {
	lv, err := n.l.eval(b)
	if err != nil {
		return nil, err
	}
	rv, err := n.r.eval(b)
	if err != nil {
		return nil, err
	}
	out := n.out
	out.Reset(n.t, b.n)
	if n.t == schema.TypeLong {
		a, c, o := lv.I64[:b.n], rv.I64[:b.n], out.I64[:b.n]
		switch n.op {
		case sql.OpAdd, sql.OpSub, sql.OpMul:
			ringOp(n.op, a, c, o)
		case sql.OpMod:
			for i := range o {
				if c[i] == 0 {
					o[i] = 0
					out.SetNull(i)
					continue
				}
				o[i] = a[i] % c[i]
			}
		}
	} else {
		if n.lf == nil {
			n.lf, n.rf = vec.New(schema.TypeDouble), vec.New(schema.TypeDouble)
		}
		a := asFloat(lv, b.n, n.lf)
		c := asFloat(rv, b.n, n.rf)
		o := out.F64[:b.n]
		switch n.op {
		case sql.OpAdd, sql.OpSub, sql.OpMul:
			ringOp(n.op, a, c, o)
		case sql.OpDiv:
			for i := range o {
				if c[i] == 0 {
					// Division by zero is NULL, as in DuckDB; Pinot
					// returns Infinity. NULL is the SQL answer.
					o[i] = 0
					out.SetNull(i)
					continue
				}
				o[i] = a[i] / c[i]
			}
		case sql.OpMod:
			for i := range o {
				if c[i] == 0 {
					out.SetNull(i)
					continue
				}
				o[i] = math.Mod(a[i], c[i])
			}
		}
	}
	mergeNulls(out, lv, rv)
	return out, nil
}

// ringOp computes o = a op c for +, - and *, one typed loop per operator.
func ringOp[T int64 | float64](op sql.BinaryOp, a, c, o []T) {
	c, o = c[:len(a)], o[:len(a)]
	switch op {
	case sql.OpAdd:
		for i := range a {
			o[i] = a[i] + c[i]
		}
	case sql.OpSub:
		for i := range a {
			o[i] = a[i] - c[i]
		}
	case sql.OpMul:
		for i := range a {
			o[i] = a[i] * c[i]
		}
	}
}

// asFloat returns v's values as float64, converting into scratch if needed.
func asFloat(v *vec.Vector, n int, scratch *vec.Vector) []float64 {
	switch v.Type.Storage() {
	case schema.StorageFloat64:
		return v.F64[:n]
	case schema.StorageInt64:
		scratch.Reset(schema.TypeDouble, n)
		for i, x := range v.I64[:n] {
			scratch.F64[i] = float64(x)
		}
		return scratch.F64
	default:
		// BIG_DECIMAL text.
		scratch.Reset(schema.TypeDouble, n)
		for i, s := range v.Str[:n] {
			scratch.F64[i] = parseFloatOrZero(s)
		}
		return scratch.F64
	}
}

// mergeNulls marks out null wherever an input is null.
func mergeNulls(out *vec.Vector, ins ...*vec.Vector) {
	for _, in := range ins {
		if in.Nulls == nil {
			continue
		}
		for i, isNull := range in.Nulls {
			if isNull {
				out.SetNull(i)
			}
		}
	}
}

// compareNode compares two values, yielding a BOOLEAN vector with SQL's
// three-valued logic (a comparison with NULL is NULL).
type compareNode struct {
	op      sql.BinaryOp
	l, r    node
	kind    schema.Storage
	out     *vec.Vector
	lf, rf  *vec.Vector
	literal sql.Expr
}

func newCompare(op sql.BinaryOp, l, r node, e sql.Expr) (node, error) {
	l, r, kind, err := unifyForCompare(l, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	n := &compareNode{op: op, l: l, r: r, kind: kind, out: vec.New(schema.TypeBoolean), literal: e}
	return n, nil
}

// unifyForCompare picks the storage family two operands compare in,
// converting a string literal compared with a timestamp, number or BYTES.
// BYTES compare as strings of raw bytes (unsigned, lexicographic).
func unifyForCompare(l, r node) (node, node, schema.Storage, error) {
	lt, rt := l.typ(), r.typ()
	if isNullConst(l) {
		return l, r, rt.Storage(), nil
	}
	if isNullConst(r) {
		return l, r, lt.Storage(), nil
	}
	// A string literal compared with BYTES is hex, as Pinot reads it and as
	// answers write BYTES values: b = '01fe' matches the bytes 01 fe.
	if k, ok := r.(*constNode); ok && lt == schema.TypeBytes && rt == schema.TypeString {
		c, err := convertLiteral(k, schema.TypeBytes)
		if err != nil {
			return nil, nil, 0, err
		}
		return l, c, schema.StorageString, nil
	}
	if k, ok := l.(*constNode); ok && rt == schema.TypeBytes && lt == schema.TypeString {
		c, err := convertLiteral(k, schema.TypeBytes)
		if err != nil {
			return nil, nil, 0, err
		}
		return c, r, schema.StorageString, nil
	}
	ls, rs := lt.Storage(), rt.Storage()
	if ls == schema.StorageBytes {
		ls = schema.StorageString
	}
	if rs == schema.StorageBytes {
		rs = schema.StorageString
	}
	if ls == rs && (lt == schema.TypeBigDecimal) == (rt == schema.TypeBigDecimal) {
		return l, r, ls, nil
	}
	if lt == schema.TypeBigDecimal || rt == schema.TypeBigDecimal {
		return l, r, schema.StorageFloat64, nil
	}
	numeric := func(s schema.Storage) bool { return s == schema.StorageInt64 || s == schema.StorageFloat64 }
	if numeric(ls) && numeric(rs) {
		return l, r, schema.StorageFloat64, nil
	}
	// A string literal against a number or timestamp converts once.
	if k, ok := r.(*constNode); ok && rs == schema.StorageString && numeric(ls) {
		c, err := convertLiteral(k, lt)
		if err != nil {
			return nil, nil, 0, err
		}
		return l, c, ls, nil
	}
	if k, ok := l.(*constNode); ok && ls == schema.StorageString && numeric(rs) {
		c, err := convertLiteral(k, rt)
		if err != nil {
			return nil, nil, 0, err
		}
		return c, r, rs, nil
	}
	return nil, nil, 0, fmt.Errorf("cannot compare %s with %s", lt, rt)
}

// convertLiteral casts a string constant to t (a number, timestamp or
// BYTES, from hex).
func convertLiteral(k *constNode, t schema.DataType) (*constNode, error) {
	f, err := fn.Bind("cast", []fn.Arg{{Type: k.t, Const: &k.val}, {Type: schema.TypeString, Const: &fn.Const{Str: t.String()}}})
	if err != nil {
		return nil, err
	}
	n, err := foldConst(&funcNode{f: f, args: []node{k, &constNode{t: schema.TypeString, val: fn.Const{Str: t.String()}}}, in: make([]*vec.Vector, 2), out: vec.New(f.Type)})
	if err != nil {
		return nil, err
	}
	return n.(*constNode), nil
}

func (n *compareNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *compareNode) eval(b *batch) (*vec.Vector, error) {
	lv, err := n.l.eval(b)
	if err != nil {
		return nil, err
	}
	rv, err := n.r.eval(b)
	if err != nil {
		return nil, err
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	o := out.I64[:b.n]
	switch n.kind {
	case schema.StorageInt64:
		compareSlices(n.op, lv.I64[:b.n], rv.I64[:b.n], o)
	case schema.StorageFloat64:
		if n.lf == nil {
			n.lf, n.rf = vec.New(schema.TypeDouble), vec.New(schema.TypeDouble)
		}
		compareSlices(n.op, asFloat(lv, b.n, n.lf), asFloat(rv, b.n, n.rf), o)
	default:
		compareSlices(n.op, lv.Str[:b.n], rv.Str[:b.n], o)
	}
	mergeNulls(out, lv, rv)
	return out, nil
}

func compareSlices[T int64 | float64 | string](op sql.BinaryOp, a, c []T, o []int64) {
	c = c[:len(a)]
	o = o[:len(a)]
	switch op {
	case sql.OpEq:
		for i := range a {
			o[i] = b2i(a[i] == c[i])
		}
	case sql.OpNe:
		for i := range a {
			o[i] = b2i(a[i] != c[i])
		}
	case sql.OpLt:
		for i := range a {
			o[i] = b2i(a[i] < c[i])
		}
	case sql.OpLe:
		for i := range a {
			o[i] = b2i(a[i] <= c[i])
		}
	case sql.OpGt:
		for i := range a {
			o[i] = b2i(a[i] > c[i])
		}
	case sql.OpGe:
		for i := range a {
			o[i] = b2i(a[i] >= c[i])
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// toBool makes a node usable as a condition: a BOOLEAN stays, a number is
// true when non-zero (Pinot and DuckDB accept numeric conditions).
func toBool(n node) node { return n }

// logicNode is AND / OR with three-valued logic.
type logicNode struct {
	and  bool
	l, r node
	out  *vec.Vector
}

func (n *logicNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *logicNode) eval(b *batch) (*vec.Vector, error) {
	lv, err := n.l.eval(b)
	if err != nil {
		return nil, err
	}
	if n.out == nil {
		n.out = vec.New(schema.TypeBoolean)
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	// Copy the left side before evaluating the right, which may reuse
	// buffers of shared subtrees.
	for i := 0; i < b.n; i++ {
		out.I64[i] = truth(lv, i)
	}
	rv, err := n.r.eval(b)
	if err != nil {
		return nil, err
	}
	for i := 0; i < b.n; i++ {
		out.I64[i] = combine3(n.and, out.I64[i], truth(rv, i))
	}
	for i := 0; i < b.n; i++ {
		if out.I64[i] == unknown {
			out.I64[i] = 0
			out.SetNull(i)
		}
	}
	return out, nil
}

// Three-valued truth: 0 false, 1 true, unknown for NULL.
const unknown = 2

func truth(v *vec.Vector, i int) int64 {
	if v.IsNull(i) {
		return unknown
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return b2i(v.I64[i] != 0)
	case schema.StorageFloat64:
		return b2i(v.F64[i] != 0)
	default:
		return b2i(strings.EqualFold(v.Str[i], "true"))
	}
}

func combine3(and bool, a, c int64) int64 {
	if and {
		if a == 0 || c == 0 {
			return 0
		}
		if a == unknown || c == unknown {
			return unknown
		}
		return 1
	}
	if a == 1 || c == 1 {
		return 1
	}
	if a == unknown || c == unknown {
		return unknown
	}
	return 0
}

type notNode struct {
	x   node
	out *vec.Vector
}

func (n *notNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *notNode) eval(b *batch) (*vec.Vector, error) {
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	if n.out == nil {
		n.out = vec.New(schema.TypeBoolean)
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	for i := 0; i < b.n; i++ {
		switch truth(xv, i) {
		case 0:
			out.I64[i] = 1
		case 1:
			out.I64[i] = 0
		default:
			out.I64[i] = 0
			out.SetNull(i)
		}
	}
	return out, nil
}

type isNullNode struct {
	x   node
	not bool
	out *vec.Vector
}

func (n *isNullNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *isNullNode) eval(b *batch) (*vec.Vector, error) {
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	if n.out == nil {
		n.out = vec.New(schema.TypeBoolean)
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	for i := 0; i < b.n; i++ {
		out.I64[i] = b2i(xv.IsNull(i) != n.not)
	}
	return out, nil
}

// flatLen is the number of values stored, which for a multi-value vector
// exceeds the number of rows.
func flatLen(v *vec.Vector) int {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return len(v.I64)
	case schema.StorageFloat64:
		return len(v.F64)
	default:
		return len(v.Str)
	}
}
