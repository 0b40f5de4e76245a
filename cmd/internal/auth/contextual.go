package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/peer"
)

// Contextual adapts an Authenticator to APIs that carry the principal in
// a context rather than an HTTP request: the broker's Flight SQL endpoint
// (flightsql.Authenticator). Failures count against the gRPC peer's
// address in the same guard as HTTP requests.
type Contextual struct {
	A *Authenticator
}

// Authenticate checks an authorization header value for the
// authenticator's component and returns ctx carrying the principal.
func (c Contextual) Authenticate(ctx context.Context, authorization string) (context.Context, error) {
	client := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		client = ClientAddr(p.Addr.String())
	}
	if wait := c.A.guard.Blocked(client); wait > 0 {
		return ctx, fmt.Errorf("too many failed authentication attempts from this address; retry in %d s", int((wait+time.Second-1)/time.Second))
	}
	u, err := c.A.Authenticate(authorization)
	if err != nil {
		if !errors.Is(err, ErrNoCredentials) {
			delay, locked := c.A.guard.Failure(client)
			if locked == 0 && delay > 0 {
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
		}
		return ctx, err
	}
	c.A.guard.Success(client)
	return WithUser(ctx, u), nil
}

// IssueToken returns a bearer token for the principal of ctx.
func (c Contextual) IssueToken(ctx context.Context) (string, error) {
	tok, _, err := c.A.IssueToken(UserFrom(ctx))
	return tok, err
}

// CanRead reports whether the principal of ctx may read table.
func (c Contextual) CanRead(ctx context.Context, table string) bool {
	return UserFrom(ctx).CanRead(table)
}
