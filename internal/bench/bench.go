// Package bench measures Tannin against DuckDB on the same generated
// clickstream rows, with the same thread count, in the same process: per
// query median times, their ratio and the geometric mean of the ratios,
// segment build throughput and on-disk size. cmd/tannin-bench is its
// command; docs/benchmarks.md records its figures.
package bench

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// Config says what to measure.
type Config struct {
	Rows           int
	RowsPerSegment int
	Dir            string // cache of segments and the DuckDB file between runs
	Runs           int    // timed runs per query (after one warm-up)
	Threads        int
	Only           []string // query names; all when empty
	Seed           uint64
	Out            io.Writer
}

// DefaultConfig is the benchmark: 10M rows, 1M-row segments.
func DefaultConfig() Config {
	return Config{Rows: 10_000_000, RowsPerSegment: 1_000_000, Dir: ".cache/bench", Runs: 5, Threads: runtime.GOMAXPROCS(0), Seed: 42, Out: os.Stdout}
}

// Table configuration of the benchmark table: sorted on CounterID (as
// ClickBench's hits), inverted indexes on lookup columns, a range index on
// EventTime and bloom filters on UserID and URL.
var buildConfig = immutable.BuildConfig{
	TableName:       "hits",
	TimeColumn:      "EventTime",
	SortedColumn:    "CounterID",
	InvertedColumns: []string{"UserID", "MobilePhoneModel", "SearchEngineID", "AdvEngineID", "RegionID"},
	RangeColumns:    []string{"EventTime"},
	BloomColumns:    []string{"UserID", "URL"},
}

// Result is one query's measurement.
type Result struct {
	Query    Query
	Tannin   time.Duration
	Duck     time.Duration
	Ratio    float64
	Rows     int
	Mismatch string // "" when both engines agreed
}

// Report is the whole run.
type Report struct {
	Rows          int
	Segments      int
	BuildRowsPerS float64
	TanninBytes   int64
	DuckBytes     int64
	Results       []Result
	Geomean       float64
	Threads       int
}

type manifest struct {
	Rows, RowsPerSegment int
	Seed                 uint64
	BuildSeconds         float64
	Segments             []string
}

