package decode

import (
	"fmt"
	"strings"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// Transformer applies a table's ingestion transforms (Pinot's
// ingestionConfig.transformConfigs) and filter (filterConfig) to a Batch,
// a batch at a time, with the query engine's scalar functions.
//
// As in Pinot's ExpressionTransformer, a transform fills its column only
// for rows where the input did not already give a value, and transforms
// that read other transforms' columns run after them. The filter runs
// after the transforms; rows for which it is true are dropped. A row whose
// transform fails, or whose result does not convert to the column's type,
// is failed (Batch.Failures) and not written.
type Transformer struct {
	schema     *schema.Schema
	transforms []*transformExpr
	filter     *transformExpr
	inputs     []string
}

type transformExpr struct {
	text string
	dest string // "" for the filter
	refs []string
	// Compiled forms by the types of the columns read: JSON input fields
	// are typed by the values each batch holds.
	cache map[string]*compiledExpr
}

type compiledExpr struct {
	s    *exec.Scalar
	cols []int
	// parse is LONG or DOUBLE for a text input read as numbers, else
	// TypeInvalid.
	parse []schema.DataType
	args  []*vec.Vector
}

// NewTransformer checks and prepares the transforms and filter of a table
// for schema s. It returns nil when there is nothing to apply.
func NewTransformer(s *schema.Schema, ing *tableconfig.IngestionConfig) (*Transformer, error) {
	if ing == nil || len(ing.Transforms) == 0 && strings.TrimSpace(ing.FilterFunction) == "" {
		return nil, nil
	}
	t := &Transformer{schema: s}
	byDest := map[string]*transformExpr{}
	var order []*transformExpr
	for i, tc := range ing.Transforms {
		f := s.Field(tc.ColumnName)
		if f == nil {
			return nil, fmt.Errorf("transformConfigs[%d]: column %q is not in schema %q", i, tc.ColumnName, s.Name)
		}
		if !f.SingleValue {
			return nil, fmt.Errorf("transformConfigs[%d]: column %q: transforms into multi-value columns are not supported", i, f.Name)
		}
		if byDest[f.Name] != nil {
			return nil, fmt.Errorf("transformConfigs[%d]: column %q has more than one transform", i, f.Name)
		}
		e, err := t.parse(tc.TransformFunction)
		if err != nil {
			return nil, fmt.Errorf("transformConfigs[%d] (column %q): %w", i, f.Name, err)
		}
		e.dest = f.Name
		byDest[f.Name] = e
		order = append(order, e)
	}
	if err := t.sort(order, byDest); err != nil {
		return nil, err
	}
	if fs := strings.TrimSpace(ing.FilterFunction); fs != "" {
		e, err := t.parse(fs)
		if err != nil {
			return nil, fmt.Errorf("filterConfig.filterFunction: %w", err)
		}
		t.filter = e
	}
	return t, nil
}

// Inputs lists the fields the expressions read that are not schema
// columns; add them to a Batch (Batch.AddInput) before decoding.
func (t *Transformer) Inputs() []string {
	if t == nil {
		return nil
	}
	return t.inputs
}

func (t *Transformer) parse(text string) (*transformExpr, error) {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "groovy(") {
		return nil, fmt.Errorf("expression %q: Groovy functions are not supported (use the built-in scalar functions)", text)
	}
	ast, err := sql.ParseExpr(text)
	if err != nil {
		return nil, fmt.Errorf("parse expression %q: %w", text, err)
	}
	e := &transformExpr{text: text, cache: map[string]*compiledExpr{}}
	seen := map[string]bool{}
	var bad error
	walkRefs(ast, func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		if f := t.schema.Field(name); f != nil {
			if !f.SingleValue && bad == nil {
				bad = fmt.Errorf("expression %q reads multi-value column %q, which transforms do not support", text, f.Name)
			}
			e.refs = append(e.refs, f.Name)
			return
		}
		e.refs = append(e.refs, name)
		for _, in := range t.inputs {
			if in == name {
				return
			}
		}
		t.inputs = append(t.inputs, name)
	})
	if bad != nil {
		return nil, bad
	}
	return e, nil
}

// sort orders transforms so that each runs after those whose columns it
// reads (Pinot sorts them topologically too), rejecting cycles.
func (t *Transformer) sort(order []*transformExpr, byDest map[string]*transformExpr) error {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[*transformExpr]int{}
	var visit func(e *transformExpr, path []string) error
	visit = func(e *transformExpr, path []string) error {
		switch state[e] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("transformConfigs: cycle among transforms: %s", strings.Join(append(path, e.dest), " -> "))
		}
		state[e] = visiting
		for _, r := range e.refs {
			if dep := byDest[r]; dep != nil && dep != e {
				if err := visit(dep, append(path, e.dest)); err != nil {
					return err
				}
			}
		}
		state[e] = done
		t.transforms = append(t.transforms, e)
		return nil
	}
	for _, e := range order {
		if err := visit(e, nil); err != nil {
			return err
		}
	}
	return nil
}

