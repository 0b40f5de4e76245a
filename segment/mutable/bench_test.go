package mutable

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

// quickstart loads the quickstart's schema and table config.
func quickstart(b testing.TB) (*schema.Schema, *tableconfig.TableConfig) {
	dir := "../../deploy/quickstart"
	sd, err := os.ReadFile(filepath.Join(dir, "webTransactions_schema.json"))
	if err != nil {
		b.Fatal(err)
	}
	s, _, err := schema.Parse(sd)
	if err != nil {
		b.Fatal(err)
	}
	td, err := os.ReadFile(filepath.Join(dir, "webTransactions_offline_table_config.json"))
	if err != nil {
		b.Fatal(err)
	}
	tc, _, err := tableconfig.Parse(td)
	if err != nil {
		b.Fatal(err)
	}
	return s, tc
}

// BenchmarkIngestJSON measures the consuming path from raw JSON records to
// queryable rows: decode into batches, the table's transforms, append to
// the consuming segment with its realtime inverted indexes (userID,
// campaign, department). transform=quickstart runs the quickstart's
// FromDateTime transform on a text time field; transform=none reads epoch
// millis.
func BenchmarkIngestJSON(b *testing.B) {
	const rows = 200_000
	s, tc := quickstart(b)
	for _, mode := range []string{"none", "quickstart"} {
		b.Run("transform="+mode, func(b *testing.B) {
			opts := datagen.RawOptions{}
			ing := &tableconfig.IngestionConfig{}
			if mode == "quickstart" {
				opts = datagen.RawOptions{TimeAsString: true, TimeKey: "creationTime"}
				ing = &tc.Ingestion
			}
			var buf bytes.Buffer
			if err := datagen.WriteTransactionsJSON(&buf, 1, rows, opts); err != nil {
				b.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
			tr, err := decode.NewTransformer(s, ing)
			if err != nil {
				b.Fatal(err)
			}
			batch, err := decode.NewBatch(s, decode.DefaultBatchSize)
			if err != nil {
				b.Fatal(err)
			}
			for _, in := range tr.Inputs() {
				batch.AddInput(in, schema.TypeInvalid)
			}
			if err := tr.Check(batch); err != nil {
				b.Fatal(err)
			}
			dec := decode.NewJSONDecoder(batch)
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				seg, err := New(ConfigFromTable("webTransactions__0__0__20250101T0000Z", s, tc, rows))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for j, l := range lines {
					if err := dec.Decode(int64(j), l); err != nil {
						b.Fatal(err)
					}
					if batch.Full() || j == len(lines)-1 {
						tr.Apply(batch)
						if err := seg.Append(batch); err != nil {
							b.Fatal(err)
						}
						batch.Reset()
					}
				}
				if seg.NumDocs() != rows {
					b.Fatalf("%d rows, want %d", seg.NumDocs(), rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkAppendColumns measures the append alone (dictionaries, forward
// index, statistics, inverted index freezes) from ready column buffers.
func BenchmarkAppendColumns(b *testing.B) {
	const rows = 200_000
	s, tc := quickstart(b)
	cols := genRows(b, datagen.WebTransactions{}, 1, rows)
	for i := range cols {
		cols[i].Spec = &s.Fields[i]
	}
	parts := make([][]*segment.ColumnBuffer, 0, rows/decode.DefaultBatchSize+1)
	for lo := 0; lo < rows; lo += decode.DefaultBatchSize {
		parts = append(parts, sliceRows(cols, lo, min(rows, lo+decode.DefaultBatchSize)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seg, err := New(ConfigFromTable("webTransactions__0__0__20250101T0000Z", s, tc, rows))
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			if err := seg.AppendColumns(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// millionRows is a 1M-row consuming segment of web transactions with the
// quickstart's indexes.
func millionRows(b *testing.B) (*Segment, *schema.Schema, *tableconfig.TableConfig) {
	const rows = 1_000_000
	s, tc := quickstart(b)
	cols := genRows(b, datagen.WebTransactions{}, 1, rows)
	for i := range cols {
		cols[i].Spec = &s.Fields[i]
	}
	seg, err := New(ConfigFromTable("webTransactions__0__0__20250101T0000Z", s, tc, rows))
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < rows; lo += decode.DefaultBatchSize {
		if err := seg.AppendColumns(sliceRows(cols, lo, min(rows, lo+decode.DefaultBatchSize))); err != nil {
			b.Fatal(err)
		}
	}
	return seg, s, tc
}

func sealConfig(s *schema.Schema, tc *tableconfig.TableConfig) immutable.BuildConfig {
	return immutable.BuildConfig{
		SegmentName: "webTransactions__0__0__20250101T0000Z", TableName: "webTransactions", Schema: s,
		TimeColumn: tc.Segments.TimeColumnName, SortedColumn: tc.Index.SortedColumn,
		InvertedColumns: tc.Index.InvertedIndexColumns, RangeColumns: tc.Index.RangeIndexColumns,
		BloomColumns: tc.Index.BloomFilterColumns, NoDictionaryColumns: tc.Index.NoDictionaryColumns,
		PartitionID: 0, Now: func() time.Time { return time.UnixMilli(1_735_689_600_000) },
	}
}

// BenchmarkQuery compares query latency on a 1M-row consuming segment and
// on the same rows sealed.
func BenchmarkQuery(b *testing.B) {
	seg, s, tc := millionRows(b)
	path := filepath.Join(b.TempDir(), "sealed.tseg")
	if _, err := seg.Seal(path, sealConfig(s, tc)); err != nil {
		b.Fatal(err)
	}
	sealed, err := immutable.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer sealed.Close()
	snap := seg.Snapshot()
	var user string
	{
		d := []string{""}
		snap.Column("userID").Strings([]uint32{12345}, d)
		user = d[0]
	}
	queries := []struct{ name, sql string }{
		{"count", "SELECT COUNT(*) FROM webTransactions"},
		{"user", fmt.Sprintf("SELECT COUNT(*), SUM(price) FROM webTransactions WHERE userID = '%s'", user)},
		{"campaign", "SELECT COUNT(*), SUM(price) FROM webTransactions WHERE campaign = 'NONE'"},
		{"groupby", "SELECT department, COUNT(*), SUM(price) FROM webTransactions GROUP BY department ORDER BY 2 DESC LIMIT 10"},
		{"topusers", "SELECT userID, SUM(price) FROM webTransactions GROUP BY userID ORDER BY 2 DESC LIMIT 10"},
		{"like", "SELECT COUNT(*) FROM webTransactions WHERE productName LIKE '%Shoe%'"},
	}
	for _, q := range queries {
		for _, kind := range []string{"consuming", "sealed"} {
			var target segment.Segment = sealed
			b.Run("query="+q.name+"/segment="+kind, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if kind == "consuming" {
						target = seg.Snapshot() // a snapshot per query, as a server takes
					}
					query(b, target, s, q.sql)
				}
			})
		}
	}
}

// BenchmarkSeal measures sealing a 1M-row consuming segment into a file.
func BenchmarkSeal(b *testing.B) {
	seg, s, tc := millionRows(b)
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := seg.Seal(filepath.Join(dir, fmt.Sprint(i)+".tseg"), sealConfig(s, tc)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(seg.NumDocs())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(seg.EstimatedSizeBytes())/float64(seg.NumDocs()), "mem-bytes/row")
}