// Run builds (or reuses) the data and runs the queries on both engines.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	m, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ds := datagen.Clickstream{}
	s := ds.Schema()
	tbl := &exec.Table{Name: "hits", Schema: s}
	var tBytes int64
	for _, name := range m.Segments {
		seg, err := immutable.Open(filepath.Join(cfg.Dir, name))
		if err != nil {
			return nil, err
		}
		defer seg.Close()
		tbl.Segments = append(tbl.Segments, seg)
		st, err := os.Stat(filepath.Join(cfg.Dir, name))
		if err != nil {
			return nil, err
		}
		tBytes += st.Size()
	}
	duckPath := filepath.Join(cfg.Dir, "hits.duckdb")
	db, closeDB, err := openDuck(duckPath, cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	dst, err := os.Stat(duckPath)
	if err != nil {
		return nil, err
	}
	runtime.GOMAXPROCS(cfg.Threads)

	rep := &Report{Rows: m.Rows, Segments: len(m.Segments), BuildRowsPerS: float64(m.Rows) / m.BuildSeconds, TanninBytes: tBytes, DuckBytes: dst.Size(), Threads: cfg.Threads}
	params, err := parameters(ctx, tbl)
	if err != nil {
		return nil, err
	}
	logSum, n := 0.0, 0
	for _, q := range Queries {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, q.Name) {
			continue
		}
		tq, dq := params.Replace(q.Tannin), params.Replace(q.DuckSQL())
		r := Result{Query: Query{Name: q.Name, Kind: q.Kind, Tannin: tq, Duck: dq, Approx: q.Approx}}
		var tRes *exec.Result
		r.Tannin, err = timeRuns(cfg.Runs, func() error {
			var err error
			tRes, err = exec.Query(ctx, tbl, tq)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s on tannin: %w", q.Name, err)
		}
		var dRows [][]any
		r.Duck, err = timeRuns(cfg.Runs, func() error {
			var err error
			dRows, err = duckQuery(ctx, db, dq)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s on duckdb: %w", q.Name, err)
		}
		r.Rows = len(tRes.Rows)
		if !q.Approx {
			r.Mismatch = compare(tRes.Rows, dRows)
		}
		r.Ratio = r.Tannin.Seconds() / r.Duck.Seconds()
		logSum += math.Log(r.Ratio)
		n++
		rep.Results = append(rep.Results, r)
		fmt.Fprintf(cfg.Out, "%-4s %-42s tannin %9.2f ms  duckdb %9.2f ms  ratio %6.2f %s\n", q.Name, q.Kind, ms(r.Tannin), ms(r.Duck), r.Ratio, r.Mismatch)
	}
	if n > 0 {
		rep.Geomean = math.Exp(logSum / float64(n))
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeRuns runs f once to warm up, then runs times, returning the median.
func timeRuns(runs int, f func() error) (time.Duration, error) {
	if err := f(); err != nil {
		return 0, err
	}
	ds := make([]time.Duration, runs)
	for i := range ds {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// prepare generates the rows once, building Tannin segments and loading
// DuckDB from the same batches; a manifest lets later runs reuse both.
func prepare(ctx context.Context, cfg Config) (*manifest, error) {
	mpath := filepath.Join(cfg.Dir, "manifest.json")
	if b, err := os.ReadFile(mpath); err == nil {
		var m manifest
		if json.Unmarshal(b, &m) == nil && m.Rows == cfg.Rows && m.RowsPerSegment == cfg.RowsPerSegment && m.Seed == cfg.Seed {
			return &m, nil
		}
	}
	for _, pat := range []string{"hits_*.seg", "hits.duckdb*"} {
		old, _ := filepath.Glob(filepath.Join(cfg.Dir, pat))
		for _, f := range old {
			os.Remove(f)
		}
	}
	ds := datagen.Clickstream{}
	s := ds.Schema()
	db, closeDB, err := openDuck(filepath.Join(cfg.Dir, "hits.duckdb"), cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	if _, err := db.ExecContext(ctx, createTable(s)); err != nil {
		return nil, fmt.Errorf("duckdb create table: %w", err)
	}
	m := &manifest{Rows: cfg.Rows, RowsPerSegment: cfg.RowsPerSegment, Seed: cfg.Seed}
	var build time.Duration
	fmt.Fprintf(cfg.Out, "generating %d rows into %s ...\n", cfg.Rows, cfg.Dir)
	err = ds.Generate(cfg.Seed, cfg.Rows, cfg.RowsPerSegment, func(cols []*segment.ColumnBuffer) error {
		if err := datagen.SortBy(cols, buildConfig.SortedColumn); err != nil {
			return err
		}
		name := fmt.Sprintf("hits_%d.seg", len(m.Segments))
		bc := buildConfig
		bc.SegmentName = strings.TrimSuffix(name, ".seg")
		bc.Schema = s
		bc.PartitionID = -1
		start := time.Now()
		if _, err := immutable.Build(filepath.Join(cfg.Dir, name), bc, cols); err != nil {
			return err
		}
		build += time.Since(start)
		m.Segments = append(m.Segments, name)
		return appendDuck(ctx, db, s, cols)
	})
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, err
	}
	m.BuildSeconds = build.Seconds()
	b, _ := json.Marshal(m)
	return m, os.WriteFile(mpath, b, 0o644)
}

func openDuck(path string, threads int) (*sql.DB, func(), error) {
	c, err := duckdb.NewConnector(path, func(execer driver.ExecerContext) error {
		for _, q := range []string{fmt.Sprintf("SET threads = %d", threads), "SET TimeZone = 'UTC'"} {
			if _, err := execer.ExecContext(context.Background(), q, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db, func() { db.Close(); c.Close() }, nil
}

func duckType(f *schema.FieldSpec) string {
	switch f.DataType {
	case schema.TypeInt:
		return "INTEGER"
	case schema.TypeLong:
		return "BIGINT"
	case schema.TypeFloat, schema.TypeDouble:
		return "DOUBLE"
	case schema.TypeBoolean:
		return "BOOLEAN"
	case schema.TypeTimestamp:
		return "TIMESTAMP"
	default:
		return "VARCHAR"
	}
}

func createTable(s *schema.Schema) string {
	var cols []string
	for i := range s.Fields {
		f := &s.Fields[i]
		if !f.SingleValue {
			continue
		}
		cols = append(cols, fmt.Sprintf("%q %s", f.Name, duckType(f)))
	}
	return "CREATE TABLE hits (" + strings.Join(cols, ", ") + ")"
}

func appendDuck(ctx context.Context, db *sql.DB, s *schema.Schema, cols []*segment.ColumnBuffer) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "hits")
		if err != nil {
			return err
		}
		var sv []*segment.ColumnBuffer
		for i, c := range cols {
			if s.Fields[i].SingleValue {
				sv = append(sv, c)
			}
		}
		row := make([]driver.Value, len(sv))
		n := sv[0].Len()
		for r := 0; r < n; r++ {
			for i, c := range sv {
				row[i] = duckValue(c, r)
			}
			if err := a.AppendRow(row...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
}

func duckValue(c *segment.ColumnBuffer, r int) driver.Value {
	if c.Nulls != nil && c.Nulls.Contains(uint32(r)) {
		return nil
	}
	switch c.Spec.DataType {
	case schema.TypeInt:
		return int32(c.Ints[r])
	case schema.TypeBoolean:
		return c.Ints[r] != 0
	case schema.TypeTimestamp:
		return time.UnixMilli(c.Ints[r]).UTC()
	}
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		return c.Ints[r]
	case schema.StorageFloat64:
		return c.Floats[r]
	default:
		return c.Strs[r]
	}
}

// params are the data-dependent constants of the queries.
type params map[string]string

func (p params) Replace(q string) string {
	for k, v := range p {
		q = strings.ReplaceAll(q, "{{"+k+"}}", v)
	}
	return q
}

func parameters(ctx context.Context, tbl *exec.Table) (params, error) {
	r, err := exec.Query(ctx, tbl, "SELECT UserID FROM hits WHERE CounterID <> 62 LIMIT 1")
	if err != nil {
		return nil, err
	}
	if len(r.Rows) == 0 {
		return nil, errors.New("bench: no rows")
	}
	user := r.Rows[0][0].(int64)
	r, err = exec.Query(ctx, tbl, "SELECT MIN(EventTime) FROM hits")
	if err != nil {
		return nil, err
	}
	t0 := int64(r.Rows[0][0].(float64)) + 3_600_000
	t1 := t0 + 3_600_000
	return params{
		"USER": strconv.FormatInt(user, 10),
		"T0":   strconv.FormatInt(t0, 10), "T1": strconv.FormatInt(t1, 10),
		"D0": fmt.Sprintf("epoch_ms(%d)", t0), "D1": fmt.Sprintf("epoch_ms(%d)", t1),
	}, nil
}

func duckQuery(ctx context.Context, db *sql.DB, q string) ([][]any, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// compare checks that both engines returned the same rows (numbers
// compared as float64 with a tolerance, loose for sketches).
func compare(t, d [][]any) string {
	if len(t) != len(d) {
		return fmt.Sprintf("MISMATCH: %d rows vs %d", len(t), len(d))
	}
	const tol = 1e-9
	key := func(r []any) string { return fmt.Sprint(r...) }
	ts, dsr := slices.Clone(t), slices.Clone(d)
	sort.Slice(ts, func(i, j int) bool { return key(ts[i]) < key(ts[j]) })
	sort.Slice(dsr, func(i, j int) bool { return key(dsr[i]) < key(dsr[j]) })
	for i := range ts {
		if len(ts[i]) != len(dsr[i]) {
			return "MISMATCH: column count"
		}
		for j := range ts[i] {
			a, aok := num(ts[i][j])
			b, bok := num(dsr[i][j])
			if aok && bok {
				if math.Abs(a-b) > tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
					return fmt.Sprintf("MISMATCH row %d col %d: %v vs %v", i, j, ts[i][j], dsr[i][j])
				}
				continue
			}
			if fmt.Sprint(ts[i][j]) != fmt.Sprint(dsr[i][j]) {
				return fmt.Sprintf("MISMATCH row %d col %d: %v vs %v", i, j, ts[i][j], dsr[i][j])
			}
		}
	}
	return ""
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}
