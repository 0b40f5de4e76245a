package sql

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
)

// The shape cache. A dashboard or an application sends the same query over
// and over with different constants (one user's orders, one time range),
// and the grammar-driven parser costs more than executing such a query on
// an index. So Parse keys its work by the query's shape, the token
// sequence with plain literals lifted out, and parses each shape once; a
// later query of the same shape costs a tokenization and a copy of the
// tree with its own literals put in.
//
// Which literals are lifted: decimal integers that fit an int64, decimals
// without an exponent and plain '...' strings, in the query statement
// (not in SET prefixes, an OPTION clause or LIMIT/OFFSET/FETCH counts,
// which become options and numbers rather than tree literals). Every other
// token, identifiers as written included, is part of the key.
//
// A shape's template comes from parsing the query once more with a
// distinct sentinel in place of each lifted literal and finding each
// sentinel in the tree, as written, negated (-5 folds into a literal) or
// upper-cased (EXTRACT's field). A shape is cached as uncacheable, and
// always parsed in full, when a sentinel cannot be found exactly once, when
// the sentinel query does not parse, or when the template filled with the
// first query's own literals differs from that query's direct parse. Errors
// are never cached: a query that fails is parsed in full every time, so
// every message and position is the parser's own.

// maxShapes bounds the cache; when full it starts over, which keeps the
// code simple and costs one parse per shape.
const maxShapes = 4096

var shapes struct {
	m sync.Map // shape key → *shape
	n atomic.Int64
}

// litKind is the kind of a lifted literal.
type litKind byte

const (
	liftInt   litKind = 'i'
	liftFloat litKind = 'f'
	liftStr   litKind = 's'
)

// lifted is one literal taken out of a query.
type lifted struct {
	kind litKind
	tok  token
	i    int64
	f    float64
	s    string
}

// slot says how a template literal is filled: from lifted literal src,
// negated or upper-cased. src is -1 for a literal the query wrote itself.
type slot struct {
	src   int
	neg   bool
	upper bool
}

// shape is one cached query shape. tmpl is nil for an uncacheable shape.
type shape struct {
	tmpl  *Statement
	slots []slot // per template literal, in cloneStatement's order
}

func parseCached(sql string, toks []token) (*Statement, error) {
	key, lits := shapeKey(sql, toks)
	if len(lits) == 0 {
		return parseTokens(sql, toks)
	}
	if v, ok := shapes.m.Load(key); ok {
		sh := v.(*shape)
		if sh.tmpl == nil {
			return parseTokens(sql, toks)
		}
		return sh.bind(lits), nil
	}
	st, err := parseTokens(sql, toks)
	if err != nil {
		return nil, err
	}
	sh := newShape(sql, lits, st)
	if shapes.n.Add(1) > maxShapes {
		shapes.m.Clear()
		shapes.n.Store(1)
	}
	shapes.m.Store(key, sh)
	return st, nil
}

// shapeKey returns the query's shape and its lifted literals.
func shapeKey(sql string, toks []token) (string, []lifted) {
	// Only the last statement is the query; SET prefixes come before it.
	first := 0
	for i, t := range toks {
		if t.id == ';' && i+1 < len(toks) && toks[i+1].id != ';' {
			first = i + 1
		}
	}
	var (
		b        strings.Builder
		lits     []lifted
		depth    int  // parentheses inside an OPTION clause
		inOption bool // inside OPTION( ... )
		counting bool // after LIMIT, OFFSET or FETCH: numbers are counts
	)
	b.Grow(len(sql) + 2*len(toks))
	for i, t := range toks {
		text := sql[t.pos:t.end]
		switch t.id {
		case lexbase.LIMIT, lexbase.OFFSET, lexbase.FETCH:
			counting = true
		case lexbase.OPTION:
			if i+1 < len(toks) && toks[i+1].id == '(' {
				inOption = true
			}
		case '(':
			if inOption {
				depth++
			}
		case ')':
			if inOption {
				if depth--; depth == 0 {
					inOption = false
				}
			}
		}
		if lit, ok := liftable(t, text); ok && i >= first && !inOption && !counting {
			lit.tok = t
			lits = append(lits, lit)
			b.WriteByte(byte(lit.kind))
			continue
		}
		if counting && t.id != lexbase.LIMIT && t.id != lexbase.OFFSET && t.id != lexbase.FETCH &&
			t.id != lexbase.ICONST && t.id != ',' && t.id != lexbase.FIRST && t.id != lexbase.NEXT {
			counting = false
		}
		b.WriteByte('t')
		b.WriteString(strconv.Itoa(len(text)))
		b.WriteByte(':')
		b.WriteString(text)
	}
	return b.String(), lits
}

