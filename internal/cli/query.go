package cli

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

func queryCommand() Command {
	return Command{
		Name: "query", Args: "--dir DIR [--schema FILE] [--table NAME] [--format table|json|csv] SQL",
		Summary: "run a SQL query over the segments in a directory",
		Run:     runQuery,
	}
}

const querySummary = `Open every segment file in the directory and run the query over them, as a
server would. Prints the result as an aligned table (or JSON in the shape of
Pinot's broker response, or CSV) and a line of statistics: time, documents
scanned, segments. Without --schema the columns' types come from the
segments' metadata.`

// segmentMagic starts every sealed segment file (segment/FORMAT.md).
const segmentMagic = "TANNINSG"

func runQuery(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "query", queryCommand().Args, querySummary)
	dir := fs.String("dir", "", "`directory` of segment files (required)")
	schemaPath := fs.String("schema", "", "Pinot schema JSON `file`")
	tableName := fs.String("table", "", "table `name` the SQL queries (default: the segments' table)")
	format := fs.String("format", "table", "output `format`: table, json or csv")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *dir == "" {
		return usagef("--dir is required")
	}
	if len(pos) == 0 {
		return usagef("no SQL query")
	}
	switch *format {
	case "table", "json", "csv":
	default:
		return usagef("unknown --format %q (known: table, json, csv)", *format)
	}
	sql := strings.Join(pos, " ")
	segs, err := openSegments(*dir)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range segs {
			s.Close()
		}
	}()
	t := &exec.Table{Name: *tableName}
	for _, s := range segs {
		t.Segments = append(t.Segments, s)
	}
	if *schemaPath != "" {
		if t.Schema, err = loadSchema(env, *schemaPath); err != nil {
			return err
		}
	} else if t.Schema, err = schemaFromSegments(segs); err != nil {
		return err
	}
	if t.Name == "" {
		t.Name = segmentsTable(segs, t.Schema.Name)
	}
	start := time.Now()
	res, err := exec.Query(ctx, t, sql)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	switch *format {
	case "json":
		return writeJSONResult(env.Stdout, res, elapsed)
	case "csv":
		if err := writeCSVResult(env.Stdout, res); err != nil {
			return err
		}
		fmt.Fprintln(env.Stderr, statsLine(res, elapsed))
		return nil
	}
	writeTableResult(env.Stdout, res)
	fmt.Fprintln(env.Stdout, statsLine(res, elapsed))
	return nil
}

// openSegments opens the sealed segment files of dir, recognised by their
// magic number, in name order.
func openSegments(dir string) ([]*immutable.Segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []*immutable.Segment
	closeAll := func() {
		for _, s := range segs {
			s.Close()
		}
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		ok, err := isSegmentFile(path)
		if err != nil {
			closeAll()
			return nil, err
		}
		if !ok {
			continue
		}
		s, err := immutable.Open(path)
		if err != nil {
			closeAll()
			return nil, err
		}
		segs = append(segs, s)
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("no segment files in %s", dir)
	}
	return segs, nil
}

func isSegmentFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [len(segmentMagic)]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false, nil // too short to be a segment
	}
	return string(magic[:]) == segmentMagic, nil
}

// schemaFromSegments builds a schema from the columns the segments hold.
func schemaFromSegments(segs []*immutable.Segment) (*schema.Schema, error) {
	s := &schema.Schema{Name: segmentsTable(segs, "")}
	seen := map[string]*segment.ColumnMeta{}
	for _, seg := range segs {
		for _, c := range seg.Meta().Columns {
			if prev := seen[c.Name]; prev != nil {
				if prev.DataType != c.DataType || prev.SingleValue != c.SingleValue {
					return nil, fmt.Errorf("column %q is %v in one segment and %v in another: give --schema", c.Name, prev.DataType, c.DataType)
				}
				continue
			}
			seen[c.Name] = c
			s.Fields = append(s.Fields, schema.FieldSpec{
				Name: c.Name, FieldType: schema.FieldDimension, DataType: c.DataType, SingleValue: c.SingleValue,
				DefaultNull: schema.DefaultNullValue(schema.FieldDimension, c.DataType),
			})
		}
	}
	return s, nil
}

// segmentsTable is the table the segments were built for, or def when
// they disagree or do not say.
func segmentsTable(segs []*immutable.Segment, def string) string {
	name := ""
	for _, s := range segs {
		t := s.Meta().Table
		if name != "" && t != name {
			return def
		}
		name = t
	}
	if name == "" {
		return def
	}
	return name
}

func statsLine(res *exec.Result, elapsed time.Duration) string {
	st := res.Stats
	return fmt.Sprintf("%d %s in %s (docs scanned %d of %d, segments queried %d, processed %d, matched %d)",
		len(res.Rows), plural(len(res.Rows), "row", "rows"), elapsed.Round(time.Microsecond),
		st.NumDocsScanned, st.TotalDocs, st.NumSegmentsQueried, st.NumSegmentsProcessed, st.NumSegmentsMatched)
}

// formatValue renders a result value as text: TIMESTAMP as Pinot's
// 'yyyy-MM-dd HH:mm:ss.S', BYTES as hex, arrays in brackets.
func formatValue(v any, t schema.DataType) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case int64:
		if t == schema.TypeTimestamp {
			return formatTimestamp(x)
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x, t)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case []byte:
		return hex.EncodeToString(x)
	case []int64:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e, t)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []float64:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e, t)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func formatFloat(x float64, t schema.DataType) string {
	switch {
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case math.IsNaN(x):
		return "NaN"
	}
	bits := 64
	if t == schema.TypeFloat {
		bits = 32
	}
	return strconv.FormatFloat(x, 'f', -1, bits)
}

