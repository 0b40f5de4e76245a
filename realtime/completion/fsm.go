package completion

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tannin-db/tannin/stream"
)

// Status is what the controller answers a replica (Pinot's
// ControllerResponseStatus names).
type Status int

// Statuses. A replica acts on each as PROTOCOL.md says.
const (
	// StatusNone: no answer yet; CommitEnd's answer comes from the outcome
	// of the commit transaction (CommitApplied, CommitRejected,
	// CommitUnknown).
	StatusNone Status = iota
	// Hold: stop consuming and report again shortly.
	Hold
	// CatchUp: consume to exactly Response.Offset, then report again.
	CatchUp
	// Commit: you are the committer; build the segment up to
	// Response.Offset and call CommitStart within Response.BuildTime.
	Commit
	// CommitContinue: upload the segment, then call CommitEnd.
	CommitContinue
	// CommitSuccess: your segment is committed; keep it and go ONLINE.
	CommitSuccess
	// Keep: the segment was committed at exactly your offset; seal and
	// keep your own copy.
	Keep
	// Discard: the segment was committed at another offset; drop yours
	// and download the committed one.
	Discard
	// Failed: the request was refused; report with Consumed again.
	Failed
	// Processed: a StoppedConsuming report was recorded.
	Processed
	// NotLeader: this controller does not lead; the caller answers it
	// before reaching an FSM, and the replica asks the leader.
	NotLeader
)

var statusNames = [...]string{"NONE", "HOLD", "CATCH_UP", "COMMIT", "COMMIT_CONTINUE", "COMMIT_SUCCESS",
	"KEEP", "DISCARD", "FAILED", "PROCESSED", "NOT_LEADER"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ParseStatus is String's inverse, for the wire.
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if n == s {
			return Status(i), nil
		}
	}
	return 0, fmt.Errorf("unknown segment completion status %q", s)
}

// State is where one segment's FSM stands (Pinot's
// BlockingSegmentCompletionFSM states; its PARTIAL_CONSUMING is HOLDING
// with a replica marked stopped, since both answer every message alike).
type State int

// States, in the order a segment normally passes them.
const (
	// Holding: collecting the replicas' offsets.
	Holding State = iota
	// CommitterDecided: the committer is chosen but not told yet (it
	// learns on its next report).
	CommitterDecided
	// CommitterNotified: the committer was told COMMIT and is building.
	CommitterNotified
	// CommitterUploading: the committer is uploading to the deep store.
	CommitterUploading
	// Committing: the commit transaction is being written.
	Committing
	// Committed: the segment record is DONE at the end offset.
	Committed
	// Aborted: this round failed; the caller drops the FSM and the next
	// message starts a fresh one from the segment record.
	Aborted
)

