// Package streamconfig reads one Apache Pinot stream config map (a table
// config's ingestionConfig.streamIngestionConfig.streamConfigMaps entry, or
// the older tableIndexConfig.streamConfigs, both kept as
// tableconfig.TableConfig.Ingestion.StreamConfigs) into a typed Config.
//
//	c, err := streamconfig.Parse(tc.Ingestion.StreamConfigs[0])
//	start := c.Start.Offset(time.Now()) // once, when the table is created
//
// Pinot's keys are accepted unchanged: streamType, stream.<type>.topic.name,
// the consumer factory and decoder classes (Pinot's Java class names map to
// the Go implementations), stream.<type>.decoder.prop.*, Kinesis's
// unprefixed keys (region, shardIteratorType, maxRecordsToFetch,
// requests_per_second_limit, endpoint, accessKey/secretKey, the IAM role
// keys) and the realtime.segment.flush.* thresholds, with Pinot's defaults
// (5,000,000 rows, 6h, 200M). Supported stream types are kinesis and local
// (the quickstart's on-disk stream, package localstream).
//
// Strictness follows the table config's: a key Pinot does not know is an
// error naming the key and the nearest known one; a key of Pinot's
// vocabulary that Tannin does not act on (hlc.group.id, metadata.populate,
// the offsetAutoReset keys, CSV decoder options beyond header, delimiter,
// multi-value delimiter and null value, ...) is reported in
// Config.Warnings. Errors name the key and the value:
//
//	streamConfigs: realtime.segment.flush.threshold.time: "6x" is not a period like 6h or 30m
//
// # Where consumption starts
//
// Config.Start resolves where a new table starts reading, from
// shardIteratorType and stream.<type>.consumer.prop.auto.offset.reset
// (Pinot's offset criteria: smallest, largest, a period such as "2d" meaning
// that long ago, or an ISO-8601 timestamp such as 2024-05-01T00:00:00Z):
//
//   - TRIM_HORIZON or smallest: stream.Start, the oldest retained record;
//   - LATEST or largest: AtTime(now), so every replica and restart starts
//     at the same place (LATEST is Pinot's default, and Tannin's);
//   - AT_TIMESTAMP: AtTime of the timestamp (or now minus the period) that
//     auto.offset.reset gives; AT_TIMESTAMP without one is an error;
//   - AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER name how Pinot resumes a
//     shard, not a start: Pinot starts a new table's shards at their first
//     sequence number, and so does Tannin (stream.Start), unless
//     auto.offset.reset says otherwise.
//
// shardIteratorType and auto.offset.reset that disagree (TRIM_HORIZON with
// largest) are an error naming both keys.
//
// # Flush thresholds
//
// As in Pinot: realtime.segment.flush.threshold.rows (or the older .size)
// above 0 is a row count shared by the partitions a server consumes;
// .segment.rows is a row count per segment; .rows of 0, or a
// .segment.size without a row count, sizes segments to that many bytes
// (default 200M) by autotuning the row count from
// .autotune.initialRows; with none of these, 5,000,000 rows. The time
// threshold (default 6h) is a period ("6h", "1d2h30m") or, as Pinot's
// older configs have it, milliseconds.
//
// Validate checks every stream config of a REALTIME table; the controller
// calls it when a table is created or updated, after tableconfig's own
// Validate.
package streamconfig

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/tableconfig"
)

// Type is a stream type, the value of streamType.
type Type string

// The supported stream types.
const (
	Kinesis Type = "kinesis"
	Local   Type = "local"
)

// Format is a record format.
type Format uint8

// The supported record formats.
const (
	JSON Format = iota + 1
	CSV
)

