package exec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

func parseFloatOrZero(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// markNulls sets v's null flags for the docs in nulls. docs ascend, so one
// forward pass of a bitmap iterator does it.
func markNulls(nulls *roaring.Bitmap, docs []uint32, v *vec.Vector) {
	if len(docs) == 0 {
		return
	}
	it := nulls.Iterator()
	it.AdvanceIfNeeded(docs[0])
	i := 0
	for it.HasNext() && i < len(docs) {
		d := it.Next()
		for i < len(docs) && docs[i] < d {
			i++
		}
		if i < len(docs) && docs[i] == d {
			v.SetNull(i)
			i++
		}
	}
}

// unifyResult picks the result type of branches that must agree (CASE,
// COALESCE): numbers widen to LONG or DOUBLE, other types must match.
func unifyResult(ts []schema.DataType, what string) (schema.DataType, error) {
	var out schema.DataType
	for _, t := range ts {
		if t == schema.TypeInvalid {
			continue // NULL literal
		}
		if out == schema.TypeInvalid {
			out = t
			continue
		}
		if out == t {
			continue
		}
		on, tn := out.Storage() != schema.StorageString && out.Storage() != schema.StorageBytes, t.Storage() != schema.StorageString && t.Storage() != schema.StorageBytes
		switch {
		case on && tn:
			if out.Storage() == schema.StorageFloat64 || t.Storage() == schema.StorageFloat64 {
				out = schema.TypeDouble
			} else if out == schema.TypeTimestamp || t == schema.TypeTimestamp {
				out = schema.TypeLong
			} else {
				out = schema.TypeLong
			}
		case !on && !tn:
			out = schema.TypeString
		default:
			return 0, fmt.Errorf("%s mixes %s and %s", what, out, t)
		}
	}
	if out == schema.TypeInvalid {
		out = schema.TypeString
	}
	return out, nil
}

// caseNode is a searched CASE (a simple CASE is rewritten to one).
type caseNode struct {
	conds   []node
	results []node
	els     node
	t       schema.DataType
	out     *vec.Vector
	done    []bool
	truths  []bool
	scratch *vec.Vector
}

func (c *compiler) compileCase(e *sql.Case) (node, error) {
	n := &caseNode{}
	var types []schema.DataType
	for _, w := range e.Whens {
		cond := w.Cond
		if e.Operand != nil {
			cond = &sql.Binary{Op: sql.OpEq, L: e.Operand, R: w.Cond}
		}
		cn, err := c.compile(cond)
		if err != nil {
			return nil, err
		}
		rn, err := c.compile(w.Result)
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cn)
		n.results = append(n.results, rn)
		types = append(types, typeOrNull(rn))
	}
	if e.Else != nil {
		en, err := c.compile(e.Else)
		if err != nil {
			return nil, err
		}
		n.els = en
		types = append(types, typeOrNull(en))
	}
	t, err := unifyResult(types, "CASE")
	if err != nil {
		return nil, err
	}
	n.t = t
	n.out = vec.New(t)
	n.scratch = vec.New(schema.TypeDouble)
	return n, nil
}

func typeOrNull(n node) schema.DataType {
	if isNullConst(n) {
		return schema.TypeInvalid
	}
	return n.typ()
}

func (n *caseNode) typ() schema.DataType { return n.t }

func (n *caseNode) eval(b *batch) (*vec.Vector, error) {
	out := n.out
	out.Reset(n.t, b.n)
	if cap(n.done) < b.n {
		n.done = make([]bool, b.n)
	}
	done := n.done[:b.n]
	for i := range done {
		done[i] = false
	}
	for k, cn := range n.conds {
		cv, err := cn.eval(b)
		if err != nil {
			return nil, err
		}
		// Conditions are evaluated for the whole batch; copy the truths
		// before the result expression may reuse shared buffers.
		any := false
		for i := 0; i < b.n; i++ {
			if !done[i] && truth(cv, i) == 1 {
				any = true
				break
			}
		}
		if !any {
			continue
		}
		if cap(n.truths) < b.n {
			n.truths = make([]bool, b.n)
		}
		truths := n.truths[:b.n]
		for i := 0; i < b.n; i++ {
			truths[i] = !done[i] && truth(cv, i) == 1
		}
		rv, err := n.results[k].eval(b)
		if err != nil {
			return nil, err
		}
		for i := 0; i < b.n; i++ {
			if truths[i] {
				copyValue(out, i, rv, i, n.scratch)
				done[i] = true
			}
		}
	}
	var ev *vec.Vector
	if n.els != nil {
		var err error
		if ev, err = n.els.eval(b); err != nil {
			return nil, err
		}
	}
	for i := 0; i < b.n; i++ {
		if done[i] {
			continue
		}
		if ev == nil {
			out.SetNull(i)
			continue
		}
		copyValue(out, i, ev, i, n.scratch)
	}
	return out, nil
}

