package allinone

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream/localstream"
	"github.com/tannin-db/tannin/stream/streams"
	"github.com/tannin-db/tannin/tableconfig"
)

// The streaming demo: a generator writes live web-transactions events into
// a stream, and the webEvents REALTIME table consumes them, so that a
// new user sees COUNT(*) grow query by query.

// streamingTable is the realtime demo table.
const streamingTable = "webEvents"

// demoPartitions is the local stream's partition count on its first run.
const demoPartitions = 4

// producer writes events; the local stream and a Kinesis stream both
// serve. produce returns how many of the events it wrote, in order.
type producer interface {
	produce(ctx context.Context, evs []Event) (int, error)
	close() error
}

// Event is one record for a demo stream.
type Event struct {
	Key  string
	Data []byte
}

type localProducer struct{ s *localstream.Stream }

func (p localProducer) produce(_ context.Context, evs []Event) (int, error) {
	for i, e := range evs {
		if _, _, err := p.s.Produce(e.Key, e.Data); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

func (p localProducer) close() error { return p.s.Close() }

// openDemoStream opens the local demo stream under dir and registers it
// in local, before the cluster starts.
func openDemoStream(dir string, local *streams.Local) (*localstream.Stream, error) {
	s, err := localstream.Open(filepath.Join(dir, "stream"), localstream.Options{Partitions: demoPartitions})
	if err != nil {
		return nil, fmt.Errorf("demo stream: %w", err)
	}
	local.Register(streamingTable, s)
	return s, nil
}

// startStreamDemo creates the realtime table unless it exists and produces
// rate events per second into local (opened by openDemoStream) or, with a
// kinesisEndpoint, into a Kinesis stream there, until ctx ends; the
// returned function stops the generator and closes the stream.
func startStreamDemo(ctx context.Context, w io.Writer, c *Cluster, rc *restclient.Client, dir string, rate int,
	local *localstream.Stream, kinesisEndpoint string) (stop func(), err error) {
	var (
		p         producer
		tableJSON = deploy.StreamingTableConfig
	)
	if kinesisEndpoint != "" {
		kp, err := NewKinesisProducer(ctx, kinesisEndpoint, streamingTable, demoPartitions)
		if err != nil {
			return nil, err
		}
		p = kp
		if tableJSON, err = KinesisTableConfig(kinesisEndpoint); err != nil {
			kp.close()
			return nil, err
		}
	} else {
		p = localProducer{local}
	}
	if err := createStreamingTable(ctx, c, rc, tableJSON); err != nil {
		p.close()
		return nil, err
	}
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		generate(gctx, p, rate)
	}()
	source := "a local stream under " + filepath.Join(dir, "stream")
	if kinesisEndpoint != "" {
		source = "Kinesis stream " + streamingTable + " at " + kinesisEndpoint
	}
	fmt.Fprintf(w, "streaming %d web-transactions events/s into %s, consumed by the realtime table %s\n", rate, source, streamingTable)
	return func() {
		cancel()
		<-done
		p.close()
	}, nil
}

// createStreamingTable adds the demo's schema and realtime table unless
// they exist (a restart with the same data directory).
func createStreamingTable(ctx context.Context, c *Cluster, rc *restclient.Client, tableJSON []byte) error {
	sc, _, err := schema.Parse(deploy.StreamingSchema)
	if err != nil {
		return fmt.Errorf("streaming schema: %w", err)
	}
	tc, _, err := tableconfig.Parse(tableJSON)
	if err != nil {
		return fmt.Errorf("streaming table config: %w", err)
	}
	snap := c.Cache().Snapshot()
	if snap.Schemas[sc.Name] == nil {
		if err := rc.AddSchema(ctx, deploy.StreamingSchema); err != nil {
			return fmt.Errorf("add schema %s: %w", sc.Name, err)
		}
	}
	if snap.Tables[tc.TableNameWithType()] == nil {
		if err := rc.AddTable(ctx, tableJSON); err != nil {
			return fmt.Errorf("add table %s: %w", tc.TableNameWithType(), err)
		}
	}
	return nil
}

// generate produces rate events per second, in ticks of 20 ms, until ctx
// ends. Events a failed write did not take are sent again on the next
// tick (up to a second's worth), not dropped.
func generate(ctx context.Context, p producer, rate int) {
	live := datagen.WebTransactions{}.NewLive(uint64(time.Now().UnixNano()))
	const tick = 20 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	var (
		tx      datagen.Transaction
		pending []Event
		owed    float64
	)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			owed += float64(rate) * tick.Seconds()
			for ; owed >= 1 && len(pending) < rate; owed-- {
				live.Next(&tx, now.UnixMilli())
				pending = append(pending, Event{Key: tx.UserID, Data: datagen.AppendTransactionJSON(nil, &tx, datagen.RawOptions{})})
			}
			owed = min(owed, 1)
			n, _ := p.produce(ctx, pending)
			pending = append(pending[:0], pending[n:]...)
		}
	}
}
