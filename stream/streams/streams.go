// Package streams opens the stream a table's stream config names: a
// Kinesis stream through the AWS SDK, or a local stream that the process
// registered (the quickstart's demo stream, shared in-process by its
// generator and its server). Controllers and servers open streams only
// through here, so both read one configuration the same way.
package streams

import (
	"context"
	"fmt"
	"sync"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/kinesis"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

// Local holds the local streams this process can serve, by topic name.
// A local stream lives in one process: a controller or server in another
// process cannot open it.
type Local struct {
	mu      sync.Mutex
	streams map[string]stream.Stream
}

// Register makes s the local stream of topic.
func (l *Local) Register(topic string, s stream.Stream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.streams == nil {
		l.streams = map[string]stream.Stream{}
	}
	l.streams[topic] = s
}

func (l *Local) get(topic string) stream.Stream {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams[topic]
}

// Open opens the stream of cfg. Closing a local stream through the result
// does nothing: its owner closes it.
func Open(ctx context.Context, cfg *streamconfig.Config, local *Local) (stream.Stream, error) {
	switch cfg.Type {
	case streamconfig.Kinesis:
		kc := kinesis.DefaultConfig()
		kc.StreamName = cfg.Topic
		if k := cfg.Kinesis; k != nil {
			kc.Region, kc.Endpoint = k.Region, k.Endpoint
			kc.AccessKey, kc.SecretKey = k.AccessKey, k.SecretKey
			if k.MaxRecordsToFetch > 0 {
				kc.MaxRecordsToFetch = k.MaxRecordsToFetch
			}
			if k.RequestsPerSecond > 0 {
				kc.RequestsPerSecond = k.RequestsPerSecond
			}
		}
		s, err := kinesis.New(ctx, kc)
		if err != nil {
			return nil, fmt.Errorf("kinesis stream %q: %w", cfg.Topic, err)
		}
		return s, nil
	case streamconfig.Local:
		s := local.get(cfg.Topic)
		if s == nil {
			return nil, fmt.Errorf("local stream %q: not served by this process (local streams exist only inside tannin quickstart)", cfg.Topic)
		}
		return borrowed{s}, nil
	}
	return nil, fmt.Errorf("stream type %q: not supported (supported: kinesis, local)", cfg.Type)
}

// borrowed is a stream whose Close is its owner's.
type borrowed struct{ stream.Stream }

func (borrowed) Close() error { return nil }
