package broker

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	arrowflightsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/startreedata/pinot-client-go/pinot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/controller"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/deepstore/localfs"
)

// authCluster is the test cluster with authentication on and three
// broker users: admin, reader (READ on events) and other (READ on clicks
// only).
func authCluster(t testing.TB) (*testCluster, *node.Deps) {
	t.Helper()
	var deps *node.Deps
	tc := newTestClusterWith(t, DefaultConfig(), func(d *node.Deps) {
		ctx := context.Background()
		secret, err := d.Store.AuthSecret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.AuthSecret = secret
		var users []*auth.UserConfig
		for _, u := range []auth.UserConfig{
			{Username: "admin", Password: "admin", Component: "BROKER", Role: "ADMIN"},
			{Username: "admin", Password: "admin", Component: "CONTROLLER", Role: "ADMIN"},
			{Username: "reader", Password: "reader-pw", Component: "BROKER", Role: "USER", Tables: []string{"events"}, Permissions: []string{"READ"}},
			{Username: "other", Password: "other-pw", Component: "BROKER", Role: "USER", Tables: []string{"clicks"}, Permissions: []string{"READ"}},
		} {
			if err := u.HashConfig(false); err != nil {
				t.Fatal(err)
			}
			users = append(users, &u)
		}
		if _, err := d.Store.EnsureUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Cache.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		deps = d
	})
	return tc, deps
}

type httpAnswer struct {
	status int
	header http.Header
	resp   brokerResponse
	raw    string
}

func postSQL(t *testing.T, url, authz, sql string) httpAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": sql})
	req, _ := http.NewRequest("POST", url+"/query/sql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := httpAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.resp); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return a
}

