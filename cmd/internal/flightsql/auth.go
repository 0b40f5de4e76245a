package flightsql

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Authentication follows what Flight SQL clients do. The ADBC driver (and
// arrow-go's Client.AuthenticateBasicToken) opens a Handshake carrying
// `authorization: Basic <base64 user:password>` and reads back
// `authorization: Bearer <token>` from the response headers, then sends
// that header on every call. A client may also send Basic or Bearer on
// every call without a Handshake (the ADBC authorization_header option).
// Every call, the Handshake included, goes through Authenticator.
// Authenticate with its header; the Handshake then issues a token.

// authorization returns the value of the call's authorization header.
func authorization(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func (s *Server) authenticate(ctx context.Context) (context.Context, error) {
	actx, err := s.cfg.Auth.Authenticate(ctx, authorization(ctx))
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Unauthenticated {
			return nil, err
		}
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return actx, nil
}

func (s *Server) authUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	actx, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return handler(actx, req)
}

func (s *Server) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	actx, err := s.authenticate(ss.Context())
	if err != nil {
		return err
	}
	if strings.HasSuffix(info.FullMethod, "/Handshake") {
		token, err := s.cfg.Auth.IssueToken(actx)
		if err != nil {
			return status.Errorf(codes.Unauthenticated, "issue token: %v", err)
		}
		if err := ss.SetHeader(metadata.Pairs("authorization", "Bearer "+token)); err != nil {
			return err
		}
	}
	return handler(srv, &authedStream{ServerStream: ss, ctx: actx})
}

// authedStream is a server stream whose context carries the principal.
type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }
