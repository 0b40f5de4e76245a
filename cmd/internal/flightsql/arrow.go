package flightsql

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
)

// arrowType is the Arrow type of a Tannin column type (single value).
// BIG_DECIMAL is utf8: its values are exact decimal text whose scale
// varies from row to row (Pinot's BigDecimal), so no one decimal128
// precision and scale holds a column of them without rounding.
func arrowType(t schema.DataType) arrow.DataType {
	switch t {
	case schema.TypeInt:
		return arrow.PrimitiveTypes.Int32
	case schema.TypeLong:
		return arrow.PrimitiveTypes.Int64
	case schema.TypeFloat:
		return arrow.PrimitiveTypes.Float32
	case schema.TypeDouble:
		return arrow.PrimitiveTypes.Float64
	case schema.TypeBoolean:
		return arrow.FixedWidthTypes.Boolean
	case schema.TypeTimestamp:
		return &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	case schema.TypeBytes:
		return arrow.BinaryTypes.Binary
	}
	// STRING, JSON, BIG_DECIMAL.
	return arrow.BinaryTypes.String
}

// columnField is the Arrow field of one result or table column: the type
// (a list of it for multi-value columns), always nullable, and the Flight
// SQL column metadata a JDBC/ODBC driver reads (TYPE_NAME is Pinot's type
// name, e.g. "LONG" or "STRING_ARRAY").
func columnField(name string, t schema.DataType, mv bool, table string) arrow.Field {
	typ := arrowType(t)
	typeName := t.String()
	if mv {
		typ = arrow.ListOf(typ)
		typeName += "_ARRAY"
	}
	md := flightsql.NewColumnMetadataBuilder()
	md.TypeName(typeName).IsReadOnly(true).IsAutoIncrement(false).IsCaseSensitive(true).IsSearchable(true)
	if table != "" {
		md.TableName(table).SchemaName(dbSchema)
	}
	switch t {
	case schema.TypeInt:
		md.Precision(10).Scale(0)
	case schema.TypeLong, schema.TypeTimestamp:
		md.Precision(19).Scale(0)
	case schema.TypeFloat:
		md.Precision(7)
	case schema.TypeDouble:
		md.Precision(15)
	}
	return arrow.Field{Name: name, Type: typ, Nullable: true, Metadata: *md.Build().Data}
}

// resultSchema is the Arrow schema of a result's columns.
func resultSchema(res *exec.Result, table string) *arrow.Schema {
	fields := make([]arrow.Field, len(res.Columns))
	for i, name := range res.Columns {
		mv := i < len(res.MultiValue) && res.MultiValue[i]
		fields[i] = columnField(name, res.Types[i], mv, table)
	}
	return arrow.NewSchema(fields, nil)
}

// tableSchema is the Arrow schema of a table's columns, in schema order.
func tableSchema(sc *schema.Schema, table string) *arrow.Schema {
	fields := make([]arrow.Field, len(sc.Fields))
	for i := range sc.Fields {
		f := &sc.Fields[i]
		fields[i] = columnField(f.Name, f.DataType, !f.SingleValue, table)
	}
	return arrow.NewSchema(fields, nil)
}

// buildBatch builds rows [lo, hi) of res as one record batch of schema
// sch, column by column with the typed builders: one type switch per
// column, then a loop of typed appends. The cells are what exec.Result
// documents (int64, float64, bool, string, []byte, []int64, []float64,
// []string or nil); a cell of another kind is an error naming the row and
// column, not a panic.
func buildBatch(mem memory.Allocator, sch *arrow.Schema, res *exec.Result, lo, hi int) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(res.Columns))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	rows := res.Rows[lo:hi]
	for c := range res.Columns {
		b := array.NewBuilder(mem, sch.Field(c).Type)
		b.Reserve(len(rows))
		var err error
		if lb, ok := b.(*array.ListBuilder); ok {
			err = appendList(lb, rows, c, res.Types[c])
		} else {
			err = appendColumn(b, rows, c, res.Types[c])
		}
		if err != nil {
			b.Release()
			return nil, fmt.Errorf("column %q: %w (row %d)", res.Columns[c], err, lo+rowOf(err))
		}
		cols[c] = b.NewArray()
		b.Release()
	}
	return array.NewRecordBatch(sch, cols, int64(len(rows))), nil
}

// cellError is a cell that does not fit its column's Arrow type.
type cellError struct {
	row int
	v   any
	typ schema.DataType
}

