package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var secret = []byte("0123456789abcdef0123456789abcdef")

// directory is a user source tests change, as the metadata watch does.
type directory struct {
	mu    sync.Mutex
	users map[string]*User
}

func (d *directory) get() map[string]*User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.users
}

func (d *directory) put(t testing.TB, cfg UserConfig) *User {
	t.Helper()
	c := cfg
	if err := c.HashConfig(false); err != nil {
		t.Fatal(err)
	}
	u, err := NewUser(&c)
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	next := map[string]*User{}
	for k, v := range d.users {
		next[k] = v
	}
	next[c.Key()] = u
	d.users = next
	return u
}

func (d *directory) del(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := map[string]*User{}
	for k, v := range d.users {
		if k != key {
			next[k] = v
		}
	}
	d.users = next
}

func newAuth(t testing.TB, d *directory, clk *fakeClock, mod func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{Secret: secret, Component: Broker, Users: d.get, Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseUserConfig(t *testing.T) {
	u, err := ParseUserConfig([]byte(`{"username":"ann","password":"pw","component":"broker","role":"user",
		"tables":["events", "clicks_OFFLINE"],"excludeTables":["secret"],"permissions":["read","Create"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.Component != "BROKER" || u.Role != "USER" || u.Permissions[0] != "READ" || u.Permissions[1] != "CREATE" || u.Key() != "ann_BROKER" {
		t.Fatalf("not normalized: %+v", u)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"username":"a","password":"p","component":"BROKER","role":"USER","permission":["READ"]}`, `unknown field "permission" at top level; did you mean "permissions"?`},
		{`{"username":"a","component":"BROKER","role":"USER"}`, `password is missing`},
		{`{"password":"p","component":"BROKER","role":"USER"}`, `username is missing`},
		{`{"username":"a.b","password":"p","component":"BROKER","role":"USER"}`, `username "a.b": contains '.'`},
		{`{"username":"a b","password":"p","component":"BROKER","role":"USER"}`, `contains ' '`},
		{`{"username":"a","password":"p","component":"MINION","role":"USER"}`, `component "MINION"; want CONTROLLER, BROKER or SERVER`},
		{`{"username":"a","password":"p","component":"BROKER","role":"ROOT"}`, `role "ROOT"; want ADMIN or USER`},
		{`{"username":"a","password":"p","component":"BROKER","role":"USER","permissions":["READ","WRITE"]}`, `permissions[1] "WRITE"`},
		{`{"username":"a","password":"p","component":"BROKER","role":"USER","tables":[" "]}`, `empty table name`},
		{`{"username":"a","password":"p","component":"BROKER","role":"USER","tables":"events"}`, `tables: expected an array`},
		{`{"username":"a","password":"p",}`, `malformed JSON at line 1`},
	} {
		_, err := ParseUserConfig([]byte(tc.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrInvalid containing %q", tc.in, err, tc.want)
		}
	}
	// A password of the wrong type is named, never quoted.
	_, err = ParseUserConfig([]byte(`{"username":"a","password":987654321,"component":"BROKER","role":"USER"}`))
	if err == nil || strings.Contains(err.Error(), "987654321") || !strings.Contains(err.Error(), "password") {
		t.Fatalf("numeric password: %v", err)
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !IsHash(h) || IsHash("s3cret") || IsHash("$2nothash") || strings.Contains(h, "s3cret") {
		t.Fatalf("IsHash wrong for %q", h)
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Fatal("a password past bcrypt's 72 bytes was accepted")
	}
	cfg := UserConfig{Username: "a", Password: h, Component: "BROKER", Role: "USER"}
	if err := cfg.HashConfig(true); err != nil || cfg.Password != h {
		t.Fatal("HashConfig(true) rehashed a hash")
	}
	if err := cfg.HashConfig(false); err != nil || cfg.Password == h {
		t.Fatal("HashConfig(false) kept the value")
	}
	cfg.Password = "plain"
	if _, err := NewUser(&cfg); err == nil {
		t.Fatal("NewUser accepted a plain stored password")
	}
}

func TestPermissionMatrix(t *testing.T) {
	mk := func(role string, tables, exclude, perms []string) *User {
		cfg := UserConfig{Username: "u", Password: "$2a$10$abcdefghijklmnopqrstuu5Q3V8FZkI4Y4FJ6sGkQ6cYv6Qm3x9mK", Component: "BROKER",
			Role: role, Tables: tables, ExcludeTables: exclude, Permissions: perms}
		u, err := NewUser(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	admin := mk("ADMIN", nil, nil, nil)
	reader := mk("USER", []string{"events"}, nil, []string{"READ"})
	offlineOnly := mk("USER", []string{"events_OFFLINE"}, nil, []string{"READ"})
	allButSecret := mk("USER", []string{"ALL"}, []string{"secret"}, []string{"READ", "UPDATE"})
	allImplicit := mk("USER", nil, nil, []string{"READ"})
	writer := mk("USER", []string{"events"}, nil, []string{"DELETE"})
	none := mk("USER", []string{"events"}, nil, nil)
	for _, tc := range []struct {
		name  string
		u     *User
		table string
		a     Access
		want  bool
	}{
		{"admin reads anything", admin, "whatever_OFFLINE", Read, true},
		{"admin writes anything", admin, "whatever", Write, true},
		{"reader reads its raw table", reader, "events", Read, true},
		{"raw name covers OFFLINE", reader, "events_OFFLINE", Read, true},
		{"raw name covers REALTIME", reader, "EVENTS_REALTIME", Read, true},
		{"reader cannot write", reader, "events_OFFLINE", Write, false},
		{"reader cannot read others", reader, "clicks_OFFLINE", Read, false},
		{"typed name covers that type", offlineOnly, "events_OFFLINE", Read, true},
		{"typed name does not cover the other type", offlineOnly, "events_REALTIME", Read, false},
		{"ALL covers any table", allButSecret, "clicks_REALTIME", Read, true},
		{"UPDATE grants write", allButSecret, "clicks_REALTIME", Write, true},
		{"excluded table refused", allButSecret, "secret_OFFLINE", Read, false},
		{"empty tables means all", allImplicit, "anything", Read, true},
		{"DELETE grants write", writer, "events", Write, true},
		{"write does not grant read", writer, "events", Read, false},
		{"no permissions, no access", none, "events", Read, false},
		{"nil user has nothing", nil, "events", Read, false},
	} {
		if got := tc.u.Can(tc.table, tc.a); got != tc.want {
			t.Errorf("%s: Can(%q, %s) = %v", tc.name, tc.table, tc.a, got)
		}
	}
	if !admin.CanAll(Write) || allButSecret.CanAll(Read) || !allImplicit.CanAll(Read) || allImplicit.CanAll(Write) || reader.CanAll(Read) {
		t.Error("CanAll wrong")
	}
}

func TestTokens(t *testing.T) {
	clk := newClock()
	d := &directory{}
	ann := d.put(t, UserConfig{Username: "ann", Password: "pw1", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	a := newAuth(t, d, clk, func(c *Config) { c.TokenTTL = time.Hour })
	tok, exp, err := a.IssueToken(ann)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(clk.Now().Add(time.Hour)) || strings.Contains(tok, "pw1") {
		t.Fatalf("token expiry %v", exp)
	}
	if u, err := a.Authenticate("Bearer " + tok); err != nil || u != ann {
		t.Fatalf("fresh token: %v, %v", u, err)
	}
	// Tampering with any byte of payload or MAC fails.
	for _, i := range []int{len(tokenPrefix) + 2, len(tok) - 3} {
		b := []byte(tok)
		b[i] ^= 1
		if b[i] == '.' || b[i] > 'z' {
			b[i] ^= 3
		}
		if _, err := a.Authenticate("Bearer " + string(b)); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("tampered token (byte %d) accepted: %v", i, err)
		}
	}
	// Another cluster's secret does not verify it.
	other := newAuth(t, d, clk, func(c *Config) { c.Secret = []byte("another-secret-of-32-bytes......") })
	if _, err := other.Authenticate("Bearer " + tok); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("token verified under another secret: %v", err)
	}
	// A token of a broker user is no controller credential.
	if _, err := a.AuthenticateFor("Bearer "+tok, Controller); !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "BROKER users") {
		t.Errorf("broker token on the controller: %v", err)
	}
	// Expiry.
	clk.Add(time.Hour)
	if _, err := a.Authenticate("Bearer " + tok); !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	// A password change revokes tokens issued before it.
	tok2, _, _ := a.IssueToken(ann)
	d.put(t, UserConfig{Username: "ann", Password: "pw2", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	if _, err := a.Authenticate("Bearer " + tok2); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("token survived a password change: %v", err)
	}
	d.del("ann_BROKER")
	if _, err := a.Authenticate("Bearer " + tok2); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("token survived deleting the user: %v", err)
	}
	for _, bad := range []string{"Bearer ", "Bearer tn1.", "Bearer tn1.AAAA", "Bearer tn1.!!.!!", "Bearer xyz", "Digest abc"} {
		if _, err := a.Authenticate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestInternalCredential(t *testing.T) {
	d := &directory{}
	a := newAuth(t, d, newClock(), nil)
	u, err := a.Authenticate(InternalCredential(secret))
	if err != nil || !u.IsInternal() || !u.IsAdmin() || !u.CanWrite("anything") {
		t.Fatalf("internal credential: %v, %v", u, err)
	}
	if _, err := a.Authenticate(InternalCredential([]byte("another-secret-of-32-bytes......"))); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("another cluster's internal credential: %v", err)
	}
	if _, err := IssueToken(secret, u, time.Now().Add(time.Hour)); err == nil {
		t.Fatal("a token was issued for the internal principal")
	}
}

// TestBasicUnpadded: arrow-go's Flight client, and so the ADBC Flight SQL
// driver, sends the Basic credentials' base64 without padding.
func TestBasicUnpadded(t *testing.T) {
	d := &directory{}
	ann := d.put(t, UserConfig{Username: "ann", Password: "pw", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	a := newAuth(t, d, newClock(), nil)
	unpadded := "Basic " + base64.RawStdEncoding.EncodeToString([]byte("ann:pw"))
	if u, err := a.Authenticate(unpadded); err != nil || u != ann {
		t.Fatalf("unpadded basic: %v, %v", u, err)
	}
}

func TestBasicCache(t *testing.T) {
	clk := newClock()
	d := &directory{}
	ann := d.put(t, UserConfig{Username: "ann", Password: "pw", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	a := newAuth(t, d, clk, func(c *Config) { c.CacheSize = 2; c.CacheTTL = time.Minute })
	h := BasicHeader("ann", "pw")
	if u, err := a.Authenticate(h); err != nil || u != ann {
		t.Fatalf("basic: %v, %v", u, err)
	}
	if a.cache.len() != 1 {
		t.Fatalf("cache holds %d entries, want 1", a.cache.len())
	}
	// Wrong passwords and unknown users fail and are not cached.
	for _, hdr := range []string{BasicHeader("ann", "nope"), BasicHeader("bob", "pw"), BasicHeader("ann", "pw")[:10],
		"Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon"))} {
		if _, err := a.Authenticate(hdr); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%q: %v", hdr, err)
		}
	}
	if a.cache.len() != 1 {
		t.Fatalf("failures were cached: %d entries", a.cache.len())
	}
	// The same credentials for another component are another record.
	if _, err := a.AuthenticateFor(h, Controller); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("broker credentials accepted by the controller: %v", err)
	}
	// A changed record invalidates the cached entry: the old password
	// fails at once.
	d.put(t, UserConfig{Username: "ann", Password: "new", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	if _, err := a.Authenticate(h); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password after a change: %v", err)
	}
	ann2, err := a.Authenticate(BasicHeader("ann", "new"))
	if err != nil || ann2 == ann {
		t.Fatalf("new password: %v", err)
	}
	// So does deleting the user.
	d.del("ann_BROKER")
	if _, err := a.Authenticate(BasicHeader("ann", "new")); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("deleted user: %v", err)
	}
	// Bounded.
	for _, n := range []string{"u1", "u2", "u3"} {
		d.put(t, UserConfig{Username: n, Password: "pw", Component: "BROKER", Role: "ADMIN"})
		if _, err := a.Authenticate(BasicHeader(n, "pw")); err != nil {
			t.Fatal(err)
		}
	}
	if a.cache.len() > 2 {
		t.Fatalf("cache grew to %d entries past its bound 2", a.cache.len())
	}
	// An entry expires after CacheTTL (and is then checked again).
	clk.Add(2 * time.Minute)
	if u := a.cache.get(a.cache.key(Broker, BasicHeader("u3", "pw")), clk.Now()); u != nil {
		t.Fatal("expired cache entry used")
	}
}

func TestGuard(t *testing.T) {
	clk := newClock()
	g := NewGuard(GuardConfig{FreeFailures: 2, BaseDelay: 100 * time.Millisecond, MaxDelay: 350 * time.Millisecond,
		LockAfter: 6, LockFor: time.Minute, Forget: 10 * time.Minute, MaxClients: 3}, clk.Now)
	var delays []time.Duration
	for range 5 {
		d, locked := g.Failure("1.2.3.4")
		if locked != 0 {
			t.Fatal("locked too early")
		}
		delays = append(delays, d)
	}
	want := []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 350 * time.Millisecond}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays %v, want %v", delays, want)
		}
	}
	if g.Blocked("1.2.3.4") != 0 {
		t.Fatal("blocked before the lock")
	}
	if _, locked := g.Failure("1.2.3.4"); locked != time.Minute {
		t.Fatalf("6th failure: lock %v", locked)
	}
	if b := g.Blocked("1.2.3.4"); b != time.Minute {
		t.Fatalf("Blocked = %v", b)
	}
	if g.Blocked("5.6.7.8") != 0 {
		t.Fatal("another address is blocked")
	}
	clk.Add(30 * time.Second)
	if b := g.Blocked("1.2.3.4"); b != 30*time.Second {
		t.Fatalf("Blocked after 30 s = %v", b)
	}
	clk.Add(31 * time.Second)
	if g.Blocked("1.2.3.4") != 0 {
		t.Fatal("still blocked after the lock")
	}
	// A failure right after the lock renews it.
	if _, locked := g.Failure("1.2.3.4"); locked == 0 {
		t.Fatal("failure after the lock did not relock")
	}
	// Success forgets.
	g.Success("1.2.3.4")
	if g.Blocked("1.2.3.4") != 0 || g.Len() != 0 {
		t.Fatal("success did not reset")
	}
	// Quiet time forgets failures.
	for range 4 {
		g.Failure("9.9.9.9")
	}
	clk.Add(11 * time.Minute)
	if d, _ := g.Failure("9.9.9.9"); d != 0 {
		t.Fatalf("failures not forgotten after the quiet time: delay %v", d)
	}
	// Bounded memory.
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		g.Failure(c)
	}
	if g.Len() != 3 {
		t.Fatalf("guard remembers %d addresses, bound 3", g.Len())
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:5555":                "10.0.0.1",
		"[2001:db8:1:2:3:4:5:6]:80":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:81":    "2001:db8:1:2::/64",
		"[::ffff:10.0.0.1]:1":          "10.0.0.1",
		"not-an-address":               "not-an-address",
		"[2001:db8:1:3::1]:443":        "2001:db8:1:3::/64",
		"127.0.0.1:0":                  "127.0.0.1",
		"[fe80::1%eth0]:22":            "fe80::/64",
		"[2001:db8:1:2:3:4:5:6%x]:99":  "2001:db8:1:2::/64",
		"192.168.1.10":                 "192.168.1.10",
		"[2001:db8::]:1":               "2001:db8::/64",
		"[2001:db8:0:0:1::]:1":         "2001:db8::/64",
		"[2001:db8:aaaa:bbbb::1]:1000": "2001:db8:aaaa:bbbb::/64",
	} {
		if got := ClientAddr(in); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeErr(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

func TestCheckHTTP(t *testing.T) {
	clk := newClock()
	d := &directory{}
	d.put(t, UserConfig{Username: "ann", Password: "pw", Component: "BROKER", Role: "ADMIN"})
	a := newAuth(t, d, clk, func(c *Config) {
		c.Guard = GuardConfig{FreeFailures: 1, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, LockAfter: 4, LockFor: 90 * time.Second}
	})
	var allowed atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := a.Check(w, r, Broker, writeErr); u != nil {
			allowed.Add(1)
			w.WriteHeader(http.StatusOK)
		}
	})
	do := func(header, remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.RemoteAddr = remote
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("", "10.0.0.1:1")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="Tannin"` {
		t.Fatalf("no credentials: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if a.Guard().Len() != 0 {
		t.Fatal("a request without credentials counted as a failure")
	}
	if w := do(BasicHeader("ann", "pw"), "10.0.0.1:1"); w.Code != 200 {
		t.Fatalf("good credentials: %d %s", w.Code, w.Body)
	}
	for i := 1; i <= 3; i++ {
		w := do(BasicHeader("ann", "wrong"), "10.0.0.1:2")
		if w.Code != 401 || strings.Contains(w.Body.String(), "wrong") {
			t.Fatalf("failure %d: %d %s", i, w.Code, w.Body)
		}
	}
	w = do(BasicHeader("ann", "wrong"), "10.0.0.1:3")
	if w.Code != 429 || w.Header().Get("Retry-After") != "90" {
		t.Fatalf("4th failure: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// Locked out: even good credentials wait.
	if w := do(BasicHeader("ann", "pw"), "10.0.0.1:4"); w.Code != 429 {
		t.Fatalf("locked address with good credentials: %d", w.Code)
	}
	// Another address is not.
	if w := do(BasicHeader("ann", "pw"), "10.0.0.2:4"); w.Code != 200 {
		t.Fatalf("other address: %d", w.Code)
	}
	clk.Add(91 * time.Second)
	if w := do(BasicHeader("ann", "pw"), "10.0.0.1:5"); w.Code != 200 {
		t.Fatalf("after the lock: %d", w.Code)
	}
	if a.Guard().Len() != 0 {
		t.Fatal("success did not reset the guard")
	}
}

func TestParseUsersFile(t *testing.T) {
	hash, _ := HashPassword("pw")
	arr := `[{"username":"admin","password":"admin","component":"CONTROLLER","role":"ADMIN"},
	         {"username":"ann","password":"` + hash + `","component":"BROKER","role":"USER","tables":["events"],"permissions":["READ"]}]`
	users, err := ParseUsersFile([]byte(arr))
	if err != nil || len(users) != 2 {
		t.Fatalf("array: %v", err)
	}
	for _, u := range users {
		if err := u.HashConfig(true); err != nil {
			t.Fatal(err)
		}
	}
	if !IsHash(users[0].Password) || users[1].Password != hash {
		t.Fatal("plain password not hashed or hash rehashed")
	}
	obj := `{"users":{"ann_BROKER":{"username":"ann","password":"x","component":"BROKER","role":"USER"}}}`
	if users, err := ParseUsersFile([]byte(obj)); err != nil || len(users) != 1 || users[0].Key() != "ann_BROKER" {
		t.Fatalf("GET /users shape: %v", err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"users":{"bob_BROKER":{"username":"ann","password":"x","component":"BROKER","role":"USER"}}}`, `key does not match`},
		{`[{"username":"a","password":"x","component":"BROKER","role":"USER"},{"username":"a","password":"y","component":"broker","role":"USER"}]`, `a_BROKER appears twice`},
		{`{"user":{}}`, `unknown field "user"`},
		{`"x"`, `expected an array`},
		{`[{"username":"a","password":"x","component":"BROKER","role":"USER","extra":1}]`, `unknown field "extra" at [0]`},
	} {
		if _, err := ParseUsersFile([]byte(tc.in)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// BenchmarkBasicCached is the broker's cost of authentication per query
// for a client that sends Basic credentials with every request.
func BenchmarkBasicCached(b *testing.B) {
	d := &directory{}
	d.put(b, UserConfig{Username: "admin", Password: "admin", Component: "BROKER", Role: "ADMIN"})
	a := newAuth(b, d, newClock(), nil)
	h := BasicHeader("admin", "admin")
	if _, err := a.Authenticate(h); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBearer is the cost of verifying a bearer token.
func BenchmarkBearer(b *testing.B) {
	d := &directory{}
	u := d.put(b, UserConfig{Username: "admin", Password: "admin", Component: "BROKER", Role: "ADMIN"})
	a := newAuth(b, d, newClock(), nil)
	tok, _, err := a.IssueToken(u)
	if err != nil {
		b.Fatal(err)
	}
	h := "Bearer " + tok
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBasicUncached is one bcrypt check: what the cache saves.
func BenchmarkBasicUncached(b *testing.B) {
	d := &directory{}
	d.put(b, UserConfig{Username: "admin", Password: "admin", Component: "BROKER", Role: "ADMIN"})
	a := newAuth(b, d, newClock(), func(c *Config) { c.CacheSize = 1 })
	h := BasicHeader("admin", "admin")
	for b.Loop() {
		a.cache.mu.Lock()
		clear(a.cache.m)
		a.cache.mu.Unlock()
		if _, err := a.Authenticate(h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBasicConcurrentMisses: many requests with the same new credentials
// at once (a connection pool opening) cost one bcrypt check, not one each.
func TestBasicConcurrentMisses(t *testing.T) {
	d := &directory{}
	ann := d.put(t, UserConfig{Username: "ann", Password: "pw", Component: "BROKER", Role: "USER", Permissions: []string{"READ"}})
	a := newAuth(t, d, newClock(), nil)
	for _, c := range []struct {
		header string
		want   *User
	}{{BasicHeader("ann", "pw"), ann}, {BasicHeader("ann", "wrong"), nil}} {
		before := a.bcryptChecks.Load()
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				u, err := a.Authenticate(c.header)
				if u != c.want || (c.want == nil) != (err != nil) {
					t.Errorf("%s: %v, %v", c.header, u, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		// Failures are not cached, so a goroutine late enough (after a
		// whole bcrypt check) starts another; successes are cached.
		if n := a.bcryptChecks.Load() - before; n < 1 || n > 8 || (c.want != nil && n != 1) {
			t.Errorf("%s: %d bcrypt checks for 32 concurrent requests", c.header, n)
		}
	}
}
