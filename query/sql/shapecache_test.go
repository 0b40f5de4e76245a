package sql

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// shapeCases are queries whose literals sit where the cache must be
// careful: negated, upper-cased, counts, options, typed literals.
var shapeCases = []string{
	`SELECT campaign, COUNT(*) AS orders, SUM(price) AS revenue FROM webTransactions WHERE userID = 'u42' AND creationTimestamp BETWEEN 1730483999750 AND 1730613599250 GROUP BY campaign ORDER BY revenue DESC LIMIT 10`,
	`SELECT a FROM t WHERE x > -5 AND y < - 2.5 AND z = -(7)`,
	`SELECT a FROM t WHERE x = 2.0 OR x = 2.5 OR x = 0.5 OR x = 3.`,
	`SELECT a FROM t WHERE x = 9223372036854775807 OR x = -9223372036854775808 OR x = 99999999999999999999`,
	`SELECT DATETRUNC('day', ts), COUNT(*) FROM t GROUP BY 1 ORDER BY 1 LIMIT 5, 10`,
	`SELECT EXTRACT(year FROM ts), EXTRACT('month' FROM ts) FROM t`,
	`SELECT CAST('2024-01-01' AS TIMESTAMP), DATE '2024-02-03', TIMESTAMP '2024-01-01 00:00:00' FROM t`,
	`SELECT a FROM t WHERE s = 'it''s' OR s = '' OR s LIKE 'a%' OR s IN ('x', 'y', 'x')`,
	`SELECT a FROM t WHERE b = b'abc' OR b = x'0A' OR s = e'tab\there' OR s = U&'d\0061t'`,
	`SET timeoutMs = 100; SET enableNullHandling = 'true'; SELECT a FROM t WHERE x = 3 OPTION(numGroupsLimit=10, timeoutMs=5)`,
	`EXPLAIN PLAN FOR SELECT a FROM t WHERE x = 3 LIMIT 7 OFFSET 2`,
	`SELECT a FROM t ORDER BY a FETCH FIRST 3 ROWS ONLY`,
	`SELECT CASE WHEN x > 1 THEN 'big' WHEN x > 0.5 THEN 'mid' ELSE 'small' END, x * 2 + 1 FROM t`,
	`SELECT COUNT(*) FILTER (WHERE x > 10), SUM(x) FROM t HAVING SUM(x) > 100 ORDER BY 2 DESC NULLS FIRST`,
	`SELECT a FROM t WHERE x = 0x1F OR y = 1e3 OR z = 1.5e-2`,
	`SELECT a FROM t WHERE x = 1 LIMIT 1e3`,
	`SELECT 'tL§0§', 7340001000000000, 1000000000.5 FROM t WHERE s = 'u1'`,
	`select 1`,
	`SELECT a FROM t WHERE x = 'unterminated`,
	`SELECT a FROM t WHERE x = 1 AND`,
}

// TestShapeCache checks that every query parses to the same tree, or the
// same error, through the cache as directly: cold, warm, and with other
// literals of the same shape.
func TestShapeCache(t *testing.T) {
	queries := append([]string(nil), shapeCases...)
	queries = append(queries, corpusQueries(t)...)
	cached := 0
	lifting := 0
	for _, q := range queries {
		resetShapes()
		variants := []string{q, q, vary(t, q, 1), vary(t, q, 2), q}
		for i, v := range variants {
			got, gerr := Parse(v)
			want, werr := parseDirect(v)
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("variant %d of %q:\n%s\ncached error %v, direct error %v", i, q, v, gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("variant %d of %q:\n%s\ncached %#v\ndirect %#v", i, q, v, got.Select, want.Select)
			}
		}
		if toks, err := tokenize(q); err == nil {
			key, lits := shapeKey(q, toks)
			if len(lits) > 0 {
				lifting++
				if v, ok := shapes.m.Load(key); ok && v.(*shape).tmpl != nil {
					cached++
				}
			}
		}
	}
	t.Logf("%d queries, %d with lifted literals, %d of those cached", len(queries), lifting, cached)
	// Nearly every corpus query with literals must be served from the
	// cache, or the cache has silently stopped working.
	if lifting < 200 || float64(cached) < 0.9*float64(lifting) {
		t.Errorf("only %d of %d queries with literals were cacheable", cached, lifting)
	}
	// These shapes must be served from the cache: the load benchmark's
	// query, negated and upper-cased literals, counts and options.
	for _, i := range []int{0, 1, 2, 4, 5, 6, 7, 9, 10, 12, 13, 16, 17} {
		q := shapeCases[i]
		resetShapes()
		if _, err := Parse(q); err != nil {
			t.Fatal(err)
		}
		toks, _ := tokenize(q)
		key, _ := shapeKey(q, toks)
		if v, ok := shapes.m.Load(key); !ok || v.(*shape).tmpl == nil {
			t.Errorf("shape of %q is not cached", q)
		}
	}
}

