package exec

import (
	"errors"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Table is what a query runs over: a schema and the segments holding rows.
type Table struct {
	Name     string
	Schema   *schema.Schema
	Segments []segment.Segment
}

// Result is a query's answer in Pinot's result-table shape.
//
// Row values by column type: INT, LONG, TIMESTAMP (epoch millis) → int64;
// FLOAT, DOUBLE → float64; BOOLEAN → bool; STRING, JSON, BIG_DECIMAL →
// string; BYTES → []byte; multi-value columns → []int64, []float64 or
// []string; NULL → nil.
type Result struct {
	Columns []string
	Types   []schema.DataType
	// MultiValue marks columns whose values are arrays.
	MultiValue []bool
	Rows       [][]any
	Stats      Stats
}

// Stats are Pinot's execution statistics for one query.
type Stats struct {
	NumSegmentsQueried          int
	NumSegmentsProcessed        int
	NumSegmentsMatched          int
	NumDocsScanned              int64
	NumEntriesScannedInFilter   int64
	NumEntriesScannedPostFilter int64
	TotalDocs                   int64
	NumGroupsLimitReached       bool
}

// Error classes, for a broker to map onto Pinot's error codes with
// errors.Is. The errors that carry them keep their own messages: the class
// only adds to what errors.Is matches.
var (
	// ErrUnknownColumn: the query names a column the table's schema does
	// not have (Pinot's code 710).
	ErrUnknownColumn = errors.New("unknown column")
	// ErrPlanning: the statement cannot be planned against the schema:
	// unknown table or function, wrong types, misplaced aggregates, bad
	// query options (Pinot's code 720). An unknown column is
	// ErrUnknownColumn instead.
	ErrPlanning = errors.New("query planning")
	// ErrTimeout: Execute ran past the statement's timeoutMs (Pinot's
	// code 250).
	ErrTimeout = errors.New("query timeout")
)
