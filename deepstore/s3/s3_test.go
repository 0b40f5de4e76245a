package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/deepstoretest"
	"github.com/tannin-db/tannin/deepstore/s3"
	"github.com/tannin-db/tannin/deepstore/s3/s3test"
)

// newStore builds a store on srv's bucket with static credentials and
// the smallest part size S3 allows, so that multipart paths run on
// objects of a few MB.
func newStore(t testing.TB, srv *s3test.Server, prefix string) *s3.Store {
	t.Helper()
	cfg := s3.DefaultConfig()
	cfg.Bucket = srv.Bucket
	cfg.Prefix = prefix
	cfg.Region = srv.Region
	cfg.Endpoint = srv.Endpoint
	cfg.PathStyle = true
	cfg.AccessKeyID = srv.AccessKey
	cfg.SecretAccessKey = srv.SecretKey
	cfg.PartSize = s3.MinPartSize
	cfg.Concurrency = 3
	s, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAcceptance(t *testing.T) {
	srv := s3test.Start(t)
	t.Run("prefix=none", func(t *testing.T) { deepstoretest.AcceptanceTest(t, newStore(t, srv, "")) })
	t.Run("prefix=tannin/prod", func(t *testing.T) { deepstoretest.AcceptanceTest(t, newStore(t, srv, "tannin/prod")) })
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// onlyReader hides bytes.Reader's Seek and WriterTo, so that Put sees a
// plain stream as it would from a segment file pipe.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestLargeObjects(t *testing.T) {
	srv := s3test.Start(t)
	s := newStore(t, srv, "big")
	ctx := context.Background()
	// Sizes around the part boundaries: one part exactly (a single
	// PutObject), one byte more (two parts), two parts exactly, and 20 MB
	// (four parts and a short one).
	for _, n := range []int{s3.MinPartSize, s3.MinPartSize + 1, 2 * s3.MinPartSize, 20_000_000} {
		t.Run(fmt.Sprintf("bytes=%d", n), func(t *testing.T) {
			want := randomBytes(n, uint64(n))
			key := fmt.Sprintf("t/seg_%d", n)
			if err := s.Put(ctx, key, onlyReader{bytes.NewReader(want)}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Size(ctx, key); err != nil || got != int64(n) {
				t.Fatalf("size = %d, %v; want %d", got, err, n)
			}
			rc, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes that differ from the %d written", len(got), n)
			}
		})
	}
	keys, err := s.List(ctx, "t/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 {
		t.Errorf("list t/ = %v, want 4 objects", keys)
	}
}

// A multipart Put whose source fails after some parts went up leaves no
// object.
func TestFailedMultipartLeavesNoObject(t *testing.T) {
	srv := s3test.Start(t)
	s := newStore(t, srv, "")
	ctx := context.Background()
	src := io.MultiReader(bytes.NewReader(randomBytes(3*s3.MinPartSize+100, 7)), failingReader{})
	err := s.Put(ctx, "f/partial", src)
	if err == nil || !strings.Contains(err.Error(), "source broke") || !strings.Contains(err.Error(), "s3://tannin-test/f/partial") {
		t.Fatalf("put from a failing source: %v; want the source's error naming the object", err)
	}
	if _, err := s.Size(ctx, "f/partial"); !errors.Is(err, deepstore.ErrNotFound) {
		t.Errorf("after the failed put: %v, want ErrNotFound", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("source broke") }

// endless yields bytes until its context's Put is cancelled, counting
// what it gave.
type endless struct{ n atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

func TestCancelledPut(t *testing.T) {
	srv := s3test.Start(t)
	s := newStore(t, srv, "")
	ctx, cancel := context.WithCancel(context.Background())
	src := &endless{}
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx, "c/cancelled", src) }()
	// Cancel once the multipart upload is under way.
	deadline := time.Now().Add(30 * time.Second)
	for src.n.Load() < 3*s3.MinPartSize && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		t.Logf("cancelled put after %d source bytes: %v", src.n.Load(), err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled put returned %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("put did not stop within 20s of its context's cancellation")
	}
	if _, err := s.Size(context.Background(), "c/cancelled"); !errors.Is(err, deepstore.ErrNotFound) {
		t.Errorf("after the cancelled put: %v, want ErrNotFound", err)
	}

	// A context cancelled before the call sends nothing.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, "c/never", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestCancelledGet(t *testing.T) {
	srv := s3test.Start(t)
	s := newStore(t, srv, "")
	want := randomBytes(8<<20, 3)
	if err := s.Put(context.Background(), "g/obj", bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := s.Get(ctx, "g/obj")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, rc); err == nil {
		t.Error("reading a Get body after its context ended: no error")
	}
}

func TestMissingBucket(t *testing.T) {
	srv := s3test.Start(t)
	cfg := s3.DefaultConfig()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.Region = "no-such-bucket", srv.Endpoint, true, srv.Region
	cfg.AccessKeyID, cfg.SecretAccessKey = srv.AccessKey, srv.SecretKey
	s, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.Check(ctx)
	t.Logf("check of a missing bucket: %v", err)
	if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket"`) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("check: %v; want the bucket named as missing", err)
	}
	err = s.Put(ctx, "t/seg", strings.NewReader("x"))
	t.Logf("put to a missing bucket: %v", err)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/t/seg") || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("put: %v; want the object and a missing bucket named", err)
	}
	// A missing bucket is not a missing object.
	if _, err := s.Get(ctx, "t/seg"); err == nil || errors.Is(err, deepstore.ErrNotFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("get: %v; want a missing-bucket error, not ErrNotFound", err)
	}
	if _, err := s.List(ctx, "t/"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("list: %v; want a missing-bucket error", err)
	}
}

