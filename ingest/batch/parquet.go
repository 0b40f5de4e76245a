package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	gojson "github.com/goccy/go-json"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
)

// parquetSource reads the columns of a Parquet file that the schema or the
// transforms name, a record batch at a time through arrow-go's pqarrow
// reader.
type parquetSource struct {
	path string
	size int64
	pf   *file.Reader
	fr   *pqarrow.FileReader
	rr   pqarrow.RecordReader

	b       *decode.Batch
	batchSz int64
	cols    []int // arrow field index -> batch column (-1: not read)
	fields  []int // arrow field indexes read, in record order
	bound   []boundColumn
	rec     arrow.RecordBatch
	recOff  int
	row     int64
	read    int64
}

// boundColumn sets one batch column from one arrow array of the current
// record batch.
type boundColumn struct {
	col int
	set func(i int) error
}

func openParquet(path string, batchSize int) (*parquetSource, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batchSize)}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	return &parquetSource{path: path, size: st.Size(), pf: pf, fr: fr, batchSz: int64(batchSize)}, nil
}

// arrowInputType is the type a transform sees an input field of arrow
// type t as.
func arrowInputType(t arrow.DataType) schema.DataType {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return schema.TypeLong
	case arrow.FLOAT32, arrow.FLOAT64:
		return schema.TypeDouble
	case arrow.BOOL:
		return schema.TypeBoolean
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return schema.TypeTimestamp
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		return schema.TypeBytes
	}
	return schema.TypeString
}

func (s *parquetSource) prepare(b *decode.Batch, inputs []string) error {
	sc, err := s.fr.Schema()
	if err != nil {
		return fmt.Errorf("read %q: schema: %w", s.path, err)
	}
	byName := map[string]int{}
	for i, f := range sc.Fields() {
		byName[f.Name] = i
	}
	for _, in := range inputs {
		t := schema.TypeString
		if i, ok := byName[in]; ok {
			t = arrowInputType(sc.Field(i).Type)
		}
		b.AddInput(in, t)
	}
	s.b = b
	s.cols = make([]int, len(sc.Fields()))
	var leaves []int
	for i, f := range sc.Fields() {
		s.cols[i] = b.Col(f.Name)
		if s.cols[i] < 0 {
			continue
		}
		s.fields = append(s.fields, i)
		leaves = appendLeaves(leaves, &s.fr.Manifest.Fields[i])
	}
	if len(leaves) == 0 {
		return nil // no column of interest: every row is all nulls
	}
	rr, err := s.fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		return fmt.Errorf("read %q: %w", s.path, err)
	}
	s.rr = rr
	return nil
}

func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

func (s *parquetSource) fill(b *decode.Batch, reject rejectFunc) error {
	if s.rr == nil {
		return s.fillNulls(b)
	}
	for !b.Full() {
		if s.rec == nil || s.recOff >= int(s.rec.NumRows()) {
			if !s.rr.Next() {
				if err := s.rr.Err(); err != nil && err != io.EOF {
					return fmt.Errorf("read %q: %w", s.path, err)
				}
				s.read = s.size
				return io.EOF
			}
			s.rec = s.rr.RecordBatch()
			s.recOff = 0
			if err := s.bind(); err != nil {
				return err
			}
			if s.pf.NumRows() > 0 {
				s.read = s.size * (s.row + s.rec.NumRows()) / s.pf.NumRows()
			}
		}
		n := int(s.rec.NumRows())
		for ; s.recOff < n && !b.Full(); s.recOff++ {
			s.row++
			b.BeginRow(s.row)
			var bad error
			for _, bc := range s.bound {
				if err := bc.set(s.recOff); err != nil {
					bad = err
					break
				}
			}
			if bad == nil {
				b.EndRow()
				continue
			}
			b.AbortRow()
			var de *decode.Error
			if !errors.As(bad, &de) {
				return bad
			}
			if err := reject(s.row, de); err != nil {
				s.recOff++
				return err
			}
		}
	}
	return nil
}

// fillNulls serves a file none of whose columns are read: its rows are
// counted, all null.
func (s *parquetSource) fillNulls(b *decode.Batch) error {
	total := s.pf.NumRows()
	for !b.Full() && s.row < total {
		s.row++
		b.BeginRow(s.row)
		b.EndRow()
	}
	if s.row >= total {
		s.read = s.size
		return io.EOF
	}
	return nil
}

