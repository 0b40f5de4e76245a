// Package memstream is an in-memory stream for unit tests of the code that
// consumes streams: records are appended with Append, partitions split and
// merge as Kinesis shards do, Trim drops old records as a stream's
// retention would (so that Fetch reports stream.ErrOffsetExpired), and
// SetFetchHook injects fetch failures. It passes streamtest's acceptance
// test.
//
//	s := memstream.New(2)
//	off, _ := s.Append("shardId-000000000000", "key", []byte(`{"a":1}`))
//	c, _ := s.Consumer("shardId-000000000000")
//	r, _ := c.Fetch(ctx, stream.Start, 100) // r.Records[0].Offset == off
//
// Partition IDs look like Kinesis shard IDs ("shardId-000000000003"), so
// that code deriving a partition number from them works unchanged. A
// record's offset is its sequence number within the partition, a decimal
// from 1; Compare orders Start and AtTime markers before them.
//
// Arrival times come from the injected clock and never go backwards within
// a partition (a record arrives no earlier than the one before it), so an
// AtTime offset is found by binary search.
package memstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tannin-db/tannin/stream"
)

// Options configure a Stream; the zero value is usable.
type Options struct {
	// Now is the clock that stamps arrivals (default time.Now).
	Now func() time.Time
	// FetchWait is how long a Fetch waits for records before it returns
	// empty (default 500ms; at most about a second, per the contract).
	FetchWait time.Duration
}

// Stream is an in-memory stream. It is safe for concurrent use.
type Stream struct {
	now  func() time.Time
	wait time.Duration

	mu     sync.Mutex
	parts  map[string]*partition
	nextID int
	hook   func(partition string, from stream.Offset) error
	closed bool
}

type record struct {
	key     string
	data    []byte
	arrival int64
}

type partition struct {
	id      string
	parents []string
	closed  bool
	// trimmed records were dropped from the front of recs: recs[0] has
	// sequence number trimmed+1.
	trimmed uint64
	recs    []record
	// changed is closed and replaced whenever the partition gains a
	// record or closes, waking fetches that wait.
	changed chan struct{}
}

func (p *partition) end() uint64 { return p.trimmed + uint64(len(p.recs)) }

// New returns a stream with n open partitions and default options.
func New(n int) *Stream { return NewWithOptions(n, Options{}) }

// NewWithOptions returns a stream with n open partitions.
func NewWithOptions(n int, o Options) *Stream {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FetchWait <= 0 {
		o.FetchWait = 500 * time.Millisecond
	}
	s := &Stream{now: o.Now, wait: o.FetchWait, parts: map[string]*partition{}}
	for range n {
		s.addLocked(nil)
	}
	return s
}

func (s *Stream) addLocked(parents []string) *partition {
	p := &partition{id: fmt.Sprintf("shardId-%012d", s.nextID), parents: parents, changed: make(chan struct{})}
	s.nextID++
	s.parts[p.id] = p
	return p
}

func (s *Stream) get(id string) (*partition, error) {
	if s.closed {
		return nil, errors.New("memstream: stream is closed")
	}
	p, ok := s.parts[id]
	if !ok {
		return nil, fmt.Errorf("memstream: partition %q: %w", id, stream.ErrUnknownPartition)
	}
	return p, nil
}

func (p *partition) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Append adds a record to an open partition and returns its offset. data
// is copied.
func (s *Stream) Append(partition, key string, data []byte) (stream.Offset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return "", err
	}
	if p.closed {
		return "", fmt.Errorf("memstream: append to partition %q: it is closed (split or merged)", partition)
	}
	arrival := s.now().UnixMilli()
	if n := len(p.recs); n > 0 {
		arrival = max(arrival, p.recs[n-1].arrival)
	}
	p.recs = append(p.recs, record{key: key, data: slices.Clone(data), arrival: arrival})
	p.notify()
	return seqOffset(p.end()), nil
}

// Split closes partition and returns the two open partitions that replace
// it.
func (s *Stream) Split(partition string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return nil, err
	}
	if p.closed {
		return nil, fmt.Errorf("memstream: split partition %q: it is already closed", partition)
	}
	p.closed = true
	p.notify()
	a, b := s.addLocked([]string{partition}), s.addLocked([]string{partition})
	return []string{a.id, b.id}, nil
}

// Merge closes partitions a and b and returns the open partition that
// replaces them.
func (s *Stream) Merge(a, b string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == b {
		return "", fmt.Errorf("memstream: merge partition %q with itself", a)
	}
	pa, err := s.get(a)
	if err != nil {
		return "", err
	}
	pb, err := s.get(b)
	if err != nil {
		return "", err
	}
	for _, p := range []*partition{pa, pb} {
		if p.closed {
			return "", fmt.Errorf("memstream: merge partition %q: it is already closed", p.id)
		}
	}
	pa.closed, pb.closed = true, true
	pa.notify()
	pb.notify()
	return s.addLocked([]string{a, b}).id, nil
}

// Trim drops the records of partition up to and including the one at
// through, as a stream's retention would: a later Fetch from an offset
// before through fails with stream.ErrOffsetExpired, and Fetch from Start
// begins after through.
func (s *Stream) Trim(partition string, through stream.Offset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return err
	}
	seq, err := parseSeq(through)
	if err != nil {
		return fmt.Errorf("memstream: trim partition %q: %w", partition, err)
	}
	if seq > p.end() {
		return fmt.Errorf("memstream: trim partition %q through %q: it ends at %d", partition, through, p.end())
	}
	if seq <= p.trimmed {
		return nil
	}
	drop := seq - p.trimmed
	p.recs = slices.Delete(p.recs, 0, int(drop))
	p.trimmed = seq
	return nil
}