// copyValue sets out[i] = in[j], converting between numeric families.
func copyValue(out *vec.Vector, i int, in *vec.Vector, j int, _ *vec.Vector) {
	if in.IsNull(j) {
		out.SetNull(i)
		return
	}
	switch out.Type.Storage() {
	case schema.StorageInt64:
		switch in.Type.Storage() {
		case schema.StorageInt64:
			out.I64[i] = in.I64[j]
		case schema.StorageFloat64:
			out.I64[i] = int64(in.F64[j])
		}
	case schema.StorageFloat64:
		switch in.Type.Storage() {
		case schema.StorageInt64:
			out.F64[i] = float64(in.I64[j])
		case schema.StorageFloat64:
			out.F64[i] = in.F64[j]
		default:
			out.F64[i] = parseFloatOrZero(in.Str[j])
		}
	default:
		switch in.Type.Storage() {
		case schema.StorageString, schema.StorageBytes:
			out.Str[i] = in.Str[j]
		case schema.StorageInt64:
			out.Str[i] = strconv.FormatInt(in.I64[j], 10)
		case schema.StorageFloat64:
			out.Str[i] = strconv.FormatFloat(in.F64[j], 'g', -1, 64)
		}
	}
}

// inNode tests membership in a set of constants.
type inNode struct {
	x    node
	not  bool
	ints map[int64]struct{}
	flts map[float64]struct{}
	strs map[string]struct{}
	// hasNull: the list holds NULL, so a non-match is unknown.
	hasNull bool
	out     *vec.Vector
	scratch *vec.Vector
}

func (c *compiler) compileIn(e *sql.In) (node, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return nil, err
	}
	consts := make([]*constNode, 0, len(e.List))
	for _, item := range e.List {
		n, err := c.compile(item)
		if err != nil {
			return nil, err
		}
		k, ok := n.(*constNode)
		if !ok {
			// A non-constant list: x IN (a, b) is x = a OR x = b.
			var or sql.Expr
			for _, it := range e.List {
				eq := &sql.Binary{Op: sql.OpEq, L: e.X, R: it}
				if or == nil {
					or = eq
				} else {
					or = &sql.Binary{Op: sql.OpOr, L: or, R: eq}
				}
			}
			if e.Not {
				or = &sql.Unary{Op: sql.OpNot, X: or}
			}
			return c.compile(or)
		}
		consts = append(consts, k)
	}
	n := &inNode{x: x, not: e.Not, out: vec.New(schema.TypeBoolean), scratch: vec.New(schema.TypeDouble)}
	kind := x.typ().Storage()
	switch {
	case x.typ() == schema.TypeBigDecimal:
		kind = schema.StorageFloat64
	case kind == schema.StorageBytes:
		kind = schema.StorageString // raw bytes, as unifyForCompare compares them
	}
	for _, k := range consts {
		if k.isNull {
			n.hasNull = true
			continue
		}
		_, kc, ks, err := unifyForCompare(x, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
		kk := kc.(*constNode)
		if ks != kind && !(kind == schema.StorageInt64 && ks == schema.StorageFloat64) {
			return nil, fmt.Errorf("%s: cannot compare %s with %s", e, x.typ(), k.typ())
		}
		switch kind {
		case schema.StorageInt64:
			if n.ints == nil {
				n.ints = map[int64]struct{}{}
			}
			if kk.t.Storage() == schema.StorageFloat64 {
				if kk.val.Float != float64(int64(kk.val.Float)) {
					continue // 1.5 can never equal an integer
				}
				n.ints[int64(kk.val.Float)] = struct{}{}
			} else {
				n.ints[kk.val.Int] = struct{}{}
			}
		case schema.StorageFloat64:
			if n.flts == nil {
				n.flts = map[float64]struct{}{}
			}
			if kk.t.Storage() == schema.StorageInt64 {
				n.flts[float64(kk.val.Int)] = struct{}{}
			} else if kk.t.Storage() == schema.StorageFloat64 {
				n.flts[kk.val.Float] = struct{}{}
			} else {
				n.flts[parseFloatOrZero(kk.val.Str)] = struct{}{}
			}
		default:
			if n.strs == nil {
				n.strs = map[string]struct{}{}
			}
			n.strs[kk.val.Str] = struct{}{}
		}
	}
	return n, nil
}

func (n *inNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *inNode) eval(b *batch) (*vec.Vector, error) {
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	o := out.I64[:b.n]
	switch {
	case n.ints != nil || (xv.Type.Storage() == schema.StorageInt64 && n.flts == nil && n.strs == nil):
		for i, x := range xv.I64[:b.n] {
			_, ok := n.ints[x]
			o[i] = b2i(ok)
		}
	case n.flts != nil || xv.Type.Storage() == schema.StorageFloat64:
		for i, x := range asFloat(xv, b.n, n.scratch) {
			_, ok := n.flts[x]
			o[i] = b2i(ok)
		}
	default:
		for i, x := range xv.Str[:b.n] {
			_, ok := n.strs[x]
			o[i] = b2i(ok)
		}
	}
	for i := range o {
		if xv.IsNull(i) || (o[i] == 0 && n.hasNull) {
			o[i] = 0
			out.SetNull(i)
			continue
		}
		if n.not {
			o[i] ^= 1
		}
	}
	return out, nil
}

