package exec

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/axiomhq/hyperloglog"
	"github.com/influxdata/tdigest"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

type aggKind uint8

const (
	aggCount aggKind = iota
	aggSum
	aggMin
	aggMax
	aggAvg
	aggDistinctCount
	aggDistinctCountHLL
	aggPercentile
	aggPercentileTDigest
)

var aggNames = map[string]aggKind{
	"count":             aggCount,
	"sum":               aggSum,
	"min":               aggMin,
	"max":               aggMax,
	"avg":               aggAvg,
	"distinctcount":     aggDistinctCount,
	"distinctcounthll":  aggDistinctCountHLL,
	"percentile":        aggPercentile,
	"percentileest":     aggPercentileTDigest,
	"percentiletdigest": aggPercentileTDigest,
}

// isAggregate reports whether name is an aggregate function, including
// Pinot's legacy percentileNN forms (percentile90, percentileest50, …).
func isAggregate(name string) bool {
	_, _, ok := lookupAggregate(name)
	return ok
}

func lookupAggregate(name string) (aggKind, float64, bool) {
	k, p, _, ok := lookupAggregateMV(name)
	return k, p, ok
}

// lookupAggregateMV also recognises Pinot's multi-value forms (COUNTMV,
// SUMMV, DISTINCTCOUNTMV, PERCENTILE90MV, …), which aggregate every value
// of a multi-value column.
func lookupAggregateMV(name string) (aggKind, float64, bool, bool) {
	n := strings.ToLower(name)
	if base, ok := strings.CutSuffix(n, "mv"); ok {
		if k, p, ok := lookupAggregateSV(base); ok {
			return k, p, true, true
		}
	}
	k, p, ok := lookupAggregateSV(n)
	return k, p, false, ok
}

func lookupAggregateSV(n string) (aggKind, float64, bool) {
	if k, ok := aggNames[n]; ok {
		return k, -1, true
	}
	for _, prefix := range []string{"percentiletdigest", "percentileest", "percentile"} {
		if rest, ok := strings.CutPrefix(n, prefix); ok && rest != "" {
			p, err := strconv.ParseFloat(rest, 64)
			if err == nil {
				return aggNames[prefix], p, true
			}
		}
	}
	return 0, 0, false
}

// aggSpec is one aggregate call of a query.
type aggSpec struct {
	key      string // its SQL text: aggregates are de-duplicated by it
	name     string
	kind     aggKind
	arg      sql.Expr // nil for COUNT(*)
	filter   sql.Expr
	pct      float64
	distinct bool
	argType  schema.DataType
	// mv: the argument is a multi-value column whose every value counts.
	mv bool
}

func newAggSpec(f *sql.Func, s *schema.Schema) (*aggSpec, error) {
	kind, pct, mv, _ := lookupAggregateMV(f.Name)
	a := &aggSpec{key: f.String(), name: f.Name, kind: kind, pct: pct, filter: f.Filter, mv: mv}
	nargs := len(f.Args)
	switch {
	case kind == aggCount && f.Star:
		if f.Distinct {
			return nil, fmt.Errorf("COUNT(DISTINCT *) is not supported")
		}
	case kind == aggCount && nargs == 1:
		a.arg = f.Args[0]
		if f.Distinct {
			a.kind = aggDistinctCount
			a.distinct = true
		} else if l, ok := a.arg.(*sql.Literal); ok && l.Kind != sql.LitNull {
			a.arg = nil // COUNT(1) counts rows
		}
	case kind == aggPercentile || kind == aggPercentileTDigest:
		if pct >= 0 {
			if nargs != 1 {
				return nil, fmt.Errorf("function %s: expected 1 argument, got %d", f.Name, nargs)
			}
		} else {
			if nargs != 2 && !(kind == aggPercentileTDigest && nargs == 3) {
				return nil, fmt.Errorf("function %s: expected 2 arguments (column, percentile), got %d", f.Name, nargs)
			}
			l, ok := f.Args[1].(*sql.Literal)
			if !ok || (l.Kind != sql.LitInt && l.Kind != sql.LitFloat) {
				return nil, fmt.Errorf("function %s: the percentile must be a number constant", f.Name)
			}
			a.pct = l.Float
			if l.Kind == sql.LitInt {
				a.pct = float64(l.Int)
			}
		}
		if a.pct < 0 || a.pct > 100 {
			return nil, fmt.Errorf("function %s: percentile %v is outside 0..100", f.Name, a.pct)
		}
		a.arg = f.Args[0]
	default:
		if nargs != 1 || f.Star {
			return nil, fmt.Errorf("function %s: expected 1 argument, got %d", f.Name, nargs)
		}
		a.arg = f.Args[0]
		if f.Distinct {
			switch kind {
			case aggDistinctCount, aggDistinctCountHLL, aggMin, aggMax:
			default:
				return nil, fmt.Errorf("function %s: DISTINCT is only supported with COUNT", f.Name)
			}
		}
	}
	return a, nil
}