func TestWrongCredentials(t *testing.T) {
	srv := s3test.Start(t)
	cfg := s3.DefaultConfig()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.Region = srv.Bucket, srv.Endpoint, true, srv.Region
	cfg.AccessKeyID, cfg.SecretAccessKey = "AKIAWRONGWRONGWRONG", "not-the-secret"
	s, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.Check(ctx)
	t.Logf("check with wrong credentials: %v", err)
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("check: %v; want access denied", err)
	}
	err = s.Put(ctx, "t/seg", strings.NewReader("x"))
	t.Logf("put with wrong credentials: %v", err)
	if err == nil || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "InvalidAccessKeyId") ||
		!strings.Contains(err.Error(), "s3://tannin-test/t/seg") {
		t.Errorf("put: %v; want access denied naming the object", err)
	}
	if strings.Contains(fmt.Sprint(err), "not-the-secret") {
		t.Errorf("the error leaks the secret key: %v", err)
	}
	if _, err := s.Get(ctx, "t/seg"); err == nil || errors.Is(err, deepstore.ErrNotFound) {
		t.Errorf("get: %v; want access denied, not ErrNotFound", err)
	}
}

// Open reads the -deep-store URI and takes credentials from the
// environment, as a node does.
func TestOpenURI(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	ctx := context.Background()
	s, err := s3.Open(ctx, srv.URI("nodes"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "t/t_0.tseg", strings.NewReader("segment")); err != nil {
		t.Fatal(err)
	}
	if got, want := s.URI("t/t_0.tseg"), "s3://tannin-test/nodes/t/t_0.tseg"; got != want {
		t.Errorf("URI = %q, want %q", got, want)
	}
	// The object is where the URI says: a store at the bucket's root
	// sees it under the prefix.
	root := newStore(t, srv, "")
	if keys, err := root.List(ctx, ""); err != nil || len(keys) != 1 || keys[0] != "nodes/t/t_0.tseg" {
		t.Errorf("root list = %v, %v; want [nodes/t/t_0.tseg]", keys, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG")
	if _, err := s3.Open(ctx, srv.URI("nodes")); err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("open with wrong credentials in the environment: %v; want access denied", err)
	}
	if _, err := s3.Open(ctx, "s3://tannin-test/p?endpoint=http://127.0.0.1:1&pathStyle=true&region=us-east-1&bogus=1"); err == nil ||
		!strings.Contains(err.Error(), `unknown parameter "bogus"`) {
		t.Errorf("open with an unknown parameter: %v", err)
	}
}

// BenchmarkPutGet moves one 64 MB object through the local server: put
// (multipart, 16 MB parts, 4 in flight) then get.
func BenchmarkPutGet(b *testing.B) {
	srv := s3test.Start(b)
	cfg := s3.DefaultConfig()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.Region = srv.Bucket, srv.Endpoint, true, srv.Region
	cfg.AccessKeyID, cfg.SecretAccessKey = srv.AccessKey, srv.SecretKey
	s, err := s3.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	data := randomBytes(size, 64)
	ctx := context.Background()
	b.Run("op=put/size=64MB", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Put(ctx, "bench/obj", onlyReader{bytes.NewReader(data)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=get/size=64MB", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			rc, err := s.Get(ctx, "bench/obj")
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil || n != size {
				b.Fatalf("got %d bytes, %v", n, err)
			}
		}
	})
}