func TestBrokerAuth(t *testing.T) {
	tc, _ := authCluster(t)
	const q = "SELECT COUNT(*) FROM events"

	// No credentials, wrong credentials: 401 with the challenge.
	for _, h := range []string{"", auth.BasicHeader("reader", "nope"), "Bearer tn1.garbage"} {
		a := postSQL(t, tc.url, h, q)
		if a.status != 401 || a.header.Get("WWW-Authenticate") != `Basic realm="Tannin"` ||
			len(a.resp.Exceptions) != 1 || a.resp.Exceptions[0].ErrorCode != 180 {
			t.Fatalf("%q: %d %v %s", h, a.status, a.header, a.raw)
		}
		if strings.Contains(a.raw, "nope") {
			t.Fatal("the answer repeats the password")
		}
	}
	// /health and /metrics stay open.
	for _, p := range []string{"/health", "/metrics"} {
		resp, err := http.Get(tc.url + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s without credentials: %v %v", p, resp.StatusCode, err)
		}
		resp.Body.Close()
	}

	// reader reads events.
	a := postSQL(t, tc.url, auth.BasicHeader("reader", "reader-pw"), q)
	if a.status != 200 || len(a.resp.Exceptions) != 0 || a.resp.ResultTable.Rows[0][0].(float64) != numSegments*rowsPerSeg {
		t.Fatalf("reader: %d %s", a.status, a.raw)
	}
	// Through GET /query/sql too.
	req, _ := http.NewRequest("GET", tc.url+"/query/sql?sql=SELECT+COUNT(*)+FROM+events", nil)
	req.Header.Set("Authorization", auth.BasicHeader("reader", "reader-pw"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /query/sql: %v", err)
	} else {
		resp.Body.Close()
	}

	// other may not read events: 403 with Pinot's ACCESS_DENIED, refused
	// before planning (no server was asked).
	calls := tc.calls()
	a = postSQL(t, tc.url, auth.BasicHeader("other", "other-pw"), "SELECT campaign, COUNT(*) FROM events GROUP BY campaign")
	if a.status != 403 || a.header.Get("X-Pinot-Error-Code") != "180" || len(a.resp.Exceptions) != 1 ||
		a.resp.Exceptions[0].ErrorCode != 180 || a.resp.ResultTable != nil {
		t.Fatalf("other on events: %d %s", a.status, a.raw)
	}
	if msg := a.resp.Exceptions[0].Message; !strings.Contains(msg, "user 'other' has no READ access to table 'events_OFFLINE'") || strings.Contains(msg, "other-pw") {
		t.Fatalf("denial message %q", msg)
	}
	if tc.calls() != calls {
		t.Fatal("a refused query reached the servers")
	}
	// A table that does not exist is reported as such, to anyone.
	a = postSQL(t, tc.url, auth.BasicHeader("other", "other-pw"), "SELECT COUNT(*) FROM clicks")
	if a.status != 200 || len(a.resp.Exceptions) != 1 || a.resp.Exceptions[0].ErrorCode != 190 {
		t.Fatalf("missing table: %d %s", a.status, a.raw)
	}

	// pinot-client-go with Basic credentials in its extra headers.
	conn, err := pinot.NewWithConfig(&pinot.ClientConfig{BrokerList: []string{tc.broker.HTTPAddr()},
		ExtraHTTPHeader: map[string]string{"Authorization": auth.BasicHeader("admin", "admin")}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := conn.ExecuteSQL("events", q)
	if err != nil || len(res.Exceptions) != 0 || res.ResultTable.GetLong(0, 0) != numSegments*rowsPerSeg {
		t.Fatalf("pinot-client-go: %v %+v", err, res)
	}
}

// TestBrokerAcceptsControllerToken: a bearer token the controller issues
// (POST /auth/token?component=BROKER) works on the broker, and stops
// working when the user's password changes.
func TestBrokerAcceptsControllerToken(t *testing.T) {
	tc, deps := authCluster(t)
	ds, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cdeps := *deps
	cdeps.DeepStore = ds
	ccfg := controller.DefaultConfig()
	ccfg.Port, ccfg.ShutdownTimeout = 0, time.Second
	ctl, err := controller.New(ccfg, node.Config{Host: "127.0.0.1", ClusterName: "test"}, &cdeps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("controller did not stop")
		}
	})
	curl := "http://" + ctl.HTTPAddr()

	req, _ := http.NewRequest("POST", curl+"/auth/token?component=BROKER", nil)
	req.Header.Set("Authorization", auth.BasicHeader("reader", "reader-pw"))
	// reader has no CONTROLLER record: the controller refuses it.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("token for a user without a controller record: %d", resp.StatusCode)
	}
	req.Header.Set("Authorization", auth.BasicHeader("admin", "admin"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt int64  `json:"expiresAt"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tok.Token == "" || tok.ExpiresAt < time.Now().UnixMilli() {
		t.Fatalf("POST /auth/token: %d %v %+v", resp.StatusCode, err, tok)
	}
	a := postSQL(t, tc.url, "Bearer "+tok.Token, "SELECT COUNT(*) FROM events")
	if a.status != 200 || len(a.resp.Exceptions) != 0 {
		t.Fatalf("broker with the controller's token: %d %s", a.status, a.raw)
	}
	// Change the broker admin's password through the controller: the token
	// is revoked on the broker.
	body := []byte(`{"username":"admin","password":"changed","component":"BROKER","role":"ADMIN"}`)
	req, _ = http.NewRequest("PUT", curl+"/users/admin?component=BROKER&passwordChanged=true", bytes.NewReader(body))
	req.Header.Set("Authorization", auth.BasicHeader("admin", "admin"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("password change: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a = postSQL(t, tc.url, "Bearer "+tok.Token, "SELECT COUNT(*) FROM events")
		if a.status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted after the password change: %d", a.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a := postSQL(t, tc.url, auth.BasicHeader("admin", "changed"), "SELECT COUNT(*) FROM events"); a.status != 200 {
		t.Fatalf("new password: %d %s", a.status, a.raw)
	}
}

// BenchmarkAuthCachedBasic is the broker's cost of authentication per
// query for a client sending Basic credentials on every request, measured
// around the HTTP layer: the same query with and without credentials
// checking.
func BenchmarkAuthCachedBasic(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "auth=off"
		if on {
			name = "auth=on"
		}
		b.Run(name, func(b *testing.B) {
			var tc *testCluster
			h := ""
			if on {
				tc, _ = authCluster(b)
				h = auth.BasicHeader("admin", "admin")
			} else {
				tc = newTestCluster(b, DefaultConfig())
			}
			body, _ := json.Marshal(map[string]string{"sql": "SELECT COUNT(*) FROM events WHERE userID = 3"})
			hc := &http.Client{Timeout: 10 * time.Second}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req, _ := http.NewRequest("POST", tc.url+"/query/sql", bytes.NewReader(body))
				if h != "" {
					req.Header.Set("Authorization", h)
				}
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.StatusCode)
				}
			}
		})
	}
}

// TestFlightSQLWithAuth: the ADBC Flight SQL driver logs in with Basic
// credentials checked by the cluster's real users, gets a bearer token
// back, and is held to the same table permissions as the REST API.
func TestFlightSQLWithAuth(t *testing.T) {
	tc, _ := authCluster(t)
	ctx := context.Background()
	open := func(user, pw string) *sql.DB {
		db, err := sql.Open("flightsql", "uri=grpc+tcp://"+tc.broker.FlightAddr()+";username="+user+";password="+pw)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	var n int64
	if err := open("reader", "reader-pw").QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&n); err != nil || n != numSegments*rowsPerSeg {
		t.Fatalf("reader over Flight SQL: %d, %v", n, err)
	}
	err := open("other", "other-pw").QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), "PermissionDenied") || !strings.Contains(err.Error(), `table "events"`) ||
		strings.Contains(err.Error(), "other-pw") {
		t.Fatalf("other over Flight SQL: %v", err)
	}
	if err := open("reader", "nope").PingContext(ctx); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Fatalf("wrong password over Flight SQL: %v", err)
	}

	// A ticket is no credential: reader's ticket redeemed by other is
	// refused when it runs, naming the table.
	cl, err := arrowflightsql.NewClient(tc.broker.FlightAddr(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	readerCtx, err := cl.Client.AuthenticateBasicToken(ctx, "reader", "reader-pw")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Execute(readerCtx, "SELECT COUNT(*) FROM events")
	if err != nil {
		t.Fatal(err)
	}
	otherCtx, err := cl.Client.AuthenticateBasicToken(ctx, "other", "other-pw")
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(otherCtx, info.Endpoint[0].Ticket)
	if err == nil {
		for rdr.Next() {
		}
		err = rdr.Err()
		rdr.Release()
	}
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "events_OFFLINE") {
		t.Fatalf("other redeeming reader's ticket: %v", err)
	}
}