// SetFetchHook makes every Fetch call hook first (nil removes it); a
// non-nil error from it is what that Fetch returns, unchanged. Tests use
// it to inject stream failures, e.g. the first two fetches of a partition
// failing with a throttling error.
func (s *Stream) SetFetchHook(hook func(partition string, from stream.Offset) error) {
	s.mu.Lock()
	s.hook = hook
	s.mu.Unlock()
}

// Partitions lists the partitions ordered by ID.
func (s *Stream) Partitions(ctx context.Context) ([]stream.Partition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("memstream: stream is closed")
	}
	out := make([]stream.Partition, 0, len(s.parts))
	for _, p := range s.parts {
		out = append(out, stream.Partition{ID: p.id, Parents: slices.Clone(p.parents), Closed: p.closed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Consumer returns a consumer of one partition.
func (s *Stream) Consumer(partition string) (stream.Consumer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(partition); err != nil {
		return nil, err
	}
	return &consumer{s: s, id: partition}, nil
}

// Compare orders two offsets: Start, then AtTime markers by time, then
// record offsets by sequence number.
func (s *Stream) Compare(a, b stream.Offset) (int, error) {
	return stream.CompareIntOffsets(a, b, offsetForm)
}

// Close makes later calls fail; it does not wake waiting fetches, which
// return at their deadline.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

type consumer struct {
	s      *Stream
	id     string
	buf    []stream.Record
	closed bool
}

func (c *consumer) Close() error {
	c.closed = true
	return nil
}

// Fetch returns up to max records after from, waiting up to the stream's
// FetchWait for the first one.
func (c *consumer) Fetch(ctx context.Context, from stream.Offset, max int) (stream.FetchResult, error) {
	if c.closed {
		return stream.FetchResult{}, fmt.Errorf("memstream: partition %q: fetch on a closed consumer", c.id)
	}
	if max < 1 {
		return stream.FetchResult{}, fmt.Errorf("memstream: partition %q: fetch of %d records; max must be at least 1", c.id, max)
	}
	key, err := stream.ParseIntOffset(from, offsetForm)
	if err != nil {
		return stream.FetchResult{}, fmt.Errorf("memstream: partition %q: %w", c.id, err)
	}
	c.s.mu.Lock()
	hook := c.s.hook
	c.s.mu.Unlock()
	if hook != nil {
		if err := hook(c.id, from); err != nil {
			return stream.FetchResult{}, err
		}
	}
	var timer *time.Timer
	for {
		if err := ctx.Err(); err != nil {
			return stream.FetchResult{}, err
		}
		r, wait, err := c.fetchOnce(from, key, max)
		if err != nil || wait == nil {
			if timer != nil {
				timer.Stop()
			}
			return r, err
		}
		if timer == nil {
			timer = time.NewTimer(c.s.wait)
		}
		select {
		case <-wait:
		case <-timer.C:
			return r, nil
		case <-ctx.Done():
			timer.Stop()
			return stream.FetchResult{}, ctx.Err()
		}
	}
}

// fetchOnce returns the records there are, or, when there are none and
// more may come, the channel that signals a change.
func (c *consumer) fetchOnce(from stream.Offset, key stream.Position, limit int) (stream.FetchResult, <-chan struct{}, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(c.id)
	if err != nil {
		return stream.FetchResult{}, nil, err
	}
	// first is the index into p.recs of the first record to return.
	var first int
	switch key.Kind {
	case stream.PosStart:
		first = 0
	case stream.PosTime:
		first = sort.Search(len(p.recs), func(i int) bool { return p.recs[i].arrival >= key.N })
	default:
		seq := uint64(key.N)
		if seq > p.end() {
			return stream.FetchResult{}, nil, fmt.Errorf("memstream: partition %q: offset %q is beyond its last record (%d)", c.id, from, p.end())
		}
		if seq < p.trimmed {
			return stream.FetchResult{}, nil, fmt.Errorf("memstream: partition %q: records %d to %d after offset %q were trimmed: %w", c.id, seq+1, p.trimmed, from, stream.ErrOffsetExpired)
		}
		first = int(seq - p.trimmed)
	}
	n := min(len(p.recs)-first, limit)
	res := stream.FetchResult{Next: from, LagMs: 0}
	if n == 0 {
		if p.closed {
			res.EndOfPartition = true
			return res, nil, nil
		}
		return res, p.changed, nil
	}
	c.buf = c.buf[:0]
	for i := first; i < first+n; i++ {
		r := &p.recs[i]
		c.buf = append(c.buf, stream.Record{Offset: seqOffset(p.trimmed + uint64(i) + 1), Data: r.data, Key: r.key, ArrivalMs: r.arrival})
	}
	res.Records = c.buf
	res.Next = c.buf[n-1].Offset
	if next := first + n; next < len(p.recs) {
		res.LagMs = max(0, s.now().UnixMilli()-p.recs[next].arrival)
	} else {
		res.EndOfPartition = p.closed
	}
	return res, nil, nil
}

func seqOffset(seq uint64) stream.Offset { return stream.Offset(strconv.FormatUint(seq, 10)) }

// parseSeq reads a record offset: a decimal sequence number from 1,
// without leading zeros, so that each position has one spelling.
func parseSeq(o stream.Offset) (uint64, error) {
	s := string(o)
	seq, err := strconv.ParseUint(s, 10, 63)
	if err != nil || seq == 0 || s[0] == '0' {
		return 0, fmt.Errorf("malformed offset %q: %s", o, offsetForm)
	}
	return seq, nil
}

// offsetForm describes record offsets in errors.
const offsetForm = "a memstream record offset is a sequence number from 1"
