package exec

import (
	"context"
	"fmt"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
)

// Partial is one server's share of a query's answer: its segments' groups
// merged into one group table (aggregations, before HAVING/ORDER BY/LIMIT),
// or its candidate rows (selections: at most OFFSET+LIMIT rows, already
// top-N'ed when there is an ORDER BY). Stats counts its segments.
//
// A Partial from Execute may share memory with the table's segments
// (dictionary strings): encode it with AppendBinary, or Reduce it, before
// they close. Reduce may modify the partials it is given.
type Partial struct {
	Stats Stats

	kind partialKind
	// groups: an aggregation's merged group table; its groups are in key
	// order when groups.inOrder.
	groups *groupTable
	// rows, order: a selection's rows; order lists the candidates in
	// output order (nil: every row of rows, in order).
	rows  *rowSet
	order []int
	// explain: EXPLAIN PLAN's facts from the segments.
	explain *explainInfo
}

// partialKind is what a Partial holds; its values are the kind byte of
// the wire encoding (PARTIAL.md).
type partialKind uint8

const (
	partialGroups  partialKind = 1
	partialRows    partialKind = 2
	partialExplain partialKind = 3
)

func (k partialKind) String() string {
	switch k {
	case partialGroups:
		return "groups"
	case partialRows:
		return "rows"
	case partialExplain:
		return "an EXPLAIN PLAN"
	}
	return fmt.Sprintf("partialKind(%d)", k)
}

// numRows is the number of candidate rows of a selection partial.
func (p *Partial) numRows() int {
	if p.order != nil {
		return len(p.order)
	}
	if p.rows == nil {
		return 0
	}
	return p.rows.n
}

