// Package flightsqltest holds the Flight SQL tests' fixture: a small table
// with a column of every Tannin type, a multi-value column, nulls and
// timestamps, built into real segment files by the batch ingestion path.
package flightsqltest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/ingest/batch"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// Schema is the fixture table's Pinot schema.
const Schema = `{"schemaName":"alltypes",
 "dimensionFieldSpecs":[
  {"name":"i","dataType":"INT"},
  {"name":"l","dataType":"LONG"},
  {"name":"s","dataType":"STRING"},
  {"name":"b","dataType":"BOOLEAN"},
  {"name":"j","dataType":"JSON"},
  {"name":"by","dataType":"BYTES"},
  {"name":"bd","dataType":"BIG_DECIMAL"},
  {"name":"tags","dataType":"STRING","singleValueField":false},
  {"name":"nums","dataType":"INT","singleValueField":false}],
 "metricFieldSpecs":[{"name":"f","dataType":"FLOAT"},{"name":"d","dataType":"DOUBLE"}],
 "dateTimeFieldSpecs":[{"name":"ts","dataType":"TIMESTAMP","format":"TIMESTAMP","granularity":"1:MILLISECONDS"}]}`

// Table is its OFFLINE table config.
const Table = `{"tableName":"alltypes","tableType":"OFFLINE",
 "segmentsConfig":{"timeColumnName":"ts","replication":"1"},
 "tenants":{"broker":"DefaultTenant","server":"DefaultTenant"},
 "tableIndexConfig":{"invertedIndexColumns":["s"]}}`

// Rows is the number of rows; Segments the number of segments they fill.
const (
	Rows     = 60
	Segments = 3
	// Day0 is the first row's timestamp (epoch millis).
	Day0 = int64(1_700_000_000_000)
)

// row returns fixture row n as a JSON line. Every seventh row has nulls
// in most columns; the others cycle through values.
func row(n int) string {
	ts := Day0 + int64(n)*3_600_000
	if n%7 == 3 {
		return fmt.Sprintf(`{"ts":%d,"s":"null-row-%d","tags":null}`, ts, n)
	}
	tags := []string{`"t` + fmt.Sprint(n%3) + `"`}
	if n%2 == 0 {
		tags = append(tags, `"even"`)
	}
	return fmt.Sprintf(`{"i":%d,"l":%d,"s":"s%d","b":%t,"j":"{\"k\":%d}","by":"%02x%02x","bd":"%d.%02d",`+
		`"tags":[%s],"nums":[%d,%d],"f":%g,"d":%g,"ts":%d}`,
		n-20, int64(n)*1_000_000_007, n%5, n%2 == 0, n%4, n, 255-n, n*3, n%100,
		strings.Join(tags, ","), n%4, -n, float32(n)/8, float64(n)*1.25, ts)
}

// Build writes the fixture's segments into dir and returns their paths,
// one file per segment, named after the segment.
func Build(t testing.TB, dir string) (*schema.Schema, []string) {
	t.Helper()
	sc, _, err := schema.Parse([]byte(Schema))
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := tableconfig.Parse([]byte(Table))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "alltypes.json")
	var b strings.Builder
	for n := range Rows {
		b.WriteString(row(n))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := batch.DefaultConfig()
	cfg.Schema, cfg.Table, cfg.Inputs = sc, tc, []string{in}
	cfg.OutDir = filepath.Join(dir, "segments")
	cfg.RowsPerSegment = Rows / Segments
	cfg.OnError = batch.OnErrorStop
	rep, err := batch.Ingest(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("ingest the fixture: %v", err)
	}
	if rep.RowsWritten != Rows || len(rep.Segments) != Segments {
		t.Fatalf("ingest the fixture: %d rows in %d segments, want %d in %d", rep.RowsWritten, len(rep.Segments), Rows, Segments)
	}
	paths := make([]string, len(rep.Segments))
	for i, s := range rep.Segments {
		paths[i] = s.Path
	}
	return sc, paths
}
