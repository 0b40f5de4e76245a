package completion

import (
	"flag"
	"fmt"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
)

// The randomized test drives FSMs the way a cluster would: N replicas
// consume one segment, report, build, upload and commit through
// controllers that crash, lose leadership (an old leader may go on
// answering for a while, as one can until its etcd lease runs out), drop
// requests and answers, and see commit writes apply late or not at all.
// The metadata store applies a commit only while the segment is
// IN_PROGRESS, which is what the etcd transaction guarded by revisions
// does (cmd/internal/cluster tests that side against real etcd). After a
// chaotic phase the network calms down and every replica must finish.
//
// Invariants, checked at every step:
//   - at most one commit applies, and it names an upload that holds exactly
//     the records up to the committed end offset;
//   - KEEP at x: the segment is committed at x and the replica has consumed
//     exactly to x (its own copy equals the committed one);
//   - COMMIT_SUCCESS at x: the segment is committed at x with this
//     replica's own upload;
//   - DISCARD: the segment is committed and its upload can be downloaded;
//   - CATCH_UP to x: x is ahead of the replica and an offset some replica
//     reached (so the stream has it);
//   - COMMIT at x: x is the committer's own offset.
//
// And at the end: the segment is committed, and every replica holds the
// committed records, no more, no fewer.

var simSeeds = flag.Int("completion.seeds", 3000, "randomized completion runs")

func TestRandomized(t *testing.T) {
	seen := map[string]int{}
	for seed := 1; seed <= *simSeeds; seed++ {
		s := newSim(t, int64(seed))
		s.seen = seen
		s.run()
		if t.Failed() {
			t.Logf("seed %d failed; trace:\n%s", seed, s.trace())
			return
		}
	}
	t.Logf("events over %d runs: %v", *simSeeds, seen)
	// The runs must reach every case the invariants are about, or they
	// prove less than they claim.
	for _, ev := range []string{"HOLD", "CATCH_UP", "COMMIT", "COMMIT_CONTINUE", "COMMIT_SUCCESS", "KEEP", "DISCARD",
		"FAILED", "PROCESSED", "write applied", "write rejected", "write outcome unknown", "write lost",
		"stale leader answered", "aborted", "replica gone"} {
		if seen[ev] == 0 && *simSeeds >= 1000 {
			t.Errorf("no run saw %q", ev)
		}
	}
}

type phase int

const (
	consuming phase = iota
	waiting         // a request is in flight
	holding         // report again at nextAt
	building        // committer: CommitStart at nextAt
	uploading       // committer: CommitEnd at nextAt
	finished
)

type replica struct {
	name  string
	alive bool
	// gone: crashed for good (a lost machine); it never comes back.
	gone  bool
	phase phase
	// off is the offset consumed to; target where consuming stops.
	off, target int64
	reason      Reason
	nextAt      time.Time
	// req is the id of the request awaited (waiting), sentAt its time.
	req    int
	sentAt time.Time
	// uri is this replica's upload, built its offset.
	uri   string
	built int64
	// final is the offset of the copy it ends with.
	final int64
}

type msgKind int

const (
	mConsumed msgKind = iota
	mStart
	mEnd
	mStopped
)

var msgNames = [...]string{"consumed", "commitStart", "commitEnd", "stopped"}

type request struct {
	id       int
	r        *replica
	kind     msgKind
	off      int64
	reason   Reason
	uploaded bool
	uri      string
}

type delivery struct {
	req  *request
	resp Response
}

type controller struct {
	id    int
	alive bool
	fsm   *FSM
}

type write struct {
	c   *controller
	fsm *FSM
	req *request
}

type sim struct {
	t    *testing.T
	rng  *rand.Rand
	now  time.Time
	cfg  Config
	seed int64

	start, rowLimit int64
	rowMode         bool
	maxReached      int64

	replicas    []*replica
	names       []string
	controllers []*controller

	// The metadata store's record of the segment.
	done    bool
	end     int64
	uri     string
	applied int
	uploads map[string]int64

	requests  []*request
	responses []delivery
	writes    []write
	nextReq   int
	nextURI   int
	chaos     bool
	chaosRate float64 // how often the chaotic phase has a crash, a leader change, a stop
	log       []string
	seen      map[string]int
}

