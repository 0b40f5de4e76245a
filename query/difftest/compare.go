package difftest

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rows is a result in the harness's normalized form. Values are nil
// (NULL), int64, float64, bool, string, Blob or []any (arrays).
type Rows struct {
	Columns []string
	Rows    [][]any
}

// Blob is a BYTES value, kept apart from strings.
type Blob string

// normalize maps a driver or engine value to the harness's value family.
// Timestamps become epoch milliseconds (Tannin's TIMESTAMP form).
func normalize(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case int64, float64, bool, string, Blob:
		return v
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v)
		}
		return float64(v)
	case float32:
		return float64(v)
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		return f
	case time.Time:
		return v.UnixMilli()
	case []byte:
		return Blob(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	case []int64:
		return sliceAny(v)
	case []float64:
		return sliceAny(v)
	case []string:
		return sliceAny(v)
	case []int32:
		return sliceAny(v)
	case interface{ Float64() float64 }: // DuckDB decimals
		return v.Float64()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprintf("%v", v)
}

func sliceAny[T any](s []T) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = normalize(e)
	}
	return out
}

// tolerance is how closely two values of one column must agree.
type tolerance struct {
	rel, abs float64
	// loose is set when the query gave a tolerance: integers then compare
	// with it too (a sketch's distinct count, for one).
	loose bool
}

const defaultRelTol = 1e-9

func (o *Options) tolerance(col int) tolerance {
	t := tolerance{rel: defaultRelTol, abs: o.AbsTol}
	if o.RelTol > 0 {
		t.rel, t.loose = o.RelTol, true
	}
	if c, ok := o.ColTol[col]; ok {
		t.rel, t.loose = c, true
	}
	if o.AbsTol > 0 {
		t.loose = true
	}
	return t
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// valuesEqual compares two normalized values: NULL equals NULL; numbers
// compare numerically across int64, float64 and bool (0/1).
func valuesEqual(a, b any, t tolerance) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case Blob:
		b, ok := b.(Blob)
		return ok && a == b
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !valuesEqual(a[i], b[i], t) {
				return false
			}
		}
		return true
	case bool:
		if b, ok := b.(bool); ok {
			return a == b
		}
	case int64:
		if b, ok := b.(int64); ok && !t.loose {
			return a == b
		}
	}
	fa, ok1 := asFloat(a)
	fb, ok2 := asFloat(b)
	if !ok1 || !ok2 {
		return false
	}
	if math.IsNaN(fa) || math.IsNaN(fb) {
		return math.IsNaN(fa) && math.IsNaN(fb)
	}
	if fa == fb {
		return true
	}
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return false
	}
	d := math.Abs(fa - fb)
	return d <= t.abs || d <= t.rel*math.Max(math.Abs(fa), math.Abs(fb))
}

// kindRank orders values of different families for sorting.
func kindRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool, int64, float64:
		return 1
	case string:
		return 2
	case Blob:
		return 3
	}
	return 4
}

// compareValues is a total order on normalized values (for sorting rows
// before a multiset comparison); numbers of any family compare by value.
func compareValues(a, b any) int {
	ra, rb := kindRank(a), kindRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch a := a.(type) {
	case nil:
		return 0
	case string:
		return strings.Compare(a, b.(string))
	case Blob:
		return strings.Compare(string(a), string(b.(Blob)))
	case []any:
		bb := b.([]any)
		for i := 0; i < len(a) && i < len(bb); i++ {
			if c := compareValues(a[i], bb[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(a), len(bb))
	}
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			return cmp.Compare(ia, ib)
		}
	}
	fa, _ := asFloat(a)
	fb, _ := asFloat(b)
	return cmp.Compare(fa, fb)
}

// Expect describes how a result must relate to the reference.
type Expect struct {
	Opts Options
	// Ordered compares rows in order, with ties on Keys unordered.
	Ordered bool
	// Keys are the result columns of the ORDER BY keys, in key order.
	Keys []int
	// HeadCut and TailCut mark that rows tied with the first (OFFSET) or
	// last (LIMIT) row may legitimately be other rows of the same keys: in
	// those tie groups only the key columns are compared.
	HeadCut, TailCut bool
}