// check type-checks the argument and filter, recording the argument type.
func (a *aggSpec) check(c *compiler) error {
	if a.arg != nil {
		n, err := a.compileArg(c)
		if err != nil {
			return err
		}
		a.argType = n.typ()
		numeric := a.argType.Storage() == schema.StorageInt64 || a.argType.Storage() == schema.StorageFloat64 || a.argType == schema.TypeBigDecimal
		switch a.kind {
		case aggSum, aggAvg, aggPercentile, aggPercentileTDigest:
			if !numeric {
				return fmt.Errorf("function %s: argument must be numeric, got %s", a.name, a.argType)
			}
		}
	}
	if a.filter != nil {
		if _, err := c.compile(a.filter); err != nil {
			return fmt.Errorf("%s FILTER: %w", a.key, err)
		}
	}
	return nil
}

// compileArg compiles the argument; a multi-value aggregate's must be a
// multi-value column.
func (a *aggSpec) compileArg(c *compiler) (node, error) {
	if !a.mv {
		n, err := c.compile(a.arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.key, err)
		}
		return n, nil
	}
	n, err := c.compileItem(a.arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.key, err)
	}
	if _, ok := n.(*mvColNode); !ok {
		return nil, fmt.Errorf("function %s: argument must be a multi-value column, got %s", a.name, a.arg)
	}
	return n, nil
}

// resultType follows Pinot: COUNT is LONG, DISTINCTCOUNT INT, the rest
// DOUBLE, except MIN/MAX of strings.
func (a *aggSpec) resultType() schema.DataType {
	switch a.kind {
	case aggCount, aggDistinctCountHLL:
		return schema.TypeLong
	case aggDistinctCount:
		if a.distinct {
			return schema.TypeLong
		}
		return schema.TypeInt
	case aggMin, aggMax:
		if s := a.argType.Storage(); (s == schema.StorageString || s == schema.StorageBytes) && a.argType != schema.TypeBigDecimal {
			return schema.TypeString
		}
	}
	return schema.TypeDouble
}

// accumulator holds one aggregate's state for every group. Calls are per
// batch (add) or per group (merge, result), never per row.
type accumulator interface {
	// resize makes room for n groups.
	resize(n int)
	// add folds the batch's rows values into their groups: row i goes to
	// groups[i] (all to group 0 when groups is nil). v is nil for COUNT(*);
	// rows where mask is false (when mask is non-nil) are skipped.
	add(rows int, groups []uint32, v *vec.Vector, mask []bool)
	// merge folds other's group src into group dst.
	merge(dst int, other accumulator, src int)
	// result writes group g's final value into out at row i.
	result(g int, out *vec.Vector, i int)
}

