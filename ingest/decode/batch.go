package decode

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/tannin-db/tannin/query/fn"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// DefaultBatchSize is the number of rows a Batch holds unless told
// otherwise: large enough to amortise a transform call, small enough to
// stay in cache.
const DefaultBatchSize = 4096

// kind is the JSON type of one value of a dynamically typed input column.
type kind uint8

const (
	kindNull kind = iota
	kindInt
	kindFloat
	kindBool
	kindString
)

// Column is one column of a Batch: a schema field, or an input field that
// only transforms read.
type Column struct {
	// Spec describes the column; for an input field it is synthesised, its
	// DataType STRING for a dynamically typed field.
	Spec *schema.FieldSpec
	// Input marks a field outside the schema, kept for transforms.
	Input bool

	dynamic bool // typed per value (JSON input fields)
	st      schema.Storage
	mv      bool
	maxLen  int
	timeFmt *fn.TimeFormat // SIMPLE_DATE_FORMAT date-time fields

	// Single-value columns hold one slot per row; multi-value columns
	// append values and delimit rows with offsets.
	ints    []int64
	floats  []float64
	strs    []string
	nulls   []bool
	offsets []uint32
	kinds   []kind // dynamic columns

	// set is the generation of the row that last set this column.
	set uint64

	defInt   int64
	defFloat float64
	defStr   string

	intern   interner
	v        vec.Vector
	pv       vec.Vector      // parsedVector
	lastType schema.DataType // dynamic: type of the last non-empty batch
}

// Name is the column's name.
func (c *Column) Name() string { return c.Spec.Name }

type rowState uint8

const (
	rowKeep rowState = iota
	rowFailed
	rowFiltered
)

// Failure is a row rejected after decoding (by a transform, or by a
// transform result that does not convert to the column's type).
type Failure struct {
	Row int
	Pos int64
	Err *Error
}

// Batch is a columnar buffer of up to Cap decoded records, converted to the
// schema's types. Decoders fill it a row at a time:
//
//	b.BeginRow(line)
//	err := b.SetText(col, text) // ... one call per field
//	if err != nil { b.AbortRow() } else { b.EndRow() }
//
// Columns a row does not set are null: they hold the field's default null
// value and are marked in the column's null flags. Then a Transformer may
// derive columns and drop rows, and AppendRows moves the surviving rows to
// a segment builder's column buffers. A Batch is reused from batch to batch
// (Reset); it is not safe for concurrent use.
//
// Strings are copied out of the decoder's input into memory the Batch
// manages: values seen before are shared (interned per column) and new ones
// are packed into large chunks, so decoding does not allocate per value.
type Batch struct {
	schema    *schema.Schema
	numSchema int
	cols      []*Column
	byName    map[string]int

	n     int
	gen   uint64
	pos   []int64
	state []rowState
	fails []Failure
	sel   []uint32

	arena, internArena arena
	jsonBuf            bytes.Buffer
	scratch            []byte
	tsFmt              *fn.TimeFormat
}

// NewBatch returns an empty batch for the fields of s holding up to
// capacity rows (DefaultBatchSize when capacity <= 0).
func NewBatch(s *schema.Schema, capacity int) (*Batch, error) {
	if capacity <= 0 {
		capacity = DefaultBatchSize
	}
	ts, err := fn.ParseTimeFormat("TIMESTAMP")
	if err != nil {
		return nil, fmt.Errorf("BUG: TIMESTAMP format: %w", err)
	}
	b := &Batch{
		schema:    s,
		numSchema: len(s.Fields),
		byName:    make(map[string]int, len(s.Fields)),
		pos:       make([]int64, capacity),
		state:     make([]rowState, capacity),
		tsFmt:     ts,
	}
	for i := range s.Fields {
		f := &s.Fields[i]
		c := newColumn(f, capacity)
		if f.FieldType == schema.FieldDateTime && f.Format != "" {
			tf, err := fn.ParseTimeFormat(f.Format)
			if err != nil {
				return nil, fmt.Errorf("date-time field %q: %w", f.Name, err)
			}
			if tf.Kind() == fn.FormatSimpleDate {
				c.timeFmt = tf
			}
		}
		b.byName[f.Name] = len(b.cols)
		b.cols = append(b.cols, c)
	}
	return b, nil
}

