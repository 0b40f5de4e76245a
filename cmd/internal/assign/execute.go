package assign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// Options tune Execute.
type Options struct {
	// BatchSize is how many segments move at once: their new replicas are
	// added in one transaction and load in parallel.
	BatchSize int
	// Timeout bounds the wait for a batch's new replicas to come ONLINE.
	Timeout time.Duration

	// beforeWrite, when set, runs before every assignment write (tests
	// use it to provoke conflicts).
	beforeWrite func()
}

// DefaultOptions moves 8 segments at a time and gives new replicas 5
// minutes to come ONLINE.
func DefaultOptions() Options { return Options{BatchSize: 8, Timeout: 5 * time.Minute} }

// maxWriteAttempts bounds the compare-and-swap retries of one write.
const maxWriteAttempts = 20

// FailedMove names a segment Execute gave up on and why.
type FailedMove struct {
	Segment string `json:"segment"`
	Reason  string `json:"reason"`
}

// ExecuteError lists the segments whose move failed; each of them kept its
// old replicas. The other moves of the plan were carried out.
type ExecuteError struct {
	Table  string
	Failed []FailedMove
}

func (e *ExecuteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "execute plan of table %q: %d segments kept their old replicas:", e.Table, len(e.Failed))
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s (%s)", f.Segment, f.Reason)
	}
	return b.String()
}

// ExecuteWith is Execute with options; zero fields take DefaultOptions'
// values. When ctx ends it returns ctx's error at once; replicas added for
// the batch in flight stay in the assignment (over-replicated, never
// under-served) for the next plan to trim.
func ExecuteWith(ctx context.Context, store *cluster.Store, cache *cluster.Cache, plan *Plan, log *slog.Logger, opt Options) error {
	if plan == nil {
		return errors.New("execute plan: no plan")
	}
	def := DefaultOptions()
	if opt.BatchSize <= 0 {
		opt.BatchSize = def.BatchSize
	}
	if opt.Timeout <= 0 {
		opt.Timeout = def.Timeout
	}
	e := &executor{store: store, cache: cache, table: plan.Table, log: log, opt: opt}
	start := time.Now()
	var failed []FailedMove
	for i := 0; i < len(plan.Moves); i += opt.BatchSize {
		batch := plan.Moves[i:min(i+opt.BatchSize, len(plan.Moves))]
		f, err := e.runBatch(ctx, batch)
		failed = append(failed, f...)
		if err != nil {
			return fmt.Errorf("execute plan of table %q: %w", plan.Table, err)
		}
	}
	log.Info("plan executed", "table", plan.Table, "moves", len(plan.Moves), "failed", len(failed),
		"elapsed", time.Since(start).Round(time.Millisecond))
	if len(failed) > 0 {
		return &ExecuteError{Table: plan.Table, Failed: failed}
	}
	return nil
}

type executor struct {
	store *cluster.Store
	cache *cluster.Cache
	table string
	log   *slog.Logger
	opt   Options
}

// pending is one move in flight.
type pending struct {
	mv Move
	// added and removed are the servers the move adds and removes,
	// computed against the assignment read when adding.
	added, removed []string
	fail           string // why the move is given up, "" while it is fine
	gone           bool   // the segment was deleted meanwhile
	ready          bool   // the new replicas serve: the old ones may go
}

func (e *executor) runBatch(ctx context.Context, batch []Move) ([]FailedMove, error) {
	ps := make([]*pending, len(batch))
	for i, mv := range batch {
		ps[i] = &pending{mv: mv}
	}
	if err := e.write(ctx, func(s *cluster.Snapshot) []cluster.AssignmentChange { return e.addChanges(s, ps) }); err != nil {
		return nil, err
	}
	if err := e.wait(ctx, ps); err != nil {
		return nil, err
	}
	if err := e.write(ctx, func(s *cluster.Snapshot) []cluster.AssignmentChange { return e.finishChanges(s, ps) }); err != nil {
		return nil, err
	}
	var failed []FailedMove
	moved := 0
	for _, p := range ps {
		switch {
		case p.fail != "":
			failed = append(failed, FailedMove{Segment: p.mv.Segment, Reason: p.fail})
			e.log.Warn("segment move failed; old replicas kept", "table", e.table, "segment", p.mv.Segment, "reason", p.fail)
		case !p.gone:
			moved++
		}
	}
	e.log.Debug("batch of moves done", "table", e.table, "moved", moved, "failed", len(failed))
	return failed, nil
}

