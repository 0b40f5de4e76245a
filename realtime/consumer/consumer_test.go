package consumer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completion/completiontest"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/segment"
)

// Two replicas consume while events arrive; segments commit at the row
// limit with requests and answers lost on the way; in the end the
// committed segments plus the consuming one hold every good event exactly
// once, on both replicas, and both built byte-identical files.
func TestExactlyOnceUnderCommits(t *testing.T) {
	c := newCluster(t, 200*time.Millisecond)
	// One request in five is lost, at random (seeded): losing exactly
	// every fifth can fall into step with the two replicas' request cycle
	// and lose the same CommitEnd forever, a schedule no network keeps up.
	var mu sync.Mutex
	lose := rand.New(rand.NewPCG(5, 5))
	c.ctl.Inject = func(method string, r completion.Report) error {
		mu.Lock()
		defer mu.Unlock()
		if lose.IntN(5) == 0 {
			return errors.New("injected: answer lost")
		}
		return nil
	}
	a := c.start(c.config("a"))
	b := c.start(c.config("b"))
	c.open("a", "b")

	want := map[int64]bool{}
	const n = 1234
	for id := 1; id <= n; id++ {
		var data []byte
		switch {
		case id%97 == 0:
			data = []byte(`{"id": ` + fmt.Sprint(id) + `, "user": "x"`) // malformed_json
		case id%89 == 0:
			data = fmt.Appendf(nil, `{"id": %d, "user": "x", "campaign": "c", "price": "cheap"}`, id) // bad_number
		case id%83 == 0:
			data = fmt.Appendf(nil, `{"id": %d, "user": "x", "price": 1}`, id) // missing_required_field
		case id%79 == 0:
			data = fmt.Appendf(nil, `{"id": %d, "user": "%s", "campaign": "c"}`, id, strings.Repeat("x", 300)) // oversized
		case id%73 == 0:
			data = fmt.Appendf(nil, `{"id": %d, "user": "x", "campaign": "bot"}`, id) // filtered
		default:
			data = goodEvent(id)
			want[int64(id)] = true
		}
		c.produce(data)
		if id%200 == 0 {
			time.Sleep(20 * time.Millisecond) // arrive while consuming
		}
	}
	// Every good event is in a committed segment or the consuming one.
	var last string
	waitFor(t, 30*time.Second, "every event consumed", func() bool {
		got, segs := c.committedIDs()
		last = c.mem.Segments()[len(segs)].Name
		for _, r := range []*replica{a, b} {
			seg := r.host.consumingSeg(last)
			if seg == nil || len(got)+seg.NumDocs() != len(want) {
				return false
			}
		}
		return true
	})
	got, segs := c.committedIDs()
	if len(segs) < 10 {
		t.Fatalf("%d segments committed, want at least 10 (100 rows each)", len(segs))
	}
	for _, r := range []*replica{a, b} {
		checkExactly(t, "replica "+r.name, append(got, ids(r.host.consumingSeg(last).Snapshot())...), want)
	}
	for _, s := range segs {
		if s.Upload.Meta.NumDocs != 100 {
			t.Errorf("segment %s: %d rows, want the row limit 100", s.Name, s.Upload.Meta.NumDocs)
		}
		// Both replicas hold a sealed copy with the committed CRC:
		// the committer its upload, the other its own identical build.
		for _, r := range []*replica{a, b} {
			meta := r.host.sealedMeta(s.Name)
			if meta == nil {
				waitFor(t, 5*time.Second, "sealed copy on "+r.name, func() bool { return r.host.sealedMeta(s.Name) != nil })
				meta = r.host.sealedMeta(s.Name)
			}
			if meta.CRC != s.Upload.Meta.CRC {
				t.Errorf("segment %s: replica %s sealed CRC %08x, committed %08x", s.Name, r.name, meta.CRC, s.Upload.Meta.CRC)
			}
		}
	}
	// Sorted on the sorted column, with the range index.
	data, err := readAll(c.ds, segs[0].Upload.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("user")) {
		t.Fatal("committed file has no user column")
	}
	if m := segs[0].Upload.Meta; !colMeta(m, "user").Sorted || !colMeta(m, "price").HasRange || !colMeta(m, "campaign").HasInverted {
		t.Errorf("committed segment indexes: user sorted %v, price range %v, campaign inverted %v",
			colMeta(m, "user").Sorted, colMeta(m, "price").HasRange, colMeta(m, "campaign").HasInverted)
	}
	if c.ctl.Answered(completion.CommitSuccess) != len(segs) {
		t.Errorf("%d COMMIT_SUCCESS answers for %d commits", c.ctl.Answered(completion.CommitSuccess), len(segs))
	}
	if c.ctl.Answered(completion.Keep)+c.ctl.Answered(completion.CatchUp) == 0 {
		t.Error("the non-committing replica never got KEEP or CATCH_UP")
	}

	// Bad records: counted per reason on each replica, exactly.
	wantBad := map[string]int64{}
	for id := 1; id <= n; id++ {
		switch {
		case id%97 == 0:
			wantBad["malformed_json"]++
		case id%89 == 0:
			wantBad["bad_number"]++
		case id%83 == 0:
			wantBad[ReasonMissingRequired]++
		case id%79 == 0:
			wantBad[ReasonOversized]++
		}
	}
	for _, r := range []*replica{a, b} {
		got := r.p.Counters().Bad
		if fmt.Sprint(got) != fmt.Sprint(wantBad) {
			t.Errorf("replica %s bad records %v, want %v", r.name, got, wantBad)
		}
	}
	// Stats: the consuming segment reads as consuming.
	st := a.p.Stats()
	if len(st) == 0 || st[len(st)-1].Segment != last || st[len(st)-1].State != consuminginfo.StateConsuming {
		t.Fatalf("stats %+v, want %s CONSUMING last", st, last)
	}
	if e := st[len(st)-1]; e.Rows != int64(a.host.consumingSeg(last).NumDocs()) || e.LastConsumedMs == 0 || e.BadRecords["malformed_json"] == 0 {
		t.Errorf("stats of %s: %+v", last, e)
	}
}