// liftable reports whether a token is a literal the cache lifts, and its
// value.
func liftable(t token, text string) (lifted, bool) {
	switch t.id {
	case lexbase.ICONST:
		if text == "" || text[0] < '0' || text[0] > '9' {
			return lifted{}, false
		}
		for i := 0; i < len(text); i++ {
			if text[i] < '0' || text[i] > '9' {
				return lifted{}, false // 0x1F and the like
			}
		}
		v, err := strconv.ParseInt(text, 10, 64)
		return lifted{kind: liftInt, i: v}, err == nil
	case lexbase.FCONST:
		dot := false
		for i := 0; i < len(text); i++ {
			switch c := text[i]; {
			case c == '.':
				dot = true
			case c < '0' || c > '9':
				return lifted{}, false // an exponent
			}
		}
		v, err := strconv.ParseFloat(text, 64)
		return lifted{kind: liftFloat, f: v}, dot && err == nil
	case lexbase.SCONST:
		if len(text) < 2 || text[0] != '\'' {
			return lifted{}, false // e'...', U&'...', $$...$$
		}
		return lifted{kind: liftStr, s: t.str}, true
	}
	return lifted{}, false
}

// Sentinels stand in for lifted literal i while a template is made.
const (
	intSentinel   = 7340001000000000
	floatSentinel = 1000000000.5
)

func strSentinel(i int) string { return "tL§" + strconv.Itoa(i) + "§" }

// newShape makes the template of st's shape; an uncacheable shape when
// any check fails.
func newShape(sql string, lits []lifted, st *Statement) (sh *shape) {
	defer func() {
		if recover() != nil {
			sh = &shape{}
		}
	}()
	var b strings.Builder
	at := 0
	for i, l := range lits {
		b.WriteString(sql[at:l.tok.pos])
		switch l.kind {
		case liftInt:
			b.WriteString(strconv.FormatInt(intSentinel+int64(i), 10))
		case liftFloat:
			b.WriteString(strconv.FormatFloat(floatSentinel+float64(i), 'f', 1, 64))
		case liftStr:
			b.WriteString("'" + strSentinel(i) + "'")
		}
		at = l.tok.end
	}
	b.WriteString(sql[at:])
	stoks, err := tokenize(b.String())
	if err != nil {
		return &shape{}
	}
	tmpl, err := parseTokens(b.String(), stoks)
	if err != nil {
		return &shape{}
	}
	sh = &shape{tmpl: tmpl}
	found := make([]int, len(lits))
	ok := true
	cloneStatement(tmpl, func(lit *Literal) Expr {
		s := findSentinel(lit, lits)
		if s.src >= 0 {
			found[s.src]++
		}
		sh.slots = append(sh.slots, s)
		return lit
	}, &ok)
	for _, n := range found {
		ok = ok && n == 1
	}
	if !ok || !reflect.DeepEqual(sh.bind(lits), st) {
		return &shape{}
	}
	return sh
}

// findSentinel returns the slot of a template literal.
func findSentinel(lit *Literal, lits []lifted) slot {
	match := func(i int64, kind litKind) int {
		if i >= 0 && i < int64(len(lits)) && lits[i].kind == kind {
			return int(i)
		}
		return -1
	}
	switch lit.Kind {
	case LitInt:
		if i := match(lit.Int-intSentinel, liftInt); i >= 0 {
			return slot{src: i}
		}
		if i := match(-lit.Int-intSentinel, liftInt); i >= 0 {
			return slot{src: i, neg: true}
		}
	case LitFloat:
		for _, neg := range []bool{false, true} {
			f := lit.Float
			if neg {
				f = -f
			}
			if d := f - floatSentinel; d == float64(int64(d)) {
				if i := match(int64(d), liftFloat); i >= 0 {
					return slot{src: i, neg: neg}
				}
			}
		}
	case LitString:
		s, upper := lit.Str, false
		if strings.HasPrefix(s, "TL§") {
			s, upper = "tL§"+s[len("TL§"):], true
		}
		if rest, ok := strings.CutPrefix(s, "tL§"); ok {
			if n, ok := strings.CutSuffix(rest, "§"); ok {
				if i, err := strconv.ParseInt(n, 10, 64); err == nil && strSentinel(int(i)) == s {
					if i := match(i, liftStr); i >= 0 {
						return slot{src: i, upper: upper}
					}
				}
			}
		}
	}
	return slot{src: -1}
}