func newColumn(f *schema.FieldSpec, capacity int) *Column {
	c := &Column{Spec: f, st: f.DataType.Storage(), mv: !f.SingleValue, maxLen: f.EffectiveMaxLength()}
	c.intern.init()
	switch v := f.DefaultNull.(type) {
	case int64:
		c.defInt = v
	case float64:
		c.defFloat = v
	case string:
		c.defStr = v
	default:
		d := schema.DefaultNullValue(f.FieldType, f.DataType)
		switch v := d.(type) {
		case int64:
			c.defInt = v
		case float64:
			c.defFloat = v
		case string:
			c.defStr = v
		}
	}
	c.nulls = make([]bool, capacity)
	if c.mv {
		c.offsets = make([]uint32, 1, capacity+1)
		return c
	}
	switch c.st {
	case schema.StorageInt64:
		c.ints = make([]int64, capacity)
	case schema.StorageFloat64:
		c.floats = make([]float64, capacity)
	default:
		c.strs = make([]string, capacity)
	}
	return c
}

// AddInput adds an input field outside the schema that transforms read,
// of type t, or dynamically typed per value when t is schema.TypeInvalid
// (JSON: a number is a LONG or a DOUBLE, a string a STRING, true/false a
// BOOLEAN; the batch's vector takes the widest type seen). It returns the
// column's index; a name already present returns the existing column.
func (b *Batch) AddInput(name string, t schema.DataType) int {
	if i, ok := b.byName[name]; ok {
		return i
	}
	dynamic := t == schema.TypeInvalid
	if dynamic {
		t = schema.TypeString
	}
	f := &schema.FieldSpec{Name: name, FieldType: schema.FieldDimension, DataType: t, SingleValue: true,
		DefaultNull: schema.DefaultNullValue(schema.FieldDimension, t)}
	capacity := len(b.pos)
	c := newColumn(f, capacity)
	c.Input = true
	if dynamic {
		c.dynamic = true
		c.ints = make([]int64, capacity)
		c.floats = make([]float64, capacity)
		c.strs = make([]string, capacity)
		c.kinds = make([]kind, capacity)
	}
	b.byName[name] = len(b.cols)
	b.cols = append(b.cols, c)
	return len(b.cols) - 1
}

// Col returns the index of the column named name (exactly), or -1.
func (b *Batch) Col(name string) int {
	if i, ok := b.byName[name]; ok {
		return i
	}
	return -1
}

// Column returns column i.
func (b *Batch) Column(i int) *Column { return b.cols[i] }

// NumColumns is the number of columns: the schema's fields, then inputs.
func (b *Batch) NumColumns() int { return len(b.cols) }

// Schema is the batch's output schema.
func (b *Batch) Schema() *schema.Schema { return b.schema }

// Len is the number of rows decoded so far.
func (b *Batch) Len() int { return b.n }

// Cap is the number of rows the batch holds.
func (b *Batch) Cap() int { return len(b.pos) }

// Full reports that no more rows fit.
func (b *Batch) Full() bool { return b.n == len(b.pos) }

// Pos is the input position (a line or row number) of row i.
func (b *Batch) Pos(i int) int64 { return b.pos[i] }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	clear(b.state[:b.n])
	b.n = 0
	b.fails = b.fails[:0]
	for _, c := range b.cols {
		if c.mv {
			c.offsets = c.offsets[:1]
			c.ints, c.floats, c.strs = c.ints[:0], c.floats[:0], c.strs[:0]
		}
	}
}

// BeginRow starts row Len() read at input position pos.
func (b *Batch) BeginRow(pos int64) {
	if b.n == len(b.pos) {
		panic("BUG: BeginRow on a full batch")
	}
	b.gen++
	b.pos[b.n] = pos
}

// AbortRow discards the row being built.
func (b *Batch) AbortRow() {
	b.gen++
	for _, c := range b.cols {
		if c.mv {
			end := int(c.offsets[b.n])
			switch c.st {
			case schema.StorageInt64:
				c.ints = c.ints[:end]
			case schema.StorageFloat64:
				c.floats = c.floats[:end]
			default:
				c.strs = c.strs[:end]
			}
		}
	}
}

// EndRow completes the row: columns it did not set become null.
func (b *Batch) EndRow() {
	row := b.n
	for _, c := range b.cols {
		if c.mv {
			start := c.offsets[row]
			if c.set != b.gen || c.mvLen() == int(start) {
				c.appendDefault()
				c.nulls[row] = true
			} else {
				c.nulls[row] = false
			}
			c.offsets = append(c.offsets, uint32(c.mvLen()))
			continue
		}
		if c.set != b.gen {
			c.putNull(row)
		}
	}
	b.n++
}