// bind makes the setters for the current record batch's arrays.
func (s *parquetSource) bind() error {
	s.bound = s.bound[:0]
	rsc := s.rec.Schema()
	for k, arr := range s.rec.Columns() {
		col := s.b.Col(rsc.Field(k).Name)
		if col < 0 {
			continue
		}
		set, err := s.setter(col, arr)
		if err != nil {
			return fmt.Errorf("read %q: column %q: %w", s.path, rsc.Field(k).Name, err)
		}
		s.bound = append(s.bound, boundColumn{col: col, set: set})
	}
	return nil
}

func strBytes(v string) []byte {
	if v == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(v), len(v))
}

// setter returns a function setting column col of the current row from
// element i of arr. Lists fill multi-value columns element by element.
func (s *parquetSource) setter(col int, arr arrow.Array) (func(i int) error, error) {
	b := s.b
	elem, err := s.elemSetter(col, arr)
	if err != nil {
		return nil, err
	}
	return func(i int) error {
		if arr.IsNull(i) {
			b.SetNull(col)
			return nil
		}
		return elem(i)
	}, nil
}

func (s *parquetSource) elemSetter(col int, arr arrow.Array) (func(i int) error, error) {
	b := s.b
	switch a := arr.(type) {
	case *array.Int8:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Int16:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Int32:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Int64:
		return func(i int) error { return b.SetInt64(col, a.Value(i)) }, nil
	case *array.Uint8:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Uint16:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Uint32:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Uint64:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Float32:
		return func(i int) error { return b.SetFloat64(col, float64(a.Value(i))) }, nil
	case *array.Float64:
		return func(i int) error { return b.SetFloat64(col, a.Value(i)) }, nil
	case *array.Boolean:
		return func(i int) error { return b.SetBool(col, a.Value(i)) }, nil
	case *array.String:
		return func(i int) error { return b.SetText(col, strBytes(a.Value(i))) }, nil
	case *array.LargeString:
		return func(i int) error { return b.SetText(col, strBytes(a.Value(i))) }, nil
	case *array.Binary:
		return func(i int) error { return b.SetBinary(col, a.Value(i)) }, nil
	case *array.LargeBinary:
		return func(i int) error { return b.SetBinary(col, a.Value(i)) }, nil
	case *array.FixedSizeBinary:
		return func(i int) error { return b.SetBinary(col, a.Value(i)) }, nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return func(i int) error { return b.SetInt64(col, toMillis(int64(a.Value(i)), unit)) }, nil
	case *array.Date32:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))*86_400_000) }, nil
	case *array.Date64:
		return func(i int) error { return b.SetInt64(col, int64(a.Value(i))) }, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) error { return b.SetText(col, []byte(a.Value(i).ToString(scale))) }, nil
	case *array.List:
		return s.listSetter(col, a.ListValues(), a.ValueOffsets)
	case *array.LargeList:
		return s.listSetter(col, a.ListValues(), a.ValueOffsets)
	}
	// Structs, maps and other nested values: their JSON text.
	return func(i int) error {
		raw, err := gojson.Marshal(arr.GetOneForMarshal(i))
		if err != nil {
			return &decode.Error{Reason: decode.ReasonTypeMismatch, Column: s.b.Column(col).Name(), Err: fmt.Errorf("encode %v value as JSON: %w", arr.DataType(), err)}
		}
		return b.SetRawJSON(col, raw)
	}, nil
}

func (s *parquetSource) listSetter(col int, values arrow.Array, offsets func(int) (int64, int64)) (func(i int) error, error) {
	c := s.b.Column(col)
	if c.Spec.SingleValue {
		return func(i int) error {
			lo, hi := offsets(i)
			slice := array.NewSlice(values, lo, hi)
			defer slice.Release()
			raw, err := gojson.Marshal(slice)
			if err != nil {
				return &decode.Error{Reason: decode.ReasonTypeMismatch, Column: c.Name(), Err: fmt.Errorf("encode list as JSON: %w", err)}
			}
			return s.b.SetRawJSON(col, raw)
		}, nil
	}
	elem, err := s.elemSetter(col, values)
	if err != nil {
		return nil, err
	}
	return func(i int) error {
		lo, hi := offsets(i)
		s.b.SetNull(col) // an empty list is null
		for j := int(lo); j < int(hi); j++ {
			if values.IsNull(j) {
				continue
			}
			if err := elem(j); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func toMillis(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000
	case arrow.Microsecond:
		return v / 1000
	case arrow.Nanosecond:
		return v / 1_000_000
	}
	return v
}

func (s *parquetSource) bytesRead() int64 { return s.read }
func (s *parquetSource) rowUnit() bool    { return true }

func (s *parquetSource) close() error {
	if s.rr != nil {
		s.rr.Release()
	}
	return s.pf.Close()
}