// TestShapeCacheCallerOwnsStatement checks that a caller changing its
// statement does not change the next one of the same shape.
func TestShapeCacheCallerOwnsStatement(t *testing.T) {
	resetShapes()
	q := `SELECT a FROM t WHERE x = 1 ORDER BY a NULLS FIRST`
	for range 2 {
		st, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		st.Options["k"] = "v"
		st.Select.Where.(*Binary).R.(*Literal).Int = 99
		st.Select.Items[0].Alias = "changed"
		*st.Select.OrderBy[0].NullsFirst = false
	}
	st, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := parseDirect(q)
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("a caller's changes leaked into the cache: %#v", st.Select)
	}
}

func TestShapeCacheBounded(t *testing.T) {
	resetShapes()
	for i := range maxShapes + 10 {
		if _, err := Parse(`SELECT c` + strconv.Itoa(i) + ` FROM t WHERE x = 1`); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	shapes.m.Range(func(any, any) bool { n++; return true })
	if n > maxShapes {
		t.Fatalf("cache holds %d shapes, more than %d", n, maxShapes)
	}
}

func resetShapes() {
	shapes.m.Clear()
	shapes.n.Store(0)
}

func parseDirect(q string) (*Statement, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	return parseTokens(q, toks)
}

// vary rewrites each liftable literal of q to another value of its kind.
func vary(t *testing.T, q string, n int) string {
	toks, err := tokenize(q)
	if err != nil {
		return q
	}
	_, lits := shapeKey(q, toks)
	var b strings.Builder
	at := 0
	for _, l := range lits {
		b.WriteString(q[at:l.tok.pos])
		switch l.kind {
		case liftInt:
			v := l.i + int64(n)
			if l.i > math.MaxInt64-10 {
				v = l.i - int64(n)
			}
			b.WriteString(strconv.FormatInt(v, 10))
		case liftFloat:
			s := strconv.FormatFloat(l.f+float64(n)*0.25, 'f', -1, 64)
			if !strings.Contains(s, ".") {
				s += ".0"
			}
			b.WriteString(s)
		case liftStr:
			s := l.s
			if n == 2 {
				s = "" // the empty string too
			} else {
				s += "x'y"
			}
			b.WriteString("'" + strings.ReplaceAll(s, "'", "''") + "'")
		}
		at = l.tok.end
	}
	b.WriteString(q[at:])
	return b.String()
}

// corpusQueries reads the Tannin side of the differential test corpus.
func corpusQueries(t *testing.T) []string {
	files, err := filepath.Glob("../../testdata/queries/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus under testdata/queries: %v", err)
	}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		var cur []string
		in := false
		flush := func() {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, "\n"))
			}
			cur, in = nil, false
		}
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "query ") || strings.HasPrefix(line, "error "):
				flush()
				in = true
			case strings.HasPrefix(line, "----") || strings.TrimSpace(line) == "":
				flush()
			case in:
				cur = append(cur, line)
			}
		}
		flush()
		fh.Close()
	}
	return out
}