// selected returns the candidate rows' numbers in output order.
func (p *Partial) selected() []int {
	if p.order != nil {
		return p.order
	}
	rows := make([]int, p.numRows())
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// Execute runs st over t's segments and combines them into one Partial
// (server side). The statement's timeoutMs bounds it: past it the error is
// ErrTimeout. Planning errors are ErrUnknownColumn or ErrPlanning.
func Execute(ctx context.Context, t *Table, st *sql.Statement) (*Partial, error) {
	p, err := planQuery(t, st)
	if err != nil {
		return nil, err
	}
	return p.execute(ctx)
}

// Reduce merges the partials of one statement, from any number of servers,
// into the final result: merge of partial aggregates, HAVING, ORDER BY,
// DISTINCT, OFFSET/LIMIT, select-list evaluation (broker side). It plans
// from the schema alone (no segments). Zero partials give the empty answer
// (column names and types; an aggregation without GROUP BY gives its one
// row: COUNT 0, SUM NULL).
//
// EXPLAIN PLAN is answered from the schema; the partials, when given, add
// the segments' document count and each filter predicate's access path on
// the first server's first segment.
//
// A partial whose shape does not fit the statement (its kind, key types,
// aggregate kinds and parameters, column counts) is an error, not a
// panic; the encoding does not name the query, so a partial of another
// query of the same shape cannot be told apart.
func Reduce(ctx context.Context, sch *schema.Schema, table string, st *sql.Statement, parts []*Partial) (*Result, error) {
	p, err := planQuery(&Table{Name: table, Schema: sch}, st)
	if err != nil {
		return nil, err
	}
	return p.reduce(ctx, parts)
}

func (p *plan) reduce(ctx context.Context, parts []*Partial) (*Result, error) {
	want := partialRows
	switch {
	case p.explain:
		want = partialExplain
	case p.aggregate:
		want = partialGroups
	}
	var total Stats
	for i, part := range parts {
		if part == nil {
			return nil, fmt.Errorf("reduce partial %d: nil", i)
		}
		if part.kind != want {
			return nil, fmt.Errorf("reduce partial %d: holds %s, the statement needs %s", i, part.kind, want)
		}
		total.add(&part.Stats)
	}
	if p.explain {
		info := &explainInfo{}
		for _, part := range parts {
			if part.explain == nil {
				continue
			}
			info.totalDocs += part.explain.totalDocs
			if info.leaves == nil {
				info.leaves = part.explain.leaves
			}
		}
		return p.explainResult(info)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var res *Result
	var err error
	if p.aggregate {
		tables := make([]*groupTable, len(parts))
		for i, part := range parts {
			tables[i] = part.groups
		}
		res, err = p.reduceGroups(ctx, tables)
	} else {
		res, err = p.reduceRows(parts)
	}
	if err != nil {
		return nil, err
	}
	res.Stats = total
	return res, nil
}

// checkGroupTable checks that a partial's group table has the statement's
// keys and aggregates, so that merging it can neither fail nor mislead.
func checkGroupTable(t *groupTable, keyTypes []schema.DataType, aggs []*aggSpec) error {
	if t == nil {
		return fmt.Errorf("no group table")
	}
	if len(t.keys) != len(keyTypes) || len(t.accs) != len(aggs) {
		return fmt.Errorf("groups have %d keys and %d aggregates, the statement %d and %d", len(t.keys), len(t.accs), len(keyTypes), len(aggs))
	}
	if len(keyTypes) == 0 && t.n != 1 {
		return fmt.Errorf("%d groups without GROUP BY, want 1", t.n)
	}
	for j, k := range t.keys {
		if k.t != keyTypes[j] {
			return fmt.Errorf("group key %d is %s, the statement's %s", j+1, k.t, keyTypes[j])
		}
	}
	for i, a := range t.accs {
		if !accFits(aggs[i], a) {
			return fmt.Errorf("aggregate %d is %s, the statement's %s", i+1, accName(a), accName(aggs[i].newAccumulator()))
		}
	}
	return nil
}

// accFits reports whether acc is an accumulator of spec's kind and
// parameters (what spec.newAccumulator would make), so that it merges
// with the statement's and stands in for them.
func accFits(spec *aggSpec, acc accumulator) bool {
	switch spec.kind {
	case aggCount:
		_, ok := acc.(*countAcc)
		return ok
	case aggSum, aggAvg:
		b, ok := acc.(*sumAcc)
		return ok && b.avg == (spec.kind == aggAvg)
	case aggMin, aggMax:
		if spec.resultType() == schema.TypeString {
			b, ok := acc.(*strMinMaxAcc)
			return ok && b.max == (spec.kind == aggMax)
		}
		b, ok := acc.(*minMaxAcc)
		return ok && b.max == (spec.kind == aggMax)
	case aggDistinctCount:
		b, ok := acc.(*distinctAcc)
		return ok && b.storage == storageOf(spec.argType)
	case aggDistinctCountHLL:
		_, ok := acc.(*hllAcc)
		return ok
	case aggPercentile:
		b, ok := acc.(*percentileAcc)
		return ok && b.pct == spec.pct
	case aggPercentileTDigest:
		b, ok := acc.(*tdigestAcc)
		return ok && b.pct == spec.pct
	}
	return false
}

// accName names an accumulator's kind and parameters in errors.
func accName(a accumulator) string {
	switch a := a.(type) {
	case *countAcc:
		return "COUNT"
	case *sumAcc:
		if a.avg {
			return "AVG"
		}
		return "SUM"
	case *minMaxAcc:
		if a.max {
			return "MAX"
		}
		return "MIN"
	case *strMinMaxAcc:
		if a.max {
			return "MAX of strings"
		}
		return "MIN of strings"
	case *distinctAcc:
		return fmt.Sprintf("DISTINCTCOUNT (storage %d)", a.storage)
	case *hllAcc:
		return "DISTINCTCOUNTHLL"
	case *percentileAcc:
		return fmt.Sprintf("PERCENTILE(%v)", a.pct)
	case *tdigestAcc:
		return fmt.Sprintf("PERCENTILETDIGEST(%v)", a.pct)
	}
	return fmt.Sprintf("%T", a)
}
