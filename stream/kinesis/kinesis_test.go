package kinesis

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newTestStream creates a kinesalite stream of n shards and a Stream on
// it; edit, if not nil, changes the configuration first.
func newTestStream(t *testing.T, srv *kinesistest.Server, name string, shards int, edit func(*Config)) *Stream {
	t.Helper()
	ctx := testCtx(t)
	if err := srv.CreateStream(ctx, name, shards); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(srv, name)
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustConsumer(t *testing.T, s *Stream, shard string) *Consumer {
	t.Helper()
	c, err := s.Consumer(shard)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Consumer)
}

type rec struct {
	off  stream.Offset
	key  string
	data string
}

// readAll fetches from from until n records came or waitFor passed.
func readAll(t *testing.T, c stream.Consumer, from stream.Offset, n, max int) ([]rec, stream.Offset) {
	t.Helper()
	var out []rec
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d records from %q", len(out), n, from)
		}
		r, err := c.Fetch(testCtx(t), from, max)
		if err != nil {
			t.Fatalf("Fetch(%q): %v", from, err)
		}
		for _, x := range r.Records {
			out = append(out, rec{x.Offset, x.Key, string(x.Data)})
		}
		from = r.Next
	}
	if len(out) != n {
		t.Fatalf("read %d records, want %d", len(out), n)
	}
	return out, from
}

