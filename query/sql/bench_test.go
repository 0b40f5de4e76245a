package sql

import (
	"reflect"
	"sync"
	"testing"
)

var benchQueries = []struct{ name, sql string }{
	{"simple", `SELECT COUNT(*) FROM hits WHERE AdvEngineID <> 0`},
	{"pinot", "SET timeoutMs = 1000;\nSELECT userID, DATETRUNC('day', ts) AS d, SUM(price) FROM events " +
		"WHERE country IN ('FR', 'DE') AND ts > 1700000000000 GROUP BY userID, d ORDER BY 3 DESC LIMIT 10 OPTION(useStarTree=false)"},
	{"tableau", `SELECT SUM("t"."price") AS "sum:price:ok", CAST(EXTRACT(YEAR FROM "t"."creationTimestamp") AS BIGINT) AS "yr:creationTimestamp:ok" ` +
		`FROM "webTransactions" "t" GROUP BY 2 HAVING (COUNT(1) > 0) LIMIT 1000000`},
}

func BenchmarkParse(b *testing.B) {
	for _, q := range benchQueries {
		b.Run("query="+q.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(q.sql)))
			for b.Loop() {
				if _, err := Parse(q.sql); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExprString(b *testing.B) {
	st, err := Parse(benchQueries[1].sql)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, it := range st.Select.Items {
			_ = it.Expr.String()
		}
	}
}

// TestParseConcurrent checks that Parse shares no state between calls
// (the broker parses on many goroutines); run it with -race.
func TestParseConcurrent(t *testing.T) {
	want := make([]*Statement, len(benchQueries))
	for i, q := range benchQueries {
		st, err := Parse(q.sql)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = st
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for i, q := range benchQueries {
					st, err := Parse(q.sql)
					if err != nil || !reflect.DeepEqual(st, want[i]) {
						errs <- q.name
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("concurrent Parse of %s differs", name)
	}
}
