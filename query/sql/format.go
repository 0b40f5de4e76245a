package sql

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
)

// This file renders the tree back to SQL. Expr.String() names result
// columns the way Pinot does: function calls in lower case with no space
// after commas (sum(price), count(*), distinctcount(userID)), column refs
// bare without their table qualifier and quoted only when needed.
// Statement.String() renders a whole query, qualifiers kept. Both re-parse
// to the same tree (Expr.String() up to the dropped qualifiers).

func (x *ColumnRef) String() string { return render(x) }
func (x *Star) String() string      { return render(x) }
func (x *Literal) String() string   { return render(x) }
func (x *Unary) String() string     { return render(x) }
func (x *Binary) String() string    { return render(x) }
func (x *Func) String() string      { return render(x) }
func (x *Case) String() string      { return render(x) }
func (x *Cast) String() string      { return render(x) }
func (x *In) String() string        { return render(x) }
func (x *Between) String() string   { return render(x) }
func (x *Like) String() string      { return render(x) }
func (x *IsNull) String() string    { return render(x) }

func render(e Expr) string {
	var p printer
	p.expr(e)
	return p.b.String()
}

// String renders the statement as SQL that Parse reads back to the same
// tree: options as SET statements (sorted by key), then the query.
func (s *Statement) String() string {
	p := printer{qualified: true}
	keys := make([]string, 0, len(s.Options))
	for k := range s.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.b.WriteString("SET ")
		p.b.WriteString(quoteIdent(k))
		p.b.WriteString(" = ")
		p.b.WriteString(QuoteString(s.Options[k]))
		p.b.WriteString(";\n")
	}
	if s.Explain {
		p.b.WriteString("EXPLAIN PLAN FOR ")
	}
	if s.Select != nil {
		p.selectStmt(s.Select)
	}
	return p.b.String()
}

// String renders the query as SQL, table qualifiers kept.
func (s *Select) String() string {
	p := printer{qualified: true}
	p.selectStmt(s)
	return p.b.String()
}

// printer accumulates SQL text. qualified keeps table qualifiers on column
// references and stars.
type printer struct {
	b         strings.Builder
	qualified bool
}

func (p *printer) selectStmt(s *Select) {
	p.b.WriteString("SELECT ")
	if s.Distinct {
		p.b.WriteString("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			p.b.WriteString(", ")
		}
		p.expr(it.Expr)
		if it.Alias != "" {
			p.b.WriteString(" AS ")
			p.b.WriteString(quoteName(it.Alias))
		}
	}
	if s.From.Name != "" {
		p.b.WriteString(" FROM ")
		p.dotted(s.From.Name)
		if s.From.Alias != "" {
			p.b.WriteString(" AS ")
			p.b.WriteString(quoteName(s.From.Alias))
		}
	}
	if s.Where != nil {
		p.b.WriteString(" WHERE ")
		p.expr(s.Where)
	}
	for i, g := range s.GroupBy {
		if i == 0 {
			p.b.WriteString(" GROUP BY ")
		} else {
			p.b.WriteString(", ")
		}
		p.expr(g)
	}
	if s.Having != nil {
		p.b.WriteString(" HAVING ")
		p.expr(s.Having)
	}
	for i, o := range s.OrderBy {
		if i == 0 {
			p.b.WriteString(" ORDER BY ")
		} else {
			p.b.WriteString(", ")
		}
		p.expr(o.Expr)
		if o.Desc {
			p.b.WriteString(" DESC")
		}
		if o.NullsFirst != nil {
			if *o.NullsFirst {
				p.b.WriteString(" NULLS FIRST")
			} else {
				p.b.WriteString(" NULLS LAST")
			}
		}
	}
	if s.Limit >= 0 {
		p.b.WriteString(" LIMIT ")
		p.b.WriteString(strconv.FormatInt(s.Limit, 10))
	}
	if s.Offset > 0 {
		p.b.WriteString(" OFFSET ")
		p.b.WriteString(strconv.FormatInt(s.Offset, 10))
	}
}

// dotted writes a possibly qualified name (db.table), each part quoted as
// needed.
func (p *printer) dotted(name string) {
	for i, part := range strings.Split(name, ".") {
		if i > 0 {
			p.b.WriteByte('.')
		}
		p.b.WriteString(quoteName(part))
	}
}

// Operator precedence, loosest first, as in CockroachDB's (PostgreSQL's)
// grammar.
const (
	precOr = iota + 1
	precAnd
	precNot
	precIs // IS [NOT] NULL
	precCmp
	precIn // IN, BETWEEN, LIKE, ILIKE
	precConcat
	precAdd
	precMul
	precNeg
	precAtom = 100
)

