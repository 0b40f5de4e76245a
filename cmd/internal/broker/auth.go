package broker

import (
	"context"
	"net/http"

	"github.com/tannin-db/tannin/cmd/internal/auth"
)

// This file is the broker's side of authentication (cmd/internal/auth):
// with it on, the query endpoints need a BROKER user, and a query over a
// table the user cannot read is refused after the table is resolved and
// before anything is planned or sent to a server. /health and /metrics
// stay open.

// initAuth builds the broker's authenticator when authentication is on,
// and hands it to the Flight SQL endpoint unless the configuration gives
// that one its own.
func (b *Broker) initAuth() error {
	a, err := b.deps.Authenticator(auth.Broker)
	if err != nil {
		return err
	}
	b.auth = a
	if a != nil && b.cfg.FlightAuth == nil {
		b.cfg.FlightAuth = auth.Contextual{A: a}
	}
	return nil
}

// Auth is the broker's authenticator; nil when authentication is off.
func (b *Broker) Auth() *auth.Authenticator { return b.auth }

// authenticated puts h behind authentication: the principal rides in the
// request's context to the table check in answer.
func (b *Broker) authenticated(h http.HandlerFunc) http.HandlerFunc {
	if b.auth == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		u := b.auth.Check(w, r, auth.Broker, b.authFailed)
		if u == nil {
			return
		}
		h(w, r.WithContext(auth.WithUser(r.Context(), u)))
	}
}

// authFailed answers 401 and 429 as a broker response whose exception is
// Pinot's ACCESS_DENIED (code 180), so that clients reading the body find
// the reason where they look for query errors.
func (b *Broker) authFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	b.log.Debug("query request not authenticated", "status", status, "reason", msg)
	resp := &response{Exceptions: []*queryError{errorf(codeAccessDenied, msg)}, RequestID: b.nextRequestID(), BrokerID: b.name}
	buf := resp.appendJSON(nil)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Pinot-Error-Code", "180")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

// checkRead refuses a query over table unless the principal of ctx may
// read it. The message names the user, the access and the table.
func (b *Broker) checkRead(ctx context.Context, table string) *queryError {
	if b.auth == nil {
		return nil
	}
	u := auth.UserFrom(ctx)
	if u == nil {
		return errorf(codeAccessDenied, "Permission denied. Reason: the request carries no authenticated user")
	}
	if !u.CanRead(table) {
		return errorf(codeAccessDenied, "Permission denied. Reason: user '"+u.Name+"' has no READ access to table '"+table+"'")
	}
	return nil
}
