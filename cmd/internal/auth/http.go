package auth

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Challenge is the WWW-Authenticate header of every 401.
const Challenge = `Basic realm="Tannin"`

// ErrorWriter answers a refused request in the role's own error shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, msg string)

// Check authenticates an HTTP request for component c. On success it
// returns the principal. Otherwise it has answered the request and returns
// nil: 401 with a Basic challenge for missing or wrong credentials (after
// the guard's delay when the address keeps failing), 429 with Retry-After
// while the address is locked out.
func (a *Authenticator) Check(w http.ResponseWriter, r *http.Request, c Component, fail ErrorWriter) *User {
	client := ClientAddr(r.RemoteAddr)
	if wait := a.guard.Blocked(client); wait > 0 {
		tooMany(w, r, wait, fail)
		return nil
	}
	u, err := a.AuthenticateFor(r.Header.Get("Authorization"), c)
	if err == nil {
		a.guard.Success(client)
		return u
	}
	if !errors.Is(err, ErrNoCredentials) {
		delay, locked := a.guard.Failure(client)
		if locked > 0 {
			tooMany(w, r, locked, fail)
			return nil
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
	}
	Unauthorized(w, r, err.Error(), fail)
	return nil
}

// Unauthorized answers 401 with the Basic challenge.
func Unauthorized(w http.ResponseWriter, r *http.Request, msg string, fail ErrorWriter) {
	w.Header().Set("WWW-Authenticate", Challenge)
	fail(w, r, http.StatusUnauthorized, msg)
}

func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, fail ErrorWriter) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	fail(w, r, http.StatusTooManyRequests, "too many failed authentication attempts from this address; retry in "+strconv.Itoa(secs)+" s")
}

// Transport returns an http.RoundTripper that sends header as the
// Authorization of every request (a cluster member's calls to another
// with the internal credential); base nil is http.DefaultTransport.
func Transport(base http.RoundTripper, header string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, header: header}
}

type transport struct {
	base   http.RoundTripper
	header string
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", t.header)
	return t.base.RoundTrip(r2)
}
