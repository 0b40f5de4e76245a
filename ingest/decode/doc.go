// Package decode turns input records (JSON objects, CSV records, typed
// values such as Parquet's) into columns of a schema's types, and applies
// a table's ingestion transforms and filter to them. Batch ingestion of
// files (package ingest/batch) and stream consumers share it.
//
// # Batches
//
// A Batch holds up to a few thousand rows, one typed slice per column (the
// schema's fields, then input fields that only transforms read). Decoders
// write into it a row at a time without allocating per value:
//
//	b, _ := decode.NewBatch(sch, decode.DefaultBatchSize)
//	dec := decode.NewJSONDecoder(b)
//	for line := range lines {
//		if err := dec.Decode(lineNo, line); err != nil {
//			// err is a *decode.Error: Reason, Column, Value
//		}
//		if b.Full() { flush(b); b.Reset() }
//	}
//
// Values convert to the column's type as Pinot's record readers and
// DataTypeTransformer do: text to numbers (strictly: "1.5" is not an INT,
// while the JSON number 1.5 truncates to 1), TIMESTAMP from epoch millis or
// 'yyyy-MM-dd HH:mm:ss[.SSS]' and ISO-8601 text, BYTES from hex, a date-time
// field with a SIMPLE_DATE_FORMAT format through its pattern (query/fn's
// TimeFormat): a STRING field keeps the text once it parses, a LONG or
// TIMESTAMP field stores epoch millis unless the text is already a number.
// Strings are cut at a NUL and to the field's maxLength; NaN becomes null
// and -0.0 becomes 0.0. A missing or null value stores the field's default
// null value and is marked null. Multi-value columns take JSON arrays,
// delimited CSV fields or Parquet lists; an empty one is null.
//
// A record that cannot be decoded leaves no row behind and yields an
// *Error whose Reason classifies it (malformed_json, bad_number, bad_time,
// ...) for reports.
//
// Strings are copied out of the decoder's input into memory the Batch
// owns: values seen before in the column are shared through a bounded
// intern table (dropped for columns whose values rarely repeat), others
// are packed into large chunks, so that steady-state decoding allocates
// nothing per row.
//
// # Transforms and filter
//
// A Transformer compiles ingestionConfig.transformConfigs and
// filterConfig.filterFunction with the query engine's scalar functions
// (query/exec.CompileScalar) and runs them over whole batches. A transform
// fills its column only where the input gave no value, after the
// transforms it reads (Pinot's ExpressionTransformer); the filter drops
// rows for which it is true. Input fields outside the schema are visible
// to the expressions: CSV fields as STRING (read as LONG or DOUBLE where an
// expression does not compile on text, e.g. fromEpochSeconds(ts_s), as
// Pinot converts function arguments; a field that is not a number then
// fails its row), JSON values by their JSON type (a LONG, DOUBLE, BOOLEAN
// or STRING vector per batch), Parquet columns by their Parquet type. When an expression fails for a batch it is retried
// row by row so that only the rows at fault are failed (Batch.Failures).
package decode
