package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const testSchema = `{
  "schemaName": "orders",
  "dimensionFieldSpecs": [
    {"name": "city", "dataType": "STRING"},
    {"name": "tags", "dataType": "STRING", "singleValueField": false},
    {"name": "vip", "dataType": "BOOLEAN"}
  ],
  "metricFieldSpecs": [{"name": "amount", "dataType": "DOUBLE"}],
  "dateTimeFieldSpecs": [
    {"name": "ts", "dataType": "TIMESTAMP", "format": "TIMESTAMP", "granularity": "1:MILLISECONDS"}
  ]
}`

const testTable = `{
  "tableName": "orders", "tableType": "OFFLINE",
  "segmentsConfig": {"timeColumnName": "ts", "replication": "1"},
  "tenants": {},
  "tableIndexConfig": {"invertedIndexColumns": ["city"]},
  "ingestionConfig": {"filterConfig": {"filterFunction": "city = 'nowhere'"}}
}`

const testCSV = `city,tags,vip,amount,ts
Paris,a;b,true,10.5,2024-11-23 09:15:00
Lyon,,false,2,2024-11-23 09:16:00
Paris,c,0,4.25,2024-11-23 09:17:00
nowhere,,1,99,2024-11-23 09:18:00
`

// run runs the tannin command line in-process.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Version: "v1.2.3"}
	code = Main(context.Background(), env, args, Commands())
	return code, out.String(), errOut.String()
}

func setup(t *testing.T, csv string) (dir, schemaPath, tablePath, csvPath string) {
	t.Helper()
	dir = t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return dir, write("schema.json", testSchema), write("table.json", testTable), write("orders.csv", csv)
}

func TestHelpAndVersion(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, 0, `^tannin v1\.2\.3 \(go`, `^$`},
		{[]string{"help"}, 0, `(?s)commands:.*dump-segment.*ingest.*query.*version.*help`, `^$`},
		{nil, 2, `^$`, `usage: tannin COMMAND`},
		{[]string{"qurey"}, 2, `^$`, `unknown command "qurey"\ndid you mean "query"\?`},
		{[]string{"help", "ingest"}, 0, `^$`, `(?s)usage: tannin ingest --schema FILE.*-rows-per-segment N`},
		{[]string{"ingest", "--out", "x", "f.csv"}, 2, `^$`, `tannin ingest: --schema is required\nusage: tannin ingest`},
		{[]string{"ingest", "--bogus"}, 2, `^$`, `flag provided but not defined: -bogus`},
		{[]string{"query", "--dir", "x", "--format", "xml", "SELECT 1"}, 2, `^$`, `unknown --format "xml"`},
		{[]string{"dump-segment"}, 2, `^$`, `want one segment file, got 0 arguments`},
	}
	for _, c := range cases {
		code, out, errOut := run(t, c.args...)
		if code != c.code || !regexp.MustCompile(c.stdout).MatchString(out) || !regexp.MustCompile(c.stderr).MatchString(errOut) {
			t.Errorf("tannin %q: code %d\nstdout: %s\nstderr: %s", c.args, code, out, errOut)
		}
	}
}

