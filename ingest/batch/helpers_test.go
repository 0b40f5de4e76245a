package batch

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

func loadSchema(t testing.TB, path string) *schema.Schema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := schema.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return s
}

func parseSchema(t testing.TB, text string) *schema.Schema {
	t.Helper()
	s, _, err := schema.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return s
}

func loadTable(t testing.TB, path string) *tableconfig.TableConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseTable(t, string(data))
}

func parseTable(t testing.TB, text string) *tableconfig.TableConfig {
	t.Helper()
	c, _, err := tableconfig.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse table config: %v", err)
	}
	return c
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// txExpect is what queries over generated web transactions must answer.
type txExpect struct {
	count    int64
	sum      float64
	byCamp   map[string]int64
	sumCamp  map[string]float64
	minTime  int64
	maxTime  int64
	perChunk [][2]int64 // min and max time per chunk of rowsPerSegment rows
}

func expectTransactions(t testing.TB, seed uint64, rows, rowsPerSegment int) txExpect {
	t.Helper()
	e := txExpect{byCamp: map[string]int64{}, sumCamp: map[string]float64{}, minTime: math.MaxInt64, maxTime: math.MinInt64}
	i := 0
	err := datagen.WebTransactions{}.Events(seed, rows, func(tx *datagen.Transaction) error {
		e.count++
		e.sum += tx.Price
		e.byCamp[tx.Campaign]++
		e.sumCamp[tx.Campaign] += tx.Price
		e.minTime = min(e.minTime, tx.CreationTimestamp)
		e.maxTime = max(e.maxTime, tx.CreationTimestamp)
		if i%rowsPerSegment == 0 {
			e.perChunk = append(e.perChunk, [2]int64{tx.CreationTimestamp, tx.CreationTimestamp})
		}
		c := &e.perChunk[len(e.perChunk)-1]
		c[0], c[1] = min(c[0], tx.CreationTimestamp), max(c[1], tx.CreationTimestamp)
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// writeTransactionsParquet writes the generated events with arrow-go's
// pqarrow writer, in row groups of 2000 rows.
func writeTransactionsParquet(t testing.TB, path string, seed uint64, rows int) {
	t.Helper()
	str := func(n string) arrow.Field { return arrow.Field{Name: n, Type: arrow.BinaryTypes.String} }
	sc := arrow.NewSchema([]arrow.Field{
		str("userID"), str("productName"), str("color"), str("department"), str("product"), str("campaign"),
		{Name: "price", Type: arrow.PrimitiveTypes.Float64},
		{Name: "creationTimestamp", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(2000)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	flush := func() {
		rec := rb.NewRecordBatch()
		defer rec.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	err = datagen.WebTransactions{}.Events(seed, rows, func(tx *datagen.Transaction) error {
		for i, s := range []string{tx.UserID, tx.ProductName, tx.Color, tx.Department, tx.Product, tx.Campaign} {
			rb.Field(i).(*array.StringBuilder).Append(s)
		}
		rb.Field(6).(*array.Float64Builder).Append(tx.Price)
		rb.Field(7).(*array.Int64Builder).Append(tx.CreationTimestamp)
		if n++; n%1000 == 0 {
			flush()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n%1000 != 0 {
		flush()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// openTable opens the segments of a report for querying.
func openTable(t testing.TB, s *schema.Schema, rep *Report) *exec.Table {
	t.Helper()
	tab := &exec.Table{Name: s.Name, Schema: s}
	for _, sr := range rep.Segments {
		seg, err := immutable.Open(sr.Path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { seg.Close() })
		tab.Segments = append(tab.Segments, seg)
	}
	return tab
}

func query(t testing.TB, tab *exec.Table, sql string) *exec.Result {
	t.Helper()
	res, err := exec.Query(context.Background(), tab, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// memBuild is a buildFunc that keeps segments in memory, for tests that
// look at the column buffers the builder receives.
type memBuild struct {
	segs []memSeg
}

type memSeg struct {
	cfg  immutable.BuildConfig
	cols []*segment.ColumnBuffer
}

func (m *memBuild) build(path string, cfg immutable.BuildConfig, cols []*segment.ColumnBuffer) (*segment.Meta, error) {
	m.segs = append(m.segs, memSeg{cfg, cols})
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	return &segment.Meta{Name: cfg.SegmentName, Table: cfg.TableName, NumDocs: n, PartitionID: -1}, nil
}

// column returns the buffer of the named column across all segments.
func (m *memBuild) column(t testing.TB, name string) []*segment.ColumnBuffer {
	t.Helper()
	var out []*segment.ColumnBuffer
	for _, s := range m.segs {
		found := false
		for _, c := range s.cols {
			if c.Spec.Name == name {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			t.Fatalf("no column %q", name)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
