// Package kinesistest runs a real Kinesis-API server, kinesalite, for tests.
//
// Start installs kinesalite when needed (scripts/install-kinesalite.sh,
// idempotent and safe to run from concurrent test processes), starts it
// through scripts/kinesalite-server.js bound to 127.0.0.1 on a port the
// kernel picks, and stops it in t.Cleanup:
//
//	srv := kinesistest.Start(t)
//	if err := srv.CreateStream(ctx, "events", 4); err != nil { t.Fatal(err) }
//	cfg := kinesis.DefaultConfig()
//	cfg.StreamName, cfg.Region, cfg.Endpoint = "events", srv.Region, srv.Endpoint
//	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
//
// The helpers (CreateStream, Split, Merge, Put, ...) wait for the stream to
// be ACTIVE again with bounded loops, so a test never proceeds while
// kinesalite is still applying a change. The package does not import
// stream/kinesis, so that package's own tests can use it.
//
// kinesalite differs from Kinesis in ways tests must know: it enforces no
// throughput limits, its ListShards ignores MaxResults (one page), its
// GetRecords on a closed parent shard returns no ChildShards (lineage comes
// from ListShards), its iterators expire after 300 s, and its
// GetShardIterator AT_TIMESTAMP never answers while no record has arrived at
// or after the time (the provider bounds that call).
package kinesistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tannin-db/tannin/internal/syncbuf"
)

// Credentials and region the server accepts (kinesalite checks that a
// request is signed, not by whom).
const (
	Region    = "us-east-1"
	AccessKey = "tannin-test"
	SecretKey = "tannin-test-secret"
)

// Bounded waits.
const (
	installTimeout = 5 * time.Minute
	startTimeout   = 30 * time.Second
	activeTimeout  = 20 * time.Second
	stopTimeout    = 5 * time.Second
)

// Server is a running kinesalite.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Region, AccessKey and SecretKey are what clients should use.
	Region, AccessKey, SecretKey string

	client *kinesis.Client
	cmd    *exec.Cmd
}

var installOnce struct {
	sync.Once
	err error
}

// RepoRoot is the repository's root directory, found from this source
// file's location (tests run from the source tree).
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("kinesistest: cannot find the source file's location")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "scripts", "install-kinesalite.sh")); err != nil {
		return "", fmt.Errorf("kinesistest: repository root %s: %w", root, err)
	}
	return root, nil
}

// Install runs scripts/install-kinesalite.sh once per test process.
func Install() error {
	installOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			installOnce.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "install-kinesalite.sh"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			installOnce.err = fmt.Errorf("kinesistest: scripts/install-kinesalite.sh: %w\n%s", err, out)
		}
	})
	return installOnce.err
}

// Start installs kinesalite if needed, starts it on a free port of
// 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if err := Install(); err != nil {
		t.Fatal(err)
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("kinesistest: node is not installed: %v", err)
	}
	cmd := exec.Command(node, filepath.Join(root, "scripts", "kinesalite-server.js"),
		"--port", "0", "--exit-on-stdin-close")
	// The pipe's write end stays open in this process for the server's
	// life; if the test process dies, it closes and the server exits.
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
		t.Fatalf("kinesistest: start kinesalite: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = stdin.Close()
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		// Keep draining so that the server never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	const prefix = "kinesalite listening on "
	var endpoint string
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("kinesistest: unexpected first line from kinesalite-server.js: %q (stderr: %s)", line, stderr.String())
		}
		endpoint = strings.TrimPrefix(line, prefix)
	case <-exited:
		t.Fatalf("kinesistest: kinesalite exited before it listened: %s", stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("kinesistest: kinesalite did not listen within %v: %s", startTimeout, stderr.String())
	}

	s := &Server{
		Endpoint:  endpoint,
		Region:    Region,
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		cmd:       cmd,
	}
	s.client = kinesis.New(kinesis.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
	return s
}

// Client is a Kinesis client of the server, for what the helpers do not
// cover.
func (s *Server) Client() *kinesis.Client { return s.client }

// Kill stops the server at once (SIGKILL), for tests of a stream that
// disappears.
func (s *Server) Kill() error { return s.cmd.Process.Kill() }

// CreateStream creates a stream of the given number of shards and waits
// until it is ACTIVE.
func (s *Server) CreateStream(ctx context.Context, name string, shards int) error {
	if shards < 1 {
		return fmt.Errorf("kinesistest: create stream %q: shards %d: must be at least 1", name, shards)
	}
	_, err := s.client.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(name),
		ShardCount: aws.Int32(int32(shards)),
	})
	if err != nil {
		return fmt.Errorf("kinesistest: create stream %q: %w", name, err)
	}
	return s.WaitActive(ctx, name)
}

