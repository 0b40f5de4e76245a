package immutable

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// benchGens is a 30-column table shaped like an orders fact table:
// low- and mid-cardinality dimensions, a few high-cardinality ids,
// decimal metrics, an increasing timestamp and one multi-value column.
func benchGens() []colGen {
	strDim := func(name string, card int) colGen {
		return colGen{name: name, typ: schema.TypeString, sv: true, gen: func(r *rand.Rand, _ int) any {
			return fmt.Sprintf("%s-%d", name, r.IntN(card))
		}}
	}
	intDim := func(name string, lo, card int) colGen {
		return colGen{name: name, typ: schema.TypeInt, sv: true, gen: func(r *rand.Rand, _ int) any { return int64(lo + r.IntN(card)) }}
	}
	return []colGen{
		strDim("country", 200), strDim("city", 5000), strDim("status", 5), strDim("device", 10),
		strDim("category", 50), strDim("brand", 1000), strDim("campaign", 500), strDim("os", 8),
		strDim("browser", 12), strDim("region", 20),
		strDim("user_id", 100_000),
		{name: "session", typ: schema.TypeString, sv: true, gen: func(r *rand.Rand, _ int) any { return fmt.Sprintf("%016x", r.Uint64()) }},
		intDim("restaurant_id", 1, 10_000), intDim("store_id", 1, 1000), intDim("quantity", 1, 10),
		intDim("age", 18, 72), intDim("zip", 10000, 40000), intDim("hour", 0, 24), intDim("day", 0, 30),
		{name: "price", typ: schema.TypeDouble, sv: true, gen: func(r *rand.Rand, _ int) any { return float64(r.IntN(100_000)) / 100 }},
		{name: "discount", typ: schema.TypeFloat, sv: true, gen: func(r *rand.Rand, _ int) any { return float64(r.IntN(50)) / 2 }},
		{name: "tax", typ: schema.TypeDouble, sv: true, gen: func(r *rand.Rand, _ int) any { return float64(r.IntN(20_000)) / 100 }},
		{name: "revenue", typ: schema.TypeDouble, sv: true, gen: func(r *rand.Rand, _ int) any { return float64(r.IntN(10_000_000)) / 100 }},
		{name: "latency_us", typ: schema.TypeLong, sv: true, gen: func(r *rand.Rand, _ int) any { return int64(r.ExpFloat64() * 20_000) }},
		{name: "bytes", typ: schema.TypeLong, sv: true, gen: func(r *rand.Rand, _ int) any { return r.Int64N(1 << 30) }},
		{name: "ts", typ: schema.TypeTimestamp, sv: true, gen: func(r *rand.Rand, d int) any { return 1_700_000_000_000 + int64(d)*37 + r.Int64N(37) }},
		{name: "is_member", typ: schema.TypeBoolean, sv: true, gen: func(r *rand.Rand, _ int) any { return int64(r.IntN(2)) }},
		{name: "tags", typ: schema.TypeString, sv: false, gen: func(r *rand.Rand, _ int) any { return fmt.Sprintf("tag%d", r.IntN(50)) }},
		intDim("items", 1, 20),
		{name: "note", typ: schema.TypeString, sv: true, nulls: 0.7, gen: func(r *rand.Rand, _ int) any {
			return fmt.Sprintf("delivery note %d", r.IntN(300))
		}},
	}
}

func benchConfig() BuildConfig {
	return BuildConfig{
		SegmentName: "bench", TableName: "orders", TimeColumn: "ts", PartitionID: -1,
		InvertedColumns: []string{"country", "status", "category", "restaurant_id", "tags"},
		RangeColumns:    []string{"price", "latency_us", "age"},
		BloomColumns:    []string{"user_id", "session", "restaurant_id"},
	}
}

// benchTable1M is generated once per test binary: it takes seconds.
var benchTable1M = sync.OnceValue(func() *testTable { return genTable(77, 1<<20, benchGens()) })

func benchTable(n int) *testTable {
	if n == 1<<20 {
		return benchTable1M()
	}
	return genTable(77, n, benchGens())
}

