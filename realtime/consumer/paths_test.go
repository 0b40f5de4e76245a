package consumer

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

// DISCARD: a replica with a larger row limit runs ahead of the committed
// offset, drops its copy, and continues from the committed end: its next
// segment holds the rows after it once.
func TestDiscardAhead(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	short := c.config("short")
	long := c.config("long")
	long.FlushRows = 150
	for id := 1; id <= 250; id++ {
		c.produce(goodEvent(id))
	}
	// long's reports are lost until short committed at 100, so that
	// long, at 150 by then, is ahead of the committed offset.
	c.ctl.Inject = func(method string, r completion.Report) error {
		if s, _ := c.mem.Get(c.first); r.Instance == "long" && r.Segment == c.first && !s.Done {
			return errors.New("injected: lost")
		}
		return nil
	}
	a := c.start(short)
	b := c.start(long)
	c.open("short", "long")
	waitFor(t, 20*time.Second, "long discarded the first segment", func() bool { return b.host.wasDiscarded(c.first) })
	s, _ := c.mem.Get(c.first)
	if s.Committer != "short" || s.End != "100" {
		t.Fatalf("first segment committed by %s at %q; want short at 100", s.Committer, s.End)
	}
	if c.ctl.Answered(completion.Discard) == 0 {
		t.Fatalf("no DISCARD answer: %v", summary(c.ctl.Calls()))
	}
	// Both replicas go on from 100: after everything, the committed rows
	// and each replica's consuming rows are the 250 events exactly once.
	want := map[int64]bool{}
	for id := 1; id <= 250; id++ {
		want[int64(id)] = true
	}
	waitFor(t, 20*time.Second, "all 250 events on both replicas", func() bool {
		got, segs := c.committedIDs()
		next := c.mem.Segments()[len(segs)].Name
		for _, r := range []*replica{a, b} {
			seg := r.host.consumingSeg(next)
			if seg == nil || len(got)+seg.NumDocs() != 250 {
				return false
			}
		}
		return true
	})
	got, segs := c.committedIDs()
	next := c.mem.Segments()[len(segs)].Name
	for _, r := range []*replica{a, b} {
		checkExactly(t, "replica "+r.name, append(got, ids(r.host.consumingSeg(next).Snapshot())...), want)
	}
}

// A replica killed mid-segment restarts from the consuming segment's start
// offset and rebuilds it from the stream: no event lost or counted twice.
func TestRestartFromStartOffset(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	cfg := c.config("a")
	a := c.start(cfg)
	c.open("a")
	for id := 1; id <= 150; id++ {
		c.produce(goodEvent(id))
	}
	waitFor(t, 10*time.Second, "first segment committed, 50 rows in the next", func() bool {
		segs := c.mem.Segments()
		if len(segs) < 2 || !segs[0].Done {
			return false
		}
		seg := a.host.consumingSeg(segs[1].Name)
		return seg != nil && seg.NumDocs() == 50
	})
	c.kill(a)
	for id := 151; id <= 180; id++ {
		c.produce(goodEvent(id))
	}
	// The restarted server reads the IN_PROGRESS record again.
	a2 := c.start(cfg)
	cur := c.mem.Segments()[1]
	a2.p.Assign(Spec{Name: cur.Name, Start: cur.Start, CreatedMs: cur.CreatedMs})
	waitFor(t, 10*time.Second, "80 rows rebuilt", func() bool {
		seg := a2.host.consumingSeg(cur.Name)
		return seg != nil && seg.NumDocs() == 80
	})
	got, _ := c.committedIDs()
	want := map[int64]bool{}
	for id := 1; id <= 180; id++ {
		want[int64(id)] = true
	}
	time.Sleep(50 * time.Millisecond) // nothing more may arrive
	checkExactly(t, "after restart", append(got, ids(a2.host.consumingSeg(cur.Name).Snapshot())...), want)
}

// A closed partition read to its end commits with endOfPartitionGroup and
// opens no next segment.
func TestEndOfPartition(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	cfg := c.config("a")
	cfg.FlushRows = 1000
	a := c.start(cfg)
	c.open("a")
	for id := 1; id <= 42; id++ {
		c.produce(goodEvent(id))
	}
	if _, err := c.s.Split("shardId-000000000000"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the last segment committed", func() bool { return a.host.sealedMeta(c.first) != nil })
	s, _ := c.mem.Get(c.first)
	if !s.EndOfPartition || s.End != "42" || s.Upload.Meta.NumDocs != 42 {
		t.Errorf("committed at %q with %d rows, end of partition %v; want 42, 42, true", s.End, s.Upload.Meta.NumDocs, s.EndOfPartition)
	}
	if n := len(c.mem.Segments()); n != 1 {
		t.Errorf("%d segments; none may follow the end of the partition", n)
	}
}

// A failing upload is retried: the round is aborted and the replica
// commits again; the first failed attempt leaves nothing committed.
func TestUploadFailureRetried(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	ds := &flakyStore{Store: c.ds, fail: 2}
	cfg := c.config("a")
	h := c.startWith(cfg, c.s, ds)
	c.open("a")
	for id := 1; id <= 100; id++ {
		c.produce(goodEvent(id))
	}
	waitFor(t, 10*time.Second, "committed", func() bool { return h.host.sealedMeta(c.first) != nil })
	if c.ctl.Answered(completion.CommitSuccess) != 1 || c.ctl.Answered(completion.Commit) < 3 {
		t.Errorf("answers %v; want COMMIT three times and one COMMIT_SUCCESS", summary(c.ctl.Calls()))
	}
}

// CSV records decode with the stream config's header.
func TestCSV(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	cfg := c.config("a")
	cfg.Decoder = streamconfig.DecoderConfig{Format: streamconfig.CSV, CSVHeader: []string{"id", "user", "campaign", "price", "ts"}}
	a := c.start(cfg)
	c.open("a")
	c.produce([]byte("1,u1,c1,2.5,1714521600000\n"))
	c.produce([]byte("2,u2,c2,notanumber,1714521600000"))
	c.produce([]byte("3,\"u,3\",c3,1,1714521600000"))
	waitFor(t, 10*time.Second, "2 rows", func() bool {
		s := a.host.consumingSeg(c.first)
		return s != nil && s.NumDocs() == 2
	})
	if got := a.p.Counters().Bad; got["bad_number"] != 1 || len(got) != 1 {
		t.Errorf("bad records %v, want bad_number 1", got)
	}
}

func TestConfigErrors(t *testing.T) {
	sch, tc := testTables(t)
	base := Config{TableWithType: "clicks_REALTIME", Table: tc, Schema: sch, Partition: "p", Instance: "i", FlushRows: 10,
		Decoder: streamconfig.DecoderConfig{Format: streamconfig.JSON}}
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"rows", func(c *Config) { c.FlushRows = 0 }, "flush rows 0 outside"},
		{"csv header", func(c *Config) { c.Decoder.Format = streamconfig.CSV }, "needs the decoder's header"},
		{"instance", func(c *Config) { c.Instance = "" }, "no instance name"},
	} {
		c := base
		tt.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// flakyStore fails the first fail Puts.
type flakyStore struct {
	deepstore.Store
	mu   sync.Mutex
	fail int
}

func (f *flakyStore) Put(ctx context.Context, key string, r io.Reader) error {
	f.mu.Lock()
	fail := f.fail > 0
	f.fail--
	f.mu.Unlock()
	if fail {
		return errors.New("injected: deep store unavailable")
	}
	return f.Store.Put(ctx, key, r)
}
