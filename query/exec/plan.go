package exec

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// DefaultLimit is the row limit of a query that sets none, as in Pinot.
const DefaultLimit = 10

// DefaultNumGroupsLimit bounds the groups one segment creates (Pinot's
// numGroupsLimit); past it new groups are dropped and the result says so.
const DefaultNumGroupsLimit = 100_000

// plan is a query resolved against a table's schema.
type plan struct {
	table *Table
	// pruneConsts are the literals of the WHERE clause converted for
	// min/max pruning (pruneConst).
	pruneMu     sync.Mutex
	pruneConsts []prunedConst
	// items are the output columns.
	items []outItem
	where sql.Expr
	// groupBy holds the grouping keys of an aggregation query; aggregate
	// is set when the query groups or aggregates.
	aggregate bool
	groupBy   []sql.Expr
	// derived marks group keys that are functions of other keys that are
	// plain columns (GROUP BY ClientIP, ClientIP - 1): they do not split
	// groups, so they are computed per group after grouping.
	derived []bool
	// groupKeyTypes caches keyTypes.
	groupKeyTypes []schema.DataType
	aggs          []*aggSpec
	having        sql.Expr
	orderBy       []sql.OrderItem
	distinct      bool
	limit         int64
	offset        int64

	timeout        time.Duration
	numGroupsLimit int
	explain        bool
	options        map[string]string
}

type outItem struct {
	name string
	expr sql.Expr
}

// planQuery resolves a parsed statement against t. Its errors are
// ErrUnknownColumn or ErrPlanning.
func planQuery(t *Table, st *sql.Statement) (*plan, error) {
	p, err := resolvePlan(t, st)
	if err != nil {
		return nil, classify(ErrPlanning, err)
	}
	return p, nil
}

func resolvePlan(t *Table, st *sql.Statement) (*plan, error) {
	s := st.Select
	if s == nil {
		return nil, fmt.Errorf("only SELECT statements are supported")
	}
	if !sameTable(s.From.Name, t.Name) {
		return nil, fmt.Errorf("unknown table %q", s.From.Name)
	}
	p := &plan{table: t, limit: DefaultLimit, offset: s.Offset, numGroupsLimit: DefaultNumGroupsLimit, explain: st.Explain, options: st.Options}
	if s.Limit >= 0 {
		p.limit = s.Limit
	}
	if p.offset < 0 {
		return nil, fmt.Errorf("OFFSET must not be negative")
	}
	if err := p.applyOptions(st.Options); err != nil {
		return nil, err
	}
	r := &resolver{schema: t.Schema, table: t.Name, alias: s.From.Alias, from: s.From.Name}

	// Select list, with * expanded.
	for _, it := range s.Items {
		if star, ok := it.Expr.(*sql.Star); ok {
			if star.Table != "" && !r.qualifierOK(star.Table) {
				return nil, fmt.Errorf("unknown table or alias %q in %s.*", star.Table, star.Table)
			}
			for _, f := range t.Schema.Fields {
				p.items = append(p.items, outItem{name: f.Name, expr: &sql.ColumnRef{Name: f.Name}})
			}
			continue
		}
		e, err := r.resolve(it.Expr, nil)
		if err != nil {
			return nil, err
		}
		name := it.Alias
		if name == "" {
			name = e.String()
		}
		p.items = append(p.items, outItem{name: name, expr: e})
	}
	aliases := map[string]sql.Expr{}
	for i, it := range s.Items {
		if it.Alias != "" {
			aliases[strings.ToLower(it.Alias)] = p.items[i].expr
		}
	}
	if len(s.Items) != len(p.items) {
		aliases = nil // * expanded: ordinals and aliases index p.items below
	}

	var err error
	if s.Where != nil {
		if p.where, err = r.resolve(s.Where, nil); err != nil {
			return nil, err
		}
		if containsAggregate(p.where) {
			return nil, fmt.Errorf("aggregate functions are not allowed in WHERE: %s", s.Where)
		}
	}
	for _, g := range s.GroupBy {
		e, err := p.resolveKey(r, g, aliases, false)
		if err != nil {
			return nil, fmt.Errorf("GROUP BY: %w", err)
		}
		if containsAggregate(e) {
			return nil, fmt.Errorf("aggregate functions are not allowed in GROUP BY: %s", g)
		}
		p.groupBy = append(p.groupBy, e)
	}
	if s.Having != nil {
		if p.having, err = r.resolve(s.Having, aliasFallback(aliases)); err != nil {
			return nil, err
		}
	}
	for _, o := range s.OrderBy {
		e, err := p.resolveKey(r, o.Expr, aliases, true)
		if err != nil {
			return nil, fmt.Errorf("ORDER BY: %w", err)
		}
		p.orderBy = append(p.orderBy, sql.OrderItem{Expr: e, Desc: o.Desc, NullsFirst: o.NullsFirst})
	}

	// Aggregates, de-duplicated by their text.
	seen := map[string]bool{}
	collect := func(e sql.Expr) error {
		return walkAggregates(e, func(f *sql.Func) error {
			k := f.String()
			if seen[k] {
				return nil
			}
			seen[k] = true
			a, err := newAggSpec(f, t.Schema)
			if err != nil {
				return err
			}
			p.aggs = append(p.aggs, a)
			return nil
		})
	}
	for _, it := range p.items {
		if err := collect(it.expr); err != nil {
			return nil, err
		}
	}
	if p.having != nil {
		if err := collect(p.having); err != nil {
			return nil, err
		}
	}
	for _, o := range p.orderBy {
		if err := collect(o.Expr); err != nil {
			return nil, err
		}
	}
	p.aggregate = len(p.aggs) > 0 || len(p.groupBy) > 0
	if s.Distinct {
		if p.aggregate {
			p.distinct = true
		} else {
			// SELECT DISTINCT a, b is GROUP BY a, b.
			p.aggregate = true
			for _, it := range p.items {
				p.groupBy = append(p.groupBy, it.expr)
			}
		}
	}
	if p.having != nil && !p.aggregate {
		return nil, fmt.Errorf("HAVING needs GROUP BY or an aggregate function")
	}
	p.findDerivedKeys()
	return p, p.typeCheck()
}

