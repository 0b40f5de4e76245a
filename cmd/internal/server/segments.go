package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/segment/mutable"
)

// segKey names one segment of one table (with type).
type segKey struct{ table, segment string }

// desired is the set of segments the snapshot asks this server to serve:
// every segment whose assignment names self with target ONLINE and whose
// record exists. Other targets (CONSUMING, OFFLINE, DROPPED) are not
// served by this server yet and count as not assigned.
func desired(snap *cluster.Snapshot, self string) map[segKey]*cluster.Segment {
	out := map[segKey]*cluster.Segment{}
	for table, asg := range snap.Assign {
		recs := snap.Segments[table]
		for name, a := range asg {
			if a.Instances[self] != cluster.StateOnline {
				continue
			}
			if rec := recs[name]; rec != nil && rec.Meta != nil {
				out[segKey{table, name}] = rec
			}
		}
	}
	return out
}

// stateReporter writes this server's segment states to the external view
// (*cluster.Registration).
type stateReporter interface {
	SetState(ctx context.Context, table, segment string, st cluster.SegmentState) error
	ClearState(ctx context.Context, table, segment string) error
}

// loaded is one open version of a segment. Queries hold refs on it; it is
// closed once it is no longer in its slot and refs reach zero.
type loaded struct {
	seg  *immutable.Segment
	crc  uint32
	refs sync.WaitGroup
}

// slot is the server's state of one segment. The manager's mutex guards
// every field; a single worker goroutine at a time (running) performs the
// slot's I/O, so loads, unloads, file removals and state reports of one
// segment never interleave.
type slot struct {
	key segKey
	// want is the record to serve; nil when the segment is not assigned
	// here (any more).
	want *cluster.Segment
	// cur is the version queries use; nil when none is open.
	cur *loaded
	// reported is what the external view holds ("" State: nothing).
	reported cluster.SegmentState
	// failed is the record whose load failed, failMsg why: the load is
	// retried only when the record changes.
	failed  *cluster.Segment
	failMsg string
	// onDisk: the local file may exist.
	onDisk bool

	running bool
	// cancel aborts the in-flight load of loadingCRC; nil when none.
	cancel     context.CancelFunc
	loadingCRC uint32
}

// manager keeps the server's segments in line with the cluster's
// assignments: reconcile records what is wanted and starts a worker per
// segment that needs work; workers load (bounded by sem), report, and
// unload.
type manager struct {
	dir  string
	ds   deepstore.Store
	log  *slog.Logger
	self string
	sem  chan struct{}
	// retry is the pause after a failed state report.
	retry time.Duration

	ctx context.Context
	wg  sync.WaitGroup

	mu    sync.RWMutex
	rep   stateReporter
	slots map[string]map[string]*slot
	// consuming are the consuming segments of realtime tables
	// (realtime.go): queries read their snapshots until the sealed
	// version is loaded into the segment's slot.
	consuming map[segKey]*mutable.Segment
	// onReporter runs after setReporter, so realtime reports its
	// CONSUMING states again under the new lease.
	onReporter func()
	// pending holds the segments of the first snapshot not yet ONLINE or
	// ERROR; nil before the first reconcile.
	pending map[segKey]bool
	ready   chan struct{}
}

func newManager(ctx context.Context, dir string, ds deepstore.Store, log *slog.Logger, self string, parallelism int) *manager {
	return &manager{
		dir: dir, ds: ds, log: log, self: self, sem: make(chan struct{}, parallelism),
		retry: 500 * time.Millisecond, ctx: ctx,
		slots: map[string]map[string]*slot{}, ready: make(chan struct{}),
		consuming: map[segKey]*mutable.Segment{},
	}
}

// path is the local file of a segment.
func (m *manager) path(k segKey) string {
	return filepath.Join(m.dir, k.table, k.segment+segmentExt)
}

const (
	segmentExt = ".tseg"
	tmpExt     = ".tmp"
)

