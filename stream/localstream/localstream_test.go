package localstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamtest"
)

type harness struct{}

type producer struct{ s *Stream }

func (harness) New(t *testing.T, partitions int) (stream.Stream, streamtest.Producer) {
	s, err := Open(t.TempDir(), Options{Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, producer{s}
}

func (p producer) Produce(ctx context.Context, partition string, recs ...streamtest.Rec) ([]stream.Offset, error) {
	rs := make([]Record, len(recs))
	for i, r := range recs {
		rs[i] = Record{Key: r.Key, Data: r.Data}
	}
	return p.s.Append(partition, rs...)
}

func (p producer) Split(ctx context.Context, partition string) ([]string, error) {
	return p.s.Split(partition)
}

func (p producer) Merge(ctx context.Context, a, b string) (string, error) { return p.s.Merge(a, b) }

func TestAcceptance(t *testing.T) { streamtest.AcceptanceTest(t, harness{}) }

const p0 = "shardId-000000000000"

func open(t *testing.T, dir string, o Options) *Stream {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendN(t *testing.T, s *Stream, partition string, from, n int) []stream.Offset {
	t.Helper()
	var offs []stream.Offset
	for i := from; i < from+n; i++ {
		o, err := s.Append(partition, Record{Key: fmt.Sprint("k", i), Data: fmt.Appendf(nil, "rec-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, o...)
	}
	return offs
}

func readAll(t *testing.T, s *Stream, partition string, from stream.Offset) []string {
	t.Helper()
	c, err := s.Consumer(partition)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []string
	for {
		r, err := c.Fetch(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Records) == 0 {
			return out
		}
		for _, rec := range r.Records {
			out = append(out, string(rec.Data))
		}
		from = r.Next
	}
}

func TestRestartKeepsRecordsAndLineage(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Partitions: 2, FetchWait: 10 * time.Millisecond})
	offs := appendN(t, s, p0, 0, 100)
	kids, err := s.Split(p0)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, kids[0], 100, 5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir, Options{Partitions: 7, FetchWait: 10 * time.Millisecond}) // Partitions is ignored
	defer s.Close()
	ps, err := s.Partitions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []stream.Partition{
		{ID: p0, Closed: true},
		{ID: "shardId-000000000001"},
		{ID: kids[0], Parents: []string{p0}},
		{ID: kids[1], Parents: []string{p0}},
	}
	if fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Fatalf("partitions after restart: %+v, want %+v", ps, want)
	}
	got := readAll(t, s, p0, offs[49])
	if len(got) != 50 || got[0] != "rec-50" {
		t.Fatalf("after restart, reading from the 50th record's offset: %d records starting %q", len(got), got[0])
	}
	if got := readAll(t, s, kids[0], stream.Start); !slices.Equal(got, []string{"rec-100", "rec-101", "rec-102", "rec-103", "rec-104"}) {
		t.Fatalf("child after restart: %q", got)
	}
	// New records continue the log.
	o := appendN(t, s, kids[0], 105, 1)
	if got := readAll(t, s, kids[0], stream.Start); len(got) != 6 || got[5] != "rec-105" {
		t.Fatalf("after appending past the restart: %q (offset %q)", got, o[0])
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
	}{
		{"short header", func(t *testing.T, path string, size int64) { appendBytes(t, path, []byte{1, 2, 3}) }},
		{"short body", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size-3); err != nil {
				t.Fatal(err)
			}
		}},
		{"bad checksum", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte{'X'}, size-1); err != nil {
				t.Fatal(err)
			}
		}},
		{"absurd length", func(t *testing.T, path string, size int64) {
			appendBytes(t, path, []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, Options{Partitions: 1, FetchWait: 10 * time.Millisecond})
			offs := appendN(t, s, p0, 0, 3)
			s.Close()
			path := filepath.Join(dir, p0+".log")
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(t, path, fi.Size())

			var logs bytes.Buffer
			s = open(t, dir, Options{FetchWait: 10 * time.Millisecond, Logger: slogTo(&logs)})
			defer s.Close()
			got := readAll(t, s, p0, stream.Start)
			wantN := 3
			if tc.name == "short body" || tc.name == "bad checksum" {
				wantN = 2 // the last frame was damaged
			}
			if len(got) != wantN {
				t.Fatalf("after reopening: %q, want %d records", got, wantN)
			}
			if !strings.Contains(logs.String(), "truncating a torn tail") {
				t.Fatalf("the truncation was not logged: %q", logs.String())
			}
			// The log continues at the end of the last good frame.
			o := appendN(t, s, p0, 10, 1)
			if fi, err := os.Stat(path); err != nil || stream.Offset(fmt.Sprint(fi.Size())) != o[0] {
				t.Fatalf("offset after truncation %q; the log is %d bytes (%v)", o[0], fi.Size(), err)
			}
			if got := readAll(t, s, p0, offs[wantN-1]); !slices.Equal(got, []string{"rec-10"}) {
				t.Fatalf("after the truncated tail: %q", got)
			}
		})
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Partitions: 1})
	defer s.Close()
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "another process has this stream open") {
		t.Fatalf("second Open: %v", err)
	}
}

