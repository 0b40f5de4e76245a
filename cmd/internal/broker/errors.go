package broker

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
)

// Pinot's query error codes (pinot-spi QueryErrorCode), the ones the broker
// answers with.
const (
	codeJSONParsing         = 100
	codeSQLParsing          = 150
	codeAccessDenied        = 180
	codeTableMissing        = 190
	codeExecution           = 200
	codeExecutionTimeout    = 250
	codeSegmentsUnavailable = 305
	codeBrokerTimeout       = 400
	codeResourceMissing     = 410
	codeServerNotResponding = 427
	codeInternal            = 450
	codeUnknownColumn       = 710
	codePlanning            = 720
)

// httpStatusOf is Pinot's QueryErrorCode.getHttpResponseStatus: the status
// a response with this first error code gets when the client sends
// Pinot-Use-Http-Status-For-Errors: true.
var httpStatusOf = map[int]int{
	100: http.StatusBadRequest, 150: http.StatusBadRequest, 155: http.StatusBadRequest,
	160: http.StatusInternalServerError, 180: http.StatusForbidden,
	190: http.StatusNotFound, 191: http.StatusNotFound,
	200: http.StatusInternalServerError, 210: http.StatusServiceUnavailable,
	211: http.StatusServiceUnavailable, 230: http.StatusNotFound, 235: http.StatusNotFound,
	240: http.StatusRequestTimeout, 245: http.StatusServiceUnavailable,
	250: http.StatusRequestTimeout, 305: http.StatusServiceUnavailable,
	400: http.StatusRequestTimeout, 410: http.StatusServiceUnavailable,
	420: http.StatusServiceUnavailable, 425: http.StatusServiceUnavailable,
	427: http.StatusServiceUnavailable, 429: http.StatusTooManyRequests,
	450: http.StatusInternalServerError, 500: http.StatusInternalServerError,
	503: http.StatusServiceUnavailable, 700: http.StatusBadRequest,
	710: http.StatusBadRequest, 720: http.StatusBadRequest, 1000: http.StatusInternalServerError,
}

// httpStatus returns the HTTP status for a Pinot error code (500 for codes
// Pinot does not know, as its UNKNOWN does).
func httpStatus(code int) int {
	if s, ok := httpStatusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// queryError is one entry of a response's exceptions: Pinot's
// QueryProcessingException.
type queryError struct {
	Code int
	Msg  string
}

func (e *queryError) Error() string { return strconv.Itoa(e.Code) + ": " + e.Msg }

func errorf(code int, msg string) *queryError { return &queryError{Code: code, Msg: msg} }

// toQueryError is the one table from errors to Pinot error codes: the
// parser's errors are SQL parsing (150), the engine's sentinels give
// unknown column (710), planning (720) and execution timeout (250), the
// broker's own deadline is a broker timeout (400), and anything else is a
// query execution error (200). The message is the error's own text.
func toQueryError(err error) *queryError {
	var qe *queryError
	var se *sql.Error
	switch {
	case errors.As(err, &qe):
		return qe
	case errors.As(err, &se):
		return errorf(codeSQLParsing, err.Error())
	case errors.Is(err, exec.ErrUnknownColumn):
		return errorf(codeUnknownColumn, err.Error())
	case errors.Is(err, exec.ErrPlanning):
		return errorf(codePlanning, err.Error())
	case errors.Is(err, exec.ErrTimeout):
		return errorf(codeExecutionTimeout, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(codeBrokerTimeout, err.Error())
	}
	return errorf(codeExecution, err.Error())
}
