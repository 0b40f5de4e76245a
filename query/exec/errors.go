package exec

import "errors"

// classError gives an error a class (ErrUnknownColumn, ErrPlanning,
// ErrTimeout) that errors.Is finds, without changing its message.
type classError struct {
	class error
	err   error
}

func (e *classError) Error() string   { return e.err.Error() }
func (e *classError) Unwrap() []error { return []error{e.class, e.err} }

// classify returns err in class, unless it already has a class.
func classify(class, err error) error {
	if err == nil || errors.Is(err, ErrUnknownColumn) || errors.Is(err, ErrPlanning) || errors.Is(err, ErrTimeout) {
		return err
	}
	return &classError{class: class, err: err}
}
