package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

func dumpCommand() Command {
	return Command{
		Name: "dump-segment", Args: "[--rows N] [--column NAME] FILE",
		Summary: "print a segment's metadata and first rows",
		Run:     runDump,
	}
}

const dumpSummary = `Print a segment file's metadata (rows, time range, CRC, size), its columns
(type, encoding, cardinality, nulls, min/max, indexes) and its first rows.`

func runDump(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "dump-segment", dumpCommand().Args, dumpSummary)
	rows := fs.Int("rows", 10, "print the first `N` rows")
	column := fs.String("column", "", "print only this `column`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one segment file, got %d arguments", len(pos))
	}
	if *rows < 0 {
		return usagef("--rows must not be negative")
	}
	seg, err := immutable.Open(pos[0])
	if err != nil {
		return err
	}
	defer seg.Close()
	m := seg.Meta()
	cols := m.Columns
	if *column != "" {
		cols = nil
		for _, c := range m.Columns {
			if strings.EqualFold(c.Name, *column) {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			return fmt.Errorf("segment %q has no column %q", m.Name, *column)
		}
	}
	w := env.Stdout
	printSegmentMeta(w, pos[0], m)
	sizes, err := columnSizes(pos[0], len(m.Columns))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncolumns (%d):\n", len(cols))
	printColumns(w, seg, cols, m.Columns, sizes)
	n := min(*rows, m.NumDocs)
	if n > 0 {
		fmt.Fprintf(w, "\nfirst %d %s:\n", n, plural(n, "row", "rows"))
		printRows(w, seg, cols, n)
	}
	return nil
}

func printSegmentMeta(w io.Writer, path string, m *segment.Meta) {
	t := &table{}
	t.row("segment", m.Name)
	t.row("table", m.Table)
	t.row("file", fmt.Sprintf("%s (%s, CRC %08x)", path, humanBytes(m.SizeBytes), m.CRC))
	t.row("rows", strconv.Itoa(m.NumDocs))
	if m.TimeColumn != "" {
		tr := fmt.Sprintf("%s: %d .. %d", m.TimeColumn, m.StartTime, m.EndTime)
		if m.NumDocs > 0 {
			tr += fmt.Sprintf(" (%s .. %s UTC)", formatTimestamp(m.StartTime), formatTimestamp(m.EndTime))
		}
		t.row("time", tr)
	}
	if m.PartitionID >= 0 {
		t.row("partition", strconv.Itoa(m.PartitionID))
	}
	if m.StartOffset != "" || m.EndOffset != "" {
		t.row("offsets", m.StartOffset+" .. "+m.EndOffset)
	}
	if m.CreatedMs != 0 {
		t.row("created", time.UnixMilli(m.CreatedMs).UTC().Format(time.RFC3339))
	}
	t.write(w, "")
}

func printColumns(w io.Writer, seg *immutable.Segment, cols, all []*segment.ColumnMeta, sizes []map[uint16]int64) {
	t := &table{align: []bool{false, false, false, false, true, true, false, true}}
	t.row("NAME", "TYPE", "VALUES", "ENCODING", "CARDINALITY", "NULLS", "SORTED", "BITS", "MIN", "MAX", "INDEXES", "SIZE")
	for _, c := range cols {
		size := "-"
		for i, a := range all {
			if a == c {
				size = describeSizes(sizes[i])
			}
		}
		kind := "single"
		if !c.SingleValue {
			kind = fmt.Sprintf("multi (max %d, total %d)", c.MaxValuesPerDoc, c.TotalValues)
		}
		enc := "raw"
		bits := ""
		if c.HasDictionary {
			enc = "dictionary"
			bits = strconv.Itoa(c.BitWidth)
		}
		lo, hi := "", ""
		if c.NullCount < seg.NumDocs() {
			lo, hi = formatBound(c.Min, c.DataType), formatBound(c.Max, c.DataType)
		}
		t.row(c.Name, c.DataType.String(), kind, enc, strconv.Itoa(c.Cardinality), strconv.Itoa(c.NullCount),
			strconv.FormatBool(c.Sorted), bits, lo, hi, indexes(seg.Column(c.Name)), size)
	}
	t.write(w, "  ")
}