func TestOpenEmptyDirNeedsPartitions(t *testing.T) {
	_, err := Open(t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "Options.Partitions is 0") {
		t.Fatalf("Open without partitions: %v", err)
	}
}

func TestOffsetsMustBeBoundaries(t *testing.T) {
	s := open(t, t.TempDir(), Options{Partitions: 1, FetchWait: 10 * time.Millisecond})
	defer s.Close()
	offs := appendN(t, s, p0, 0, 300) // several index entries
	c, _ := s.Consumer(p0)
	for _, k := range []int{0, 63, 64, 65, 200, 299} {
		r, err := c.Fetch(context.Background(), offs[k], 1)
		if err != nil {
			t.Fatalf("Fetch from record %d's offset: %v", k, err)
		}
		if k < 299 && string(r.Records[0].Data) != fmt.Sprintf("rec-%d", k+1) {
			t.Fatalf("Fetch from record %d's offset got %q", k, r.Records[0].Data)
		}
	}
	var mid int64
	fmt.Sscan(string(offs[150]), &mid)
	_, err := c.Fetch(context.Background(), stream.Offset(fmt.Sprint(mid-3)), 1)
	if err == nil || !strings.Contains(err.Error(), "not a record boundary") {
		t.Fatalf("Fetch from the middle of a frame: %v", err)
	}
	_, err = c.Fetch(context.Background(), stream.Offset(fmt.Sprint(mid*10)), 1)
	if err == nil || !strings.Contains(err.Error(), "beyond the partition's end") {
		t.Fatalf("Fetch from beyond the end: %v", err)
	}
}

func TestAtTimeUsesIndex(t *testing.T) {
	ms := int64(1_000_000)
	s := open(t, t.TempDir(), Options{Partitions: 1, FetchWait: 10 * time.Millisecond, Now: func() time.Time { return time.UnixMilli(ms) }})
	defer s.Close()
	for i := range 500 {
		ms = 1_000_000 + int64(i/2)*10 // two records per 10 ms
		appendN(t, s, p0, i, 1)
	}
	c, _ := s.Consumer(p0)
	for _, tc := range []struct {
		at   int64
		want string
	}{{0, "rec-0"}, {1_000_000, "rec-0"}, {1_000_001, "rec-2"}, {1_000_640, "rec-128"}, {1_002_490, "rec-498"}} {
		r, err := c.Fetch(context.Background(), stream.AtTime(tc.at), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Records) != 1 || string(r.Records[0].Data) != tc.want {
			t.Fatalf("AtTime(%d): %d records %v; want first %q", tc.at, len(r.Records), r.Records, tc.want)
		}
	}
	r, _ := c.Fetch(context.Background(), stream.AtTime(1_002_491), 1)
	if len(r.Records) != 0 {
		t.Fatalf("AtTime after the last arrival returned %q", r.Records[0].Data)
	}
}