func (p *plan) applyOptions(opts map[string]string) error {
	for k, v := range opts {
		switch strings.ToLower(k) {
		case "timeoutms":
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms <= 0 {
				return fmt.Errorf("query option timeoutMs: want a positive integer, got %q", v)
			}
			p.timeout = time.Duration(ms) * time.Millisecond
		case "numgroupslimit":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("query option numGroupsLimit: want a positive integer, got %q", v)
			}
			p.numGroupsLimit = n
		}
	}
	return nil
}

// typeCheck compiles every expression once against the schema, so that
// type errors surface before any segment is touched.
func (p *plan) typeCheck() error {
	c := newCompiler(p.table.Schema)
	if p.where != nil {
		// In a filter a multi-value column stands for any of its values.
		wc := newCompiler(p.table.Schema)
		wc.mvAsScalar = true
		if _, err := wc.compile(p.where); err != nil {
			return fmt.Errorf("WHERE: %w", err)
		}
	}
	if !p.aggregate {
		for _, it := range p.items {
			if _, err := c.compileItem(it.expr); err != nil {
				return err
			}
		}
		for _, o := range p.orderBy {
			if _, err := c.compile(o.Expr); err != nil {
				return fmt.Errorf("ORDER BY: %w", err)
			}
		}
		return nil
	}
	// A multi-value group key groups by each of its values.
	gc := newCompiler(p.table.Schema)
	gc.mvAsScalar = true
	for _, g := range p.groupBy {
		if _, err := gc.compile(g); err != nil {
			return fmt.Errorf("GROUP BY: %w", err)
		}
		if _, ok := g.(*sql.ColumnRef); !ok && containsMV(p.table.Schema, g) {
			return fmt.Errorf("GROUP BY: multi-value column in expression %s: group by the column itself", g)
		}
	}
	for _, a := range p.aggs {
		if err := a.check(c); err != nil {
			return err
		}
	}
	pc, _ := p.postAggCompiler()
	for _, it := range p.items {
		if _, err := pc.compile(it.expr); err != nil {
			return err
		}
	}
	if p.having != nil {
		if _, err := pc.compile(p.having); err != nil {
			return fmt.Errorf("HAVING: %w", err)
		}
	}
	for _, o := range p.orderBy {
		if _, err := pc.compile(o.Expr); err != nil {
			return fmt.Errorf("ORDER BY: %w", err)
		}
	}
	return nil
}