// matcher tests strings against a LIKE or regular-expression pattern.
type matcher struct {
	kind   int // 0 exact, 1 prefix, 2 suffix, 3 contains, 4 regexp, 5 any
	lit    string
	re     *regexp.Regexp
	lower  bool
	negate bool
}

const (
	matchExact = iota
	matchPrefix
	matchSuffix
	matchContains
	matchRegexp
	matchAny
)

func (m *matcher) match(s string) bool {
	if m.lower {
		s = strings.ToLower(s)
	}
	var ok bool
	switch m.kind {
	case matchExact:
		ok = s == m.lit
	case matchPrefix:
		ok = strings.HasPrefix(s, m.lit)
	case matchSuffix:
		ok = strings.HasSuffix(s, m.lit)
	case matchContains:
		ok = strings.Contains(s, m.lit)
	case matchAny:
		ok = true
	default:
		ok = m.re.MatchString(s)
	}
	return ok != m.negate
}

// likeMatcher compiles a SQL LIKE pattern (% any run, _ one character,
// backslash escapes the next character) into the cheapest matcher.
func likeMatcher(pattern string, caseInsensitive bool) (*matcher, error) {
	if caseInsensitive {
		pattern = strings.ToLower(pattern)
	}
	m := &matcher{lower: caseInsensitive}
	special := strings.ContainsAny(pattern, `_\`)
	inner := strings.Trim(pattern, "%")
	if !special && !strings.Contains(inner, "%") {
		lead := strings.HasPrefix(pattern, "%")
		trail := strings.HasSuffix(pattern, "%")
		m.lit = inner
		switch {
		case inner == "" && (lead || trail):
			m.kind = matchAny
		case lead && trail:
			m.kind = matchContains
		case lead:
			m.kind = matchSuffix
		case trail:
			m.kind = matchPrefix
		default:
			m.kind = matchExact
		}
		return m, nil
	}
	var re strings.Builder
	re.WriteString("(?s)^")
	for i := 0; i < len(pattern); i++ {
		ch := pattern[i]
		switch ch {
		case '%':
			re.WriteString(".*")
		case '_':
			re.WriteString(".")
		case '\\':
			if i+1 < len(pattern) {
				i++
				re.WriteString(regexp.QuoteMeta(string(pattern[i])))
			} else {
				re.WriteString(`\\`)
			}
		default:
			re.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	re.WriteString("$")
	r, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("invalid LIKE pattern %q: %w", pattern, err)
	}
	m.kind = matchRegexp
	m.re = r
	return m, nil
}

// matchNode applies a matcher to a string expression.
type matchNode struct {
	x   node
	m   *matcher
	out *vec.Vector
}

func (n *matchNode) typ() schema.DataType { return schema.TypeBoolean }

func (n *matchNode) eval(b *batch) (*vec.Vector, error) {
	xv, err := n.x.eval(b)
	if err != nil {
		return nil, err
	}
	out := n.out
	out.Reset(schema.TypeBoolean, b.n)
	for i, s := range xv.Str[:b.n] {
		out.I64[i] = b2i(n.m.match(s))
	}
	mergeNulls(out, xv)
	return out, nil
}

func (c *compiler) compileLike(e *sql.Like) (node, error) {
	x, err := c.compile(e.X)
	if err != nil {
		return nil, err
	}
	if s := x.typ().Storage(); s != schema.StorageString && s != schema.StorageBytes {
		return nil, fmt.Errorf("%s: LIKE needs a string operand, got %s", e, x.typ())
	}
	p, err := c.compile(e.Pattern)
	if err != nil {
		return nil, err
	}
	k, ok := p.(*constNode)
	if !ok || k.t.Storage() != schema.StorageString {
		return nil, fmt.Errorf("%s: the LIKE pattern must be a string constant", e)
	}
	m, err := likeMatcher(k.val.Str, e.CaseInsensitive)
	if err != nil {
		return nil, err
	}
	m.negate = e.Not
	return &matchNode{x: x, m: m, out: vec.New(schema.TypeBoolean)}, nil
}

func (c *compiler) compileRegexpLike(e *sql.Func, args []node) (node, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, fmt.Errorf("function regexp_like: expected 2 or 3 arguments, got %d", len(args))
	}
	if s := args[0].typ().Storage(); s != schema.StorageString {
		return nil, fmt.Errorf("function regexp_like: argument 1 must be a string, got %s", args[0].typ())
	}
	k, ok := args[1].(*constNode)
	if !ok || k.t.Storage() != schema.StorageString {
		return nil, fmt.Errorf("function regexp_like: the pattern must be a string constant")
	}
	pat := k.val.Str
	if len(args) == 3 {
		f, ok := args[2].(*constNode)
		if !ok {
			return nil, fmt.Errorf("function regexp_like: the match parameter must be a string constant")
		}
		if strings.Contains(f.val.Str, "i") {
			pat = "(?i)" + pat
		}
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("function regexp_like: invalid pattern %q: %w", k.val.Str, err)
	}
	return &matchNode{x: args[0], m: &matcher{kind: matchRegexp, re: re}, out: vec.New(schema.TypeBoolean)}, nil
}
