package kinesis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"golang.org/x/time/rate"

	"github.com/tannin-db/tannin/stream"
)

// Consumer reads one shard; see doc.go, Fetch. It is used by one
// goroutine at a time.
type Consumer struct {
	s     *Stream
	shard string
	lim   *rate.Limiter

	// The position: valid reports that the fields below describe the
	// stream after next, the Next of the last Fetch.
	valid bool
	next  stream.Offset
	// pending are user records already read after next (an aggregate
	// larger than the caller's max), served before any GetRecords.
	pending []stream.Record
	// iter reads the records after pending; nil before the first
	// GetShardIterator and after an expired iterator.
	iter *string
	// ended: the shard is closed and nothing follows pending.
	ended bool
	// skipSeq/skipThrough: the iterator was opened AT_SEQUENCE_NUMBER
	// skipSeq to resume inside an aggregate; its first record must be
	// skipSeq, and its user records 0..skipThrough are skipped.
	skipSeq     string
	skipThrough int64
	// lag is the last MillisBehindLatest, -1 if unknown.
	lag int64

	// Throttling: the count in a row, and no request before notBefore.
	throttles int
	notBefore time.Time

	buf    []stream.Record
	agg    deaggregator
	offs   []stream.Offset
	offBuf []byte
}

var _ stream.Consumer = (*Consumer)(nil)

// Fetch returns up to max user records after from.
func (c *Consumer) Fetch(ctx context.Context, from stream.Offset, max int) (stream.FetchResult, error) {
	if max < 1 {
		return stream.FetchResult{}, fmt.Errorf("kinesis: fetch from %s: max %d: want at least 1", c.shard, max)
	}
	if !c.valid || from != c.next {
		if _, err := parseOffset(from); err != nil {
			return stream.FetchResult{}, err
		}
		c.reset(from)
	}
	if len(c.pending) > 0 {
		return c.serve(max), nil
	}
	if c.ended {
		return c.result(nil), nil
	}
	deadline := time.Now().Add(c.s.cfg.MaxWait)
	expired := 0
	for {
		if err := ctx.Err(); err != nil {
			return stream.FetchResult{}, err
		}
		if wait := time.Until(c.notBefore); wait > 0 {
			if ok, err := waitWithin(ctx, wait, deadline); !ok {
				return c.result(nil), err
			}
		}
		if c.iter == nil {
			err := c.newIterator(ctx, deadline)
			switch {
			case err == nil:
			case errors.Is(err, errAtTimeFuture), errors.Is(err, errNoIteratorYet):
				if ok, err := waitWithin(ctx, c.s.cfg.IdlePoll, deadline); !ok {
					return c.result(nil), err
				}
				continue
			case classify(err) == errThrottled:
				c.throttled()
				continue
			default:
				return stream.FetchResult{}, err
			}
			if c.ended {
				return c.result(nil), nil
			}
		}

		// The rate limit: a request that may not go before the deadline
		// gives its token back, and the Fetch returns empty at the deadline.
		r := c.lim.Reserve()
		if d := r.Delay(); d > 0 {
			if time.Now().Add(d).After(deadline) {
				r.Cancel()
				_, err := waitWithin(ctx, time.Until(deadline), deadline)
				return c.result(nil), err
			}
			if err := sleepCtx(ctx, d); err != nil {
				r.Cancel()
				return stream.FetchResult{}, err
			}
		}
		limit := min(max, c.s.cfg.MaxRecordsToFetch)
		out, err := c.s.client.GetRecords(ctx, &kinesis.GetRecordsInput{
			ShardIterator: c.iter,
			Limit:         aws.Int32(int32(limit)),
		})
		if err != nil {
			switch classify(err) {
			case errThrottled:
				c.throttled()
				continue
			case errExpired:
				// Iterators live 5 minutes; a new one from the last offset
				// reads the same records. A fresh iterator that is expired
				// too means clocks disagree: an error, not a loop.
				if expired++; expired > 1 {
					return stream.FetchResult{}, fmt.Errorf("kinesis: get records from %s of %q after %q: a new shard iterator expired at once: %w",
						c.shard, c.s.cfg.StreamName, c.next, err)
				}
				c.s.log.Debug("kinesis: shard iterator expired; getting a new one",
					"stream", c.s.cfg.StreamName, "partition", c.shard, "offset", string(c.next))
				c.iter = nil
				continue
			case errNotFound:
				return stream.FetchResult{}, fmt.Errorf("kinesis: get records from %s of %q: %w (%w)",
					c.shard, c.s.cfg.StreamName, stream.ErrUnknownPartition, err)
			case errTrimmed:
				return stream.FetchResult{}, fmt.Errorf("kinesis: get records from %s of %q after %q: %w (%w)",
					c.shard, c.s.cfg.StreamName, c.next, stream.ErrOffsetExpired, err)
			}
			if ctx.Err() != nil {
				return stream.FetchResult{}, ctx.Err()
			}
			return stream.FetchResult{}, fmt.Errorf("kinesis: get records from %s of %q after %q: %w",
				c.shard, c.s.cfg.StreamName, c.next, err)
		}
		c.throttles = 0
		c.lag = -1
		if out.MillisBehindLatest != nil {
			c.lag = *out.MillisBehindLatest
		}
		recs, err := c.expand(out.Records)
		if err != nil {
			c.valid = false
			return stream.FetchResult{}, err
		}
		c.iter = out.NextShardIterator
		if c.iter != nil && *c.iter == "" {
			c.iter = nil
		}
		c.ended = c.iter == nil
		if len(recs) > 0 {
			c.pending = recs
			return c.serve(max), nil
		}
		if c.ended {
			return c.result(nil), nil
		}
		if c.lag > 0 {
			// Behind the tip: the records are further on (Kinesis returns
			// empty pages over sparse stretches of a shard).
			continue
		}
		if ok, err := waitWithin(ctx, c.s.cfg.IdlePoll, deadline); !ok {
			return c.result(nil), err
		}
	}
}

