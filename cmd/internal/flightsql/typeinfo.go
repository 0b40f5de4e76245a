package flightsql

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"

	"github.com/tannin-db/tannin/schema"
)

// GetXdbcTypeInfo: the SQL types a Tannin column can have. The Flight SQL
// ODBC driver answers SQLGetTypeInfo with it (arrow-java's JDBC driver,
// in mid-2026, answers getTypeInfo empty without asking). Each row is named
// after Pinot's type name, which is also the TYPE_NAME column metadata of
// every result and table column (arrow.go), so a tool can join a column to
// its type by name. data_type is the java.sql.Types / XDBC code of the
// column's Arrow type; the two code sets agree on every type Tannin has
// except BOOLEAN and ARRAY, which XDBC lacks and which take JDBC's codes
// (the Flight SQL JDBC driver reports bool and list columns as BOOLEAN and
// ARRAY in getColumns).

// XDBC / java.sql.Types codes of Tannin's types.
const (
	xdbcDecimal   = 3
	xdbcInteger   = 4
	xdbcReal      = 7
	xdbcDouble    = 8
	xdbcDatetime  = 9 // sql_data_type of every datetime type
	xdbcVarchar   = 12
	xdbcBoolean   = 16
	xdbcTimestamp = 93
	xdbcVarbinary = -3
	xdbcBigint    = -5
	xdbcArray     = 2003

	xdbcSubcodeTimestamp = 3
)

// searchable is FlightSql.proto's Searchable enum: how a type can be
// used in a WHERE clause.
type searchable int32

const (
	searchableBasic searchable = 2 // every comparison but LIKE
	searchableFull  searchable = 3 // comparisons and LIKE
)

// nullabilityNullable is FlightSql.proto's Nullable NULLABILITY_NULLABLE.
const nullabilityNullable = 1

// typeInfo is one row of GetXdbcTypeInfo; nil pointers are nulls.
type typeInfo struct {
	name          string
	dataType      int32
	columnSize    *int32
	literalPrefix *string // and suffix: the same quote
	caseSensitive bool
	searchable    searchable
	numeric       bool // unsigned_attribute and auto_increment are false, not null
	minScale      *int32
	maxScale      *int32
	radix         *int32
}

func ptr[T any](v T) *T { return &v }

// baseTypeInfo describes single-value columns of type t.
//
// column_size follows the spec: decimal digits for exact numerics, bits
// for approximate ones (num_prec_radix 2), characters for the string
// form of a timestamp ("2006-01-02 15:04:05.000"), and the largest length
// an Arrow utf8/binary value can have for strings and bytes. BIG_DECIMAL
// values are exact decimal text of any precision and scale, so its size
// and scales are null (unbounded), not a made-up limit.
//
// Searchability is what the engine answers in a WHERE clause: comparisons
// on every type, LIKE on the character types (the literal is quoted for
// those, for BYTES, whose literals are hex strings, and for TIMESTAMP,
// which also compares with a quoted date-time).
func baseTypeInfo(t schema.DataType) typeInfo {
	quote := ptr("'")
	ti := typeInfo{name: t.String(), searchable: searchableBasic}
	switch t {
	case schema.TypeInt:
		ti.dataType, ti.columnSize, ti.numeric = xdbcInteger, ptr[int32](10), true
		ti.minScale, ti.maxScale, ti.radix = ptr[int32](0), ptr[int32](0), ptr[int32](10)
	case schema.TypeLong:
		ti.dataType, ti.columnSize, ti.numeric = xdbcBigint, ptr[int32](19), true
		ti.minScale, ti.maxScale, ti.radix = ptr[int32](0), ptr[int32](0), ptr[int32](10)
	case schema.TypeFloat:
		ti.dataType, ti.columnSize, ti.numeric, ti.radix = xdbcReal, ptr[int32](24), true, ptr[int32](2)
	case schema.TypeDouble:
		ti.dataType, ti.columnSize, ti.numeric, ti.radix = xdbcDouble, ptr[int32](53), true, ptr[int32](2)
	case schema.TypeBigDecimal:
		ti.dataType, ti.numeric, ti.radix = xdbcDecimal, true, ptr[int32](10)
	case schema.TypeBoolean:
		ti.dataType, ti.columnSize = xdbcBoolean, ptr[int32](1)
	case schema.TypeTimestamp:
		ti.dataType, ti.columnSize, ti.literalPrefix = xdbcTimestamp, ptr[int32](23), quote
		// Milliseconds: three fractional digits.
		ti.minScale, ti.maxScale = ptr[int32](3), ptr[int32](3)
	case schema.TypeString, schema.TypeJSON:
		ti.dataType, ti.columnSize, ti.literalPrefix = xdbcVarchar, ptr[int32](math.MaxInt32), quote
		ti.caseSensitive, ti.searchable = true, searchableFull
	case schema.TypeBytes:
		ti.dataType, ti.columnSize, ti.literalPrefix = xdbcVarbinary, ptr[int32](math.MaxInt32), quote
	default:
		panic("BUG: no XDBC type info for " + t.String())
	}
	return ti
}

