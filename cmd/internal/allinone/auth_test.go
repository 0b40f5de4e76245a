package allinone

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/internal/syncbuf"
)

// TestAllInOneAuth: the all-in-one cluster starts with authentication on
// and admin/admin; the controller and the broker refuse requests without
// credentials, accept admin/admin and a token, and the log of failed and
// successful logins holds no password and no token.
func TestAllInOneAuth(t *testing.T) {
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.EtcdPort, cfg.EtcdPeerPort, cfg.ControllerPort, cfg.BrokerPort, cfg.ServerAdminPort, cfg.ServerQueryPort = 0, 0, 0, 0, 0, 0
	cfg.FlightPort = -1
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	if !cfg.Auth || c.Authorization == "" {
		t.Fatal("the all-in-one default has authentication off")
	}
	// The process's own client (the cluster-internal credential) creates
	// the demo table.
	rc := restclient.New(c.ControllerURL, c.BrokerURL)
	rc.Authorization = c.Authorization
	if err := rc.AddSchema(ctx, deploy.QuickstartSchema); err != nil {
		t.Fatal(err)
	}
	if err := rc.AddTable(ctx, deploy.QuickstartTableConfig); err != nil {
		t.Fatal(err)
	}

	do := func(method, url, authz, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	admin := auth.BasicHeader(AdminUser, AdminPassword)
	wrong := auth.BasicHeader(AdminUser, "not-the-password-42")
	q := `{"sql":"SELECT COUNT(*) FROM webTransactions"}`
	if st, body := do("GET", c.ControllerURL+"/auth/info", "", ""); st != 200 || !strings.Contains(body, "BASIC") {
		t.Fatalf("/auth/info: %d %s", st, body)
	}
	for _, tc := range []struct {
		method, url, authz, body string
		want                     int
	}{
		{"GET", c.ControllerURL + "/tables", "", "", 401},
		{"GET", c.ControllerURL + "/tables", wrong, "", 401},
		{"GET", c.ControllerURL + "/tables", admin, "", 200},
		{"GET", c.ControllerURL + "/auth/verify", admin, "", 200},
		{"POST", c.BrokerURL + "/query/sql", "", q, 401},
		{"POST", c.BrokerURL + "/query/sql", wrong, q, 401},
		{"POST", c.BrokerURL + "/query/sql", admin, q, 200},
		{"GET", c.BrokerURL + "/health", "", "", 200},
		{"GET", c.ControllerURL + "/health", "", "", 200},
	} {
		if st, body := do(tc.method, tc.url, tc.authz, tc.body); st != tc.want {
			t.Errorf("%s %s (%q): %d, want %d: %s", tc.method, tc.url, tc.authz, st, tc.want, body)
		}
	}
	st, body := do("POST", c.ControllerURL+"/auth/token?component=BROKER", admin, "")
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); st != 200 || err != nil || tok.Token == "" {
		t.Fatalf("/auth/token: %d %s", st, body)
	}
	if st, body := do("POST", c.BrokerURL+"/query/sql", "Bearer "+tok.Token, q); st != 200 || strings.Contains(body, "errorCode") {
		t.Fatalf("broker with a token: %d %s", st, body)
	}
	out := logs.String()
	if !strings.Contains(out, "request not authenticated") {
		t.Fatalf("the debug log lacks the failed logins:\n%s", out)
	}
	for _, secret := range []string{"not-the-password-42", tok.Token, strings.TrimPrefix(admin, "Basic "),
		strings.TrimPrefix(wrong, "Basic "), strings.TrimPrefix(c.Authorization, "Bearer ")} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a secret: %q", secret)
		}
	}
}
