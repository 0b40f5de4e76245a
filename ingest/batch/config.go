package batch

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// Format is an input file format.
type Format uint8

// The input formats. FormatAuto picks one per file by its name: .csv and
// .tsv (tab-delimited) are CSV, .json, .jsonl and .ndjson JSON lines,
// .parquet and .pq Parquet; a .gz suffix is decompressed first (CSV and
// JSON).
const (
	FormatAuto Format = iota
	FormatCSV
	FormatJSON
	FormatParquet
)

var formatNames = [...]string{FormatAuto: "auto", FormatCSV: "csv", FormatJSON: "json", FormatParquet: "parquet"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", f)
}

// ParseFormat parses a format name: auto, csv, json (or jsonl, ndjson) or
// parquet.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "csv", "tsv":
		return FormatCSV, nil
	case "json", "jsonl", "ndjson":
		return FormatJSON, nil
	case "parquet":
		return FormatParquet, nil
	}
	return FormatAuto, fmt.Errorf("unknown input format %q (known: csv, json, parquet)", s)
}

// detectFormat picks the format of path from its name.
func detectFormat(path string) (f Format, gzipped, tabs bool, err error) {
	name := strings.ToLower(filepath.Base(path))
	if n, ok := strings.CutSuffix(name, ".gz"); ok {
		name, gzipped = n, true
	}
	switch filepath.Ext(name) {
	case ".csv":
		return FormatCSV, gzipped, false, nil
	case ".tsv":
		return FormatCSV, gzipped, true, nil
	case ".json", ".jsonl", ".ndjson":
		return FormatJSON, gzipped, false, nil
	case ".parquet", ".pq":
		return FormatParquet, gzipped, false, nil
	}
	return FormatAuto, gzipped, false, fmt.Errorf("input %q: cannot tell the format from the name (use .csv, .tsv, .json, .jsonl, .parquet, or set the format)", path)
}

// OnError chooses what a rejected record does to an ingestion.
type OnError uint8

const (
	// OnErrorTable follows the table config: skip when
	// ingestionConfig.continueOnError is true, else stop (Pinot's default).
	OnErrorTable OnError = iota
	// OnErrorSkip skips rejected records, counting them by reason and
	// keeping the first few as examples.
	OnErrorSkip
	// OnErrorStop ends the ingestion at the first rejected record.
	OnErrorStop
)

func (o OnError) String() string {
	switch o {
	case OnErrorTable:
		return "table"
	case OnErrorSkip:
		return "skip"
	case OnErrorStop:
		return "stop"
	}
	return fmt.Sprintf("OnError(%d)", o)
}

// ParseOnError parses skip, stop or table.
func ParseOnError(s string) (OnError, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "table":
		return OnErrorTable, nil
	case "skip":
		return OnErrorSkip, nil
	case "stop":
		return OnErrorStop, nil
	}
	return OnErrorTable, fmt.Errorf("unknown error mode %q (known: skip, stop)", s)
}

// Defaults of Config.
const (
	DefaultRowsPerSegment = 1_000_000
	DefaultMaxExamples    = 5
)

// Config describes one batch ingestion: files of a table's rows become
// segments in OutDir.
type Config struct {
	Schema *schema.Schema
	// Table gives the table name, the time column, the indexes and the
	// ingestion transforms and filter. When nil, the table is named after
	// the schema and has no indexes or transforms.
	Table *tableconfig.TableConfig
	// Inputs are the files to read, in order.
	Inputs []string
	// Format of every input; FormatAuto picks one per file by its name.
	Format Format
	// CSV dialect. A .tsv file uses a tab delimiter unless one is set.
	CSV decode.CSVOptions
	// OutDir receives the segment files; it is created if missing.
	OutDir string
	// RowsPerSegment cuts a segment after this many rows (default
	// DefaultRowsPerSegment). Rows accumulate across input files.
	RowsPerSegment int
	// MaxSegmentBytes, when positive, also cuts a segment once its values
	// take about this many bytes in memory.
	MaxSegmentBytes int64
	// OnError chooses to skip rejected records or to stop at the first.
	OnError OnError
	// MaxExamples is the number of rejected records kept per reason
	// (default DefaultMaxExamples).
	MaxExamples int
	// BatchSize is the number of records decoded and transformed together
	// (default decode.DefaultBatchSize).
	BatchSize int
	// SegmentNamePrefix starts every segment name (default: the raw table
	// name). Names follow Pinot's SimpleSegmentNameGenerator:
	// prefix_minTime_maxTime_sequence, or prefix_sequence without a time
	// column or with ExcludeTimeInSegmentName.
	SegmentNamePrefix        string
	ExcludeTimeInSegmentName bool
	// SequenceStart is the sequence number of the first segment.
	SequenceStart int
	// Overwrite replaces segment files that exist; otherwise an existing
	// file is an error.
	Overwrite bool
	// Logger receives a line per segment written (default: discard).
	Logger *slog.Logger
	// Clock gives the time for the elapsed-time figures (default time.Now).
	Clock func() time.Time
}

// DefaultConfig returns a Config with the default limits; set Schema,
// Table, Inputs and OutDir. Zero limits in a Config mean the defaults too.
func DefaultConfig() Config {
	return Config{
		RowsPerSegment: DefaultRowsPerSegment,
		MaxExamples:    DefaultMaxExamples,
		BatchSize:      decode.DefaultBatchSize,
		OnError:        OnErrorTable,
	}
}

// validate checks c and fills in defaults.
func (c *Config) validate() error {
	if c.Schema == nil {
		return errors.New("ingest: no schema")
	}
	if len(c.Schema.Fields) == 0 {
		return fmt.Errorf("ingest: schema %q has no fields", c.Schema.Name)
	}
	if c.Table != nil {
		if err := c.Table.Validate(c.Schema); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if len(c.Inputs) == 0 {
		return errors.New("ingest: no input files")
	}
	if c.OutDir == "" {
		return errors.New("ingest: no output directory")
	}
	if c.RowsPerSegment < 0 || c.MaxSegmentBytes < 0 || c.MaxExamples < 0 || c.BatchSize < 0 {
		return errors.New("ingest: negative size limit")
	}
	if c.RowsPerSegment == 0 {
		c.RowsPerSegment = DefaultRowsPerSegment
	}
	if c.MaxExamples == 0 {
		c.MaxExamples = DefaultMaxExamples
	}
	if c.BatchSize == 0 {
		c.BatchSize = decode.DefaultBatchSize
	}
	if c.OnError == OnErrorTable {
		c.OnError = OnErrorStop
		if c.Table != nil && c.Table.Ingestion.ContinueOnError {
			c.OnError = OnErrorSkip
		}
	}
	if c.SegmentNamePrefix == "" {
		c.SegmentNamePrefix = c.tableName()
	}
	if strings.ContainsAny(c.SegmentNamePrefix, `/\`) {
		return fmt.Errorf("ingest: segment name prefix %q holds a path separator", c.SegmentNamePrefix)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	for _, in := range c.Inputs {
		if c.Format == FormatAuto {
			if _, _, _, err := detectFormat(in); err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
		}
	}
	return nil
}

// tableName is the raw table name segments are named and built for.
func (c *Config) tableName() string {
	if c.Table != nil && c.Table.TableName != "" {
		return tableconfig.RawTableName(c.Table.TableName)
	}
	return c.Schema.Name
}