var stateNames = [...]string{"HOLDING", "COMMITTER_DECIDED", "COMMITTER_NOTIFIED", "COMMITTER_UPLOADING",
	"COMMITTING", "COMMITTED", "ABORTED"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Reason says why a replica stopped consuming (Pinot's reason strings).
type Reason string

// Stop reasons. RowLimit and EndOfPartition let the first reporter become
// the committer at once: every replica stops at the same offset for them.
const (
	ReasonRowLimit       Reason = "rowLimit"
	ReasonTimeLimit      Reason = "timeLimit"
	ReasonSizeLimit      Reason = "segmentSizeLimit"
	ReasonEndOfPartition Reason = "endOfPartitionGroup"
	ReasonForceCommit    Reason = "forceCommitMessageReceived"
)

// Compare orders two offsets of the segment's partition: -1, 0 or +1
// (stream.Stream.Compare). It fails on an offset the stream could not have
// produced.
type Compare func(a, b stream.Offset) (int, error)

// Config holds the protocol's timings.
type Config struct {
	// MaxHold is how long the FSM waits for every replica to report
	// before choosing a committer among those that did (Pinot: 3 s).
	// Replicas told HOLD report again within MaxHold/2.
	MaxHold time.Duration
	// CommitTimeout is how long the committer has from COMMIT to
	// CommitEnd: build plus upload (Pinot's default commit timeout is
	// 120 s). Past it the round is aborted and another committer chosen.
	CommitTimeout time.Duration
}

// DefaultConfig returns Pinot's timings.
func DefaultConfig() Config {
	return Config{MaxHold: 3 * time.Second, CommitTimeout: 120 * time.Second}
}

// Validate checks the timings.
func (c Config) Validate() error {
	switch {
	case c.MaxHold <= 0:
		return fmt.Errorf("segment completion: MaxHold %v must be positive", c.MaxHold)
	case c.CommitTimeout < c.MaxHold:
		return fmt.Errorf("segment completion: CommitTimeout %v must be at least MaxHold %v", c.CommitTimeout, c.MaxHold)
	}
	return nil
}

// Record is what the cluster metadata says of the segment.
type Record struct {
	// Done is true once the segment is committed (status DONE).
	Done bool
	// EndOffset is the committed end offset (when Done).
	EndOffset stream.Offset
}

// Response is the answer to one replica message.
type Response struct {
	Status Status
	// Offset is the target of CatchUp and Commit, the committed offset of
	// Keep, Discard and CommitSuccess, and the reported one of Hold.
	Offset stream.Offset
	// BuildTime is how long the committer has left to call CommitEnd
	// (with Commit).
	BuildTime time.Duration
	// Message explains a Failed answer.
	Message string
}

// EffectKind names what the caller must do after a step.
type EffectKind int

const (
	// EffectNone: nothing.
	EffectNone EffectKind = iota
	// EffectWriteCommit: write the commit transaction (the segment DONE at
	// Effect.Offset with the upload of Effect.Instance, the next segment
	// opened at that offset) and report the outcome with CommitApplied,
	// CommitRejected or CommitUnknown; the committer's answer waits for
	// it.
	EffectWriteCommit
	// EffectReplicaStopped: Effect.Instance stopped consuming the segment;
	// mark it OFFLINE in the segment's assignment (the repair task brings
	// it back).
	EffectReplicaStopped
)

func (k EffectKind) String() string {
	switch k {
	case EffectNone:
		return "NONE"
	case EffectWriteCommit:
		return "WRITE_COMMIT"
	case EffectReplicaStopped:
		return "REPLICA_STOPPED"
	}
	return fmt.Sprintf("EffectKind(%d)", int(k))
}

// Effect is work for the caller.
type Effect struct {
	Kind     EffectKind
	Instance string
	Offset   stream.Offset
}

// FSM is the completion state machine of one segment. It is not safe for
// concurrent use: the caller serialises the messages of a segment.
type FSM struct {
	segment  string
	cfg      Config
	cmp      Compare
	replicas map[string]bool

	state State
	start time.Time
	// reports holds the last offset each replica reported this round.
	reports map[string]stream.Offset
	stopped map[string]bool

	winner    string
	winOffset stream.Offset
	// decidedAt is when the committer was chosen; notifiedAt when it was
	// told COMMIT.
	decidedAt, notifiedAt time.Time
}

// New returns the FSM of segment, rebuilt from its record: COMMITTED at
// the record's end offset when it is DONE, else HOLDING with a fresh
// round started at now. replicas are the instances that consume the
// segment (its CONSUMING assignment): the FSM waits for each of them,
// at most MaxHold.
func New(segment string, rec Record, replicas []string, cfg Config, cmp Compare, now time.Time) *FSM {
	f := &FSM{segment: segment, cfg: cfg, cmp: cmp, replicas: make(map[string]bool, len(replicas)),
		start: now, reports: make(map[string]stream.Offset, len(replicas)), stopped: map[string]bool{}}
	for _, r := range replicas {
		f.replicas[r] = true
	}
	if rec.Done {
		f.state, f.winOffset = Committed, rec.EndOffset
	}
	return f
}

// Segment is the segment's name.
func (f *FSM) Segment() string { return f.segment }

// State is the current state.
func (f *FSM) State() State { return f.state }

// Committer returns the chosen committer and its offset ("" before one is
// chosen, and after a rebuild from a DONE record).
func (f *FSM) Committer() (string, stream.Offset) { return f.winner, f.winOffset }

// Done reports that the FSM has nothing more to decide: the caller drops
// it, and the segment's next message builds a new one from the record.
func (f *FSM) Done() bool { return f.state == Committed || f.state == Aborted }

// notifyWait is how long a chosen committer has to report again and learn
// that it commits: replicas told HOLD report within MaxHold/2, so two
// MaxHold is ample.
func (f *FSM) notifyWait() time.Duration { return 2 * f.cfg.MaxHold }

func (f *FSM) commitDeadline() time.Time { return f.notifiedAt.Add(f.cfg.CommitTimeout) }

func (f *FSM) abort() { f.state = Aborted }

func hold(off stream.Offset) Response { return Response{Status: Hold, Offset: off} }

func failed(format string, args ...any) Response {
	return Response{Status: Failed, Message: fmt.Sprintf(format, args...)}
}

// compare orders a against b, or explains why it cannot.
func (f *FSM) compare(a, b stream.Offset) (int, error) {
	c, err := f.cmp(a, b)
	if err != nil {
		return 0, fmt.Errorf("segment %s: compare offsets %q and %q: %w", f.segment, a, b, err)
	}
	return c, nil
}

// Consumed handles segmentConsumed: instance stopped consuming at offset
// for reason and asks what to do.
func (f *FSM) Consumed(now time.Time, instance string, offset stream.Offset, reason Reason) Response {
	// A replica that had stopped and now reports again is back (it may
	// have restarted and consumed up to here).
	delete(f.stopped, instance)
	switch f.state {
	case Holding:
		f.reports[instance] = offset
		picked, err := f.pick(now, instance, reason)
		if err != nil {
			delete(f.reports, instance)
			return failed("%v", err)
		}
		if !picked {
			return hold(offset)
		}
		f.decidedAt = now
		if f.winner == instance {
			return f.notify(now)
		}
		f.state = CommitterDecided
		return f.others(offset)
	case CommitterDecided:
		f.reports[instance] = offset
		if now.Sub(f.decidedAt) > f.notifyWait() {
			// The committer never came back: start over.
			f.abort()
			return hold(offset)
		}
		if instance == f.winner {
			c, err := f.compare(offset, f.winOffset)
			if err != nil {
				return failed("%v", err)
			}
			if c != 0 {
				// The committer moved (a restart?): start over.
				f.abort()
				return hold(offset)
			}
			return f.notify(now)
		}
		return f.others(offset)
	case CommitterNotified, CommitterUploading:
		if now.After(f.commitDeadline()) {
			f.abort()
			return hold(offset)
		}
		if instance == f.winner {
			c, err := f.compare(offset, f.winOffset)
			if err != nil {
				return failed("%v", err)
			}
			if f.state == CommitterNotified && c == 0 {
				// It missed our COMMIT; say it again.
				return f.commitResponse(now)
			}
			// The committer reports instead of committing: it gave
			// up or restarted. Start over.
			f.abort()
			return hold(offset)
		}
		return f.others(offset)
	case Committing:
		if instance == f.winner {
			return hold(offset)
		}
		return f.others(offset)
	case Committed:
		c, err := f.compare(offset, f.winOffset)
		switch {
		case err != nil:
			return failed("%v", err)
		case c == 0:
			return Response{Status: Keep, Offset: f.winOffset}
		case c < 0:
			// Behind: the records up to the end offset are the ones
			// committed, so catching up gives an identical copy.
			return Response{Status: CatchUp, Offset: f.winOffset}
		default:
			return Response{Status: Discard, Offset: f.winOffset}
		}
	default: // Aborted
		return hold(offset)
	}
}

// others answers a replica that is not the committer while a committer is
// chosen and the segment not committed yet: behind it catches up to the
// committer's offset; level or ahead it holds, in case the committer fails
// and it must take over.
func (f *FSM) others(offset stream.Offset) Response {
	c, err := f.compare(offset, f.winOffset)
	if err != nil {
		return failed("%v", err)
	}
	if c < 0 {
		return Response{Status: CatchUp, Offset: f.winOffset}
	}
	return hold(offset)
}

func (f *FSM) notify(now time.Time) Response {
	f.state = CommitterNotified
	f.notifiedAt = now
	return f.commitResponse(now)
}

func (f *FSM) commitResponse(now time.Time) Response {
	return Response{Status: Commit, Offset: f.winOffset, BuildTime: f.commitDeadline().Sub(now)}
}

// pick chooses the committer if it can: at once when the first report
// stopped at the row limit or the partition's end (every replica stops at
// that same offset), else once every live replica reported or MaxHold
// passed, the one at the largest offset — preferring the reporting
// instance, which then learns at once, then the smallest name.
func (f *FSM) pick(now time.Time, instance string, reason Reason) (bool, error) {
	if (reason == ReasonRowLimit || reason == ReasonEndOfPartition) && len(f.reports) == 1 {
		f.winner, f.winOffset = instance, f.reports[instance]
		return true, nil
	}
	if now.Sub(f.start) < f.cfg.MaxHold && !f.allReported() {
		return false, nil
	}
	names := make([]string, 0, len(f.reports))
	for name := range f.reports {
		names = append(names, name)
	}
	sort.Strings(names)
	best := instance
	for _, name := range names {
		c, err := f.compare(f.reports[name], f.reports[best])
		if err != nil {
			return false, err
		}
		if c > 0 {
			best = name
		}
	}
	f.winner, f.winOffset = best, f.reports[best]
	return true, nil
}

// allReported reports whether every replica that has not stopped has
// reported this round.
func (f *FSM) allReported() bool {
	for r := range f.replicas {
		if _, ok := f.reports[r]; !ok && !f.stopped[r] {
			return false
		}
	}
	return true
}

// CommitStart handles segmentCommitStart: the committer built the segment
// to offset and asks to upload it.
func (f *FSM) CommitStart(now time.Time, instance string, offset stream.Offset) Response {
	if f.stopped[instance] {
		return failed("segment %s: %s reported that it stopped consuming", f.segment, instance)
	}
	switch f.state {
	case CommitterNotified:
		if now.After(f.commitDeadline()) {
			f.abort()
			return hold(offset)
		}
		if instance != f.winner {
			// Told COMMIT by an earlier round or leader: not any more.
			return hold(offset)
		}
		c, err := f.compare(offset, f.winOffset)
		if err != nil {
			return failed("%v", err)
		}
		if c != 0 {
			f.abort()
			return hold(offset)
		}
		f.state = CommitterUploading
		return Response{Status: CommitContinue, Offset: f.winOffset, BuildTime: f.commitDeadline().Sub(now)}
	case CommitterUploading:
		if now.After(f.commitDeadline()) {
			f.abort()
		}
		return hold(offset)
	case Committed:
		return f.afterCommit(offset)
	default: // Holding, CommitterDecided, Committing, Aborted
		// A commit we did not ask for in this round (say, before a
		// leader change): the replica reports again.
		return hold(offset)
	}
}

// afterCommit answers a (would-be) committer once the segment is
// committed: it keeps its copy if it is of the committed offset.
func (f *FSM) afterCommit(offset stream.Offset) Response {
	c, err := f.compare(offset, f.winOffset)
	if err != nil {
		return failed("%v", err)
	}
	if c == 0 {
		return Response{Status: Keep, Offset: f.winOffset}
	}
	return Response{Status: Discard, Offset: f.winOffset}
}

// CommitEnd handles segmentCommitEnd: the committer finished its upload
// (uploaded false: it failed). On success the answer is StatusNone with
// EffectWriteCommit: the caller writes the commit and answers with what
// CommitApplied, CommitRejected or CommitUnknown return.
func (f *FSM) CommitEnd(now time.Time, instance string, offset stream.Offset, uploaded bool) (Response, Effect) {
	switch f.state {
	case CommitterUploading:
		if instance != f.winner {
			return failed("segment %s: %s is not the committer", f.segment, instance), Effect{}
		}
		if f.stopped[instance] {
			f.abort()
			return failed("segment %s: committer %s reported that it stopped consuming", f.segment, instance), Effect{}
		}
		c, err := f.compare(offset, f.winOffset)
		if err != nil {
			f.abort()
			return failed("%v", err), Effect{}
		}
		if c != 0 {
			f.abort()
			return failed("segment %s: commit end at %q, the committer was to commit at %q", f.segment, offset, f.winOffset), Effect{}
		}
		if !uploaded {
			f.abort()
			return failed("segment %s: upload by %s failed", f.segment, instance), Effect{}
		}
		// No timeout from here on: the write's outcome always comes
		// back, and only etcd can tell whether it applied.
		f.state = Committing
		return Response{}, Effect{Kind: EffectWriteCommit, Instance: instance, Offset: f.winOffset}
	case Committed:
		return f.afterCommit(offset), Effect{}
	case CommitterDecided, CommitterNotified:
		if instance == f.winner {
			f.abort()
		}
		return failed("segment %s: commit end from %s in state %s", f.segment, instance, f.state), Effect{}
	default: // Holding, Committing, Aborted
		return failed("segment %s: commit end from %s in state %s", f.segment, instance, f.state), Effect{}
	}
}

// errNotCommitting is the BUG of feeding a commit outcome to an FSM that
// asked for no write.
var errNotCommitting = errors.New("BUG: commit outcome without a pending commit write")

// CommitApplied reports that the commit transaction applied: the segment
// is DONE at the committer's offset. The answer goes to the committer.
func (f *FSM) CommitApplied(now time.Time) Response {
	if f.state != Committing {
		panic(errNotCommitting)
	}
	f.state = Committed
	return Response{Status: CommitSuccess, Offset: f.winOffset}
}

// CommitRejected reports that the commit transaction did not apply
// because the metadata moved (cluster.ErrConflict), with the segment's
// record as read afterwards. If another leader committed the segment
// meanwhile, the committer keeps or discards its copy; else the round is
// aborted and the committer reports again.
func (f *FSM) CommitRejected(now time.Time, rec Record) Response {
	if f.state != Committing {
		panic(errNotCommitting)
	}
	if !rec.Done {
		f.abort()
		return failed("segment %s: commit transaction rejected", f.segment)
	}
	f.state = Committed
	mine := f.winOffset
	f.winOffset = rec.EndOffset
	return f.afterCommit(mine)
}

// CommitUnknown reports that the commit transaction's outcome is unknown
// (etcd unreachable, a timeout): the round is aborted, and the next
// message rebuilds the FSM from the record, which says whether it applied.
func (f *FSM) CommitUnknown(now time.Time) Response {
	if f.state != Committing {
		panic(errNotCommitting)
	}
	f.abort()
	return failed("segment %s: commit outcome unknown; report again", f.segment)
}

// StoppedConsuming handles segmentStoppedConsuming: instance cannot go on
// consuming (a stream or decoding error). The FSM stops waiting for it and
// will not let it commit; the caller marks it OFFLINE (the effect).
func (f *FSM) StoppedConsuming(now time.Time, instance string, offset stream.Offset, reason Reason) (Response, Effect) {
	f.stopped[instance] = true
	delete(f.reports, instance)
	switch f.state {
	case CommitterDecided, CommitterNotified, CommitterUploading:
		if instance == f.winner {
			f.abort()
		}
	}
	return Response{Status: Processed}, Effect{Kind: EffectReplicaStopped, Instance: instance, Offset: offset}
}

// Observe tells the FSM the segment's record as the caller's metadata
// cache sees it. A DONE record (committed by another leader's transaction)
// moves it to COMMITTED unless its own commit write is in flight, whose
// outcome will say so.
func (f *FSM) Observe(rec Record) {
	if rec.Done && f.state != Committing && f.state != Committed {
		f.state, f.winOffset = Committed, rec.EndOffset
	}
}

// String describes the FSM for logs.
func (f *FSM) String() string {
	return fmt.Sprintf("{%s %s committer=%q offset=%q reports=%d stopped=%d}", f.segment, f.state,
		f.winner, f.winOffset, len(f.reports), len(f.stopped))
}
