package kinesis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"golang.org/x/time/rate"

	"github.com/tannin-db/tannin/stream"
)

// api is the part of the Kinesis client this package uses.
type api interface {
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Stream is one Kinesis stream. It is safe for concurrent use.
type Stream struct {
	cfg    Config
	client api
	log    *slog.Logger
	// idle closes the idle connections of the HTTP client New built;
	// nil for one the caller gave.
	idle func()

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // per shard, shared by its consumers
}

var _ stream.Stream = (*Stream)(nil)

// New validates cfg and builds the client. It makes no request: a wrong
// stream name shows in the first Partitions or Fetch.
func New(ctx context.Context, cfg Config) (*Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, log: cfg.Logger, limiters: map[string]*rate.Limiter{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithRetryer(newRetryer()),
	}
	if cfg.HTTPClient == nil {
		bc := awshttp.NewBuildableClient().
			WithTimeout(cfg.RequestTimeout).
			WithDialerOptions(func(d *net.Dialer) {
				d.Timeout = 5 * time.Second
				d.KeepAlive = 30 * time.Second
			}).
			WithTransportOptions(func(tr *http.Transport) {
				// One connection per consuming shard at least.
				tr.MaxIdleConns = 256
				tr.MaxIdleConnsPerHost = 64
				tr.IdleConnTimeout = 90 * time.Second
				tr.TLSHandshakeTimeout = 5 * time.Second
				tr.ResponseHeaderTimeout = cfg.RequestTimeout
			})
		// Through the config loader, which can add a custom CA bundle
		// (AWS_CA_BUNDLE) to it; a caller's client is set on the Kinesis
		// client below, as given.
		opts = append(opts, config.WithHTTPClient(bc))
		s.idle = bc.GetTransport().CloseIdleConnections
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("kinesis: load AWS config for stream %q: %w", cfg.StreamName, err)
	}
	s.client = kinesis.NewFromConfig(awsCfg, func(o *kinesis.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
	})
	return s, nil
}

// Partitions lists the shards, open and closed, with their lineage,
// ordered by ID. Throttled ListShards calls are retried with backoff
// until ctx ends.
func (s *Stream) Partitions(ctx context.Context) ([]stream.Partition, error) {
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(s.cfg.StreamName)}
	throttles := 0
	for {
		out, err := s.client.ListShards(ctx, in)
		if err != nil {
			switch classify(err) {
			case errThrottled:
				throttles++
				if err := sleepCtx(ctx, backoff(throttles, s.cfg.BackoffBase, s.cfg.BackoffMax)); err != nil {
					return nil, fmt.Errorf("kinesis: list shards of %q: %w", s.cfg.StreamName, err)
				}
				continue
			case errNotFound:
				return nil, fmt.Errorf("kinesis: list shards of %q: stream not found: %w", s.cfg.StreamName, err)
			}
			return nil, fmt.Errorf("kinesis: list shards of %q: %w", s.cfg.StreamName, err)
		}
		throttles = 0
		shards = append(shards, out.Shards...)
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		// The API takes NextToken alone on later pages.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	return s.partitions(shards), nil
}

// partitions maps shards to partitions, dropping parents that are not
// listed (aged out whole; see doc.go).
func (s *Stream) partitions(shards []types.Shard) []stream.Partition {
	listed := make(map[string]bool, len(shards))
	for _, sh := range shards {
		listed[aws.ToString(sh.ShardId)] = true
	}
	parts := make([]stream.Partition, 0, len(shards))
	for _, sh := range shards {
		p := stream.Partition{ID: aws.ToString(sh.ShardId)}
		for _, parent := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
			if parent == nil || *parent == "" {
				continue
			}
			if !listed[*parent] {
				s.log.Info("kinesis: parent shard is past retention; not waiting for it",
					"stream", s.cfg.StreamName, "partition", p.ID, "parent", *parent)
				continue
			}
			p.Parents = append(p.Parents, *parent)
		}
		p.Closed = sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
	return parts
}

// Consumer returns a consumer of one shard. The shard is not checked
// here; a Fetch from a shard the stream lacks fails with
// stream.ErrUnknownPartition.
func (s *Stream) Consumer(partition string) (stream.Consumer, error) {
	if partition == "" {
		return nil, fmt.Errorf("kinesis: stream %q: empty partition id: %w", s.cfg.StreamName, stream.ErrUnknownPartition)
	}
	return &Consumer{s: s, shard: partition, lim: s.limiter(partition)}, nil
}

func (s *Stream) limiter(shard string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[shard]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.RequestsPerSecond), 1)
		s.limiters[shard] = l
	}
	return l
}

// Compare orders two offsets of one shard (see doc.go, Offsets).
func (s *Stream) Compare(a, b stream.Offset) (int, error) { return CompareOffsets(a, b) }

// Close closes idle connections. Consumers must not be used after it.
func (s *Stream) Close() error {
	if s.idle != nil {
		s.idle()
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errAtTimeFuture is internal: an AtTime marker later than now.
var errAtTimeFuture = errors.New("timestamp is in the future")
