package sql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// corpus seeds the fuzzers and the round-trip test: Pinot-style, Tableau
// and ClickBench-style queries, plus malformed ones.
var corpus = []string{
	`SELECT * FROM t`,
	`SELECT "t"."price" AS "price" FROM "webTransactions" "t" LIMIT 1000000`,
	`SELECT SUM("t"."price") AS "sum:price:ok", CAST(EXTRACT(YEAR FROM "t"."creationTimestamp") AS BIGINT) AS "yr:creationTimestamp:ok" FROM "webTransactions" "t" GROUP BY 2 HAVING (COUNT(1) > 0)`,
	`SELECT 1 AS "Number_of_Records" FROM "webTransactions" "t" HAVING (COUNT(1) > 0)`,
	"SET timeoutMs = 1000;\nSET enableNullHandling=true;\nSELECT userID, COUNT(*) FROM events GROUP BY userID ORDER BY 2 DESC LIMIT 10",
	`SELECT COUNT(*) FROM hits OPTION(timeoutMs=30000, useStarTree=false)`,
	`select count(*) from hits where AdvEngineID <> 0;`,
	`SELECT SUM(AdvEngineID), COUNT(*), AVG(ResolutionWidth) FROM hits`,
	`SELECT RegionID, COUNT(DISTINCT UserID) AS u FROM hits GROUP BY RegionID ORDER BY u DESC LIMIT 10`,
	`SELECT SearchPhrase, MIN(URL), COUNT(*) AS c FROM hits WHERE URL LIKE '%google%' AND SearchPhrase <> '' GROUP BY SearchPhrase ORDER BY c DESC LIMIT 10`,
	`SELECT * FROM hits WHERE URL LIKE '%google%' ORDER BY EventTime LIMIT 10`,
	`SELECT CounterID, AVG(length(URL)) AS l, COUNT(*) AS c FROM hits WHERE URL <> '' GROUP BY CounterID HAVING COUNT(*) > 100000 ORDER BY l DESC LIMIT 25`,
	`SELECT URL, COUNT(*) AS PageViews FROM hits WHERE CounterID = 62 AND EventDate >= '2013-07-01' AND EventDate <= '2013-07-31' AND DontCountHits = 0 AND IsRefresh = 0 AND URL <> '' GROUP BY URL ORDER BY PageViews DESC LIMIT 10 OFFSET 1000`,
	`SELECT ClientIP, ClientIP - 1, ClientIP - 2, ClientIP - 3, COUNT(*) AS c FROM hits GROUP BY ClientIP, ClientIP - 1, ClientIP - 2, ClientIP - 3 ORDER BY c DESC LIMIT 10`,
	`SELECT DATETRUNC('minute', EventTime) AS M, COUNT(*) AS PageViews FROM hits GROUP BY DATETRUNC('minute', EventTime) ORDER BY DATETRUNC('minute', EventTime) LIMIT 10, 10`,
	`SELECT DATETIMECONVERT(ts, '1:MILLISECONDS:EPOCH', '1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd', '1:DAYS') FROM t`,
	`SELECT PERCENTILE(price, 90), PERCENTILETDIGEST(price, 99), DISTINCTCOUNTHLL(userID) FROM t WHERE REGEXP_LIKE(url, '^https')`,
	`SELECT toEpochDays(ts), fromEpochSeconds(ts_s) FROM t WHERE ts BETWEEN 1 AND 100 AND x NOT BETWEEN -1.5 AND 2e3`,
	`EXPLAIN PLAN FOR SELECT a, b FROM t WHERE a IN (1, 2, 3) AND b NOT IN ('x', 'y')`,
	`SELECT CASE WHEN a > 1 THEN 'big' WHEN a IS NULL THEN NULL ELSE 'small' END FROM t`,
	`SELECT CASE status WHEN 1 THEN 'ok' ELSE 'bad' END AS s FROM t`,
	`SELECT CAST(a AS DOUBLE), CAST(b AS LONG), c::INT, CAST(d AS VARCHAR(10)), CAST(e AS FLOAT), CAST(f AS TIMESTAMP) FROM t`,
	`SELECT DATE '2024-01-01', TIMESTAMP '2024-01-01 10:00:00', INTERVAL '1 day' FROM t`,
	`SELECT COALESCE(a, b, 0), NULLIF(a, 0), GREATEST(a, b), LEAST(a, b), IFNULL(a, 1) FROM t`,
	`SELECT SUBSTRING(name FROM 2 FOR 3), TRIM(name), TRIM(LEADING 'x' FROM name), POSITION('a' IN name), UPPER(name) || '-' || LOWER(name) FROM t`,
	`SELECT SUM(price) FILTER (WHERE country = 'US') AS us FROM t`,
	`SELECT a FROM t WHERE a IS TRUE OR b IS NOT FALSE OR c IS NOT TRUE OR d IS FALSE`,
	`SELECT a FROM t WHERE name ILIKE 'a%' OR name NOT LIKE '%b' OR name NOT ILIKE 'c_'`,
	`SELECT a FROM t WHERE NOT (a = 1 OR b = 2) AND -a < 5 AND a % 2 = 0 AND a / 2 > 1.5`,
	`SELECT a FROM t ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST, c`,
	`SELECT DISTINCT a, b FROM t LIMIT 5`,
	`SELECT t.* FROM myTable AS t`,
	`SELECT x FROM db.tbl WHERE y = x'0A' AND z = true AND w IS NULL`,
	`SELECT a FROM t WHERE a = 'it''s' AND b = e'tab\there'`,
	`SELECT a FROM t LIMIT ALL`,
	`SELECT "Weird Name", "quote""d" FROM "My Table"`,
	`SELECT userID, Name, Value FROM t`,
	`SELECT a ^ 2 FROM t WHERE b ~ 'x' OR c !~* 'y'`,
	`(SELECT a FROM t) ORDER BY a LIMIT 3`,
	`SELECT JSON_EXTRACT_SCALAR(payload, '$.a', 'STRING', 'none') FROM t WHERE JSON_MATCH(payload, '"$.b" = ''x''')`,
	// Malformed and unsupported input.
	`SELECT a FROM t JOIN u ON t.id = u.id`,
	`SELECT a FROM t UNION ALL SELECT a FROM u`,
	`SELECT a FROM t WHERE a IN (SELECT b FROM u)`,
	`WITH w AS (SELECT 1) SELECT * FROM w`,
	`SELECT sum(a) OVER (PARTITION BY b) FROM t`,
	`INSERT INTO t VALUES (1)`,
	`SELECT a FROM`,
	`SELECT 'unterminated`,
	`SET x = 1;`,
	`SELECT a FROM t OPTION(timeoutMs)`,
	`SELECT 1; SELECT 2`,
	``,
}

