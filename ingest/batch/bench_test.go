package batch

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// BenchmarkIngest measures reading web-transactions files into segment
// buffers (decode, convert, append), with the segment build left out
// (build=none) or included (build=immutable).
func BenchmarkIngest(b *testing.B) {
	const rows = 200_000
	sch := loadSchema(b, "testdata/transactions_schema.json")
	tab := loadTable(b, "testdata/transactions_table.json")
	dir := b.TempDir()
	files := map[string]string{}
	for _, f := range []struct {
		name  string
		write func(*os.File) error
	}{
		{"json", func(f *os.File) error { return datagen.WriteTransactionsJSON(f, 1, rows, datagen.RawOptions{}) }},
		{"csv", func(f *os.File) error { return datagen.WriteTransactionsCSV(f, 1, rows, datagen.RawOptions{}) }},
	} {
		p := filepath.Join(dir, "tx."+f.name)
		fh, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.write(fh); err != nil {
			b.Fatal(err)
		}
		fh.Close()
		files[f.name] = p
	}
	files["parquet"] = filepath.Join(dir, "tx.parquet")
	writeTransactionsParquet(b, files["parquet"], 1, rows)

	discard := func(string, immutable.BuildConfig, []*segment.ColumnBuffer) (*segment.Meta, error) {
		return &segment.Meta{}, nil
	}
	for _, format := range []string{"json", "csv", "parquet"} {
		for _, build := range []string{"none", "immutable"} {
			b.Run("format="+format+"/build="+build, func(b *testing.B) {
				st, _ := os.Stat(files[format])
				b.SetBytes(st.Size())
				b.ReportAllocs()
				bf := buildFunc(discard)
				if build == "immutable" {
					bf = immutable.Build
				}
				var total int64
				for i := 0; i < b.N; i++ {
					rep, err := ingest(context.Background(), Config{
						Schema: sch, Table: tab, Inputs: []string{files[format]},
						OutDir: b.TempDir(), RowsPerSegment: rows,
					}, nil, bf)
					if err != nil {
						b.Fatal(err)
					}
					total += rep.RowsRead
				}
				b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