// TestAggregatedRecords puts KPL aggregates and plain records into
// kinesalite and reads them back as user records, with their keys and
// sub-record offsets, also resuming from inside an aggregate and with a
// max smaller than an aggregate.
func TestAggregatedRecords(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	s := newTestStream(t, srv, "agg", 1, nil)
	const shard = "shardId-000000000000"

	aggA := []subRec{{"ka", "a0"}, {"kb", "a1"}, {"ka", "a2"}, {"kc", "a3"}}
	aggB := []subRec{{"kd", "b0"}, {"ke", "b1"}}
	corrupt := buildAggregate(subRec{"x", "lost"})
	corrupt[len(corrupt)-1] ^= 1 // break the MD5
	var seqs []string
	for _, put := range []struct {
		key  string
		data []byte
	}{
		{"outer-a", buildAggregate(aggA...)},
		{"plain", []byte("p0")},
		{"outer-b", buildAggregate(aggB...)},
		{"outer-c", corrupt},
		{"outer-d", buildAggregate(subRec{"kf", "d0"})},
	} {
		_, seq, err := srv.Put(ctx, "agg", put.key, put.data)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	want := []rec{
		{subOffset(seqs[0], 0), "ka", "a0"},
		{subOffset(seqs[0], 1), "kb", "a1"},
		{subOffset(seqs[0], 2), "ka", "a2"},
		{stream.Offset(seqs[0]), "kc", "a3"},
		{stream.Offset(seqs[1]), "plain", "p0"},
		{subOffset(seqs[2], 0), "kd", "b0"},
		{stream.Offset(seqs[2]), "ke", "b1"},
		{stream.Offset(seqs[3]), "outer-c", string(corrupt)},
		{stream.Offset(seqs[4]), "kf", "d0"},
	}
	check := func(name string, got, want []rec) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: got %d records, want %d: %+v", name, len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: record %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
	c := mustConsumer(t, s, shard)
	for _, max := range []int{1000, 3, 1} {
		got, _ := readAll(t, c, stream.Start, len(want), max)
		check(fmt.Sprintf("from Start, max %d", max), got, want)
	}
	// Resume from every offset, as a restart would: each sees exactly
	// what follows it.
	for i, w := range want {
		c2 := mustConsumer(t, s, shard)
		got, _ := readAll(t, c2, w.off, len(want)-i-1, 1000)
		check(fmt.Sprintf("from %q", w.off), got, want[i+1:])
	}
	// An index past the aggregate's end means all of it was consumed.
	got, _ := readAll(t, mustConsumer(t, s, shard), subOffset(seqs[2], 7), 2, 1000)
	check("from past the aggregate's end", got, want[7:])
	// An index into a plain record means the same.
	got, _ = readAll(t, mustConsumer(t, s, shard), subOffset(seqs[1], 0), 4, 1000)
	check("from inside a plain record", got, want[5:])
}

// TestResumeInsideTrimmedAggregate: resuming inside an aggregate that is
// no longer in the shard (here: a sequence number no record has, the
// shard's start) cannot be done exactly, and says so.
func TestResumeInsideTrimmedAggregate(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	s := newTestStream(t, srv, "trim", 1, nil)
	shards, err := srv.Shards(ctx, "trim")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Put(ctx, "trim", "k", buildAggregate(subRec{"a", "1"}, subRec{"b", "2"})); err != nil {
		t.Fatal(err)
	}
	start := aws.ToString(shards[0].SequenceNumberRange.StartingSequenceNumber)
	c := mustConsumer(t, s, "shardId-000000000000")
	_, err = c.Fetch(ctx, subOffset(start, 0), 10)
	if !errors.Is(err, stream.ErrOffsetExpired) {
		t.Fatalf("Fetch inside a missing aggregate: %v, want stream.ErrOffsetExpired", err)
	}
	// The consumer recovers from Start.
	got, _ := readAll(t, c, stream.Start, 2, 10)
	if got[0].data != "1" || got[1].data != "2" {
		t.Fatalf("after the error: %+v", got)
	}
}

// recorder is an http.RoundTripper in front of kinesalite that counts
// requests per operation and can answer some with an injected error.
type recorder struct {
	next http.RoundTripper

	mu     sync.Mutex
	counts map[string]int
	times  map[string][]time.Time
	// faults[op] is how many of the next op requests get the error
	// faultBody with HTTP 400.
	faults    map[string]int
	faultBody string
}

func newRecorder() *recorder {
	return &recorder{
		next:   &http.Transport{},
		counts: map[string]int{},
		times:  map[string][]time.Time{},
		faults: map[string]int{},
	}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "Kinesis_20131202.")
	r.mu.Lock()
	r.counts[op]++
	r.times[op] = append(r.times[op], time.Now())
	inject := r.faults[op] > 0
	if inject {
		r.faults[op]--
	}
	body := r.faultBody
	r.mu.Unlock()
	if inject {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_ = req.Body.Close()
		}
		return &http.Response{
			StatusCode:    http.StatusBadRequest,
			Status:        "400 Bad Request",
			Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
	return r.next.RoundTrip(req)
}

func (r *recorder) count(op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[op]
}

func (r *recorder) inject(op string, n int, errType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults[op] = n
	r.faultBody = fmt.Sprintf(`{"__type":%q,"message":"injected by the test"}`, errType)
}

// TestIteratorReuse: while each Fetch starts at the previous Next, the
// consumer makes no GetShardIterator call; any other offset makes one.
func TestIteratorReuse(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	rt := newRecorder()
	s := newTestStream(t, srv, "reuse", 1, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	c := mustConsumer(t, s, "shardId-000000000000")
	var offs []stream.Offset
	for i := range 20 {
		_, seq, err := srv.Put(ctx, "reuse", "k", fmt.Appendf(nil, "r%d", i))
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, stream.Offset(seq))
	}
	from := stream.Start
	for range 10 {
		r, err := c.Fetch(ctx, from, 2)
		if err != nil {
			t.Fatal(err)
		}
		from = r.Next
	}
	if from != offs[19] {
		t.Fatalf("after 10 fetches of 2: Next %q, want %q", from, offs[19])
	}
	if n := rt.count("GetShardIterator"); n != 1 {
		t.Fatalf("%d GetShardIterator calls for 10 consecutive fetches, want 1", n)
	}
	if n := rt.count("GetRecords"); n != 10 {
		t.Fatalf("%d GetRecords calls for 10 fetches of 2, want 10", n)
	}
	got, _ := readAll(t, c, offs[4], 15, 100)
	if got[0].data != "r5" || rt.count("GetShardIterator") != 2 {
		t.Fatalf("fetch from an earlier offset: first %q after %d GetShardIterator calls", got[0].data, rt.count("GetShardIterator"))
	}
}

// kinesaliteIterator builds a shard iterator the way kinesalite does
// (AES-256-CBC over "time/stream/shard/seq/zeros", its published key),
// with a creation time of our choosing: the only way to get an expired
// iterator from it without waiting five minutes.
func kinesaliteIterator(t *testing.T, created time.Time, streamName, shard, seq string) string {
	t.Helper()
	key, _ := hex.DecodeString("1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751")
	iv, _ := hex.DecodeString("7bf139dbabbea2d9995d6fcae1dff7da")
	plain := []byte(fmt.Sprintf("%014d/%s/%s/%s/%s", created.UnixMilli(), streamName, shard, seq, strings.Repeat("0", 36)))
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, out...))
}

