package schema

import (
	"math"
	"strings"
	"unicode"
)

// builtInVirtualColumns are the names Pinot reserves for its virtual
// columns (CommonConstants.Segment.BuiltInVirtualColumn).
var builtInVirtualColumns = []string{"$docId", "$hostName", "$segmentName", "$partitionId", "$creationTime", "$startTime", "$endTime", "$totalDocs", "$crc"}

// Validate checks a schema built in code or decoded by Parse against
// Pinot's rules (Schema.validate and SchemaUtils.validate) plus Tannin's:
//   - a name, and columns with non-empty names free of whitespace, not
//     reserved for a built-in virtual column ($docId, ...), unique
//     case-insensitively (Tannin resolves identifiers case-insensitively);
//   - a data type allowed for the field type: metrics are INT, LONG, FLOAT,
//     DOUBLE, BIG_DECIMAL or BYTES; metrics and date-time fields are
//     single-value; JSON is single-value;
//   - date-time fields have a valid format (TIMESTAMP for TIMESTAMP
//     columns) and granularity;
//   - DefaultNull is set, in the data type's storage family, and not NaN;
//   - primary key columns exist, once each.
//
// Every error matches ErrInvalid.
func (s *Schema) Validate() error {
	if s.Name == "" {
		return invalidf("schema: empty name")
	}
	seen := make(map[string]string, len(s.Fields))
	for i := range s.Fields {
		f := &s.Fields[i]
		if err := s.validateField(i, f); err != nil {
			return err
		}
		key := strings.ToLower(f.Name)
		if prev, ok := seen[key]; ok {
			if prev == f.Name {
				return invalidf("schema %q: duplicate column %q", s.Name, f.Name)
			}
			return invalidf("schema %q: duplicate column %q (same as %q; column names are case-insensitive)", s.Name, f.Name, prev)
		}
		seen[key] = f.Name
	}
	pk := make(map[string]bool, len(s.PrimaryKeyColumns))
	for _, c := range s.PrimaryKeyColumns {
		if s.Field(c) == nil {
			return invalidf("schema %q: primary key column %q is not a column of the schema", s.Name, c)
		}
		if pk[strings.ToLower(c)] {
			return invalidf("schema %q: primary key column %q is listed twice", s.Name, c)
		}
		pk[strings.ToLower(c)] = true
	}
	return nil
}

func (s *Schema) validateField(i int, f *FieldSpec) error {
	if f.Name == "" {
		return invalidf("schema %q: column %d has an empty name", s.Name, i)
	}
	if strings.ContainsFunc(f.Name, unicode.IsSpace) {
		return invalidf("schema %q: column name %q contains whitespace", s.Name, f.Name)
	}
	for _, v := range builtInVirtualColumns {
		if f.Name == v {
			return invalidf("schema %q: column name %q is reserved for a built-in virtual column", s.Name, f.Name)
		}
	}
	if f.DataType == TypeInvalid || f.DataType > TypeBytes {
		return invalidf("schema %q: column %q: invalid data type %v", s.Name, f.Name, f.DataType)
	}
	switch f.FieldType {
	case FieldDimension:
	case FieldMetric:
		switch f.DataType {
		case TypeInt, TypeLong, TypeFloat, TypeDouble, TypeBigDecimal, TypeBytes:
		default:
			return invalidf("schema %q: metric column %q cannot have data type %v (metrics are INT, LONG, FLOAT, DOUBLE, BIG_DECIMAL or BYTES)", s.Name, f.Name, f.DataType)
		}
	case FieldDateTime:
		if err := s.validateDateTime(f); err != nil {
			return err
		}
	default:
		return invalidf("schema %q: column %q: invalid field type %v", s.Name, f.Name, f.FieldType)
	}
	if !f.SingleValue {
		if f.FieldType != FieldDimension {
			return invalidf("schema %q: %s column %q cannot be multi-value", s.Name, strings.ToLower(f.FieldType.String()), f.Name)
		}
		if f.DataType == TypeJSON {
			return invalidf("schema %q: JSON column %q cannot be multi-value", s.Name, f.Name)
		}
	}
	if f.MaxLength < 0 {
		return invalidf("schema %q: column %q: maxLength %d must be positive", s.Name, f.Name, f.MaxLength)
	}
	if f.DefaultNull == nil {
		return invalidf("schema %q: column %q has no default null value (Pinot's is schema.DefaultNullValue)", s.Name, f.Name)
	}
	ok := false
	switch f.DataType.Storage() {
	case StorageInt64:
		_, ok = f.DefaultNull.(int64)
		if ok && f.DataType == TypeInt {
			n := f.DefaultNull.(int64)
			ok = n >= math.MinInt32 && n <= math.MaxInt32
		}
		if ok && f.DataType == TypeBoolean {
			n := f.DefaultNull.(int64)
			ok = n == 0 || n == 1
		}
	case StorageFloat64:
		var v float64
		v, ok = f.DefaultNull.(float64)
		if ok && math.IsNaN(v) {
			return invalidf("schema %q: column %q: NaN is not supported as a default null value", s.Name, f.Name)
		}
	case StorageString, StorageBytes:
		_, ok = f.DefaultNull.(string)
	}
	if !ok {
		return invalidf("schema %q: column %q: default null value %v (%T) does not fit data type %v", s.Name, f.Name, f.DefaultNull, f.DefaultNull, f.DataType)
	}
	return nil
}

func (s *Schema) validateDateTime(f *FieldSpec) error {
	if f.DataType == TypeTimestamp && f.Format != "TIMESTAMP" {
		return invalidf("schema %q: date-time column %q of type TIMESTAMP must have format TIMESTAMP, not %q", s.Name, f.Name, f.Format)
	}
	if f.Format == "" {
		return invalidf("schema %q: date-time column %q has no format", s.Name, f.Name)
	}
	if _, err := ParseDateTimeFormat(f.Format); err != nil {
		return invalidf("schema %q: date-time column %q: %w", s.Name, f.Name, err)
	}
	if f.Granularity == "" {
		return invalidf("schema %q: date-time column %q has no granularity", s.Name, f.Name)
	}
	if _, err := ParseGranularity(f.Granularity); err != nil {
		return invalidf("schema %q: date-time column %q: %w", s.Name, f.Name, err)
	}
	return nil
}
