package broker

import (
	"strconv"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/partition"
	"github.com/tannin-db/tannin/tableconfig"
)

// partitionPruner skips segments whose partition cannot hold a value the
// WHERE clause requires of the table's partition column (Pinot's
// SinglePartitionColumnSegmentPruner).
type partitionPruner struct {
	// allowed[p] is true when partition p may hold matching rows.
	allowed []bool
}

// Prunes reports whether the segment's partition is excluded. Unpartitioned
// segments (-1) and partition ids outside the configured count (a config
// changed after the segment was built) are never pruned.
func (pp *partitionPruner) Prunes(m *segment.Meta) bool {
	id := m.PartitionID
	return id >= 0 && id < len(pp.allowed) && !pp.allowed[id]
}

// newPartitionPruner returns the pruner of a query, or nil when the query
// gives no partition restriction: the table partitions segments by exactly
// one column, and a top-level conjunct of where is `col = literal`,
// `literal = col` or `col IN (literals)` on it with literals whose Pinot
// string form is known for the column's type. Several such conjuncts
// intersect.
func newPartitionPruner(cfg *tableconfig.TableConfig, sch *schema.Schema, where sql.Expr) *partitionPruner {
	if cfg == nil || sch == nil || where == nil || len(cfg.Index.Partitioning) != 1 {
		return nil
	}
	var field *schema.FieldSpec
	var fn partition.Func
	for col, cp := range cfg.Index.Partitioning {
		field = sch.Field(col)
		f, err := partition.New(cp.FunctionName, cp.NumPartitions)
		if err != nil || field == nil || !field.SingleValue {
			return nil
		}
		fn = f
	}
	var pp *partitionPruner
	for _, c := range andConjuncts(where) {
		vals, ok := partitionValues(c, sch, field)
		if !ok {
			continue
		}
		allowed := make([]bool, fn.NumPartitions())
		for _, v := range vals {
			p := fn.Partition(v)
			if p < 0 {
				allowed = nil // the function cannot place the value: no restriction
				break
			}
			allowed[p] = true
		}
		if allowed == nil {
			continue
		}
		if pp == nil {
			pp = &partitionPruner{allowed: allowed}
			continue
		}
		for i := range pp.allowed {
			pp.allowed[i] = pp.allowed[i] && allowed[i]
		}
	}
	return pp
}

// andConjuncts flattens the top-level ANDs of e.
func andConjuncts(e sql.Expr) []sql.Expr {
	if b, ok := e.(*sql.Binary); ok && b.Op == sql.OpAnd {
		return append(andConjuncts(b.L), andConjuncts(b.R)...)
	}
	return []sql.Expr{e}
}

// partitionValues returns the Pinot string forms of the values conjunct e
// restricts field to; false when e is not such a restriction.
func partitionValues(e sql.Expr, sch *schema.Schema, field *schema.FieldSpec) ([]string, bool) {
	isCol := func(x sql.Expr) bool {
		ref, ok := x.(*sql.ColumnRef)
		if !ok {
			return false
		}
		f := sch.Field(ref.Name)
		return f != nil && f.Name == field.Name
	}
	switch x := e.(type) {
	case *sql.Binary:
		if x.Op != sql.OpEq {
			return nil, false
		}
		other := x.R
		if !isCol(x.L) {
			if !isCol(x.R) {
				return nil, false
			}
			other = x.L
		}
		v, ok := pinotString(other, field.DataType)
		if !ok {
			return nil, false
		}
		return []string{v}, true
	case *sql.In:
		if x.Not || !isCol(x.X) || len(x.List) == 0 {
			return nil, false
		}
		vals := make([]string, 0, len(x.List))
		for _, it := range x.List {
			v, ok := pinotString(it, field.DataType)
			if !ok {
				return nil, false
			}
			vals = append(vals, v)
		}
		return vals, true
	}
	return nil, false
}

// pinotString is the string Pinot's partition functions see for literal e
// compared with a column of type t: Java's toString of the stored value.
// Only forms known to match exactly are produced: integers for INT, LONG
// and TIMESTAMP columns (a decimal), strings for STRING columns (as
// written). FLOAT and DOUBLE (Java's Double.toString), BOOLEAN, BYTES,
// JSON and BIG_DECIMAL columns, and literals of another kind, give false:
// no pruning rather than a wrong one.
func pinotString(e sql.Expr, t schema.DataType) (string, bool) {
	neg := false
	if u, ok := e.(*sql.Unary); ok && u.Op == sql.OpNeg {
		neg, e = true, u.X
	}
	lit, ok := e.(*sql.Literal)
	if !ok {
		return "", false
	}
	switch t {
	case schema.TypeInt, schema.TypeLong, schema.TypeTimestamp:
		var v int64
		switch lit.Kind {
		case sql.LitInt:
			v = lit.Int
		case sql.LitString:
			n, err := strconv.ParseInt(lit.Str, 10, 64)
			if err != nil {
				return "", false
			}
			v = n
		default:
			return "", false
		}
		if neg {
			if v == -1<<63 {
				return "", false
			}
			v = -v
		}
		if t == schema.TypeInt && int64(int32(v)) != v {
			return "", false // no INT row holds it
		}
		return strconv.FormatInt(v, 10), true
	case schema.TypeString:
		if lit.Kind != sql.LitString || neg {
			return "", false
		}
		return lit.Str, true
	}
	return "", false
}

// pruners applies several pruners: a segment is skipped when any prunes
// it.
type pruners []segmentPruner

func (ps pruners) Prunes(m *segment.Meta) bool {
	for _, p := range ps {
		if p.Prunes(m) {
			return true
		}
	}
	return false
}
