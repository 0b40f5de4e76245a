package exec

import (
	"context"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Pruner decides from segment metadata alone (time range, per-column
// min/max, row count) that a segment cannot hold a row matching a
// statement's WHERE clause: what a broker uses to skip segments before it
// fans a query out. It applies the same rules as the servers' own pruning,
// except for bloom filters, which live in the segment files.
type Pruner struct {
	p *plan
	// conj are the WHERE clause's conjuncts, normalized once: a broker
	// asks about every segment of the table.
	conj []sql.Expr
}

// NewPruner plans st against the table's schema; errors are the planning
// errors the query would get anyway.
func NewPruner(sch *schema.Schema, table string, st *sql.Statement) (*Pruner, error) {
	p, err := planQuery(&Table{Name: table, Schema: sch}, st)
	if err != nil {
		return nil, err
	}
	pr := &Pruner{p: p}
	if p.where != nil {
		pr.conj = conjuncts(normalize(p.where))
	}
	return pr, nil
}

// Reduce is exec.Reduce of the pruner's statement, on the plan the pruner
// already made: a broker prunes and then reduces every query, and
// planning twice cost as much as the reduce itself.
func (pr *Pruner) Reduce(ctx context.Context, parts []*Partial) (*Result, error) {
	return pr.p.reduce(ctx, parts)
}

// Prunes reports whether the segment described by m can be skipped.
func (pr *Pruner) Prunes(m *segment.Meta) bool {
	if m.NumDocs == 0 {
		return true
	}
	seg := metaSegment{m}
	for _, c := range pr.conj {
		if pr.p.conjunctPrunes(seg, c) {
			return true
		}
	}
	return false
}

// metaSegment presents segment metadata as a segment whose columns answer
// Meta and Bloom (none) only; pruning reads nothing else.
type metaSegment struct{ m *segment.Meta }

func (s metaSegment) Name() string        { return s.m.Name }
func (s metaSegment) NumDocs() int        { return s.m.NumDocs }
func (s metaSegment) Meta() *segment.Meta { return s.m }
func (s metaSegment) Column(name string) segment.Column {
	if c := s.columnMeta(name); c != nil {
		return metaColumn{m: c}
	}
	return nil
}

func (s metaSegment) columnMeta(name string) *segment.ColumnMeta {
	for _, c := range s.m.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

type metaColumn struct {
	segment.Column // nil: calling anything but Meta or Bloom is a bug
	m              *segment.ColumnMeta
}

func (c metaColumn) Meta() *segment.ColumnMeta  { return c.m }
func (c metaColumn) Bloom() segment.BloomFilter { return nil }