// formatTimestamp is java.sql.Timestamp.toString in UTC, as Pinot renders
// TIMESTAMP values: "2024-11-23 09:15:00.0".
func formatTimestamp(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	s := t.Format("2006-01-02 15:04:05")
	frac := ms % 1000
	if frac < 0 {
		frac += 1000
	}
	f := strings.TrimRight(fmt.Sprintf("%03d", frac), "0")
	if f == "" {
		f = "0"
	}
	return s + "." + f
}

func writeTableResult(w io.Writer, res *exec.Result) {
	align := make([]bool, len(res.Columns))
	for i, typ := range res.Types {
		align[i] = typ.IsNumeric() && !res.MultiValue[i]
	}
	rows := make([][]string, len(res.Rows))
	for j, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = formatValue(v, res.Types[i])
		}
		rows[j] = cells
	}
	WriteTable(w, res.Columns, align, rows)
}

// WriteTable writes a header, a separator line and rows in aligned
// columns; columns where rightAlign is true (numbers) align right.
func WriteTable(w io.Writer, header []string, rightAlign []bool, rows [][]string) {
	t := &table{align: rightAlign}
	t.row(header...)
	sep := make([]string, len(header))
	t.row(sep...)
	t.rows = append(t.rows, rows...)
	// The separator line spans each column's width.
	widths := make([]int, len(header))
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], displayWidth(c))
			}
		}
	}
	for i := range sep {
		t.rows[1][i] = strings.Repeat("-", widths[i])
	}
	t.write(w, "")
}

func writeCSVResult(w io.Writer, res *exec.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.Columns); err != nil {
		return err
	}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				continue // an empty field is null
			}
			cells[i] = formatValue(v, res.Types[i])
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// pinotType is Pinot's columnDataTypes name of a result column.
func pinotType(t schema.DataType, mv bool) string {
	if mv {
		return t.String() + "_ARRAY"
	}
	return t.String()
}

// jsonValue encodes a value as Pinot's broker does: TIMESTAMP as text,
// BYTES as hex, infinities as strings.
func jsonValue(v any, t schema.DataType) any {
	switch x := v.(type) {
	case int64:
		if t == schema.TypeTimestamp {
			return formatTimestamp(x)
		}
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return formatFloat(x, t)
		}
	case []byte:
		return hex.EncodeToString(x)
	case []int64:
		if t == schema.TypeTimestamp {
			out := make([]string, len(x))
			for i, e := range x {
				out[i] = formatTimestamp(e)
			}
			return out
		}
	}
	return v
}

func writeJSONResult(w io.Writer, res *exec.Result, elapsed time.Duration) error {
	types := make([]string, len(res.Columns))
	for i := range types {
		types[i] = pinotType(res.Types[i], res.MultiValue[i])
	}
	rows := make([][]any, len(res.Rows))
	for i, r := range res.Rows {
		out := make([]any, len(r))
		for j, v := range r {
			out[j] = jsonValue(v, res.Types[j])
		}
		rows[i] = out
	}
	st := res.Stats
	// Keys in the order of Pinot's BrokerResponseNative.
	resp := struct {
		ResultTable struct {
			DataSchema struct {
				ColumnNames     []string `json:"columnNames"`
				ColumnDataTypes []string `json:"columnDataTypes"`
			} `json:"dataSchema"`
			Rows [][]any `json:"rows"`
		} `json:"resultTable"`
		NumRowsResultSet            int      `json:"numRowsResultSet"`
		PartialResult               bool     `json:"partialResult"`
		Exceptions                  []string `json:"exceptions"`
		NumGroupsLimitReached       bool     `json:"numGroupsLimitReached"`
		TimeUsedMs                  int64    `json:"timeUsedMs"`
		NumDocsScanned              int64    `json:"numDocsScanned"`
		TotalDocs                   int64    `json:"totalDocs"`
		NumEntriesScannedInFilter   int64    `json:"numEntriesScannedInFilter"`
		NumEntriesScannedPostFilter int64    `json:"numEntriesScannedPostFilter"`
		NumServersQueried           int      `json:"numServersQueried"`
		NumServersResponded         int      `json:"numServersResponded"`
		NumSegmentsQueried          int      `json:"numSegmentsQueried"`
		NumSegmentsProcessed        int      `json:"numSegmentsProcessed"`
		NumSegmentsMatched          int      `json:"numSegmentsMatched"`
		NumConsumingSegmentsQueried int      `json:"numConsumingSegmentsQueried"`
	}{
		NumRowsResultSet: len(rows), Exceptions: []string{}, NumGroupsLimitReached: st.NumGroupsLimitReached,
		TimeUsedMs: elapsed.Milliseconds(), NumDocsScanned: st.NumDocsScanned, TotalDocs: st.TotalDocs,
		NumEntriesScannedInFilter: st.NumEntriesScannedInFilter, NumEntriesScannedPostFilter: st.NumEntriesScannedPostFilter,
		NumServersQueried: 1, NumServersResponded: 1, NumSegmentsQueried: st.NumSegmentsQueried,
		NumSegmentsProcessed: st.NumSegmentsProcessed, NumSegmentsMatched: st.NumSegmentsMatched,
	}
	resp.ResultTable.DataSchema.ColumnNames = res.Columns
	resp.ResultTable.DataSchema.ColumnDataTypes = types
	resp.ResultTable.Rows = rows
	out, err := gojson.MarshalIndent(resp, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}
