package flightsql

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// coded is an error carrying Apache Pinot's query error code, as the
// broker's query errors do.
type coded interface {
	error
	QueryErrorCode() int
}

// grpcCodeOf is the one table from Pinot's query error codes to gRPC
// status codes: the client's own mistakes (SQL, columns, options) are
// InvalidArgument, a missing table NotFound, access denied
// PermissionDenied, timeouts DeadlineExceeded, missing servers or segments
// (a partial answer) Unavailable, a full broker ResourceExhausted, and the
// engine's failures Internal.
var grpcCodeOf = map[int]codes.Code{
	100: codes.InvalidArgument, // JSON parsing
	150: codes.InvalidArgument, // SQL parsing
	155: codes.InvalidArgument, // DQL parsing
	180: codes.PermissionDenied,
	190: codes.NotFound, // table does not exist
	191: codes.NotFound,
	200: codes.Internal, // query execution
	210: codes.Unavailable,
	211: codes.Unavailable,
	230: codes.NotFound,
	235: codes.NotFound,
	240: codes.DeadlineExceeded,
	245: codes.Unavailable,
	250: codes.DeadlineExceeded, // execution timeout
	305: codes.Unavailable,      // segments unavailable
	400: codes.DeadlineExceeded, // broker timeout
	410: codes.Unavailable,      // broker resource missing
	420: codes.Unavailable,
	425: codes.Unavailable,
	427: codes.Unavailable, // server not responding
	429: codes.ResourceExhausted,
	450: codes.Internal,
	500: codes.Internal,
	503: codes.Unavailable,
	700: codes.InvalidArgument, // query validation
	710: codes.InvalidArgument, // unknown column
	720: codes.InvalidArgument, // query planning
}

// toStatus turns a backend error into a gRPC status with the engine's
// message. A call the client cancelled is Canceled, whatever the broker
// made of its end.
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return status.Error(codes.Canceled, "query cancelled by the client: "+err.Error())
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return err
	}
	var ce coded
	if errors.As(err, &ce) {
		code, ok := grpcCodeOf[ce.QueryErrorCode()]
		if !ok {
			code = codes.Internal
		}
		return status.Error(code, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