// setReporter installs the registration that reports states. Everything
// reported through an earlier one is considered gone (a new lease), so
// every slot reports again.
func (m *manager) setReporter(r stateReporter) {
	m.mu.Lock()
	m.rep = r
	for _, segs := range m.slots {
		for _, s := range segs {
			s.reported = cluster.SegmentState{}
			m.kick(s)
		}
	}
	hook := m.onReporter
	m.mu.Unlock()
	if hook != nil {
		hook()
	}
}

// Ready reports whether the segments assigned at the first reconcile all
// reached ONLINE or ERROR (or were unassigned meanwhile).
func (m *manager) Ready() bool {
	select {
	case <-m.ready:
		return true
	default:
		return false
	}
}

// reconcile brings the wanted state of every slot in line with snap. It
// never blocks on I/O.
func (m *manager) reconcile(snap *cluster.Snapshot) {
	want := desired(snap, m.self)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending == nil {
		m.pending = make(map[segKey]bool, len(want))
		for k := range want {
			m.pending[k] = true
		}
	}
	for table, segs := range m.slots {
		for name, s := range segs {
			rec := want[segKey{table, name}]
			if rec == nil {
				delete(m.pending, s.key)
			}
			if s.want != rec {
				s.want = rec
				m.kick(s)
			}
		}
	}
	for k, rec := range want {
		segs := m.slots[k.table]
		if segs[k.segment] != nil {
			continue
		}
		if segs == nil {
			segs = map[string]*slot{}
			m.slots[k.table] = segs
		}
		s := &slot{key: k, want: rec, onDisk: true}
		segs[k.segment] = s
		m.kick(s)
	}
	m.checkReady()
}

// kick makes sure a worker looks at s, and aborts a load that is no
// longer wanted. m.mu must be held.
func (m *manager) kick(s *slot) {
	if s.cancel != nil && (s.want == nil || s.want.Meta.CRC != s.loadingCRC) {
		s.cancel()
		s.cancel = nil
	}
	if s.running || m.ctx.Err() != nil {
		return
	}
	s.running = true
	m.wg.Add(1)
	go m.work(s)
}

func (m *manager) checkReady() {
	if m.pending != nil && len(m.pending) == 0 {
		select {
		case <-m.ready:
		default:
			close(m.ready)
		}
	}
}

// action is one step of a worker, decided under the lock by next and
// carried out without it.
type action struct {
	kind   actionKind
	rep    stateReporter
	state  cluster.SegmentState
	old    *loaded // actUnload: the version to close
	delete bool    // actUnload: also remove the local file
	rec    *cluster.Segment
	ctx    context.Context // actLoad
}

type actionKind uint8

const (
	actDone actionKind = iota
	actReport
	actClear
	actUnload
	actRemoveFile
	actLoad
)

// next decides the slot's next step. m.mu must be held.
func (m *manager) next(s *slot) action {
	if m.ctx.Err() != nil {
		s.running = false
		return action{kind: actDone}
	}
	if s.want == nil {
		switch {
		case s.reported.State != "" && m.rep != nil:
			return action{kind: actClear, rep: m.rep}
		case s.cur != nil:
			old := s.cur
			s.cur = nil
			s.onDisk = false
			return action{kind: actUnload, old: old, delete: true}
		case s.onDisk:
			s.onDisk = false
			return action{kind: actRemoveFile}
		}
		delete(m.slots[s.key.table], s.key.segment)
		if len(m.slots[s.key.table]) == 0 {
			delete(m.slots, s.key.table)
		}
		s.running = false
		return action{kind: actDone}
	}
	var st cluster.SegmentState
	switch {
	case s.cur != nil && s.cur.crc == s.want.Meta.CRC:
		st = cluster.SegmentState{State: cluster.StateOnline}
	case s.failed == s.want:
		if s.cur != nil {
			// The new version failed: the old one is not what the
			// cluster wants any more.
			if s.reported.State == cluster.StateOnline && m.rep != nil {
				return action{kind: actReport, rep: m.rep, state: cluster.SegmentState{State: cluster.StateError, Message: s.failMsg}}
			}
			old := s.cur
			s.cur = nil
			s.onDisk = false
			return action{kind: actUnload, old: old, delete: true}
		}
		st = cluster.SegmentState{State: cluster.StateError, Message: s.failMsg}
	default:
		ctx, cancel := context.WithCancel(m.ctx)
		s.cancel, s.loadingCRC, s.onDisk = cancel, s.want.Meta.CRC, true
		return action{kind: actLoad, rec: s.want, ctx: ctx}
	}
	if s.reported != st && m.rep != nil {
		return action{kind: actReport, rep: m.rep, state: st}
	}
	if m.rep != nil {
		delete(m.pending, s.key)
		m.checkReady()
	}
	s.running = false
	return action{kind: actDone}
}