func newSim(t *testing.T, seed int64) *sim {
	rng := rand.New(rand.NewSource(seed))
	s := &sim{t: t, rng: rng, seed: seed, now: t0, cfg: Config{MaxHold: 3 * time.Second, CommitTimeout: 30 * time.Second},
		start: 1000, rowLimit: int64(5 + rng.Intn(20)), rowMode: rng.Intn(2) == 0, uploads: map[string]int64{}, chaos: true,
		chaosRate: 0.02 + 0.5*rng.Float64()*rng.Float64()}
	n := 1 + rng.Intn(4)
	for i := 0; i < n; i++ {
		r := &replica{name: fmt.Sprintf("s%d", i), alive: true}
		s.restart(r)
		s.replicas = append(s.replicas, r)
		s.names = append(s.names, r.name)
	}
	s.controllers = []*controller{{id: 0, alive: true}}
	s.maxReached = s.start
	return s
}

func (s *sim) logf(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf("%8dms ", s.now.Sub(t0).Milliseconds())+fmt.Sprintf(format, args...))
}

func (s *sim) trace() string {
	out := ""
	for _, l := range s.log {
		out += l + "\n"
	}
	return out
}

func (s *sim) failf(format string, args ...any) {
	s.t.Helper()
	msg := fmt.Sprintf(format, args...)
	s.logf("VIOLATION: %s", msg)
	s.t.Errorf("seed %d: %s", s.seed, msg)
}

func off(v int64) stream.Offset { return stream.Offset(strconv.FormatInt(v, 10)) }

