package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
)

// TestEndToEnd ingests the same generated web transactions from JSON
// lines, CSV and Parquet into real segments and checks, through the query
// engine, that COUNT(*), SUM(price) and a GROUP BY match the input.
func TestEndToEnd(t *testing.T) {
	const (
		seed           = 7
		rows           = 10_000
		rowsPerSegment = 3_000
	)
	sch := loadSchema(t, "testdata/transactions_schema.json")
	tab := loadTable(t, "testdata/transactions_table.json")
	want := expectTransactions(t, seed, rows, rowsPerSegment)
	in := t.TempDir()

	jsonPath := filepath.Join(in, "tx.jsonl")
	csvPath := filepath.Join(in, "tx.csv")
	pqPath := filepath.Join(in, "tx.parquet")
	for path, write := range map[string]func(*os.File) error{
		jsonPath: func(f *os.File) error { return datagen.WriteTransactionsJSON(f, seed, rows, datagen.RawOptions{}) },
		csvPath:  func(f *os.File) error { return datagen.WriteTransactionsCSV(f, seed, rows, datagen.RawOptions{}) },
	} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	writeTransactionsParquet(t, pqPath, seed, rows)

	for _, input := range []string{jsonPath, csvPath, pqPath} {
		t.Run(filepath.Ext(input)[1:], func(t *testing.T) {
			out := t.TempDir()
			var last Progress
			calls := 0
			rep, err := Ingest(context.Background(), Config{
				Schema: sch, Table: tab, Inputs: []string{input}, OutDir: out,
				RowsPerSegment: rowsPerSegment,
			}, func(p Progress) { last = p; calls++ })
			if err != nil {
				t.Fatal(err)
			}
			if rep.RowsRead != rows || rep.RowsWritten != rows || rep.RowsSkipped != 0 || rep.RowsFiltered != 0 {
				t.Fatalf("read %d, written %d, skipped %d, filtered %d; want %d read and written",
					rep.RowsRead, rep.RowsWritten, rep.RowsSkipped, rep.RowsFiltered, rows)
			}
			if calls == 0 || last.RowsRead != rows || last.BytesRead != last.BytesTotal || last.Segments != 4 {
				t.Errorf("last progress %+v after %d calls", last, calls)
			}
			// Segments are cut at 3000 rows and named by Pinot's simple
			// generator: table_minTime_maxTime_sequence.
			if len(rep.Segments) != len(want.perChunk) {
				t.Fatalf("%d segments, want %d", len(rep.Segments), len(want.perChunk))
			}
			for i, sr := range rep.Segments {
				name := fmt.Sprintf("transactions_%d_%d_%d", want.perChunk[i][0], want.perChunk[i][1], i)
				if sr.Name != name || sr.Path != filepath.Join(out, name+SegmentExt) {
					t.Errorf("segment %d is %q at %q, want %q", i, sr.Name, sr.Path, name)
				}
				wantRows := rowsPerSegment
				if i == len(rep.Segments)-1 {
					wantRows = rows - i*rowsPerSegment
				}
				if sr.Rows != wantRows || sr.Meta.NumDocs != wantRows {
					t.Errorf("segment %d has %d rows, want %d", i, sr.Rows, wantRows)
				}
				if sr.Meta.StartTime != want.perChunk[i][0] || sr.Meta.EndTime != want.perChunk[i][1] {
					t.Errorf("segment %d time range %d..%d, want %v", i, sr.Meta.StartTime, sr.Meta.EndTime, want.perChunk[i])
				}
			}

			qt := openTable(t, sch, rep)
			res := query(t, qt, "SELECT COUNT(*), SUM(price), MIN(creationTimestamp), MAX(creationTimestamp) FROM transactions")
			r := res.Rows[0]
			if r[0].(int64) != want.count || !near(r[1].(float64), want.sum) {
				t.Errorf("COUNT, SUM = %v, %v; want %d, %v", r[0], r[1], want.count, want.sum)
			}
			if fmt.Sprint(r[2]) != fmt.Sprint(want.minTime) && fmt.Sprint(r[2]) != fmt.Sprint(float64(want.minTime)) {
				t.Errorf("MIN(creationTimestamp) = %v, want %d", r[2], want.minTime)
			}
			res = query(t, qt, "SELECT campaign, COUNT(*), SUM(price) FROM transactions GROUP BY campaign ORDER BY campaign")
			if len(res.Rows) != len(want.byCamp) {
				t.Fatalf("%d groups, want %d", len(res.Rows), len(want.byCamp))
			}
			for i, k := range sortedKeys(want.byCamp) {
				r := res.Rows[i]
				if r[0].(string) != k || r[1].(int64) != want.byCamp[k] || !near(r[2].(float64), want.sumCamp[k]) {
					t.Errorf("group %d = %v, want [%s %d %v]", i, r, k, want.byCamp[k], want.sumCamp[k])
				}
			}
		})
	}
}

