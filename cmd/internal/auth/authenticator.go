package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"
)

// Authentication errors. Their messages are safe to send to the client:
// they never carry a secret, and a wrong user name reads like a wrong
// password.
var (
	// ErrNoCredentials: the request carries no Authorization header.
	ErrNoCredentials = errors.New("authentication required: send Authorization: Basic or Bearer")
	// ErrBadCredentials: the credentials are wrong, malformed, expired or
	// revoked.
	ErrBadCredentials = errors.New("invalid credentials")
)

// Config configures an Authenticator.
type Config struct {
	// Secret is the cluster secret (cluster.Store.AuthSecret): the key of
	// bearer tokens and the internal credential. Required.
	Secret []byte
	// Component is the component Authenticate checks users of: the
	// role's own (CONTROLLER on a controller, BROKER on a broker).
	Component Component
	// Users returns the current user records by Key (the metadata
	// snapshot's). Required.
	Users func() map[string]*User
	// TokenTTL is the lifetime of issued bearer tokens (default 12 h).
	TokenTTL time.Duration
	// CacheSize bounds the cache of verified credentials (default 4096);
	// CacheTTL is how long one entry is trusted without a bcrypt check
	// (default 5 min) even if the user's record does not change.
	CacheSize int
	CacheTTL  time.Duration
	// Guard slows repeated failures per client address.
	Guard GuardConfig
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Authenticator checks Authorization header values against the cluster's
// users. It is safe for concurrent use.
type Authenticator struct {
	cfg      Config
	now      func() time.Time
	internal string
	guard    *Guard
	cache    credCache
	// verifying runs one bcrypt check per distinct header at a time: a
	// client opening many connections at once (a dashboard, a JDBC pool)
	// sends the same credentials on all of them, and each miss would
	// otherwise spend its own tens of milliseconds.
	verifying singleflight.Group
	// bcryptChecks counts the password checks made (tests).
	bcryptChecks atomic.Int64

	dummyOnce sync.Once
	dummy     []byte
}

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.Secret) < 16 {
		return nil, errors.New("auth: cluster secret missing or shorter than 16 bytes")
	}
	if cfg.Users == nil {
		return nil, errors.New("auth: no user source")
	}
	if cfg.Component == "" {
		return nil, errors.New("auth: no component")
	}
	if _, err := ParseComponent(string(cfg.Component)); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 4096
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 5 * time.Minute
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a := &Authenticator{cfg: cfg, now: now, internal: InternalCredential(cfg.Secret), guard: NewGuard(cfg.Guard, now)}
	if err := a.cache.init(cfg.CacheSize); err != nil {
		return nil, err
	}
	return a, nil
}

// Component is the component Authenticate checks against.
func (a *Authenticator) Component() Component { return a.cfg.Component }

// Guard is the brute-force guard of this authenticator.
func (a *Authenticator) Guard() *Guard { return a.guard }

// Internal is the Authorization header value of the cluster's own
// processes.
func (a *Authenticator) Internal() string { return a.internal }

// Authenticate checks an Authorization header value (Basic or Bearer)
// against the users of the authenticator's component.
func (a *Authenticator) Authenticate(header string) (*User, error) {
	return a.AuthenticateFor(header, a.cfg.Component)
}

// AuthenticateFor checks an Authorization header value against the users
// of component c. Basic credentials that verified recently are answered
// from a cache (keyed by an HMAC of the header under a per-process random
// key, so the cache holds no password), invalidated as soon as the user's
// record changes: a bcrypt check costs tens of milliseconds, and clients
// such as the Pinot JDBC driver send Basic credentials with every query.
func (a *Authenticator) AuthenticateFor(header string, c Component) (*User, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, ErrNoCredentials
	}
	scheme, cred, _ := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Basic"):
		return a.basic(header, cred, c)
	case strings.EqualFold(scheme, "Bearer"):
		return a.bearer(cred, c)
	}
	return nil, fmt.Errorf("%w: unsupported Authorization scheme %q (want Basic or Bearer)", ErrBadCredentials, truncate(scheme, 16))
}

func (a *Authenticator) basic(header, cred string, c Component) (*User, error) {
	now := a.now()
	key := a.cache.key(c, header)
	users := a.cfg.Users()
	if u := a.cache.get(key, now); u != nil && users[Key(u.Name, c)] == u {
		return u, nil
	}
	v, err, _ := a.verifying.Do(string(key[:]), func() (any, error) {
		return a.verifyBasic(key, cred, c, now)
	})
	if err != nil {
		return nil, err
	}
	return v.(*User), nil
}