// addChanges puts the new replicas next to the old ones.
func (e *executor) addChanges(s *cluster.Snapshot, ps []*pending) []cluster.AssignmentChange {
	var changes []cluster.AssignmentChange
	for _, p := range ps {
		p.fail, p.gone, p.added, p.removed = "", false, nil, nil
		seg := p.mv.Segment
		a := s.Assign[e.table][seg]
		if a == nil && s.Segments[e.table][seg] == nil {
			p.gone = true
			continue
		}
		if len(p.mv.To) == 0 {
			p.fail = "the move has no target replicas"
			continue
		}
		cur := map[string]string{}
		var rev int64
		if a != nil {
			cur, rev = a.Instances, a.Rev
		}
		for _, name := range p.mv.To {
			if _, ok := cur[name]; !ok {
				p.added = append(p.added, name)
			}
		}
		for name := range cur {
			if !slices.Contains(p.mv.To, name) {
				p.removed = append(p.removed, name)
			}
		}
		sortStrings(p.removed)
		for _, name := range p.added {
			if !s.IsLive(name) {
				p.fail = name + " is not live"
			}
		}
		if p.fail != "" || len(p.added) == 0 {
			continue
		}
		next := make(map[string]string, len(cur)+len(p.added))
		for name, st := range cur {
			next[name] = st
		}
		st := targetState(cur)
		for _, name := range p.added {
			next[name] = st
		}
		changes = append(changes, cluster.AssignmentChange{Table: e.table, Segment: seg,
			Assignment: &cluster.Assignment{Instances: next, Rev: rev}})
	}
	return changes
}

// targetState is what new replicas should reach: CONSUMING next to
// consuming replicas, ONLINE otherwise.
func targetState(cur map[string]string) string {
	if len(cur) == 0 {
		return cluster.StateOnline
	}
	for _, st := range cur {
		if st != cluster.StateConsuming {
			return cluster.StateOnline
		}
	}
	return cluster.StateConsuming
}

// serving reports whether server serves the segment: live and reporting
// it ONLINE (or CONSUMING).
func serving(s *cluster.Snapshot, table, seg, server string) bool {
	if !s.IsLive(server) {
		return false
	}
	st := s.View[table][seg][server].State
	return st == cluster.StateOnline || st == cluster.StateConsuming
}

func anyServing(s *cluster.Snapshot, table, seg string, servers []string) bool {
	return slices.ContainsFunc(servers, func(name string) bool { return serving(s, table, seg, name) })
}

// check decides a move in flight against a snapshot: ready, failed, gone,
// or still waiting (all false).
func (e *executor) check(s *cluster.Snapshot, p *pending) {
	seg := p.mv.Segment
	a := s.Assign[e.table][seg]
	if a == nil {
		p.gone = true
		return
	}
	if len(p.added) == 0 {
		// Only removals: wait until what stays serves, unless nothing
		// that goes serves either.
		var stay []string
		for name := range a.Instances {
			if !slices.Contains(p.removed, name) {
				stay = append(stay, name)
			}
		}
		p.ready = anyServing(s, e.table, seg, stay) || !anyServing(s, e.table, seg, p.removed)
		return
	}
	all := true
	for _, name := range p.added {
		if _, ok := a.Instances[name]; !ok {
			p.fail = name + " left the assignment meanwhile"
			return
		}
		if st := s.View[e.table][seg][name]; st.State == cluster.StateError {
			p.fail = name + " reports ERROR"
			if st.Message != "" {
				p.fail += ": " + st.Message
			}
			return
		}
		if !serving(s, e.table, seg, name) {
			all = false
		}
	}
	p.ready = all
}

