// Package difftest checks Tannin's SQL answers against DuckDB's on the
// same rows: a differential test suite.
//
// The suite generates tables with internal/datagen (web transactions,
// 100k rows in 4 segments; ClickBench-like hits, 200k rows in 8 segments;
// a small multi-value table, tags), builds Tannin segments with inverted,
// sorted, range, bloom and raw (no-dictionary) columns so that every index
// path runs, appends the same rows to an in-memory DuckDB through its
// appender, and runs a corpus of queries on both. A second test loads 3M
// real flights from a Parquet file (installed by scripts/fetch-testdata.sh)
// into Tannin segments and lets DuckDB read the file itself.
//
// # Running
//
//	go test ./query/difftest                              # everything
//	go test ./query/difftest -run 'TestCorpus/time'       # one corpus file
//	go test ./query/difftest -run TestCorpus -difftest.query=cb12,tm003
//	DIFFTEST_QUERY=r017 go test ./query/difftest -run TestCorpus/random
//	go test ./query/difftest -difftest.segments=memseg    # in-memory segments
//	go test ./query/difftest -difftest.segments=mutable   # consuming segments
//	go test ./query/difftest -difftest.random=500 -difftest.seed=7
//	go test ./query/difftest -difftest.partials=1             # one process only
//
// # Distributed answers
//
// By default (-difftest.partials=3) Tannin answers every query the way a
// cluster does: the table's segments are dealt round-robin to three
// pseudo-servers (a server may get none), each runs exec.Execute, its
// Partial goes through the wire encoding (AppendBinary, UnmarshalPartial),
// and exec.Reduce merges them from the schema alone, as a broker. The
// hand-written records also run in one process (exec.Query) and must pass
// both ways; the random queries run distributed only. A failure says which
// way failed.
//
// A failing record prints both SQL texts and the first five rows of both
// results.
//
// # Corpus format
//
// testdata/queries/*.test (and testdata/queries/flights/*.test for the
// real data) hold records separated by blank lines. Lines starting with #
// outside a record are comments.
//
//	table hits
//
// sets the table that the following records run against when their FROM
// clause names no loaded table (error records about unknown tables).
//
//	query <id> [option ...]
//	<SQL in Tannin's (Pinot's) dialect, one or more lines>
//	----duckdb
//	<the same query in DuckDB's dialect, one or more lines>
//
// is a query record. The ----duckdb part is optional: without it DuckDB
// runs the Tannin text less Pinot's "SET k = v;" prefixes and OPTION(...)
// suffix. Write a translation where the dialects differ: DATETRUNC('DAY',
// ms) is epoch_ms(date_trunc('day', epoch_ms(ms))), DATETIMECONVERT and
// ToDateTime are strftime or integer division, DISTINCTCOUNT(x) is
// count(DISTINCT x), PERCENTILE(x, p) is Pinot's exact
// sorted[floor(n*p/100)] (list_sort(list(x))[...]), multi-value predicates
// are list_contains, and so on. SQL must not contain blank lines.
//
//	error <id>
//	<SQL>
//	----
//	<substring that Tannin's error message must contain, any case>
//
// is an error record: Tannin must reject the query (unknown column, table
// or function, wrong types, malformed SQL); DuckDB does not run.
//
// Query options:
//
//	tol=R        relative tolerance R for every numeric column, integers
//	             included (sketches: DISTINCTCOUNTHLL tol=0.02,
//	             PERCENTILEEST / PERCENTILETDIGEST tol=0.05)
//	tol=C:R      relative tolerance R for result column C (1-based)
//	abstol=A     absolute tolerance A
//	check=count  compare the column and row counts only
//	keys=C,...   the result columns (1-based) the ORDER BY sorts by, when
//	             its keys are not select items
//	unordered    compare as a multiset despite an ORDER BY
//
// Every record is linted before it runs: a query needs an explicit LIMIT
// unless it is an aggregation without GROUP BY (Pinot answers 10 rows by
// default), a LIMIT without ORDER BY needs check=count, and every ORDER BY
// key must map to a result column (by ordinal, alias or expression text)
// or be given with keys=.
//
// # Comparison
//
// Results match when they have the same number of columns and rows and
// equal values. Numbers compare numerically across types (Pinot answers
// SUM of integers, AVG and arithmetic as DOUBLE where DuckDB answers
// BIGINT or HUGEINT), floating-point values within a relative 1e-9,
// integers exactly unless a tolerance is given; booleans equal 0/1;
// timestamps compare as epoch milliseconds; NULL equals NULL and nothing
// else, DuckDB's NULL semantics being the reference. Without ORDER BY rows
// compare as multisets. With ORDER BY they compare in order, except that
// rows tied on the ORDER BY keys compare as multisets, and when LIMIT cut
// the result (or OFFSET skipped rows) the tied rows at the cut compare by
// their keys only, since either engine may pick any of them. DuckDB is set
// to order NULLs last ascending and first descending, as PostgreSQL and
// Pinot do.
//
// # Random queries
//
// RandomQueries draws filters (comparisons, BETWEEN, IN, LIKE, IS NULL,
// AND/OR/NOT over typed columns, with constants sampled from the data),
// group-bys with aggregates (COUNT, SUM, MIN, MAX, AVG, DISTINCTCOUNT,
// COUNT(DISTINCT), FILTER), HAVING, DISTINCT and ordered selections from
// a small grammar with a fixed seed. Each orders by its group keys or by
// the table's unique column, so the answer is fully determined.
package difftest