// typeInfos lists the types of every column Tannin can have, single- and
// multi-value (JSON columns are single-value only), sorted by data_type
// then type_name as the spec requires.
func typeInfos() []typeInfo {
	var out []typeInfo
	for t := schema.TypeInt; t <= schema.TypeBytes; t++ {
		base := baseTypeInfo(t)
		out = append(out, base)
		if t == schema.TypeJSON {
			continue
		}
		// A multi-value column is a list: it has no size or literal of its
		// own, and a predicate on it matches when one of its values does,
		// so it is as searchable as its element type.
		out = append(out, typeInfo{
			name:          base.name + "_ARRAY",
			dataType:      xdbcArray,
			caseSensitive: base.caseSensitive,
			searchable:    base.searchable,
		})
	}
	slices.SortFunc(out, func(a, b typeInfo) int {
		return cmp.Or(cmp.Compare(a.dataType, b.dataType), cmp.Compare(a.name, b.name))
	})
	return out
}

// GetFlightInfoXdbcTypeInfo describes the type list; the ticket is the
// command, filter included.
func (s *Server) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return flightInfo(desc, schema_ref.XdbcTypeInfo, desc.Cmd, s.mem), nil
}

// DoGetXdbcTypeInfo streams the types, only those of the requested
// data_type when the command names one (none when no type has it).
func (s *Server) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	filter := cmd.GetDataType()
	rec, err := s.buildRecord(schema_ref.XdbcTypeInfo, func(b *array.RecordBuilder) error {
		for _, ti := range typeInfos() {
			if filter != nil && *filter != ti.dataType {
				continue
			}
			appendTypeInfo(b, &ti)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return schema_ref.XdbcTypeInfo, oneBatch(rec), nil
}

// appendTypeInfo appends one row in schema_ref.XdbcTypeInfo's column
// order.
func appendTypeInfo(b *array.RecordBuilder, ti *typeInfo) {
	str := func(i int, v *string) {
		sb := b.Field(i).(*array.StringBuilder)
		if v == nil {
			sb.AppendNull()
		} else {
			sb.Append(*v)
		}
	}
	i32 := func(i int, v *int32) {
		ib := b.Field(i).(*array.Int32Builder)
		if v == nil {
			ib.AppendNull()
		} else {
			ib.Append(*v)
		}
	}
	boolean := func(i int, v *bool) {
		bb := b.Field(i).(*array.BooleanBuilder)
		if v == nil {
			bb.AppendNull()
		} else {
			bb.Append(*v)
		}
	}
	var numericFlag *bool // false for numbers, null where not applicable
	if ti.numeric {
		numericFlag = ptr(false)
	}
	sqlDataType, subcode := ti.dataType, (*int32)(nil)
	if ti.dataType == xdbcTimestamp {
		// Datetime types report the generic code with a subcode.
		sqlDataType, subcode = xdbcDatetime, ptr[int32](xdbcSubcodeTimestamp)
	}
	str(0, &ti.name)
	b.Field(1).(*array.Int32Builder).Append(ti.dataType)
	i32(2, ti.columnSize)
	str(3, ti.literalPrefix)
	str(4, ti.literalPrefix)
	b.Field(5).AppendNull() // create_params: Tannin's SQL has no DDL
	b.Field(6).(*array.Int32Builder).Append(nullabilityNullable)
	b.Field(7).(*array.BooleanBuilder).Append(ti.caseSensitive)
	b.Field(8).(*array.Int32Builder).Append(int32(ti.searchable))
	boolean(9, numericFlag)                           // unsigned_attribute
	b.Field(10).(*array.BooleanBuilder).Append(false) // fixed_prec_scale: no money types
	boolean(11, numericFlag)                          // auto_increment
	str(12, nil)                                      // local_type_name
	i32(13, ti.minScale)
	i32(14, ti.maxScale)
	b.Field(15).(*array.Int32Builder).Append(sqlDataType)
	i32(16, subcode)
	i32(17, ti.radix)
	i32(18, nil) // interval_precision
}
