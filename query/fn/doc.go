// Package fn is Tannin's library of vectorized scalar functions: the
// functions a query's projections, filters and ingestion transforms call by
// name, with Apache Pinot's names and semantics.
//
// # Binding
//
// A call is resolved once per query by Bind, from the function's name and
// the types of its arguments (plus the values of the constant ones):
//
//	f, err := fn.Bind("dateTrunc", []fn.Arg{
//		{Type: schema.TypeString, Const: &fn.Const{Str: "day"}},
//		{Type: schema.TypeTimestamp},
//	})
//	// f.Type == schema.TypeTimestamp
//	err = f.Eval([]*vec.Vector{units, ts}, n, out)
//
// Binder{Now: clock}.Bind does the same with an injected clock: now() and
// ago() are read once at bind time, so every row and segment of a query
// sees one instant (Pinot folds them to literals when it compiles a query).
//
// Names are matched as Pinot's FunctionRegistry matches them: case does not
// matter and underscores are ignored, so toEpochSeconds, toepochseconds and
// to_epoch_seconds are one function. Bind checks the arity and the argument
// types and precomputes what constant arguments allow: compiled regular
// expressions and JSON paths, parsed date-time patterns and formats, time
// units and zones. Its errors name the function and the fault:
//
//	unknown function "uper" (did you mean "upper"?)
//	function substring: expected 2 or 3 arguments, got 1
//	function upper: argument 1 must be a string, got LONG
//	function datetimeconvert: invalid format "1:FOO:EPOCH": unknown time unit "FOO"
//
// # Evaluation
//
// Eval processes a whole batch with typed loops over the vectors' slices; it
// reuses out's slices (and its null mask) from batch to batch and allocates
// nothing per row, except where a function must create a new string (upper
// of a string that has lower-case letters, concat, date formatting, ...).
// Substrings, trims and the like share the input's bytes. Eval is safe for
// concurrent use by several goroutines. A null in any argument makes the
// row's result null, except for coalesce, ifnull, nullif, concat (which
// skips nulls, as DuckDB and PostgreSQL do) and greatest/least (which ignore
// nulls, as in SQL). Functions with a default argument (jsonPathString,
// fromDateTime, jsonExtractScalar) return it where they cannot compute a
// value.
//
// # Semantics chosen where dialects differ
//
//   - substring(s, start[, len]) is SQL's 1-based substring as BI tools send
//     it (a start below 1 counts positions before the string; a negative
//     start counts from the end, as in DuckDB); substr(s, begin[, end]) is
//     Pinot's 0-based substr, end exclusive, -1 meaning the end, negative
//     indexes counting from the end (commons-lang StringUtils.substring).
//   - strpos(s, find[, n]) is Pinot's: 0-based, -1 when absent. position and
//     instr are SQL's: 1-based, 0 when absent; position(needle, haystack)
//     follows POSITION(needle IN haystack), instr(haystack, needle) follows
//     DuckDB and MySQL.
//   - split_part / splitPart(s, delim, i) is Pinot's: 0-based index (negative
//     from the end), runs of the delimiter collapse, "null" (the string) when
//     out of range. DuckDB's split_part is 1-based and does not collapse.
//   - Lengths and positions count Unicode code points (Pinot counts UTF-16
//     units: they differ only outside the Basic Multilingual Plane).
//   - jsonExtractKey lists object keys sorted by name (array elements by
//     index); Pinot lists them in document order.
//   - lpad / rpad never truncate (commons-lang); left / right with a
//     negative length return "" (Pinot), where DuckDB truncates / drops.
//   - Regular expressions are Go's RE2, not java.util.regex: no
//     backreferences, lookaround, possessive quantifiers or atomic groups;
//     the pattern is compiled once when constant. Replacement strings use
//     Java's $n group syntax, translated at bind time.
//   - Date parts: dayOfWeek/dow are ISO (Monday=1 .. Sunday=7) as in Pinot;
//     week/weekOfYear is the ISO week (1..53) as in Pinot and DuckDB.
//     extract(DOW ...) follows PostgreSQL and DuckDB: Sunday=0 .. Saturday=6
//     (Pinot's EXTRACT returns the ISO day); ISODOW gives 1..7. extract(EPOCH
//     ...) is DOUBLE seconds with the millisecond fraction, as DuckDB's.
//   - dateTrunc returns TIMESTAMP for a TIMESTAMP input and LONG otherwise.
//   - cast to an integer truncates toward zero like Java (DuckDB rounds);
//     string to number parse errors are errors that name the value.
//   - round(x[, scale]) is SQL's decimal rounding, half away from zero
//     (Pinot's roundDecimal); Pinot's time-bucketing round(ts, n) is not
//     provided under that name: use toEpochXRounded or dateTrunc.
//   - div by zero gives ±Inf/NaN (Java doubles; DuckDB returns NULL); an
//     integer mod by zero is an error (Java throws; DuckDB returns NULL).
//
// Nulls: a NULL literal argument (Arg.Const.Null) of a null-propagating
// function binds to a function whose rows are all null, whatever Arg.Type
// the planner gave the literal.
//
// # Time formats
//
// TimeFormat is Pinot's dateTimeFieldSpec format ("1:MILLISECONDS:EPOCH",
// "1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd", "EPOCH|SECONDS|1",
// "SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|America/New_York", "TIMESTAMP"),
// shared by datetimeconvert and by ingestion. Java SimpleDateFormat / Joda
// patterns are compiled into a small program of fields and literals that
// parses and prints without allocating (beyond the printed string) and
// without the time package on the UTC path.
package fn
