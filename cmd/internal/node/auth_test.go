package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
)

func TestAuthFlagsValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "users.json")
	os.WriteFile(good, []byte(`[{"username":"admin","password":"admin","component":"CONTROLLER","role":"ADMIN"}]`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"username":"admin","password":"admin","component":"CONTROLLER","role":"ROOT"}]`), 0o600)
	for _, tc := range []struct {
		enabled bool
		file    string
		want    string
	}{
		{true, good, ""},
		{true, "", ""},
		{false, good, "-auth-users-file: needs -auth-enabled"},
		{true, bad, `role "ROOT"`},
		{true, filepath.Join(dir, "missing.json"), "no such file"},
	} {
		c := DefaultConfig()
		c.AuthEnabled, c.AuthUsersFile = tc.enabled, tc.file
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("enabled %v file %q: %v, want %q", tc.enabled, tc.file, err, tc.want)
		}
	}
}

// TestConnectWithAuth: a role connecting with authentication on gets the
// cluster secret and creates the users file's users, hashed.
func TestConnectWithAuth(t *testing.T) {
	_, endpoint := clustertest.Etcd(t)
	file := filepath.Join(t.TempDir(), "users.json")
	os.WriteFile(file, []byte(`[{"username":"admin","password":"s3cret-pw","component":"BROKER","role":"ADMIN"}]`), 0o600)
	c := DefaultConfig()
	c.EtcdEndpoints, c.ClusterName, c.DeepStore = []string{endpoint}, "test", "file://"+t.TempDir()
	c.AuthEnabled, c.AuthUsersFile = true, file
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	deps, err := Connect(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer deps.Etcd.Close()
	if len(deps.AuthSecret) != 32 {
		t.Fatalf("secret of %d bytes", len(deps.AuthSecret))
	}
	snap, err := deps.Cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := snap.UserConfigs["admin_BROKER"]
	if cfg == nil || !auth.IsHash(cfg.Password) {
		t.Fatal("users file not bootstrapped, or not hashed")
	}
	a, err := deps.Authenticator(auth.Broker)
	if err != nil || a == nil {
		t.Fatalf("Authenticator: %v", err)
	}
	if u, err := a.Authenticate(auth.BasicHeader("admin", "s3cret-pw")); err != nil || !u.IsAdmin() {
		t.Fatalf("bootstrapped admin: %v", err)
	}
	// Off: no secret, no authenticator.
	c.AuthEnabled, c.AuthUsersFile = false, ""
	off, err := Connect(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer off.Etcd.Close()
	if a, err := off.Authenticator(auth.Broker); a != nil || err != nil || off.AuthSecret != nil {
		t.Fatal("authentication on without -auth-enabled")
	}
}
