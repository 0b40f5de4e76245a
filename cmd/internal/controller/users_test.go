package controller

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/internal/syncbuf"
)

// authEnv is an env with authentication on: the cluster secret created
// and admin/admin bootstrapped for the controller and the broker.
func authEnv(t *testing.T, log *slog.Logger) *env {
	t.Helper()
	e := newEnv(t)
	if log != nil {
		e.deps.Log = log
	}
	secret, err := e.deps.Store.AuthSecret(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.deps.AuthSecret = secret
	var users []*auth.UserConfig
	for _, c := range []auth.Component{auth.Controller, auth.Broker} {
		u := &auth.UserConfig{Username: "admin", Password: "admin", Component: string(c), Role: "ADMIN"}
		if err := u.HashConfig(false); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	if _, err := e.deps.Store.EnsureUsers(e.ctx, users); err != nil {
		t.Fatal(err)
	}
	if _, err := e.deps.Cache.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// authCall sends a request with an Authorization header value (none when
// "").
func authCall(t *testing.T, method, url, authz string, body []byte) reply {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, out}
}

func (a reply) want(t *testing.T, status int, fragments ...string) reply {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	for _, f := range fragments {
		if !strings.Contains(string(a.body), f) {
			t.Fatalf("answer %s lacks %q", a.body, f)
		}
	}
	return a
}

const (
	smallSchema = `{"schemaName":"%s","dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`
	smallTable  = `{"tableName":"%s","tableType":"OFFLINE","segmentsConfig":{"replication":"1"},"tenants":{},"tableIndexConfig":{},"metadata":{}}`
)

func doc(format, name string) []byte { return []byte(strings.ReplaceAll(format, "%s", name)) }

func TestAuthOff(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	authCall(t, "GET", c.url+"/auth/info", "", nil).want(t, 200, `{"workflow":"NONE"}`)
	authCall(t, "GET", c.url+"/auth/verify", "", nil).want(t, 200, "true")
	authCall(t, "GET", c.url+"/tables", "", nil).want(t, 200)
	authCall(t, "POST", c.url+"/auth/token", auth.BasicHeader("a", "b"), nil).want(t, 400, "authentication is off")
}

func TestUsersAPIAndPermissions(t *testing.T) {
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := authEnv(t, log)
	c := e.start(testConfig())
	adminH := auth.BasicHeader("admin", "admin")

	// Open routes and the login probes.
	authCall(t, "GET", c.url+"/health", "", nil).want(t, 200, "OK")
	authCall(t, "GET", c.url+"/metrics", "", nil).want(t, 200)
	authCall(t, "GET", c.url+"/auth/info", "", nil).want(t, 200, `{"workflow":"BASIC"}`)
	// The console's page and assets load before anyone logs in.
	authCall(t, "GET", c.url+"/", "", nil).want(t, 200)
	a := authCall(t, "GET", c.url+"/auth/verify", "", nil).want(t, 401)
	if a.header.Get("WWW-Authenticate") != `Basic realm="Tannin"` {
		t.Fatalf("401 without challenge: %v", a.header)
	}
	authCall(t, "GET", c.url+"/auth/verify", auth.BasicHeader("admin", "wrong-pass-1"), nil).want(t, 401, "invalid credentials")
	authCall(t, "GET", c.url+"/auth/verify", adminH, nil).want(t, 200, "true")
	a = authCall(t, "GET", c.url+"/tables", "", nil).want(t, 401, `"code":401`)
	if a.header.Get("WWW-Authenticate") == "" {
		t.Fatal("API 401 without challenge")
	}
	// The broker's admin is another record: its credentials do not open
	// the controller unless they match its own record.
	authCall(t, "GET", c.url+"/tables", auth.BasicHeader("nobody", "admin"), nil).want(t, 401)

	// Tables events and clicks.
	for _, n := range []string{"events", "clicks"} {
		authCall(t, "POST", c.url+"/schemas", adminH, doc(smallSchema, n)).want(t, 200)
		authCall(t, "POST", c.url+"/tables", adminH, doc(smallTable, n)).want(t, 200)
	}

	// Users in Pinot's shape.
	ann := `{"username":"ann","password":"ann-pw-1","component":"CONTROLLER","role":"USER","tables":["events"],"permissions":["READ"]}`
	authCall(t, "POST", c.url+"/users", adminH, []byte(ann)).want(t, 200, "User ann_CONTROLLER has been successfully added!")
	authCall(t, "POST", c.url+"/users", adminH, []byte(ann)).want(t, 409, "already exists")
	authCall(t, "POST", c.url+"/users", adminH, []byte(`{"username":"x","password":"p","component":"BROKER","role":"USER","permision":["READ"]}`)).
		want(t, 400, `unknown field \"permision\"`, `did you mean \"permissions\"`)
	bob := `{"username":"bob","password":"bob-pw","component":"CONTROLLER","role":"USER","tables":["events"],"permissions":["READ","UPDATE"]}`
	authCall(t, "POST", c.url+"/users", adminH, []byte(bob)).want(t, 200)

	var list struct {
		Users map[string]auth.UserConfig `json:"users"`
	}
	if err := json.Unmarshal(authCall(t, "GET", c.url+"/users", adminH, nil).want(t, 200).body, &list); err != nil {
		t.Fatal(err)
	}
	got := list.Users["ann_CONTROLLER"]
	if got.Username != "ann" || got.Role != "USER" || len(got.Tables) != 1 || !auth.IsHash(got.Password) || len(list.Users) != 4 {
		t.Fatalf("GET /users = %+v", list.Users)
	}
	authCall(t, "GET", c.url+"/users/ann?component=controller", adminH, nil).want(t, 200, `"ann_CONTROLLER":{"username":"ann"`)
	authCall(t, "GET", c.url+"/users/ann", adminH, nil).want(t, 400, "component is required")
	authCall(t, "GET", c.url+"/users/ann?component=MINION", adminH, nil).want(t, 400, `component \"MINION\"`)
	authCall(t, "GET", c.url+"/users/zed?component=BROKER", adminH, nil).want(t, 404, "zed_BROKER")

	// ann reads events only, writes nothing, manages no users.
	annH := auth.BasicHeader("ann", "ann-pw-1")
	authCall(t, "GET", c.url+"/tables/events", annH, nil).want(t, 200)
	authCall(t, "GET", c.url+"/tables/events_OFFLINE/idealstate", annH, nil).want(t, 200)
	authCall(t, "GET", c.url+"/tables/clicks", annH, nil).want(t, 403, `user 'ann' has no READ access to table 'clicks'`)
	authCall(t, "GET", c.url+"/segments/clicks", annH, nil).want(t, 403, `table 'clicks'`)
	authCall(t, "GET", c.url+"/schemas/clicks", annH, nil).want(t, 403, `table 'clicks'`)
	authCall(t, "DELETE", c.url+"/tables/events", annH, nil).want(t, 403, `no WRITE access to table 'events'`)
	authCall(t, "POST", c.url+"/schemas", annH, doc(smallSchema, "events2")).want(t, 403, `no WRITE access to table 'events2'`)
	authCall(t, "POST", c.url+"/v2/segments?tableName=clicks&tableType=OFFLINE", annH, []byte("x")).want(t, 403, `table 'clicks_OFFLINE'`)
	authCall(t, "POST", c.url+"/v2/segments", annH, []byte("x")).want(t, 403, "no WRITE access to every table")
	authCall(t, "GET", c.url+"/users", annH, nil).want(t, 403, "user 'ann' is not an ADMIN")
	authCall(t, "POST", c.url+"/tables/events/rebalance?dryRun=true", annH, nil).want(t, 403, "needs role ADMIN")
	authCall(t, "PUT", c.url+"/instances/Server_x_1/state?state=disable", annH, nil).want(t, 403, "ADMIN")
	authCall(t, "GET", c.url+"/segmentConsumed?name=x", annH, nil).want(t, 403, "cluster's own processes")
	authCall(t, "GET", c.url+"/instances", annH, nil).want(t, 200)
	authCall(t, "GET", c.url+"/auth/verify?tableName=events", annH, nil).want(t, 200, "true")
	authCall(t, "GET", c.url+"/auth/verify?tableName=events&accessType=UPDATE", annH, nil).want(t, 403, "WRITE")

	// bob may change events (UPDATE is WRITE): the body's table decides.
	bobH := auth.BasicHeader("bob", "bob-pw")
	authCall(t, "PUT", c.url+"/schemas/events", bobH, doc(smallSchema, "events")).want(t, 200)
	authCall(t, "PUT", c.url+"/tables/clicks", bobH, doc(smallTable, "clicks")).want(t, 403, "'clicks'")

	// The internal credential passes the completion routes' guard (the
	// handler then answers for the protocol: no leader here).
	if a := authCall(t, "GET", c.url+"/segmentConsumed?name=x", auth.InternalCredential(e.deps.AuthSecret), nil); a.status == 401 || a.status == 403 {
		t.Fatalf("internal credential refused: %d %s", a.status, a.body)
	}

	// Bearer tokens.
	var tok tokenResponse
	if err := json.Unmarshal(authCall(t, "POST", c.url+"/auth/token", annH, nil).want(t, 200).body, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Username != "ann" || tok.Component != "CONTROLLER" || tok.ExpiresAt <= time.Now().UnixMilli() || !strings.HasPrefix(tok.Token, "tn1.") {
		t.Fatalf("token answer %+v", tok)
	}
	bearer := "Bearer " + tok.Token
	authCall(t, "GET", c.url+"/tables/events", bearer, nil).want(t, 200)
	authCall(t, "GET", c.url+"/tables/clicks", bearer, nil).want(t, 403)
	authCall(t, "POST", c.url+"/auth/token", bearer, nil).want(t, 401, "needs Basic credentials")
	authCall(t, "POST", c.url+"/auth/token?component=BROKER", annH, nil).want(t, 401) // ann has no BROKER record
	var btok tokenResponse
	if err := json.Unmarshal(authCall(t, "POST", c.url+"/auth/token?component=BROKER", adminH, nil).want(t, 200).body, &btok); err != nil {
		t.Fatal(err)
	}
	authCall(t, "GET", c.url+"/tables", "Bearer "+btok.Token, nil).want(t, 401, "BROKER users")

	// A password change: the old password and tokens stop working.
	authCall(t, "PUT", c.url+"/users/ann?component=CONTROLLER&passwordChanged=true", adminH,
		[]byte(strings.Replace(ann, "ann-pw-1", "ann-pw-2", 1))).want(t, 200, "User config update for ann_CONTROLLER")
	authCall(t, "GET", c.url+"/tables/events", annH, nil).want(t, 401)
	authCall(t, "GET", c.url+"/tables/events", bearer, nil).want(t, 401)
	annH2 := auth.BasicHeader("ann", "ann-pw-2")
	authCall(t, "GET", c.url+"/tables/events", annH2, nil).want(t, 200)
	// An update without a password keeps it; one that widens the tables
	// takes effect at once.
	authCall(t, "PUT", c.url+"/users/ann?component=CONTROLLER", adminH,
		[]byte(`{"username":"ann","component":"CONTROLLER","role":"USER","tables":["events","clicks"],"permissions":["READ"]}`)).want(t, 200)
	authCall(t, "GET", c.url+"/tables/clicks", annH2, nil).want(t, 200)
	// GET-edit-PUT with the stored hash keeps the password too.
	var one map[string]auth.UserConfig
	json.Unmarshal(authCall(t, "GET", c.url+"/users/ann?component=CONTROLLER", adminH, nil).want(t, 200).body, &one)
	rec := one["ann_CONTROLLER"]
	rec.Tables = []string{"events"}
	authCall(t, "PUT", c.url+"/users/ann?component=CONTROLLER", adminH, jsonMarshal(t, rec)).want(t, 200)
	authCall(t, "GET", c.url+"/tables/clicks", annH2, nil).want(t, 403)
	authCall(t, "GET", c.url+"/tables/events", annH2, nil).want(t, 200)
	authCall(t, "PUT", c.url+"/users/ann?component=BROKER", adminH, []byte(ann)).want(t, 404, "does not exist")
	authCall(t, "PUT", c.url+"/users/bob?component=CONTROLLER", adminH, []byte(ann)).want(t, 400, "does not match")

	// The last controller admin stays.
	authCall(t, "DELETE", c.url+"/users/admin?component=CONTROLLER", adminH, nil).want(t, 409, "last CONTROLLER ADMIN")
	authCall(t, "PUT", c.url+"/users/admin?component=CONTROLLER", adminH,
		[]byte(`{"username":"admin","component":"CONTROLLER","role":"USER"}`)).want(t, 409, "last CONTROLLER ADMIN")
	authCall(t, "DELETE", c.url+"/users/admin?component=BROKER", adminH, nil).want(t, 200, "User: admin_BROKER has been successfully deleted")
	authCall(t, "DELETE", c.url+"/users/ann?component=CONTROLLER", adminH, nil).want(t, 200)
	authCall(t, "DELETE", c.url+"/users/ann?component=CONTROLLER", adminH, nil).want(t, 404, "does not exists")
	authCall(t, "GET", c.url+"/tables/events", annH2, nil).want(t, 401)

	// Secrets never reach the log: passwords of failed and successful
	// logins, and tokens.
	out := logs.String()
	if !strings.Contains(out, "user added") || !strings.Contains(out, "request refused") {
		t.Fatalf("log lacks the expected entries:\n%s", out)
	}
	for _, secret := range []string{"wrong-pass-1", "ann-pw-1", "ann-pw-2", "bob-pw", tok.Token, btok.Token,
		strings.TrimPrefix(annH, "Basic "), strings.TrimPrefix(adminH, "Basic "), rec.Password} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a secret %q", secret)
		}
	}
}

// TestEveryRouteHasARule: a route added to Handler() without a rule in
// access.go would be admin-only by accident.
func TestEveryRouteHasARule(t *testing.T) {
	src, err := readSource("api.go")
	if err != nil {
		t.Fatal(err)
	}
	src2, err := readSource("users.go")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(src+src2, "\n") {
		line = strings.TrimSpace(line)
		for _, pre := range []string{`h("`, `mux.Handle("`, `mux.HandleFunc("`} {
			if rest, ok := strings.CutPrefix(line, pre); ok {
				p, _, _ := strings.Cut(rest, `"`)
				patterns = append(patterns, p)
			}
		}
	}
	if len(patterns) < 60 {
		t.Fatalf("found only %d routes in api.go", len(patterns))
	}
	for _, p := range patterns {
		if _, ok := routeRules[p]; !ok {
			t.Errorf("route %q has no rule in access.go", p)
		}
	}
}

func readSource(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

// TestPathParam covers the guard's reading of path parameters.
func TestPathParam(t *testing.T) {
	for _, tc := range []struct{ pattern, path, name, want string }{
		{"GET /tables/{table}/schema", "/tables/events/schema", "table", "events"},
		{"DELETE /segments/{table}/{segment}", "/segments/a_OFFLINE/s1", "table", "a_OFFLINE"},
		{"GET /schemas/{name}", "/schemas/x", "name", "x"},
		{"GET /schemas/{name}", "/schemas/x", "table", ""},
	} {
		if got := pathParam(tc.pattern, tc.path, tc.name); got != tc.want {
			t.Errorf("pathParam(%q, %q, %q) = %q, want %q", tc.pattern, tc.path, tc.name, got, tc.want)
		}
	}
}

// TestBruteForceGuardOnController: repeated wrong passwords from one
// address end in 429 with Retry-After, and the right password still waits.
func TestBruteForceGuardOnController(t *testing.T) {
	e := authEnv(t, nil)
	cfg := testConfig()
	cfg.AuthGuard = auth.GuardConfig{FreeFailures: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, LockAfter: 6, LockFor: time.Minute}
	c := e.start(cfg)
	var last reply
	for range 10 {
		last = authCall(t, "GET", c.url+"/auth/verify", auth.BasicHeader("admin", "guess"), nil)
		if last.status == 429 {
			break
		}
		if last.status != 401 {
			t.Fatalf("wrong password: %d", last.status)
		}
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Fatalf("after 10 failures: %d, Retry-After %q", last.status, last.header.Get("Retry-After"))
	}
	authCall(t, "GET", c.url+"/tables", auth.BasicHeader("admin", "admin"), nil).want(t, 429, "too many failed")
	// Open routes stay open.
	authCall(t, "GET", c.url+"/health", "", nil).want(t, 200)
}
