// Package completiontest is an in-process completion.Controller for tests:
// the controller leader's side of the segment completion protocol, driving
// one completion.FSM per segment exactly as the real leader does
// (realtime/completion/doc.go), over a Backend that holds the segment
// records. Memory is an in-memory Backend that opens the next segment on
// each commit, as cluster.Store.CommitSegment does in etcd, and tells
// subscribers; a test with real etcd supplies its own Backend.
//
//	mem := completiontest.NewMemory()
//	mem.Open("t__0__0__20240501T0000Z", stream.Start, []string{"a", "b"}, nowMs)
//	ctl := completiontest.New(mem, s.Compare, cfg)
//	ctl.Inject = func(method string, r completion.Report) error { ... } // lost answers
//
// Every answer is recorded (Calls), so tests can assert which paths ran.
package completiontest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/stream"
)

// ErrConflict is what Backend.Commit returns when the commit did not apply
// because the record changed (cluster.ErrConflict in etcd).
var ErrConflict = errors.New("completiontest: commit rejected, the record changed")

// ErrNotFound is what Backend.Record returns for a segment without a
// record.
var ErrNotFound = errors.New("completiontest: no such segment")

// Commit is the commit write the FSM asks for.
type Commit struct {
	Segment, Instance string
	EndOffset         stream.Offset
	Upload            completion.Upload
	// EndOfPartition: the committer stopped at the end of a closed
	// partition; no segment follows.
	EndOfPartition bool
}

// Backend is the segment metadata the controller reads and writes.
type Backend interface {
	// Record returns the segment's record and the replicas that consume
	// it; ErrNotFound (wrapped) when it has none.
	Record(ctx context.Context, segment string) (completion.Record, []string, error)
	// Commit writes a commit: ErrConflict (wrapped) when it did not apply,
	// another error when the outcome is unknown.
	Commit(ctx context.Context, c Commit) error
	// Stopped marks instance OFFLINE for segment.
	Stopped(ctx context.Context, segment, instance string) error
}

// Call is one request and its answer.
type Call struct {
	Method string
	Report completion.Report
	Answer completion.Response
	Err    error
}

// Controller implements completion.Controller over a Backend.
type Controller struct {
	b   Backend
	cfg completion.Config
	cmp completion.Compare
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Inject, when set, runs before each request (Method is "Consumed",
	// "CommitStart", "CommitEnd" or "StoppedConsuming"); a non-nil error
	// is returned instead of an answer, as when a request is lost.
	Inject func(method string, r completion.Report) error

	mu    sync.Mutex
	fsms  map[string]*completion.FSM
	calls []Call
}

var _ completion.Controller = (*Controller)(nil)

// New returns a controller with cfg's timings, ordering offsets with cmp.
func New(b Backend, cmp completion.Compare, cfg completion.Config) *Controller {
	return &Controller{b: b, cfg: cfg, cmp: cmp, Now: time.Now, fsms: map[string]*completion.FSM{}}
}

// Calls returns the requests answered so far.
func (c *Controller) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.calls...)
}

// Answered counts the answers with status st.
func (c *Controller) Answered(st completion.Status) int {
	n := 0
	for _, call := range c.Calls() {
		if call.Err == nil && call.Answer.Status == st {
			n++
		}
	}
	return n
}

func (c *Controller) record(method string, r completion.Report, resp completion.Response, err error) (completion.Response, error) {
	c.mu.Lock()
	c.calls = append(c.calls, Call{Method: method, Report: r, Answer: resp, Err: err})
	c.mu.Unlock()
	return resp, err
}

// fsm returns the segment's FSM, building it from the record. c.mu held.
func (c *Controller) fsm(ctx context.Context, seg string) (*completion.FSM, error) {
	if f := c.fsms[seg]; f != nil {
		return f, nil
	}
	rec, replicas, err := c.b.Record(ctx, seg)
	if err != nil {
		return nil, err
	}
	f := completion.New(seg, rec, replicas, c.cfg, c.cmp, c.Now())
	c.fsms[seg] = f
	return f, nil
}

func (c *Controller) drop(seg string, f *completion.FSM) {
	if f.Done() && c.fsms[seg] == f {
		delete(c.fsms, seg)
	}
}

func failed(err error) completion.Response {
	return completion.Response{Status: completion.Failed, Message: err.Error()}
}

// Consumed implements completion.Controller.
func (c *Controller) Consumed(ctx context.Context, r completion.Report) (completion.Response, error) {
	if c.Inject != nil {
		if err := c.Inject("Consumed", r); err != nil {
			return c.record("Consumed", r, completion.Response{}, err)
		}
	}
	c.mu.Lock()
	f, err := c.fsm(ctx, r.Segment)
	if err != nil {
		c.mu.Unlock()
		return c.record("Consumed", r, failed(err), nil)
	}
	resp := f.Consumed(c.Now(), r.Instance, r.Offset, r.Reason)
	c.drop(r.Segment, f)
	c.mu.Unlock()
	return c.record("Consumed", r, resp, nil)
}

