package streamtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
)

// EmptyFetchLimit bounds how long a Fetch with nothing to return may take:
// the contract's "about a second", with slack for a loaded machine.
const EmptyFetchLimit = 1500 * time.Millisecond

// waitLimit bounds loops that wait for records that were produced.
const waitLimit = 20 * time.Second

// AcceptanceTest runs the provider contract of package stream against the
// streams h creates.
func AcceptanceTest(t *testing.T, h Harness) {
	t.Run("Partitions", func(t *testing.T) { testPartitions(t, h) })
	t.Run("OrderAndOffsets", func(t *testing.T) { testOrder(t, h) })
	t.Run("FetchFromOffset", func(t *testing.T) { testFromOffset(t, h) })
	t.Run("Max", func(t *testing.T) { testMax(t, h) })
	t.Run("AtTime", func(t *testing.T) { testAtTime(t, h) })
	t.Run("EmptyFetch", func(t *testing.T) { testEmptyFetch(t, h) })
	t.Run("WakesOnProduce", func(t *testing.T) { testWakes(t, h) })
	t.Run("Compare", func(t *testing.T) { testCompare(t, h) })
	t.Run("UnknownPartition", func(t *testing.T) { testUnknownPartition(t, h) })
	t.Run("MalformedOffset", func(t *testing.T) { testMalformedOffset(t, h) })
	t.Run("IndependentConsumers", func(t *testing.T) { testIndependent(t, h) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, h) })
	t.Run("ConcurrentProducers", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("Lineage", func(t *testing.T) { testLineage(t, h) })
}

// ctxFor is a context for one subtest, bounded so that a hung provider
// fails the test instead of stalling it.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func partitionIDs(t *testing.T, s stream.Stream) []string {
	t.Helper()
	ps, err := s.Partitions(ctxFor(t))
	if err != nil {
		t.Fatalf("Partitions: %v", err)
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func consumer(t *testing.T, s stream.Stream, partition string) stream.Consumer {
	t.Helper()
	c, err := s.Consumer(partition)
	if err != nil {
		t.Fatalf("Consumer(%q): %v", partition, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Consumer(%q).Close: %v", partition, err)
		}
	})
	return c
}

// recs makes n records with data "<prefix>-<i>" and key "<prefix>-k<i%3>".
func recs(prefix string, from, n int) []Rec {
	out := make([]Rec, n)
	for i := range out {
		out[i] = Rec{Key: fmt.Sprintf("%s-k%d", prefix, (from+i)%3), Data: fmt.Appendf(nil, "%s-%d", prefix, from+i)}
	}
	return out
}

func produce(t *testing.T, p Producer, partition string, rs []Rec) []stream.Offset {
	t.Helper()
	var offs []stream.Offset
	for len(rs) > 0 {
		n := min(len(rs), 100)
		o, err := p.Produce(ctxFor(t), partition, rs[:n]...)
		if err != nil {
			t.Fatalf("Produce to %q: %v", partition, err)
		}
		if len(o) != n {
			t.Fatalf("Produce of %d records to %q returned %d offsets", n, partition, len(o))
		}
		offs = append(offs, o...)
		rs = rs[n:]
	}
	return offs
}

// got is a record copied out of a FetchResult.
type got struct {
	Offset    stream.Offset
	Key       string
	Data      string
	ArrivalMs int64
}

// fetch does one Fetch and checks the invariants every result keeps: at
// most max records, Next is the last record's offset or from, and records
// are copied before the next Fetch.
func fetch(t *testing.T, c stream.Consumer, from stream.Offset, max int) ([]got, stream.FetchResult) {
	t.Helper()
	r, err := c.Fetch(ctxFor(t), from, max)
	if err != nil {
		t.Fatalf("Fetch(from %q, max %d): %v", from, max, err)
	}
	if len(r.Records) > max {
		t.Fatalf("Fetch(from %q, max %d) returned %d records", from, max, len(r.Records))
	}
	out := make([]got, len(r.Records))
	for i, rec := range r.Records {
		out[i] = got{rec.Offset, rec.Key, string(rec.Data), rec.ArrivalMs}
	}
	if len(out) > 0 {
		if r.Next != out[len(out)-1].Offset {
			t.Fatalf("Fetch(from %q): Next %q is not the last record's offset %q", from, r.Next, out[len(out)-1].Offset)
		}
	} else if r.Next != from {
		t.Fatalf("empty Fetch(from %q): Next is %q, want the requested offset", from, r.Next)
	}
	return out, r
}

