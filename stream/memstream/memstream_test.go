package memstream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamtest"
)

type harness struct{}

type producer struct{ s *Stream }

func (harness) New(t *testing.T, partitions int) (stream.Stream, streamtest.Producer) {
	s := New(partitions)
	t.Cleanup(func() { s.Close() })
	return s, producer{s}
}

func (p producer) Produce(ctx context.Context, partition string, recs ...streamtest.Rec) ([]stream.Offset, error) {
	offs := make([]stream.Offset, len(recs))
	for i, r := range recs {
		o, err := p.s.Append(partition, r.Key, r.Data)
		if err != nil {
			return nil, err
		}
		offs[i] = o
	}
	return offs, nil
}

func (p producer) Split(ctx context.Context, partition string) ([]string, error) {
	return p.s.Split(partition)
}

func (p producer) Merge(ctx context.Context, a, b string) (string, error) { return p.s.Merge(a, b) }

func TestAcceptance(t *testing.T) { streamtest.AcceptanceTest(t, harness{}) }

func TestTrimExpiresOffsets(t *testing.T) {
	s := New(1)
	const id = "shardId-000000000000"
	var offs []stream.Offset
	for _, d := range []string{"a", "b", "c", "d"} {
		o, err := s.Append(id, "k", []byte(d))
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, o)
	}
	if err := s.Trim(id, offs[1]); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Consumer(id)
	ctx := context.Background()
	_, err := c.Fetch(ctx, offs[0], 10)
	if !errors.Is(err, stream.ErrOffsetExpired) {
		t.Fatalf("Fetch from a trimmed offset: %v, want ErrOffsetExpired", err)
	}
	if want := `memstream: partition "shardId-000000000000": records 2 to 2 after offset "1" were trimmed: stream: offset is older than the stream's retention`; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	// From the trim point and from Start, reading resumes at "c".
	for _, from := range []stream.Offset{offs[1], stream.Start} {
		r, err := c.Fetch(ctx, from, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Records) != 2 || string(r.Records[0].Data) != "c" || r.Records[0].Offset != offs[2] {
			t.Fatalf("Fetch(from %q) after the trim: %+v", from, r.Records)
		}
	}
	if err := s.Trim(id, "9"); err == nil {
		t.Fatal("Trim beyond the end succeeded")
	}
}

func TestFetchHookInjectsErrors(t *testing.T) {
	s := New(1)
	const id = "shardId-000000000000"
	s.Append(id, "k", []byte("x"))
	throttled := errors.New("throughput exceeded")
	fails := 2
	s.SetFetchHook(func(partition string, from stream.Offset) error {
		if partition == id && fails > 0 {
			fails--
			return throttled
		}
		return nil
	})
	c, _ := s.Consumer(id)
	for i := range 2 {
		if _, err := c.Fetch(context.Background(), stream.Start, 10); err != throttled {
			t.Fatalf("fetch %d: %v, want the injected error", i, err)
		}
	}
	r, err := c.Fetch(context.Background(), stream.Start, 10)
	if err != nil || len(r.Records) != 1 {
		t.Fatalf("fetch after the failures: %v, %d records", err, len(r.Records))
	}
}

func TestClockAndLag(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	s := NewWithOptions(1, Options{Now: func() time.Time { return now }, FetchWait: 10 * time.Millisecond})
	const id = "shardId-000000000000"
	s.Append(id, "k", []byte("a"))
	now = now.Add(-time.Second) // the clock steps back: arrivals do not
	s.Append(id, "k", []byte("b"))
	now = now.Add(5 * time.Second)
	c, _ := s.Consumer(id)
	r, err := c.Fetch(context.Background(), stream.Start, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Records[0].ArrivalMs != 1_000_000 || r.LagMs != 4000 {
		t.Fatalf("arrival %d lag %d, want 1000000 and 4000 (the unread record is 4s old)", r.Records[0].ArrivalMs, r.LagMs)
	}
	r, _ = c.Fetch(context.Background(), r.Next, 1)
	if r.Records[0].ArrivalMs != 1_000_000 || r.LagMs != 0 {
		t.Fatalf("second record: arrival %d lag %d, want 1000000 (never before the first) and 0", r.Records[0].ArrivalMs, r.LagMs)
	}
}

func TestAppendErrors(t *testing.T) {
	s := New(1)
	if _, err := s.Append("shardId-000000000009", "k", nil); !errors.Is(err, stream.ErrUnknownPartition) {
		t.Fatalf("append to an unknown partition: %v", err)
	}
	if _, err := s.Split("shardId-000000000000"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append("shardId-000000000000", "k", nil)
	if want := `memstream: append to partition "shardId-000000000000": it is closed (split or merged)`; err == nil || err.Error() != want {
		t.Fatalf("append to a closed partition: %v, want %q", err, want)
	}
	c, _ := s.Consumer("shardId-000000000001")
	if _, err := c.Fetch(context.Background(), "5", 1); err == nil {
		t.Fatal("fetch from beyond the end succeeded")
	}
}