// work carries out the slot's steps until it has nothing left to do.
func (m *manager) work(s *slot) {
	defer m.wg.Done()
	k := s.key
	for {
		m.mu.Lock()
		a := m.next(s)
		m.mu.Unlock()
		switch a.kind {
		case actDone:
			return
		case actReport:
			err := a.rep.SetState(m.ctx, k.table, k.segment, a.state)
			m.mu.Lock()
			if err == nil && m.rep == a.rep {
				s.reported = a.state
			}
			m.mu.Unlock()
			if err != nil {
				m.log.Warn("report segment state", "table", k.table, "segment", k.segment, "state", a.state.State, "err", err)
				m.pause()
			}
		case actClear:
			err := a.rep.ClearState(m.ctx, k.table, k.segment)
			m.mu.Lock()
			if err == nil && m.rep == a.rep {
				s.reported = cluster.SegmentState{}
			}
			m.mu.Unlock()
			if err != nil {
				m.log.Warn("clear segment state", "table", k.table, "segment", k.segment, "err", err)
				m.pause()
			}
		case actUnload:
			a.old.refs.Wait()
			if err := a.old.seg.Close(); err != nil {
				m.log.Warn("close segment", "table", k.table, "segment", k.segment, "err", err)
			}
			if a.delete {
				m.removeFile(k)
			}
			m.log.Info("segment unloaded", "table", k.table, "segment", k.segment)
		case actRemoveFile:
			m.removeFile(k)
		case actLoad:
			m.runLoad(s, a)
		}
	}
}

func (m *manager) runLoad(s *slot, a action) {
	k := s.key
	start := time.Now()
	seg, err := m.load(a.ctx, k, a.rec)
	// Aborted: the record changed or the server stops; not a failure.
	aborted := a.ctx.Err() != nil
	m.mu.Lock()
	if s.cancel != nil { // the worker is serial: this is a's cancel
		s.cancel()
		s.cancel = nil
	}
	var old *loaded
	switch {
	case err == nil:
		old = s.cur
		s.cur = &loaded{seg: seg, crc: seg.Meta().CRC}
		s.failed, s.failMsg = nil, ""
		// A committed realtime segment: the sealed version serves from
		// now on, the consuming one is released.
		delete(m.consuming, k)
	case !aborted:
		s.failed, s.failMsg = a.rec, err.Error()
	}
	m.mu.Unlock()
	switch {
	case err == nil:
		m.log.Info("segment loaded", "table", k.table, "segment", k.segment, "crc", seg.Meta().CRC, "took", time.Since(start))
	case !aborted:
		m.log.Error("segment load", "table", k.table, "segment", k.segment, "err", err)
	}
	if old != nil {
		// A reload replaced the file under the same path: close the old
		// mapping, keep the file.
		old.refs.Wait()
		if err := old.seg.Close(); err != nil {
			m.log.Warn("close segment", "table", k.table, "segment", k.segment, "err", err)
		}
	}
}

// pause waits a little before a worker retries a failed report.
func (m *manager) pause() {
	t := time.NewTimer(m.retry)
	defer t.Stop()
	select {
	case <-t.C:
	case <-m.ctx.Done():
	}
}

func (m *manager) removeFile(k segKey) {
	if err := os.Remove(m.path(k)); err != nil && !os.IsNotExist(err) {
		m.log.Warn("remove segment file", "table", k.table, "segment", k.segment, "err", err)
	}
}

