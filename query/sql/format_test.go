package sql

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// gen builds random trees of the shapes Parse produces, to check that the
// printer's parentheses and quoting read back to the same tree.
type gen struct{ r *rand.Rand }

func (g gen) pick(n int) int { return g.r.IntN(n) }

func (g gen) name() string {
	names := []string{"a", "price", "userID", "Name", "value", "year", "select", "my col", `q"d`, "x1$", "_t", "été", "Count"}
	return names[g.pick(len(names))]
}

func (g gen) literal() *Literal {
	switch g.pick(7) {
	case 0:
		return &Literal{Kind: LitNull}
	case 1:
		return &Literal{Kind: LitBool, Bool: g.pick(2) == 0}
	case 2:
		return &Literal{Kind: LitString, Str: []string{"", "x", "it's", "a\nb", "ü", `"`}[g.pick(6)]}
	case 3:
		return &Literal{Kind: LitFloat, Float: []float64{0.5, -1.25, 3, 1e21, -2e-9, 123456.789}[g.pick(6)]}
	default:
		return &Literal{Kind: LitInt, Int: []int64{0, 1, -1, 42, -9223372036854775808, 9223372036854775807}[g.pick(6)]}
	}
}

func (g gen) exprs(n, depth int) []Expr {
	var out []Expr
	for range n {
		out = append(out, g.expr(depth))
	}
	return out
}

func (g gen) expr(depth int) Expr {
	if depth <= 0 {
		if g.pick(2) == 0 {
			return g.literal()
		}
		return &ColumnRef{Name: g.name()}
	}
	d := depth - 1
	switch g.pick(12) {
	case 0:
		x := g.expr(d)
		if lit, ok := x.(*Literal); ok && (lit.Kind == LitInt || lit.Kind == LitFloat) {
			return negate(lit) // Parse folds the sign into numbers
		}
		return &Unary{Op: UnaryOp(g.pick(2)), X: x}
	case 1, 2, 3:
		return &Binary{Op: BinaryOp(g.pick(int(OpConcat) + 1)), L: g.expr(d), R: g.expr(d)}
	case 4:
		names := []string{"sum", "count", "datetrunc", "year", "trim", "coalesce", "greatest", "left", "substring",
			"nullif", "if", "current_timestamp", "select", "my func"}
		f := &Func{Name: names[g.pick(len(names))], Args: g.exprs(g.pick(4), d)}
		switch {
		case len(f.Args) == 0 && g.pick(3) == 0:
			f.Star = true
		case len(f.Args) > 0 && g.pick(3) == 0:
			f.Distinct = true
		}
		if g.pick(4) == 0 {
			f.Filter = g.expr(d)
		}
		return f
	case 5:
		c := &Case{Whens: []When{{Cond: g.expr(d), Result: g.expr(d)}}}
		if g.pick(2) == 0 {
			c.Operand = g.expr(d)
			c.Whens = append(c.Whens, When{Cond: g.expr(d), Result: g.expr(d)})
		}
		if g.pick(2) == 0 {
			c.Else = g.expr(d)
		}
		return c
	case 6:
		types := []string{"INT", "LONG", "FLOAT", "DOUBLE", "STRING", "BOOLEAN", "TIMESTAMP", "DATE", "BYTES", "JSON", "BIG_DECIMAL"}
		return &Cast{X: g.expr(d), Type: types[g.pick(len(types))]}
	case 7:
		return &In{X: g.expr(d), List: g.exprs(1+g.pick(3), d), Not: g.pick(2) == 0}
	case 8:
		return &Between{X: g.expr(d), Lo: g.expr(d), Hi: g.expr(d), Not: g.pick(2) == 0}
	case 9:
		return &Like{X: g.expr(d), Pattern: g.expr(d), Not: g.pick(2) == 0, CaseInsensitive: g.pick(2) == 0}
	case 10:
		return &IsNull{X: g.expr(d), Not: g.pick(2) == 0}
	default:
		return g.expr(0)
	}
}

func TestRandomExprRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for range 2000 {
		e := g.expr(4)
		text := e.String()
		got, err := ParseExpr(text)
		if err != nil {
			t.Fatalf("%q does not parse: %v", text, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("%q parses to %q\n got %#v\nwant %#v", text, got.String(), got, e)
		}
	}
}

func TestRandomStatementRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for range 300 {
		s := &Statement{
			Explain: g.pick(4) == 0,
			Options: map[string]string{},
			Select: &Select{
				Distinct: g.pick(4) == 0,
				Items:    []SelectItem{{Expr: &Star{Table: []string{"", "t"}[g.pick(2)]}}, {Expr: g.expr(2), Alias: g.name()}},
				From:     TableRef{Name: []string{"t", "myTable", "db.events", "my table"}[g.pick(4)], Alias: []string{"", "t", "T x"}[g.pick(3)]},
				Where:    g.expr(3),
				GroupBy:  []Expr{&Literal{Kind: LitInt, Int: 2}, &ColumnRef{Table: "t", Name: g.name()}},
				Having:   g.expr(2),
				OrderBy:  []OrderItem{{Expr: g.expr(2), Desc: true, NullsFirst: ptr(g.pick(2) == 0)}, {Expr: g.expr(1)}},
				Limit:    int64(g.pick(3)) - 1,
				Offset:   int64(g.pick(2)),
			},
		}
		if g.pick(2) == 0 {
			s.Options["timeoutms"] = "1000"
			s.Options["weird key"] = "it's;\n"
		}
		text := s.String()
		got, err := Parse(text)
		if err != nil {
			t.Fatalf("%q does not parse: %v", text, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("%q parses to\n%s", text, got)
		}
	}
}

func TestStatementString(t *testing.T) {
	st, err := Parse("SET timeoutMs=10; EXPLAIN PLAN FOR SELECT DISTINCT t.userID AS u, \"My Col\" FROM \"db\".\"my Table\" t " +
		"WHERE a IN (1, 2) GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC NULLS LAST LIMIT 5 OFFSET 10")
	if err != nil {
		t.Fatal(err)
	}
	want := "SET \"timeoutms\" = '10';\nEXPLAIN PLAN FOR SELECT DISTINCT t.userID AS u, \"My Col\" FROM db.\"my Table\" AS t " +
		"WHERE a IN (1, 2) GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC NULLS LAST LIMIT 5 OFFSET 10"
	if got := st.String(); got != want {
		t.Fatalf("String()\n got %q\nwant %q", got, want)
	}
}
