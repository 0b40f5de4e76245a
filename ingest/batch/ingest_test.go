package batch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/gzip"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

const eventsSchema = `{
  "schemaName": "events",
  "dimensionFieldSpecs": [
    {"name": "user", "dataType": "STRING"},
    {"name": "tags", "dataType": "STRING", "singleValueField": false},
    {"name": "ok", "dataType": "BOOLEAN"}
  ],
  "metricFieldSpecs": [
    {"name": "qty", "dataType": "INT"},
    {"name": "price", "dataType": "DOUBLE"}
  ],
  "dateTimeFieldSpecs": [
    {"name": "ts", "dataType": "TIMESTAMP", "format": "TIMESTAMP", "granularity": "1:MILLISECONDS"}
  ]
}`

const eventsTable = `{
  "tableName": "events",
  "tableType": "OFFLINE",
  "segmentsConfig": {"timeColumnName": "ts", "replication": "1"},
  "tenants": {},
  "tableIndexConfig": {"invertedIndexColumns": ["user"]},
  "ingestionConfig": {"continueOnError": true}
}`

func ingestMem(t *testing.T, cfg Config) (*memBuild, *Report, error) {
	t.Helper()
	m := &memBuild{}
	if cfg.OutDir == "" {
		cfg.OutDir = t.TempDir()
	}
	rep, err := ingest(context.Background(), cfg, nil, m.build)
	return m, rep, err
}