func (f Format) String() string {
	switch f {
	case JSON:
		return "JSON"
	case CSV:
		return "CSV"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// StartKind says where a new table starts consuming.
type StartKind uint8

// The start positions.
const (
	// Earliest is the oldest record still retained (TRIM_HORIZON).
	Earliest StartKind = iota + 1
	// Latest is the time the table is created (LATEST).
	Latest
	// AtTimestamp is a fixed time, or a period before the creation time.
	AtTimestamp
)

func (k StartKind) String() string {
	switch k {
	case Earliest:
		return "earliest"
	case Latest:
		return "latest"
	case AtTimestamp:
		return "at-timestamp"
	}
	return fmt.Sprintf("StartKind(%d)", uint8(k))
}

// StartPosition is where a new table starts consuming each partition.
type StartPosition struct {
	Kind StartKind
	// TimestampMs is the time of AtTimestamp, epoch milliseconds, when
	// given as a timestamp.
	TimestampMs int64
	// Ago is the period before the creation time, for AtTimestamp given as
	// a period ("2d"); 0 otherwise.
	Ago time.Duration
}

// Offset resolves the start to an offset, given the time the table is
// created; call it once and store the result, so that replicas and
// restarts agree.
func (p StartPosition) Offset(now time.Time) stream.Offset {
	switch p.Kind {
	case Latest:
		return stream.AtTime(now.UnixMilli())
	case AtTimestamp:
		if p.Ago > 0 {
			return stream.AtTime(now.Add(-p.Ago).UnixMilli())
		}
		return stream.AtTime(p.TimestampMs)
	}
	return stream.Start
}

// Config is one parsed stream config.
type Config struct {
	Type Type
	// Topic is the stream's name (stream.<type>.topic.name).
	Topic   string
	Decoder DecoderConfig
	Start   StartPosition
	Flush   FlushConfig
	// Kinesis is set when Type is Kinesis.
	Kinesis *KinesisConfig
	// Local is set when Type is Local.
	Local *LocalConfig

	// FetchTimeout is stream.<type>.fetch.timeout.millis (default 5s).
	FetchTimeout time.Duration
	// ConnectionTimeout is stream.<type>.connection.timeout.millis
	// (default 30s).
	ConnectionTimeout time.Duration
	// IdleTimeout is stream.<type>.idle.timeout.millis (default 3m).
	IdleTimeout time.Duration
	// TopicRateLimit and PartitionRateLimit are
	// topic.consumption.rate.limit and partition.consumption.rate.limit,
	// records per second; 0 when unset.
	TopicRateLimit, PartitionRateLimit float64
	// CommitTimeout is realtime.segment.commit.timeoutSeconds; 0 when unset
	// (the controller's default applies).
	CommitTimeout time.Duration
	// ServerUploadToDeepStore is realtime.segment.serverUploadToDeepStore;
	// nil when unset (the server's default applies).
	ServerUploadToDeepStore *bool

	// Warnings name keys of Pinot's vocabulary that Tannin accepts but
	// does not act on.
	Warnings []string
}

// DecoderConfig is how records are decoded.
type DecoderConfig struct {
	Format Format
	// Class is the decoder class as configured ("" when defaulted to JSON).
	Class string
	// CSVHeader are the column names of a CSV stream, in record order
	// (decoder prop header, split on the delimiter).
	CSVHeader []string
	// CSV is the dialect of a CSV stream.
	CSV decode.CSVOptions
	// Props are all stream.<type>.decoder.prop.* values, by suffix.
	Props map[string]string
}

// FlushConfig is when a consuming segment is sealed.
type FlushConfig struct {
	// Rows seals a segment at this many rows when SizeBased is false.
	Rows int
	// RowsSharedByPartitions reports that Rows came from
	// realtime.segment.flush.threshold.rows (or .size), which Pinot divides
	// among the partitions one server consumes; false when it came from
	// .segment.rows or is the default.
	RowsSharedByPartitions bool
	// SizeBased seals segments near SegmentSize bytes, learning the row
	// count from the segments built so far, starting at
	// AutotuneInitialRows.
	SizeBased           bool
	SegmentSize         int64
	AutotuneInitialRows int
	// Time seals a segment this long after it started consuming.
	Time time.Duration
	// VarianceFraction randomises the size-based threshold by up to this
	// fraction, so that partitions do not all seal at once.
	VarianceFraction float64
}

// KinesisConfig holds Kinesis's keys.
type KinesisConfig struct {
	Region string
	// Endpoint is a custom Kinesis-API endpoint URL ("" for AWS's).
	Endpoint string
	// AccessKey and SecretKey are static credentials, both or neither;
	// with neither the AWS SDK's default credential chain is used.
	AccessKey, SecretKey string
	// ShardIteratorType is the value as configured ("" when unset).
	ShardIteratorType string
	// MaxRecordsToFetch bounds one GetRecords (default 10,000, Kinesis's
	// maximum).
	MaxRecordsToFetch int
	// RequestsPerSecond bounds GetRecords calls per shard (default 1,
	// Pinot's: Kinesis allows 5 per shard per second, shared by replicas).
	RequestsPerSecond float64
	// Role is set when iamRoleBasedAccessEnabled is true.
	Role *IAMRole
}

// IAMRole is Pinot's role-based access: credentials from assuming RoleARN.
type IAMRole struct {
	RoleARN     string
	SessionName string // "" for a generated one
	ExternalID  string
	// SessionDuration defaults to 15 minutes, as in Pinot.
	SessionDuration time.Duration
	// AsyncSessionUpdate refreshes credentials in the background
	// (default true).
	AsyncSessionUpdate bool
}

// LocalConfig holds the local stream's keys.
type LocalConfig struct {
	// Dir is stream.local.dir, the stream's directory; "" lets the
	// process that hosts the quickstart choose.
	Dir string
}

// Pinot's defaults (StreamConfig.java, KinesisConfig.java).
const (
	DefaultFlushRows           = 5_000_000
	DefaultFlushTime           = 6 * time.Hour
	DefaultFlushSegmentSize    = 200 << 20
	DefaultAutotuneInitialRows = 100_000
	DefaultMaxRecordsToFetch   = 10_000
	DefaultRequestsPerSecond   = 1.0
	DefaultFetchTimeout        = 5 * time.Second
	DefaultConnectionTimeout   = 30 * time.Second
	DefaultIdleTimeout         = 3 * time.Minute
	DefaultSessionDuration     = 900 * time.Second
)

// ErrInvalid is tableconfig.ErrInvalid: every error of Parse and Validate
// matches it, so APIs answer a bad stream config as a bad table config
// (HTTP 400).
var ErrInvalid = tableconfig.ErrInvalid

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }

// Parse reads one stream config map.
func Parse(m map[string]string) (*Config, error) {
	return parse(m, "streamConfigs")
}

// Validate parses every stream config of a REALTIME table and returns
// their warnings; an OFFLINE table has none to check.
func Validate(tc *tableconfig.TableConfig) (warnings []string, err error) {
	if tc.TableType != tableconfig.Realtime {
		return nil, nil
	}
	for i, m := range tc.Ingestion.StreamConfigs {
		where := "streamConfigs"
		if len(tc.Ingestion.StreamConfigs) > 1 {
			where = fmt.Sprintf("streamConfigs[%d]", i)
		}
		c, err := parse(m, where)
		if err != nil {
			return nil, &invalidError{msg: fmt.Sprintf("table config %q: %v", tc.TableNameWithType(), err)}
		}
		warnings = append(warnings, c.Warnings...)
	}
	return warnings, nil
}

// IsInvalid reports whether err is a config error (a shorthand for
// errors.Is(err, ErrInvalid)).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

func supportedTypes() string { return strings.Join([]string{string(Kinesis), string(Local)}, ", ") }
