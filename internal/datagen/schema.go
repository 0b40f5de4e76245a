package datagen

import (
	"math"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Dataset is a generator of one synthetic table.
type Dataset interface {
	// Name is the table name the data set is meant for.
	Name() string
	// Schema returns a new schema; cols[i] of every batch belongs to
	// Fields[i].
	Schema() *schema.Schema
	// Generate produces rows rows in batches of at most batch rows and
	// hands each batch to emit, stopping at emit's first error. The rows
	// depend only on seed and rows, not on batch.
	Generate(seed uint64, rows, batch int, emit func([]*segment.ColumnBuffer) error) error
}

// field returns a field spec with Pinot's default null value for its role
// and type: 0 for metrics; for dimensions and date-time fields the minimum
// of integer types, -Inf for floating types, "null" for strings and empty
// bytes.
func field(name string, ft schema.FieldType, dt schema.DataType, nullable bool) schema.FieldSpec {
	f := schema.FieldSpec{Name: name, FieldType: ft, DataType: dt, SingleValue: true, NotNull: !nullable}
	switch dt.Storage() {
	case schema.StorageInt64:
		switch {
		case ft == schema.FieldMetric || dt == schema.TypeBoolean:
			f.DefaultNull = int64(0)
		case dt == schema.TypeInt:
			f.DefaultNull = int64(math.MinInt32)
		case dt == schema.TypeTimestamp:
			f.DefaultNull = int64(0)
		default:
			f.DefaultNull = int64(math.MinInt64)
		}
	case schema.StorageFloat64:
		if ft == schema.FieldMetric {
			f.DefaultNull = float64(0)
		} else {
			f.DefaultNull = math.Inf(-1)
		}
	case schema.StorageBytes:
		f.DefaultNull = ""
	default:
		if ft == schema.FieldMetric {
			f.DefaultNull = ""
		} else {
			f.DefaultNull = "null"
		}
	}
	if ft == schema.FieldDateTime {
		if dt == schema.TypeTimestamp {
			f.Format = "TIMESTAMP"
		} else {
			f.Format = "1:MILLISECONDS:EPOCH"
		}
		f.Granularity = "1:MILLISECONDS"
	}
	return f
}

// newBuffers returns empty buffers for every field of s, sized for n rows.
func newBuffers(s *schema.Schema, n int) []*segment.ColumnBuffer {
	cols := make([]*segment.ColumnBuffer, len(s.Fields))
	for i := range s.Fields {
		f := &s.Fields[i]
		b := segment.NewColumnBuffer(f)
		if f.SingleValue {
			switch f.DataType.Storage() {
			case schema.StorageInt64:
				b.Ints = make([]int64, 0, n)
			case schema.StorageFloat64:
				b.Floats = make([]float64, 0, n)
			default:
				b.Strs = make([]string, 0, n)
			}
		} else {
			b.Offsets = make([]uint32, 1, n+1)
		}
		cols[i] = b
	}
	return cols
}

// batches calls gen for consecutive row ranges [lo, hi) of at most batch
// rows, emitting what gen filled.
func batches(rows, batch int, gen func(lo, hi int) []*segment.ColumnBuffer, emit func([]*segment.ColumnBuffer) error) error {
	if batch <= 0 {
		batch = rows
	}
	for lo := 0; lo < rows; lo += batch {
		hi := min(lo+batch, rows)
		if err := emit(gen(lo, hi)); err != nil {
			return err
		}
	}
	return nil
}