func TestCSVBadRowsSkip(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "ev.csv", strings.Join([]string{
		`user,tags,ok,qty,price,ts,unused`,
		`ann,a;b,true,1,1.5,2024-11-23 09:15:00,x`, // line 2
		`bob,,false,two,2.5,2024-11-23 09:15:01,x`, // 3: bad qty
		`"multi`,                                // 4: a quoted field over two lines
		`line",c,1,3,3.5,1732353302000,x`,       // 5
		`cid,c,yes,4,4.5,2024-11-23 09:15:03,x`, // 6: bad boolean
		`dan,c,0,5,5.5`,                         // 7: too few fields
		``,                                      // 8: empty, skipped
		`eve,,,6,6.5,not-a-time,x`,              // 9: bad time
		`fay,d,1,7,7.5,2024-11-23 09:15:04,"x`,  // 10: never closed
	}, "\n")+"\n")
	sch := parseSchema(t, eventsSchema)
	m, rep, err := ingestMem(t, Config{Schema: sch, Table: parseTable(t, eventsTable), Inputs: []string{in}, OnError: OnErrorSkip, MaxExamples: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 7 || rep.RowsWritten != 2 || rep.RowsSkipped != 5 {
		t.Errorf("read %d written %d skipped %d, want 7, 2, 5", rep.RowsRead, rep.RowsWritten, rep.RowsSkipped)
	}
	want := map[decode.Reason]string{
		decode.ReasonBadNumber:    in + `:3: column "qty": value "two": not an INT`,
		decode.ReasonBadBoolean:   in + `:6: column "ok": value "yes": not a BOOLEAN (true, false, 1 or 0)`,
		decode.ReasonColumnCount:  in + `:7: record has 5 fields, the header 7`,
		decode.ReasonBadTime:      in + `:9: column "ts": value "not-a-time": not a timestamp (epoch millis, yyyy-MM-dd HH:mm:ss[.SSS] or ISO-8601)`,
		decode.ReasonMalformedCSV: in + `:10: unterminated quoted field at the end of the file`,
	}
	if len(rep.Skipped) != len(want) {
		t.Errorf("skipped reasons %v", rep.Skipped)
	}
	for _, s := range rep.Skipped {
		if s.Count != 1 || len(s.Examples) != 1 || s.Examples[0].Error() != want[s.Reason] {
			t.Errorf("%v: %d, %v; want %s", s.Reason, s.Count, s.Examples, want[s.Reason])
		}
	}
	user := m.column(t, "user")[0]
	if !reflect.DeepEqual(user.Strs, []string{"ann", "multi\nline"}) {
		t.Errorf("users %q", user.Strs)
	}
	if f := rep.Files[0]; f.RowsRead != 7 || f.RowsSkipped != 5 || f.Format != FormatCSV {
		t.Errorf("file report %+v", f)
	}
}

func TestStopOnError(t *testing.T) {
	dir := t.TempDir()
	sch := parseSchema(t, eventsSchema)
	csvIn := writeFile(t, dir, "ev.csv", "user,qty\nann,1\nbob,1.5\ncid,3\n")
	jsonIn := writeFile(t, dir, "ev.jsonl", "{\"user\":\"ann\"}\n\n{\"user\":\"bob\", \"price\": \"cheap\"}\n")
	strict := parseTable(t, strings.Replace(eventsTable, `"continueOnError": true`, `"continueOnError": false`, 1))
	cases := []struct {
		in      string
		onError OnError
		table   string
		want    string
	}{
		{csvIn, OnErrorStop, eventsTable, csvIn + `:3: column "qty": value "1.5": not an INT`},
		// The table's continueOnError false means stop, as in Pinot.
		{csvIn, OnErrorTable, "strict", csvIn + `:3: column "qty": value "1.5": not an INT`},
		{jsonIn, OnErrorStop, eventsTable, jsonIn + `:3: column "price": value "cheap": not a DOUBLE`},
	}
	for _, c := range cases {
		tab := parseTable(t, eventsTable)
		if c.table == "strict" {
			tab = strict
		}
		m, rep, err := ingestMem(t, Config{Schema: sch, Table: tab, Inputs: []string{c.in}, OnError: c.onError})
		var re *RowError
		if !errors.As(err, &re) || err.Error() != c.want {
			t.Errorf("error %v, want %s", err, c.want)
			continue
		}
		if re.Line != 3 || re.Column == "" || !re.HasValue {
			t.Errorf("row error %+v", re)
		}
		if len(m.segs) != 0 || rep.RowsWritten != 0 || rep.RowsSkipped != 1 {
			t.Errorf("after stop: %d segments, %d written, %d skipped", len(m.segs), rep.RowsWritten, rep.RowsSkipped)
		}
	}
	// With continueOnError the same input is skipped over.
	_, rep, err := ingestMem(t, Config{Schema: sch, Table: parseTable(t, eventsTable), Inputs: []string{csvIn}})
	if err != nil || rep.RowsWritten != 2 || rep.SkippedFor(decode.ReasonBadNumber) != 1 {
		t.Errorf("continueOnError: %v, %d written, %d bad numbers", err, rep.RowsWritten, rep.SkippedFor(decode.ReasonBadNumber))
	}
}

func TestJSONFiles(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"user\":\"zed\",\"qty\":9}\n"))
	zw.Close()
	gzIn := writeFile(t, dir, "b.json.gz", gz.String())
	in := writeFile(t, dir, "a.ndjson", "\xEF\xBB\xBF{\"user\":\"ann\",\"tags\":[\"a\",\"b\"],\"ts\":1732353300000}\n"+
		"   \n"+
		"{\"user\":\"bob\",\"tags\":\"c\",\"qty\":2,\"ok\":true}\n"+
		"{\"user\":\"cid\",\"qty\":3\n"+
		"{\"user\":\"dan\"}")
	sch := parseSchema(t, eventsSchema)
	m, rep, err := ingestMem(t, Config{Schema: sch, Table: parseTable(t, eventsTable), Inputs: []string{in, gzIn}, OnError: OnErrorSkip})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 5 || rep.RowsWritten != 4 {
		t.Errorf("read %d, written %d; want 5, 4", rep.RowsRead, rep.RowsWritten)
	}
	if ex := rep.Skipped[0].Examples[0]; ex.Error() != in+":4: malformed JSON at byte 23: unexpected end of input" {
		t.Errorf("example %v", ex)
	}
	// Rows of both files land in one segment.
	if len(m.segs) != 1 {
		t.Fatalf("%d segments", len(m.segs))
	}
	if u := m.column(t, "user")[0].Strs; !reflect.DeepEqual(u, []string{"ann", "bob", "dan", "zed"}) {
		t.Errorf("users %v", u)
	}
	tags := m.column(t, "tags")[0]
	if !reflect.DeepEqual(tags.Offsets, []uint32{0, 2, 3, 4, 5}) || !reflect.DeepEqual(tags.Strs, []string{"a", "b", "c", "null", "null"}) {
		t.Errorf("tags %v %v", tags.Offsets, tags.Strs)
	}
	if !tags.Nulls.Contains(2) || tags.Nulls.Contains(1) {
		t.Errorf("tags nulls %v", tags.Nulls.ToArray())
	}
}

func TestParquetTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.parquet")
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "skipped", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	user := rb.Field(0).(*array.StringBuilder)
	tags := rb.Field(1).(*array.ListBuilder)
	tagv := tags.ValueBuilder().(*array.StringBuilder)
	ok := rb.Field(2).(*array.BooleanBuilder)
	qty := rb.Field(3).(*array.Int32Builder)
	price := rb.Field(4).(*array.Float32Builder)
	ts := rb.Field(5).(*array.TimestampBuilder)
	skipped := rb.Field(6).(*array.Int64Builder)
	// Row 1: all set.
	user.Append("ann")
	tags.Append(true)
	tagv.AppendValues([]string{"a", "b"}, nil)
	ok.Append(true)
	qty.Append(3)
	price.Append(1.5)
	ts.Append(arrow.Timestamp(1732353300000123))
	skipped.Append(1)
	// Row 2: nulls and an empty list.
	user.AppendNull()
	tags.Append(true)
	ok.AppendNull()
	qty.AppendNull()
	price.AppendNull()
	ts.AppendNull()
	skipped.Append(2)
	rec := rb.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sch := parseSchema(t, eventsSchema)
	m, rep, err := ingestMem(t, Config{Schema: sch, Table: parseTable(t, eventsTable), Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsWritten != 2 {
		t.Fatalf("%d rows written", rep.RowsWritten)
	}
	checks := []struct {
		col  string
		want any
	}{
		{"user", []string{"ann", "null"}}, {"ok", []int64{1, 0}}, {"qty", []int64{3, 0}},
		{"price", []float64{1.5, 0}}, {"ts", []int64{1732353300000, 0}},
	}
	for _, c := range checks {
		b := m.column(t, c.col)[0]
		var got any
		switch b.Spec.DataType.Storage() {
		case schema.StorageInt64:
			got = b.Ints
		case schema.StorageFloat64:
			got = b.Floats
		default:
			got = b.Strs
		}
		if !reflect.DeepEqual(got, c.want) || !b.Nulls.Contains(1) || b.Nulls.Contains(0) {
			t.Errorf("%s = %v (nulls %v), want %v with row 1 null", c.col, got, b.Nulls.ToArray(), c.want)
		}
	}
	tb := m.column(t, "tags")[0]
	if !reflect.DeepEqual(tb.Strs, []string{"a", "b", "null"}) || !tb.Nulls.Contains(1) {
		t.Errorf("tags %v %v", tb.Strs, tb.Offsets)
	}
}

func TestParquetBadValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.parquet")
	sc := arrow.NewSchema([]arrow.Field{{Name: "qty", Type: arrow.BinaryTypes.String}}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	rb.Field(0).(*array.StringBuilder).AppendValues([]string{"1", "2", "lots", "4"}, nil)
	rec := rb.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pqarrow.WriteTable(array.NewTableFromRecords(sc, []arrow.RecordBatch{rec}), f, 10, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sch := parseSchema(t, eventsSchema)
	_, _, err = ingestMem(t, Config{Schema: sch, Inputs: []string{path}, OnError: OnErrorStop})
	if err == nil || err.Error() != path+`: row 3: column "qty": value "lots": not an INT` {
		t.Errorf("error %v", err)
	}
}

func TestSegmentCutting(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("user,qty,ts\n")
	for i := 0; i < 10; i++ {
		sb.WriteString("u" + string(rune('0'+i)) + "," + string(rune('0'+i)) + ",17323533000" + string(rune('0'+i)) + "0\n")
	}
	in := writeFile(t, dir, "ev.csv", sb.String())
	sch := parseSchema(t, eventsSchema)
	cases := []struct {
		name string
		cfg  Config
		want []string
		rows []int
	}{
		{"rows", Config{RowsPerSegment: 4, BatchSize: 3}, []string{"events_1732353300000_1732353300030_0", "events_1732353300040_1732353300070_1", "events_1732353300080_1732353300090_2"}, []int{4, 4, 2}},
		{"notime", Config{RowsPerSegment: 6, ExcludeTimeInSegmentName: true, SegmentNamePrefix: "ev", SequenceStart: 7}, []string{"ev_7", "ev_8"}, []int{6, 4}},
		// Without a table config there is no time column.
		{"bytes", Config{MaxSegmentBytes: 60, BatchSize: 2}, []string{"events_0", "events_1", "events_2", "events_3", "events_4"}, []int{2, 2, 2, 2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Schema, cfg.Inputs = sch, []string{in}
			if c.name != "bytes" {
				cfg.Table = parseTable(t, eventsTable)
			}
			m, rep, err := ingestMem(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var rows []int
			for i, s := range rep.Segments {
				names = append(names, s.Name)
				rows = append(rows, s.Rows)
				if m.segs[i].cfg.SegmentName != s.Name || filepath.Base(s.Path) != s.Name+SegmentExt {
					t.Errorf("segment %d: built as %q at %q", i, m.segs[i].cfg.SegmentName, s.Path)
				}
			}
			if !reflect.DeepEqual(names, c.want) || !reflect.DeepEqual(rows, c.rows) {
				t.Errorf("segments %v %v, want %v %v", names, rows, c.want, c.rows)
			}
		})
	}
}

func TestBuildConfigFromTable(t *testing.T) {
	sch := parseSchema(t, eventsSchema)
	tab := parseTable(t, `{
	  "tableName": "events_OFFLINE", "tableType": "OFFLINE",
	  "segmentsConfig": {"timeColumnName": "ts", "replication": "1"}, "tenants": {},
	  "tableIndexConfig": {"invertedIndexColumns": ["user"], "sortedColumn": ["ok"], "rangeIndexColumns": ["price"],
	    "bloomFilterColumns": ["user"], "noDictionaryColumns": ["qty"]},
	  "fieldConfigList": [{"name": "price", "encodingType": "DICTIONARY", "indexTypes": ["INVERTED"]}]
	}`)
	in := writeFile(t, t.TempDir(), "ev.csv", "user\nann\n")
	m, _, err := ingestMem(t, Config{Schema: sch, Table: tab, Inputs: []string{in}})
	if err != nil {
		t.Fatal(err)
	}
	bc := m.segs[0].cfg
	if bc.TableName != "events" || bc.TimeColumn != "ts" || bc.SortedColumn != "ok" || bc.PartitionID != -1 ||
		!reflect.DeepEqual(bc.InvertedColumns, []string{"user", "price"}) || !reflect.DeepEqual(bc.RangeColumns, []string{"price"}) ||
		!reflect.DeepEqual(bc.BloomColumns, []string{"user"}) || !reflect.DeepEqual(bc.NoDictionaryColumns, []string{"qty"}) ||
		bc.Schema != sch {
		t.Errorf("build config %+v", bc)
	}
	if m.segs[0].cfg.SegmentName != "events_0" {
		t.Errorf("name %q", m.segs[0].cfg.SegmentName)
	}
}

func TestConfigErrors(t *testing.T) {
	sch := parseSchema(t, eventsSchema)
	dir := t.TempDir()
	in := writeFile(t, dir, "ev.csv", "user\nann\n")
	jsonIn := writeFile(t, dir, "ev.jsonl", `{"user": "ann", "n": 1}`+"\n")
	existing := filepath.Join(dir, "out")
	os.MkdirAll(existing, 0o755)
	writeFile(t, existing, "events_0"+SegmentExt, "old")
	cases := []struct {
		cfg Config
		err string
	}{
		{Config{Inputs: []string{in}}, "ingest: no schema"},
		{Config{Schema: sch}, "ingest: no input files"},
		{Config{Schema: sch, Inputs: []string{filepath.Join(dir, "x.txt")}}, "cannot tell the format"},
		{Config{Schema: sch, Inputs: []string{filepath.Join(dir, "missing.csv")}}, "no such file"},
		{Config{Schema: sch, Inputs: []string{in}, OutDir: existing}, "events_0.tseg\" exists"},
		{Config{Schema: sch, Inputs: []string{in}, Table: parseTable(t, `{"tableName":"events","tableType":"OFFLINE","segmentsConfig":{},"tenants":{},"tableIndexConfig":{},
			"ingestionConfig":{"transformConfigs":[{"columnName":"qty","transformFunction":"nosuchfn(user)"}]}}`)}, "nosuchfn"},
		// JSON input fields are typed by value, yet a bad function shows
		// before any row is read.
		{Config{Schema: sch, Inputs: []string{jsonIn}, Table: parseTable(t, `{"tableName":"events","tableType":"OFFLINE","segmentsConfig":{},"tenants":{},"tableIndexConfig":{},
			"ingestionConfig":{"transformConfigs":[{"columnName":"qty","transformFunction":"nosuchfn(n)"}]}}`)}, `ingest "` + jsonIn + `": transform of column "qty"`},
	}
	for _, c := range cases {
		_, _, err := ingestMem(t, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("error %v, want %s", err, c.err)
		}
	}
	// Overwrite replaces the file.
	if _, _, err := ingestMem(t, Config{Schema: sch, Inputs: []string{in}, OutDir: existing, Overwrite: true}); err != nil {
		t.Errorf("overwrite: %v", err)
	}
}

func TestFormatSelection(t *testing.T) {
	dir := t.TempDir()
	sch := parseSchema(t, eventsSchema)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{\"user\":\"gz\"}\n"))
	zw.Close()
	cases := []struct {
		name, content string
		format        Format
		csv           decode.CSVOptions
		want          string
	}{
		{"a.tsv", "user\tqty\nann\t1\n", FormatAuto, decode.CSVOptions{}, "ann"},
		{"b.txt", "user|qty\nbob|2\n", FormatCSV, decode.CSVOptions{Delimiter: '|'}, "bob"},
		{"c.log.gz", gz.String(), FormatJSON, decode.CSVOptions{}, "gz"},
	}
	for _, c := range cases {
		in := writeFile(t, dir, c.name, c.content)
		m, _, err := ingestMem(t, Config{Schema: sch, Inputs: []string{in}, Format: c.format, CSV: c.csv})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if u := m.column(t, "user")[0].Strs; len(u) != 1 || u[0] != c.want {
			t.Errorf("%s: users %q, want %q", c.name, u, c.want)
		}
	}
}

// TestFailuresStopCleanly checks that a failing build, a cancelled context
// and a stop at a bad record end Ingest with the right error and leave no
// goroutine behind.
func TestFailuresStopCleanly(t *testing.T) {
	dir := t.TempDir()
	sch := parseSchema(t, eventsSchema)
	var sb strings.Builder
	sb.WriteString("user,qty\n")
	for i := 0; i < 50; i++ {
		sb.WriteString("u,1\n")
	}
	in := writeFile(t, dir, "ev.csv", sb.String())
	before := runtime.NumGoroutine()

	failing := func(string, immutable.BuildConfig, []*segment.ColumnBuffer) (*segment.Meta, error) {
		return nil, errors.New("disk full")
	}
	rep, err := ingest(context.Background(), Config{Schema: sch, Inputs: []string{in}, OutDir: t.TempDir(), RowsPerSegment: 10, BatchSize: 5}, nil, failing)
	if err == nil || err.Error() != `ingest: build segment "events_0": disk full` || len(rep.Segments) != 0 {
		t.Errorf("failing build: %v, %d segments", err, len(rep.Segments))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &memBuild{}
	_, err = ingest(ctx, Config{Schema: sch, Inputs: []string{in}, OutDir: t.TempDir()}, nil, m.build)
	if !errors.Is(err, context.Canceled) || len(m.segs) != 0 {
		t.Errorf("cancelled: %v, %d segments", err, len(m.segs))
	}

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after, %d before", n, before)
	}
}
