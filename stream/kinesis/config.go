package kinesis

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config configures a Stream. Start from DefaultConfig.
type Config struct {
	// StreamName is the Kinesis stream (Pinot's stream.kinesis.topic.name).
	StreamName string
	// Region is the AWS region (Pinot's region); required, also with a
	// custom Endpoint, since requests are signed for it.
	Region string
	// Endpoint is a custom Kinesis-API URL (Pinot's endpoint), e.g.
	// kinesalite's; empty for AWS's own.
	Endpoint string
	// AccessKey and SecretKey are static credentials (Pinot's accessKey,
	// secretKey); both empty means the SDK's default credential chain
	// (environment, shared files, web identity, instance role).
	AccessKey, SecretKey string

	// MaxRecordsToFetch caps GetRecords' Limit (Pinot's maxRecordsToFetch,
	// default 10000, Kinesis' maximum).
	MaxRecordsToFetch int
	// RequestsPerSecond limits GetRecords calls per shard (Pinot's
	// requests_per_second_limit, default 1). It is shared by every
	// consumer of a shard opened from one Stream.
	RequestsPerSecond float64

	// MaxWait is the longest a Fetch waits when no record is there before
	// it returns empty (the stream interface says about a second).
	MaxWait time.Duration
	// IdlePoll is the pause between two empty GetRecords on a shard that
	// is caught up (MillisBehindLatest 0), so that an idle shard is not
	// polled as fast as the rate limit allows.
	IdlePoll time.Duration
	// BackoffBase and BackoffMax bound the exponential backoff with jitter
	// after throttling: the n-th throttle in a row waits a random time in
	// [d/2, d], d = min(BackoffMax, BackoffBase·2^(n-1)).
	BackoffBase, BackoffMax time.Duration
	// RequestTimeout bounds one HTTP request (connect to last byte) of the
	// client New builds when HTTPClient is nil.
	RequestTimeout time.Duration
	// HTTPClient, if set, replaces that client (tests inject faults with
	// it).
	HTTPClient aws.HTTPClient
	// Logger receives warnings (a corrupt aggregate, a dropped parent);
	// nil discards them.
	Logger *slog.Logger
}

// Pinot's defaults.
const (
	DefaultMaxRecordsToFetch = 10000
	DefaultRequestsPerSecond = 1.0
	maxGetRecordsLimit       = 10000
)

// DefaultConfig returns the defaults; StreamName and Region are left to
// the caller.
func DefaultConfig() Config {
	return Config{
		MaxRecordsToFetch: DefaultMaxRecordsToFetch,
		RequestsPerSecond: DefaultRequestsPerSecond,
		MaxWait:           time.Second,
		IdlePoll:          200 * time.Millisecond,
		BackoffBase:       100 * time.Millisecond,
		BackoffMax:        5 * time.Second,
		RequestTimeout:    30 * time.Second,
	}
}

// Validate reports the first setting that is wrong, by name.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("kinesis config: "+format, args...)) }
	if c.StreamName == "" {
		bad("stream name is empty")
	} else if len(c.StreamName) > 128 || !validStreamName(c.StreamName) {
		bad("stream name %q: want 1 to 128 characters of [a-zA-Z0-9_.-]", c.StreamName)
	}
	if c.Region == "" {
		bad("region is empty")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("endpoint %q: want an http:// or https:// URL with a host", c.Endpoint)
		}
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		bad("accessKey and secretKey must be given together (or neither, for the default credential chain)")
	}
	if c.MaxRecordsToFetch < 1 || c.MaxRecordsToFetch > maxGetRecordsLimit {
		bad("maxRecordsToFetch %d: want 1 to %d", c.MaxRecordsToFetch, maxGetRecordsLimit)
	}
	if !(c.RequestsPerSecond > 0) || math.IsInf(c.RequestsPerSecond, 0) {
		bad("requests per second %v: want a positive number", c.RequestsPerSecond)
	}
	if c.MaxWait <= 0 {
		bad("max wait %v: want a positive duration", c.MaxWait)
	}
	if c.IdlePoll <= 0 {
		bad("idle poll %v: want a positive duration", c.IdlePoll)
	}
	if c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase {
		bad("backoff %v..%v: want 0 < base <= max", c.BackoffBase, c.BackoffMax)
	}
	if c.HTTPClient == nil && c.RequestTimeout <= 0 {
		bad("request timeout %v: want a positive duration", c.RequestTimeout)
	}
	return errors.Join(errs...)
}

func validStreamName(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-') {
			return false
		}
	}
	return true
}