// TestEndToEndTransforms ingests web transactions whose time is text
// ("2024-11-23 09:15:00") through a FromDateTime transform into an epoch
// millis column, with a filter dropping the NONE campaign.
func TestEndToEndTransforms(t *testing.T) {
	const (
		seed = 11
		rows = 5_000
	)
	sch := parseSchema(t, `{
	  "schemaName": "transactions",
	  "dimensionFieldSpecs": [
	    {"name": "userID", "dataType": "STRING"},
	    {"name": "campaign", "dataType": "STRING"}
	  ],
	  "metricFieldSpecs": [{"name": "price", "dataType": "DOUBLE"}],
	  "dateTimeFieldSpecs": [
	    {"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:SECONDS"}
	  ]
	}`)
	tab := parseTable(t, `{
	  "tableName": "transactions", "tableType": "OFFLINE",
	  "segmentsConfig": {"timeColumnName": "ts", "replication": "1"}, "tenants": {},
	  "tableIndexConfig": {"sortedColumn": ["campaign"]},
	  "ingestionConfig": {
	    "transformConfigs": [{"columnName": "ts", "transformFunction": "FromDateTime(creationTimestamp, 'yyyy-MM-dd HH:mm:ss')"}],
	    "filterConfig": {"filterFunction": "campaign = 'NONE'"}
	  }
	}`)
	var count int64
	var sum float64
	minTS, maxTS := int64(1<<62), int64(0)
	err := datagen.WebTransactions{}.Events(seed, rows, func(tx *datagen.Transaction) error {
		if tx.Campaign != "NONE" {
			count++
			sum += tx.Price
			minTS, maxTS = min(minTS, tx.CreationTimestamp), max(maxTS, tx.CreationTimestamp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, ext := range []string{"jsonl", "csv"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(dir, "tx."+ext)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if ext == "csv" {
				err = datagen.WriteTransactionsCSV(f, seed, rows, datagen.RawOptions{TimeAsString: true})
			} else {
				err = datagen.WriteTransactionsJSON(f, seed, rows, datagen.RawOptions{TimeAsString: true})
			}
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Ingest(context.Background(), Config{Schema: sch, Table: tab, Inputs: []string{path}, OutDir: t.TempDir()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.RowsWritten != count || rep.RowsFiltered != rows-count || rep.RowsSkipped != 0 {
				t.Fatalf("written %d filtered %d skipped %d; want %d, %d, 0", rep.RowsWritten, rep.RowsFiltered, rep.RowsSkipped, count, rows-count)
			}
			qt := openTable(t, sch, rep)
			r := query(t, qt, "SELECT COUNT(*), SUM(price), MIN(ts), MAX(ts) FROM transactions WHERE campaign <> 'NONE'").Rows[0]
			if r[0].(int64) != count || !near(r[1].(float64), sum) || fmt.Sprint(r[2]) != fmt.Sprint(float64(minTS)) && fmt.Sprint(r[2]) != fmt.Sprint(minTS) {
				t.Errorf("got %v; want %d %v %d %d", r, count, sum, minTS, maxTS)
			}
			if name := rep.Segments[0].Name; name != fmt.Sprintf("transactions_%d_%d_0", minTS, maxTS) {
				t.Errorf("segment name %q", name)
			}
		})
	}
}