func (c *Column) mvLen() int {
	switch c.st {
	case schema.StorageInt64:
		return len(c.ints)
	case schema.StorageFloat64:
		return len(c.floats)
	}
	return len(c.strs)
}

func (c *Column) appendDefault() {
	switch c.st {
	case schema.StorageInt64:
		c.ints = append(c.ints, c.defInt)
	case schema.StorageFloat64:
		c.floats = append(c.floats, c.defFloat)
	default:
		c.strs = append(c.strs, c.defStr)
	}
}

func (c *Column) putNull(row int) {
	if c.dynamic {
		c.kinds[row] = kindNull
	} else {
		switch c.st {
		case schema.StorageInt64:
			c.ints[row] = c.defInt
		case schema.StorageFloat64:
			c.floats[row] = c.defFloat
		default:
			c.strs[row] = c.defStr
		}
	}
	c.nulls[row] = true
}

func (c *Column) putInt(row int, gen uint64, v int64) {
	c.set = gen
	if c.mv {
		c.ints = append(c.ints, v)
		return
	}
	c.ints[row] = v
	c.nulls[row] = false
}

func (c *Column) putFloat(row int, gen uint64, v float64) {
	if math.IsNaN(v) { // Pinot's SpecialValueTransformer: NaN is null
		if !c.mv {
			c.set = gen
			c.putNull(row)
		}
		return
	}
	if v == 0 {
		v = 0 // -0.0 becomes 0.0, as Pinot stores it
	}
	c.set = gen
	if c.mv {
		c.floats = append(c.floats, v)
		return
	}
	c.floats[row] = v
	c.nulls[row] = false
}

func (c *Column) putStr(row int, gen uint64, v string) {
	c.set = gen
	if c.mv {
		c.strs = append(c.strs, v)
		return
	}
	c.strs[row] = v
	c.nulls[row] = false
}

func (c *Column) putDynamic(row int, gen uint64, k kind) {
	c.set = gen
	c.kinds[row] = k
	c.nulls[row] = false
}

// SetNull sets column col of the current row to null.
func (b *Batch) SetNull(col int) {
	c := b.cols[col]
	if c.mv {
		c.set = b.gen // an explicit null: no values, hence null at EndRow
		return
	}
	c.set = b.gen
	c.putNull(b.n)
}

// SetText sets column col of the current row (or appends a value to a
// multi-value column) from text: CSV fields and JSON strings.
func (b *Batch) SetText(col int, text []byte) error {
	if err := b.setText(b.cols[col], b.n, text); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setText(c *Column, row int, text []byte) *Error {
	if c.dynamic {
		c.strs[row] = b.str(c, text)
		c.putDynamic(row, b.gen, kindString)
		return nil
	}
	f := c.Spec
	switch f.DataType {
	case schema.TypeInt, schema.TypeLong:
		v, ok := parseInt(text)
		if !ok {
			if c.timeFmt == nil {
				return valueError(ReasonBadNumber, f.Name, text, "not %s %v", article(f.DataType), f.DataType)
			}
			ms, err := c.timeFmt.ToMillis(unsafeString(text))
			if err != nil {
				return valueError(ReasonBadTime, f.Name, text, "not a time in format %q", c.timeFmt.String())
			}
			v = ms
		}
		if f.DataType == schema.TypeInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return valueError(ReasonBadNumber, f.Name, text, "out of INT range")
		}
		c.putInt(row, b.gen, v)
	case schema.TypeTimestamp:
		v, ok := parseInt(text)
		if !ok {
			tf := b.tsFmt
			if c.timeFmt != nil {
				tf = c.timeFmt
			}
			ms, err := tf.ToMillis(unsafeString(text))
			if err != nil {
				return valueError(ReasonBadTime, f.Name, text, "not a timestamp (epoch millis, yyyy-MM-dd HH:mm:ss[.SSS] or ISO-8601)")
			}
			v = ms
		}
		c.putInt(row, b.gen, v)
	case schema.TypeBoolean:
		v, ok := parseBool(text)
		if !ok {
			return valueError(ReasonBadBoolean, f.Name, text, "not a BOOLEAN (true, false, 1 or 0)")
		}
		c.putInt(row, b.gen, b2i(v))
	case schema.TypeFloat, schema.TypeDouble:
		bits := 64
		if f.DataType == schema.TypeFloat {
			bits = 32
		}
		v, ok := parseFloat(text, bits)
		if !ok {
			return valueError(ReasonBadNumber, f.Name, text, "not %s %v", article(f.DataType), f.DataType)
		}
		c.putFloat(row, b.gen, v)
	case schema.TypeBigDecimal:
		t := trimSpace(text)
		if !isDecimal(t) {
			return valueError(ReasonBadDecimal, f.Name, text, "not a BIG_DECIMAL")
		}
		c.putStr(row, b.gen, b.str(c, t))
	case schema.TypeBytes:
		n := hex.DecodedLen(len(text))
		if len(text)%2 != 0 {
			return valueError(ReasonBadBytes, f.Name, text, "not hex-encoded BYTES (odd length)")
		}
		if cap(b.scratch) < n {
			b.scratch = make([]byte, n, 2*n)
		}
		b.scratch = b.scratch[:n]
		if _, err := hex.Decode(b.scratch, text); err != nil {
			return valueError(ReasonBadBytes, f.Name, text, "not hex-encoded BYTES")
		}
		c.putStr(row, b.gen, b.str(c, sanitizeBytes(b.scratch, c.maxLen)))
	case schema.TypeJSON:
		c.putStr(row, b.gen, b.str(c, text))
	default: // STRING
		if c.timeFmt != nil {
			if _, err := c.timeFmt.ToMillis(unsafeString(text)); err != nil {
				return valueError(ReasonBadTime, f.Name, text, "not a time in format %q", c.timeFmt.String())
			}
		}
		c.putStr(row, b.gen, b.str(c, sanitize(text, c.maxLen)))
	}
	return nil
}

