package kinesis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
	"github.com/tannin-db/tannin/stream/streamtest"
)

// TestAcceptance runs the provider contract against kinesalite.
func TestAcceptance(t *testing.T) {
	srv := kinesistest.Start(t)
	streamtest.AcceptanceTest(t, &harness{srv: srv})
}

// harness creates one kinesalite stream per subtest.
type harness struct {
	srv *kinesistest.Server
	n   atomic.Int64
}

// testConfig is the provider's configuration for a stream of srv: the
// defaults, with a rate limit a test does not wait on and a shorter
// MaxWait, so that an empty Fetch stays well inside the acceptance test's
// bound on a loaded machine.
func testConfig(srv *kinesistest.Server, name string) Config {
	cfg := DefaultConfig()
	cfg.StreamName = name
	cfg.Region = srv.Region
	cfg.Endpoint = srv.Endpoint
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	cfg.RequestsPerSecond = 100
	cfg.MaxWait = 500 * time.Millisecond
	cfg.IdlePoll = 50 * time.Millisecond
	return cfg
}

func (h *harness) New(t *testing.T, partitions int) (stream.Stream, streamtest.Producer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("acceptance-%d", h.n.Add(1))
	if err := h.srv.CreateStream(ctx, name, partitions); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, testConfig(h.srv, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.srv.DeleteStream(ctx, name); err != nil {
			t.Error(err)
		}
	})
	return s, &producer{srv: h.srv, name: name}
}

// producer writes to a chosen shard with an explicit hash key at the
// start of the shard's hash-key range.
type producer struct {
	srv  *kinesistest.Server
	name string

	mu       sync.Mutex
	hashKeys map[string]string
}

func (p *producer) hashKey(ctx context.Context, shard string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.hashKeys[shard]; ok {
		return k, nil
	}
	shards, err := p.srv.Shards(ctx, p.name)
	if err != nil {
		return "", err
	}
	p.hashKeys = map[string]string{}
	for _, sh := range shards {
		p.hashKeys[aws.ToString(sh.ShardId)] = aws.ToString(sh.HashKeyRange.StartingHashKey)
	}
	k, ok := p.hashKeys[shard]
	if !ok {
		return "", fmt.Errorf("produce to %s of %q: no such shard", shard, p.name)
	}
	return k, nil
}

func (p *producer) Produce(ctx context.Context, partition string, recs ...streamtest.Rec) ([]stream.Offset, error) {
	hk, err := p.hashKey(ctx, partition)
	if err != nil {
		return nil, err
	}
	var offs []stream.Offset
	for len(recs) > 0 {
		n := min(len(recs), 500)
		entries := make([]kinesistest.Entry, n)
		for i, r := range recs[:n] {
			entries[i] = kinesistest.Entry{Key: r.Key, Data: r.Data, HashKey: hk}
		}
		res, err := p.srv.PutRecords(ctx, p.name, entries)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if r.ShardID != partition {
				return nil, fmt.Errorf("produce to %s of %q: record went to %s", partition, p.name, r.ShardID)
			}
			offs = append(offs, stream.Offset(r.Seq))
		}
		recs = recs[n:]
	}
	return offs, nil
}

func (p *producer) Split(ctx context.Context, partition string) ([]string, error) {
	children, err := p.srv.Split(ctx, p.name, partition)
	if err != nil {
		return nil, err
	}
	p.forget()
	return children[:], nil
}

func (p *producer) Merge(ctx context.Context, a, b string) (string, error) {
	child, err := p.srv.Merge(ctx, p.name, a, b)
	if err != nil {
		return "", err
	}
	p.forget()
	return child, nil
}

func (p *producer) forget() {
	p.mu.Lock()
	p.hashKeys = nil
	p.mu.Unlock()
}
