package sql

import (
	"encoding/hex"
	"go/constant"
	"math"
	"strings"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/sem/tree"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/sem/tree/treebin"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/sem/tree/treecmp"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/types"
)

// maxDepth bounds expression nesting: the conversion and the printer
// recurse, and a Go stack overflow cannot be recovered. Long AND/OR chains
// (Tableau writes IN lists that way) nest one level per term.
const maxDepth = 10000

// converter turns CockroachDB's syntax tree into the engine's (ast.go).
type converter struct {
	sql   string  // the user's text, for error positions
	toks  []token // tokens of the statement being converted
	names nameCase
	depth int // of the expression being converted
}

// at locates an unsupported-construct error at the first token with one of
// ids at or after token index from, when there is one.
func (c *converter) at(e *Error, from int, ids ...int32) *Error {
	for i := from; i < len(c.toks); i++ {
		for _, id := range ids {
			if c.toks[i].id == id {
				e.Line, e.Column = lineCol(c.sql, c.toks[i].pos)
				return e
			}
		}
	}
	return e
}

// statement converts a parsed statement; explain reports a grammar-level
// EXPLAIN.
func (c *converter) statement(ast tree.Statement) (sel *Select, explain bool, err error) {
	switch s := ast.(type) {
	case *tree.Select:
		sel, err = c.selectStmt(s)
		return sel, false, err
	case *tree.Explain:
		inner, ok := s.Statement.(*tree.Select)
		if !ok {
			return nil, false, unsupported("EXPLAIN of %s", s.Statement.StatementTag())
		}
		sel, err = c.selectStmt(inner)
		return sel, true, err
	case *tree.ExplainAnalyze:
		return nil, false, unsupported("EXPLAIN ANALYZE (use EXPLAIN PLAN FOR)")
	default:
		return nil, false, unsupported("%s statement (Tannin answers SELECT queries)", ast.StatementTag())
	}
}

