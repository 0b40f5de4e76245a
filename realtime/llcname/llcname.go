// Package llcname formats and parses the names of realtime segments in
// Apache Pinot's LLC form, and maps stream partitions to the integer
// partition group ids those names carry.
//
// A realtime segment is named
//
//	{table}__{partitionGroupId}__{sequence}__{yyyyMMdd'T'HHmm'Z'}
//
// for example "clicks__3__17__20260101T0000Z": the raw table name (no
// _REALTIME suffix), the partition group the segment consumes, its
// sequence number within that partition group (0, 1, 2, ... with each
// commit opening the next) and its creation time in UTC to the minute
// (Pinot's LLCSegmentName). Pinot's UI, its segment APIs and scripts that
// list segments rely on this shape, so Tannin keeps it.
//
// Names are canonical: numbers are decimal without sign or leading zeros,
// so one segment has exactly one name, and all names of one partition group
// share the prefix PartitionPrefix(table, id) — the cluster metadata guards
// a partition's transitions on that key prefix. Pinot's five-part
// multi-topic form ({table}__{topic}__{partition}__{seq}__{time}, for
// tables with several streams) is refused: Tannin consumes one stream per
// table.
package llcname

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Separator separates the parts of a name; a table name may not contain it.
const Separator = "__"

// timeLayout is Pinot's yyyyMMdd'T'HHmm'Z' in Go's layout language.
const timeLayout = "20060102T1504Z"

// Name is a parsed LLC segment name.
type Name struct {
	// Table is the raw table name (without _REALTIME).
	Table string
	// PartitionGroup is the stream partition's group id (PartitionGroupID).
	PartitionGroup int
	// Sequence numbers the segments of one partition group from 0.
	Sequence int
	// Created is the creation time, in UTC, truncated to the minute.
	Created time.Time
}

// New returns the name of a segment created at createdMs (epoch
// milliseconds). It fails on a table name that is empty, contains the
// separator or a '/', or on a negative number.
func New(table string, partitionGroup, sequence int, createdMs int64) (Name, error) {
	n := Name{Table: table, PartitionGroup: partitionGroup, Sequence: sequence,
		Created: time.UnixMilli(createdMs).UTC().Truncate(time.Minute)}
	if err := n.validate(); err != nil {
		return Name{}, err
	}
	return n, nil
}

func (n Name) validate() error {
	switch {
	case n.Table == "":
		return errors.New("llc segment name: empty table name")
	case strings.Contains(n.Table, Separator):
		return fmt.Errorf("llc segment name: table name %q contains %q", n.Table, Separator)
	case strings.ContainsRune(n.Table, '/'):
		return fmt.Errorf("llc segment name: table name %q contains '/'", n.Table)
	case n.PartitionGroup < 0 || n.PartitionGroup > math.MaxInt32:
		return fmt.Errorf("llc segment name: partition group %d out of range [0, 2^31)", n.PartitionGroup)
	case n.Sequence < 0 || n.Sequence > math.MaxInt32:
		return fmt.Errorf("llc segment name: sequence %d out of range [0, 2^31)", n.Sequence)
	}
	return nil
}

// String formats the name.
func (n Name) String() string {
	var b strings.Builder
	b.Grow(len(n.Table) + 40)
	b.WriteString(n.Table)
	b.WriteString(Separator)
	b.WriteString(strconv.Itoa(n.PartitionGroup))
	b.WriteString(Separator)
	b.WriteString(strconv.Itoa(n.Sequence))
	b.WriteString(Separator)
	b.WriteString(n.Created.UTC().Format(timeLayout))
	return b.String()
}

// Next is the name of the segment that follows n in its partition group,
// created at createdMs.
func (n Name) Next(createdMs int64) Name {
	return Name{Table: n.Table, PartitionGroup: n.PartitionGroup, Sequence: n.Sequence + 1,
		Created: time.UnixMilli(createdMs).UTC().Truncate(time.Minute)}
}

// PartitionPrefix is the prefix every segment name of one partition group
// of table starts with ("clicks__3__"); no other partition group's names
// start with it, since numbers have no leading zeros.
func PartitionPrefix(table string, partitionGroup int) string {
	return table + Separator + strconv.Itoa(partitionGroup) + Separator
}

// Parse parses a name, strictly: exactly four parts, a valid table name,
// canonical decimal numbers and a valid minute-precision UTC time.
func Parse(s string) (Name, error) {
	parts := strings.Split(s, Separator)
	if len(parts) == 5 {
		return Name{}, fmt.Errorf("llc segment name %q: the multi-topic form (5 parts) is not supported", s)
	}
	if len(parts) != 4 {
		return Name{}, fmt.Errorf("llc segment name %q: want 4 parts separated by %q, have %d", s, Separator, len(parts))
	}
	var n Name
	var err error
	n.Table = parts[0]
	if n.PartitionGroup, err = parseCanonical(parts[1]); err != nil {
		return Name{}, fmt.Errorf("llc segment name %q: partition group: %w", s, err)
	}
	if n.Sequence, err = parseCanonical(parts[2]); err != nil {
		return Name{}, fmt.Errorf("llc segment name %q: sequence: %w", s, err)
	}
	if n.Created, err = time.Parse(timeLayout, parts[3]); err != nil || n.Created.Format(timeLayout) != parts[3] {
		return Name{}, fmt.Errorf("llc segment name %q: creation time %q is not yyyyMMdd'T'HHmm'Z'", s, parts[3])
	}
	if err := n.validate(); err != nil {
		return Name{}, fmt.Errorf("%w (in %q)", err, s)
	}
	return n, nil
}

// parseCanonical parses a non-negative decimal int32 without sign or
// leading zeros.
func parseCanonical(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has leading zeros", s)
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is larger than 2^31-1", s)
	}
	return int(v), nil
}

// kinesisShardPrefix starts every Kinesis shard id ("shardId-000000000012").
const kinesisShardPrefix = "shardId-"

// PartitionGroupID maps a stream partition id to its partition group id,
// as Pinot's Kinesis plugin does (KinesisStreamMetadataProvider): the
// number after "shardId-" with leading zeros stripped, so
// "shardId-000000000012" is 12. Kinesis numbers shards of a stream
// uniquely and never reuses a number, also across splits and merges, so
// the mapping is one-to-one over a stream's life. Partition ids that are
// plain decimal numbers ("0", "7": in-memory and local streams) map to
// that number. Anything else, and numbers of 2^31 and more (Pinot's
// documented overflow limit), is an error.
func PartitionGroupID(partition string) (int, error) {
	digits := strings.TrimPrefix(partition, kinesisShardPrefix)
	if digits == "" {
		return 0, fmt.Errorf("stream partition %q: no partition number", partition)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("stream partition %q: want a decimal number or %q followed by one", partition, kinesisShardPrefix)
		}
	}
	trimmed := strings.TrimLeft(digits, "0")
	if trimmed == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(trimmed, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("stream partition %q: number is 2^31 or more", partition)
	}
	return int(v), nil
}