func indexes(c segment.Column) string {
	if c == nil {
		return ""
	}
	var out []string
	if c.SortedIndex() != nil {
		out = append(out, "sorted")
	}
	if c.Inverted() != nil {
		out = append(out, "inverted")
	}
	if c.RangeIndex() != nil {
		out = append(out, "range")
	}
	if c.Bloom() != nil {
		out = append(out, "bloom")
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}

func formatBound(b segment.Bound, t schema.DataType) string {
	switch t.Storage() {
	case schema.StorageInt64:
		return formatValue(typedInt(b.Int, t), t)
	case schema.StorageFloat64:
		return formatFloat(b.Float, t)
	case schema.StorageBytes:
		return formatValue([]byte(b.Str), t)
	}
	return clipCell(b.Str)
}

// typedInt is an int64 value as the query results carry it: BOOLEAN as a
// bool.
func typedInt(v int64, t schema.DataType) any {
	if t == schema.TypeBoolean {
		return v != 0
	}
	return v
}

func clipCell(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		return string(r[:max-3]) + "..."
	}
	return s
}

func printRows(w io.Writer, seg *immutable.Segment, cols []*segment.ColumnMeta, n int) {
	docs := make([]uint32, n)
	for i := range docs {
		docs[i] = uint32(i)
	}
	cells := make([][]string, n)
	for i := range cells {
		cells[i] = make([]string, len(cols))
	}
	for j, cm := range cols {
		c := seg.Column(cm.Name)
		for i, v := range columnValues(c, cm, docs) {
			cells[i][j] = v
		}
	}
	t := &table{align: make([]bool, len(cols))}
	header := make([]string, len(cols))
	for j, cm := range cols {
		header[j] = cm.Name
		t.align[j] = cm.DataType.IsNumeric() && cm.SingleValue
	}
	t.row(header...)
	for _, r := range cells {
		t.row(r...)
	}
	t.write(w, "  ")
}

// columnValues renders the values of docs in column c.
func columnValues(c segment.Column, cm *segment.ColumnMeta, docs []uint32) []string {
	out := make([]string, len(docs))
	nulls := c.Nulls()
	if !cm.SingleValue {
		d := c.Dictionary()
		var ids []uint32
		for i, doc := range docs {
			if nulls != nil && nulls.Contains(doc) {
				out[i] = "null"
				continue
			}
			ids = c.MVDictIDs(doc, ids[:0])
			parts := make([]string, len(ids))
			for k, id := range ids {
				parts[k] = dictValue(d, id, cm.DataType)
			}
			out[i] = "[" + strings.Join(parts, ", ") + "]"
		}
		return out
	}
	switch cm.DataType.Storage() {
	case schema.StorageInt64:
		vals := make([]int64, len(docs))
		c.Int64s(docs, vals)
		for i, v := range vals {
			out[i] = formatValue(typedInt(v, cm.DataType), cm.DataType)
		}
	case schema.StorageFloat64:
		vals := make([]float64, len(docs))
		c.Float64s(docs, vals)
		for i, v := range vals {
			out[i] = formatFloat(v, cm.DataType)
		}
	default:
		vals := make([]string, len(docs))
		c.Strings(docs, vals)
		for i, v := range vals {
			if cm.DataType == schema.TypeBytes {
				out[i] = formatValue([]byte(v), cm.DataType)
			} else {
				out[i] = clipCell(v)
			}
		}
	}
	for i, doc := range docs {
		if nulls != nil && nulls.Contains(doc) {
			out[i] = "null"
		}
	}
	return out
}

func dictValue(d *segment.Dictionary, id uint32, t schema.DataType) string {
	switch t.Storage() {
	case schema.StorageInt64:
		return formatValue(typedInt(d.Ints[id], t), t)
	case schema.StorageFloat64:
		return formatFloat(d.Floats[id], t)
	case schema.StorageBytes:
		return formatValue([]byte(d.Strs[id]), t)
	}
	return clipCell(d.Strs[id])
}
