package completion

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
)

// cmpInt orders offsets written as decimal integers, the way a stream
// orders its own offsets; anything else is an offset the stream could not
// have produced.
func cmpInt(a, b stream.Offset) (int, error) {
	x, err := strconv.ParseInt(string(a), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %q is not a number", a)
	}
	y, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %q is not a number", b)
	}
	switch {
	case x < y:
		return -1, nil
	case x > y:
		return 1, nil
	}
	return 0, nil
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one input to the FSM and what must come out.
type step struct {
	ms       int64  // time since t0
	op       string // consumed, start, end, stopped, applied, rejected, unknown, observe
	inst     string
	off      stream.Offset
	reason   Reason
	uploaded bool
	rec      Record // rejected, observe

	want       Status
	wantOff    stream.Offset // checked when not ""
	wantState  wantState     // checked when set with is()
	wantEffect EffectKind
}

// wantState is a State plus one, so that its zero value means "any".
type wantState int

func is(s State) wantState { return wantState(s) + 1 }

func TestTransitions(t *testing.T) {
	cfg := Config{MaxHold: 3 * time.Second, CommitTimeout: 20 * time.Second}
	abc := []string{"a", "b", "c"}
	for _, tc := range []struct {
		name     string
		replicas []string
		rec      Record
		steps    []step
	}{
		{name: "all report, largest commits, others catch up and keep", replicas: abc, steps: []step{
			{op: "consumed", inst: "a", off: "10", reason: ReasonTimeLimit, want: Hold, wantOff: "10", wantState: is(Holding)},
			{ms: 100, op: "consumed", inst: "b", off: "12", reason: ReasonTimeLimit, want: Hold, wantState: is(Holding)},
			{ms: 200, op: "consumed", inst: "c", off: "11", reason: ReasonTimeLimit, want: CatchUp, wantOff: "12", wantState: is(CommitterDecided)},
			{ms: 300, op: "consumed", inst: "a", off: "10", want: CatchUp, wantOff: "12", wantState: is(CommitterDecided)},
			{ms: 1000, op: "consumed", inst: "b", off: "12", want: Commit, wantOff: "12", wantState: is(CommitterNotified)},
			{ms: 1100, op: "consumed", inst: "c", off: "12", want: Hold, wantState: is(CommitterNotified)},
			{ms: 1200, op: "consumed", inst: "b", off: "12", want: Commit, wantOff: "12", wantState: is(CommitterNotified)},
			{ms: 2000, op: "start", inst: "b", off: "12", want: CommitContinue, wantState: is(CommitterUploading)},
			{ms: 2100, op: "start", inst: "b", off: "12", want: Hold, wantState: is(CommitterUploading)},
			{ms: 3000, op: "end", inst: "b", off: "12", uploaded: true, want: StatusNone, wantState: is(Committing), wantEffect: EffectWriteCommit},
			{ms: 3100, op: "consumed", inst: "a", off: "12", want: Hold, wantState: is(Committing)},
			{ms: 3200, op: "applied", want: CommitSuccess, wantOff: "12", wantState: is(Committed)},
			{ms: 3300, op: "consumed", inst: "a", off: "12", want: Keep, wantOff: "12", wantState: is(Committed)},
			{ms: 3400, op: "consumed", inst: "c", off: "12", want: Keep, wantOff: "12", wantState: is(Committed)},
		}},
		{name: "row limit: the first reporter commits at once", replicas: abc, steps: []step{
			{op: "consumed", inst: "a", off: "100", reason: ReasonRowLimit, want: Commit, wantOff: "100", wantState: is(CommitterNotified)},
			{ms: 10, op: "consumed", inst: "b", off: "90", reason: ReasonRowLimit, want: CatchUp, wantOff: "100", wantState: is(CommitterNotified)},
			{ms: 20, op: "consumed", inst: "c", off: "110", reason: ReasonTimeLimit, want: Hold, wantState: is(CommitterNotified)},
		}},
		{name: "end of partition: the first reporter commits at once", replicas: abc, steps: []step{
			{op: "consumed", inst: "c", off: "7", reason: ReasonEndOfPartition, want: Commit, wantOff: "7", wantState: is(CommitterNotified)},
		}},
		{name: "max hold: commit among those that reported", replicas: abc, steps: []step{
			{op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Hold},
			{ms: 2999, op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Hold, wantState: is(Holding)},
			{ms: 3000, op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Commit, wantOff: "5", wantState: is(CommitterNotified)},
		}},
		{name: "a tie goes to the reporting instance", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Hold},
			{ms: 10, op: "consumed", inst: "b", off: "5", reason: ReasonTimeLimit, want: Commit, wantOff: "5", wantState: is(CommitterNotified)},
		}},
		{name: "decided committer never returns: abort", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "7", reason: ReasonTimeLimit, want: Hold},
			{ms: 10, op: "consumed", inst: "b", off: "5", reason: ReasonTimeLimit, want: CatchUp, wantOff: "7", wantState: is(CommitterDecided)},
			{ms: 6000, op: "consumed", inst: "b", off: "7", want: Hold, wantState: is(CommitterDecided)},
			{ms: 6011, op: "consumed", inst: "b", off: "7", want: Hold, wantState: is(Aborted)},
		}},
		{name: "decided committer returns at another offset: abort", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "7", reason: ReasonTimeLimit, want: Hold},
			{ms: 10, op: "consumed", inst: "b", off: "5", reason: ReasonTimeLimit, want: CatchUp, wantOff: "7", wantState: is(CommitterDecided)},
			{ms: 20, op: "consumed", inst: "a", off: "8", want: Hold, wantState: is(Aborted)},
		}},
		{name: "committer does not finish in time: abort", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit, wantState: is(CommitterNotified)},
			{ms: 1000, op: "start", inst: "a", off: "9", want: CommitContinue, wantState: is(CommitterUploading)},
			{ms: 20000, op: "consumed", inst: "b", off: "9", want: Hold, wantState: is(CommitterUploading)},
			{ms: 20001, op: "consumed", inst: "b", off: "9", want: Hold, wantState: is(Aborted)},
		}},
		{name: "commit start too late: abort", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonTimeLimit, want: Commit},
			{ms: 20001, op: "start", inst: "a", off: "9", want: Hold, wantState: is(Aborted)},
		}},
		{name: "committer reports instead of uploading: abort", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonTimeLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "consumed", inst: "a", off: "9", want: Hold, wantState: is(Aborted)},
		}},
		{name: "commit start from another instance or offset", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "b", off: "9", want: Hold, wantState: is(CommitterNotified)},
			{ms: 20, op: "start", inst: "a", off: "8", want: Hold, wantState: is(Aborted)},
		}},
		{name: "commit start before any decision holds", replicas: []string{"a", "b"}, steps: []step{
			{op: "start", inst: "a", off: "9", want: Hold, wantState: is(Holding)},
			{ms: 1, op: "end", inst: "a", off: "9", uploaded: true, want: Failed, wantState: is(Holding)},
		}},
		{name: "upload failed: abort", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: false, want: Failed, wantState: is(Aborted)},
		}},
		{name: "commit end from a non-committer changes nothing", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "b", off: "9", uploaded: true, want: Failed, wantState: is(CommitterUploading)},
			{ms: 30, op: "end", inst: "a", off: "8", uploaded: true, want: Failed, wantState: is(Aborted)},
		}},
		{name: "commit write rejected, another leader committed elsewhere", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: true, want: StatusNone, wantEffect: EffectWriteCommit},
			{ms: 30, op: "rejected", rec: Record{Done: true, EndOffset: "11"}, want: Discard, wantOff: "11", wantState: is(Committed)},
			{ms: 40, op: "consumed", inst: "a", off: "9", want: CatchUp, wantOff: "11"},
		}},
		{name: "commit write rejected, same offset committed elsewhere", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: true, want: StatusNone, wantEffect: EffectWriteCommit},
			{ms: 30, op: "rejected", rec: Record{Done: true, EndOffset: "9"}, want: Keep, wantOff: "9", wantState: is(Committed)},
		}},
		{name: "commit write rejected, record still in progress", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: true, want: StatusNone, wantEffect: EffectWriteCommit},
			{ms: 30, op: "rejected", rec: Record{}, want: Failed, wantState: is(Aborted)},
		}},
		{name: "commit outcome unknown", replicas: []string{"a"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: true, want: StatusNone, wantEffect: EffectWriteCommit},
			{ms: 30, op: "unknown", want: Failed, wantState: is(Aborted)},
		}},
		{name: "no timeout while the commit write is in flight", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "9", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "start", inst: "a", off: "9", want: CommitContinue},
			{ms: 20, op: "end", inst: "a", off: "9", uploaded: true, want: StatusNone, wantEffect: EffectWriteCommit},
			{ms: 60000, op: "consumed", inst: "b", off: "9", want: Hold, wantState: is(Committing)},
			{ms: 60001, op: "consumed", inst: "a", off: "9", want: Hold, wantState: is(Committing)},
			{ms: 60002, op: "stopped", inst: "b", off: "9", want: Processed, wantState: is(Committing), wantEffect: EffectReplicaStopped},
			{ms: 60003, op: "observe", rec: Record{Done: true, EndOffset: "9"}, wantState: is(Committing)},
			{ms: 60004, op: "applied", want: CommitSuccess, wantOff: "9", wantState: is(Committed)},
		}},
		{name: "rebuilt from a DONE record", replicas: abc, rec: Record{Done: true, EndOffset: "50"}, steps: []step{
			{op: "consumed", inst: "a", off: "50", want: Keep, wantOff: "50", wantState: is(Committed)},
			{op: "consumed", inst: "b", off: "40", want: CatchUp, wantOff: "50"},
			{op: "consumed", inst: "c", off: "60", want: Discard, wantOff: "50"},
			{op: "start", inst: "a", off: "50", want: Keep, wantOff: "50"},
			{op: "start", inst: "b", off: "49", want: Discard, wantOff: "50"},
			{op: "end", inst: "c", off: "50", uploaded: true, want: Keep, wantOff: "50"},
			{op: "end", inst: "c", off: "51", uploaded: true, want: Discard, wantOff: "50"},
		}},
		{name: "a stopped replica is not waited for and cannot commit", replicas: []string{"a", "b"}, steps: []step{
			{op: "stopped", inst: "b", off: "3", reason: "decodeError", want: Processed, wantState: is(Holding), wantEffect: EffectReplicaStopped},
			{ms: 10, op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Commit, wantOff: "5", wantState: is(CommitterNotified)},
			{ms: 20, op: "start", inst: "b", off: "5", want: Failed, wantState: is(CommitterNotified)},
		}},
		{name: "a stopped replica that reports again is back", replicas: []string{"a", "b"}, steps: []step{
			{op: "stopped", inst: "b", off: "3", want: Processed, wantEffect: EffectReplicaStopped},
			{ms: 10, op: "consumed", inst: "b", off: "6", reason: ReasonTimeLimit, want: Hold, wantState: is(Holding)},
			{ms: 20, op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: CatchUp, wantOff: "6", wantState: is(CommitterDecided)},
		}},
		{name: "the committer stops: abort", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "5", reason: ReasonRowLimit, want: Commit},
			{ms: 10, op: "stopped", inst: "a", off: "5", want: Processed, wantState: is(Aborted), wantEffect: EffectReplicaStopped},
		}},
		{name: "an offset the stream cannot order is refused", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Hold},
			{ms: 10, op: "consumed", inst: "b", off: "x", reason: ReasonTimeLimit, want: Failed, wantState: is(Holding)},
			{ms: 20, op: "consumed", inst: "b", off: "4", reason: ReasonTimeLimit, want: CatchUp, wantOff: "5", wantState: is(CommitterDecided)},
			{ms: 30, op: "consumed", inst: "b", off: "zz", want: Failed, wantState: is(CommitterDecided)},
		}},
		{name: "observing a DONE record ends the round", replicas: []string{"a", "b"}, steps: []step{
			{op: "consumed", inst: "a", off: "5", reason: ReasonTimeLimit, want: Hold},
			{ms: 10, op: "observe", rec: Record{Done: true, EndOffset: "5"}, wantState: is(Committed)},
			{ms: 20, op: "consumed", inst: "b", off: "5", want: Keep, wantOff: "5"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := New("t__0__0__20260101T0000Z", tc.rec, tc.replicas, cfg, cmpInt, t0)
			for i, s := range tc.steps {
				now := t0.Add(time.Duration(s.ms) * time.Millisecond)
				var r Response
				var e Effect
				switch s.op {
				case "consumed":
					r = f.Consumed(now, s.inst, s.off, s.reason)
				case "start":
					r = f.CommitStart(now, s.inst, s.off)
				case "end":
					r, e = f.CommitEnd(now, s.inst, s.off, s.uploaded)
				case "stopped":
					r, e = f.StoppedConsuming(now, s.inst, s.off, s.reason)
				case "applied":
					r = f.CommitApplied(now)
				case "rejected":
					r = f.CommitRejected(now, s.rec)
				case "unknown":
					r = f.CommitUnknown(now)
				case "observe":
					f.Observe(s.rec)
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
				if r.Status != s.want || (s.wantOff != "" && r.Offset != s.wantOff) {
					t.Fatalf("step %d (%s %s@%s): response %v %q, want %v %q; fsm %v", i, s.op, s.inst, s.off,
						r.Status, r.Offset, s.want, s.wantOff, f)
				}
				if s.wantState != 0 && f.State() != State(s.wantState-1) {
					t.Fatalf("step %d (%s %s@%s): state %v, want %v", i, s.op, s.inst, s.off, f.State(), State(s.wantState-1))
				}
				if e.Kind != s.wantEffect {
					t.Fatalf("step %d (%s): effect %v, want %v", i, s.op, e.Kind, s.wantEffect)
				}
				if r.Status == Failed && r.Message == "" {
					t.Fatalf("step %d: FAILED without a message", i)
				}
			}
		})
	}
}