// TestExpiredIterator: kinesalite rejects a stale iterator with
// ExpiredIteratorException; the consumer gets a new one from its last
// offset and delivers each record once.
func TestExpiredIterator(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	rt := newRecorder()
	s := newTestStream(t, srv, "expire", 1, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	const shard = "shardId-000000000000"
	var seqs []string
	put := func(from, to int) {
		for i := from; i < to; i++ {
			_, seq, err := srv.Put(ctx, "expire", "k", fmt.Appendf(nil, "r%d", i))
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, seq)
		}
	}
	put(0, 5)
	c := mustConsumer(t, s, shard)
	got, next := readAll(t, c, stream.Start, 3, 3)
	if got[2].data != "r2" {
		t.Fatalf("first read: %+v", got)
	}
	// Two records are pending on the consumer's iterator position; make
	// that iterator stale, as if the consumer had stalled for 6 minutes.
	stale := kinesaliteIterator(t, time.Now().Add(-6*time.Minute), "expire", shard, seqs[3])
	c.iter = &stale
	put(5, 8)

	before := rt.count("GetShardIterator")
	got, _ = readAll(t, c, next, 5, 100)
	for i, g := range got {
		if want := fmt.Sprintf("r%d", i+3); g.data != want {
			t.Fatalf("after expiry: record %d is %q, want %q", i, g.data, want)
		}
	}
	if n := rt.count("GetShardIterator") - before; n != 1 {
		t.Fatalf("%d GetShardIterator calls after the expiry, want 1", n)
	}

	// And the mapping itself: a stale iterator is what kinesalite calls
	// expired (not just invalid).
	_, err := srv.Client().GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(stale)})
	if classify(err) != errExpired {
		t.Fatalf("kinesalite's answer to a stale iterator: %v, classified %d", err, classify(err))
	}
}

