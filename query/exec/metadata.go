package exec

import (
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// metadataAnswer answers an unfiltered, ungrouped aggregation from the
// segment's metadata when every aggregate allows it: COUNT(*) is the row
// count, MIN and MAX of a column its recorded bounds. Nothing is read.
func (p *plan) metadataAnswer(seg segment.Segment) (*groupTable, bool) {
	if p.where != nil || len(p.groupBy) > 0 {
		return nil, false
	}
	accs := make([]accumulator, len(p.aggs))
	for i, a := range p.aggs {
		if a.filter != nil || a.mv {
			return nil, false
		}
		acc := a.newAccumulator()
		acc.resize(1)
		switch a.kind {
		case aggCount:
			if a.arg != nil {
				return nil, false
			}
			acc.(*countAcc).n[0] = int64(seg.NumDocs())
		case aggMin, aggMax:
			ref, ok := a.arg.(*sql.ColumnRef)
			if !ok {
				return nil, false
			}
			col := seg.Column(ref.Name)
			if col == nil || !col.Meta().SingleValue {
				return nil, false
			}
			m := col.Meta()
			if m.NullCount > 0 {
				// The recorded bounds may include the default value
				// stored for null documents.
				return nil, false
			}
			b := m.Min
			if a.kind == aggMax {
				b = m.Max
			}
			switch acc := acc.(type) {
			case *minMaxAcc:
				switch m.DataType.Storage() {
				case schema.StorageInt64:
					acc.val[0] = float64(b.Int)
				case schema.StorageFloat64:
					acc.val[0] = b.Float
				default:
					return nil, false
				}
				acc.has[0] = true
			case *strMinMaxAcc:
				if m.DataType.Storage() != schema.StorageString {
					return nil, false
				}
				acc.val[0], acc.has[0] = b.Str, true
			}
		default:
			return nil, false
		}
		accs[i] = acc
	}
	return &groupTable{accs: accs, n: 1}, true
}

// countAnswer answers an ungrouped query of nothing but COUNT(*) from the
// number of matching documents, without iterating them.
func (p *plan) countAnswer(matched int) (*groupTable, bool) {
	if len(p.groupBy) > 0 {
		return nil, false
	}
	accs := make([]accumulator, len(p.aggs))
	for i, a := range p.aggs {
		if a.kind != aggCount || a.arg != nil || a.filter != nil || a.mv {
			return nil, false
		}
		acc := &countAcc{}
		acc.resize(1)
		acc.n[0] = int64(matched)
		accs[i] = acc
	}
	return &groupTable{accs: accs, n: 1}, true
}
