// Package sql is Tannin's SQL front end: it turns the text of a query in
// Apache Pinot's SQL dialect into the engine's small syntax tree (ast.go),
// which the planner resolves against the schema.
//
// # Parsing a query
//
//	stmt, err := sql.Parse(`SET timeoutMs = 500;
//	    SELECT userID, SUM(price) AS total FROM orders
//	    WHERE country = 'FR' GROUP BY userID ORDER BY total DESC LIMIT 10`)
//
// stmt.Select holds the single-table SELECT, stmt.Options the query options
// ({"timeoutms": "500"}), stmt.Explain whether it was EXPLAIN PLAN FOR.
// Each projection's Expr.String() is the result column name Pinot would
// give it when no alias is written: SUM(price) is "sum(price)".
//
// ParseExpr parses a lone expression, as found in ingestion transforms
// (`fromEpochSeconds(ts_s)`) and filter functions (`equals(device, 'bot')`).
//
// # How it works
//
// The grammar is CockroachDB's PostgreSQL-dialect parser
// (github.com/cockroachdb/cockroachdb-parser): double-quoted identifiers,
// single-quoted strings, the usual operators and functions. This package
// never parses SQL itself. Around the grammar it does three things, on
// tokens from CockroachDB's own scanner (lex.go):
//
//   - Pinot's framing is taken off before parsing: leading SET key = value
//     statements (each parsed by the grammar as a SET), the legacy
//     OPTION(key=value, ...) clause (SET wins for a key given twice; keys
//     are case-insensitive and stored lower-cased), EXPLAIN PLAN FOR, a
//     trailing semicolon, and MySQL's LIMIT offset, count, which becomes
//     LIMIT count OFFSET offset.
//   - Unquoted identifiers keep their written case. PostgreSQL folds them
//     to lower case, but Pinot's column names are case-sensitive in
//     results (SELECT userID names the column "userID"), so every unquoted
//     identifier with upper-case letters is quoted before parsing. Words
//     that are also keywords (Name, Value, Year) are folded by the scanner
//     before the grammar decides what they are; they take their written
//     spelling back when the statement spells them one way only.
//   - Every rewrite is recorded, so a syntax error reports the offending
//     token as written with its line and column in the user's text.
//
// The converter (convert.go) then maps CockroachDB's tree onto ast.go:
// typed literals (DATE '2024-01-01') become a Cast of a string literal;
// EXTRACT, SUBSTRING, TRIM, POSITION, COALESCE, NULLIF, GREATEST and LEAST
// become function calls; x IS [NOT] TRUE/FALSE is rewritten with IS NULL
// and boolean logic; cast targets take Pinot's type names (BIGINT is
// LONG). Anything Tannin does not answer — joins, subqueries, UNION, WITH,
// window functions, DML and DDL — is an error naming the construct.
//
// # Errors
//
// Parse and ParseExpr return *Error: a message, prefixed "sql: " when
// printed, and the 1-based line and column of the problem when known:
//
//	sql: syntax error at or near "FORM" (line 2, column 3)
//	sql: unsupported: JOIN (Tannin answers single-table queries) (line 1, column 17)
//
// Neither panics on any input: a panic inside the parser is recovered and
// returned as an error that says BUG.
//
// # Rendering
//
// String() on every Expr renders SQL that parses back to the same tree
// (table qualifiers aside): function names in lower case with no space
// after commas, column references bare and quoted only when needed.
// Statement.String() renders a whole query, qualifiers and options
// included, and Parse reads it back to an equal Statement; the tests and
// the FuzzParse target check both.
package sql
