package sql

import (
	"reflect"
	"testing"
)

func col(name string) *ColumnRef         { return &ColumnRef{Name: name} }
func qcol(table, name string) *ColumnRef { return &ColumnRef{Table: table, Name: name} }
func intLit(i int64) *Literal            { return &Literal{Kind: LitInt, Int: i} }
func floatLit(f float64) *Literal        { return &Literal{Kind: LitFloat, Float: f} }
func strLit(s string) *Literal           { return &Literal{Kind: LitString, Str: s} }
func boolLit(b bool) *Literal            { return &Literal{Kind: LitBool, Bool: b} }
func null() *Literal                     { return &Literal{Kind: LitNull} }
func fn(name string, args ...Expr) *Func { return &Func{Name: name, Args: args} }
func bin(op BinaryOp, l, r Expr) *Binary { return &Binary{Op: op, L: l, R: r} }
func not(x Expr) *Unary                  { return &Unary{Op: OpNot, X: x} }
func items(es ...Expr) []SelectItem {
	out := make([]SelectItem, len(es))
	for i, e := range es {
		out[i] = SelectItem{Expr: e}
	}
	return out
}
func ptr(b bool) *bool { return &b }

func TestParseStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want *Statement
	}{
		{
			name: "star",
			sql:  `SELECT * FROM t`,
			want: &Statement{Select: &Select{Items: items(&Star{}), From: TableRef{Name: "t"}, Limit: -1}},
		},
		{
			name: "tableau projection",
			sql:  `SELECT "t"."price" AS "price" FROM "webTransactions" "t" LIMIT 1000000`,
			want: &Statement{Select: &Select{
				Items: []SelectItem{{Expr: qcol("t", "price"), Alias: "price"}},
				From:  TableRef{Name: "webTransactions", Alias: "t"},
				Limit: 1000000,
			}},
		},
		{
			name: "tableau aggregate",
			sql: `SELECT SUM("t"."price") AS "sum:price:ok",
				CAST(EXTRACT(YEAR FROM "t"."creationTimestamp") AS BIGINT) AS "yr:creationTimestamp:ok"
				FROM "webTransactions" "t" GROUP BY 2 HAVING (COUNT(1) > 0)`,
			want: &Statement{Select: &Select{
				Items: []SelectItem{
					{Expr: fn("sum", qcol("t", "price")), Alias: "sum:price:ok"},
					{Expr: &Cast{X: fn("extract", strLit("YEAR"), qcol("t", "creationTimestamp")), Type: "LONG"},
						Alias: "yr:creationTimestamp:ok"},
				},
				From:    TableRef{Name: "webTransactions", Alias: "t"},
				GroupBy: []Expr{intLit(2)},
				Having:  bin(OpGt, fn("count", intLit(1)), intLit(0)),
				Limit:   -1,
			}},
		},
		{
			name: "unquoted identifiers keep their case",
			sql:  `select userID, Name as TheName, t.eventTime from myTable AS t where userID = 'x' group by userID`,
			want: &Statement{Select: &Select{
				Items:   []SelectItem{{Expr: col("userID")}, {Expr: col("Name"), Alias: "TheName"}, {Expr: qcol("t", "eventTime")}},
				From:    TableRef{Name: "myTable", Alias: "t"},
				Where:   bin(OpEq, col("userID"), strLit("x")),
				GroupBy: []Expr{col("userID")},
				Limit:   -1,
			}},
		},
		{
			name: "keyword-named columns keep a unique spelling",
			sql:  `SELECT Value, Year FROM t WHERE Value > 1`,
			want: &Statement{Select: &Select{
				Items: items(col("Value"), col("Year")),
				From:  TableRef{Name: "t"},
				Where: bin(OpGt, col("Value"), intLit(1)),
				Limit: -1,
			}},
		},
		{
			name: "SET options, OPTION, trailing semicolon, LIMIT offset,count",
			sql: "SET timeoutMs = 1000;\nSET \"enableNullHandling\" = 'true';\nSET useStarTree=false; SET qid = MyQuery;" +
				"SELECT a FROM t LIMIT 10, 20 OPTION(timeoutMs=5, skipIndexes='a=inverted,range', maxExecutionThreads = 4);",
			want: &Statement{
				Options: map[string]string{
					"timeoutms": "1000", "enablenullhandling": "true", "usestartree": "false", "qid": "MyQuery",
					"skipindexes": "a=inverted,range", "maxexecutionthreads": "4",
				},
				Select: &Select{Items: items(col("a")), From: TableRef{Name: "t"}, Limit: 20, Offset: 10},
			},
		},
		{
			name: "explain plan for",
			sql:  `EXPLAIN PLAN FOR SELECT a FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST, c ASC LIMIT 5 OFFSET 2`,
			want: &Statement{Explain: true, Select: &Select{
				Items: items(col("a")),
				From:  TableRef{Name: "t"},
				OrderBy: []OrderItem{
					{Expr: col("a"), Desc: true, NullsFirst: ptr(true)},
					{Expr: col("b"), NullsFirst: ptr(false)},
					{Expr: col("c")},
				},
				Limit:  5,
				Offset: 2,
			}},
		},
		{
			name: "plain explain",
			sql:  `EXPLAIN SELECT DISTINCT a FROM t`,
			want: &Statement{Explain: true, Select: &Select{Distinct: true, Items: items(col("a")), From: TableRef{Name: "t"}, Limit: -1}},
		},
		{
			name: "qualified table and star",
			sql:  `SELECT t.*, x FROM mydb.events t`,
			want: &Statement{Select: &Select{
				Items: items(&Star{Table: "t"}, col("x")),
				From:  TableRef{Name: "mydb.events", Alias: "t"},
				Limit: -1,
			}},
		},
		{
			name: "no FROM",
			sql:  `SELECT 1`,
			want: &Statement{Select: &Select{Items: items(intLit(1)), Limit: -1}},
		},
		{
			name: "parenthesized query",
			sql:  `(SELECT a FROM t ORDER BY a) LIMIT 3`,
			want: &Statement{Select: &Select{Items: items(col("a")), From: TableRef{Name: "t"},
				OrderBy: []OrderItem{{Expr: col("a")}}, Limit: 3}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.sql)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tc.want.Options == nil {
				tc.want.Options = map[string]string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %s\nwant %s", tc.sql, got, tc.want)
			}
			checkRoundTrip(t, tc.sql, got)
		})
	}
}

