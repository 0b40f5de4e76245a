package consumer

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/internal/syncbuf"
	"github.com/tannin-db/tannin/realtime/completion/completiontest"
	"github.com/tannin-db/tannin/realtime/llcname"
)

// slowPuts delays every upload: the committer's replica reads ahead into
// the next segment meanwhile, before that segment (and its threshold)
// exists.
type slowPuts struct {
	deepstore.Store
	delay time.Duration
}

func (s slowPuts) Put(ctx context.Context, key string, r io.Reader) error {
	time.Sleep(s.delay)
	return s.Store.Put(ctx, key, r)
}

// Each segment is consumed under the row threshold its record carries, as
// the controller autotunes it for a size-based table: a pending segment
// read ahead under the previous threshold consumes on to a higher one,
// stops at an equal one, and is read again when its rows exceed a lower
// one (or it lacks room for a much higher one). Every segment holds
// exactly its threshold's rows, both replicas build identical files, and
// no event is lost or counted twice.
func TestPerSegmentThresholds(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	// Thresholds by sequence: up within the read-ahead's room (consume
	// on), down below the rows read ahead (read again), equal (stop
	// there), down, far up (no room: read again), then 100.
	thresholds := []int{100, 180, 60, 60, 30, 500, 100}
	c.mem.NextFlushRows = func(committed completiontest.Segment) int {
		n, err := llcname.Parse(committed.Name)
		if err != nil {
			t.Error(err)
			return 0
		}
		return thresholds[min(n.Sequence+1, len(thresholds)-1)]
	}
	total := 0
	for _, n := range thresholds[:len(thresholds)-1] {
		total += n
	}
	total += 50 // consuming in the last segment
	want := map[int64]bool{}
	for id := 1; id <= total; id++ {
		c.produce(goodEvent(id))
		want[int64(id)] = true
	}
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ds := slowPuts{Store: c.ds, delay: 150 * time.Millisecond}
	var reps []*replica
	for _, name := range []string{"a", "b"} {
		cfg := c.config(name)
		cfg.FlushRows = 7 // the default, for segments without a threshold: none here
		cfg.Log = log.With("instance", name)
		reps = append(reps, c.startWith(cfg, c.strm, ds))
	}
	if err := c.mem.OpenRows(c.first, "", []string{"a", "b"}, time.Now().UnixMilli(), thresholds[0]); err != nil {
		t.Fatal(err)
	}
	var last string
	waitFor(t, 30*time.Second, "every event consumed", func() bool {
		got, segs := c.committedIDs()
		if len(segs) < len(thresholds)-1 {
			return false
		}
		last = c.mem.Segments()[len(segs)].Name
		for _, r := range reps {
			seg := r.host.consumingSeg(last)
			if seg == nil || len(got)+seg.NumDocs() != total {
				return false
			}
		}
		return true
	})
	got, segs := c.committedIDs()
	for i, s := range segs {
		if s.FlushRows != thresholds[i] || s.Upload.Meta.NumDocs != thresholds[i] {
			t.Errorf("segment %s: threshold %d, %d rows; want %d and %d", s.Name, s.FlushRows, s.Upload.Meta.NumDocs,
				thresholds[i], thresholds[i])
		}
		for _, r := range reps {
			waitFor(t, 5*time.Second, "sealed copy on "+r.name, func() bool { return r.host.sealedMeta(s.Name) != nil })
			if crc := r.host.sealedMeta(s.Name).CRC; crc != s.Upload.Meta.CRC {
				t.Errorf("segment %s: replica %s sealed CRC %08x, committed %08x", s.Name, r.name, crc, s.Upload.Meta.CRC)
			}
		}
	}
	for _, r := range reps {
		checkExactly(t, "replica "+r.name, append(got, ids(r.host.consumingSeg(last).Snapshot())...), want)
	}
	// The read-ahead paths ran: a pending segment took a higher threshold
	// with rows already read, and one was read again.
	out := logs.String()
	if !strings.Contains(out, "rows read ahead do not fit the recorded threshold") {
		t.Error("no pending segment was read again")
	}
	resumed := false
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `msg="consuming segment"`) && strings.Contains(l, "flush_rows=180") &&
			!strings.Contains(l, "rows_read_ahead=0") {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("the segment of threshold 180 was not named with rows read ahead:\n%s", grep(out, `msg="consuming segment"`))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