// Close releases the consumer; the shard's rate limiter stays with the
// Stream for its other consumers.
func (c *Consumer) Close() error {
	c.reset("")
	c.valid = false
	return nil
}

// reset forgets the position and starts over at from.
func (c *Consumer) reset(from stream.Offset) {
	c.valid = true
	c.next = from
	c.pending = nil
	c.iter = nil
	c.ended = false
	c.skipSeq = ""
	c.lag = -1
}

// serve returns up to max pending records.
func (c *Consumer) serve(max int) stream.FetchResult {
	n := min(max, len(c.pending))
	recs := c.pending[:n:n]
	c.pending = c.pending[n:]
	c.next = recs[n-1].Offset
	return c.result(recs)
}

func (c *Consumer) result(recs []stream.Record) stream.FetchResult {
	res := stream.FetchResult{Records: recs, Next: c.next, LagMs: c.lag}
	if c.ended && len(c.pending) == 0 {
		res.EndOfPartition = true
		if res.LagMs < 0 {
			res.LagMs = 0
		}
	}
	return res
}

func (c *Consumer) throttled() {
	c.throttles++
	d := backoff(c.throttles, c.s.cfg.BackoffBase, c.s.cfg.BackoffMax)
	c.notBefore = time.Now().Add(d)
	c.s.log.Debug("kinesis: throttled; backing off", "stream", c.s.cfg.StreamName,
		"partition", c.shard, "throttles", c.throttles, "wait", d)
}

// errNoIteratorYet: an AT_TIMESTAMP GetShardIterator did not answer within
// the Fetch's wait. kinesalite never answers one for which no record has
// arrived yet at or after the time (it waits for a first match that does
// not come), so the request is bounded and retried on the next poll; Kinesis
// itself answers at once.
var errNoIteratorYet = errors.New("no iterator yet")