func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case OpOr:
			return precOr
		case OpAnd:
			return precAnd
		case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
			return precCmp
		case OpConcat:
			return precConcat
		case OpAdd, OpSub:
			return precAdd
		default:
			return precMul
		}
	case *Unary:
		if e.Op == OpNot {
			return precNot
		}
		return precNeg
	case *IsNull:
		return precIs
	case *In, *Between, *Like:
		return precIn
	case *Literal:
		if isNumeric(e) && (e.Int < 0 || math.Signbit(e.Float)) {
			return precNeg // written with a leading minus
		}
	}
	return precAtom
}

func isNumeric(l *Literal) bool { return l.Kind == LitInt || l.Kind == LitFloat }

// sub writes e, parenthesized when it binds looser than needed.
func (p *printer) sub(e Expr, parens bool) {
	if parens {
		p.b.WriteByte('(')
		p.expr(e)
		p.b.WriteByte(')')
		return
	}
	p.expr(e)
}

// opText is the operator as written between its operands.
func opText(op BinaryOp) string {
	switch op {
	case OpAdd:
		return " + "
	case OpSub:
		return " - "
	case OpMul:
		return " * "
	case OpDiv:
		return " / "
	case OpMod:
		return " % "
	case OpEq:
		return " = "
	case OpNe:
		return " <> "
	case OpLt:
		return " < "
	case OpLe:
		return " <= "
	case OpGt:
		return " > "
	case OpGe:
		return " >= "
	case OpAnd:
		return " AND "
	case OpOr:
		return " OR "
	case OpConcat:
		return " || "
	}
	return " ?op" + strconv.Itoa(int(op)) + "? "
}

func (p *printer) expr(e Expr) {
	switch e := e.(type) {
	case nil:
		p.b.WriteString("NULL")
	case *ColumnRef:
		if p.qualified && e.Table != "" {
			p.dotted(e.Table)
			p.b.WriteByte('.')
		}
		p.b.WriteString(quoteName(e.Name))
	case *Star:
		if p.qualified && e.Table != "" {
			p.dotted(e.Table)
			p.b.WriteByte('.')
		}
		p.b.WriteByte('*')
	case *Literal:
		p.literal(e)
	case *Unary:
		if e.Op == OpNot {
			p.b.WriteString("NOT ")
			p.sub(e.X, prec(e.X) < precNot)
			return
		}
		p.b.WriteByte('-')
		lit, isLit := e.X.(*Literal)
		p.sub(e.X, prec(e.X) <= precNeg || (isLit && isNumeric(lit)))
	case *Binary:
		pr := prec(e)
		nonAssoc := pr == precCmp
		p.sub(e.L, prec(e.L) < pr || (nonAssoc && prec(e.L) == pr))
		p.b.WriteString(opText(e.Op))
		p.sub(e.R, prec(e.R) <= pr)
	case *Func:
		p.b.WriteString(funcName(e))
		p.b.WriteByte('(')
		if e.Distinct {
			p.b.WriteString("DISTINCT ")
		}
		if e.Star {
			p.b.WriteByte('*')
		}
		for i, a := range e.Args {
			if i > 0 || e.Star {
				p.b.WriteByte(',')
			}
			p.expr(a)
		}
		p.b.WriteByte(')')
		if e.Filter != nil {
			p.b.WriteString(" FILTER (WHERE ")
			p.expr(e.Filter)
			p.b.WriteByte(')')
		}
	case *Case:
		p.b.WriteString("CASE")
		if e.Operand != nil {
			p.b.WriteByte(' ')
			p.expr(e.Operand)
		}
		for _, w := range e.Whens {
			p.b.WriteString(" WHEN ")
			p.expr(w.Cond)
			p.b.WriteString(" THEN ")
			p.expr(w.Result)
		}
		if e.Else != nil {
			p.b.WriteString(" ELSE ")
			p.expr(e.Else)
		}
		p.b.WriteString(" END")
	case *Cast:
		p.b.WriteString("CAST(")
		p.expr(e.X)
		p.b.WriteString(" AS ")
		p.b.WriteString(typeName(e.Type))
		p.b.WriteByte(')')
	case *In:
		p.sub(e.X, prec(e.X) <= precIn)
		if e.Not {
			p.b.WriteString(" NOT")
		}
		p.b.WriteString(" IN (")
		for i, x := range e.List {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.expr(x)
		}
		p.b.WriteByte(')')
	case *Between:
		p.sub(e.X, prec(e.X) <= precIn)
		if e.Not {
			p.b.WriteString(" NOT")
		}
		p.b.WriteString(" BETWEEN ")
		p.sub(e.Lo, prec(e.Lo) <= precIn)
		p.b.WriteString(" AND ")
		p.sub(e.Hi, prec(e.Hi) <= precIn)
	case *Like:
		p.sub(e.X, prec(e.X) <= precIn)
		if e.Not {
			p.b.WriteString(" NOT")
		}
		if e.CaseInsensitive {
			p.b.WriteString(" ILIKE ")
		} else {
			p.b.WriteString(" LIKE ")
		}
		p.sub(e.Pattern, prec(e.Pattern) <= precIn)
	case *IsNull:
		p.sub(e.X, prec(e.X) <= precIs)
		if e.Not {
			p.b.WriteString(" IS NOT NULL")
		} else {
			p.b.WriteString(" IS NULL")
		}
	default:
		p.b.WriteString("NULL")
	}
}