// acquire takes a reference on each named segment of table that is open
// and lists the others as missing. Release the references with release.
func (m *manager) acquire(table string, names []string) (segs []segment.Segment, held []*loaded, missing []string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	tab := m.slots[table]
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		s := tab[name]
		if s == nil || s.cur == nil {
			if c := m.consuming[segKey{table, name}]; c != nil {
				// A snapshot reads a fixed prefix of the rows, without
				// locks; the garbage collector keeps what it holds.
				segs = append(segs, c.Snapshot())
				continue
			}
			missing = append(missing, name)
			continue
		}
		s.cur.refs.Add(1)
		held = append(held, s.cur)
		segs = append(segs, s.cur.seg)
	}
	return segs, held, missing
}

func release(held []*loaded) {
	for _, l := range held {
		l.refs.Done()
	}
}

// segmentInfo is one segment as the admin API lists it.
type segmentInfo struct {
	Name      string `json:"segmentName"`
	State     string `json:"state"`
	Message   string `json:"message,omitempty"`
	CRC       uint32 `json:"crc,omitempty"`
	SizeBytes int64  `json:"sizeBytes"`
	TotalDocs int    `json:"totalDocs"`
}

// list describes the segments of table this server holds or tried to
// load, sorted by name: open ones with their reported state ("LOADING"
// before the first report), failed ones as ERROR.
func (m *manager) list(table string) []segmentInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []segmentInfo
	for name, s := range m.slots[table] {
		switch {
		case s.cur != nil:
			meta := s.cur.seg.Meta()
			st := s.reported.State
			if st == "" {
				st = "LOADING"
			}
			out = append(out, segmentInfo{Name: name, State: st, Message: s.reported.Message, CRC: s.cur.crc,
				SizeBytes: meta.SizeBytes, TotalDocs: meta.NumDocs})
		case s.want != nil && s.failed == s.want:
			out = append(out, segmentInfo{Name: name, State: cluster.StateError, Message: s.failMsg})
		}
	}
	for k, c := range m.consuming {
		if k.table != table {
			continue
		}
		if s := m.slots[table][k.segment]; s != nil && s.cur != nil {
			continue
		}
		out = append(out, segmentInfo{Name: k.segment, State: cluster.StateConsuming, TotalDocs: c.NumDocs(),
			SizeBytes: c.EstimatedSizeBytes()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// tables lists the tables with at least one slot.
func (m *manager) tables() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.slots))
	for t := range m.slots {
		out = append(out, t)
	}
	for k := range m.consuming {
		if m.slots[k.table] == nil && !slices.Contains(out, k.table) {
			out = append(out, k.table)
		}
	}
	sort.Strings(out)
	return out
}

// closeAll closes every open segment once its queries finish. Workers
// must have stopped (ctx done, wg waited). Local files stay for the next
// start.
func (m *manager) closeAll() {
	m.mu.Lock()
	var open []*loaded
	for _, segs := range m.slots {
		for _, s := range segs {
			if s.cur != nil {
				open = append(open, s.cur)
				s.cur = nil
			}
		}
	}
	m.mu.Unlock()
	for _, l := range open {
		l.refs.Wait()
		_ = l.seg.Close()
	}
}

// sweep removes what an earlier run left in the data directory that snap
// does not assign here: interrupted downloads and unassigned segment
// files. It runs before the first reconcile, when no worker writes.
func (m *manager) sweep(snap *cluster.Snapshot) {
	want := desired(snap, m.self)
	tables, err := os.ReadDir(m.dir)
	if err != nil {
		return
	}
	for _, td := range tables {
		if !td.IsDir() {
			continue
		}
		dir := filepath.Join(m.dir, td.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, f := range files {
			name := f.Name()
			stale := strings.HasSuffix(name, tmpExt)
			if seg, ok := strings.CutSuffix(name, segmentExt); ok && want[segKey{td.Name(), seg}] == nil {
				stale = true
			}
			if stale && !f.IsDir() {
				if err := os.Remove(filepath.Join(dir, name)); err == nil {
					m.log.Info("removed stale local file", "table", td.Name(), "file", name)
				}
			}
		}
		_ = os.Remove(dir) // only when empty
	}
}
