package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
)

// errUnknownTable: the request names a table this cluster does not have
// (or whose schema is missing).
var errUnknownTable = errors.New("unknown table")

// codeOf is the one table from query errors to gRPC codes (proto/query.proto
// documents it for brokers). The first matching row wins.
func codeOf(err error) codes.Code {
	var se *sql.Error
	switch {
	case errors.As(err, &se),
		errors.Is(err, exec.ErrUnknownColumn),
		errors.Is(err, exec.ErrPlanning):
		return codes.InvalidArgument
	case errors.Is(err, errUnknownTable):
		return codes.NotFound
	case errors.Is(err, exec.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Internal
}

// toStatus turns a query error into a gRPC status error carrying the
// engine's message. An error of no known class after the call's context
// ended is reported as that end (Canceled or DeadlineExceeded).
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	code := codeOf(err)
	if cerr := ctx.Err(); cerr != nil && code == codes.Internal {
		code = codeOf(cerr)
	}
	return status.Error(code, err.Error())
}