// readN fetches from from until n records arrived (failing on more, on a
// repeated or out-of-order record, or after waitLimit).
func readN(t *testing.T, s stream.Stream, c stream.Consumer, from stream.Offset, n, max int) ([]got, stream.Offset) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var all []got
	for len(all) < n {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d records from %q within %v", len(all), n, from, waitLimit)
		}
		rs, r := fetch(t, c, from, max)
		for _, g := range rs {
			if len(all) > 0 {
				mustCompare(t, s, all[len(all)-1].Offset, g.Offset, -1)
			}
			all = append(all, g)
		}
		if r.EndOfPartition && len(all) < n {
			t.Fatalf("EndOfPartition after %d of %d records", len(all), n)
		}
		from = r.Next
	}
	if len(all) > n {
		t.Fatalf("read %d records, want %d: %+v", len(all), n, all[n:])
	}
	return all, from
}

// readToEnd fetches until EndOfPartition and returns the records.
func readToEnd(t *testing.T, s stream.Stream, c stream.Consumer, from stream.Offset) ([]got, stream.Offset) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var all []got
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no EndOfPartition within %v (read %d records)", waitLimit, len(all))
		}
		rs, r := fetch(t, c, from, 1000)
		for _, g := range rs {
			if len(all) > 0 {
				mustCompare(t, s, all[len(all)-1].Offset, g.Offset, -1)
			}
			all = append(all, g)
		}
		from = r.Next
		if r.EndOfPartition {
			return all, from
		}
	}
}

func mustCompare(t *testing.T, s stream.Stream, a, b stream.Offset, want int) {
	t.Helper()
	c, err := s.Compare(a, b)
	if err != nil {
		t.Fatalf("Compare(%q, %q): %v", a, b, err)
	}
	if c != want {
		t.Fatalf("Compare(%q, %q) = %d, want %d", a, b, c, want)
	}
	r, err := s.Compare(b, a)
	if err != nil {
		t.Fatalf("Compare(%q, %q): %v", b, a, err)
	}
	if r != -want {
		t.Fatalf("Compare(%q, %q) = %d, but Compare(%q, %q) = %d", a, b, c, b, a, r)
	}
}

func checkRecords(t *testing.T, gotRecs []got, want []Rec, offs []stream.Offset) {
	t.Helper()
	if len(gotRecs) != len(want) {
		t.Fatalf("got %d records, want %d", len(gotRecs), len(want))
	}
	for i, g := range gotRecs {
		if g.Data != string(want[i].Data) || g.Key != want[i].Key {
			t.Fatalf("record %d: got key %q data %q, want key %q data %q", i, g.Key, g.Data, want[i].Key, want[i].Data)
		}
		if offs != nil && g.Offset != offs[i] {
			t.Fatalf("record %d (%q): offset %q, but Produce returned %q", i, g.Data, g.Offset, offs[i])
		}
	}
}

func testPartitions(t *testing.T, h Harness) {
	s, _ := h.New(t, 3)
	ps, err := s.Partitions(ctxFor(t))
	if err != nil {
		t.Fatalf("Partitions: %v", err)
	}
	if len(ps) != 3 {
		t.Fatalf("a new stream with 3 partitions lists %d: %+v", len(ps), ps)
	}
	for i, p := range ps {
		if p.ID == "" || len(p.Parents) != 0 || p.Closed {
			t.Errorf("partition %d of a new stream: %+v, want an ID, no parents, open", i, p)
		}
		if i > 0 && ps[i-1].ID >= p.ID {
			t.Errorf("partitions not ordered by ID: %q before %q", ps[i-1].ID, p.ID)
		}
	}
}