// TestThrottlingBackoff: GetRecords throttled three times in a row is
// retried by the consumer with growing, jittered waits, one HTTP request
// per attempt (the SDK does not retry throttling on top), and no error
// reaches the caller.
func TestThrottlingBackoff(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	rt := newRecorder()
	const base = 40 * time.Millisecond
	s := newTestStream(t, srv, "throttle", 1, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: rt}
		c.BackoffBase, c.BackoffMax = base, time.Second
		c.MaxWait = 2 * time.Second
	})
	if _, _, err := srv.Put(ctx, "throttle", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	rt.inject("GetRecords", 3, "ProvisionedThroughputExceededException")
	c := mustConsumer(t, s, "shardId-000000000000")
	got, _ := readAll(t, c, stream.Start, 1, 10)
	if got[0].data != "v" {
		t.Fatalf("got %+v", got)
	}
	rt.mu.Lock()
	times := rt.times["GetRecords"]
	rt.mu.Unlock()
	if len(times) != 4 {
		t.Fatalf("%d GetRecords requests, want 4 (3 throttled, then one that succeeds)", len(times))
	}
	for i := 1; i < len(times); i++ {
		gap := times[i].Sub(times[i-1])
		// The i-th throttle waits at least half of base·2^(i-1).
		if floor := base << (i - 1) / 2; gap < floor {
			t.Fatalf("wait after throttle %d: %v, want at least %v", i, gap, floor)
		}
	}

	// LimitExceededException is throttling too, and so is it on
	// GetShardIterator.
	rt.inject("GetShardIterator", 2, "LimitExceededException")
	got, _ = readAll(t, mustConsumer(t, s, "shardId-000000000000"), stream.Start, 1, 10)
	if got[0].data != "v" {
		t.Fatalf("got %+v", got)
	}

	// Throttled past MaxWait: the Fetch returns empty, no error, in about
	// MaxWait, and the next Fetch continues the backoff. (The backoff is
	// jittered into [150ms, 300ms]: MaxWait is below its least.)
	s2 := newTestStream(t, srv, "throttle2", 1, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: rt}
		c.BackoffBase, c.BackoffMax = 300*time.Millisecond, 300*time.Millisecond
		c.MaxWait = 100 * time.Millisecond
	})
	if _, _, err := srv.Put(ctx, "throttle2", "k", []byte("w")); err != nil {
		t.Fatal(err)
	}
	rt.inject("GetRecords", 1, "ProvisionedThroughputExceededException")
	c2 := mustConsumer(t, s2, "shardId-000000000000")
	start := time.Now()
	r, err := c2.Fetch(ctx, stream.Start, 10)
	if err != nil || len(r.Records) != 0 || r.Next != stream.Start {
		t.Fatalf("throttled Fetch: %+v, %v; want empty, no error", r, err)
	}
	if el := time.Since(start); el > 600*time.Millisecond {
		t.Fatalf("throttled Fetch took %v with MaxWait 100ms", el)
	}
	got, _ = readAll(t, c2, stream.Start, 1, 10)
	if got[0].data != "w" {
		t.Fatalf("got %+v", got)
	}
}