// BenchmarkBuild builds a 1M-row, 30-column segment; rows/s is the build
// throughput on one goroutine.
func BenchmarkBuild(b *testing.B) {
	const n = 1 << 20
	tbl := benchTable(n)
	if len(tbl.cols) != 30 {
		b.Fatalf("%d columns", len(tbl.cols))
	}
	interned := internTable(tbl)
	for _, tc := range []struct {
		sortBy string
		strs   string
		tbl    *testTable
		reuse  bool
	}{
		{"", "fresh", tbl, true}, {"", "interned", interned, true},
		{"restaurant_id", "fresh", tbl, true}, {"", "fresh", tbl, false},
	} {
		sortBy := tc.sortBy
		tbl := tc.tbl
		b.Run(fmt.Sprintf("rows=%d/cols=30/strings=%s/sorted=%s/reuse=%v", n, tc.strs, sortBy, tc.reuse), func(b *testing.B) {
			cfg := benchConfig()
			cfg.SortedColumn = sortBy
			path := filepath.Join(b.TempDir(), "bench")
			var size int64
			// A server keeps a Builder for the segments it seals.
			var bd Builder
			defer bd.Close()
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if !tc.reuse {
					bd.Close()
					bd = Builder{}
				}
				m, err := bd.Build(path, cfg, tbl.cols)
				if err != nil {
					b.Fatal(err)
				}
				size = m.SizeBytes
			}
			b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "rows/s")
			reportCPURate(b, start, float64(b.N)*n)
			b.ReportMetric(float64(size)/n, "bytes/row")
		})
	}
}

func openBench(b *testing.B, n int) *Segment {
	b.Helper()
	tbl := benchTable(n)
	path := filepath.Join(b.TempDir(), "bench")
	if _, err := Build(path, benchConfig(), tbl.cols); err != nil {
		b.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkOpen measures validating and mapping the 1M-row segment.
func BenchmarkOpen(b *testing.B) {
	const n = 1 << 20
	tbl := benchTable(n)
	path := filepath.Join(b.TempDir(), "bench")
	m, err := Build(path, benchConfig(), tbl.cols)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(m.SizeBytes)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkDictIDs reads a whole column in batches of 1024 contiguous
// docs, per bit width (the columns of the bench table span the widths).
func BenchmarkDictIDs(b *testing.B) {
	const n = 1 << 20
	s := openBench(b, n)
	docs := make([]uint32, 1024)
	ids := make([]uint32, 1024)
	for _, name := range []string{"is_member", "status", "os", "hour", "category", "country", "brand", "city", "restaurant_id", "user_id", "session"} {
		col := s.Column(name)
		b.Run(fmt.Sprintf("contiguous/w=%d/%s", col.Meta().BitWidth, name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for start := 0; start < n; start += len(docs) {
					for i := range docs {
						docs[i] = uint32(start + i)
					}
					col.DictIDs(docs, ids)
				}
			}
			b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "rows/s")
		})
	}
	for _, name := range []string{"status", "city", "session"} {
		col := s.Column(name)
		for _, sel := range []float64{0.01, 0.5} {
			b.Run(fmt.Sprintf("random/sel=%v/w=%d/%s", sel, col.Meta().BitWidth, name), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				var sel1 []uint32
				for d := 0; d < n; d++ {
					if r.Float64() < sel {
						sel1 = append(sel1, uint32(d))
					}
				}
				out := make([]uint32, 1024)
				b.ReportAllocs()
				for b.Loop() {
					for i := 0; i < len(sel1); i += 1024 {
						col.DictIDs(sel1[i:min(i+1024, len(sel1))], out)
					}
				}
				b.ReportMetric(float64(b.N)*float64(len(sel1))/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkValues reads values (through the dictionary, or raw) in
// contiguous batches of 1024.
func BenchmarkValues(b *testing.B) {
	const n = 1 << 20
	s := openBench(b, n)
	docs := make([]uint32, 1024)
	i64 := make([]int64, 1024)
	f64 := make([]float64, 1024)
	strs := make([]string, 1024)
	for _, name := range []string{"restaurant_id", "price", "city", "ts"} {
		col := s.Column(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for start := 0; start < n; start += len(docs) {
					for i := range docs {
						docs[i] = uint32(start + i)
					}
					switch col.Meta().DataType.Storage() {
					case schema.StorageInt64:
						col.Int64s(docs, i64)
					case schema.StorageFloat64:
						col.Float64s(docs, f64)
					default:
						col.Strings(docs, strs)
					}
				}
			}
			b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

var _ segment.Segment = (*Segment)(nil)