// newIterator gets an iterator for the records after c.next.
func (c *Consumer) newIterator(ctx context.Context, deadline time.Time) error {
	pos, err := parseOffset(c.next)
	if err != nil {
		return fmt.Errorf("BUG: consumer position: %w", err)
	}
	in := &kinesis.GetShardIteratorInput{
		StreamName: aws.String(c.s.cfg.StreamName),
		ShardId:    aws.String(c.shard),
	}
	c.skipSeq = ""
	callCtx := ctx
	switch pos.kind {
	case kindStart:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	case kindTime:
		// AtTime(ms) in the future has no record after it yet, and
		// Kinesis-API servers refuse a future timestamp.
		if pos.ms > time.Now().UnixMilli() {
			return errAtTimeFuture
		}
		in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
		in.Timestamp = aws.Time(time.UnixMilli(pos.ms))
		var cancel context.CancelFunc
		callCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	case kindRecord:
		in.StartingSequenceNumber = aws.String(pos.seq)
		if pos.sub == whole {
			in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		} else {
			in.ShardIteratorType = types.ShardIteratorTypeAtSequenceNumber
		}
	}
	out, err := c.s.client.GetShardIterator(callCtx, in)
	if err != nil {
		if pos.kind == kindTime && ctx.Err() == nil && callCtx.Err() != nil {
			return errNoIteratorYet
		}
		switch classify(err) {
		case errThrottled:
			return err
		case errNotFound:
			return fmt.Errorf("kinesis: get shard iterator of %s of %q: %w (%w)",
				c.shard, c.s.cfg.StreamName, stream.ErrUnknownPartition, err)
		case errTrimmed:
			return fmt.Errorf("kinesis: get shard iterator of %s of %q at %q: %w (%w)",
				c.shard, c.s.cfg.StreamName, c.next, stream.ErrOffsetExpired, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("kinesis: get shard iterator of %s of %q at %q: %w", c.shard, c.s.cfg.StreamName, c.next, err)
	}
	c.throttles = 0
	if out.ShardIterator == nil || *out.ShardIterator == "" {
		// Nothing can be read after this position of a closed shard.
		c.ended = true
		return nil
	}
	c.iter = out.ShardIterator
	if pos.kind == kindRecord && pos.sub != whole {
		c.skipSeq, c.skipThrough = pos.seq, pos.sub
	}
	return nil
}

// expand turns Kinesis records into user records, splitting aggregates.
func (c *Consumer) expand(in []types.Record) ([]stream.Record, error) {
	out := c.buf[:0]
	for i := range in {
		r := &in[i]
		seq := aws.ToString(r.SequenceNumber)
		if err := checkSeq(seq); err != nil {
			return nil, fmt.Errorf("kinesis: record from %s of %q: %w", c.shard, c.s.cfg.StreamName, err)
		}
		skip := int64(-1)
		if c.skipSeq != "" {
			if seq != c.skipSeq {
				return nil, fmt.Errorf("kinesis: resume inside aggregate %s of %s of %q: the shard now starts at %s: %w",
					c.skipSeq, c.shard, c.s.cfg.StreamName, seq, stream.ErrOffsetExpired)
			}
			skip = c.skipThrough
			c.skipSeq = ""
		}
		var arrival int64
		if r.ApproximateArrivalTimestamp != nil {
			arrival = r.ApproximateArrivalTimestamp.UnixMilli()
		}
		key := aws.ToString(r.PartitionKey)
		if isAggregate(r.Data) {
			subs, err := c.agg.decode(r.Data)
			if err == nil {
				first := int(skip + 1)
				offs := c.subOffsets(seq, first, len(subs)-1)
				for j := first; j < len(subs); j++ {
					off := stream.Offset(seq)
					if j < len(subs)-1 {
						off = offs[j-first]
					}
					out = append(out, stream.Record{Offset: off, Data: subs[j].data, Key: subs[j].key, ArrivalMs: arrival})
				}
				continue
			}
			c.s.log.Warn("kinesis: corrupt KPL aggregate; delivering it as one record",
				"stream", c.s.cfg.StreamName, "partition", c.shard, "offset", seq, "err", err)
		}
		if skip >= 0 {
			// A plain record holds one user record, and offsets inside it
			// are never produced; skipping "through" it means all of it.
			continue
		}
		out = append(out, stream.Record{Offset: stream.Offset(seq), Data: r.Data, Key: key, ArrivalMs: arrival})
	}
	c.buf = out
	return out, nil
}

// subOffsets returns the offsets "<seq>/<i>" for i in [from, to), all
// slices of one string: one allocation per aggregate, not per user record.
// The slice is scratch, valid until the next call.
func (c *Consumer) subOffsets(seq string, from, to int) []stream.Offset {
	c.offs = c.offs[:0]
	if from >= to {
		return c.offs
	}
	b := c.offBuf[:0]
	for i := from; i < to; i++ {
		b = append(b, seq...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(i), 10)
	}
	c.offBuf = b
	all := string(b)
	pos := 0
	for i := from; i < to; i++ {
		n := len(seq) + 1 + digits(i)
		c.offs = append(c.offs, stream.Offset(all[pos:pos+n]))
		pos += n
	}
	return c.offs
}

func digits(i int) int {
	n := 1
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}

// waitWithin sleeps d, but not past deadline. It reports whether the
// deadline is still ahead afterwards (false: the Fetch should return).
func waitWithin(ctx context.Context, d time.Duration, deadline time.Time) (bool, error) {
	left := time.Until(deadline)
	if d > left {
		d = left
	}
	if err := sleepCtx(ctx, d); err != nil {
		return false, err
	}
	return time.Now().Before(deadline), nil
}