// bind returns a copy of the template with the query's own literals.
func (sh *shape) bind(lits []lifted) *Statement {
	n := 0
	ok := true
	return cloneStatement(sh.tmpl, func(lit *Literal) Expr {
		s := sh.slots[n]
		n++
		if s.src < 0 {
			c := *lit
			return &c
		}
		l := lits[s.src]
		switch l.kind {
		case liftInt:
			if s.neg {
				return &Literal{Kind: LitInt, Int: -l.i}
			}
			return &Literal{Kind: LitInt, Int: l.i}
		case liftFloat:
			if s.neg {
				return &Literal{Kind: LitFloat, Float: -l.f}
			}
			return &Literal{Kind: LitFloat, Float: l.f}
		}
		if s.upper {
			return &Literal{Kind: LitString, Str: strings.ToUpper(l.s)}
		}
		return &Literal{Kind: LitString, Str: l.s}
	}, &ok)
}

// cloneStatement deep-copies st, replacing every literal by lit's result,
// in a fixed order. It clears *ok on a node it does not know.
func cloneStatement(st *Statement, lit func(*Literal) Expr, ok *bool) *Statement {
	out := &Statement{Explain: st.Explain, Options: make(map[string]string, len(st.Options))}
	for k, v := range st.Options {
		out.Options[k] = v
	}
	if st.Select == nil {
		return out
	}
	s := *st.Select
	c := cloner{lit: lit, ok: ok}
	s.Items = make([]SelectItem, len(st.Select.Items))
	for i, it := range st.Select.Items {
		s.Items[i] = SelectItem{Expr: c.expr(it.Expr), Alias: it.Alias}
	}
	s.Where = c.expr(s.Where)
	s.GroupBy = c.exprs(s.GroupBy)
	s.Having = c.expr(s.Having)
	if s.OrderBy != nil {
		s.OrderBy = make([]OrderItem, len(st.Select.OrderBy))
		for i, o := range st.Select.OrderBy {
			s.OrderBy[i] = OrderItem{Expr: c.expr(o.Expr), Desc: o.Desc}
			if o.NullsFirst != nil {
				nf := *o.NullsFirst
				s.OrderBy[i].NullsFirst = &nf
			}
		}
	}
	out.Select = &s
	return out
}

type cloner struct {
	lit func(*Literal) Expr
	ok  *bool
}

func (c cloner) exprs(es []Expr) []Expr {
	if es == nil {
		return nil
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = c.expr(e)
	}
	return out
}

func (c cloner) expr(e Expr) Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *Literal:
		return c.lit(e)
	case *ColumnRef:
		x := *e
		return &x
	case *Star:
		x := *e
		return &x
	case *Unary:
		return &Unary{Op: e.Op, X: c.expr(e.X)}
	case *Binary:
		return &Binary{Op: e.Op, L: c.expr(e.L), R: c.expr(e.R)}
	case *Func:
		return &Func{Name: e.Name, Args: c.exprs(e.Args), Star: e.Star, Distinct: e.Distinct, Filter: c.expr(e.Filter)}
	case *Case:
		x := &Case{Operand: c.expr(e.Operand)}
		if e.Whens != nil {
			x.Whens = make([]When, len(e.Whens))
			for i, w := range e.Whens {
				x.Whens[i] = When{Cond: c.expr(w.Cond), Result: c.expr(w.Result)}
			}
		}
		x.Else = c.expr(e.Else)
		return x
	case *Cast:
		return &Cast{X: c.expr(e.X), Type: e.Type}
	case *In:
		return &In{X: c.expr(e.X), List: c.exprs(e.List), Not: e.Not}
	case *Between:
		return &Between{X: c.expr(e.X), Lo: c.expr(e.Lo), Hi: c.expr(e.Hi), Not: e.Not}
	case *Like:
		return &Like{X: c.expr(e.X), Pattern: c.expr(e.Pattern), Not: e.Not, CaseInsensitive: e.CaseInsensitive}
	case *IsNull:
		return &IsNull{X: c.expr(e.X), Not: e.Not}
	}
	*c.ok = false
	return e
}
