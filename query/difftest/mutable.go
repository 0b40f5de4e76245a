package difftest

import (
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/mutable"
)

// buildMutable appends the rows to a consuming segment in uneven batches
// (so that some rows are covered by frozen index bitmaps and some are
// not), takes the snapshot the queries read, then appends late rows with
// values the snapshot has never seen.
func buildMutable(name string, tt *tanninTable, cols []*segment.ColumnBuffer) (segment.Segment, error) {
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	late := min(n, 997)
	seg, err := mutable.New(mutable.Config{
		Name: name, Table: tt.table.Name, Schema: tt.table.Schema, Capacity: max(1, n+late),
		TimeColumn: tt.cfg.TimeColumn, InvertedColumns: tt.cfg.Inverted, NoDictionaryColumns: tt.cfg.NoDictionary,
		PartitionID: -1,
	})
	if err != nil {
		return nil, err
	}
	steps := []int{1, 4096, 777, 10_000, 3}
	for lo, i := 0, 0; lo < n; i++ {
		hi := min(n, lo+steps[i%len(steps)])
		if err := seg.AppendColumns(sliceRows(cols, lo, hi, false)); err != nil {
			return nil, err
		}
		lo = hi
	}
	snap := seg.Snapshot()
	if late > 0 {
		if err := seg.AppendColumns(sliceRows(cols, 0, late, true)); err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// sliceRows returns buffers holding rows [lo, hi) of cols; with alter,
// every value is changed to one the rows do not hold.
func sliceRows(cols []*segment.ColumnBuffer, lo, hi int, alter bool) []*segment.ColumnBuffer {
	out := make([]*segment.ColumnBuffer, len(cols))
	for i, c := range cols {
		b := &segment.ColumnBuffer{Spec: c.Spec, Nulls: roaring.New()}
		vlo, vhi := lo, hi
		if !c.Spec.SingleValue {
			vlo, vhi = int(c.Offsets[lo]), int(c.Offsets[hi])
			b.Offsets = make([]uint32, 0, hi-lo+1)
			for _, o := range c.Offsets[lo : hi+1] {
				b.Offsets = append(b.Offsets, o-uint32(vlo))
			}
		}
		switch c.Spec.DataType.Storage() {
		case schema.StorageInt64:
			b.Ints = c.Ints[vlo:vhi]
			if alter {
				b.Ints = make([]int64, vhi-vlo)
				for j, v := range c.Ints[vlo:vhi] {
					b.Ints[j] = v ^ math.MinInt64
					if c.Spec.DataType == schema.TypeBoolean {
						b.Ints[j] = 1 - v // BOOLEAN stays 0 or 1
					}
				}
			}
		case schema.StorageFloat64:
			b.Floats = c.Floats[vlo:vhi]
			if alter {
				b.Floats = make([]float64, vhi-vlo)
				for j, v := range c.Floats[vlo:vhi] {
					b.Floats[j] = v*3 + 1e9
				}
			}
		default:
			b.Strs = c.Strs[vlo:vhi]
			if alter {
				b.Strs = make([]string, vhi-vlo)
				for j, v := range c.Strs[vlo:vhi] {
					b.Strs[j] = v + "~late"
				}
			}
		}
		if c.Nulls != nil {
			it := c.Nulls.Iterator()
			it.AdvanceIfNeeded(uint32(lo))
			for it.HasNext() {
				d := it.Next()
				if int(d) >= hi {
					break
				}
				b.Nulls.Add(d - uint32(lo))
			}
		}
		out[i] = b
	}
	return out
}