func testOrder(t *testing.T, h Harness) {
	s, p := h.New(t, 3)
	ids := partitionIDs(t, s)
	want := recs("order", 0, 120)
	before := time.Now().UnixMilli()
	var offs []stream.Offset
	for i := 0; i < len(want); i += 30 {
		o := produce(t, p, ids[1], want[i:i+30])
		for j := range o {
			if j > 0 {
				mustCompare(t, s, o[j-1], o[j], -1)
			}
		}
		offs = append(offs, o...)
	}
	after := time.Now().UnixMilli()
	c := consumer(t, s, ids[1])
	all, _ := readN(t, s, c, stream.Start, len(want), 1000)
	checkRecords(t, all, want, offs)
	for i, g := range all {
		// Arrival times come from the stream's clock, on this machine.
		if g.ArrivalMs < before-2000 || g.ArrivalMs > after+2000 {
			t.Fatalf("record %d: ArrivalMs %d outside the produce window [%d, %d]", i, g.ArrivalMs, before, after)
		}
	}
	// The other partitions got nothing.
	for _, id := range []string{ids[0], ids[2]} {
		rs, _ := fetch(t, consumer(t, s, id), stream.Start, 100)
		if len(rs) != 0 {
			t.Fatalf("partition %q got records produced to %q: %+v", id, ids[1], rs)
		}
	}
}

func testFromOffset(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	want := recs("from", 0, 20)
	offs := produce(t, p, id, want)
	c := consumer(t, s, id)
	for _, k := range []int{0, 5, 18} {
		all, _ := readN(t, s, c, offs[k], len(want)-k-1, 1000)
		checkRecords(t, all, want[k+1:], offs[k+1:])
	}
	start := time.Now()
	rs, r := fetch(t, c, offs[len(offs)-1], 10)
	if len(rs) != 0 || r.EndOfPartition {
		t.Fatalf("Fetch from the last record's offset of an open partition: %d records, EndOfPartition %v", len(rs), r.EndOfPartition)
	}
	if el := time.Since(start); el > EmptyFetchLimit {
		t.Fatalf("empty Fetch took %v", el)
	}
}

func testMax(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	want := recs("max", 0, 50)
	offs := produce(t, p, id, want)
	c := consumer(t, s, id)
	for _, max := range []int{1, 7} {
		all, _ := readN(t, s, c, stream.Start, len(want), max)
		checkRecords(t, all, want, offs)
	}
}

func testAtTime(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	a := recs("a", 0, 5)
	b := recs("b", 0, 5)
	produce(t, p, id, a)
	c := consumer(t, s, id)
	gotA, _ := readN(t, s, c, stream.Start, len(a), 100)
	var last int64
	for _, g := range gotA {
		last = max(last, g.ArrivalMs)
	}
	// T is after every record of a; b is produced once the clock is
	// past T, so each of its records arrives at or after T.
	at := last + 1
	for time.Now().UnixMilli() <= at+20 {
		time.Sleep(5 * time.Millisecond)
	}
	produce(t, p, id, b)

	all, _ := readN(t, s, c, stream.AtTime(at), len(b), 100)
	checkRecords(t, all, b, nil)
	all, _ = readN(t, s, c, stream.AtTime(0), len(a)+len(b), 100)
	checkRecords(t, all, append(slices.Clone(a), b...), nil)
	// AtTime(last) starts at the first record of a that arrived at last.
	first := slices.IndexFunc(gotA, func(g got) bool { return g.ArrivalMs >= last })
	all, _ = readN(t, s, c, stream.AtTime(last), len(a)-first+len(b), 100)
	checkRecords(t, all, append(slices.Clone(a[first:]), b...), nil)
	future := stream.AtTime(time.Now().Add(time.Hour).UnixMilli())
	rs, r := fetch(t, c, future, 100)
	if len(rs) != 0 || r.Next != future {
		t.Fatalf("Fetch(AtTime(an hour from now)): %d records, Next %q; want none and Next %q", len(rs), r.Next, future)
	}
}

