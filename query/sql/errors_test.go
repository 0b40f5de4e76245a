package sql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		sql  string
		want string
	}{
		// Syntax errors: the parser's message, the token as written, its
		// line and column in the user's text.
		{"SELECT a\nFROM t WHERE b = = 3", `sql: syntax error at or near "=" (line 2, column 18)`},
		{"SELECT userID\nFROM t WHERE Foo Bar baz", `sql: syntax error at or near "Bar" (line 2, column 18)`},
		{`SELECT userID, Name FROM myTable WHERE userID = = 1`, `sql: syntax error at or near "=" (line 1, column 49)`},
		{`SELECT a FROM t WHERE a = 1 ORDER BY`, `sql: syntax error at or near "EOF" (line 1, column 37)`},
		{"SET timeoutMs = 1;\n  SELECT FROM", `sql: syntax error at or near "EOF" (line 2, column 14)`},
		{`SELECT 'héllo', ) FROM t`, `sql: syntax error at or near ")" (line 1, column 17)`},
		{`SELECT a FROM t LIMIT 10 OPTION(x=1) extra`, `sql: syntax error at or near "extra" (line 1, column 38)`},
		{`SELECT a FROM t OPTION(x=1`, `sql: syntax error at or near "=" (line 1, column 25)`},
		{`SELECT 'abc`, `sql: lexical error: unterminated string (line 1, column 8)`},
		{`SELECT "abc`, `sql: lexical error: unterminated string (line 1, column 8)`},
		{``, `sql: empty query`},
		{` ; -- nothing`, `sql: empty query`},

		// Unsupported constructs, named.
		{`SELECT a FROM t JOIN u ON t.id = u.id`, `sql: unsupported: JOIN (Tannin answers single-table queries) (line 1, column 17)`},
		{`SELECT a FROM t LEFT JOIN u USING (id)`, `sql: unsupported: JOIN (Tannin answers single-table queries) (line 1, column 22)`},
		{`SELECT a FROM t, u`, `sql: unsupported: several tables in FROM (Tannin answers single-table queries)`},
		{`SELECT a FROM t UNION SELECT a FROM u`, `sql: unsupported: UNION (Tannin answers single-table queries) (line 1, column 17)`},
		{`SELECT a FROM t EXCEPT SELECT a FROM u`, `sql: unsupported: EXCEPT (Tannin answers single-table queries) (line 1, column 17)`},
		{`WITH w AS (SELECT 1) SELECT * FROM w`, `sql: unsupported: WITH (common table expressions) (Tannin answers single-table queries) (line 1, column 1)`},
		{`SELECT a FROM (SELECT a FROM t) AS s`, `sql: unsupported: subquery in FROM (Tannin answers single-table queries) (line 1, column 16)`},
		{`SELECT a FROM t WHERE a IN (SELECT b FROM u)`, `sql: unsupported: IN (subquery) (Tannin answers single-table queries) (line 1, column 29)`},
		{`SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)`, `sql: unsupported: EXISTS subquery (Tannin answers single-table queries) (line 1, column 31)`},
		{`SELECT (SELECT max(b) FROM u) FROM t`, `sql: unsupported: subquery (Tannin answers single-table queries) (line 1, column 9)`},
		{`SELECT sum(a) OVER (PARTITION BY b) FROM t`, `sql: unsupported: window function (OVER) (line 1, column 15)`},
		{`SELECT DISTINCT ON (a) a FROM t`, `sql: unsupported: DISTINCT ON`},
		{`SELECT a FROM t WHERE a IS DISTINCT FROM b`, `sql: unsupported: IS [NOT] DISTINCT FROM`},
		{`SELECT a FROM t WHERE a = ANY (ARRAY[1, 2])`, `sql: unsupported: = ANY (...) comparison`},
		{`SELECT a FROM t WHERE a SIMILAR TO 'x'`, `sql: unsupported: operator SIMILAR TO`},
		{`SELECT a FROM t WHERE a = $1`, `sql: unsupported: placeholder $1 (substitute parameters before sending the query)`},
		{`SELECT a & 1 FROM t`, `sql: unsupported: operator &`},
		{`SELECT a[1] FROM t`, `sql: unsupported: array subscript a[1]`},
		{`SELECT (a, b) FROM t`, `sql: unsupported: row constructor (a, b)`},
		{`SELECT a:::INT FROM t`, `sql: unsupported: type annotation a:::INT4 (use CAST)`},
		{`SELECT a FROM t FOR UPDATE`, `sql: unsupported: locking clause FOR UPDATE/SHARE (Tannin is read-only)`},
		{`SELECT array_agg(a ORDER BY b) FROM t`, `sql: unsupported: ORDER BY inside an aggregate`},
		{`SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a) FROM t`, `sql: unsupported: WITHIN GROUP`},
		{`SELECT a FROM t WHERE a BETWEEN SYMMETRIC 2 AND 1`, `sql: unsupported: BETWEEN SYMMETRIC`},
		{`SELECT pg_catalog.lower(a) FROM t`, `sql: unsupported: qualified function name pg_catalog.lower`},
		{`SELECT CAST(a AS INT[]) FROM t`, `sql: unsupported: CAST to INT4[]`},
		{`INSERT INTO t VALUES (1)`, `sql: unsupported: INSERT statement (Tannin answers SELECT queries)`},
		{`DELETE FROM t`, `sql: unsupported: DELETE statement (Tannin answers SELECT queries)`},
		{`CREATE TABLE t (a INT)`, `sql: unsupported: CREATE TABLE statement (Tannin answers SELECT queries)`},
		{`EXPLAIN ANALYZE SELECT 1`, `sql: unsupported: EXPLAIN ANALYZE (use EXPLAIN PLAN FOR)`},
		{`VALUES (1)`, `sql: unsupported: VALUES (Tannin answers queries over tables)`},
		{`SELECT 1; SELECT 2`, `sql: unsupported: multiple statements (only SET statements may come before the query) (line 1, column 11)`},

		// Pinot framing.
		{`SET timeoutMs = 1;`, `sql: no query after the SET statements (line 1, column 18)`},
		{`SET a = 1, 2; SELECT 1`, `sql: SET a: want exactly one value (line 1, column 1)`},
		{`SET a = 1 + 2; SELECT 1`, `sql: SET a: the value must be a literal or a name (line 1, column 1)`},
		{`SET TRACING = on; SELECT 1`, `sql: unsupported: SET TRACING statement (want SET key = value) (line 1, column 1)`},
		{`EXPLAIN PLAN FOR`, `sql: no query after EXPLAIN PLAN FOR (line 1, column 17)`},
		{`SELECT a FROM t OPTION(timeoutMs)`, `sql: OPTION entry "timeoutMs": want key=value (line 1, column 24)`},
		{`SELECT a FROM t OPTION(a=1,,b=2)`, `sql: empty entry in OPTION(...): want key=value (line 1, column 23)`},
		{`OPTION(a=1)`, `sql: no query around OPTION(...) (line 1, column 1)`},

		// Semantics the tree cannot carry.
		{`SELECT a FROM t LIMIT b`, `sql: LIMIT must be an integer literal, not b`},
		{`SELECT a FROM t LIMIT -1`, `sql: LIMIT must not be negative: -1`},
		{`SELECT a FROM t OFFSET 1.5`, `sql: OFFSET must be an integer literal, not 1.5`},
		{`SELECT 1e999 FROM t`, `sql: numeric literal 1e999 out of range`},
		{`SELECT FROM t`, `sql: empty select list`},
		{`SELECT count(*, a) FROM t`, `sql: syntax error at or near "," (line 1, column 15)`},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			stmt, err := Parse(tc.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error %q", tc.sql, stmt, tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("Parse(%q) error\n got %q\nwant %q", tc.sql, err, tc.want)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func TestParseExprErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{``, `sql: empty expression`},
		{`a AS b`, `sql: not a single scalar expression: "a AS b"`},
		{`a b`, `sql: not a single scalar expression: "a b"`},
		{`a, b`, `sql: not a single scalar expression: "a, b"`},
		{`a FROM t`, `sql: not a single scalar expression: "a FROM t"`},
		{`*`, `sql: unsupported: * outside the select list or COUNT(*)`},
		{`a; b`, `sql: unexpected ";" in an expression (line 1, column 2)`},
		{`f(a,`, `sql: syntax error at or near "EOF" (line 1, column 5)`},
		{"fromEpochSeconds(\n  ts_s + * 1)", `sql: syntax error at or near "*" (line 2, column 10)`},
		{`'x`, `sql: lexical error: unterminated string (line 1, column 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := ParseExpr(tc.expr)
			if err == nil {
				t.Fatalf("ParseExpr(%q) = %s, want error %q", tc.expr, e, tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("ParseExpr(%q) error\n got %q\nwant %q", tc.expr, err, tc.want)
			}
		})
	}
}

// TestDeepNesting checks that deep input is an error, not a stack overflow,
// and that long OR chains (Tableau's IN lists) still parse.
func TestDeepNesting(t *testing.T) {
	deep := "SELECT " + strings.Repeat("-(", maxDepth) + "a" + strings.Repeat(")", maxDepth) + " FROM t"
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("Parse(%d nested levels) error = %v", maxDepth, err)
	}
	terms := make([]string, 1500)
	for i := range terms {
		terms[i] = fmt.Sprintf("x = %d", i)
	}
	st, err := Parse("SELECT a FROM t WHERE " + strings.Join(terms, " OR "))
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, "long OR chain", st)
}