// wait follows the cache until every move of the batch is ready, failed or
// gone, or the timeout passes (the moves still waiting fail).
func (e *executor) wait(ctx context.Context, ps []*pending) error {
	wctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	for {
		s, changed := e.cache.Current()
		waiting := 0
		for _, p := range ps {
			if p.fail != "" || p.gone || p.ready {
				continue
			}
			if e.check(s, p); p.fail == "" && !p.gone && !p.ready {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-wctx.Done():
			if err := ctx.Err(); err != nil {
				// The added replicas stay: over-replicated is safe, and a
				// new plan trims them.
				return err
			}
			for _, p := range ps {
				if p.fail == "" && !p.gone && !p.ready {
					p.fail = fmt.Sprintf("%s not serving within %s", strings.Join(p.added, ", "), e.opt.Timeout)
					if len(p.added) == 0 {
						p.fail = fmt.Sprintf("no replica that stays was serving within %s", e.opt.Timeout)
					}
				}
			}
			return nil
		}
	}
}

// finishChanges removes the old replicas of ready moves and the added
// replicas of failed ones.
func (e *executor) finishChanges(s *cluster.Snapshot, ps []*pending) []cluster.AssignmentChange {
	var changes []cluster.AssignmentChange
	for _, p := range ps {
		if p.gone {
			continue
		}
		seg := p.mv.Segment
		a := s.Assign[e.table][seg]
		if a == nil {
			continue
		}
		drop := p.removed
		if p.fail != "" {
			drop = p.added
		} else if len(p.removed) > 0 {
			// The new replicas may have gone since they were seen serving:
			// recheck on this snapshot.
			var stay []string
			for name := range a.Instances {
				if !slices.Contains(p.removed, name) {
					stay = append(stay, name)
				}
			}
			if !anyServing(s, e.table, seg, stay) && anyServing(s, e.table, seg, p.removed) {
				p.fail = "the new replicas stopped serving before the old ones could go"
				continue
			}
		}
		next := map[string]string{}
		for name, st := range a.Instances {
			if !slices.Contains(drop, name) {
				next[name] = st
			}
		}
		if len(next) == len(a.Instances) || len(next) == 0 {
			continue
		}
		changes = append(changes, cluster.AssignmentChange{Table: e.table, Segment: seg,
			Assignment: &cluster.Assignment{Instances: next, Rev: a.Rev}})
	}
	return changes
}

// write applies the changes build computes from a fresh snapshot, as one
// compare-and-swap transaction, recomputing on conflict; it returns once
// the cache shows the write.
func (e *executor) write(ctx context.Context, build func(*cluster.Snapshot) []cluster.AssignmentChange) error {
	for attempt := 1; ; attempt++ {
		s, err := e.fresh(ctx)
		if err != nil {
			return err
		}
		changes := build(s)
		if len(changes) == 0 {
			return nil
		}
		if e.opt.beforeWrite != nil {
			e.opt.beforeWrite()
		}
		err = e.store.SetAssignments(ctx, changes)
		if err == nil {
			_, err = e.fresh(ctx)
			return err
		}
		if !errors.Is(err, cluster.ErrConflict) || attempt == maxWriteAttempts {
			return fmt.Errorf("write assignments (attempt %d): %w", attempt, err)
		}
		e.log.Debug("assignment changed concurrently; retrying from a fresh snapshot", "table", e.table, "attempt", attempt)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

// fresh returns a snapshot at least as new as etcd's current revision.
func (e *executor) fresh(ctx context.Context) (*cluster.Snapshot, error) {
	wctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	s, err := e.cache.Sync(wctx)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return s, err
}