func (a *aggSpec) newAccumulator() accumulator {
	switch a.kind {
	case aggCount:
		return &countAcc{}
	case aggSum, aggAvg:
		return &sumAcc{avg: a.kind == aggAvg}
	case aggMin, aggMax:
		if a.resultType() == schema.TypeString {
			return &strMinMaxAcc{extremeAcc[string]{max: a.kind == aggMax}}
		}
		return &minMaxAcc{extremeAcc: extremeAcc[float64]{max: a.kind == aggMax}}
	case aggDistinctCount:
		return &distinctAcc{storage: storageOf(a.argType)}
	case aggDistinctCountHLL:
		return &hllAcc{}
	case aggPercentile:
		return &percentileAcc{pct: a.pct}
	case aggPercentileTDigest:
		return &tdigestAcc{pct: a.pct}
	}
	panic(fmt.Sprintf("BUG: aggregate kind %d", a.kind))
}

func storageOf(t schema.DataType) schema.Storage {
	if t == schema.TypeBigDecimal {
		return schema.StorageFloat64
	}
	if t.Storage() == schema.StorageBytes {
		return schema.StorageString
	}
	return t.Storage()
}

func resize[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}

// floatRows calls f with the group and float value of each row that
// takes part, converting the batch to float64 through *conv once.
func floatRows(rows int, groups []uint32, v *vec.Vector, mask []bool, conv **vec.Vector, f func(g uint32, x float64)) {
	if *conv == nil {
		*conv = vec.New(schema.TypeDouble)
	}
	vals := asFloat(v, rows, *conv)
	for i := 0; i < rows; i++ {
		if skip(v, mask, i) {
			continue
		}
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		f(g, vals[i])
	}
}

// skip reports whether row i does not take part.
func skip(v *vec.Vector, mask []bool, i int) bool {
	return (mask != nil && !mask[i]) || (v != nil && v.Nulls != nil && v.Nulls[i])
}

type countAcc struct{ n []int64 }

func (a *countAcc) resize(n int) { a.n = resize(a.n, n) }

func (a *countAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	if v == nil || v.Nulls == nil {
		if groups == nil {
			if mask == nil {
				a.n[0] += int64(rows)
				return
			}
			for _, m := range mask {
				if m {
					a.n[0]++
				}
			}
			return
		}
		if mask == nil {
			if len(a.n) <= laneGroups {
				countLanes(a.n, groups)
				return
			}
			for _, g := range groups {
				a.n[g]++
			}
			return
		}
	}
	for i := 0; i < rows; i++ {
		if skip(v, mask, i) {
			continue
		}
		if groups == nil {
			a.n[0]++
		} else {
			a.n[groups[i]]++
		}
	}
}

func (a *countAcc) merge(dst int, o accumulator, src int) { a.n[dst] += o.(*countAcc).n[src] }

func (a *countAcc) result(g int, out *vec.Vector, i int) { out.I64[i] = a.n[g] }

// sumAcc sums in float64 (Pinot's SUM is a DOUBLE) and counts non-null
// inputs so that an empty group's SUM and AVG are NULL.
type sumAcc struct {
	avg  bool
	sum  []float64
	n    []int64
	conv *vec.Vector
}

func (a *sumAcc) resize(n int) {
	a.sum = resize(a.sum, n)
	a.n = resize(a.n, n)
}

func (a *sumAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	if a.conv == nil {
		a.conv = vec.New(schema.TypeDouble)
	}
	if groups == nil && mask == nil && v.Nulls == nil {
		var s float64
		if v.Type.Storage() == schema.StorageInt64 {
			// Float accumulation: exact below 2^53 and immune to the
			// int64 overflow of summing large ids.
			for _, x := range v.I64[:rows] {
				s += float64(x)
			}
		} else {
			for _, x := range asFloat(v, rows, a.conv) {
				s += x
			}
		}
		a.sum[0] += s
		a.n[0] += int64(rows)
		return
	}
	f := asFloat(v, rows, a.conv)
	if mask == nil && v.Nulls == nil {
		if len(a.sum) <= laneGroups {
			a.addLanes(groups[:rows], f[:rows])
			return
		}
		for i, g := range groups[:rows] {
			a.sum[g] += f[i]
			a.n[g]++
		}
		return
	}
	for i := 0; i < rows; i++ {
		if skip(v, mask, i) {
			continue
		}
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		a.sum[g] += f[i]
		a.n[g]++
	}
}