func (e *cellError) Error() string {
	return fmt.Sprintf("value %v of Go type %T does not fit column type %s", e.v, e.v, e.typ)
}

func rowOf(err error) int {
	if ce, ok := err.(*cellError); ok {
		return ce.row
	}
	return 0
}

// appendColumn appends column c of rows to a single-value builder.
func appendColumn(b array.Builder, rows [][]any, c int, t schema.DataType) error {
	switch b := b.(type) {
	case *array.Int32Builder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case int64:
				b.UnsafeAppend(int32(v))
			case float64:
				b.UnsafeAppend(int32(v))
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.Int64Builder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case int64:
				b.UnsafeAppend(v)
			case float64:
				b.UnsafeAppend(int64(v))
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.Float32Builder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case float64:
				b.UnsafeAppend(float32(v))
			case int64:
				b.UnsafeAppend(float32(v))
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.Float64Builder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case float64:
				b.UnsafeAppend(v)
			case int64:
				b.UnsafeAppend(float64(v))
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.BooleanBuilder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case bool:
				b.UnsafeAppend(v)
			case int64:
				b.UnsafeAppend(v != 0)
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.TimestampBuilder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case int64:
				b.UnsafeAppend(arrow.Timestamp(v))
			case float64:
				b.UnsafeAppend(arrow.Timestamp(v))
			case nil:
				b.UnsafeAppendBoolToBitmap(false)
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.StringBuilder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case string:
				b.Append(v)
			case nil:
				b.AppendNull()
			case int64:
				// An expression typed STRING may still carry a number
				// (a literal); render it rather than fail.
				b.Append(strconv.FormatInt(v, 10))
			case float64:
				b.Append(strconv.FormatFloat(v, 'g', -1, 64))
			default:
				return &cellError{r, v, t}
			}
		}
	case *array.BinaryBuilder:
		for r, row := range rows {
			switch v := row[c].(type) {
			case string:
				b.AppendString(v)
			case []byte:
				b.Append(v)
			case nil:
				b.AppendNull()
			default:
				return &cellError{r, v, t}
			}
		}
	default:
		return fmt.Errorf("BUG: no appender for Arrow type %s", b.Type())
	}
	return nil
}

// appendList appends multi-value column c of rows to a list builder.
func appendList(lb *array.ListBuilder, rows [][]any, c int, t schema.DataType) error {
	vb := lb.ValueBuilder()
	for r, row := range rows {
		switch v := row[c].(type) {
		case nil:
			lb.AppendNull()
		case []int64:
			lb.Append(true)
			switch vb := vb.(type) {
			case *array.Int32Builder:
				vb.Reserve(len(v))
				for _, x := range v {
					vb.UnsafeAppend(int32(x))
				}
			case *array.Int64Builder:
				vb.AppendValues(v, nil)
			case *array.Float32Builder:
				for _, x := range v {
					vb.Append(float32(x))
				}
			case *array.Float64Builder:
				for _, x := range v {
					vb.Append(float64(x))
				}
			case *array.TimestampBuilder:
				vb.Reserve(len(v))
				for _, x := range v {
					vb.UnsafeAppend(arrow.Timestamp(x))
				}
			case *array.BooleanBuilder:
				for _, x := range v {
					vb.Append(x != 0)
				}
			default:
				return &cellError{r, v, t}
			}
		case []float64:
			lb.Append(true)
			switch vb := vb.(type) {
			case *array.Float32Builder:
				vb.Reserve(len(v))
				for _, x := range v {
					vb.UnsafeAppend(float32(x))
				}
			case *array.Float64Builder:
				vb.AppendValues(v, nil)
			case *array.Int32Builder:
				for _, x := range v {
					vb.Append(int32(x))
				}
			case *array.Int64Builder:
				for _, x := range v {
					vb.Append(int64(x))
				}
			default:
				return &cellError{r, v, t}
			}
		case []string:
			lb.Append(true)
			switch vb := vb.(type) {
			case *array.StringBuilder:
				vb.AppendValues(v, nil)
			case *array.BinaryBuilder:
				vb.AppendStringValues(v, nil)
			default:
				return &cellError{r, v, t}
			}
		default:
			return &cellError{r, v, t}
		}
	}
	return nil
}

// batchRanges splits n rows into [lo, hi) ranges of at most size rows;
// zero rows give one empty range, so that a stream always carries a batch.
func batchRanges(n, size int) [][2]int {
	if n == 0 {
		return [][2]int{{0, 0}}
	}
	out := make([][2]int, 0, (n+size-1)/size)
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}
