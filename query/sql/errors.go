package sql

import "fmt"

// Error is what Parse and ParseExpr return for input they reject: a syntax
// error, an unsupported construct, or a malformed Pinot option. Pinot
// reports all of these as error code 150 (SQL parsing).
type Error struct {
	// Msg says what is wrong, naming the offending token or construct.
	Msg string
	// Line and Column locate the problem in the input, both 1-based, the
	// column counted in characters; 0 when the position is not known.
	Line, Column int
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("sql: %s (line %d, column %d)", e.Msg, e.Line, e.Column)
	}
	return "sql: " + e.Msg
}

// errorAt builds an Error located at byte offset off of sql.
func errorAt(sql string, off int, format string, args ...any) *Error {
	line, col := lineCol(sql, off)
	return &Error{Msg: fmt.Sprintf(format, args...), Line: line, Column: col}
}

// errorf builds an Error without a position.
func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// unsupported names a construct Tannin does not answer.
func unsupported(format string, args ...any) *Error {
	return &Error{Msg: "unsupported: " + fmt.Sprintf(format, args...)}
}

// singleTable is the reason given for constructs that need several tables.
const singleTable = "(Tannin answers single-table queries)"