// laneGroups bounds the group count up to which grouped COUNT and SUM
// spread consecutive rows over four lanes of partial results. With a few
// groups, consecutive rows mostly hit the same group, and each addition
// waits for the one before it to reach memory; four lanes let four run at
// once (a third of a selective query's time went to that wait).
const laneGroups = 64

// addLanes is the grouped sum of f without nulls or mask, on lanes.
func (a *sumAcc) addLanes(groups []uint32, f []float64) {
	const L = laneGroups
	var s [4 * L]float64
	var c [4 * L]int64
	i := 0
	for ; i+4 <= len(groups); i += 4 {
		g0, g1, g2, g3 := groups[i]%L, groups[i+1]%L, groups[i+2]%L, groups[i+3]%L
		s[g0] += f[i]
		s[L+g1] += f[i+1]
		s[2*L+g2] += f[i+2]
		s[3*L+g3] += f[i+3]
		c[g0]++
		c[L+g1]++
		c[2*L+g2]++
		c[3*L+g3]++
	}
	for ; i < len(groups); i++ {
		g := groups[i] % L
		s[g] += f[i]
		c[g]++
	}
	for g := range a.sum {
		a.sum[g] += (s[g] + s[L+g]) + (s[2*L+g] + s[3*L+g])
		a.n[g] += c[g] + c[L+g] + c[2*L+g] + c[3*L+g]
	}
}

// countLanes adds the rows of each group, on lanes (see laneGroups).
func countLanes(n []int64, groups []uint32) {
	const L = laneGroups
	var c [4 * L]int64
	i := 0
	for ; i+4 <= len(groups); i += 4 {
		c[groups[i]%L]++
		c[L+groups[i+1]%L]++
		c[2*L+groups[i+2]%L]++
		c[3*L+groups[i+3]%L]++
	}
	for ; i < len(groups); i++ {
		c[groups[i]%L]++
	}
	for g := range n {
		n[g] += c[g] + c[L+g] + c[2*L+g] + c[3*L+g]
	}
}

func (a *sumAcc) merge(dst int, o accumulator, src int) {
	b := o.(*sumAcc)
	a.sum[dst] += b.sum[src]
	a.n[dst] += b.n[src]
}

func (a *sumAcc) result(g int, out *vec.Vector, i int) {
	if a.n[g] == 0 {
		out.SetNull(i)
		return
	}
	if a.avg {
		out.F64[i] = a.sum[g] / float64(a.n[g])
		return
	}
	out.F64[i] = a.sum[g]
}

// extremeAcc keeps each group's MIN or MAX.
type extremeAcc[T float64 | string] struct {
	max bool
	val []T
	has []bool
}

func (a *extremeAcc[T]) resize(n int) {
	a.val = resize(a.val, n)
	a.has = resize(a.has, n)
}

// offer makes x group g's extreme if it beats the current one.
func (a *extremeAcc[T]) offer(g uint32, x T) bool {
	if !a.has[g] || (a.max && x > a.val[g]) || (!a.max && x < a.val[g]) {
		a.val[g] = x
		a.has[g] = true
		return true
	}
	return false
}

func (a *extremeAcc[T]) mergeFrom(dst int, b *extremeAcc[T], src int) {
	if b.has[src] {
		a.offer(uint32(dst), b.val[src])
	}
}

// minMaxAcc is MIN/MAX of numbers (a DOUBLE, as in Pinot).
type minMaxAcc struct {
	extremeAcc[float64]
	conv *vec.Vector
}

