package consumer

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/mutable"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/tableconfig"
)

// Config describes one partition consumer.
type Config struct {
	// TableWithType is the realtime table's name with type
	// ("clicks_REALTIME"); its raw name prefixes deep-store keys.
	TableWithType string
	Table         *tableconfig.TableConfig
	Schema        *schema.Schema
	// Decoder is the stream config's record format.
	Decoder streamconfig.DecoderConfig
	// Partition is the stream partition ("shardId-000000000003").
	Partition string
	// Instance is this server's instance name, as reports carry it.
	Instance string

	// FlushRows seals a segment at this many rows when its Spec carries
	// no threshold (per segment: the caller divides a row count shared by
	// partitions).
	FlushRows int
	// FlushTime seals a segment this long after it started (0: never).
	FlushTime time.Duration
	// FlushSize seals a segment when its EstimatedSizeBytes reaches it
	// (0: never). Memory use follows each replica's fetch batches, so
	// replicas stopped by it may stop at different rows; the completion
	// protocol settles which, as for the time limit. For size-based tables
	// it is a safety cap far above the desired size (flushsize.MemoryCap):
	// the row threshold the controller learns is what sizes segments.
	FlushSize int64
	// MaxRecordBytes skips longer records as oversized_record (default
	// 1 MiB, Kinesis's largest record).
	MaxRecordBytes int
	// FetchMax is the most records one Fetch asks for (default 10,000).
	FetchMax int
	// BatchRows is the decode batch size (default decode.DefaultBatchSize).
	BatchRows int

	// HoldPause is how long a replica told HOLD waits before it reports
	// again (default 1.5 s, MaxHold/2 of PROTOCOL.md).
	HoldPause time.Duration
	// RetryPause is the first pause after an error or FAILED; it doubles
	// up to MaxRetryPause (defaults 250 ms and 5 s).
	RetryPause, MaxRetryPause time.Duration
	// LogEvery bounds the bad-record log lines: one per reason per period
	// (default 10 s), with the count of those not logged.
	LogEvery time.Duration

	Now func() time.Time
	Log *slog.Logger
}

// Defaults for Config's zero fields.
const (
	DefaultMaxRecordBytes = 1 << 20
	DefaultFetchMax       = 10_000
	DefaultHoldPause      = 1500 * time.Millisecond
	DefaultRetryPause     = 250 * time.Millisecond
	DefaultMaxRetryPause  = 5 * time.Second
	DefaultLogEvery       = 10 * time.Second
)

func (c *Config) withDefaults() {
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if c.FetchMax <= 0 {
		c.FetchMax = DefaultFetchMax
	}
	if c.HoldPause <= 0 {
		c.HoldPause = DefaultHoldPause
	}
	if c.RetryPause <= 0 {
		c.RetryPause = DefaultRetryPause
	}
	if c.MaxRetryPause < c.RetryPause {
		c.MaxRetryPause = max(DefaultMaxRetryPause, c.RetryPause)
	}
	if c.LogEvery <= 0 {
		c.LogEvery = DefaultLogEvery
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first thing wrong with c.
func (c *Config) Validate() error {
	switch {
	case c.TableWithType == "":
		return errors.New("partition consumer: no table name")
	case c.Schema == nil:
		return fmt.Errorf("partition consumer of %s: no schema", c.TableWithType)
	case c.Partition == "":
		return fmt.Errorf("partition consumer of %s: no stream partition", c.TableWithType)
	case c.Instance == "":
		return fmt.Errorf("partition consumer of %s partition %s: no instance name", c.TableWithType, c.Partition)
	case c.FlushRows <= 0 || c.FlushRows > mutable.MaxCapacity/2:
		return fmt.Errorf("partition consumer of %s partition %s: flush rows %d outside 1..%d", c.TableWithType, c.Partition, c.FlushRows, mutable.MaxCapacity/2)
	case c.FlushTime < 0 || c.FlushSize < 0:
		return fmt.Errorf("partition consumer of %s partition %s: negative flush time or size", c.TableWithType, c.Partition)
	case c.Decoder.Format != streamconfig.JSON && c.Decoder.Format != streamconfig.CSV:
		return fmt.Errorf("partition consumer of %s partition %s: record format %v is not JSON or CSV", c.TableWithType, c.Partition, c.Decoder.Format)
	case c.Decoder.Format == streamconfig.CSV && len(c.Decoder.CSVHeader) == 0:
		return fmt.Errorf("partition consumer of %s partition %s: a CSV stream needs the decoder's header property", c.TableWithType, c.Partition)
	}
	return nil
}

// Deps are what a Partition talks to.
type Deps struct {
	// Stream is the table's stream; the Partition opens its own consumers
	// of Config.Partition and orders offsets with its Compare.
	Stream stream.Stream
	// Controller answers the completion protocol.
	Controller completion.Controller
	// DeepStore receives committed segments.
	DeepStore deepstore.Store
	Host      Host
}

// Host serves the partition's segments. Its methods are called from the
// partition's goroutines and must not block on I/O for long.
type Host interface {
	// Consuming makes seg, the consuming segment name, queryable now (and
	// reports it CONSUMING): rows appended later become visible at once.
	Consuming(name string, seg *mutable.Segment)
	// Sealed says that name's rows are sealed in the file at SealPath(name)
	// with meta, and the segment is committed with exactly those rows: the
	// server loads it when the assignment turns ONLINE (the CRC matches,
	// no download) and releases the consuming segment then; until then
	// the consuming one keeps serving.
	Sealed(name string, meta *segment.Meta)
	// Discarded says that name's consuming segment must stop serving: the
	// committed segment holds other rows (the server downloads it), or the
	// consumer gave up on it.
	Discarded(name string)
	// SealPath is the local file name's sealed segment is built into.
	SealPath(name string) string
}

// Spec is one consuming segment the cluster assigned to this replica.
type Spec struct {
	Name string
	// Start is the segment's start offset (its record's startOffset).
	Start stream.Offset
	// CreatedMs is the record's creation time: sealed builds use it as
	// their creation time, so that replicas build identical files.
	CreatedMs int64
	// FlushRows is the segment's row threshold as its record carries it,
	// the same on every replica (autotuned per segment for size-based
	// tables); 0 means Config.FlushRows.
	FlushRows int
}

// threshold is the row threshold of the segment spec names.
func (c *Config) threshold(spec Spec) int {
	if spec.FlushRows > 0 {
		return min(spec.FlushRows, mutable.MaxCapacity/2)
	}
	return c.FlushRows
}