// walkRefs calls fn with the name of every column e references.
func walkRefs(e sql.Expr, fn func(string)) {
	sql.Walk(e, func(x sql.Expr) bool {
		if r, ok := x.(*sql.ColumnRef); ok {
			fn(r.Name)
		}
		return true
	})
}

// Check compiles every expression against b's columns as typed now, so
// that a configuration error (an unknown function, a filter that is not
// boolean) shows before any data is read. An expression reading input
// fields typed per value (JSON) passes when it compiles for any one type
// of theirs: STRING, LONG, DOUBLE or BOOLEAN.
func (t *Transformer) Check(b *Batch) error {
	if t == nil {
		return nil
	}
	for _, e := range t.all() {
		var s *exec.Scalar
		var err error
		if t.readsDynamic(e, b) {
			s, err = t.compileAnyType(e, b)
		} else {
			var c *compiledExpr
			if c, err = t.compile(e, b); err == nil {
				s = c.s
			}
		}
		if err != nil {
			return err
		}
		if e.dest == "" && s.Type.Storage() != schema.StorageInt64 {
			return fmt.Errorf("filterConfig.filterFunction %q: result is %v, want BOOLEAN", e.text, s.Type)
		}
	}
	return nil
}

func (t *Transformer) readsDynamic(e *transformExpr, b *Batch) bool {
	for _, r := range e.refs {
		if col := b.Col(r); col >= 0 && b.cols[col].dynamic {
			return true
		}
	}
	return false
}

// compileAnyType compiles e with its dynamically typed inputs taken as
// each type a JSON value may have, returning the first that compiles.
func (t *Transformer) compileAnyType(e *transformExpr, b *Batch) (*exec.Scalar, error) {
	cols := make([]int, len(e.refs))
	types := make([]schema.DataType, len(e.refs))
	for i, r := range e.refs {
		cols[i] = b.Col(r)
		types[i] = b.VectorType(cols[i])
	}
	var first error
	for _, alt := range []schema.DataType{schema.TypeString, schema.TypeLong, schema.TypeDouble, schema.TypeBoolean} {
		for i, col := range cols {
			if b.cols[col].dynamic {
				types[i] = alt
			}
		}
		s, err := t.compileTyped(e, b, cols, types)
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = err
		}
	}
	what := "filterConfig.filterFunction"
	if e.dest != "" {
		what = fmt.Sprintf("transform of column %q", e.dest)
	}
	return nil, fmt.Errorf("%s: %w", what, first)
}

func (t *Transformer) all() []*transformExpr {
	all := t.transforms
	if t.filter != nil {
		all = append(all[:len(all):len(all)], t.filter)
	}
	return all
}