func (p *printer) literal(l *Literal) {
	switch l.Kind {
	case LitNull:
		p.b.WriteString("NULL")
	case LitInt:
		p.b.WriteString(strconv.FormatInt(l.Int, 10))
	case LitFloat:
		p.b.WriteString(FloatLiteral(l.Float, 64))
	case LitString:
		p.b.WriteString(QuoteString(l.Str))
	case LitBool:
		p.b.WriteString(strconv.FormatBool(l.Bool))
	}
}

// FloatLiteral writes f, of bits precision (32 or 64), as a literal that
// reads back as the same float, not as an integer.
func FloatLiteral(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "CAST('NaN' AS DOUBLE)"
	case math.IsInf(f, 1):
		return "CAST('Infinity' AS DOUBLE)"
	case math.IsInf(f, -1):
		return "CAST('-Infinity' AS DOUBLE)"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".e") {
		s += ".0" // 3 would be an integer literal
	}
	return s
}

// QuoteString quotes s as a standard SQL string: the parser reads
// backslashes in '...' literally, so doubling the quote is the whole
// escaping.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// isIdentWord reports whether s is spelled like an unquoted identifier
// (ASCII letters, digits, _ and $, not starting with a digit or $).
func isIdentWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch == '_':
		case i > 0 && (ch >= '0' && ch <= '9' || ch == '$'):
		default:
			return false
		}
	}
	lower := strings.ToLower(s)
	// The scanner treats these prefixes specially.
	return !strings.HasPrefix(lower, "experimental_") && !strings.HasPrefix(lower, "testing_")
}

// quoteName writes a column, table or alias name bare when Parse reads it
// back unchanged, quoted otherwise. Unquoted names keep their written case
// (Parse recovers it), so userID stays bare; keywords are quoted unless
// they are unreserved and in lower case.
func quoteName(s string) string {
	if !isIdentWord(s) {
		return quoteIdent(s)
	}
	lower := strings.ToLower(s)
	switch lexbase.KeywordsCategories[lower] {
	case "":
		return s
	case "U":
		if s == lower {
			return s
		}
	}
	return quoteIdent(s)
}

// funcName writes a (lower-case) function name bare when the grammar reads
// name(...) back as a call of that name, quoted otherwise.
// Keywords with a call syntax of their own are bare only where that syntax
// reads a plain argument list.
func funcName(f *Func) string {
	s, nargs, plain := f.Name, len(f.Args), !f.Star && !f.Distinct && f.Filter == nil
	if !isIdentWord(s) || s != strings.ToLower(s) {
		return quoteIdent(s)
	}
	switch s {
	case "operator", "option": // OPERATOR(op) is operator syntax; OPTION(...) is Pinot's clause
		return quoteIdent(s)
	case "extract", "substring", "trim", "coalesce", "greatest", "least", "left", "right", "overlay":
		if nargs > 0 && plain {
			return s
		}
	case "nullif", "ifnull":
		if nargs == 2 && plain {
			return s
		}
	case "current_date", "current_timestamp":
		if nargs == 0 && plain {
			return s
		}
	}
	switch lexbase.KeywordsCategories[s] {
	case "", "U":
		return s
	}
	return quoteIdent(s)
}

// typeName writes a cast target; a name that is not a plain word, or that
// the grammar reserves, is quoted (Parse upper-cases it back).
func typeName(t string) string {
	if isPlainTypeName(t) {
		switch lexbase.KeywordsCategories[strings.ToLower(t)] {
		case "R", "T":
		default:
			return t
		}
	}
	return quoteIdent(t)
}