func testEmptyFetch(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	c := consumer(t, s, id)
	for _, from := range []stream.Offset{stream.Start, stream.AtTime(0)} {
		start := time.Now()
		rs, r := fetch(t, c, from, 10)
		if el := time.Since(start); el > EmptyFetchLimit {
			t.Fatalf("empty Fetch(from %q) took %v, want at most %v", from, el, EmptyFetchLimit)
		}
		if len(rs) != 0 || r.EndOfPartition {
			t.Fatalf("Fetch(from %q) of an empty open partition: %d records, EndOfPartition %v", from, len(rs), r.EndOfPartition)
		}
	}
	offs := produce(t, p, id, recs("e", 0, 3))
	_, next := readN(t, s, c, stream.Start, 3, 10)
	if next != offs[2] {
		t.Fatalf("Next after reading all is %q, want the last offset %q", next, offs[2])
	}
	start := time.Now()
	rs, _ := fetch(t, c, next, 10)
	if el := time.Since(start); el > EmptyFetchLimit || len(rs) != 0 {
		t.Fatalf("Fetch at the end of the partition: %d records in %v", len(rs), el)
	}
}

func testWakes(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	c := consumer(t, s, id)
	produced := make(chan time.Time, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		if _, err := p.Produce(context.Background(), id, Rec{Key: "k", Data: []byte("late")}); err != nil {
			t.Errorf("Produce: %v", err)
		}
		produced <- time.Now()
	}()
	all, _ := readN(t, s, c, stream.Start, 1, 10)
	if all[0].Data != "late" {
		t.Fatalf("got %q, want the record produced while fetching", all[0].Data)
	}
	<-produced
}

func testCompare(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	offs := produce(t, p, id, recs("cmp", 0, 3))
	farFuture := stream.AtTime(time.Now().Add(24 * time.Hour).UnixMilli())
	ordered := []stream.Offset{stream.Start, stream.AtTime(0), stream.AtTime(5), farFuture, offs[0], offs[1], offs[2]}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			mustCompare(t, s, a, b, want)
		}
	}
	for _, bad := range []stream.Offset{"not-an-offset", "@x", "@"} {
		if _, err := s.Compare(bad, offs[0]); err == nil {
			t.Errorf("Compare(%q, %q) accepted a malformed offset", bad, offs[0])
		}
		if _, err := s.Compare(offs[0], bad); err == nil {
			t.Errorf("Compare(%q, %q) accepted a malformed offset", offs[0], bad)
		}
	}
}

func testUnknownPartition(t *testing.T, h Harness) {
	s, _ := h.New(t, 1)
	const id = "no-such-partition"
	c, err := s.Consumer(id)
	if err == nil {
		defer c.Close()
		_, err = c.Fetch(ctxFor(t), stream.Start, 10)
	}
	if !errors.Is(err, stream.ErrUnknownPartition) {
		t.Fatalf("reading partition %q: error %v, want one matching stream.ErrUnknownPartition", id, err)
	}
}

func testMalformedOffset(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	produce(t, p, id, recs("m", 0, 2))
	c := consumer(t, s, id)
	for _, bad := range []stream.Offset{"not-an-offset", "@x"} {
		_, err := c.Fetch(ctxFor(t), bad, 10)
		if err == nil {
			t.Errorf("Fetch(from %q) accepted a malformed offset", bad)
		} else if errors.Is(err, stream.ErrUnknownPartition) {
			t.Errorf("Fetch(from %q): %v, which blames the partition", bad, err)
		}
	}
	// The consumer still works after a bad request.
	all, _ := readN(t, s, c, stream.Start, 2, 10)
	checkRecords(t, all, recs("m", 0, 2), nil)
}

func testIndependent(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	want := recs("ind", 0, 10)
	offs := produce(t, p, id, want)
	c1, c2 := consumer(t, s, id), consumer(t, s, id)
	a, _ := readN(t, s, c1, stream.Start, 4, 4)
	b, _ := readN(t, s, c2, stream.Start, 10, 100)
	rest, _ := readN(t, s, c1, a[len(a)-1].Offset, 6, 100)
	checkRecords(t, append(a, rest...), want, offs)
	checkRecords(t, b, want, offs)
}

