package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/allinone"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/controller"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/internal/cli"
	"github.com/tannin-db/tannin/internal/syncbuf"
)

// Bounded waits.
const (
	installTimeout = 10 * time.Minute // apt-get install chromium on a fresh machine
	clusterTimeout = 3 * time.Minute
	browserTimeout = 6 * time.Minute
	stopTimeout    = 30 * time.Second
)

// TestConsoleInBrowser runs the quickstart cluster in this process (etcd,
// controller, broker, server, the demo tables and stream) and drives the
// console in headless Chromium with testdata/console.spec.mjs: login, the
// overview's counts against the REST API, queries whose rows must equal
// the broker's, the table page (segments, schema, a refused config edit, a
// rebalance dry run), the ingestion view, and the same at phone size; then,
// unless the quickstart asks for login itself, all of it again through a
// second controller with authentication on (login, logout, expired
// credentials). Screenshots go to .cache/artifacts/console/.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole cluster and Chromium")
	}
	root := repoRoot(t)
	install(t, root)
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	qs := startQuickstart(t)
	artifacts := filepath.Join(root, ".cache", "artifacts", "console")
	if err := os.RemoveAll(artifacts); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", artifacts)
	runSpec(t, nodeBin, root, qs.controller, qs.broker, artifacts)

	// The login page, logout and expired credentials need a controller
	// that asks for them: when the quickstart's does not, a second
	// controller of the same cluster with authentication on (users file:
	// admin/admin) serves the same console.
	if workflow(t, qs.controller) == "BASIC" {
		return
	}
	authed := startAuthController(t, qs)
	basic := filepath.Join(artifacts, "basic-auth")
	t.Logf("again with BASIC login through %s; screenshots: %s", authed, basic)
	runSpec(t, nodeBin, root, authed, qs.broker, basic)
}

// runSpec runs testdata/console.spec.mjs against a controller; its output
// goes to the test's log, and a failed check fails the test.
func runSpec(t *testing.T, nodeBin, root, controller, broker, artifacts string) {
	t.Helper()
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("testdata", "console.spec.mjs"))
	cmd.Env = append(os.Environ(),
		"CONTROLLER_URL="+controller,
		"BROKER_URL="+broker,
		"PLAYWRIGHT_DIR="+filepath.Join(root, ".cache", "tools", "playwright"),
		"ARTIFACTS_DIR="+artifacts,
		"CHROMIUM=/usr/bin/chromium",
		"CONSOLE_USER=admin", "CONSOLE_PASSWORD=admin",
	)
	// Chromium is a child of node: a timeout kills the whole group.
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var failures []string
	passed := false
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		switch {
		case strings.HasPrefix(line, "FAIL:"):
			failures = append(failures, line)
		case strings.HasPrefix(line, "PASS:"):
			passed = true
		}
	}
	err = cmd.Wait()
	t.Logf("browser run took %v", time.Since(start).Round(time.Millisecond))
	if err != nil || !passed || len(failures) > 0 {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			failures = append(failures, fmt.Sprintf("the browser run did not finish within %v", browserTimeout))
		}
		t.Fatalf("console browser test failed (%v):\n%s\nstderr:\n%s", err, strings.Join(failures, "\n"), stderr.String())
	}
}

// workflow is what GET /auth/info says ("NONE" when it is absent).
func workflow(t *testing.T, controller string) string {
	t.Helper()
	resp, err := http.Get(controller + "/auth/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Workflow string `json:"workflow"`
	}
	if resp.StatusCode == http.StatusNotFound {
		return "NONE"
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /auth/info: %d, %v", resp.StatusCode, err)
	}
	return strings.ToUpper(info.Workflow)
}

// startAuthController runs a second controller of the quickstart's
// cluster, with authentication on and user admin/admin, until the test
// ends, and returns its URL.
func startAuthController(t *testing.T, qs *quickstart) string {
	t.Helper()
	users := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(users, []byte(`[{"username":"admin","password":"admin","component":"CONTROLLER","role":"ADMIN"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	nc := node.DefaultConfig()
	nc.EtcdEndpoints = []string{qs.etcd}
	nc.Host = "127.0.0.1"
	nc.DeepStore = "file://" + filepath.Join(qs.dir, "deepstore")
	nc.AuthEnabled, nc.AuthUsersFile = true, users
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	deps, err := node.Connect(ctx, nc, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cfg := controller.DefaultConfig()
	cfg.Port = 0
	c, err := controller.New(cfg, nc, deps)
	if err != nil {
		cancel()
		deps.Etcd.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("second controller: %v", err)
			}
		case <-time.After(stopTimeout):
			t.Errorf("second controller did not stop within %v", stopTimeout)
		}
		deps.Etcd.Close()
	})
	wctx, wcancel := context.WithTimeout(ctx, clusterTimeout)
	defer wcancel()
	if _, err := deps.Cache.WaitFor(wctx, func(s *cluster.Snapshot) bool { return s.IsLive(c.Name()) }); err != nil {
		t.Fatalf("second controller did not register: %v", err)
	}
	return "http://" + c.HTTPAddr()
}

// repoRoot is the repository's root, from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the test's source file")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "scripts", "install-browser.sh")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// install runs scripts/install-browser.sh (chromium, playwright-core).
func install(t *testing.T, root string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "install-browser.sh")).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/install-browser.sh: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// quickstart is a running `tannin quickstart`.
type quickstart struct {
	controller, broker, etcd string // URLs
	dir                      string // its data directory
}

// startQuickstart runs `tannin quickstart` in this process on free ports
// with a small demo table and a slow stream, until the test ends, and
// returns once the cluster serves.
func startQuickstart(t *testing.T) *quickstart {
	t.Helper()
	ports := map[string]int{}
	dir := t.TempDir()
	args := []string{"--dir", dir, "--rows", "30000", "--stream-rate", "100"}
	for _, f := range []string{"controller-port", "broker-port", "server-admin-port", "server-grpc-port", "etcd-port", "etcd-peer-port"} {
		ports[f] = clustertest.FreePort(t)
		args = append(args, "--"+f, strconv.Itoa(ports[f]))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncbuf.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Version: "test"}
	done := make(chan error, 1)
	go func() { done <- allinone.QuickstartCommand().Run(ctx, env, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quickstart: %v", err)
			}
		case <-time.After(stopTimeout):
			t.Errorf("quickstart did not stop within %v", stopTimeout)
		}
	})
	deadline := time.After(clusterTimeout)
	for !strings.Contains(out.String(), "serving; press Ctrl-C to stop") {
		select {
		case err := <-done:
			t.Fatalf("quickstart ended before serving: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		case <-deadline:
			t.Fatalf("quickstart did not serve within %v\nstdout:\n%s\nstderr:\n%s", clusterTimeout, out.String(), errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	url := func(port string) string { return fmt.Sprintf("http://127.0.0.1:%d", ports[port]) }
	return &quickstart{controller: url("controller-port"), broker: url("broker-port"), etcd: url("etcd-port"), dir: dir}
}
