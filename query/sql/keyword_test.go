package sql

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
)

// TestKeywordNamesRoundTrip renders every keyword of the grammar as a
// column, alias, table and function name and checks Parse reads it back:
// quoteName and funcName must quote exactly when needed.
func TestKeywordNamesRoundTrip(t *testing.T) {
	kws := make([]string, 0, len(lexbase.KeywordsCategories))
	for kw := range lexbase.KeywordsCategories {
		kws = append(kws, kw)
	}
	sort.Strings(kws)
	yes := true
	for _, kw := range kws {
		for i, name := range []string{kw, strings.ToUpper(kw[:1]) + kw[1:]} {
			col := &ColumnRef{Name: name}
			// Calls with 0 to 3 arguments.
			fn := &Func{Name: kw}
			for range i * 2 {
				fn.Args = append(fn.Args, col)
			}
			fn2 := &Func{Name: kw, Args: append(fn.Args, col), Distinct: i == 1}
			fn3 := &Func{Name: kw, Star: true}
			want := &Statement{Options: map[string]string{}, Select: &Select{
				Items:   []SelectItem{{Expr: col, Alias: name}, {Expr: fn}, {Expr: fn2}, {Expr: fn3}},
				From:    TableRef{Name: name, Alias: name},
				Where:   everywhere(col),
				GroupBy: []Expr{col},
				OrderBy: []OrderItem{{Expr: col, Desc: true}, {Expr: col, NullsFirst: &yes}, {Expr: col}},
				Limit:   -1,
			}}
			sql := want.String()
			got, err := Parse(sql)
			if err != nil {
				t.Errorf("keyword %q: Parse(%q): %v", name, sql, err)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("keyword %q: Parse(%q) = %s", name, sql, got)
			}
		}
	}
}

// everywhere puts x in every expression context of the grammar.
func everywhere(x Expr) Expr {
	and := func(l, r Expr) Expr { return &Binary{Op: OpAnd, L: l, R: r} }
	one := &Literal{Kind: LitInt, Int: 1}
	var e Expr = &Binary{Op: OpEq, L: x, R: one}
	for _, y := range []Expr{
		&IsNull{X: x}, &IsNull{X: x, Not: true},
		&In{X: x, List: []Expr{x, one}}, &In{X: x, List: []Expr{x}, Not: true},
		&Between{X: x, Lo: x, Hi: x}, &Between{X: x, Lo: x, Hi: x, Not: true},
		&Like{X: x, Pattern: x}, &Like{X: x, Pattern: x, Not: true, CaseInsensitive: true},
		&Binary{Op: OpLt, L: &Unary{Op: OpNeg, X: x}, R: &Binary{Op: OpConcat, L: x, R: x}},
		&Unary{Op: OpNot, X: x},
		&Binary{Op: OpGe, L: &Cast{X: x, Type: "INT"}, R: &Binary{Op: OpMul, L: x, R: &Binary{Op: OpAdd, L: x, R: x}}},
		&Binary{Op: OpNe, L: &Case{Operand: x, Whens: []When{{Cond: x, Result: x}}, Else: x}, R: x},
		&Binary{Op: OpOr, L: x, R: &Func{Name: "f", Args: []Expr{x, x}, Filter: x}},
	} {
		e = and(e, y)
	}
	return e
}