// checkRoundTrip checks that want.String() re-parses to want.
func checkRoundTrip(t *testing.T, sql string, want *Statement) {
	t.Helper()
	text := want.String()
	got, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q).String() = %q does not re-parse: %v", sql, text, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q).String() = %q re-parses to a different tree:\n got %s\nwant %s", sql, text, got, want)
	}
	for _, it := range want.Select.Items {
		checkExprRoundTrip(t, it.Expr)
	}
	if want.Select.Where != nil {
		checkExprRoundTrip(t, want.Select.Where)
	}
}

// checkExprRoundTrip checks that e.String() re-parses to e, table
// qualifiers aside.
func checkExprRoundTrip(t *testing.T, e Expr) {
	t.Helper()
	if _, ok := e.(*Star); ok {
		return
	}
	text := e.String()
	got, err := ParseExpr(text)
	if err != nil {
		t.Fatalf("%#v.String() = %q does not re-parse: %v", e, text, err)
	}
	if want := unqualified(e); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q re-parses to %q", text, got)
	}
}

// unqualified returns a copy of e without the table qualifiers that
// Expr.String() leaves out.
func unqualified(e Expr) Expr {
	if e == nil {
		return nil
	}
	list := func(in []Expr) []Expr {
		if in == nil {
			return nil
		}
		out := make([]Expr, len(in))
		for i, x := range in {
			out[i] = unqualified(x)
		}
		return out
	}
	switch e := e.(type) {
	case *ColumnRef:
		return &ColumnRef{Name: e.Name}
	case *Star:
		return &Star{}
	case *Literal:
		c := *e
		return &c
	case *Unary:
		return &Unary{Op: e.Op, X: unqualified(e.X)}
	case *Binary:
		return &Binary{Op: e.Op, L: unqualified(e.L), R: unqualified(e.R)}
	case *Func:
		return &Func{Name: e.Name, Args: list(e.Args), Star: e.Star, Distinct: e.Distinct, Filter: unqualified(e.Filter)}
	case *Case:
		c := &Case{Operand: unqualified(e.Operand), Else: unqualified(e.Else)}
		for _, w := range e.Whens {
			c.Whens = append(c.Whens, When{Cond: unqualified(w.Cond), Result: unqualified(w.Result)})
		}
		return c
	case *Cast:
		return &Cast{X: unqualified(e.X), Type: e.Type}
	case *In:
		return &In{X: unqualified(e.X), List: list(e.List), Not: e.Not}
	case *Between:
		return &Between{X: unqualified(e.X), Lo: unqualified(e.Lo), Hi: unqualified(e.Hi), Not: e.Not}
	case *Like:
		return &Like{X: unqualified(e.X), Pattern: unqualified(e.Pattern), Not: e.Not, CaseInsensitive: e.CaseInsensitive}
	case *IsNull:
		return &IsNull{X: unqualified(e.X), Not: e.Not}
	}
	panic("unqualified: unknown node")
}

func TestCorpusRoundTrip(t *testing.T) {
	ok := 0
	for _, sql := range corpus {
		stmt, err := Parse(sql)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || strings.Contains(err.Error(), "BUG") {
				t.Errorf("Parse(%q): unexpected error %v", sql, err)
			}
			continue
		}
		ok++
		checkRoundTrip(t, sql, stmt)
	}
	if ok < 35 {
		t.Errorf("only %d corpus queries parse", ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, sql := range corpus {
		f.Add(sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmt, err := Parse(sql)
		if err != nil {
			if strings.Contains(err.Error(), "BUG") {
				t.Fatalf("Parse(%q): %v", sql, err)
			}
			return
		}
		checkRoundTrip(t, sql, stmt)
	})
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		`fromEpochSeconds(ts_s)`, `equals(device, 'bot')`, `a + b * -c`, `CAST(x AS LONG) / 1000`,
		`CASE WHEN a IS NULL THEN 0 ELSE a END`, `jsonPathString(payload, '$.id', 'none')`,
		`NOT a OR b AND c`, `x IN (1, 2) AND y BETWEEN 1 AND 2`, `"userID" || 'x'`, `count(*)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			if strings.Contains(err.Error(), "BUG") {
				t.Fatalf("ParseExpr(%q): %v", s, err)
			}
			return
		}
		checkExprRoundTrip(t, e)
	})
}