// Compare checks got against the reference want. It returns nil when they
// agree, else an error describing the first disagreement.
func Compare(got, want *Rows, e Expect) error {
	if len(got.Columns) != len(want.Columns) {
		return fmt.Errorf("column count: got %d %q, want %d %q", len(got.Columns), got.Columns, len(want.Columns), want.Columns)
	}
	if len(got.Rows) != len(want.Rows) {
		return fmt.Errorf("row count: got %d, want %d", len(got.Rows), len(want.Rows))
	}
	for i, r := range got.Rows {
		if len(r) != len(got.Columns) {
			return fmt.Errorf("row %d of the result has %d values for %d columns", i, len(r), len(got.Columns))
		}
	}
	if e.Opts.CountOnly {
		return nil
	}
	for _, k := range e.Keys {
		if k < 0 || k >= len(want.Columns) {
			return fmt.Errorf("ORDER BY key column %d is not among the %d result columns", k+1, len(want.Columns))
		}
	}
	tols := make([]tolerance, len(want.Columns))
	for c := range tols {
		tols[c] = e.Opts.tolerance(c)
	}
	if !e.Ordered || e.Opts.Unordered {
		return compareMultiset(got.Rows, want.Rows, tols, nil)
	}
	keysEqual := func(a, b []any) bool {
		for _, k := range e.Keys {
			if !valuesEqual(a[k], b[k], tols[k]) {
				return false
			}
		}
		return true
	}
	// Walk the reference's tie groups: maximal runs of equal keys.
	n := len(want.Rows)
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && keysEqual(want.Rows[hi], want.Rows[lo]) {
			hi++
		}
		for i := lo; i < hi; i++ {
			if !keysEqual(got.Rows[i], want.Rows[lo]) {
				return fmt.Errorf("row %d: ORDER BY keys %s, want %s", i, fmtKeys(got.Rows[i], e.Keys), fmtKeys(want.Rows[i], e.Keys))
			}
		}
		var only []int
		if (e.HeadCut && lo == 0) || (e.TailCut && hi == n) {
			only = e.Keys
		}
		if err := compareMultiset(got.Rows[lo:hi], want.Rows[lo:hi], tols, only); err != nil {
			if hi-lo == 1 {
				return fmt.Errorf("row %d: %w", lo, err)
			}
			return fmt.Errorf("rows %d..%d (tied on the ORDER BY keys): %w", lo, hi-1, err)
		}
		lo = hi
	}
	return nil
}

func fmtKeys(r []any, keys []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fmtValue(r[k]))
	}
	b.WriteByte(')')
	return b.String()
}

// compareMultiset compares two row sets regardless of order. When only is
// non-nil, just those columns are compared.
func compareMultiset(got, want [][]any, tols []tolerance, only []int) error {
	cols := only
	if cols == nil {
		cols = make([]int, len(tols))
		for i := range cols {
			cols[i] = i
		}
	}
	// Sort by exact-valued columns first and floating ones last, so that
	// float noise within tolerance does not misalign rows.
	floaty := func(c int) bool {
		for _, rs := range [][][]any{got, want} {
			for _, r := range rs {
				if _, ok := r[c].(float64); ok {
					return true
				}
			}
		}
		return tols[c].loose
	}
	var order []int
	for _, c := range cols {
		if !floaty(c) {
			order = append(order, c)
		}
	}
	for _, c := range cols {
		if floaty(c) {
			order = append(order, c)
		}
	}
	sortRows := func(rs [][]any) [][]any {
		s := slices.Clone(rs)
		slices.SortStableFunc(s, func(a, b []any) int {
			for _, c := range order {
				if d := compareValues(a[c], b[c]); d != 0 {
					return d
				}
			}
			return 0
		})
		return s
	}
	g, w := sortRows(got), sortRows(want)
	rowEqual := func(a, b []any) bool {
		for _, c := range cols {
			if !valuesEqual(a[c], b[c], tols[c]) {
				return false
			}
		}
		return true
	}
	aligned := true
	for i := range g {
		if !rowEqual(g[i], w[i]) {
			aligned = false
			break
		}
	}
	if aligned {
		return nil
	}
	// Sorting may misalign rows whose floats differ within tolerance;
	// match greedily before calling it a mismatch.
	if len(w) > 5000 { // the greedy match is quadratic
		return firstDiff(g, w, cols, tols)
	}
	used := make([]bool, len(g))
	var missing [][]any
	for _, wr := range w {
		found := false
		for j, gr := range g {
			if !used[j] && rowEqual(gr, wr) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, wr)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var extra [][]any
	for j, gr := range g {
		if !used[j] {
			extra = append(extra, gr)
		}
	}
	return fmt.Errorf("%d reference rows have no match, e.g. %s; unmatched result rows e.g. %s",
		len(missing), fmtRow(missing[0]), fmtRow(extra[0]))
}

func firstDiff(g, w [][]any, cols []int, tols []tolerance) error {
	for i := range g {
		for _, c := range cols {
			if !valuesEqual(g[i][c], w[i][c], tols[c]) {
				return fmt.Errorf("sorted row %d column %d: got %s, want %s", i, c+1, fmtValue(g[i][c]), fmtValue(w[i][c]))
			}
		}
	}
	return nil
}

func fmtValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(v)
	case Blob:
		return fmt.Sprintf("x'%x'", string(v))
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = fmtValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func fmtRow(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = fmtValue(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// FormatRows renders the column names and the first max rows of r.
func FormatRows(r *Rows, max int) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "    columns %q, %d rows\n", r.Columns, len(r.Rows))
	for i, row := range r.Rows {
		if i == max {
			fmt.Fprintf(&b, "    ... %d more\n", len(r.Rows)-max)
			break
		}
		fmt.Fprintf(&b, "    %s\n", fmtRow(row))
	}
	return b.String()
}