// postAggCompiler compiles expressions over aggregated rows: group keys
// occupy the first slots, aggregate results the rest.
func (p *plan) postAggCompiler() (*compiler, []schema.DataType) {
	c := newCompiler(p.table.Schema)
	c.postAgg = true
	c.slotOf = map[string]int{}
	kc := newCompiler(p.table.Schema)
	kc.mvAsScalar = true
	for i, g := range p.groupBy {
		c.slotOf[g.String()] = i
		n, err := kc.compile(g)
		t := schema.TypeString
		if err == nil {
			t = n.typ()
		}
		c.slotTypes = append(c.slotTypes, t)
	}
	for i, a := range p.aggs {
		c.slotOf[a.key] = len(p.groupBy) + i
		c.slotTypes = append(c.slotTypes, a.resultType())
	}
	return c, c.slotTypes
}

func sameTable(written, name string) bool {
	w := written
	for _, suf := range []string{"_OFFLINE", "_REALTIME"} {
		if len(w) > len(suf) && strings.EqualFold(w[len(w)-len(suf):], suf) {
			w = w[:len(w)-len(suf)]
		}
	}
	return strings.EqualFold(w, name)
}

// resolveKey resolves a GROUP BY or ORDER BY key: an ordinal names a
// select item; a bare name may name a select alias.
func (p *plan) resolveKey(r *resolver, e sql.Expr, aliases map[string]sql.Expr, aliasFirst bool) (sql.Expr, error) {
	if l, ok := e.(*sql.Literal); ok && l.Kind == sql.LitInt {
		if l.Int < 1 || int(l.Int) > len(p.items) {
			return nil, fmt.Errorf("position %d is not in the select list (1..%d)", l.Int, len(p.items))
		}
		return p.items[l.Int-1].expr, nil
	}
	if ref, ok := e.(*sql.ColumnRef); ok && ref.Table == "" && aliases != nil {
		if a, ok := aliases[strings.ToLower(ref.Name)]; ok && (aliasFirst || r.schema.Field(ref.Name) == nil) {
			return a, nil
		}
	}
	return r.resolve(e, aliasFallback(aliases))
}

func aliasFallback(aliases map[string]sql.Expr) func(string) sql.Expr {
	if aliases == nil {
		return nil
	}
	return func(name string) sql.Expr { return aliases[strings.ToLower(name)] }
}

// resolver canonicalises column references: qualifiers checked and
// dropped, names spelled as the schema spells them.
type resolver struct {
	schema *schema.Schema
	table  string
	from   string
	alias  string
}

func (r *resolver) qualifierOK(q string) bool {
	if r.alias != "" {
		return strings.EqualFold(q, r.alias) || strings.EqualFold(q, r.from)
	}
	return sameTable(q, r.table) || strings.EqualFold(q, r.from)
}

// resolve returns a copy of e with canonical column names. fallback, when
// set, resolves names that are not columns (select aliases in HAVING).
func (r *resolver) resolve(e sql.Expr, fallback func(string) sql.Expr) (sql.Expr, error) {
	var err error
	var rec func(sql.Expr) sql.Expr
	rec = func(e sql.Expr) sql.Expr {
		if err != nil || e == nil {
			return e
		}
		switch e := e.(type) {
		case *sql.ColumnRef:
			if e.Table != "" && !r.qualifierOK(e.Table) {
				err = fmt.Errorf("unknown table or alias %q in %s.%s", e.Table, e.Table, e.Name)
				return e
			}
			f := r.schema.Field(e.Name)
			if f == nil {
				if fallback != nil && e.Table == "" {
					if a := fallback(e.Name); a != nil {
						return a
					}
				}
				err = &classError{class: ErrUnknownColumn, err: fmt.Errorf("unknown column %q in table %q", e.Name, r.table)}
				return e
			}
			return &sql.ColumnRef{Name: f.Name}
		case *sql.Literal, *sql.Star:
			return e
		case *sql.Unary:
			return &sql.Unary{Op: e.Op, X: rec(e.X)}
		case *sql.Binary:
			return &sql.Binary{Op: e.Op, L: rec(e.L), R: rec(e.R)}
		case *sql.Func:
			f := &sql.Func{Name: e.Name, Star: e.Star, Distinct: e.Distinct}
			for _, a := range e.Args {
				f.Args = append(f.Args, rec(a))
			}
			if e.Filter != nil {
				f.Filter = rec(e.Filter)
			}
			return f
		case *sql.Case:
			c := &sql.Case{}
			if e.Operand != nil {
				c.Operand = rec(e.Operand)
			}
			for _, w := range e.Whens {
				c.Whens = append(c.Whens, sql.When{Cond: rec(w.Cond), Result: rec(w.Result)})
			}
			if e.Else != nil {
				c.Else = rec(e.Else)
			}
			return c
		case *sql.Cast:
			return &sql.Cast{X: rec(e.X), Type: e.Type}
		case *sql.In:
			in := &sql.In{X: rec(e.X), Not: e.Not}
			for _, x := range e.List {
				in.List = append(in.List, rec(x))
			}
			return in
		case *sql.Between:
			return &sql.Between{X: rec(e.X), Lo: rec(e.Lo), Hi: rec(e.Hi), Not: e.Not}
		case *sql.Like:
			return &sql.Like{X: rec(e.X), Pattern: rec(e.Pattern), Not: e.Not, CaseInsensitive: e.CaseInsensitive}
		case *sql.IsNull:
			return &sql.IsNull{X: rec(e.X), Not: e.Not}
		}
		err = fmt.Errorf("unsupported expression %s", e)
		return e
	}
	out := rec(e)
	return out, err
}

