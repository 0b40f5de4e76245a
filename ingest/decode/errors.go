package decode

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reason classifies why a record was rejected. Reports count rejected
// records per reason; String gives the stable name used in summaries.
type Reason uint8

// The reasons a record is rejected.
const (
	ReasonNone          Reason = iota
	ReasonMalformedJSON        // not a JSON object, or broken JSON
	ReasonMalformedCSV         // an unterminated or stray quote
	ReasonColumnCount          // a CSV record with more or fewer fields than the header
	ReasonBadNumber            // text that is not a number of the column's type, or out of range
	ReasonBadBoolean           // text that is not true, false, 1 or 0
	ReasonBadTime              // a time value that does not parse
	ReasonBadBytes             // BYTES text that is not hex
	ReasonBadDecimal           // BIG_DECIMAL text that is not a decimal number
	ReasonTypeMismatch         // e.g. a JSON object for an INT column
	ReasonTransform            // a transformConfigs or filterConfig expression failed
	numReasons
)

var reasonNames = [...]string{
	ReasonNone:          "none",
	ReasonMalformedJSON: "malformed_json",
	ReasonMalformedCSV:  "malformed_csv",
	ReasonColumnCount:   "column_count",
	ReasonBadNumber:     "bad_number",
	ReasonBadBoolean:    "bad_boolean",
	ReasonBadTime:       "bad_time",
	ReasonBadBytes:      "bad_bytes",
	ReasonBadDecimal:    "bad_decimal",
	ReasonTypeMismatch:  "type_mismatch",
	ReasonTransform:     "transform_error",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", r)
}

// Reasons lists every reason a record can be rejected for, in a stable
// order.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// MaxValueLen is the longest offending value an Error quotes; longer values
// are cut and end in "...".
const MaxValueLen = 64

// Error is a rejected record: why, and where inside the record. Column is
// "" for record-level problems (malformed JSON, a wrong CSV field count).
type Error struct {
	Reason Reason
	Column string
	// Value is the offending text, cut to MaxValueLen bytes.
	Value    string
	HasValue bool
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
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

func (e *Error) Unwrap() error { return e.Err }

// valueError builds the error for an offending value of column col.
func valueError(r Reason, col string, value []byte, format string, args ...any) *Error {
	return &Error{Reason: r, Column: col, Value: clip(value), HasValue: true, Err: fmt.Errorf(format, args...)}
}

// clip copies at most MaxValueLen bytes of v, not splitting a UTF-8
// sequence.
func clip(v []byte) string {
	if len(v) <= MaxValueLen {
		return string(v)
	}
	n := MaxValueLen
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return string(v[:n]) + "..."
}
