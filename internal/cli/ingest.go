package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tannin-db/tannin/ingest/batch"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

func ingestCommand() Command {
	return Command{
		Name: "ingest", Args: "--schema FILE --out DIR [--table FILE] [flags] FILES...",
		Summary: "load CSV, JSON lines or Parquet files into segments",
		Run:     runIngest,
	}
}

const ingestSummary = `Read the input files, convert their records to the schema's types, apply the
table config's transforms and filter, and write segments of the table into
the output directory, with the table config's indexes. Prints a summary:
rows read, written, filtered and skipped (per reason, with examples),
segments and rows per second. Exits with 1 when --on-error stop meets a
bad record.`

func runIngest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "ingest", ingestCommand().Args, ingestSummary)
	schemaPath := fs.String("schema", "", "Pinot schema JSON `file` (required)")
	tablePath := fs.String("table", "", "Pinot table config JSON `file` (indexes, time column, transforms)")
	out := fs.String("out", "", "output `directory` for the segments (required)")
	rows := fs.Int("rows-per-segment", batch.DefaultRowsPerSegment, "cut a segment after `N` rows")
	maxBytes := fs.Int64("max-segment-bytes", 0, "also cut a segment after about `N` bytes of values (0: no limit)")
	format := fs.String("format", "auto", "input `format`: csv, json, parquet, or auto (by file name)")
	onError := fs.String("on-error", "table", "on a bad record: skip, stop, or table (skip if the table sets continueOnError, else stop)")
	examples := fs.Int("examples", batch.DefaultMaxExamples, "bad records to show per reason")
	delim := fs.String("delimiter", "", "CSV field delimiter (default ',', tab for .tsv)")
	mvDelim := fs.String("mv-delimiter", ";", "CSV multi-value delimiter")
	nullValue := fs.String("null-value", "", `CSV text read as null, e.g. \N (an empty field is always null)`)
	prefix := fs.String("segment-prefix", "", "segment name prefix (default: the table name)")
	noTime := fs.Bool("exclude-time-in-name", false, "leave the time range out of segment names")
	seq := fs.Int("sequence-start", 0, "sequence number of the first segment")
	overwrite := fs.Bool("overwrite", false, "replace segment files that exist")
	progress := fs.Bool("progress", false, "show a progress bar even when stderr is not a terminal")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *schemaPath == "" {
		return usagef("--schema is required")
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if len(files) == 0 {
		return usagef("no input files")
	}
	cfg := batch.Config{
		Inputs: files, OutDir: *out, RowsPerSegment: *rows, MaxSegmentBytes: *maxBytes, MaxExamples: *examples,
		SegmentNamePrefix: *prefix, ExcludeTimeInSegmentName: *noTime, SequenceStart: *seq, Overwrite: *overwrite,
	}
	if cfg.Format, err = batch.ParseFormat(*format); err != nil {
		return usagef("%v", err)
	}
	if cfg.OnError, err = batch.ParseOnError(*onError); err != nil {
		return usagef("%v", err)
	}
	if cfg.CSV.Delimiter, err = oneByte("--delimiter", *delim); err != nil {
		return err
	}
	if cfg.CSV.MultiValueDelimiter, err = oneByte("--mv-delimiter", *mvDelim); err != nil {
		return err
	}
	cfg.CSV.NullValue = *nullValue
	if cfg.Schema, err = loadSchema(env, *schemaPath); err != nil {
		return err
	}
	if *tablePath != "" {
		if cfg.Table, err = loadTableConfig(env, *tablePath); err != nil {
			return err
		}
	}

	var bar *progressbar.ProgressBar
	var onProgress func(batch.Progress)
	if env.StderrIsTerminal || *progress {
		onProgress = func(p batch.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.BytesTotal,
					progressbar.OptionSetWriter(env.Stderr),
					progressbar.OptionShowBytes(true),
					progressbar.OptionSetDescription("ingest"),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionFullWidth(),
				)
			}
			bar.Describe(fmt.Sprintf("%s: %d rows", filepath.Base(p.File), p.RowsRead))
			bar.Set64(p.BytesRead)
		}
	}
	rep, err := batch.Ingest(ctx, cfg, onProgress)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	printIngestReport(env.Stdout, rep)
	if err != nil {
		var re *batch.RowError
		if errors.As(err, &re) {
			fmt.Fprintf(env.Stderr, "tannin ingest: stopped at a bad record (reason %s): %v\n", re.Reason, err)
			fmt.Fprintln(env.Stderr, "use --on-error skip to skip bad records and report them")
			return errSilent
		}
		return err
	}
	return nil
}

func oneByte(flagName, s string) (byte, error) {
	switch {
	case s == "":
		return 0, nil
	case s == `\t`:
		return '\t', nil
	case len(s) == 1:
		return s[0], nil
	}
	return 0, usagef("%s must be a single character, not %q", flagName, s)
}

func loadSchema(env *Env, path string) (*schema.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, warnings, err := schema.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(env.Stderr, "warning: schema %s: %s\n", path, w)
	}
	return s, nil
}

func loadTableConfig(env *Env, path string) (*tableconfig.TableConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, warnings, err := tableconfig.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("table config %s: %w", path, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(env.Stderr, "warning: table config %s: %s\n", path, w)
	}
	return t, nil
}

func printIngestReport(w io.Writer, rep *batch.Report) {
	if rep == nil {
		return
	}
	files := len(rep.Files)
	fmt.Fprintf(w, "ingested %d rows from %d %s in %s (%s rows/s)\n", rep.RowsRead, files, plural(files, "file", "files"),
		rep.Elapsed.Round(time.Millisecond), humanCount(rep.RowsPerSecond()))
	fmt.Fprintf(w, "  rows read      %d\n", rep.RowsRead)
	fmt.Fprintf(w, "  rows written   %d\n", rep.RowsWritten)
	fmt.Fprintf(w, "  rows filtered  %d\n", rep.RowsFiltered)
	fmt.Fprintf(w, "  rows skipped   %d\n", rep.RowsSkipped)
	width := 0
	for _, s := range rep.Skipped {
		width = max(width, len(s.Reason.String()))
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "    %-*s %d\n", width, s.Reason, s.Count)
		for _, e := range s.Examples {
			fmt.Fprintf(w, "      %v\n", e)
		}
		if more := s.Count - int64(len(s.Examples)); more > 0 {
			fmt.Fprintf(w, "      ... and %d more\n", more)
		}
	}
	fmt.Fprintf(w, "  segments       %d\n", len(rep.Segments))
	tw := &table{}
	for _, s := range rep.Segments {
		size := ""
		if s.Meta != nil {
			size = humanBytes(s.Meta.SizeBytes)
		}
		tw.row(s.Name, fmt.Sprintf("%d rows", s.Rows), size, s.Path)
	}
	tw.align = []bool{false, true, true, false}
	tw.write(w, "    ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func humanCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// table writes rows of cells in aligned columns.
type table struct {
	rows  [][]string
	align []bool // right-align column i
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, indent string) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		b.WriteString(indent)
		for i, c := range r {
			pad := widths[i] - displayWidth(c)
			right := i < len(t.align) && t.align[i]
			if i > 0 {
				b.WriteString("  ")
			}
			if right {
				b.WriteString(strings.Repeat(" ", pad))
			}
			b.WriteString(c)
			if !right && i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int { return len([]rune(s)) }