func testCancel(t *testing.T, h Harness) {
	s, p := h.New(t, 1)
	id := partitionIDs(t, s)[0]
	produce(t, p, id, recs("c", 0, 2))
	c := consumer(t, s, id)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := c.Fetch(ctx, stream.Start, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch with a canceled context: error %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Fetch with a canceled context took %v", el)
	}
	// Cancel a fetch that is waiting for records.
	_, next := readN(t, s, c, stream.Start, 2, 10)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var canceledAt atomic.Int64
	go func() {
		time.Sleep(100 * time.Millisecond)
		canceledAt.Store(time.Now().UnixNano())
		cancel()
	}()
	// The fetch in flight when the context is canceled returns at once
	// (a provider's wait selects on ctx.Done), well before its wait is up.
	const prompt = 300 * time.Millisecond
	for {
		r, err := c.Fetch(ctx, next, 10)
		at := canceledAt.Load()
		if at != 0 {
			if el := time.Since(time.Unix(0, at)); el > prompt {
				t.Fatalf("Fetch returned %v after its context was canceled (error %v), want within %v", el, err, prompt)
			}
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Fetch canceled while waiting: error %v, want context.Canceled", err)
			}
			if at == 0 {
				t.Fatalf("Fetch failed before its context was canceled: %v", err)
			}
			return
		}
		if len(r.Records) != 0 {
			t.Fatalf("Fetch at the end returned %d records nobody produced", len(r.Records))
		}
		if time.Since(start) > waitLimit {
			t.Fatal("Fetch kept returning after its context was canceled")
		}
	}
}

func testConcurrent(t *testing.T, h Harness) {
	const producers, perProducer, batch = 4, 200, 10
	s, p := h.New(t, 3)
	ids := partitionIDs(t, s)
	var wg sync.WaitGroup
	for g := range producers {
		wg.Go(func() {
			for b := 0; b < perProducer/batch; b++ {
				part := ids[(g+b)%len(ids)]
				rs := make([]Rec, batch)
				for i := range rs {
					n := b*batch + i
					rs[i] = Rec{Key: fmt.Sprintf("g%d", g), Data: fmt.Appendf(nil, "%d/%d", g, n)}
				}
				if _, err := p.Produce(ctxFor(t), part, rs...); err != nil {
					t.Errorf("producer %d: Produce to %q: %v", g, part, err)
					return
				}
			}
		})
	}
	// Consume while producing.
	var total atomic.Int64
	perPartition := make([][]got, len(ids))
	var cwg sync.WaitGroup
	errs := make(chan error, len(ids))
	for i, id := range ids {
		c := consumer(t, s, id)
		cwg.Go(func() {
			from := stream.Start
			deadline := time.Now().Add(waitLimit)
			for total.Load() < producers*perProducer {
				if time.Now().After(deadline) {
					errs <- fmt.Errorf("partition %q: %d of %d records in all partitions within %v", id, total.Load(), producers*perProducer, waitLimit)
					return
				}
				r, err := c.Fetch(context.Background(), from, 50)
				if err != nil {
					errs <- fmt.Errorf("partition %q: Fetch: %w", id, err)
					return
				}
				for _, rec := range r.Records {
					perPartition[i] = append(perPartition[i], got{rec.Offset, rec.Key, string(bytes.Clone(rec.Data)), rec.ArrivalMs})
				}
				total.Add(int64(len(r.Records)))
				from = r.Next
			}
		})
	}
	wg.Wait()
	cwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, recs := range perPartition {
		last := map[int]int{}
		for j, g := range recs {
			if seen[g.Data] {
				t.Fatalf("record %q delivered twice", g.Data)
			}
			seen[g.Data] = true
			var prod, n int
			if _, err := fmt.Sscanf(g.Data, "%d/%d", &prod, &n); err != nil {
				t.Fatalf("unexpected record %q", g.Data)
			}
			if g.Key != fmt.Sprintf("g%d", prod) {
				t.Fatalf("record %q has key %q", g.Data, g.Key)
			}
			if prev, ok := last[prod]; ok && prev >= n {
				t.Fatalf("partition %q: producer %d's record %d after its record %d", ids[i], prod, n, prev)
			}
			last[prod] = n
			if j > 0 {
				mustCompare(t, s, recs[j-1].Offset, g.Offset, -1)
			}
		}
	}
	if len(seen) != producers*perProducer {
		t.Fatalf("got %d distinct records, want %d", len(seen), producers*perProducer)
	}
}

