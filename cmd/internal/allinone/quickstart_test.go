package allinone

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/internal/cli"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
)

// TestQuickstartRestart runs the quickstart twice on one data directory:
// the first run creates and loads the demo table through the controller,
// the second finds every table and row again without loading anything.
func TestQuickstartRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole cluster twice")
	}
	dir := t.TempDir()
	// Fixed ports for both runs: the server's instance name carries its
	// port, and its segments are assigned to that name.
	args := []string{"--dir", dir, "--rows", "30000", "--exit-after-demo"}
	for _, f := range []string{"controller-port", "broker-port", "server-admin-port", "server-grpc-port", "etcd-port", "etcd-peer-port", "flight-port"} {
		args = append(args, "--"+f, strconv.Itoa(clustertest.FreePort(t)))
	}
	run := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var out, errOut bytes.Buffer
		env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Version: "test"}
		if err := runQuickstart(ctx, env, args); err != nil {
			t.Fatalf("quickstart: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		}
		return out.String()
	}
	first := run()
	for _, want := range []string{"uploaded", "Tannin is running", "log in as admin/admin", "curl -s -X POST -u admin:admin", "tannin> SELECT COUNT(*)", "shutting down"} {
		if !strings.Contains(first, want) {
			t.Fatalf("first run's output lacks %q:\n%s", want, first)
		}
	}
	count := regexp.MustCompile(`(?m)^\s*(\d+)\s+\S+\s+\S+\s*$`)
	m := count.FindStringSubmatch(first[strings.Index(first, "tannin> SELECT COUNT(*)"):])
	if m == nil || m[1] != "30000" {
		t.Fatalf("first run's COUNT(*) row not 30000:\n%s", first)
	}
	// The streaming demo: the count grows query by query.
	firstStream := streamCounts(t, first)
	if len(firstStream) != 3 || firstStream[2] <= firstStream[0] || firstStream[2] == 0 {
		t.Fatalf("streaming counts %v do not grow:\n%s", firstStream, first)
	}
	second := run()
	// After the restart the consumer re-reads the stream from its
	// consuming segment's start (the first query may come before it has
	// caught up), then goes past where the first run stopped. Exact
	// counts across a restart are the end-to-end test's job.
	secondStream := streamCounts(t, second)
	if len(secondStream) != 3 || secondStream[2] <= firstStream[2] || secondStream[2] <= secondStream[0] {
		t.Fatalf("streaming counts after the restart %v (first run ended at %d):\n%s", secondStream, firstStream[2], second)
	}
	if !strings.Contains(second, "exists with") || strings.Contains(second, "uploaded") {
		t.Fatalf("second run reloaded instead of reusing the data:\n%s", second)
	}
	m = count.FindStringSubmatch(second[strings.Index(second, "tannin> SELECT COUNT(*)"):])
	if m == nil || m[1] != "30000" {
		t.Fatalf("second run's COUNT(*) row not 30000:\n%s", second)
	}
}

// streamCounts returns the event counts the streaming demo's queries
// printed, in order.
func streamCounts(t *testing.T, out string) []int {
	t.Helper()
	re := regexp.MustCompile(`(?m)^tannin> SELECT COUNT\(\*\) AS events.*\n.*\n.*\n\s*(\d+)\s`)
	var counts []int
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
	}
	return counts
}

// TestQuickstartKinesis runs the streaming demo through a Kinesis-API
// stream (kinesalite): the quickstart creates the stream, produces into
// it, and the realtime table consumes it with Pinot's Kinesis keys.
func TestQuickstartKinesis(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole cluster and kinesalite")
	}
	kin := kinesistest.Start(t)
	args := []string{"--dir", t.TempDir(), "--rows", "1000", "--exit-after-demo", "--kinesis-endpoint", kin.Endpoint}
	for _, f := range []string{"controller-port", "broker-port", "server-admin-port", "server-grpc-port", "etcd-port", "etcd-peer-port"} {
		args = append(args, "--"+f, "0")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Version: "test"}
	if err := runQuickstart(ctx, env, args); err != nil {
		t.Fatalf("quickstart: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "into Kinesis stream webEvents at "+kin.Endpoint) {
		t.Fatalf("output does not name the Kinesis stream:\n%s", out.String())
	}
	counts := streamCounts(t, out.String())
	if len(counts) != 3 || counts[2] == 0 || counts[2] <= counts[0] {
		t.Fatalf("streaming counts %v do not grow:\n%s\nstderr:\n%s", counts, out.String(), errOut.String())
	}
	shards, err := kin.Shards(ctx, "webEvents")
	if err != nil || len(shards) != demoPartitions {
		t.Fatalf("kinesis stream: %d shards, %v", len(shards), err)
	}
}