func (a *minMaxAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	floatRows(rows, groups, v, mask, &a.conv, func(g uint32, x float64) { a.offer(g, x) })
}

func (a *minMaxAcc) merge(dst int, o accumulator, src int) {
	a.mergeFrom(dst, &o.(*minMaxAcc).extremeAcc, src)
}

func (a *minMaxAcc) result(g int, out *vec.Vector, i int) {
	if !a.has[g] {
		out.SetNull(i)
		return
	}
	out.F64[i] = a.val[g]
}

// strMinMaxAcc is MIN/MAX of strings.
type strMinMaxAcc struct{ extremeAcc[string] }

func (a *strMinMaxAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	for i, x := range v.Str[:rows] {
		if skip(v, mask, i) {
			continue
		}
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if a.offer(g, x) {
			a.val[g] = strings.Clone(x) // x may live in a reused buffer
		}
	}
}

func (a *strMinMaxAcc) merge(dst int, o accumulator, src int) {
	a.mergeFrom(dst, &o.(*strMinMaxAcc).extremeAcc, src)
}

func (a *strMinMaxAcc) result(g int, out *vec.Vector, i int) {
	if !a.has[g] {
		out.SetNull(i)
		return
	}
	out.Str[i] = a.val[g]
}

// distinctAcc keeps each group's set of distinct values.
type distinctAcc struct {
	storage schema.Storage
	ints    []map[int64]struct{}
	flts    []map[float64]struct{}
	strs    []map[string]struct{}
}

func (a *distinctAcc) resize(n int) {
	switch a.storage {
	case schema.StorageInt64:
		a.ints = resize(a.ints, n)
	case schema.StorageFloat64:
		a.flts = resize(a.flts, n)
	default:
		a.strs = resize(a.strs, n)
	}
}

func (a *distinctAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	for i := 0; i < rows; i++ {
		if skip(v, mask, i) {
			continue
		}
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		switch a.storage {
		case schema.StorageInt64:
			if a.ints[g] == nil {
				a.ints[g] = map[int64]struct{}{}
			}
			a.ints[g][v.I64[i]] = struct{}{}
		case schema.StorageFloat64:
			if a.flts[g] == nil {
				a.flts[g] = map[float64]struct{}{}
			}
			if v.Type.Storage() == schema.StorageFloat64 {
				a.flts[g][v.F64[i]] = struct{}{}
			} else {
				a.flts[g][parseFloatOrZero(v.Str[i])] = struct{}{}
			}
		default:
			m := a.strs[g]
			if m == nil {
				m = map[string]struct{}{}
				a.strs[g] = m
			}
			if _, ok := m[v.Str[i]]; !ok {
				m[strings.Clone(v.Str[i])] = struct{}{}
			}
		}
	}
}

func (a *distinctAcc) merge(dst int, o accumulator, src int) {
	if d, ok := o.(*distinctDictAcc); ok {
		a.mergeFromDict(dst, d, src)
		return
	}
	b := o.(*distinctAcc)
	switch a.storage {
	case schema.StorageInt64:
		a.ints[dst] = mergeSet(a.ints[dst], b.ints[src])
	case schema.StorageFloat64:
		a.flts[dst] = mergeSet(a.flts[dst], b.flts[src])
	default:
		a.strs[dst] = mergeSet(a.strs[dst], b.strs[src])
	}
}

func mergeSet[K comparable](dst, src map[K]struct{}) map[K]struct{} {
	if dst == nil {
		return src
	}
	if len(src) > len(dst) {
		dst, src = src, dst
	}
	for k := range src {
		dst[k] = struct{}{}
	}
	return dst
}

func (a *distinctAcc) result(g int, out *vec.Vector, i int) {
	switch a.storage {
	case schema.StorageInt64:
		out.I64[i] = int64(len(a.ints[g]))
	case schema.StorageFloat64:
		out.I64[i] = int64(len(a.flts[g]))
	default:
		out.I64[i] = int64(len(a.strs[g]))
	}
}

