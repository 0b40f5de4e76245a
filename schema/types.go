package schema

import (
	"fmt"
	"strings"
)

// DataType is a column's logical type in Apache Pinot's vocabulary.
type DataType uint8

// The data types of Pinot's FieldSpec that Tannin stores. The zero value is
// invalid so that a forgotten assignment is caught by Validate.
const (
	TypeInvalid DataType = iota
	TypeInt
	TypeLong
	TypeFloat
	TypeDouble
	TypeBigDecimal
	TypeBoolean
	TypeTimestamp
	TypeString
	TypeJSON
	TypeBytes
)

var dataTypeNames = [...]string{
	TypeInvalid:    "INVALID",
	TypeInt:        "INT",
	TypeLong:       "LONG",
	TypeFloat:      "FLOAT",
	TypeDouble:     "DOUBLE",
	TypeBigDecimal: "BIG_DECIMAL",
	TypeBoolean:    "BOOLEAN",
	TypeTimestamp:  "TIMESTAMP",
	TypeString:     "STRING",
	TypeJSON:       "JSON",
	TypeBytes:      "BYTES",
}

// String returns Pinot's name of the type, as used in schema JSON and in
// query responses' columnDataTypes.
func (t DataType) String() string {
	if int(t) < len(dataTypeNames) {
		return dataTypeNames[t]
	}
	return fmt.Sprintf("DataType(%d)", t)
}

// ParseDataType parses Pinot's type name (case-insensitive).
func ParseDataType(s string) (DataType, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for t := TypeInt; t <= TypeBytes; t++ {
		if dataTypeNames[t] == u {
			return t, nil
		}
	}
	return TypeInvalid, fmt.Errorf("unknown data type %q (known: INT, LONG, FLOAT, DOUBLE, BIG_DECIMAL, BOOLEAN, TIMESTAMP, STRING, JSON, BYTES)", s)
}

// Storage is the physical family a type is stored and computed in.
type Storage uint8

const (
	StorageInt64   Storage = iota // INT, LONG, BOOLEAN (0/1), TIMESTAMP (epoch millis)
	StorageFloat64                // FLOAT, DOUBLE
	StorageString                 // STRING, JSON, BIG_DECIMAL (exact decimal text)
	StorageBytes                  // BYTES
)

// Storage returns the physical family of t.
func (t DataType) Storage() Storage {
	switch t {
	case TypeInt, TypeLong, TypeBoolean, TypeTimestamp:
		return StorageInt64
	case TypeFloat, TypeDouble:
		return StorageFloat64
	case TypeBytes:
		return StorageBytes
	default:
		return StorageString
	}
}

// IsNumeric reports whether values of t take part in arithmetic.
func (t DataType) IsNumeric() bool {
	switch t {
	case TypeInt, TypeLong, TypeFloat, TypeDouble, TypeBigDecimal:
		return true
	}
	return false
}

// FieldType is the role of a field in a Pinot schema.
type FieldType uint8

const (
	FieldDimension FieldType = iota
	FieldMetric
	FieldDateTime
)

func (f FieldType) String() string {
	switch f {
	case FieldDimension:
		return "DIMENSION"
	case FieldMetric:
		return "METRIC"
	case FieldDateTime:
		return "DATE_TIME"
	}
	return fmt.Sprintf("FieldType(%d)", f)
}

// FieldSpec describes one column.
type FieldSpec struct {
	Name        string
	FieldType   FieldType
	DataType    DataType
	SingleValue bool
	NotNull     bool
	MaxLength   int
	// DefaultNull is the value stored for a missing or null input, already
	// converted to the column's storage family: int64, float64 or string
	// (BYTES as raw bytes in a string). Pinot's defaults apply when the
	// JSON gives none.
	DefaultNull any
	// Format and Granularity are set for date-time fields, verbatim from
	// the schema (e.g. "1:MILLISECONDS:EPOCH", "1:MILLISECONDS").
	Format      string
	Granularity string
}

// Schema is a table's set of columns, in the order the schema lists them
// (dimensions, then metrics, then date-time fields).
type Schema struct {
	Name                          string
	Fields                        []FieldSpec
	PrimaryKeyColumns             []string
	EnableColumnBasedNullHandling bool
}

// Field returns the field named name, matched case-insensitively as Pinot
// resolves identifiers, or nil.
func (s *Schema) Field(name string) *FieldSpec {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	for i := range s.Fields {
		if strings.EqualFold(s.Fields[i].Name, name) {
			return &s.Fields[i]
		}
	}
	return nil
}
