// Package s3test runs a real S3-API server as a separate process on
// 127.0.0.1 for tests: s3rver (a Node implementation of the S3 REST
// protocol), installed on first use by scripts/install-s3server.sh into
// .cache/tools and started through scripts/s3server-run.js.
//
//	srv := s3test.Start(t)
//	store, err := s3.New(ctx, s3.Config{Bucket: srv.Bucket, Endpoint: srv.Endpoint,
//		PathStyle: true, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ...})
//
// Each Start gets its own server, data directory and empty bucket, and
// t.Cleanup stops the server. The server exits on its own when its stdin
// closes, so a test binary that dies leaves nothing running.
//
// s3rver checks that a request's access key id exists but does not verify
// SigV4 signatures, so a wrong secret with the right key id is accepted;
// tests of bad credentials use an unknown key id.
package s3test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/internal/syncbuf"
)

// Credentials s3rver accepts: its built-in account.
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// Server is a running s3rver.
type Server struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT; use path-style
	// addressing.
	Endpoint string
	// Bucket exists and is empty at Start.
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	// Dir holds the server's objects.
	Dir string
}

// URI is the -deep-store URI of the bucket under prefix (may be empty).
// Credentials come from the environment: see SetEnv.
func (s *Server) URI(prefix string) string {
	return fmt.Sprintf("s3://%s/%s?region=%s&endpoint=%s&pathStyle=true", s.Bucket, prefix, s.Region, s.Endpoint)
}

// Env is the environment that points the AWS SDK's default credential
// chain at the server, for child processes (tannin nodes given URI as
// -deep-store). It turns off the EC2 metadata lookup, which would
// otherwise send requests off this machine.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + s.Region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// SetEnv sets Env in this process for the rest of t.
func (s *Server) SetEnv(t testing.TB) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// DefaultBucket is the bucket Start creates.
const DefaultBucket = "tannin-test"

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// Install runs scripts/install-s3server.sh once per process and returns
// the s3rver package directory and the launcher script.
func Install() (module, launcher string, err error) {
	installOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			installErr = err
			return
		}
		script := filepath.Join(root, "scripts", "install-s3server.sh")
		var stderr bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			installErr = fmt.Errorf("s3test: %s: %w\n%s", script, err, stderr.String())
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		installDir = strings.TrimSpace(lines[len(lines)-1])
	})
	if installErr != nil {
		return "", "", installErr
	}
	root, err := repoRoot()
	if err != nil {
		return "", "", err
	}
	return filepath.Join(installDir, "node_modules", "s3rver"), filepath.Join(root, "scripts", "s3server-run.js"), nil
}

// repoRoot walks up from the working directory (a package directory under
// go test) to the directory holding scripts/install-s3server.sh.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "scripts", "install-s3server.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("s3test: no scripts/install-s3server.sh above %s", dir)
		}
	}
}

// Start installs s3rver if needed, starts it on a free 127.0.0.1 port
// with DefaultBucket, waits until it answers and stops it in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	module, launcher, err := Install()
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("s3test: node is not installed (apt-get install nodejs)")
	}
	srv := &Server{Bucket: DefaultBucket, Region: "us-east-1", AccessKey: AccessKey, SecretKey: SecretKey, Dir: t.TempDir()}

	cmd := exec.Command(node, launcher, "--module", module, "--dir", srv.Dir,
		"--address", "127.0.0.1", "--port", "0", "--bucket", srv.Bucket)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("s3test: start %s: %v", launcher, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close() // the launcher closes the server and exits
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	// The launcher prints the bound address once it listens.
	type addr struct {
		Address string `json:"address"`
		Port    int    `json:"port"`
	}
	ready := make(chan addr, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		var a addr
		if err == nil && json.Unmarshal([]byte(line), &a) == nil {
			ready <- a
		}
		close(ready)
		io.Copy(io.Discard, stdout)
	}()
	var a addr
	select {
	case got, ok := <-ready:
		if !ok {
			<-exited
			t.Fatalf("s3test: s3rver exited before listening: %s", stderr.String())
		}
		a = got
	case <-time.After(30 * time.Second):
		t.Fatalf("s3test: s3rver did not listen within 30s: %s", stderr.String())
	}
	srv.Endpoint = "http://" + net.JoinHostPort(a.Address, strconv.Itoa(a.Port))

	// Readiness: the bucket lists (an unsigned request, which s3rver
	// serves). Spoken over a bare connection: engine packages, this
	// harness included, keep net/http out of their imports (layering).
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := probe(net.JoinHostPort(a.Address, strconv.Itoa(a.Port)), srv.Bucket)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("s3test: bucket %s at %s not ready in 15s: %v; server stderr: %s", srv.Bucket, srv.Endpoint, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return srv
}

// probe sends GET /bucket?list-type=2 and wants a 200.
func probe(hostport, bucket string) error {
	conn, err := net.DialTimeout("tcp", hostport, 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET /%s?list-type=2 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", bucket, hostport); err != nil {
		return err
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if f := strings.Fields(status); len(f) < 2 || f[1] != "200" {
		return fmt.Errorf("answer %q", strings.TrimSpace(status))
	}
	return nil
}