// CommitStart implements completion.Controller.
func (c *Controller) CommitStart(ctx context.Context, r completion.Report) (completion.Response, error) {
	if c.Inject != nil {
		if err := c.Inject("CommitStart", r); err != nil {
			return c.record("CommitStart", r, completion.Response{}, err)
		}
	}
	c.mu.Lock()
	f, err := c.fsm(ctx, r.Segment)
	if err != nil {
		c.mu.Unlock()
		return c.record("CommitStart", r, failed(err), nil)
	}
	resp := f.CommitStart(c.Now(), r.Instance, r.Offset)
	c.drop(r.Segment, f)
	c.mu.Unlock()
	return c.record("CommitStart", r, resp, nil)
}

// CommitEnd implements completion.Controller: on the FSM's commit effect it
// writes the commit through the Backend and answers with its outcome.
func (c *Controller) CommitEnd(ctx context.Context, r completion.Report, u completion.Upload) (completion.Response, error) {
	if c.Inject != nil {
		if err := c.Inject("CommitEnd", r); err != nil {
			return c.record("CommitEnd", r, completion.Response{}, err)
		}
	}
	c.mu.Lock()
	f, err := c.fsm(ctx, r.Segment)
	if err != nil {
		c.mu.Unlock()
		return c.record("CommitEnd", r, failed(err), nil)
	}
	uploaded := u.DownloadURI != "" && u.Meta != nil
	resp, eff := f.CommitEnd(c.Now(), r.Instance, r.Offset, uploaded)
	if eff.Kind != completion.EffectWriteCommit {
		c.drop(r.Segment, f)
		c.mu.Unlock()
		return c.record("CommitEnd", r, resp, nil)
	}
	c.mu.Unlock()
	werr := c.b.Commit(ctx, Commit{Segment: r.Segment, Instance: eff.Instance, EndOffset: eff.Offset, Upload: u,
		EndOfPartition: r.Reason == completion.ReasonEndOfPartition})
	var rec completion.Record
	var rerr error
	if errors.Is(werr, ErrConflict) {
		rec, _, rerr = c.b.Record(ctx, r.Segment)
	}
	c.mu.Lock()
	switch {
	case werr == nil:
		resp = f.CommitApplied(c.Now())
	case errors.Is(werr, ErrConflict) && rerr == nil:
		resp = f.CommitRejected(c.Now(), rec)
	default:
		resp = f.CommitUnknown(c.Now())
	}
	c.drop(r.Segment, f)
	c.mu.Unlock()
	return c.record("CommitEnd", r, resp, nil)
}

// StoppedConsuming implements completion.Controller.
func (c *Controller) StoppedConsuming(ctx context.Context, r completion.Report) (completion.Response, error) {
	if c.Inject != nil {
		if err := c.Inject("StoppedConsuming", r); err != nil {
			return c.record("StoppedConsuming", r, completion.Response{}, err)
		}
	}
	c.mu.Lock()
	f, err := c.fsm(ctx, r.Segment)
	if err != nil {
		c.mu.Unlock()
		return c.record("StoppedConsuming", r, failed(err), nil)
	}
	resp, eff := f.StoppedConsuming(c.Now(), r.Instance, r.Offset, r.Reason)
	c.drop(r.Segment, f)
	c.mu.Unlock()
	if eff.Kind == completion.EffectReplicaStopped {
		if err := c.b.Stopped(ctx, r.Segment, eff.Instance); err != nil {
			return c.record("StoppedConsuming", r, failed(err), nil)
		}
	}
	return c.record("StoppedConsuming", r, resp, nil)
}

// Segment is one segment record of Memory.
type Segment struct {
	Name      string
	Start     stream.Offset
	CreatedMs int64
	Replicas  []string
	Done      bool
	End       stream.Offset
	Upload    completion.Upload
	// Committer is the instance whose upload was committed.
	Committer      string
	EndOfPartition bool
	Stopped        map[string]bool
	// FlushRows is the segment's row threshold (cluster.Segment.FlushRows;
	// 0: the consumer's default).
	FlushRows int
}

// Event tells a Memory subscriber that a segment was opened (Opened) or
// committed (Committed), with its record after the change.
type Event struct {
	Opened, Committed bool
	Segment           Segment
}

