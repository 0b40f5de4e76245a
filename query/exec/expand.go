package exec

import (
	"fmt"

	"github.com/tannin-db/tannin/query/vec"
)

// expander feeds accumulators when rows multiply: under a multi-value
// group key each batch row appears once per value (rep maps the expanded
// rows back), and a multi-value aggregate (COUNTMV, …) takes each value of
// its column as a row of its own.
type expander struct {
	vals   vec.Vector
	flat   vec.Vector
	mask   []bool
	groups []uint32
}

// add folds one aggregate's inputs for a batch: rows is the number of
// (possibly expanded) rows groups and valid describe; v and fv (the
// argument and the FILTER condition) are per batch row.
func (e *expander) add(a accumulator, spec *aggSpec, rows int, groups []uint32, valid []bool, rep []int32, v, fv *vec.Vector) error {
	if spec.mv {
		if rep != nil {
			return fmt.Errorf("%s: a multi-value aggregate cannot be grouped by a multi-value column", spec.key)
		}
		return e.addValues(a, groups, valid, v, fv)
	}
	if rep != nil && v != nil {
		v = e.gather(v, rep)
	}
	m := e.combineMask(rows, valid, rep, fv)
	a.add(rows, groups, v, m)
	return nil
}

// gather returns v's rows rep (a row may repeat).
func (e *expander) gather(v *vec.Vector, rep []int32) *vec.Vector {
	g := &e.vals
	g.Reset(v.Type, len(rep))
	for j, r := range rep {
		copyValue(g, j, v, int(r), nil)
	}
	return g
}

// addValues folds every value of a multi-value argument into the group
// of the row holding it.
func (e *expander) addValues(a accumulator, groups []uint32, valid []bool, v, fv *vec.Vector) error {
	if v.Offsets == nil {
		return fmt.Errorf("BUG: multi-value aggregate over a single-value vector")
	}
	n := v.Len()
	total := int(v.Offsets[n])
	flat := &e.flat // aliases v's values: never Reset
	flat.Type, flat.I64, flat.F64, flat.Str, flat.Nulls, flat.Offsets = v.Type, v.I64, v.F64, v.Str, nil, nil
	var gs []uint32
	if groups != nil {
		e.groups = resize(e.groups[:0], total)
		gs = e.groups[:total]
	}
	var m []bool
	if valid != nil || fv != nil {
		e.mask = resize(e.mask[:0], total)
		m = e.mask[:total]
	}
	for row := 0; row < n; row++ {
		keep := (valid == nil || valid[row]) && (fv == nil || truth(fv, row) == 1)
		for j := v.Offsets[row]; j < v.Offsets[row+1]; j++ {
			if gs != nil {
				gs[j] = groups[row]
			}
			if m != nil {
				m[j] = keep
			}
		}
	}
	a.add(total, gs, flat, m)
	return nil
}

// rowMask evaluates an aggregate's FILTER and combines it with valid.
func (e *expander) rowMask(rows int, valid []bool, rep []int32, filter node, b *batch) ([]bool, error) {
	var fv *vec.Vector
	if filter != nil {
		var err error
		if fv, err = filter.eval(b); err != nil {
			return nil, err
		}
	}
	return e.combineMask(rows, valid, rep, fv), nil
}

// combineMask is valid AND the FILTER condition fv, per (possibly
// expanded) row; nil when every row counts.
func (e *expander) combineMask(rows int, valid []bool, rep []int32, fv *vec.Vector) []bool {
	if fv == nil && valid == nil {
		return nil
	}
	e.mask = resize(e.mask[:0], rows)
	m := e.mask[:rows]
	for j := range m {
		row := j
		if rep != nil {
			row = int(rep[j])
		}
		m[j] = (valid == nil || valid[j]) && (fv == nil || truth(fv, row) == 1)
	}
	return m
}
