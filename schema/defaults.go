package schema

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxLength is Pinot's maximum length of a STRING (in characters) or
// BYTES/JSON value when the schema gives none; FieldSpec.MaxLength is 0 then.
const DefaultMaxLength = 512

// EffectiveMaxLength returns f.MaxLength, or DefaultMaxLength when unset.
func (f *FieldSpec) EffectiveMaxLength() int {
	if f.MaxLength > 0 {
		return f.MaxLength
	}
	return DefaultMaxLength
}

// DefaultNullValue returns Pinot's default null value for a field type and
// data type (FieldSpec.java), in the storage family of dt: int64, float64
// or string. BYTES values are held as a string of the raw bytes (not hex)
// so that a FieldSpec stays comparable with ==.
//
//	                     dimension / date-time    metric
//	INT                  math.MinInt32            0
//	LONG                 math.MinInt64            0
//	FLOAT, DOUBLE        -Inf                     0
//	BIG_DECIMAL          "0"                      "0"
//	BOOLEAN              0 (false)                -
//	TIMESTAMP            0 (epoch)                -
//	STRING, JSON         "null"                   "null"
//	BYTES                "" (empty)               "" (empty)
func DefaultNullValue(ft FieldType, dt DataType) any {
	metric := ft == FieldMetric
	switch dt {
	case TypeInt:
		if metric {
			return int64(0)
		}
		return int64(math.MinInt32)
	case TypeLong:
		if metric {
			return int64(0)
		}
		return int64(math.MinInt64)
	case TypeFloat, TypeDouble:
		if metric {
			return float64(0)
		}
		return math.Inf(-1)
	case TypeBigDecimal:
		return "0"
	case TypeBoolean, TypeTimestamp:
		return int64(0)
	case TypeString, TypeJSON:
		return "null"
	case TypeBytes:
		return ""
	}
	return nil
}

// bigDecimal is the text java.math.BigDecimal(String) accepts.
var bigDecimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// ParseNullValue converts the text of a defaultNullValue to dt's storage
// family, accepting what Pinot's DataType.convert accepts, except that
// BOOLEAN takes only true, false, 1 or 0 (Pinot reads any other text as
// false) and a TIMESTAMP without a zone is read in UTC (Pinot uses the
// JVM's zone).
func ParseNullValue(dt DataType, text string) (any, error) {
	switch dt {
	case TypeInt, TypeLong:
		bits := 64
		if dt == TypeInt {
			bits = 32
		}
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%q is not a %d-bit integer", text, bits)
		}
		return n, nil
	case TypeFloat, TypeDouble:
		bits := 64
		if dt == TypeFloat {
			bits = 32
		}
		t := strings.TrimSpace(text)
		// Java's Float.valueOf accepts a type suffix and spells infinity out.
		t = strings.TrimRight(t, "fFdD")
		switch t {
		case "Infinity", "+Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		case "NaN":
			return nil, fmt.Errorf("NaN is not supported as a null value")
		}
		f, err := strconv.ParseFloat(t, bits)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a number", text)
		}
		return f, nil
	case TypeBigDecimal:
		t := strings.TrimSpace(text)
		if !bigDecimal.MatchString(t) {
			return nil, fmt.Errorf("%q is not a decimal number", text)
		}
		return t, nil
	case TypeBoolean:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "1":
			return int64(1), nil
		case "false", "0":
			return int64(0), nil
		}
		return nil, fmt.Errorf("%q is not a boolean (true, false, 1 or 0)", text)
	case TypeTimestamp:
		ms, err := parseTimestamp(strings.TrimSpace(text))
		if err != nil {
			return nil, err
		}
		return ms, nil
	case TypeString, TypeJSON:
		return text, nil
	case TypeBytes:
		b, err := hex.DecodeString(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("%q is not hex-encoded bytes", text)
		}
		return string(b), nil
	}
	return nil, fmt.Errorf("data type %v has no null value", dt)
}

// timestampLayouts are the forms of Pinot's TimestampUtils: JDBC's
// Timestamp.valueOf, date with optional time, and ISO-8601 with a zone.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
}

func parseTimestamp(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a timestamp (epoch millis, yyyy-MM-dd HH:mm:ss[.SSS] or ISO-8601)", s)
}

// nullValueJSON returns the JSON form Pinot writes for a null value of dt
// (FieldSpec.appendDefaultNullValue): numbers as numbers, infinities as
// Java spells them, BOOLEAN as a boolean, BYTES as hex. TIMESTAMP is written
// as epoch millis, which Pinot reads back unambiguously.
func nullValueJSON(dt DataType, v any) (any, error) {
	switch dt {
	case TypeInt, TypeLong, TypeTimestamp:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("null value %v is a %T, not an int64", v, v)
		}
		return n, nil
	case TypeBoolean:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("null value %v is a %T, not an int64", v, v)
		}
		return n != 0, nil
	case TypeFloat, TypeDouble:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("null value %v is a %T, not a float64", v, v)
		}
		switch {
		case math.IsInf(f, 1):
			return "Infinity", nil
		case math.IsInf(f, -1):
			return "-Infinity", nil
		case dt == TypeFloat:
			// Shortest text that reads back as the same float32.
			return jsonNumber(strconv.FormatFloat(f, 'g', -1, 32)), nil
		}
		return f, nil
	case TypeBytes:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("null value %v is a %T, not a string", v, v)
		}
		return hex.EncodeToString([]byte(s)), nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("null value %v is a %T, not a string", v, v)
		}
		return s, nil
	}
}