// Memory is an in-memory Backend. Commits open the next segment (the LLC
// name's next sequence, at the end offset, on the same replicas) unless at
// the end of the partition, as the etcd transaction does.
type Memory struct {
	// Now stamps new segments (default time.Now).
	Now func() time.Time

	mu   sync.Mutex
	segs map[string]*Segment
	subs []func(Event)
	// CommitErr, when set, decides each commit's fate before it applies:
	// a non-nil error is returned and nothing changes.
	CommitErr func(c Commit) error
	// NextFlushRows, when set, is the row threshold of the segment a
	// commit opens after committed (the controller's autotuning); 0, or
	// no func, keeps committed's.
	NextFlushRows func(committed Segment) int
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{Now: time.Now, segs: map[string]*Segment{}} }

// Subscribe calls f after every open and commit, outside Memory's lock, in
// order.
func (m *Memory) Subscribe(f func(Event)) {
	m.mu.Lock()
	m.subs = append(m.subs, f)
	m.mu.Unlock()
}

// Open records a consuming segment.
func (m *Memory) Open(name string, start stream.Offset, replicas []string, createdMs int64) error {
	return m.OpenRows(name, start, replicas, createdMs, 0)
}

// OpenRows records a consuming segment with row threshold flushRows.
func (m *Memory) OpenRows(name string, start stream.Offset, replicas []string, createdMs int64, flushRows int) error {
	m.mu.Lock()
	if m.segs[name] != nil {
		m.mu.Unlock()
		return fmt.Errorf("completiontest: segment %q exists", name)
	}
	s := &Segment{Name: name, Start: start, CreatedMs: createdMs, Replicas: append([]string(nil), replicas...), Stopped: map[string]bool{},
		FlushRows: flushRows}
	m.segs[name] = s
	subs, ev := m.subs, Event{Opened: true, Segment: *s}
	m.mu.Unlock()
	for _, f := range subs {
		f(ev)
	}
	return nil
}

// Get returns a copy of a segment's record.
func (m *Memory) Get(name string) (Segment, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.segs[name]
	if s == nil {
		return Segment{}, false
	}
	return *s, true
}

// Segments returns copies of every record, ordered by name.
func (m *Memory) Segments() []Segment {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Segment, 0, len(m.segs))
	for _, s := range m.segs {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := llcname.Parse(out[i].Name)
		b, _ := llcname.Parse(out[j].Name)
		if a.PartitionGroup != b.PartitionGroup {
			return a.PartitionGroup < b.PartitionGroup
		}
		return a.Sequence < b.Sequence
	})
	return out
}

// Record implements Backend.
func (m *Memory) Record(_ context.Context, name string) (completion.Record, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.segs[name]
	if s == nil {
		return completion.Record{}, nil, fmt.Errorf("segment %q: %w", name, ErrNotFound)
	}
	var live []string
	for _, r := range s.Replicas {
		if !s.Stopped[r] {
			live = append(live, r)
		}
	}
	return completion.Record{Done: s.Done, EndOffset: s.End}, live, nil
}

// Commit implements Backend.
func (m *Memory) Commit(_ context.Context, c Commit) error {
	m.mu.Lock()
	s := m.segs[c.Segment]
	if s == nil {
		m.mu.Unlock()
		return fmt.Errorf("commit segment %q: %w", c.Segment, ErrNotFound)
	}
	if s.Done {
		m.mu.Unlock()
		return fmt.Errorf("commit segment %q: it is committed: %w", c.Segment, ErrConflict)
	}
	if m.CommitErr != nil {
		if err := m.CommitErr(c); err != nil {
			m.mu.Unlock()
			return err
		}
	}
	s.Done, s.End, s.Upload, s.Committer, s.EndOfPartition = true, c.EndOffset, c.Upload, c.Instance, c.EndOfPartition
	evs := []Event{{Committed: true, Segment: *s}}
	if !c.EndOfPartition {
		n, err := llcname.Parse(c.Segment)
		if err != nil {
			m.mu.Unlock()
			return fmt.Errorf("commit segment %q: %w", c.Segment, err)
		}
		now := m.Now().UnixMilli()
		next := &Segment{Name: n.Next(now).String(), Start: c.EndOffset, CreatedMs: now,
			Replicas: append([]string(nil), s.Replicas...), Stopped: map[string]bool{}, FlushRows: s.FlushRows}
		if m.NextFlushRows != nil {
			if rows := m.NextFlushRows(*s); rows > 0 {
				next.FlushRows = rows
			}
		}
		m.segs[next.Name] = next
		evs = append(evs, Event{Opened: true, Segment: *next})
	}
	subs := m.subs
	m.mu.Unlock()
	for _, ev := range evs {
		for _, f := range subs {
			f(ev)
		}
	}
	return nil
}

// Stopped implements Backend.
func (m *Memory) Stopped(_ context.Context, name, instance string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.segs[name]
	if s == nil {
		return fmt.Errorf("segment %q: %w", name, ErrNotFound)
	}
	s.Stopped[instance] = true
	return nil
}