// verifyBasic checks Basic credentials against the user records and
// caches them when they verify.
func (a *Authenticator) verifyBasic(key [sha256.Size]byte, cred string, c Component, now time.Time) (*User, error) {
	users := a.cfg.Users()
	if u := a.cache.get(key, now); u != nil && users[Key(u.Name, c)] == u {
		return u, nil // verified by the call that just finished
	}
	// RFC 7617 pads the base64; arrow-go's Flight client (and so the ADBC
	// Flight SQL driver) sends it without padding.
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(cred)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: Basic credentials are not base64", ErrBadCredentials)
	}
	name, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("%w: Basic credentials lack the ':' between user and password", ErrBadCredentials)
	}
	u := users[Key(name, c)]
	if u == nil {
		// Spend a bcrypt check anyway, so that timing does not tell
		// which user names exist.
		a.bcryptChecks.Add(1)
		_ = bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(pass))
		return nil, ErrBadCredentials
	}
	a.bcryptChecks.Add(1)
	if bcrypt.CompareHashAndPassword(u.hash, []byte(pass)) != nil {
		return nil, ErrBadCredentials
	}
	a.cache.put(key, u, now.Add(a.cfg.CacheTTL))
	return u, nil
}

func (a *Authenticator) dummyHash() []byte {
	a.dummyOnce.Do(func() {
		a.dummy, _ = bcrypt.GenerateFromPassword([]byte("tannin-no-such-user"), bcryptCost)
	})
	return a.dummy
}

func (a *Authenticator) bearer(tok string, c Component) (*User, error) {
	if strings.HasPrefix(tok, internalPrefix) {
		if subtle.ConstantTimeCompare([]byte("Bearer "+tok), []byte(a.internal)) == 1 {
			return &User{Name: InternalName, Component: c, Role: Admin, internal: true, all: true, read: true, write: true}, nil
		}
		return nil, fmt.Errorf("%w: internal credential of another cluster", ErrBadCredentials)
	}
	cl, err := parseToken(tok)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCredentials, err)
	}
	if cl.component != c {
		return nil, fmt.Errorf("%w: bearer token is for %s users, not %s", ErrBadCredentials, cl.component, c)
	}
	u := a.cfg.Users()[Key(cl.name, c)]
	if u == nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCredentials, errTokenMAC)
	}
	if err := cl.verify(a.cfg.Secret, u, a.now()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCredentials, err)
	}
	return u, nil
}

// IssueToken returns a bearer token for u and its expiry.
func (a *Authenticator) IssueToken(u *User) (string, time.Time, error) {
	exp := a.now().Add(a.cfg.TokenTTL).Truncate(time.Millisecond)
	tok, err := IssueToken(a.cfg.Secret, u, exp)
	return tok, exp, err
}

// credCache remembers Basic credentials that verified, by a keyed hash of
// the header. Hits take a read lock only; when full, an arbitrary entry
// makes room (the entries are cheap to recompute and an attacker gains
// nothing from choosing which one goes).
type credCache struct {
	mu   sync.RWMutex
	m    map[[sha256.Size]byte]credEntry
	max  int
	macs sync.Pool
}

type credEntry struct {
	user    *User
	expires time.Time
}

func (c *credCache) init(max int) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("auth: cache key: %w", err)
	}
	c.m = make(map[[sha256.Size]byte]credEntry)
	c.max = max
	c.macs.New = func() any { return hmac.New(sha256.New, key) }
	return nil
}

func (c *credCache) key(comp Component, header string) [sha256.Size]byte {
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(comp))
	m.Write([]byte{0})
	m.Write([]byte(header))
	var k [sha256.Size]byte
	m.Sum(k[:0])
	c.macs.Put(m)
	return k
}

func (c *credCache) get(k [sha256.Size]byte, now time.Time) *User {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.user
}

func (c *credCache) put(k [sha256.Size]byte, u *User, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = credEntry{user: u, expires: expires}
}

func (c *credCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// BasicHeader returns the Authorization header value of Basic credentials.
func BasicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

type ctxKey struct{}

// WithUser returns a context carrying the authenticated principal.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// UserFrom returns the principal of a request's context, nil when none
// (authentication is off, or the request was not authenticated).
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(ctxKey{}).(*User)
	return u
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