// hllAcc estimates distinct counts with HyperLogLog++ sketches.
type hllAcc struct {
	sk  []*hyperloglog.Sketch
	buf []byte
}

func (a *hllAcc) resize(n int) { a.sk = resize(a.sk, n) }

func (a *hllAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	for i := 0; i < rows; i++ {
		if skip(v, mask, i) {
			continue
		}
		g := uint32(0)
		if groups != nil {
			g = groups[i]
		}
		if a.sk[g] == nil {
			a.sk[g] = hyperloglog.New14()
		}
		a.buf = appendValueKey(a.buf[:0], v, i)
		a.sk[g].Insert(a.buf)
	}
}

func (a *hllAcc) merge(dst int, o accumulator, src int) {
	s := o.(*hllAcc).sk[src]
	if s == nil {
		return
	}
	if a.sk[dst] == nil {
		a.sk[dst] = s.Clone()
		return
	}
	_ = a.sk[dst].Merge(s)
}

func (a *hllAcc) result(g int, out *vec.Vector, i int) {
	if a.sk[g] == nil {
		out.I64[i] = 0
		return
	}
	out.I64[i] = int64(a.sk[g].Estimate())
}

// appendValueKey appends a canonical byte form of row i of v.
func appendValueKey(dst []byte, v *vec.Vector, i int) []byte {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		x := uint64(v.I64[i])
		return append(dst, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56))
	case schema.StorageFloat64:
		x := math.Float64bits(v.F64[i])
		return append(dst, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56))
	default:
		return append(dst, v.Str[i]...)
	}
}

// percentileAcc is Pinot's exact PERCENTILE: the value at index
// floor(n*p/100) of the sorted inputs (the last one for p = 100).
type percentileAcc struct {
	pct  float64
	vals [][]float64
	conv *vec.Vector
}

func (a *percentileAcc) resize(n int) { a.vals = resize(a.vals, n) }

func (a *percentileAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	floatRows(rows, groups, v, mask, &a.conv, func(g uint32, x float64) { a.vals[g] = append(a.vals[g], x) })
}

func (a *percentileAcc) merge(dst int, o accumulator, src int) {
	a.vals[dst] = append(a.vals[dst], o.(*percentileAcc).vals[src]...)
}

func (a *percentileAcc) result(g int, out *vec.Vector, i int) {
	vals := a.vals[g]
	if len(vals) == 0 {
		out.SetNull(i)
		return
	}
	slices.Sort(vals)
	if a.pct >= 100 {
		out.F64[i] = vals[len(vals)-1]
		return
	}
	out.F64[i] = vals[int(float64(len(vals))*a.pct/100)]
}

// tdigestAcc estimates percentiles with t-digests (PERCENTILEEST and
// PERCENTILETDIGEST).
type tdigestAcc struct {
	pct  float64
	td   []*tdigest.TDigest
	conv *vec.Vector
}

func (a *tdigestAcc) resize(n int) { a.td = resize(a.td, n) }

func (a *tdigestAcc) add(rows int, groups []uint32, v *vec.Vector, mask []bool) {
	floatRows(rows, groups, v, mask, &a.conv, func(g uint32, x float64) {
		if a.td[g] == nil {
			a.td[g] = tdigest.NewWithCompression(tdigestCompression)
		}
		a.td[g].Add(x, 1)
	})
}

func (a *tdigestAcc) merge(dst int, o accumulator, src int) {
	s := o.(*tdigestAcc).td[src]
	if s == nil {
		return
	}
	if a.td[dst] == nil {
		a.td[dst] = tdigest.NewWithCompression(tdigestCompression)
	}
	a.td[dst].AddCentroidList(s.Centroids())
}

func (a *tdigestAcc) result(g int, out *vec.Vector, i int) {
	if a.td[g] == nil {
		out.SetNull(i)
		return
	}
	out.F64[i] = a.td[g].Quantile(a.pct / 100)
}