func colMeta(m *segment.Meta, name string) *segment.ColumnMeta {
	for _, c := range m.Columns {
		if c.Name == name {
			return c
		}
	}
	return &segment.ColumnMeta{}
}

// HOLD, CATCH_UP and KEEP: a fast replica stops at the time limit and
// holds until the slow one reports; the slow one is told to catch up to
// the fast one's offset, then keeps its own copy.
func TestHoldCatchUpKeep(t *testing.T) {
	c := newCluster(t, 5*time.Second)
	fast := c.config("fast")
	fast.FlushRows, fast.FlushTime = 10_000, 300*time.Millisecond
	slow := c.config("slow")
	slow.FlushRows, slow.FlushTime = 10_000, 300*time.Millisecond
	for id := 1; id <= 300; id++ {
		c.produce(goodEvent(id))
	}
	a := c.start(fast)
	b := c.startWith(slow, slowStream{Stream: c.s, delay: 30 * time.Millisecond, max: 5}, c.ds)
	c.open("fast", "slow")
	waitFor(t, 20*time.Second, "first segment committed and kept", func() bool {
		s, _ := c.mem.Get(c.first)
		return s.Done && a.host.sealedMeta(c.first) != nil && b.host.sealedMeta(c.first) != nil
	})
	s, _ := c.mem.Get(c.first)
	if s.Committer != "fast" || s.End != "300" || s.Upload.Meta.NumDocs != 300 {
		t.Errorf("committed by %s at %q with %d rows; want fast at 300 with 300", s.Committer, s.End, s.Upload.Meta.NumDocs)
	}
	if b.host.sealedMeta(c.first).CRC != s.Upload.Meta.CRC {
		t.Errorf("slow replica's kept copy has CRC %08x, committed %08x", b.host.sealedMeta(c.first).CRC, s.Upload.Meta.CRC)
	}
	for _, st := range []completion.Status{completion.Hold, completion.CatchUp, completion.Commit, completion.Keep} {
		if c.ctl.Answered(st) == 0 {
			t.Errorf("no %s answer; calls: %v", st, summary(c.ctl.Calls()))
		}
	}
	for _, call := range c.ctl.Calls() {
		if call.Answer.Status == completion.CatchUp && (call.Report.Instance != "slow" || call.Answer.Offset != "300") {
			t.Errorf("CATCH_UP to %q for %s, want slow to 300", call.Answer.Offset, call.Report.Instance)
		}
	}
}

func summary(calls []completiontest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, fmt.Sprintf("%s(%s@%s)=%s", c.Method, c.Report.Instance, c.Report.Offset, c.Answer.Status))
	}
	return out
}