func TestLargeRecord(t *testing.T) {
	s := open(t, t.TempDir(), Options{Partitions: 1, FetchWait: 10 * time.Millisecond})
	defer s.Close()
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB, over one read
	if _, err := s.Append(p0, Record{Key: "small", Data: []byte("a")}, Record{Key: "big", Data: big}, Record{Key: "after", Data: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s, p0, stream.Start)
	if len(got) != 3 || got[1] != string(big) || got[2] != "b" {
		t.Fatalf("records around a large one: %d", len(got))
	}
	if _, err := s.Append(p0, Record{Data: make([]byte, MaxRecordSize+1)}); err == nil {
		t.Fatal("a record over MaxRecordSize was appended")
	}
}

func TestProduceSpreadsKeys(t *testing.T) {
	s := open(t, t.TempDir(), Options{Partitions: 4, FetchWait: 10 * time.Millisecond})
	defer s.Close()
	seen := map[string]string{}
	for i := range 200 {
		key := fmt.Sprint("user-", i%50)
		part, _, err := s.Produce(key, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[key]; ok && prev != part {
			t.Fatalf("key %q went to %q and %q", key, prev, part)
		}
		seen[key] = part
	}
	parts := map[string]bool{}
	for _, p := range seen {
		parts[p] = true
	}
	if len(parts) != 4 {
		t.Fatalf("50 keys went to %d of 4 partitions", len(parts))
	}
}

// TestFreshness measures how soon a waiting consumer sees an appended
// record: the quickstart's promise is milliseconds.
func TestFreshness(t *testing.T) {
	s := open(t, t.TempDir(), Options{Partitions: 1})
	defer s.Close()
	c, _ := s.Consumer(p0)
	const n = 500
	lat := make([]time.Duration, 0, n)
	from := stream.Start
	appended := make(chan time.Time, 1)
	for i := range n {
		go func() {
			time.Sleep(200 * time.Microsecond)
			appendN(t, s, p0, i, 1)
			appended <- time.Now()
		}()
		for {
			r, err := c.Fetch(context.Background(), from, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Records) > 0 {
				got := time.Now()
				lat = append(lat, got.Sub(<-appended))
				from = r.Next
				break
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[n/2], lat[n*99/100]
	t.Logf("append-to-fetch latency over %d records: p50 %v, p99 %v", n, p50, p99)
	if p99 > 50*time.Millisecond {
		t.Fatalf("p99 append-to-fetch latency %v; a woken fetch should take well under 50ms", p99)
	}
}

func TestClosedStream(t *testing.T) {
	s := open(t, t.TempDir(), Options{Partitions: 1})
	c, _ := s.Consumer(p0)
	s.Close()
	if _, err := c.Fetch(context.Background(), stream.Start, 1); err == nil {
		t.Fatal("Fetch on a closed stream succeeded")
	}
	if _, err := s.Append(p0, Record{}); err == nil {
		t.Fatal("Append on a closed stream succeeded")
	}
	if _, err := s.Consumer("nope"); !errors.Is(err, stream.ErrUnknownPartition) && err == nil {
		t.Fatal("Consumer on a closed stream succeeded")
	}
}

func BenchmarkAppend(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := bytes.Repeat([]byte("x"), 200) // a web-transactions event is about this size
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Append(p0, Record{Key: "user-1", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkFetch(b *testing.B) {
	s, err := Open(b.TempDir(), Options{Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := bytes.Repeat([]byte("x"), 200)
	batch := make([]Record, 1000)
	for i := range batch {
		batch[i] = Record{Key: "user-1", Data: data}
	}
	for range 100 {
		if _, err := s.Append(p0, batch...); err != nil {
			b.Fatal(err)
		}
	}
	c, _ := s.Consumer(p0)
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		from := stream.Start
		for {
			r, err := c.Fetch(context.Background(), from, 10000)
			if err != nil {
				b.Fatal(err)
			}
			records += len(r.Records)
			from = r.Next
			if records%100_000 == 0 {
				break
			}
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func slogTo(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
