package difftest

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// ReadParquet reads the flat columns of a Parquet file into column buffers
// of at most batch rows, calling emit for each. The schema, named table,
// is derived from the file: timestamps become TIMESTAMP (epoch millis,
// a DATE_TIME field when named timeColumn), integers INT or LONG, floating
// point DOUBLE, strings STRING, booleans BOOLEAN; Parquet nulls become
// nulls. It stands in for the batch ingestion package in the real-data
// differential test.
func ReadParquet(ctx context.Context, path, table, timeColumn string, batch int, emit func(*schema.Schema, []*segment.ColumnBuffer) error) (*schema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	defer f.Close()
	pr, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	as, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("read parquet %s schema: %w", path, err)
	}
	s := &schema.Schema{Name: table, EnableColumnBasedNullHandling: true}
	for _, af := range as.Fields() {
		dt, err := parquetType(af.Type)
		if err != nil {
			return nil, fmt.Errorf("read parquet %s column %q: %w", path, af.Name, err)
		}
		fs := schema.FieldSpec{Name: af.Name, FieldType: schema.FieldDimension, DataType: dt, SingleValue: true}
		if af.Name == timeColumn {
			fs.FieldType, fs.Format, fs.Granularity = schema.FieldDateTime, "TIMESTAMP", "1:MILLISECONDS"
		}
		switch dt.Storage() {
		case schema.StorageInt64:
			fs.DefaultNull = int64(0)
		case schema.StorageFloat64:
			fs.DefaultNull = float64(0)
		default:
			fs.DefaultNull = "null"
		}
		s.Fields = append(s.Fields, fs)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	defer rr.Release()

	intern := map[string]string{}
	cols := newParquetBuffers(s, batch)
	flush := func() error {
		if cols[0].Len() == 0 {
			return nil
		}
		if err := emit(s, cols); err != nil {
			return err
		}
		cols = newParquetBuffers(s, batch)
		return nil
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		n := int(rec.NumRows())
		for lo := 0; lo < n; {
			take := min(n-lo, batch-cols[0].Len())
			for c := range s.Fields {
				if err := appendArrow(cols[c], rec.Column(c), lo, lo+take, intern); err != nil {
					return nil, fmt.Errorf("read parquet %s column %q: %w", path, s.Fields[c].Name, err)
				}
			}
			lo += take
			if cols[0].Len() == batch {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", path, err)
	}
	return s, flush()
}

func newParquetBuffers(s *schema.Schema, n int) []*segment.ColumnBuffer {
	cols := make([]*segment.ColumnBuffer, len(s.Fields))
	for i := range s.Fields {
		b := segment.NewColumnBuffer(&s.Fields[i])
		switch s.Fields[i].DataType.Storage() {
		case schema.StorageInt64:
			b.Ints = make([]int64, 0, n)
		case schema.StorageFloat64:
			b.Floats = make([]float64, 0, n)
		default:
			b.Strs = make([]string, 0, n)
		}
		cols[i] = b
	}
	return cols
}

func parquetType(t arrow.DataType) (schema.DataType, error) {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return schema.TypeTimestamp, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16:
		return schema.TypeInt, nil
	case arrow.INT64, arrow.UINT32:
		return schema.TypeLong, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		return schema.TypeDouble, nil
	case arrow.STRING, arrow.LARGE_STRING:
		return schema.TypeString, nil
	case arrow.BOOL:
		return schema.TypeBoolean, nil
	case arrow.BINARY, arrow.LARGE_BINARY:
		return schema.TypeBytes, nil
	}
	return schema.TypeInvalid, fmt.Errorf("unsupported Parquet/Arrow type %s", t)
}

// appendArrow appends rows [lo, hi) of a to b.
func appendArrow(b *segment.ColumnBuffer, a arrow.Array, lo, hi int, intern map[string]string) error {
	def := b.Spec.DefaultNull
	for i := lo; i < hi; i++ {
		if a.IsNull(i) {
			b.Nulls.Add(uint32(b.Len()))
			switch v := def.(type) {
			case int64:
				b.Ints = append(b.Ints, v)
			case float64:
				b.Floats = append(b.Floats, v)
			case string:
				b.Strs = append(b.Strs, v)
			}
			continue
		}
		switch a := a.(type) {
		case *array.Timestamp:
			unit := a.DataType().(*arrow.TimestampType).Unit
			b.Ints = append(b.Ints, a.Value(i).ToTime(unit).UnixMilli())
		case *array.Date32:
			b.Ints = append(b.Ints, a.Value(i).ToTime().UnixMilli())
		case *array.Date64:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Int8:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Int16:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Int32:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Int64:
			b.Ints = append(b.Ints, a.Value(i))
		case *array.Uint8:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Uint16:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Uint32:
			b.Ints = append(b.Ints, int64(a.Value(i)))
		case *array.Float32:
			b.Floats = append(b.Floats, float64(a.Value(i)))
		case *array.Float64:
			b.Floats = append(b.Floats, a.Value(i))
		case *array.Boolean:
			b.Ints = append(b.Ints, b2i(a.Value(i)))
		case *array.String:
			b.Strs = append(b.Strs, internString(intern, a.Value(i)))
		case *array.LargeString:
			b.Strs = append(b.Strs, internString(intern, a.Value(i)))
		case *array.Binary:
			b.Strs = append(b.Strs, string(a.Value(i)))
		case *array.LargeBinary:
			b.Strs = append(b.Strs, string(a.Value(i)))
		default:
			return fmt.Errorf("unsupported Arrow array %T", a)
		}
	}
	return nil
}

// internString returns a copy of s that outlives the Arrow buffer it
// points into, sharing one copy per distinct value (the small-vocabulary
// columns of real data repeat a lot); past 100k distinct values it just
// copies.
func internString(m map[string]string, s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	c := string([]byte(s))
	if len(m) < 100_000 {
		m[c] = c
	}
	return c
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