func testLineage(t *testing.T, h Harness) {
	s, p := h.New(t, 4)
	rs, ok := p.(Resharder)
	if !ok {
		t.Log("the provider does not split or merge partitions; lineage is not exercised")
		return
	}
	ids := partitionIDs(t, s)
	before := recs("parent", 0, 10)
	offs := produce(t, p, ids[0], before)
	merged := recs("merged", 0, 5)
	produce(t, p, ids[2], merged)

	children, err := rs.Split(ctxFor(t), ids[0])
	if err != nil {
		t.Fatalf("Split(%q): %v", ids[0], err)
	}
	if len(children) != 2 {
		t.Fatalf("Split(%q) returned %d children, want 2", ids[0], len(children))
	}
	child, err := rs.Merge(ctxFor(t), ids[2], ids[3])
	if err != nil {
		t.Fatalf("Merge(%q, %q): %v", ids[2], ids[3], err)
	}

	ps, err := s.Partitions(ctxFor(t))
	if err != nil {
		t.Fatalf("Partitions: %v", err)
	}
	byID := map[string]stream.Partition{}
	for i, part := range ps {
		byID[part.ID] = part
		if i > 0 && ps[i-1].ID >= part.ID {
			t.Errorf("partitions not ordered by ID: %q before %q", ps[i-1].ID, part.ID)
		}
	}
	if len(ps) != 7 {
		t.Fatalf("after a split and a merge of 4 partitions, %d are listed, want 7: %+v", len(ps), ps)
	}
	for _, id := range []string{ids[0], ids[2], ids[3]} {
		if !byID[id].Closed {
			t.Errorf("parent %q is not Closed: %+v", id, byID[id])
		}
	}
	if byID[ids[1]].Closed {
		t.Errorf("untouched partition %q is Closed", ids[1])
	}
	for _, c := range children {
		part, ok := byID[c]
		if !ok {
			t.Fatalf("child %q of the split is not listed", c)
		}
		if !slices.Equal(part.Parents, []string{ids[0]}) || part.Closed {
			t.Errorf("child %q of the split: %+v, want open with parent %q", c, part, ids[0])
		}
	}
	mp, ok := byID[child]
	if !ok {
		t.Fatalf("child %q of the merge is not listed", child)
	}
	parents := slices.Sorted(slices.Values(mp.Parents))
	if !slices.Equal(parents, []string{ids[2], ids[3]}) || mp.Closed {
		t.Errorf("child of the merge: %+v, want open with parents %q and %q", mp, ids[2], ids[3])
	}

	// A parent reads to its end, then says so at once.
	c := consumer(t, s, ids[0])
	all, end := readToEnd(t, s, c, stream.Start)
	checkRecords(t, all, before, offs)
	if end != offs[len(offs)-1] {
		t.Fatalf("EndOfPartition with Next %q, want the last record's offset %q", end, offs[len(offs)-1])
	}
	start := time.Now()
	rs2, r := fetch(t, c, end, 10)
	if len(rs2) != 0 || !r.EndOfPartition {
		t.Fatalf("Fetch at the end of a closed partition: %d records, EndOfPartition %v", len(rs2), r.EndOfPartition)
	}
	if el := time.Since(start); el > EmptyFetchLimit {
		t.Fatalf("Fetch at the end of a closed partition took %v", el)
	}
	all, _ = readToEnd(t, s, consumer(t, s, ids[2]), stream.Start)
	checkRecords(t, all, merged, nil)
	// A parent that never had a record ends at Start.
	all, end = readToEnd(t, s, consumer(t, s, ids[3]), stream.Start)
	if len(all) != 0 || end != stream.Start {
		t.Fatalf("empty closed partition: %d records, end %q", len(all), end)
	}

	// Children take new records.
	for _, id := range append(slices.Clone(children), child) {
		want := recs("child-"+id, 0, 3)
		o := produce(t, p, id, want)
		got, _ := readN(t, s, consumer(t, s, id), stream.Start, 3, 10)
		checkRecords(t, got, want, o)
	}
}