func sanitizeBytes(b []byte, maxLen int) []byte {
	if len(b) > maxLen {
		return b[:maxLen]
	}
	return b
}

func article(t schema.DataType) string {
	if t == schema.TypeInt {
		return "an"
	}
	return "a"
}

func b2i(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// SetNumber sets column col of the current row from the text of a JSON
// number (already checked against JSON's number grammar).
func (b *Batch) SetNumber(col int, text []byte) error {
	if err := b.setNumber(b.cols[col], b.n, text); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setNumber(c *Column, row int, text []byte) *Error {
	if c.dynamic {
		if isIntegerLiteral(text) {
			if v, ok := parseInt(text); ok {
				c.ints[row] = v
				c.putDynamic(row, b.gen, kindInt)
				return nil
			}
		}
		v, ok := parseFloat(text, 64)
		if !ok {
			return valueError(ReasonBadNumber, c.Spec.Name, text, "not a number")
		}
		c.floats[row] = v
		c.putDynamic(row, b.gen, kindFloat)
		return nil
	}
	f := c.Spec
	switch f.DataType {
	case schema.TypeInt, schema.TypeLong, schema.TypeTimestamp:
		v, ok := int64(0), false
		if isIntegerLiteral(text) {
			v, ok = parseInt(text)
			if ok && f.DataType == schema.TypeInt && (v < math.MinInt32 || v > math.MaxInt32) {
				return valueError(ReasonBadNumber, f.Name, text, "out of INT range")
			}
		}
		if !ok {
			x, fok := parseFloat(text, 64)
			if !fok {
				return valueError(ReasonBadNumber, f.Name, text, "not %s %v", article(f.DataType), f.DataType)
			}
			if f.DataType == schema.TypeInt {
				v = javaF64ToI32(x)
			} else {
				v = javaF64ToI64(x)
			}
		}
		c.putInt(row, b.gen, v)
	case schema.TypeBoolean:
		x, ok := parseFloat(text, 64)
		if !ok {
			return valueError(ReasonBadBoolean, f.Name, text, "not a BOOLEAN")
		}
		c.putInt(row, b.gen, b2i(x != 0))
	case schema.TypeFloat, schema.TypeDouble:
		return b.setText(c, row, text)
	case schema.TypeBytes:
		return valueError(ReasonTypeMismatch, f.Name, text, "a number is not BYTES")
	default: // STRING, JSON, BIG_DECIMAL keep the number's text
		return b.setText(c, row, text)
	}
	return nil
}

// SetBool sets column col of the current row from a boolean.
func (b *Batch) SetBool(col int, v bool) error {
	if err := b.setBool(b.cols[col], b.n, v); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setBool(c *Column, row int, v bool) *Error {
	if c.dynamic {
		c.ints[row] = b2i(v)
		c.putDynamic(row, b.gen, kindBool)
		return nil
	}
	f := c.Spec
	switch f.DataType {
	case schema.TypeInt, schema.TypeLong, schema.TypeBoolean:
		c.putInt(row, b.gen, b2i(v))
	case schema.TypeFloat, schema.TypeDouble:
		c.putFloat(row, b.gen, float64(b2i(v)))
	case schema.TypeString, schema.TypeJSON:
		c.putStr(row, b.gen, strconv.FormatBool(v))
	case schema.TypeBigDecimal:
		c.putStr(row, b.gen, strconv.FormatInt(b2i(v), 10))
	default:
		return valueError(ReasonTypeMismatch, f.Name, []byte(strconv.FormatBool(v)), "a boolean is not %s %v", article(f.DataType), f.DataType)
	}
	return nil
}

// SetInt64 sets column col of the current row from an integer (typed input
// such as Parquet).
func (b *Batch) SetInt64(col int, v int64) error {
	if err := b.setInt64(b.cols[col], b.n, v); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setInt64(c *Column, row int, v int64) *Error {
	if c.dynamic {
		c.ints[row] = v
		c.putDynamic(row, b.gen, kindInt)
		return nil
	}
	f := c.Spec
	switch f.DataType {
	case schema.TypeInt:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return valueError(ReasonBadNumber, f.Name, strconv.AppendInt(nil, v, 10), "out of INT range")
		}
		c.putInt(row, b.gen, v)
	case schema.TypeLong, schema.TypeTimestamp:
		c.putInt(row, b.gen, v)
	case schema.TypeBoolean:
		c.putInt(row, b.gen, b2i(v != 0))
	case schema.TypeFloat, schema.TypeDouble:
		c.putFloat(row, b.gen, float64(v))
	case schema.TypeBytes:
		return valueError(ReasonTypeMismatch, f.Name, strconv.AppendInt(nil, v, 10), "a number is not BYTES")
	default:
		b.scratch = strconv.AppendInt(b.scratch[:0], v, 10)
		return b.setText(c, row, b.scratch)
	}
	return nil
}

// SetFloat64 sets column col of the current row from a floating-point
// number (typed input such as Parquet).
func (b *Batch) SetFloat64(col int, v float64) error {
	if err := b.setFloat64(b.cols[col], b.n, v); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setFloat64(c *Column, row int, v float64) *Error {
	if c.dynamic {
		c.floats[row] = v
		c.putDynamic(row, b.gen, kindFloat)
		return nil
	}
	f := c.Spec
	switch f.DataType {
	case schema.TypeInt:
		c.putInt(row, b.gen, javaF64ToI32(v))
	case schema.TypeLong, schema.TypeTimestamp:
		c.putInt(row, b.gen, javaF64ToI64(v))
	case schema.TypeBoolean:
		c.putInt(row, b.gen, b2i(v != 0))
	case schema.TypeFloat:
		c.putFloat(row, b.gen, float64(float32(v)))
	case schema.TypeDouble:
		c.putFloat(row, b.gen, v)
	case schema.TypeBytes:
		return valueError(ReasonTypeMismatch, f.Name, strconv.AppendFloat(nil, v, 'g', -1, 64), "a number is not BYTES")
	default:
		if math.IsNaN(v) {
			c.set = b.gen
			c.putNull(row)
			return nil
		}
		b.scratch = strconv.AppendFloat(b.scratch[:0], v, 'f', -1, 64)
		return b.setText(c, row, b.scratch)
	}
	return nil
}

// SetBinary sets column col of the current row from raw bytes: BYTES
// columns take them as they are, other columns read them as text.
func (b *Batch) SetBinary(col int, v []byte) error {
	c := b.cols[col]
	if !c.dynamic && c.Spec.DataType == schema.TypeBytes {
		c.putStr(b.n, b.gen, b.str(c, sanitizeBytes(v, c.maxLen)))
		return nil
	}
	if err := b.setText(c, b.n, v); err != nil {
		return err
	}
	return nil
}

// SetRawJSON sets column col of the current row from a JSON object or
// array: JSON and STRING columns keep its compact text, other types reject
// it.
func (b *Batch) SetRawJSON(col int, raw []byte) error {
	if err := b.setRawJSON(b.cols[col], raw); err != nil {
		return err
	}
	return nil
}

func (b *Batch) setRawJSON(c *Column, raw []byte) *Error {
	if !c.dynamic && c.st != schema.StorageString {
		return valueError(ReasonTypeMismatch, c.Spec.Name, raw, "a JSON %s is not %s %v", jsonKind(raw), article(c.Spec.DataType), c.Spec.DataType)
	}
	if !c.dynamic && c.Spec.DataType == schema.TypeBigDecimal {
		return valueError(ReasonTypeMismatch, c.Spec.Name, raw, "a JSON %s is not a BIG_DECIMAL", jsonKind(raw))
	}
	b.jsonBuf.Reset()
	if err := compactJSON(&b.jsonBuf, raw); err != nil {
		return &Error{Reason: ReasonMalformedJSON, Column: c.Spec.Name, Value: clip(raw), HasValue: true, Err: err}
	}
	text := b.jsonBuf.Bytes()
	if c.dynamic {
		c.strs[b.n] = b.str(c, text)
		c.putDynamic(b.n, b.gen, kindString)
		return nil
	}
	if c.Spec.DataType == schema.TypeString {
		text = sanitize(text, c.maxLen)
	}
	c.putStr(b.n, b.gen, b.str(c, text))
	return nil
}

func jsonKind(raw []byte) string {
	if len(raw) > 0 && raw[0] == '[' {
		return "array"
	}
	return "object"
}

// Fail rejects row i after decoding.
func (b *Batch) Fail(i int, err *Error) {
	if b.state[i] != rowKeep {
		return
	}
	b.state[i] = rowFailed
	b.fails = append(b.fails, Failure{Row: i, Pos: b.pos[i], Err: err})
}

// Drop removes row i as filtered out by filterConfig.
func (b *Batch) Drop(i int) {
	if b.state[i] == rowKeep {
		b.state[i] = rowFiltered
	}
}

// Kept reports whether row i is still to be written.
func (b *Batch) Kept(i int) bool { return b.state[i] == rowKeep }

// Failures lists the rows rejected after decoding, by row.
func (b *Batch) Failures() []Failure { return b.fails }

// Filtered counts the rows dropped by the filter.
func (b *Batch) Filtered() int {
	n := 0
	for _, s := range b.state[:b.n] {
		if s == rowFiltered {
			n++
		}
	}
	return n
}

// Selection returns the rows still to be written, ascending. The slice is
// reused by the next call.
func (b *Batch) Selection() []uint32 {
	b.sel = b.sel[:0]
	for i, s := range b.state[:b.n] {
		if s == rowKeep {
			b.sel = append(b.sel, uint32(i))
		}
	}
	return b.sel
}

// Vector returns the values of single-value column col for the batch's
// rows, as transforms read them. The vector is owned by the batch and valid
// until the batch changes.
func (b *Batch) Vector(col int) *vec.Vector {
	c := b.cols[col]
	n := b.n
	if c.dynamic {
		return b.dynamicVector(c)
	}
	v := &c.v
	v.Type = c.Spec.DataType
	v.I64, v.F64, v.Str = nil, nil, nil
	switch c.st {
	case schema.StorageInt64:
		v.I64 = c.ints[:n]
	case schema.StorageFloat64:
		v.F64 = c.floats[:n]
	default:
		v.Str = c.strs[:n]
	}
	v.Nulls = nil
	for _, isNull := range c.nulls[:n] {
		if isNull {
			v.Nulls = c.nulls[:n]
			break
		}
	}
	return v
}

// isTextInput reports whether col is an input field of text, such as a CSV
// field outside the schema.
func (b *Batch) isTextInput(col int) bool {
	c := b.cols[col]
	return c.Input && !c.dynamic && c.Spec.DataType == schema.TypeString
}

// textNumberType is the number type the values of text column col fit:
// LONG when each is an integer (or empty), else DOUBLE.
func (b *Batch) textNumberType(col int) schema.DataType {
	c := b.cols[col]
	for i, s := range c.strs[:b.n] {
		if c.nulls[i] || s == "" {
			continue
		}
		if _, ok := parseInt(unsafeBytes(s)); !ok {
			return schema.TypeDouble
		}
	}
	return schema.TypeLong
}

// parsedVector reads text column col as numbers of type t (LONG or
// DOUBLE) for an expression that wants numbers. Rows whose text is not
// such a number are failed; empty text is null.
func (b *Batch) parsedVector(col int, t schema.DataType) *vec.Vector {
	c := b.cols[col]
	v := &c.pv
	v.Reset(t, b.n)
	for i, s := range c.strs[:b.n] {
		if c.nulls[i] || s == "" {
			v.SetNull(i)
			continue
		}
		if t == schema.TypeLong {
			if x, ok := parseInt(unsafeBytes(s)); ok {
				v.I64[i] = x
				continue
			}
		} else if x, ok := parseFloat(unsafeBytes(s), 64); ok {
			v.F64[i] = x
			continue
		}
		v.SetNull(i)
		b.Fail(i, valueError(ReasonBadNumber, c.Spec.Name, unsafeBytes(s), "not %s %v", article(t), t))
	}
	return v
}

// VectorType is the type Vector(col) will have for the current rows.
func (b *Batch) VectorType(col int) schema.DataType {
	c := b.cols[col]
	if c.dynamic {
		return b.dynamicType(c)
	}
	return c.Spec.DataType
}

func (b *Batch) dynamicType(c *Column) schema.DataType {
	var seen [kindString + 1]bool
	for i, k := range c.kinds[:b.n] {
		if !c.nulls[i] {
			seen[k] = true
		}
	}
	var t schema.DataType
	switch {
	case seen[kindString]:
		t = schema.TypeString
	case seen[kindFloat]:
		t = schema.TypeDouble
	case seen[kindInt]:
		t = schema.TypeLong
	case seen[kindBool]:
		t = schema.TypeBoolean
	default:
		t = c.lastType
		if t == schema.TypeInvalid {
			t = schema.TypeString
		}
		return t
	}
	c.lastType = t
	return t
}

func (b *Batch) dynamicVector(c *Column) *vec.Vector {
	t := b.dynamicType(c)
	n := b.n
	v := &c.v
	v.Reset(t, n)
	v.Nulls = nil
	for i := 0; i < n; i++ {
		k := c.kinds[i]
		if c.nulls[i] || k == kindNull {
			v.SetNull(i)
			continue
		}
		switch t {
		case schema.TypeLong, schema.TypeBoolean:
			v.I64[i] = c.ints[i]
		case schema.TypeDouble:
			if k == kindFloat {
				v.F64[i] = c.floats[i]
			} else {
				v.F64[i] = float64(c.ints[i])
			}
		default:
			switch k {
			case kindString:
				v.Str[i] = c.strs[i]
			case kindInt:
				v.Str[i] = strconv.FormatInt(c.ints[i], 10)
			case kindFloat:
				v.Str[i] = strconv.FormatFloat(c.floats[i], 'g', -1, 64)
			case kindBool:
				v.Str[i] = strconv.FormatBool(c.ints[i] != 0)
			}
		}
	}
	return v
}

// IsNull reports whether column col of row i is null (absent from the
// input, null, or without a value a transform could derive).
func (b *Batch) IsNull(col, i int) bool { return b.cols[col].nulls[i] }

// HasNulls reports whether any kept row of column col is null.
func (b *Batch) HasNulls(col int) bool {
	c := b.cols[col]
	for i, isNull := range c.nulls[:b.n] {
		if isNull && b.state[i] == rowKeep {
			return true
		}
	}
	return false
}

// Assign fills the null rows of single-value column col from v (a
// transform's result), converting to the column's type. Rows whose result
// does not convert are failed with the conversion's reason; rows where v
// is null stay null.
func (b *Batch) Assign(col int, v *vec.Vector) {
	c := b.cols[col]
	for i := 0; i < b.n; i++ {
		if !c.nulls[i] || b.state[i] != rowKeep || v.IsNull(i) {
			continue
		}
		if err := b.AssignRow(col, i, v, i); err != nil {
			b.Fail(i, err)
		}
	}
}

// AssignRow sets row i of column col from row j of v.
func (b *Batch) AssignRow(col, i int, v *vec.Vector, j int) *Error {
	c := b.cols[col]
	if v.IsNull(j) {
		c.putNull(i)
		return nil
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		if v.Type == schema.TypeBoolean {
			return b.setBool(c, i, v.I64[j] != 0)
		}
		if v.Type == schema.TypeTimestamp && c.st == schema.StorageString && !c.dynamic {
			tf := b.tsFmt
			b.scratch = tf.AppendMillis(b.scratch[:0], v.I64[j])
			return b.setText(c, i, b.scratch)
		}
		return b.setInt64(c, i, v.I64[j])
	case schema.StorageFloat64:
		return b.setFloat64(c, i, v.F64[j])
	case schema.StorageBytes:
		if !c.dynamic && c.Spec.DataType == schema.TypeBytes {
			c.putStr(i, b.gen, b.str(c, unsafeBytes(v.Str[j])))
			return nil
		}
		b.scratch = hex.AppendEncode(b.scratch[:0], unsafeBytes(v.Str[j]))
		return b.setText(c, i, b.scratch)
	default:
		// Text converts as input text does (hex for a BYTES column).
		return b.setText(c, i, unsafeBytes(v.Str[j]))
	}
}

// AppendRows appends the given rows of the schema's columns to dst, where
// dst[i] is the builder buffer of the schema's field i. It returns the
// approximate number of bytes the values take.
func (b *Batch) AppendRows(dst []*segment.ColumnBuffer, rows []uint32) int64 {
	if len(dst) != b.numSchema {
		panic(fmt.Sprintf("BUG: AppendRows with %d buffers for %d fields", len(dst), b.numSchema))
	}
	all := len(rows) == b.n
	var size int64
	for ci, c := range b.cols[:b.numSchema] {
		d := dst[ci]
		base := uint32(d.Len())
		if c.mv {
			size += c.appendMV(d, rows, base)
			continue
		}
		switch c.st {
		case schema.StorageInt64:
			if all {
				d.Ints = append(d.Ints, c.ints[:b.n]...)
			} else {
				for _, r := range rows {
					d.Ints = append(d.Ints, c.ints[r])
				}
			}
			size += int64(len(rows)) * 8
		case schema.StorageFloat64:
			if all {
				d.Floats = append(d.Floats, c.floats[:b.n]...)
			} else {
				for _, r := range rows {
					d.Floats = append(d.Floats, c.floats[r])
				}
			}
			size += int64(len(rows)) * 8
		default:
			if all {
				d.Strs = append(d.Strs, c.strs[:b.n]...)
				for _, s := range c.strs[:b.n] {
					size += int64(len(s))
				}
			} else {
				for _, r := range rows {
					s := c.strs[r]
					d.Strs = append(d.Strs, s)
					size += int64(len(s))
				}
			}
			size += int64(len(rows)) * 16
		}
		for k, r := range rows {
			if c.nulls[r] {
				d.Nulls.Add(base + uint32(k))
			}
		}
	}
	return size
}

func (c *Column) appendMV(d *segment.ColumnBuffer, rows []uint32, base uint32) int64 {
	var size int64
	for k, r := range rows {
		lo, hi := c.offsets[r], c.offsets[r+1]
		switch c.st {
		case schema.StorageInt64:
			d.Ints = append(d.Ints, c.ints[lo:hi]...)
			d.Offsets = append(d.Offsets, uint32(len(d.Ints)))
			size += int64(hi-lo) * 8
		case schema.StorageFloat64:
			d.Floats = append(d.Floats, c.floats[lo:hi]...)
			d.Offsets = append(d.Offsets, uint32(len(d.Floats)))
			size += int64(hi-lo) * 8
		default:
			for _, s := range c.strs[lo:hi] {
				d.Strs = append(d.Strs, s)
				size += int64(len(s)) + 16
			}
			d.Offsets = append(d.Offsets, uint32(len(d.Strs)))
		}
		if c.nulls[r] {
			d.Nulls.Add(base + uint32(k))
		}
		size += 4
	}
	return size
}

// str returns v as a string owned by the batch's memory.
func (b *Batch) str(c *Column, v []byte) string {
	if len(v) == 0 {
		return ""
	}
	it := &c.intern
	if it.on {
		if s, ok := it.m[unsafeString(v)]; ok {
			it.hits++
			return s
		}
		if len(it.m) < internLimit {
			s := b.internArena.copy(v)
			it.m[s] = s
			return s
		}
		it.missesFull++
		if it.missesFull >= internProbe && it.missesFull > it.hits {
			// A high-cardinality column: stop looking values up.
			it.on = false
		}
	}
	return b.arena.copy(v)
}

// internLimit bounds the distinct values interned per column.
const (
	internLimit = 1 << 16
	internProbe = 1 << 12
)

type interner struct {
	m          map[string]string
	on         bool
	hits       int
	missesFull int
}

func (it *interner) init() {
	it.m = make(map[string]string)
	it.on = true
}

// arena packs copied strings into large chunks. A chunk lives as long as
// any string in it.
type arena struct {
	chunk []byte
}

const arenaChunk = 256 << 10

func (a *arena) copy(v []byte) string {
	if cap(a.chunk)-len(a.chunk) < len(v) {
		a.chunk = make([]byte, 0, max(arenaChunk, len(v)))
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, v...)
	return unsafe.String(&a.chunk[off], len(v))
}