// walkAggregates calls f for each outermost aggregate call in e and
// rejects nested aggregates.
func walkAggregates(e sql.Expr, f func(*sql.Func) error) error {
	var err error
	sql.Walk(e, func(x sql.Expr) bool {
		if err != nil {
			return false
		}
		if fc, ok := x.(*sql.Func); ok && isAggregate(fc.Name) {
			for _, a := range fc.Args {
				if containsAggregate(a) {
					err = fmt.Errorf("aggregate function calls cannot be nested: %s", fc)
					return false
				}
			}
			err = f(fc)
			return false
		}
		return true
	})
	return err
}

func containsAggregate(e sql.Expr) bool {
	found := false
	sql.Walk(e, func(x sql.Expr) bool {
		if fc, ok := x.(*sql.Func); ok && isAggregate(fc.Name) {
			found = true
		}
		return !found
	})
	return found
}

// containsMV reports whether e reads a multi-value column.
func containsMV(s *schema.Schema, e sql.Expr) bool {
	found := false
	sql.Walk(e, func(x sql.Expr) bool {
		if r, ok := x.(*sql.ColumnRef); ok {
			if f := s.Field(r.Name); f != nil && !f.SingleValue {
				found = true
			}
		}
		return !found
	})
	return found
}

// findDerivedKeys marks the group keys that depend only on columns that
// are themselves group keys.
func (p *plan) findDerivedKeys() {
	p.derived = make([]bool, len(p.groupBy))
	plain := map[string]bool{}
	for _, g := range p.groupBy {
		if r, ok := g.(*sql.ColumnRef); ok {
			if f := p.table.Schema.Field(r.Name); f != nil && f.SingleValue {
				plain[r.Name] = true
			}
		}
	}
	for i, g := range p.groupBy {
		if _, ok := g.(*sql.ColumnRef); ok {
			continue
		}
		cols, onlyPlain := 0, true
		sql.Walk(g, func(x sql.Expr) bool {
			if r, ok := x.(*sql.ColumnRef); ok {
				cols++
				onlyPlain = onlyPlain && plain[r.Name]
			}
			return true
		})
		p.derived[i] = cols > 0 && onlyPlain
	}
}

// deriveKeys fills the slots of derived keys by evaluating them over the
// slots of the plain column keys.
func (p *plan) deriveKeys(slots []*vec.Vector, n int) error {
	var c *compiler
	for i, g := range p.groupBy {
		if !p.derived[i] {
			continue
		}
		if c == nil {
			c = newCompiler(p.table.Schema)
			c.postAgg = true
			c.slotOf = map[string]int{}
			c.slotTypes = make([]schema.DataType, len(slots))
			for j, k := range p.groupBy {
				if !p.derived[j] {
					c.slotOf[k.String()] = j
					c.slotTypes[j] = slots[j].Type
				}
			}
		}
		nd, err := c.compile(g)
		if err != nil {
			return fmt.Errorf("GROUP BY %s: %w", g, err)
		}
		v, err := nd.eval(&batch{n: n, slots: slots})
		if err != nil {
			return err
		}
		slots[i] = cloneVector(v)
	}
	return nil
}
