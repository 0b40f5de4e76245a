package batch

import (
	"fmt"
	"strings"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/segment"
)

// RowError is a rejected input record: the file, the position in it (a
// line for CSV and JSON lines, counting from 1 and including a CSV header;
// a row for Parquet, counting from 1), and why.
type RowError struct {
	File string
	// Line is the line a CSV or JSON record starts on, or the row number
	// in a Parquet file (RowUnit says which).
	Line    int64
	RowUnit bool
	Reason  decode.Reason
	// Column is the offending column, "" for problems with the whole
	// record; Value the offending text, cut to decode.MaxValueLen bytes.
	Column   string
	Value    string
	HasValue bool
	Err      error
}

func (e *RowError) Error() string {
	var b strings.Builder
	if e.RowUnit {
		fmt.Fprintf(&b, "%s: row %d: ", e.File, e.Line)
	} else {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	if e.HasValue {
		fmt.Fprintf(&b, "value %q: ", e.Value)
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Reason.String())
	}
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// ReasonReport counts the records rejected for one reason.
type ReasonReport struct {
	Reason decode.Reason
	Count  int64
	// Examples are the first records rejected for the reason.
	Examples []*RowError
}

// FileReport describes one input file.
type FileReport struct {
	Path   string
	Format Format
	// Bytes is the size of the file as stored (compressed, if it is).
	Bytes       int64
	RowsRead    int64
	RowsSkipped int64
}

// SegmentReport describes one segment written.
type SegmentReport struct {
	Name string
	Path string
	Rows int
	Meta *segment.Meta
}

// Report is the outcome of an ingestion, also when it stopped early.
type Report struct {
	Files []FileReport
	// RowsRead counts records read, whether decoded or rejected.
	RowsRead int64
	// RowsWritten counts rows in the segments written.
	RowsWritten int64
	// RowsFiltered counts rows dropped by the table's filterConfig.
	RowsFiltered int64
	// RowsSkipped counts rejected records; Skipped breaks them down by
	// reason, in the order of decode.Reasons.
	RowsSkipped int64
	Skipped     []ReasonReport
	Segments    []SegmentReport
	Elapsed     time.Duration
}

// RowsPerSecond is the rate records were read at.
func (r *Report) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.RowsRead) / r.Elapsed.Seconds()
}

// SkippedFor returns the count of records rejected for reason.
func (r *Report) SkippedFor(reason decode.Reason) int64 {
	for _, s := range r.Skipped {
		if s.Reason == reason {
			return s.Count
		}
	}
	return 0
}

// Progress is a snapshot of a running ingestion, reported after every
// batch of records.
type Progress struct {
	// File is the input being read, FileIndex its index in Config.Inputs.
	File      string
	FileIndex int
	Files     int
	// BytesRead counts the bytes of input files read so far, of
	// BytesTotal (compressed sizes for compressed files).
	BytesRead  int64
	BytesTotal int64
	RowsRead   int64
	// RowsWritten counts rows accepted into segments (written, being
	// built, or gathered for the next segment).
	RowsWritten int64
	RowsSkipped int64
	Segments    int
}

// tally collects rejected records into a report.
type tally struct {
	max     int
	reasons map[decode.Reason]*ReasonReport
}

func (t *tally) add(e *RowError) {
	if t.reasons == nil {
		t.reasons = map[decode.Reason]*ReasonReport{}
	}
	rr := t.reasons[e.Reason]
	if rr == nil {
		rr = &ReasonReport{Reason: e.Reason}
		t.reasons[e.Reason] = rr
	}
	rr.Count++
	if len(rr.Examples) < t.max {
		rr.Examples = append(rr.Examples, e)
	}
}

func (t *tally) report() []ReasonReport {
	var out []ReasonReport
	for _, r := range decode.Reasons() {
		if rr := t.reasons[r]; rr != nil {
			out = append(out, *rr)
		}
	}
	return out
}

func rowError(file string, rowUnit bool, pos int64, e *decode.Error) *RowError {
	return &RowError{File: file, Line: pos, RowUnit: rowUnit, Reason: e.Reason, Column: e.Column,
		Value: e.Value, HasValue: e.HasValue, Err: e.Err}
}
