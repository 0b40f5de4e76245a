// Package schema holds a table's columns and their types in Apache Pinot's
// vocabulary, and decodes Pinot's schema JSON strictly.
//
// # Decoding
//
// Parse reads the JSON Pinot's controller accepts at POST /schemas:
//
//	s, warnings, err := schema.Parse(data)
//
// The result lists dimensions, then metrics, then date-time fields
// (Schema.Fields), each with its Pinot default null value already in the
// storage family of its type (DefaultNullValue): int64 for INT, LONG,
// BOOLEAN and TIMESTAMP; float64 for FLOAT and DOUBLE; string for STRING,
// JSON and BIG_DECIMAL; and for BYTES a string holding the raw bytes, so
// that a FieldSpec stays comparable with ==.
//
// Decoding is strict where Pinot's Jackson mapper is lenient. An unknown
// key is an error naming its JSON path and the nearest known key:
//
//	schema: unknown field "dimensionFieldSpec" at top level; did you mean "dimensionFieldSpecs"?
//
// A key of Pinot's vocabulary that Tannin does not implement yet (a field's
// transformFunction, virtualColumnProvider, tags, ...) is ignored and
// reported in warnings, which callers show to the user. A column of a type
// Tannin does not store (UUID, MAP, LIST, STRUCT, complexFieldSpecs) is an
// error naming the column. The legacy timeFieldSpec is read as the
// date-time field Pinot converts it to, with a warning.
//
// # Validation
//
// Validate applies Pinot's schema rules (types allowed per field type,
// single-value metrics and date-time fields, date-time formats and
// granularities, primary keys) plus Tannin's: column names are unique
// case-insensitively, since Tannin resolves identifiers as Pinot does,
// without regard to case (Schema.Field). Parse calls it.
//
// Errors of Parse and Validate match ErrInvalid.
//
// # Date-time formats
//
// ParseDateTimeFormat and ParseGranularity parse a date-time field's format
// ("1:MILLISECONDS:EPOCH", "1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd",
// "EPOCH|SECONDS|5", "SIMPLE_DATE_FORMAT|yyyy-MM-dd|America/New_York",
// "TIMESTAMP") and granularity ("1:HOURS", "DAYS|1") for the code that
// converts time values.
//
// # Encoding
//
// MarshalJSON writes Pinot's schema JSON back, omitting what is at its
// default as Pinot does; Parse(MarshalJSON(s)) gives s back.
//
// The strict JSON machinery is in the strictjson subpackage, shared with
// package tableconfig.
package schema
