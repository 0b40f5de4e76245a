package exec

import (
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// dictExprNode evaluates an expression of one dictionary-encoded column
// once per distinct value instead of once per row: on first use in a
// segment it computes the expression over the column's dictionary, then
// each batch only reads dictionary ids and gathers. LENGTH(URL) over ten
// million rows becomes a pass over the distinct URLs plus an id lookup per
// row. Where the column has no dictionary, or nearly as many distinct
// values as rows, it evaluates the plain compiled expression instead.
type dictExprNode struct {
	slot     int // the column's slot in the segment batch
	plain    node
	inner    node // compiled over a batch holding dictionary values
	innerB   *batch
	t        schema.DataType
	state    int // 0 undecided, 1 dictionary, 2 plain
	dictVals *vec.Vector
	ids      []uint32
	out      *vec.Vector
}

// maybeDictExpr wraps e when it is a non-trivial expression of exactly one
// single-value column that propagates nulls.
func (c *compiler) maybeDictExpr(e sql.Expr, plain node) node {
	if !c.dictExprs {
		return plain
	}
	switch e.(type) {
	case *sql.Func, *sql.Cast, *sql.Binary, *sql.Unary:
	default:
		return plain
	}
	if _, ok := plain.(*constNode); ok || nullSensitive(e) {
		return plain
	}
	name, single := singleColumn(e)
	f := c.schema.Field(name)
	if !single || f == nil || !f.SingleValue {
		return plain
	}
	ic := newCompiler(c.schema)
	inner, err := ic.compile(e)
	if err != nil {
		return plain
	}
	innerB := &batch{cols: []*colSlot{{name: name, v: vec.New(f.DataType), loaded: true}}}
	return &dictExprNode{slot: c.slot(name), plain: plain, inner: inner, innerB: innerB, t: plain.typ(), out: vec.New(plain.typ())}
}

func (n *dictExprNode) typ() schema.DataType { return n.t }

func (n *dictExprNode) eval(b *batch) (*vec.Vector, error) {
	cs := b.cols[n.slot]
	if n.state == 0 {
		n.state = 2
		if col := cs.col; col != nil && col.Dictionary() != nil && col.Meta().SingleValue {
			// Worth it unless the segment has many more distinct values
			// than rows to evaluate.
			if d := col.Dictionary(); d.Len() <= 2*b.rows {
				if err := n.computeDict(col); err != nil {
					return nil, err
				}
				n.state = 1
			}
		}
	}
	if n.state == 2 {
		return n.plain.eval(b)
	}
	if cap(n.ids) < b.n {
		n.ids = make([]uint32, b.n)
	}
	ids := n.ids[:b.n]
	cs.col.DictIDs(b.docs, ids)
	out := n.out
	out.Reset(n.t, b.n)
	d := n.dictVals
	switch n.t.Storage() {
	case schema.StorageInt64:
		for i, id := range ids {
			out.I64[i] = d.I64[id]
		}
	case schema.StorageFloat64:
		for i, id := range ids {
			out.F64[i] = d.F64[id]
		}
	default:
		for i, id := range ids {
			out.Str[i] = d.Str[id]
		}
	}
	if d.Nulls != nil {
		for i, id := range ids {
			if d.Nulls[id] {
				out.SetNull(i)
			}
		}
	}
	if nulls := cs.col.Nulls(); nulls != nil && !nulls.IsEmpty() {
		markNulls(nulls, b.docs, out)
	}
	return out, nil
}

// computeDict evaluates the expression over every dictionary value.
func (n *dictExprNode) computeDict(col segment.Column) error {
	d := col.Dictionary()
	card := d.Len()
	v := n.innerB.cols[0].v
	v.Reset(d.Type, card)
	switch d.Type.Storage() {
	case schema.StorageInt64:
		copy(v.I64, d.Ints)
	case schema.StorageFloat64:
		copy(v.F64, d.Floats)
	default:
		copy(v.Str, d.Strs)
	}
	n.innerB.n = card
	out, err := n.inner.eval(n.innerB)
	if err != nil {
		return err
	}
	n.dictVals = cloneVector(out)
	return nil
}

// singleColumn returns the one column e references, and false when e
// references none or several.
func singleColumn(e sql.Expr) (string, bool) {
	var name string
	single := true
	sql.Walk(e, func(x sql.Expr) bool {
		if r, ok := x.(*sql.ColumnRef); ok {
			if name != "" && r.Name != name {
				single = false
			}
			name = r.Name
		}
		return single
	})
	return name, single && name != ""
}