func num(o stream.Offset) int64 {
	v, err := strconv.ParseInt(string(o), 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// restart brings a replica (back) up: a committed segment is downloaded;
// otherwise it consumes from the segment's start offset again.
func (s *sim) restart(r *replica) {
	r.alive, r.uri = true, ""
	if s.done {
		r.phase, r.final, r.off = finished, s.end, s.end
		s.logf("%s restarts: segment committed, downloads it", r.name)
		return
	}
	r.phase, r.off = consuming, s.start
	if s.rowMode {
		r.target, r.reason = s.start+s.rowLimit, ReasonRowLimit
	} else {
		r.target, r.reason = s.start+1+s.rng.Int63n(s.rowLimit), ReasonTimeLimit
	}
	s.logf("%s consumes from %d to %d (%s)", r.name, s.start, r.target, r.reason)
}

func (s *sim) send(r *replica, kind msgKind, o int64, uploaded bool) {
	s.nextReq++
	req := &request{id: s.nextReq, r: r, kind: kind, off: o, reason: r.reason, uploaded: uploaded, uri: r.uri}
	r.phase, r.req, r.sentAt = waiting, req.id, s.now
	s.requests = append(s.requests, req)
	s.logf("%s sends %s(%d uploaded=%v)", r.name, msgNames[kind], o, uploaded)
}

func (s *sim) leader() *controller {
	for i := len(s.controllers) - 1; i >= 0; i-- {
		if s.controllers[i].alive {
			return s.controllers[i]
		}
	}
	return nil
}

func (s *sim) record() Record {
	if s.done {
		return Record{Done: true, EndOffset: off(s.end)}
	}
	return Record{}
}

// handle is the controller's request handler: find or rebuild the FSM,
// step it, perform effects.
func (s *sim) handle(c *controller, req *request) {
	if c.fsm == nil {
		c.fsm = New("seg", s.record(), s.names, s.cfg, cmpInt, s.now)
	}
	if s.rng.Intn(2) == 0 {
		// The controller's metadata cache caught up.
		c.fsm.Observe(s.record())
	}
	f := c.fsm
	var resp Response
	var eff Effect
	switch req.kind {
	case mConsumed:
		resp = f.Consumed(s.now, req.r.name, off(req.off), req.reason)
	case mStart:
		resp = f.CommitStart(s.now, req.r.name, off(req.off))
	case mEnd:
		resp, eff = f.CommitEnd(s.now, req.r.name, off(req.off), req.uploaded)
	case mStopped:
		resp, eff = f.StoppedConsuming(s.now, req.r.name, off(req.off), "streamError")
	}
	s.logf("c%d %s(%s, %d) -> %v %s; %v; %v", c.id, msgNames[req.kind], req.r.name, req.off, resp.Status, resp.Offset, eff.Kind, f)
	switch eff.Kind {
	case EffectWriteCommit:
		if req.kind != mEnd || eff.Instance != req.r.name || num(eff.Offset) != req.off {
			s.failf("write effect %+v for request %s(%s, %d)", eff, msgNames[req.kind], req.r.name, req.off)
		}
		s.writes = append(s.writes, write{c: c, fsm: f, req: req})
		return // the answer waits for the write
	case EffectReplicaStopped:
		if eff.Instance != req.r.name {
			s.failf("stopped effect for %s on a report of %s", eff.Instance, req.r.name)
		}
	}
	if f.State() == Aborted {
		s.seen["aborted"]++
	}
	if f.Done() {
		c.fsm = nil
	}
	s.responses = append(s.responses, delivery{req: req, resp: resp})
}

// applyWrite is etcd: the commit applies only while the segment is
// IN_PROGRESS. The controller that asked learns the outcome if it is
// still alive.
func (s *sim) applyWrite(i int) {
	w := s.writes[i]
	s.writes = append(s.writes[:i], s.writes[i+1:]...)
	applied := !s.done
	if applied {
		got, ok := s.uploads[w.req.uri]
		if !ok || got != w.req.off {
			s.failf("commit of %s at %d names upload %q holding %d (present %v)", w.req.r.name, w.req.off, w.req.uri, got, ok)
		}
		s.done, s.end, s.uri = true, w.req.off, w.req.uri
		s.applied++
		if s.applied > 1 {
			s.failf("second commit applied")
		}
	}
	s.logf("commit write of %s at %d: applied=%v", w.req.r.name, w.req.off, applied)
	if applied && s.chaos {
		s.seen["write applied in chaos"]++
	}
	if applied {
		s.seen["write applied"]++
	} else {
		s.seen["write rejected"]++
	}
	if !w.c.alive || w.c.fsm != w.fsm {
		return
	}
	var resp Response
	switch {
	case s.chaos && s.rng.Intn(3) == 0:
		resp = w.fsm.CommitUnknown(s.now) // a timeout: etcd may or may not have applied it
		s.seen["write outcome unknown"]++
	case applied:
		resp = w.fsm.CommitApplied(s.now)
	default:
		resp = w.fsm.CommitRejected(s.now, s.record())
	}
	s.logf("c%d commit outcome -> %v %s; %v", w.c.id, resp.Status, resp.Offset, w.fsm)
	if w.fsm.Done() {
		w.c.fsm = nil
	}
	s.responses = append(s.responses, delivery{req: w.req, resp: resp})
}

// receive is the replica acting on an answer.
func (s *sim) receive(d delivery) {
	r := d.req.r
	if !r.alive || r.phase != waiting || r.req != d.req.id {
		return // a dead process, or a request it gave up on
	}
	resp := d.resp
	s.seen[resp.Status.String()]++
	s.logf("%s receives %v %s", r.name, resp.Status, resp.Offset)
	switch resp.Status {
	case Hold, Failed:
		s.holdAgain(r)
	case CatchUp:
		x := num(resp.Offset)
		if x <= r.off || x > s.maxReached {
			s.failf("%s at %d told to catch up to %d (max reached %d)", r.name, r.off, x, s.maxReached)
		}
		r.target, r.phase = x, consuming
	case Commit:
		if num(resp.Offset) != r.off || d.req.kind != mConsumed {
			s.failf("%s at %d told to commit at %s", r.name, r.off, resp.Offset)
		}
		r.phase, r.built = building, r.off
		r.nextAt = s.now.Add(s.randDur(s.cfg.CommitTimeout / 6))
	case CommitContinue:
		if d.req.kind != mStart || num(resp.Offset) != r.built {
			s.failf("%s told to upload at %s after %s(%d)", r.name, resp.Offset, msgNames[d.req.kind], d.req.off)
		}
		r.phase = uploading
		r.nextAt = s.now.Add(s.randDur(s.cfg.CommitTimeout / 6))
	case CommitSuccess:
		if !s.done || s.end != r.off || s.uri != d.req.uri || d.req.uri == "" {
			s.failf("%s at %d with upload %q told COMMIT_SUCCESS; record done=%v end=%d uri=%q", r.name, r.off, d.req.uri, s.done, s.end, s.uri)
		}
		r.phase, r.final = finished, r.off
	case Keep:
		if !s.done || s.end != r.off || num(resp.Offset) != r.off {
			s.failf("%s at %d told KEEP %s; record done=%v end=%d", r.name, r.off, resp.Offset, s.done, s.end)
		}
		r.phase, r.final = finished, r.off
	case Discard:
		if !s.done || num(resp.Offset) != s.end || s.uploads[s.uri] != s.end || r.off == s.end {
			s.failf("%s at %d told DISCARD %s; record done=%v end=%d uri=%q", r.name, r.off, resp.Offset, s.done, s.end, s.uri)
		}
		r.phase, r.final = finished, s.end
	case Processed:
		// Stopped: it comes back by consuming again from the start.
		s.restart(r)
	default:
		s.failf("%s got %v", r.name, resp.Status)
	}
}

func (s *sim) holdAgain(r *replica) {
	r.phase = holding
	r.nextAt = s.now.Add(s.cfg.MaxHold/4 + time.Duration(s.rng.Int63n(int64(s.cfg.MaxHold/4))))
}

func (s *sim) randDur(max time.Duration) time.Duration {
	if s.chaos && s.rng.Intn(8) == 0 {
		max = s.cfg.CommitTimeout * 2 // too slow: the committer times out
	}
	return time.Duration(1 + s.rng.Int63n(int64(max)))
}

// timers runs what replicas do when their time comes.
func (s *sim) timers() {
	for _, i := range s.rng.Perm(len(s.replicas)) {
		r := s.replicas[i]
		if !r.alive {
			continue
		}
		switch r.phase {
		case holding:
			if !s.now.Before(r.nextAt) {
				s.send(r, mConsumed, r.off, false)
			}
		case building:
			if !s.now.Before(r.nextAt) {
				s.send(r, mStart, r.built, false)
			}
		case uploading:
			if !s.now.Before(r.nextAt) {
				ok := !(s.chaos && s.rng.Intn(8) == 0)
				if ok {
					s.nextURI++
					r.uri = fmt.Sprintf("deepstore://seg.%d", s.nextURI)
					s.uploads[r.uri] = r.built
				}
				s.send(r, mEnd, r.built, ok)
			}
		case waiting:
			// An HTTP client gives up after a while and reports again.
			if s.now.Sub(r.sentAt) > 10*time.Second {
				s.logf("%s: request %d timed out", r.name, r.req)
				s.send(r, mConsumed, r.off, false)
			}
		}
	}
}

func (s *sim) step() {
	type action struct {
		weight int
		do     func()
	}
	var acts []action
	add := func(w int, f func()) { acts = append(acts, action{w, f}) }
	if len(s.requests) > 0 && s.leader() != nil {
		add(6, func() {
			i := s.rng.Intn(len(s.requests))
			req := s.requests[i]
			s.requests = append(s.requests[:i], s.requests[i+1:]...)
			if s.chaos && s.rng.Intn(15) == 0 {
				s.logf("request %s(%s) lost", msgNames[req.kind], req.r.name)
				return
			}
			c := s.leader()
			// Until its lease expires an old leader may still answer.
			var alive []*controller
			for _, c := range s.controllers {
				if c.alive {
					alive = append(alive, c)
				}
			}
			if len(alive) > 1 && s.rng.Intn(3) == 0 {
				c = alive[s.rng.Intn(len(alive))]
				if c != s.leader() {
					s.seen["stale leader answered"]++
				}
			}
			s.handle(c, req)
		})
	}
	if len(s.responses) > 0 {
		add(6, func() {
			i := s.rng.Intn(len(s.responses))
			d := s.responses[i]
			s.responses = append(s.responses[:i], s.responses[i+1:]...)
			if s.chaos && s.rng.Intn(15) == 0 {
				s.logf("answer to %s lost", d.req.r.name)
				return
			}
			s.receive(d)
		})
	}
	if len(s.writes) > 0 {
		w := 3
		if s.chaos {
			w = 1 // slow etcd: writes overlap leader changes and each other
		}
		add(w, func() { s.applyWrite(s.rng.Intn(len(s.writes))) })
	}
	for _, r := range s.replicas {
		if r.alive && r.phase == consuming {
			add(4, func() {
				r.off += 1 + s.rng.Int63n(3)
				if r.off >= r.target {
					r.off = r.target
				}
				s.maxReached = max(s.maxReached, r.off)
				if r.off == r.target {
					s.send(r, mConsumed, r.off, false)
				}
			})
		}
	}
	add(4, func() {
		s.now = s.now.Add(time.Duration(1+s.rng.Int63n(int64(s.cfg.MaxHold))) / 2)
		s.timers()
	})
	if s.chaos && s.rng.Float64() < s.chaosRate {
		add(1, func() {
			r := s.replicas[s.rng.Intn(len(s.replicas))]
			if r.alive {
				r.alive = false
				r.gone = s.rng.Intn(3) == 0
				if r.gone {
					s.seen["replica gone"]++
				}
				s.logf("%s crashes (for good: %v)", r.name, r.gone)
			} else if !r.gone {
				s.restart(r)
			}
		})
		add(1, func() {
			// Leadership moves; the old leader may linger.
			old := s.leader()
			if old != nil && s.rng.Intn(2) == 0 {
				old.alive = false
			}
			s.controllers = append(s.controllers, &controller{id: len(s.controllers), alive: true})
			s.logf("controller c%d leads", len(s.controllers)-1)
			if s.rng.Intn(2) == 0 && len(s.writes) > 0 {
				i := s.rng.Intn(len(s.writes))
				s.logf("in-flight commit write of %s never reaches etcd", s.writes[i].req.r.name)
				s.writes = append(s.writes[:i], s.writes[i+1:]...)
				s.seen["write lost"]++
			}
		})
		for _, r := range s.replicas {
			if r.alive && (r.phase == consuming || r.phase == holding) {
				add(1, func() {
					if s.rng.Intn(4) == 0 {
						s.send(r, mStopped, r.off, false)
					}
				})
			}
		}
	}
	total := 0
	for _, a := range acts {
		total += a.weight
	}
	n := s.rng.Intn(total)
	for _, a := range acts {
		if n < a.weight {
			a.do()
			return
		}
		n -= a.weight
	}
}

func (s *sim) allFinished() bool {
	for _, r := range s.replicas {
		if !r.gone && r.phase != finished {
			return false
		}
	}
	return true
}

func (s *sim) run() {
	chaosSteps := s.rng.Intn(2000)
	for i := 0; i < chaosSteps && !s.t.Failed(); i++ {
		s.step()
	}
	// Calm: every process comes back, nothing is lost any more; the
	// protocol must finish within a bounded (simulated) time.
	s.chaos = false
	s.logf("--- calm ---")
	keep := s.rng.Intn(len(s.replicas)) // one replica survives: the partition has to be served
	for i, r := range s.replicas {
		if i != keep && !r.gone && s.rng.Intn(4) == 0 {
			// Lost right now, whatever it was doing (committing, say).
			r.alive, r.gone = false, true
			s.seen["replica gone"]++
			s.logf("%s is lost for good", r.name)
		}
		if i == keep && r.gone {
			r.gone = false
		}
		if !r.alive && !r.gone {
			s.restart(r)
		}
	}
	if s.leader() == nil {
		s.controllers = append(s.controllers, &controller{id: len(s.controllers), alive: true})
	}
	deadline := s.now.Add(10 * time.Minute)
	for !s.allFinished() && !s.t.Failed() {
		if s.now.After(deadline) {
			s.failf("not finished 10 minutes after the network calmed down")
			return
		}
		s.step()
	}
	if s.t.Failed() {
		return
	}
	if !s.done || s.applied != 1 {
		s.failf("all finished but done=%v applied=%d", s.done, s.applied)
	}
	for _, r := range s.replicas {
		if !r.gone && r.final != s.end {
			s.failf("%s ends with the records to %d, the committed segment ends at %d", r.name, r.final, s.end)
		}
	}
}