func (t *Transformer) compile(e *transformExpr, b *Batch) (*compiledExpr, error) {
	var key strings.Builder
	cols := make([]int, len(e.refs))
	types := make([]schema.DataType, len(e.refs))
	// Text input fields (CSV) that the expression may want as numbers:
	// LONG when every value of the batch is an integer, else DOUBLE.
	numeric := make([]schema.DataType, len(e.refs))
	text := false
	for i, r := range e.refs {
		col := b.Col(r)
		if col < 0 {
			col = b.AddInput(r, schema.TypeString)
		}
		cols[i] = col
		types[i] = b.VectorType(col)
		key.WriteByte(byte(types[i]))
		if b.isTextInput(col) {
			text = true
			numeric[i] = b.textNumberType(col)
			key.WriteByte(byte(numeric[i]))
		}
	}
	if c := e.cache[key.String()]; c != nil {
		return c, nil
	}
	s, err := t.compileTyped(e, b, cols, types)
	var parse []schema.DataType
	if err != nil && text {
		// CSV fields are text: where the expression wants numbers, read
		// them as numbers, as Pinot converts function arguments.
		alts := [][]schema.DataType{numeric}
		for _, alt := range []schema.DataType{schema.TypeLong, schema.TypeDouble} {
			all := make([]schema.DataType, len(numeric))
			for i, n := range numeric {
				if n != schema.TypeInvalid {
					all[i] = alt
				}
			}
			alts = append(alts, all)
		}
		for _, alt := range alts {
			retyped := append([]schema.DataType(nil), types...)
			for i, n := range alt {
				if n != schema.TypeInvalid {
					retyped[i] = n
				}
			}
			if s2, err2 := t.compileTyped(e, b, cols, retyped); err2 == nil {
				s, err, parse = s2, nil, alt
				break
			}
		}
	}
	if err != nil {
		what := "filterConfig.filterFunction"
		if e.dest != "" {
			what = fmt.Sprintf("transform of column %q", e.dest)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c := &compiledExpr{s: s, args: make([]*vec.Vector, len(s.Inputs))}
	for _, name := range s.Inputs {
		idx := -1
		for i, r := range e.refs {
			if r == name {
				idx = i
				break
			}
		}
		if idx < 0 {
			for i, r := range e.refs {
				if strings.EqualFold(r, name) {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("BUG: expression %q reads %q, which was not found among its references", e.text, name)
		}
		c.cols = append(c.cols, cols[idx])
		if parse != nil {
			c.parse = append(c.parse, parse[idx])
		} else {
			c.parse = append(c.parse, schema.TypeInvalid)
		}
	}
	e.cache[key.String()] = c
	return c, nil
}

func (t *Transformer) compileTyped(e *transformExpr, b *Batch, cols []int, types []schema.DataType) (*exec.Scalar, error) {
	in := &schema.Schema{Name: t.schema.Name}
	for i, r := range e.refs {
		spec := *b.cols[cols[i]].Spec
		spec.DataType = types[i]
		spec.SingleValue = true
		spec.Name = r
		in.Fields = append(in.Fields, spec)
	}
	return exec.CompileScalar(in, e.text)
}

// Apply runs the transforms and the filter over the rows of b. Problems
// fail rows in b (Batch.Failures): an expression that fails for a row, a
// result that does not convert to its column's type, or an expression that
// does not compile for the types this batch's input fields hold (every
// kept row is failed then).
func (t *Transformer) Apply(b *Batch) {
	if t == nil || b.Len() == 0 {
		return
	}
	for _, e := range t.transforms {
		dest := b.Col(e.dest)
		if !b.HasNulls(dest) {
			continue // every row has a value: nothing to derive
		}
		out, c := t.eval(e, b)
		if c == nil {
			continue // failed to compile: the rows are failed
		}
		if out == nil { // per-row evaluation
			for i := 0; i < b.Len(); i++ {
				if !b.Kept(i) || !b.IsNull(dest, i) {
					continue
				}
				v, err := c.evalRow(i)
				if err != nil {
					b.Fail(i, &Error{Reason: ReasonTransform, Column: e.dest, Err: fmt.Errorf("transform %q: %w", e.text, err)})
					continue
				}
				if ae := b.AssignRow(dest, i, v, 0); ae != nil {
					b.Fail(i, ae)
				}
			}
			continue
		}
		b.Assign(dest, out)
	}
	if t.filter == nil {
		return
	}
	out, c := t.eval(t.filter, b)
	if c == nil {
		return
	}
	if out != nil {
		for i := 0; i < b.Len(); i++ {
			if !out.IsNull(i) && out.I64[i] != 0 {
				b.Drop(i)
			}
		}
		return
	}
	for i := 0; i < b.Len(); i++ {
		if !b.Kept(i) {
			continue
		}
		v, err := c.evalRow(i)
		if err != nil {
			b.Fail(i, &Error{Reason: ReasonTransform, Err: fmt.Errorf("filter %q: %w", t.filter.text, err)})
			continue
		}
		if !v.IsNull(0) && v.I64[0] != 0 {
			b.Drop(i)
		}
	}
}

// eval evaluates e over the whole batch. It returns a nil expression when
// e does not compile for this batch (the rows are failed), and a nil
// vector when the batch evaluation fails: the caller then evaluates row by
// row to find the rows at fault.
func (t *Transformer) eval(e *transformExpr, b *Batch) (*vec.Vector, *compiledExpr) {
	c, err := t.compile(e, b)
	if err == nil && e.dest == "" && c.s.Type.Storage() != schema.StorageInt64 {
		err = fmt.Errorf("filterConfig.filterFunction %q: result is %v, want BOOLEAN", e.text, c.s.Type)
	}
	if err != nil {
		for i := 0; i < b.Len(); i++ {
			b.Fail(i, &Error{Reason: ReasonTransform, Column: e.dest, Err: err})
		}
		return nil, nil
	}
	for i, col := range c.cols {
		if c.parse[i] != schema.TypeInvalid {
			c.args[i] = b.parsedVector(col, c.parse[i])
		} else {
			c.args[i] = b.Vector(col)
		}
	}
	out, err := c.s.Eval(c.args, b.Len())
	if err != nil {
		return nil, c
	}
	return out, c
}

// evalRow evaluates c for row i alone, from the argument vectors of the
// last batch evaluation.
func (c *compiledExpr) evalRow(i int) (*vec.Vector, error) {
	args := make([]*vec.Vector, len(c.args))
	for k, v := range c.args {
		one := &vec.Vector{Type: v.Type}
		switch v.Type.Storage() {
		case schema.StorageInt64:
			one.I64 = v.I64[i : i+1]
		case schema.StorageFloat64:
			one.F64 = v.F64[i : i+1]
		default:
			one.Str = v.Str[i : i+1]
		}
		if v.Nulls != nil {
			one.Nulls = v.Nulls[i : i+1]
		}
		args[k] = one
	}
	return c.s.Eval(args, 1)
}