func TestBackoffRange(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 100, 2: 200, 3: 400, 4: 800, 5: 1000, 50: 1000} {
		want *= time.Millisecond
		for range 200 {
			d := backoff(n, 100*time.Millisecond, time.Second)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

// TestErrorMapping: API errors reach the caller as the stream package's
// sentinels.
func TestErrorMapping(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	rt := newRecorder()
	s := newTestStream(t, srv, "errs", 1, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	if _, _, err := srv.Put(ctx, "errs", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// A trimmed position.
	rt.inject("GetRecords", 1, "TrimmedDataAccessException")
	c := mustConsumer(t, s, "shardId-000000000000")
	if _, err := c.Fetch(ctx, stream.Start, 10); !errors.Is(err, stream.ErrOffsetExpired) {
		t.Fatalf("TrimmedDataAccessException: %v, want stream.ErrOffsetExpired", err)
	}
	// A shard the stream lacks (real kinesalite answer).
	c = mustConsumer(t, s, "shardId-000000000009")
	if _, err := c.Fetch(ctx, stream.Start, 10); !errors.Is(err, stream.ErrUnknownPartition) {
		t.Fatalf("missing shard: %v, want stream.ErrUnknownPartition", err)
	}
	// A stream that is gone.
	if err := srv.DeleteStream(ctx, "errs"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Partitions(ctx); err == nil || !strings.Contains(err.Error(), `list shards of "errs": stream not found`) {
		t.Fatalf("Partitions of a deleted stream: %v", err)
	}
	c = mustConsumer(t, s, "shardId-000000000000")
	if _, err := c.Fetch(ctx, stream.Start, 10); !errors.Is(err, stream.ErrUnknownPartition) {
		t.Fatalf("deleted stream: %v, want stream.ErrUnknownPartition", err)
	}
	if _, err := c.Fetch(ctx, stream.Start, 0); err == nil || !strings.Contains(err.Error(), "max 0") {
		t.Fatalf("Fetch max 0: %v", err)
	}
}

// TestSequenceNumbersIncrease: kinesalite's sequence numbers, across many
// puts and shards, are ordered by Compare as they were issued.
func TestSequenceNumbersIncrease(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	s := newTestStream(t, srv, "seqs", 2, nil)
	last := map[string]stream.Offset{}
	for i := range 60 {
		entries := make([]kinesistest.Entry, 10)
		for j := range entries {
			entries[j] = kinesistest.Entry{Key: fmt.Sprintf("k%d", i*10+j), Data: []byte("x")}
		}
		res, err := srv.PutRecords(ctx, "seqs", entries)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			off := stream.Offset(r.Seq)
			if len(r.Seq) < 50 {
				t.Fatalf("sequence number %q: shorter than Kinesis' usual 56 digits", r.Seq)
			}
			if prev, ok := last[r.ShardID]; ok {
				if c, err := s.Compare(prev, off); err != nil || c != -1 {
					t.Fatalf("Compare(%q, %q) = %d, %v; want -1", prev, off, c, err)
				}
			}
			last[r.ShardID] = off
		}
	}
	if len(last) != 2 {
		t.Fatalf("records went to %d shards, want 2", len(last))
	}
}

// TestDefaultCredentialChain: without static keys the SDK's chain is
// used (here: the environment).
func TestDefaultCredentialChain(t *testing.T) {
	srv := kinesistest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "from-env")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-env-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	s := newTestStream(t, srv, "chain", 2, func(c *Config) { c.AccessKey, c.SecretKey = "", "" })
	ps, err := s.Partitions(testCtx(t))
	if err != nil || len(ps) != 2 {
		t.Fatalf("Partitions with environment credentials: %+v, %v", ps, err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	good.StreamName, good.Region = "s", "us-east-1"
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.StreamName = "" }, "stream name is empty"},
		{func(c *Config) { c.StreamName = "a b" }, `stream name "a b"`},
		{func(c *Config) { c.Region = "" }, "region is empty"},
		{func(c *Config) { c.Endpoint = "localhost:4567" }, `endpoint "localhost:4567"`},
		{func(c *Config) { c.AccessKey = "a" }, "accessKey and secretKey"},
		{func(c *Config) { c.MaxRecordsToFetch = 0 }, "maxRecordsToFetch 0"},
		{func(c *Config) { c.MaxRecordsToFetch = 10001 }, "maxRecordsToFetch 10001"},
		{func(c *Config) { c.RequestsPerSecond = 0 }, "requests per second 0"},
		{func(c *Config) { c.MaxWait = 0 }, "max wait"},
		{func(c *Config) { c.IdlePoll = 0 }, "idle poll"},
		{func(c *Config) { c.BackoffMax = c.BackoffBase / 2 }, "backoff"},
		{func(c *Config) { c.RequestTimeout = 0 }, "request timeout"},
	} {
		cfg := good
		tc.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error saying %q, got %v", tc.want, err)
		}
		if _, nerr := New(context.Background(), cfg); nerr == nil {
			t.Errorf("New accepted a config Validate refuses (%s)", tc.want)
		}
	}
}

// TestRateLimit: on an idle shard polled with no pause, GetRecords calls
// are paced by RequestsPerSecond, and consumers of one shard share it.
func TestRateLimit(t *testing.T) {
	srv := kinesistest.Start(t)
	ctx := testCtx(t)
	rt := newRecorder()
	s := newTestStream(t, srv, "rate", 1, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: rt}
		c.RequestsPerSecond = 5
		c.IdlePoll = time.Millisecond
		c.MaxWait = time.Second
	})
	c1 := mustConsumer(t, s, "shardId-000000000000")
	c2 := mustConsumer(t, s, "shardId-000000000000")
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range []*Consumer{c1, c2} {
		wg.Go(func() {
			r, err := c.Fetch(ctx, stream.Start, 10)
			if err != nil || len(r.Records) != 0 || r.LagMs != 0 {
				t.Errorf("Fetch of an idle shard: %+v, %v", r, err)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	// One token of burst, then 5 a second, for both consumers together.
	limit := 1 + int(5*el.Seconds()) + 1
	if n := rt.count("GetRecords"); n > limit || n < 2 {
		t.Fatalf("%d GetRecords calls in %v at 5 per second, want 2 to %d", n, el, limit)
	}
}