func (c *converter) selectStmt(s *tree.Select) (*Select, error) {
	if s.With != nil {
		return nil, c.at(unsupported("WITH (common table expressions) %s", singleTable), 0, lexbase.WITH)
	}
	if len(s.Locking) > 0 {
		return nil, unsupported("locking clause FOR UPDATE/SHARE (Tannin is read-only)")
	}
	var sel *Select
	switch q := s.Select.(type) {
	case *tree.SelectClause:
		var err error
		if sel, err = c.selectClause(q); err != nil {
			return nil, err
		}
	case *tree.ParenSelect:
		var err error
		if sel, err = c.selectStmt(q.Select); err != nil {
			return nil, err
		}
		if (len(s.OrderBy) > 0 && len(sel.OrderBy) > 0) || (s.Limit != nil && (sel.Limit >= 0 || sel.Offset > 0)) {
			return nil, unsupported("ORDER BY or LIMIT both inside and outside parentheses")
		}
	case *tree.UnionClause:
		return nil, c.at(unsupported("%s %s", q.Type, singleTable), 0, lexbase.UNION, lexbase.INTERSECT, lexbase.EXCEPT)
	case *tree.ValuesClause, *tree.LiteralValuesClause:
		return nil, unsupported("VALUES (Tannin answers queries over tables)")
	default:
		return nil, unsupported("query form %s", tree.AsString(s.Select))
	}
	if len(s.OrderBy) > 0 {
		ob, err := c.orderBy(s.OrderBy)
		if err != nil {
			return nil, err
		}
		sel.OrderBy = ob
	}
	if s.Limit != nil {
		if err := c.limit(s.Limit, sel); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

func (c *converter) selectClause(sc *tree.SelectClause) (*Select, error) {
	switch {
	case len(sc.DistinctOn) > 0:
		return nil, unsupported("DISTINCT ON")
	case len(sc.Window) > 0:
		return nil, unsupported("WINDOW clause (window functions)")
	case sc.From.AsOf.Expr != nil:
		return nil, unsupported("AS OF SYSTEM TIME")
	}
	if len(sc.Exprs) == 0 {
		return nil, errorf("empty select list")
	}
	sel := &Select{Distinct: sc.Distinct, Limit: -1}
	switch len(sc.From.Tables) {
	case 0:
	case 1:
		ref, err := c.tableExpr(sc.From.Tables[0])
		if err != nil {
			return nil, err
		}
		sel.From = ref
	default:
		return nil, unsupported("several tables in FROM %s", singleTable)
	}
	for _, se := range sc.Exprs {
		item := SelectItem{Alias: c.names.name(string(se.As))}
		switch e := se.Expr.(type) {
		case tree.UnqualifiedStar:
			item.Expr = &Star{}
		case *tree.UnresolvedName:
			if e.Star {
				item.Expr = &Star{Table: c.qualifier(e, 1)}
				break
			}
			item.Expr = c.columnRef(e)
		default:
			x, err := c.expr(e)
			if err != nil {
				return nil, err
			}
			item.Expr = x
		}
		if _, star := item.Expr.(*Star); star && item.Alias != "" {
			return nil, errorf("* cannot have an alias")
		}
		sel.Items = append(sel.Items, item)
	}
	var err error
	if sc.Where != nil {
		if sel.Where, err = c.expr(sc.Where.Expr); err != nil {
			return nil, err
		}
	}
	for _, g := range sc.GroupBy {
		x, err := c.expr(g)
		if err != nil {
			return nil, err
		}
		sel.GroupBy = append(sel.GroupBy, x)
	}
	if sc.Having != nil {
		if sel.Having, err = c.expr(sc.Having.Expr); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

func (c *converter) tableExpr(te tree.TableExpr) (TableRef, error) {
	switch t := te.(type) {
	case *tree.AliasedTableExpr:
		switch {
		case t.IndexFlags != nil:
			return TableRef{}, unsupported("index hints in FROM")
		case t.Ordinality:
			return TableRef{}, unsupported("WITH ORDINALITY")
		case t.Lateral:
			return TableRef{}, unsupported("LATERAL %s", singleTable)
		case len(t.As.Cols) > 0:
			return TableRef{}, unsupported("column aliases in FROM")
		}
		var ref TableRef
		switch x := t.Expr.(type) {
		case *tree.TableName:
			var parts []string
			if x.ExplicitCatalog {
				parts = append(parts, c.names.name(string(x.CatalogName)))
			}
			if x.ExplicitSchema {
				parts = append(parts, c.names.name(string(x.SchemaName)))
			}
			ref.Name = strings.Join(append(parts, c.names.name(string(x.ObjectName))), ".")
		case *tree.ParenTableExpr, *tree.JoinTableExpr, *tree.AliasedTableExpr:
			inner, err := c.tableExpr(x)
			if err != nil {
				return TableRef{}, err
			}
			if t.As.Alias != "" && inner.Alias != "" {
				return TableRef{}, unsupported("nested table aliases")
			}
			ref = inner
		case *tree.Subquery:
			return TableRef{}, c.at(unsupported("subquery in FROM %s", singleTable), 1, lexbase.SELECT)
		default:
			return TableRef{}, unsupported("table source %s in FROM %s", tree.AsString(x), singleTable)
		}
		if t.As.Alias != "" {
			ref.Alias = c.names.name(string(t.As.Alias))
		}
		return ref, nil
	case *tree.ParenTableExpr:
		return c.tableExpr(t.Expr)
	case *tree.JoinTableExpr:
		return TableRef{}, c.at(unsupported("JOIN %s", singleTable), 0, lexbase.JOIN)
	default:
		return TableRef{}, unsupported("table source %s in FROM %s", tree.AsString(te), singleTable)
	}
}

func (c *converter) orderBy(ob tree.OrderBy) ([]OrderItem, error) {
	out := make([]OrderItem, 0, len(ob))
	for _, o := range ob {
		if o.OrderType != tree.OrderByColumn {
			return nil, unsupported("ORDER BY PRIMARY KEY / INDEX")
		}
		x, err := c.expr(o.Expr)
		if err != nil {
			return nil, err
		}
		item := OrderItem{Expr: x, Desc: o.Direction == tree.Descending}
		switch o.NullsOrder {
		case tree.NullsFirst:
			t := true
			item.NullsFirst = &t
		case tree.NullsLast:
			f := false
			item.NullsFirst = &f
		}
		out = append(out, item)
	}
	return out, nil
}

func (c *converter) limit(l *tree.Limit, sel *Select) error {
	count := func(what string, e tree.Expr) (int64, error) {
		x, err := c.expr(e)
		if err != nil {
			return 0, err
		}
		lit, ok := x.(*Literal)
		if !ok || lit.Kind != LitInt {
			return 0, errorf("%s must be an integer literal, not %s", what, x)
		}
		if lit.Int < 0 {
			return 0, errorf("%s must not be negative: %d", what, lit.Int)
		}
		return lit.Int, nil
	}
	if l.Count != nil && !l.LimitAll {
		n, err := count("LIMIT", l.Count)
		if err != nil {
			return err
		}
		sel.Limit = n
	}
	if l.Offset != nil {
		n, err := count("OFFSET", l.Offset)
		if err != nil {
			return err
		}
		sel.Offset = n
	}
	return nil
}

// qualifier joins the name parts of n above the column (from index first).
func (c *converter) qualifier(n *tree.UnresolvedName, first int) string {
	var parts []string
	for i := n.NumParts - 1; i >= first; i-- {
		parts = append(parts, c.names.name(n.Parts[i]))
	}
	return strings.Join(parts, ".")
}

func (c *converter) columnRef(n *tree.UnresolvedName) *ColumnRef {
	return &ColumnRef{Table: c.qualifier(n, 1), Name: c.names.name(n.Parts[0])}
}

func (c *converter) exprs(in tree.Exprs) ([]Expr, error) {
	out := make([]Expr, 0, len(in))
	for _, e := range in {
		x, err := c.expr(e)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// expr converts a scalar or aggregate expression.
func (c *converter) expr(e tree.Expr) (Expr, error) {
	if c.depth++; c.depth > maxDepth {
		return nil, errorf("expression nested deeper than %d levels", maxDepth)
	}
	defer func() { c.depth-- }()
	if e == tree.Expr(tree.DNull) {
		return &Literal{Kind: LitNull}, nil
	}
	switch e := e.(type) {
	case *tree.ParenExpr:
		return c.expr(e.Expr)
	case *tree.UnresolvedName:
		if e.Star {
			return nil, unsupported("%s outside the select list or COUNT(*)", tree.AsString(e))
		}
		return c.columnRef(e), nil
	case tree.UnqualifiedStar:
		return nil, unsupported("* outside the select list or COUNT(*)")
	case *tree.NumVal:
		return numLiteral(e)
	case *tree.StrVal:
		if strings.HasPrefix(tree.AsString(e), "b'") {
			// Byte strings (x'0A', b'...') become hex, as Pinot writes BYTES.
			return &Literal{Kind: LitString, Str: hex.EncodeToString([]byte(e.RawString()))}, nil
		}
		return &Literal{Kind: LitString, Str: e.RawString()}, nil
	case *tree.DBool:
		return &Literal{Kind: LitBool, Bool: bool(*e)}, nil
	case *tree.Placeholder:
		return nil, unsupported("placeholder %s (substitute parameters before sending the query)", tree.AsString(e))
	case *tree.BinaryExpr:
		return c.binary(e)
	case *tree.UnaryExpr:
		x, err := c.expr(e.Expr)
		if err != nil {
			return nil, err
		}
		switch e.Operator.Symbol {
		case tree.UnaryMinus:
			return negate(x), nil
		case tree.UnaryPlus:
			return x, nil
		}
		return nil, unsupported("operator %s", e.Operator)
	case *tree.NotExpr:
		x, err := c.expr(e.Expr)
		if err != nil {
			return nil, err
		}
		return &Unary{Op: OpNot, X: x}, nil
	case *tree.AndExpr:
		return c.logical(OpAnd, e.Left, e.Right)
	case *tree.OrExpr:
		return c.logical(OpOr, e.Left, e.Right)
	case *tree.ComparisonExpr:
		return c.comparison(e)
	case *tree.RangeCond:
		if e.Symmetric {
			return nil, unsupported("BETWEEN SYMMETRIC")
		}
		x, err := c.expr(e.Left)
		if err != nil {
			return nil, err
		}
		lo, err := c.expr(e.From)
		if err != nil {
			return nil, err
		}
		hi, err := c.expr(e.To)
		if err != nil {
			return nil, err
		}
		return &Between{X: x, Lo: lo, Hi: hi, Not: e.Not}, nil
	case *tree.IsNullExpr:
		x, err := c.expr(e.Expr)
		if err != nil {
			return nil, err
		}
		return &IsNull{X: x}, nil
	case *tree.IsNotNullExpr:
		x, err := c.expr(e.Expr)
		if err != nil {
			return nil, err
		}
		return &IsNull{X: x, Not: true}, nil
	case *tree.CaseExpr:
		return c.caseExpr(e)
	case *tree.IfExpr:
		cond, err := c.expr(e.Cond)
		if err != nil {
			return nil, err
		}
		then, err := c.expr(e.True)
		if err != nil {
			return nil, err
		}
		els, err := c.expr(e.Else)
		if err != nil {
			return nil, err
		}
		return &Case{Whens: []When{{Cond: cond, Result: then}}, Else: els}, nil
	case *tree.CastExpr:
		x, err := c.expr(e.Expr)
		if err != nil {
			return nil, err
		}
		typ, err := castType(e.Type)
		if err != nil {
			return nil, err
		}
		return &Cast{X: x, Type: typ}, nil
	case *tree.CoalesceExpr:
		args, err := c.exprs(e.Exprs)
		if err != nil {
			return nil, err
		}
		return &Func{Name: strings.ToLower(e.Name), Args: args}, nil
	case *tree.NullIfExpr:
		args, err := c.exprs(tree.Exprs{e.Expr1, e.Expr2})
		if err != nil {
			return nil, err
		}
		return &Func{Name: "nullif", Args: args}, nil
	case *tree.FuncExpr:
		return c.funcExpr(e)
	case *tree.Subquery:
		what := "subquery"
		if e.Exists {
			what = "EXISTS subquery"
		}
		return nil, c.at(unsupported("%s %s", what, singleTable), 1, lexbase.SELECT)
	case *tree.Tuple:
		return nil, unsupported("row constructor %s", tree.AsString(e))
	case *tree.Array, *tree.ArrayFlatten:
		return nil, unsupported("ARRAY constructor %s", tree.AsString(e))
	case *tree.IndirectionExpr:
		return nil, unsupported("array subscript %s", tree.AsString(e))
	case *tree.CollateExpr:
		return nil, unsupported("COLLATE")
	case *tree.AnnotateTypeExpr:
		return nil, unsupported("type annotation %s (use CAST)", tree.AsString(e))
	case *tree.IsOfTypeExpr:
		return nil, unsupported("IS OF (type test)")
	case *tree.ColumnAccessExpr:
		return nil, unsupported("field access %s", tree.AsString(e))
	default:
		return nil, unsupported("expression %s", tree.AsString(e))
	}
}

func numLiteral(n *tree.NumVal) (Expr, error) {
	if n.Kind() == constant.Int {
		if i, err := n.AsInt64(); err == nil {
			return &Literal{Kind: LitInt, Int: i}, nil
		}
	}
	f, _ := constant.Float64Val(constant.ToFloat(n.AsConstantValue()))
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errorf("numeric literal %s out of range", tree.AsString(n))
	}
	return &Literal{Kind: LitFloat, Float: f}, nil
}

// negate applies unary minus, folding it into a numeric literal so that
// -(5) and -5 are the same tree.
func negate(x Expr) Expr {
	if lit, ok := x.(*Literal); ok {
		switch {
		case lit.Kind == LitInt && lit.Int != math.MinInt64:
			return &Literal{Kind: LitInt, Int: -lit.Int}
		case lit.Kind == LitInt:
			return &Literal{Kind: LitFloat, Float: -float64(lit.Int)}
		case lit.Kind == LitFloat:
			return &Literal{Kind: LitFloat, Float: -lit.Float}
		}
	}
	return &Unary{Op: OpNeg, X: x}
}

func (c *converter) logical(op BinaryOp, l, r tree.Expr) (Expr, error) {
	lx, err := c.expr(l)
	if err != nil {
		return nil, err
	}
	rx, err := c.expr(r)
	if err != nil {
		return nil, err
	}
	return &Binary{Op: op, L: lx, R: rx}, nil
}

func (c *converter) binary(e *tree.BinaryExpr) (Expr, error) {
	var op BinaryOp
	switch e.Operator.Symbol {
	case treebin.Plus:
		op = OpAdd
	case treebin.Minus:
		op = OpSub
	case treebin.Mult:
		op = OpMul
	case treebin.Div:
		op = OpDiv
	case treebin.Mod:
		op = OpMod
	case treebin.Concat:
		op = OpConcat
	case treebin.Pow:
		args, err := c.exprs(tree.Exprs{e.Left, e.Right})
		if err != nil {
			return nil, err
		}
		return &Func{Name: "power", Args: args}, nil
	default:
		return nil, unsupported("operator %s", e.Operator)
	}
	return c.logical(op, e.Left, e.Right)
}

func (c *converter) comparison(e *tree.ComparisonExpr) (Expr, error) {
	if e.Operator.Symbol.HasSubOperator() {
		return nil, unsupported("%s %s (...) comparison", e.SubOperator, e.Operator)
	}
	sym := e.Operator.Symbol
	switch sym {
	case treecmp.EQ, treecmp.NE, treecmp.LT, treecmp.LE, treecmp.GT, treecmp.GE:
		return c.logical(comparisonOp(sym), e.Left, e.Right)
	case treecmp.In, treecmp.NotIn:
		x, err := c.expr(e.Left)
		if err != nil {
			return nil, err
		}
		switch r := e.Right.(type) {
		case *tree.Tuple:
			list, err := c.exprs(r.Exprs)
			if err != nil {
				return nil, err
			}
			return &In{X: x, List: list, Not: sym == treecmp.NotIn}, nil
		case *tree.Subquery:
			return nil, c.at(unsupported("IN (subquery) %s", singleTable), 1, lexbase.SELECT)
		default:
			return nil, unsupported("%s %s (want a parenthesized list)", sym, tree.AsString(r))
		}
	case treecmp.Like, treecmp.NotLike, treecmp.ILike, treecmp.NotILike:
		x, err := c.expr(e.Left)
		if err != nil {
			return nil, err
		}
		p, err := c.expr(e.Right)
		if err != nil {
			return nil, err
		}
		return &Like{X: x, Pattern: p, Not: sym == treecmp.NotLike || sym == treecmp.NotILike,
			CaseInsensitive: sym == treecmp.ILike || sym == treecmp.NotILike}, nil
	case treecmp.RegMatch, treecmp.NotRegMatch, treecmp.RegIMatch, treecmp.NotRegIMatch:
		args, err := c.exprs(tree.Exprs{e.Left, e.Right})
		if err != nil {
			return nil, err
		}
		if sym == treecmp.RegIMatch || sym == treecmp.NotRegIMatch {
			args = append(args, &Literal{Kind: LitString, Str: "i"})
		}
		var x Expr = &Func{Name: "regexp_like", Args: args}
		if sym == treecmp.NotRegMatch || sym == treecmp.NotRegIMatch {
			x = &Unary{Op: OpNot, X: x}
		}
		return x, nil
	case treecmp.IsDistinctFrom, treecmp.IsNotDistinctFrom:
		not := sym == treecmp.IsDistinctFrom
		x, err := c.expr(e.Left)
		if err != nil {
			return nil, err
		}
		if e.Right == tree.Expr(tree.DNull) {
			return &IsNull{X: x, Not: not}, nil
		}
		if b, ok := e.Right.(*tree.DBool); ok {
			return isBool(x, bool(*b), not), nil
		}
		return nil, unsupported("IS [NOT] DISTINCT FROM")
	default:
		return nil, unsupported("operator %s", e.Operator)
	}
}

func comparisonOp(sym treecmp.ComparisonOperatorSymbol) BinaryOp {
	switch sym {
	case treecmp.NE:
		return OpNe
	case treecmp.LT:
		return OpLt
	case treecmp.LE:
		return OpLe
	case treecmp.GT:
		return OpGt
	case treecmp.GE:
		return OpGe
	}
	return OpEq
}

// isBool rewrites x IS [NOT] TRUE/FALSE with IS NULL and boolean logic:
//
//	x IS TRUE      -> x IS NOT NULL AND x
//	x IS FALSE     -> x IS NOT NULL AND NOT x
//	x IS NOT TRUE  -> x IS NULL OR NOT x
//	x IS NOT FALSE -> x IS NULL OR x
func isBool(x Expr, want, not bool) Expr {
	var v Expr = x
	if want == not {
		v = &Unary{Op: OpNot, X: x}
	}
	if not {
		return &Binary{Op: OpOr, L: &IsNull{X: x}, R: v}
	}
	return &Binary{Op: OpAnd, L: &IsNull{X: x, Not: true}, R: v}
}

func (c *converter) caseExpr(e *tree.CaseExpr) (Expr, error) {
	out := &Case{}
	var err error
	if e.Expr != nil {
		if out.Operand, err = c.expr(e.Expr); err != nil {
			return nil, err
		}
	}
	for _, w := range e.Whens {
		cond, err := c.expr(w.Cond)
		if err != nil {
			return nil, err
		}
		res, err := c.expr(w.Val)
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, When{Cond: cond, Result: res})
	}
	if e.Else != nil {
		if out.Else, err = c.expr(e.Else); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *converter) funcExpr(e *tree.FuncExpr) (Expr, error) {
	if e.WindowDef != nil {
		return nil, c.at(unsupported("window function (OVER)"), 0, lexbase.OVER)
	}
	if e.AggType == tree.OrderedSetAgg {
		return nil, unsupported("WITHIN GROUP")
	}
	if len(e.OrderBy) > 0 {
		return nil, unsupported("ORDER BY inside an aggregate")
	}
	var name string
	switch f := e.Func.FunctionReference.(type) {
	case *tree.UnresolvedName:
		if f.NumParts != 1 || f.Star {
			return nil, unsupported("qualified function name %s", tree.AsString(f))
		}
		name = f.Parts[0]
	case *tree.FunctionDefinition:
		name = f.Name
	case *tree.ResolvedFunctionDefinition:
		name = f.Name
	default:
		return nil, unsupported("function reference %s", tree.AsString(&e.Func))
	}
	out := &Func{Name: strings.ToLower(name), Distinct: e.Type == tree.DistinctFuncType}
	if out.Name == "btrim" { // TRIM(x), TRIM(BOTH c FROM x): Pinot calls it trim
		out.Name = "trim"
	}
	for _, a := range e.Exprs {
		star := false
		switch a := a.(type) {
		case tree.UnqualifiedStar:
			star = true
		case *tree.UnresolvedName:
			star = a.Star
		}
		if star {
			if len(e.Exprs) != 1 {
				return nil, errorf("%s(*) takes no other arguments", out.Name)
			}
			out.Star = true
			continue
		}
		x, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, x)
	}
	if out.Name == "extract" && len(out.Args) > 0 {
		if lit, ok := out.Args[0].(*Literal); ok && lit.Kind == LitString {
			out.Args[0] = &Literal{Kind: LitString, Str: strings.ToUpper(lit.Str)}
		}
	}
	if e.Filter != nil {
		f, err := c.expr(e.Filter)
		if err != nil {
			return nil, err
		}
		out.Filter = f
	}
	return out, nil
}

// castType names a cast target the way Pinot does (see Cast).
func castType(ref tree.ResolvableTypeReference) (string, error) {
	switch t := ref.(type) {
	case *types.T:
		switch t.Family() {
		case types.IntFamily:
			if t.Width() == 64 {
				return "LONG", nil
			}
			return "INT", nil
		case types.FloatFamily:
			if t.Width() == 32 {
				return "FLOAT", nil
			}
			return "DOUBLE", nil
		case types.DecimalFamily:
			return "DOUBLE", nil
		case types.StringFamily, types.CollatedStringFamily:
			return "STRING", nil
		case types.BoolFamily:
			return "BOOLEAN", nil
		case types.TimestampFamily, types.TimestampTZFamily:
			return "TIMESTAMP", nil
		case types.DateFamily:
			return "DATE", nil
		case types.BytesFamily:
			return "BYTES", nil
		case types.JsonFamily:
			return "JSON", nil
		}
		name := strings.ToUpper(t.SQLString())
		if !isPlainTypeName(name) {
			return "", unsupported("CAST to %s", name)
		}
		return name, nil
	case *tree.UnresolvedObjectName:
		if t.NumParts != 1 {
			return "", unsupported("CAST to %s", tree.AsString(t))
		}
		name := strings.ToUpper(t.Parts[0])
		if syn, ok := typeSynonym(name); ok {
			return syn, nil
		}
		return name, nil
	default:
		return "", unsupported("CAST to %s", ref.SQLString())
	}
}

// typeSynonym maps a type name written as a name (CAST(x AS LONG), or
// quoted) to Pinot's name, matching what the grammar's own types map to.
func typeSynonym(name string) (string, bool) {
	switch name {
	case "INT", "INTEGER", "INT4", "INT2", "SMALLINT", "TINYINT":
		return "INT", true
	case "LONG", "BIGINT", "INT8":
		return "LONG", true
	case "FLOAT", "REAL", "FLOAT4":
		return "FLOAT", true
	case "DOUBLE", "FLOAT8", "DECIMAL", "NUMERIC", "DEC":
		return "DOUBLE", true
	case "STRING", "VARCHAR", "TEXT", "CHAR", "CHARACTER":
		return "STRING", true
	case "BOOLEAN", "BOOL":
		return "BOOLEAN", true
	case "TIMESTAMP", "TIMESTAMPTZ":
		return "TIMESTAMP", true
	case "BYTES", "BYTEA", "VARBINARY", "BINARY":
		return "BYTES", true
	case "JSON", "JSONB":
		return "JSON", true
	}
	return "", false
}

// isPlainTypeName reports whether s is a one-word type name: upper-case
// letters, digits and underscores, not starting with a digit.
func isPlainTypeName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}