func TestOptionAnywhere(t *testing.T) {
	// The JDBC driver appends LIMIT 1000000 after a query's OPTION clause.
	got, err := Parse("SELECT count(*) FROM t WHERE a IN (1, 2) OPTION(timeoutMs=100) LIMIT 1000000")
	if err != nil {
		t.Fatal(err)
	}
	if got.Options["timeoutms"] != "100" || got.Select.Limit != 1000000 || got.Select.Where == nil {
		t.Fatalf("got %s with options %v", got, got.Options)
	}
	if _, err := Parse("SELECT count(*) FROM t WHERE f(option(1))"); err != nil {
		t.Fatalf("a function named option inside parentheses is not an OPTION clause: %v", err)
	}
}

func TestSetWinsOverOption(t *testing.T) {
	got, err := Parse("SET timeoutMs = 1; SELECT a FROM t OPTION(TIMEOUTMS=2, other=3)")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"timeoutms": "1", "other": "3"}
	if !reflect.DeepEqual(got.Options, want) {
		t.Fatalf("Options = %v, want %v", got.Options, want)
	}
}

func TestParseExpressions(t *testing.T) {
	tests := []struct {
		expr string
		want Expr
		name string // String(), the Pinot-style result column name
	}{
		{`SUM(price)`, fn("sum", col("price")), `sum(price)`},
		{`COUNT(*)`, &Func{Name: "count", Star: true}, `count(*)`},
		{`count(t.*)`, &Func{Name: "count", Star: true}, `count(*)`},
		{`COUNT(DISTINCT userID)`, &Func{Name: "count", Distinct: true, Args: []Expr{col("userID")}}, `count(DISTINCT userID)`},
		{`DISTINCTCOUNT(userID)`, fn("distinctcount", col("userID")), `distinctcount(userID)`},
		{`DISTINCTCOUNTHLL(userID)`, fn("distinctcounthll", col("userID")), `distinctcounthll(userID)`},
		{`PERCENTILE(price, 90)`, fn("percentile", col("price"), intLit(90)), `percentile(price,90)`},
		{`PERCENTILETDIGEST(price, 99.9)`, fn("percentiletdigest", col("price"), floatLit(99.9)), `percentiletdigest(price,99.9)`},
		{`DATETRUNC('day', ts)`, fn("datetrunc", strLit("day"), col("ts")), `datetrunc('day',ts)`},
		{`DATETIMECONVERT(ts, '1:MILLISECONDS:EPOCH', '1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd', '1:DAYS')`,
			fn("datetimeconvert", col("ts"), strLit("1:MILLISECONDS:EPOCH"), strLit("1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd"), strLit("1:DAYS")),
			`datetimeconvert(ts,'1:MILLISECONDS:EPOCH','1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd','1:DAYS')`},
		{`REGEXP_LIKE(url, '^https')`, fn("regexp_like", col("url"), strLit("^https")), `regexp_like(url,'^https')`},
		{`toEpochDays(ts)`, fn("toepochdays", col("ts")), `toepochdays(ts)`},
		{`fromEpochSeconds(ts_s)`, fn("fromepochseconds", col("ts_s")), `fromepochseconds(ts_s)`},
		{`equals(device, 'bot')`, fn("equals", col("device"), strLit("bot")), `equals(device,'bot')`},
		{`"t"."price"`, qcol("t", "price"), `price`},
		{`"my col"`, col("my col"), `"my col"`},
		{`"select"`, col("select"), `"select"`},
		{`"Year"`, col("Year"), `"Year"`},
		{`year`, col("year"), `year`},
		{`42`, intLit(42), `42`},
		{`-42`, intLit(-42), `-42`},
		{`-(42)`, intLit(-42), `-42`},
		{`-9223372036854775808`, intLit(-9223372036854775808), `-9223372036854775808`},
		{`9223372036854775808`, floatLit(9223372036854775808), `9.223372036854776e+18`},
		{`1.5`, floatLit(1.5), `1.5`},
		{`1e3`, floatLit(1000), `1000.0`},
		{`0x10`, intLit(16), `16`},
		{`'it''s'`, strLit("it's"), `'it''s'`},
		{`x'0aFF'`, strLit("0aff"), `'0aff'`},
		{`TRUE`, boolLit(true), `true`},
		{`false`, boolLit(false), `false`},
		{`NULL`, null(), `NULL`},
		{`a + b * c`, bin(OpAdd, col("a"), bin(OpMul, col("b"), col("c"))), `a + b * c`},
		{`(a + b) * c`, bin(OpMul, bin(OpAdd, col("a"), col("b")), col("c")), `(a + b) * c`},
		{`a - (b - c)`, bin(OpSub, col("a"), bin(OpSub, col("b"), col("c"))), `a - (b - c)`},
		{`a - b - c`, bin(OpSub, bin(OpSub, col("a"), col("b")), col("c")), `a - b - c`},
		{`a / b % c`, bin(OpMod, bin(OpDiv, col("a"), col("b")), col("c")), `a / b % c`},
		{`a - -1`, bin(OpSub, col("a"), intLit(-1)), `a - -1`},
		{`-a`, &Unary{Op: OpNeg, X: col("a")}, `-a`},
		{`-(-a)`, &Unary{Op: OpNeg, X: &Unary{Op: OpNeg, X: col("a")}}, `-(-a)`},
		{`+a`, col("a"), `a`},
		{`a || '-' || b`, bin(OpConcat, bin(OpConcat, col("a"), strLit("-")), col("b")), `a || '-' || b`},
		{`a ^ 2`, fn("power", col("a"), intLit(2)), `power(a,2)`},
		{`a = 1 AND b <> 2 OR c >= 3`, bin(OpOr, bin(OpAnd, bin(OpEq, col("a"), intLit(1)), bin(OpNe, col("b"), intLit(2))),
			bin(OpGe, col("c"), intLit(3))), `a = 1 AND b <> 2 OR c >= 3`},
		{`a != 1`, bin(OpNe, col("a"), intLit(1)), `a <> 1`},
		{`a AND (b OR c)`, bin(OpAnd, col("a"), bin(OpOr, col("b"), col("c"))), `a AND (b OR c)`},
		{`NOT a = 1`, not(bin(OpEq, col("a"), intLit(1))), `NOT a = 1`},
		{`NOT (a OR b)`, not(bin(OpOr, col("a"), col("b"))), `NOT (a OR b)`},
		{`(a = 1) = true`, bin(OpEq, bin(OpEq, col("a"), intLit(1)), boolLit(true)), `(a = 1) = true`},
		{`a IN (1, 2)`, &In{X: col("a"), List: []Expr{intLit(1), intLit(2)}}, `a IN (1, 2)`},
		{`a NOT IN ('x')`, &In{X: col("a"), List: []Expr{strLit("x")}, Not: true}, `a NOT IN ('x')`},
		{`a BETWEEN 1 AND 2`, &Between{X: col("a"), Lo: intLit(1), Hi: intLit(2)}, `a BETWEEN 1 AND 2`},
		{`a NOT BETWEEN b + 1 AND 2`, &Between{X: col("a"), Lo: bin(OpAdd, col("b"), intLit(1)), Hi: intLit(2), Not: true},
			`a NOT BETWEEN b + 1 AND 2`},
		{`a LIKE 'x%'`, &Like{X: col("a"), Pattern: strLit("x%")}, `a LIKE 'x%'`},
		{`a NOT LIKE 'x%'`, &Like{X: col("a"), Pattern: strLit("x%"), Not: true}, `a NOT LIKE 'x%'`},
		{`a ILIKE 'x%'`, &Like{X: col("a"), Pattern: strLit("x%"), CaseInsensitive: true}, `a ILIKE 'x%'`},
		{`a NOT ILIKE 'x%'`, &Like{X: col("a"), Pattern: strLit("x%"), Not: true, CaseInsensitive: true}, `a NOT ILIKE 'x%'`},
		{`a ~ 'x'`, fn("regexp_like", col("a"), strLit("x")), `regexp_like(a,'x')`},
		{`a !~* 'x'`, not(fn("regexp_like", col("a"), strLit("x"), strLit("i"))), `NOT regexp_like(a,'x','i')`},
		{`a IS NULL`, &IsNull{X: col("a")}, `a IS NULL`},
		{`a IS NOT NULL`, &IsNull{X: col("a"), Not: true}, `a IS NOT NULL`},
		{`a IS NOT DISTINCT FROM NULL`, &IsNull{X: col("a")}, `a IS NULL`},
		{`a IS TRUE`, bin(OpAnd, &IsNull{X: col("a"), Not: true}, col("a")), `a IS NOT NULL AND a`},
		{`a IS FALSE`, bin(OpAnd, &IsNull{X: col("a"), Not: true}, not(col("a"))), `a IS NOT NULL AND NOT a`},
		{`a IS NOT TRUE`, bin(OpOr, &IsNull{X: col("a")}, not(col("a"))), `a IS NULL OR NOT a`},
		{`a IS NOT FALSE`, bin(OpOr, &IsNull{X: col("a")}, col("a")), `a IS NULL OR a`},
		{`(a = 1) IS NULL`, &IsNull{X: bin(OpEq, col("a"), intLit(1))}, `a = 1 IS NULL`},
		{`CASE WHEN a > 1 THEN 'x' ELSE 'y' END`,
			&Case{Whens: []When{{Cond: bin(OpGt, col("a"), intLit(1)), Result: strLit("x")}}, Else: strLit("y")},
			`CASE WHEN a > 1 THEN 'x' ELSE 'y' END`},
		{`CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END`,
			&Case{Operand: col("a"), Whens: []When{{Cond: intLit(1), Result: strLit("x")}, {Cond: intLit(2), Result: strLit("y")}}},
			`CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END`},
		{`IF(a, 1, 2)`, &Case{Whens: []When{{Cond: col("a"), Result: intLit(1)}}, Else: intLit(2)}, `CASE WHEN a THEN 1 ELSE 2 END`},
		{`CAST(a AS BIGINT)`, &Cast{X: col("a"), Type: "LONG"}, `CAST(a AS LONG)`},
		{`CAST(a AS LONG)`, &Cast{X: col("a"), Type: "LONG"}, `CAST(a AS LONG)`},
		{`CAST(a AS INT)`, &Cast{X: col("a"), Type: "INT"}, `CAST(a AS INT)`},
		{`CAST(a AS INTEGER)`, &Cast{X: col("a"), Type: "INT"}, `CAST(a AS INT)`},
		{`CAST(a AS SMALLINT)`, &Cast{X: col("a"), Type: "INT"}, `CAST(a AS INT)`},
		{`CAST(a AS FLOAT)`, &Cast{X: col("a"), Type: "FLOAT"}, `CAST(a AS FLOAT)`},
		{`a::REAL`, &Cast{X: col("a"), Type: "FLOAT"}, `CAST(a AS FLOAT)`},
		{`CAST(a AS DOUBLE)`, &Cast{X: col("a"), Type: "DOUBLE"}, `CAST(a AS DOUBLE)`},
		{`CAST(a AS DOUBLE PRECISION)`, &Cast{X: col("a"), Type: "DOUBLE"}, `CAST(a AS DOUBLE)`},
		{`CAST(a AS DECIMAL(10, 2))`, &Cast{X: col("a"), Type: "DOUBLE"}, `CAST(a AS DOUBLE)`},
		{`CAST(a AS VARCHAR(10))`, &Cast{X: col("a"), Type: "STRING"}, `CAST(a AS STRING)`},
		{`CAST(a AS TEXT)`, &Cast{X: col("a"), Type: "STRING"}, `CAST(a AS STRING)`},
		{`a::boolean`, &Cast{X: col("a"), Type: "BOOLEAN"}, `CAST(a AS BOOLEAN)`},
		{`CAST(a AS JSON)`, &Cast{X: col("a"), Type: "JSON"}, `CAST(a AS JSON)`},
		{`CAST(a AS BYTES)`, &Cast{X: col("a"), Type: "BYTES"}, `CAST(a AS BYTES)`},
		{`CAST(a AS "BIG_DECIMAL")`, &Cast{X: col("a"), Type: "BIG_DECIMAL"}, `CAST(a AS BIG_DECIMAL)`},
		{`DATE '2024-01-01'`, &Cast{X: strLit("2024-01-01"), Type: "DATE"}, `CAST('2024-01-01' AS DATE)`},
		{`TIMESTAMP '2024-01-01 10:00:00'`, &Cast{X: strLit("2024-01-01 10:00:00"), Type: "TIMESTAMP"},
			`CAST('2024-01-01 10:00:00' AS TIMESTAMP)`},
		{`INTERVAL '1 day'`, &Cast{X: strLit("1 day"), Type: "INTERVAL"}, `CAST('1 day' AS INTERVAL)`},
		{`EXTRACT(YEAR FROM ts)`, fn("extract", strLit("YEAR"), col("ts")), `extract('YEAR',ts)`},
		{`EXTRACT(epoch FROM ts)`, fn("extract", strLit("EPOCH"), col("ts")), `extract('EPOCH',ts)`},
		{`EXTRACT(EPOCH FROM ts)`, fn("extract", strLit("EPOCH"), col("ts")), `extract('EPOCH',ts)`},
		{`EXTRACT(DOW FROM ts)`, fn("extract", strLit("DOW"), col("ts")), `extract('DOW',ts)`},
		{`Extract(Month FROM ts)`, fn("extract", strLit("MONTH"), col("ts")), `extract('MONTH',ts)`},
		{`SUBSTRING(s FROM 2 FOR 3)`, fn("substring", col("s"), intLit(2), intLit(3)), `substring(s,2,3)`},
		{`SUBSTRING(s, 2)`, fn("substring", col("s"), intLit(2)), `substring(s,2)`},
		{`TRIM(s)`, fn("trim", col("s")), `trim(s)`},
		{`TRIM(BOTH 'x' FROM s)`, fn("trim", col("s"), strLit("x")), `trim(s,'x')`},
		{`TRIM(LEADING FROM s)`, fn("ltrim", col("s")), `ltrim(s)`},
		{`POSITION('a' IN s)`, fn("strpos", col("s"), strLit("a")), `strpos(s,'a')`},
		{`COALESCE(a, b, 0)`, fn("coalesce", col("a"), col("b"), intLit(0)), `coalesce(a,b,0)`},
		{`NULLIF(a, 0)`, fn("nullif", col("a"), intLit(0)), `nullif(a,0)`},
		{`GREATEST(a, b)`, fn("greatest", col("a"), col("b")), `greatest(a,b)`},
		{`LEAST(a, b)`, fn("least", col("a"), col("b")), `least(a,b)`},
		{`LEFT(s, 2)`, fn("left", col("s"), intLit(2)), `left(s,2)`},
		{`SUM(price) FILTER (WHERE country = 'US')`,
			&Func{Name: "sum", Args: []Expr{col("price")}, Filter: bin(OpEq, col("country"), strLit("US"))},
			`sum(price) FILTER (WHERE country = 'US')`},
		{`now()`, fn("now"), `now()`},
		{`current_timestamp`, fn("current_timestamp"), `current_timestamp()`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := ParseExpr(tc.expr)
			if err != nil {
				t.Fatalf("ParseExpr: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseExpr(%q) = %s, want %s", tc.expr, got, tc.want)
			}
			if s := got.String(); s != tc.name {
				t.Fatalf("String() = %q, want %q", s, tc.name)
			}
			checkExprRoundTrip(t, got)
		})
	}
}
