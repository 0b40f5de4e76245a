// Package stream is the interface between realtime ingestion and the event
// streams it consumes. A stream has partitions (Kinesis shards); a
// partition is an ordered sequence of records, each at an Offset. Providers
// live in subpackages (memstream for unit tests, localstream for the
// quickstart, kinesis) and every provider passes the one acceptance test in
// streamtest.
//
// Offsets are positions between records: a record's Offset is the position
// just after it, so "fetch from the offset of the last record consumed"
// resumes with the next one, and a segment's end offset is the start
// offset of the next segment. Offsets are opaque strings that only the
// provider orders (Kinesis sequence numbers are 56-digit decimals, compared
// as big integers); Start names the position before a partition's first
// record.
package stream

import (
	"context"
	"errors"
	"strconv"
)

// Offset is a position in one partition, between two records.
type Offset string

// Start is the offset before the first record a partition ever held
// (Kinesis TRIM_HORIZON: the oldest record still retained).
const Start Offset = ""

// AtTime is the offset before the first record that arrived at or after
// ms, epoch milliseconds (Kinesis AT_TIMESTAMP; LATEST is resolved to
// AtTime(now) once, when the table is created, so that every replica and
// every restart starts at the same place). Start and AtTime offsets are
// markers: every provider accepts them in Fetch, and Compare orders them
// before every record offset of the partition (Start before any AtTime,
// AtTimes by time), which holds for the offsets one segment's replicas
// report.
func AtTime(ms int64) Offset { return Offset("@" + strconv.FormatInt(ms, 10)) }

// ParseMarker reports whether o is Start or an AtTime marker, and the
// marker's time (0 for Start).
func ParseMarker(o Offset) (ms int64, ok bool) {
	if o == Start {
		return 0, true
	}
	if len(o) < 2 || o[0] != '@' {
		return 0, false
	}
	ms, err := strconv.ParseInt(string(o[1:]), 10, 64)
	return ms, err == nil
}

// ErrUnknownPartition is returned (wrapped) for a partition id the stream
// does not have.
var ErrUnknownPartition = errors.New("stream: unknown partition")

// ErrOffsetExpired is returned (wrapped) by Fetch when the records after
// the offset have been trimmed by the stream's retention: the records in
// between are lost, and the caller must decide (count and log them, then
// resume from Start).
var ErrOffsetExpired = errors.New("stream: offset is older than the stream's retention")

// Partition describes one partition.
type Partition struct {
	// ID is the provider's name for it ("shardId-000000000000").
	ID string
	// Parents are the partitions this one was split or merged from; a
	// consumer reads a partition only after each parent is read to its end
	// (FetchResult.EndOfPartition), so that per-key order holds.
	Parents []string
	// Closed reports that no record will be added any more (a parent
	// after a split or merge). Its remaining records can still be read.
	Closed bool
}

// Record is one event.
type Record struct {
	// Offset is the position just after this record.
	Offset Offset
	Data   []byte
	// Key is the partition key the producer gave.
	Key string
	// ArrivalMs is when the stream accepted the record (Kinesis
	// ApproximateArrivalTimestamp), in epoch milliseconds; 0 if unknown.
	ArrivalMs int64
}

// FetchResult is one fetch from a partition.
type FetchResult struct {
	// Records follow the requested offset, in order. They and their Data
	// stay valid until the next Fetch on the same Consumer.
	Records []Record
	// Next is the offset to fetch from next: the last record's Offset, or
	// the requested offset when Records is empty.
	Next Offset
	// EndOfPartition reports that the partition is closed and every record
	// up to Next was read: nothing will ever follow Next.
	EndOfPartition bool
	// LagMs is how far behind the partition's newest record Next is, in
	// milliseconds (Kinesis MillisBehindLatest); -1 if unknown.
	LagMs int64
}

// Stream is one stream (a Kinesis stream, a topic).
type Stream interface {
	// Partitions lists the partitions, open and closed, with their
	// lineage, ordered by ID.
	Partitions(ctx context.Context) ([]Partition, error)
	// Consumer reads one partition. A Consumer is used by one goroutine at
	// a time; several Consumers of a partition are independent.
	Consumer(partition string) (Consumer, error)
	// Compare orders two offsets of one partition: -1, 0 or +1. It fails
	// on an offset the provider could not have produced.
	Compare(a, b Offset) (int, error)
	// Close releases the stream's resources.
	Close() error
}

// Consumer reads one partition.
type Consumer interface {
	// Fetch returns up to max records after from. It returns as soon as
	// some records are there, or empty after a short wait (at most about a
	// second) when none are: callers loop. It honours ctx.
	Fetch(ctx context.Context, from Offset, max int) (FetchResult, error)
	// Close releases the consumer.
	Close() error
}