// DeleteStream deletes a stream and waits until it is gone.
func (s *Server) DeleteStream(ctx context.Context, name string) error {
	if _, err := s.client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(name)}); err != nil {
		return fmt.Errorf("kinesistest: delete stream %q: %w", name, err)
	}
	deadline := time.Now().Add(activeTimeout)
	for {
		_, err := s.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("kinesistest: delete stream %q: %w", name, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kinesistest: stream %q still exists %v after DeleteStream", name, activeTimeout)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// WaitActive waits until the stream's status is ACTIVE.
func (s *Server) WaitActive(ctx context.Context, name string) error {
	deadline := time.Now().Add(activeTimeout)
	for {
		out, err := s.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("kinesistest: describe stream %q: %w", name, err)
		}
		status := out.StreamDescriptionSummary.StreamStatus
		if status == types.StreamStatusActive {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kinesistest: stream %q is %s, not ACTIVE, after %v", name, status, activeTimeout)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// Shards lists the stream's shards, open and closed.
func (s *Server) Shards(ctx context.Context, name string) ([]types.Shard, error) {
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(name)}
	for {
		out, err := s.client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("kinesistest: list shards of %q: %w", name, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			return shards, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// Split splits an open shard at the middle of its hash-key range and
// waits until the stream is ACTIVE again. It returns the two children's
// IDs, lower hash range first.
func (s *Server) Split(ctx context.Context, name, shardID string) ([2]string, error) {
	var children [2]string
	shards, err := s.Shards(ctx, name)
	if err != nil {
		return children, err
	}
	var parent *types.Shard
	for i := range shards {
		if aws.ToString(shards[i].ShardId) == shardID {
			parent = &shards[i]
		}
	}
	if parent == nil {
		return children, fmt.Errorf("kinesistest: split %s of %q: no such shard", shardID, name)
	}
	lo, ok1 := new(big.Int).SetString(aws.ToString(parent.HashKeyRange.StartingHashKey), 10)
	hi, ok2 := new(big.Int).SetString(aws.ToString(parent.HashKeyRange.EndingHashKey), 10)
	if !ok1 || !ok2 || hi.Cmp(lo) <= 0 {
		return children, fmt.Errorf("kinesistest: split %s of %q: hash range %v cannot be split", shardID, name, parent.HashKeyRange)
	}
	mid := new(big.Int).Add(lo, hi)
	mid.Rsh(mid, 1)
	mid.Add(mid, big.NewInt(1))
	_, err = s.client.SplitShard(ctx, &kinesis.SplitShardInput{
		StreamName:         aws.String(name),
		ShardToSplit:       aws.String(shardID),
		NewStartingHashKey: aws.String(mid.String()),
	})
	if err != nil {
		return children, fmt.Errorf("kinesistest: split %s of %q: %w", shardID, name, err)
	}
	if err := s.WaitActive(ctx, name); err != nil {
		return children, err
	}
	shards, err = s.Shards(ctx, name)
	if err != nil {
		return children, err
	}
	n := 0
	for _, sh := range shards {
		if aws.ToString(sh.ParentShardId) == shardID && sh.AdjacentParentShardId == nil && n < 2 {
			children[n] = aws.ToString(sh.ShardId)
			n++
		}
	}
	if n != 2 {
		return children, fmt.Errorf("kinesistest: split %s of %q: found %d children, want 2", shardID, name, n)
	}
	return children, nil
}

// Merge merges two adjacent open shards and waits until the stream is
// ACTIVE again. It returns the child's ID.
func (s *Server) Merge(ctx context.Context, name, shardID, adjacentID string) (string, error) {
	_, err := s.client.MergeShards(ctx, &kinesis.MergeShardsInput{
		StreamName:           aws.String(name),
		ShardToMerge:         aws.String(shardID),
		AdjacentShardToMerge: aws.String(adjacentID),
	})
	if err != nil {
		return "", fmt.Errorf("kinesistest: merge %s and %s of %q: %w", shardID, adjacentID, name, err)
	}
	if err := s.WaitActive(ctx, name); err != nil {
		return "", err
	}
	shards, err := s.Shards(ctx, name)
	if err != nil {
		return "", err
	}
	for _, sh := range shards {
		if aws.ToString(sh.ParentShardId) == shardID && aws.ToString(sh.AdjacentParentShardId) == adjacentID {
			return aws.ToString(sh.ShardId), nil
		}
	}
	return "", fmt.Errorf("kinesistest: merge %s and %s of %q: no child shard listed", shardID, adjacentID, name)
}

// Put writes one record and returns its shard and sequence number.
func (s *Server) Put(ctx context.Context, name, key string, data []byte) (shardID, seq string, err error) {
	out, err := s.client.PutRecord(ctx, &kinesis.PutRecordInput{
		StreamName:   aws.String(name),
		PartitionKey: aws.String(key),
		Data:         data,
	})
	if err != nil {
		return "", "", fmt.Errorf("kinesistest: put record to %q: %w", name, err)
	}
	return aws.ToString(out.ShardId), aws.ToString(out.SequenceNumber), nil
}

// Entry is one record for PutRecords.
type Entry struct {
	Key  string
	Data []byte
	// HashKey, if set, is the explicit hash key that picks the shard.
	HashKey string
}

// Result is where PutRecords placed one entry.
type Result struct {
	ShardID, Seq string
}

// PutRecords writes up to 500 records in one request (Kinesis' limit);
// any failed entry is an error.
func (s *Server) PutRecords(ctx context.Context, name string, entries []Entry) ([]Result, error) {
	if len(entries) == 0 || len(entries) > 500 {
		return nil, fmt.Errorf("kinesistest: put records to %q: %d entries, want 1 to 500", name, len(entries))
	}
	in := &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: make([]types.PutRecordsRequestEntry, len(entries))}
	for i, e := range entries {
		in.Records[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(e.Key), Data: e.Data}
		if e.HashKey != "" {
			in.Records[i].ExplicitHashKey = aws.String(e.HashKey)
		}
	}
	out, err := s.client.PutRecords(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("kinesistest: put records to %q: %w", name, err)
	}
	if n := aws.ToInt32(out.FailedRecordCount); n != 0 {
		return nil, fmt.Errorf("kinesistest: put records to %q: %d of %d failed", name, n, len(entries))
	}
	res := make([]Result, len(out.Records))
	for i, r := range out.Records {
		res[i] = Result{ShardID: aws.ToString(r.ShardId), Seq: aws.ToString(r.SequenceNumber)}
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
