package schema

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (errors.Is) by every error of Parse and Validate:
// the schema document or value is wrong, as opposed to an I/O failure of
// the caller. APIs map it to HTTP 400. The errors also unwrap to
// *strictjson.SyntaxError, *strictjson.UnknownFieldError or
// *strictjson.TypeError where one of those is the cause.
var ErrInvalid = errors.New("invalid schema")

// invalidError keeps the message of its cause and adds ErrInvalid to the
// chain without changing the text.
type invalidError struct{ err error }

func (e *invalidError) Error() string   { return e.err.Error() }
func (e *invalidError) Unwrap() []error { return []error{e.err, ErrInvalid} }

// invalidf builds an error matching ErrInvalid; %w verbs wrap as usual.
func invalidf(format string, args ...any) error {
	return &invalidError{err: fmt.Errorf(format, args...)}
}