func TestIngestQueryDump(t *testing.T) {
	dir, schemaPath, tablePath, csvPath := setup(t, testCSV)
	out := filepath.Join(dir, "segments")
	// Flags may follow the files.
	code, stdout, stderr := run(t, "ingest", "--schema", schemaPath, "--table", tablePath, csvPath, "--out", out, "--rows-per-segment", "2")
	if code != 0 {
		t.Fatalf("ingest: code %d: %s", code, stderr)
	}
	for _, want := range []string{
		"ingested 4 rows from 1 file in ",
		"  rows read      4\n", "  rows written   3\n", "  rows filtered  1\n", "  rows skipped   0\n", "  segments       2\n",
		"    orders_1732353300000_1732353360000_0  2 rows",
		"    orders_1732353420000_1732353420000_1  1 rows",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr without a terminal: %q", stderr)
	}
	// --progress draws the bar even when stderr is not a terminal.
	code, _, stderr = run(t, "ingest", "--schema", schemaPath, "--out", filepath.Join(dir, "p"), "--progress", csvPath)
	if code != 0 || !strings.Contains(stderr, "orders.csv: 4 rows") {
		t.Errorf("--progress: code %d, stderr %q", code, stderr)
	}

	code, stdout, stderr = run(t, "query", "--dir", out, "--schema", schemaPath,
		"SELECT city, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY city ORDER BY city")
	if code != 0 {
		t.Fatalf("query: code %d: %s", code, stderr)
	}
	wantTable := "city   n  total\n" +
		"-----  -  -----\n" +
		"Lyon   1      2\n" +
		"Paris  2  14.75\n"
	if !strings.HasPrefix(stdout, wantTable) || !regexp.MustCompile(`\n2 rows in .* \(docs scanned 3 of 3, segments queried 2, processed 2, matched 2\)\n$`).MatchString(stdout) {
		t.Errorf("query output:\n%s\nwant it to start with:\n%s", stdout, wantTable)
	}

	// Without --schema, the types come from the segments.
	code, stdout, stderr = run(t, "query", "--dir", out, "--format", "json", "SELECT ts, tags, vip FROM orders WHERE city = 'Paris' ORDER BY ts")
	if code != 0 {
		t.Fatalf("query json: code %d: %s", code, stderr)
	}
	var resp struct {
		ResultTable struct {
			DataSchema struct {
				ColumnNames     []string `json:"columnNames"`
				ColumnDataTypes []string `json:"columnDataTypes"`
			} `json:"dataSchema"`
			Rows [][]any `json:"rows"`
		} `json:"resultTable"`
		Exceptions []any `json:"exceptions"`
		TotalDocs  int   `json:"totalDocs"`
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("json output: %v\n%s", err, stdout)
	}
	got, _ := json.Marshal([]any{resp.ResultTable.DataSchema.ColumnDataTypes, resp.ResultTable.Rows, resp.Exceptions, resp.TotalDocs})
	want := `[["TIMESTAMP","STRING_ARRAY","BOOLEAN"],[["2024-11-23 09:15:00.0",["a","b"],true],["2024-11-23 09:17:00.0",["c"],false]],[],3]`
	if string(got) != want {
		t.Errorf("json result %s\nwant %s", got, want)
	}

	code, stdout, stderr = run(t, "query", "--dir", out, "--format", "csv", "SELECT city, amount FROM orders WHERE amount > 3 ORDER BY amount")
	if code != 0 || stdout != "city,amount\nParis,4.25\nParis,10.5\n" || !strings.HasPrefix(stderr, "2 rows in ") {
		t.Errorf("csv: code %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = run(t, "query", "--dir", out, "SELECT nope FROM orders")
	if code != 1 || !strings.HasPrefix(stderr, "tannin query: ") || !strings.Contains(stderr, "nope") {
		t.Errorf("bad query: code %d, stderr %q", code, stderr)
	}

	seg := filepath.Join(out, "orders_1732353300000_1732353360000_0.tseg")
	code, stdout, stderr = run(t, "dump-segment", "--rows", "5", seg)
	if code != 0 {
		t.Fatalf("dump: code %d: %s", code, stderr)
	}
	for _, want := range []string{
		"segment  orders_1732353300000_1732353360000_0\n",
		"table    orders\n",
		"rows     2\n",
		"time     ts: 1732353300000 .. 1732353360000 (2024-11-23 09:15:00.0 .. 2024-11-23 09:16:00.0 UTC)\n",
		"columns (5):\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dump output lacks %q:\n%s", want, stdout)
		}
	}
	for _, re := range []string{
		`\n  city +STRING +single +dictionary +2 +0 +\w+ +1 +Lyon +Paris +inverted +\d+ B \(dict \d+ B, fwd \d+ B, inverted \d+ B\)\n`,
		`\n  tags +STRING +multi \(max 2, total 3\) +dictionary`,
		`\n  vip +BOOLEAN .* false +true `,
		`\nfirst 2 rows:\n  city +tags +vip +amount +ts\n  Paris +\[a, b\] +true +10\.5 +2024-11-23 09:15:00\.0\n  Lyon +null +false +2 +2024-11-23 09:16:00\.0\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("dump output does not match %s:\n%s", re, stdout)
		}
	}
	code, stdout, _ = run(t, "dump-segment", "--column", "AMOUNT", "--rows", "1", seg)
	if code != 0 || strings.Contains(stdout, "  city ") || !strings.Contains(stdout, "first 1 row:\n  amount\n    10.5\n") {
		t.Errorf("dump --column: code %d\n%s", code, stdout)
	}
}

func TestIngestBadRecords(t *testing.T) {
	bad := testCSV + "Nice,,true,lots,2024-11-23 09:19:00\nNice,,true,1,yesterday\n"
	dir, schemaPath, tablePath, csvPath := setup(t, bad)
	code, stdout, stderr := run(t, "ingest", "--schema", schemaPath, "--table", tablePath, "--out", filepath.Join(dir, "a"), "--on-error", "stop", csvPath)
	if code != 1 {
		t.Errorf("stop: code %d", code)
	}
	wantErr := "tannin ingest: stopped at a bad record (reason bad_number): " + csvPath + `:6: column "amount": value "lots": not a DOUBLE` + "\n" +
		"use --on-error skip to skip bad records and report them\n"
	if stderr != wantErr {
		t.Errorf("stop: stderr\n%q\nwant\n%q", stderr, wantErr)
	}
	if !strings.Contains(stdout, "  segments       0\n") {
		t.Errorf("stop: stdout\n%s", stdout)
	}

	code, stdout, stderr = run(t, "ingest", "--schema", schemaPath, "--table", tablePath, "--out", filepath.Join(dir, "b"), "--on-error", "skip", csvPath)
	if code != 0 {
		t.Fatalf("skip: code %d: %s", code, stderr)
	}
	for _, want := range []string{
		"  rows read      6\n", "  rows written   3\n", "  rows skipped   2\n",
		"    bad_number 1\n      " + csvPath + `:6: column "amount": value "lots": not a DOUBLE` + "\n",
		"    bad_time   1\n      " + csvPath + `:7: column "ts": value "yesterday": not a timestamp`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("skip output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	env := &Env{Stderr: &bytes.Buffer{}}
	fs := newFlags(env, "x", "", "")
	a := fs.String("a", "", "")
	b := fs.Bool("b", false, "")
	pos, err := parseFlags(fs, []string{"one", "-a", "v", "two", "-b", "--", "-three"})
	if err != nil || *a != "v" || !*b || strings.Join(pos, ",") != "one,two,-three" {
		t.Errorf("pos %q a %q b %v err %v", pos, *a, *b, err)
	}
}