func TestCommitResponseCarriesBuildTime(t *testing.T) {
	cfg := Config{MaxHold: time.Second, CommitTimeout: 10 * time.Second}
	f := New("s", Record{}, []string{"a"}, cfg, cmpInt, t0)
	r := f.Consumed(t0, "a", "1", ReasonRowLimit)
	if r.Status != Commit || r.BuildTime != 10*time.Second {
		t.Fatalf("first COMMIT = %+v, want build time 10s", r)
	}
	r = f.Consumed(t0.Add(4*time.Second), "a", "1", ReasonRowLimit)
	if r.Status != Commit || r.BuildTime != 6*time.Second {
		t.Fatalf("repeated COMMIT = %+v, want the remaining 6s", r)
	}
}

func TestCommitOutcomeWithoutWriteIsABug(t *testing.T) {
	f := New("s", Record{}, []string{"a"}, DefaultConfig(), cmpInt, t0)
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "BUG:") {
			t.Fatalf("recover() = %v, want a BUG panic", r)
		}
	}()
	f.CommitApplied(t0)
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{MaxHold: 0, CommitTimeout: time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "MaxHold") {
		t.Fatalf("zero MaxHold: %v", err)
	}
	if err := (Config{MaxHold: time.Second, CommitTimeout: time.Millisecond}).Validate(); err == nil || !strings.Contains(err.Error(), "CommitTimeout") {
		t.Fatalf("short CommitTimeout: %v", err)
	}
}

func TestStatusNames(t *testing.T) {
	for s := StatusNone; s <= NotLeader; s++ {
		back, err := ParseStatus(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseStatus(%q) = %v, %v", s, back, err)
		}
	}
	if _, err := ParseStatus("MAYBE"); err == nil || !strings.Contains(err.Error(), `"MAYBE"`) {
		t.Fatalf("ParseStatus(MAYBE): %v", err)
	}
}
