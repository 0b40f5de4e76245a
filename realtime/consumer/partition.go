package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/mutable"
	"github.com/tannin-db/tannin/stream"
)

// Partition consumes one stream partition into consecutive consuming
// segments. Create it with New, run it with Run, feed it with Assign and
// Done.
type Partition struct {
	cfg  Config
	deps Deps
	tr   *decode.Transformer
	log  *slog.Logger

	// inbox holds Assign and Done calls until the loop takes them.
	inMu  sync.Mutex
	inbox []inboxItem
	wake  chan struct{}

	// Loop state: only Run's goroutine touches these.
	cons *seg
	// latest is the last segment that got a name: the pending segment
	// follows it, so only its end offset places the read-ahead.
	latest  *seg
	olds    map[*seg]bool
	seen    map[string]bool
	gen     int
	fetchIn bool
	// fetchAfter delays the next fetch after a fetch error.
	fetchAfter time.Time
	fetchPause time.Duration
	reqs       chan fetchReq
	fetched    chan fetchRes
	events     chan event
	wg         sync.WaitGroup

	// stats guard the numbers Stats reports and the segments' progress
	// fields, written by whichever goroutine owns a segment.
	smu   sync.Mutex
	stats partStats
}

type inboxItem struct {
	spec Spec
	done bool // Done(spec.Name)
}

type fetchReq struct {
	gen  int
	from stream.Offset
}

type fetchRes struct {
	req fetchReq
	res stream.FetchResult
	err error
}

// event is a completion goroutine's message to the loop.
type event struct {
	s *seg
	// end: the segment's end offset became known (tentatively with
	// COMMIT); the next segment starts there. finished: the goroutine
	// ended.
	end      stream.Offset
	hasEnd   bool
	eop      bool
	finished bool
}

// seg is one consuming segment of the partition.
type seg struct {
	spec  Spec // Name "" while pending (not assigned yet)
	start stream.Offset
	gen   int
	mseg  *mutable.Segment
	app   *appender
	began time.Time
	// flushRows is the row threshold: the spec's, or while the segment is
	// pending (read ahead before the controller opened it) the threshold
	// of the segment it follows, until Assign brings the recorded one.
	flushRows int

	// Progress, guarded by Partition.smu for Stats.
	offset  stream.Offset
	state   string
	message string
	reason  completion.Reason
	stopped bool
	// sealedMeta is the metadata of the file built at sealedAt.
	sealedMeta *segment.Meta
	sealedAt   stream.Offset
	// counted rows were added to the partition's stats.
	counted int
}

// New returns a partition consumer. The table's transforms are compiled
// here, so a bad expression fails now.
func New(cfg Config, deps Deps) (*Partition, error) {
	cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Stream == nil || deps.Controller == nil || deps.DeepStore == nil || deps.Host == nil {
		return nil, fmt.Errorf("partition consumer of %s partition %s: stream, controller, deep store and host are all needed", cfg.TableWithType, cfg.Partition)
	}
	var tr *decode.Transformer
	if cfg.Table != nil {
		var err error
		if tr, err = decode.NewTransformer(cfg.Schema, &cfg.Table.Ingestion); err != nil {
			return nil, fmt.Errorf("partition consumer of %s: %w", cfg.TableWithType, err)
		}
	}
	p := &Partition{
		cfg: cfg, deps: deps, tr: tr,
		log:     cfg.Log.With("table", cfg.TableWithType, "partition", cfg.Partition),
		wake:    make(chan struct{}, 1),
		olds:    map[*seg]bool{},
		seen:    map[string]bool{},
		reqs:    make(chan fetchReq),
		fetched: make(chan fetchRes),
		events:  make(chan event, 16),
	}
	p.stats.bad = map[string]int64{}
	p.stats.segs = map[*seg]bool{}
	p.stats.badSeen = map[stream.Offset]bool{}
	p.stats.logged = map[string]*logLimit{}
	// A decoder for the table's format must build: fail now, not per
	// segment.
	if _, err := newAppender(p); err != nil {
		return nil, fmt.Errorf("partition consumer of %s: %w", cfg.TableWithType, err)
	}
	return p, nil
}

// Assign tells the consumer about a consuming segment of its partition
// assigned to this replica (repeats are ignored). It never blocks.
func (p *Partition) Assign(s Spec) { p.post(inboxItem{spec: s}) }

// Done tells the consumer that segment name is committed (its record is
// DONE): if it is still consuming it, it stops and asks the controller
// what to do with its copy (keep, catch up, or discard). It never blocks.
func (p *Partition) Done(name string) { p.post(inboxItem{spec: Spec{Name: name}, done: true}) }

func (p *Partition) post(it inboxItem) {
	p.inMu.Lock()
	p.inbox = append(p.inbox, it)
	p.inMu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run consumes until ctx ends, then waits for its goroutines. Segments in
// the completion protocol are abandoned with ctx: a restart consumes them
// again from their start offset, or downloads them once committed.
func (p *Partition) Run(ctx context.Context) error {
	c, err := p.openConsumer(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// After the fetcher: a Consumer is used by one goroutine at a
		// time.
		p.wg.Wait()
		c.Close()
	}()
	p.wg.Add(1)
	go p.fetcher(ctx, c)
	var retry *time.Timer
	retryC := func() <-chan time.Time {
		if retry == nil {
			return nil
		}
		return retry.C
	}
	for {
		p.requestFetch(ctx)
		if !p.fetchIn && !p.fetchAfter.IsZero() && retry == nil {
			retry = time.NewTimer(time.Until(p.fetchAfter))
		}
		select {
		case <-ctx.Done():
			if retry != nil {
				retry.Stop()
			}
			return nil
		case <-p.wake:
			p.takeInbox(ctx)
		case r := <-p.fetched:
			p.fetchIn = false
			p.onFetch(ctx, r)
		case ev := <-p.events:
			p.onEvent(ctx, ev)
		case <-retryC():
			retry = nil
		}
	}
}

// openConsumer opens the partition's stream consumer, retrying while the
// stream fails, until ctx ends.
func (p *Partition) openConsumer(ctx context.Context) (stream.Consumer, error) {
	pause := p.cfg.RetryPause
	for {
		c, err := p.deps.Stream.Consumer(p.cfg.Partition)
		if err == nil {
			p.setError("")
			return c, nil
		}
		p.setError(fmt.Sprintf("open partition %s: %v", p.cfg.Partition, err))
		p.log.Warn("open stream partition", "err", err)
		if !sleep(ctx, pause) {
			return nil, ctx.Err()
		}
		pause = min(2*pause, p.cfg.MaxRetryPause)
	}
}

// fetcher runs one fetch at a time for the loop; a result's records stay
// valid until the loop asks for the next.
func (p *Partition) fetcher(ctx context.Context, c stream.Consumer) {
	defer p.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-p.reqs:
			res, err := c.Fetch(ctx, req.from, p.cfg.FetchMax)
			select {
			case p.fetched <- fetchRes{req: req, res: res, err: err}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// requestFetch asks the fetcher for the next records of the segment being
// consumed, unless a fetch is in flight or paused.
func (p *Partition) requestFetch(ctx context.Context) {
	s := p.cons
	if p.fetchIn || s == nil || s.stopped {
		return
	}
	if !p.fetchAfter.IsZero() {
		if time.Now().Before(p.fetchAfter) {
			return
		}
		p.fetchAfter = time.Time{}
	}
	select {
	case p.reqs <- fetchReq{gen: s.gen, from: s.offset}:
		p.fetchIn = true
	case <-ctx.Done():
	}
}

func (p *Partition) onFetch(ctx context.Context, r fetchRes) {
	s := p.cons
	if r.err != nil {
		if ctx.Err() != nil {
			return
		}
		if s != nil && r.req.gen == s.gen && errors.Is(r.err, stream.ErrOffsetExpired) {
			// The records after the offset are gone: nothing brings
			// them back. Say so loudly and go on from the oldest
			// retained record, so the partition does not stop.
			p.bad("offset_expired", &stream.Record{Offset: s.offset}, r.err.Error())
			p.progress(s, stream.Start, 0, time.Time{})
			return
		}
		p.fetchPause = min(max(2*p.fetchPause, p.cfg.RetryPause), p.cfg.MaxRetryPause)
		p.fetchAfter = time.Now().Add(p.fetchPause)
		p.setError(fmt.Sprintf("fetch from %q: %v", r.req.from, r.err))
		p.log.Warn("fetch", "offset", r.req.from, "err", r.err)
		return
	}
	p.fetchPause = 0
	p.setError("")
	if s == nil || r.req.gen != s.gen || s.stopped {
		return // for a segment that was replaced: fetch again
	}
	p.smu.Lock()
	p.stats.lagMs = r.res.LagMs
	p.smu.Unlock()
	recs := r.res.Records
	want := s.flushRows - s.mseg.NumDocs()
	n, err := s.app.appendRecords(s, recs, want)
	switch {
	case err != nil:
		p.giveUp(ctx, s, fmt.Errorf("append to consuming segment: %w", err))
	case s.mseg.NumDocs() >= s.flushRows:
		p.stop(ctx, s, completion.ReasonRowLimit)
	case n == len(recs) && r.res.EndOfPartition:
		p.stop(ctx, s, completion.ReasonEndOfPartition)
	case p.cfg.FlushSize > 0 && s.mseg.EstimatedSizeBytes() >= p.cfg.FlushSize:
		p.stop(ctx, s, completion.ReasonSizeLimit)
	case p.cfg.FlushTime > 0 && p.cfg.Now().Sub(s.began) >= p.cfg.FlushTime:
		p.stop(ctx, s, completion.ReasonTimeLimit)
	}
}

// takeInbox applies the Assign and Done calls received.
func (p *Partition) takeInbox(ctx context.Context) {
	p.inMu.Lock()
	items := p.inbox
	p.inbox = nil
	p.inMu.Unlock()
	for _, it := range items {
		if it.done {
			if s := p.cons; s != nil && s.spec.Name == it.spec.Name && !s.stopped {
				// Committed by the other replicas: ask what to do.
				p.stop(ctx, s, completion.ReasonForceCommit)
			}
			continue
		}
		p.assign(ctx, it.spec)
	}
}

func (p *Partition) assign(ctx context.Context, spec Spec) {
	if p.seen[spec.Name] {
		return
	}
	p.seen[spec.Name] = true
	flushRows := p.cfg.threshold(spec)
	s := p.cons
	switch {
	case s == nil:
	case s.spec.Name == "" && p.same(s.start, spec.Start) && s.fits(flushRows):
		// The pending segment is this one: it becomes queryable with
		// every row read so far.
		s.flushRows = flushRows
		p.name(ctx, s, spec)
		return
	case s.spec.Name == "" && p.same(s.start, spec.Start):
		// Read ahead under the previous segment's threshold, it holds
		// more rows than the recorded one (or has too little room for
		// it): read the records again into a segment of the right size.
		// Only the rows read during the previous segment's commit are
		// read twice.
		p.log.Info("rows read ahead do not fit the recorded threshold; reading them again", "segment", spec.Name,
			"rows_read_ahead", s.mseg.NumDocs(), "flush_rows", flushRows)
		p.cons = nil
	case s.spec.Name == "":
		p.log.Info("next segment starts elsewhere; dropping the rows read ahead", "segment", spec.Name,
			"start", spec.Start, "read_from", s.start)
		p.cons = nil
	case p.same(s.start, spec.Start) && !s.stopped && s.fits(flushRows):
		// The controller replaced the segment (its replicas were lost)
		// by a new one at the same start: the rows are the same.
		old := s.spec.Name
		p.deps.Host.Discarded(old)
		p.smu.Lock()
		s.spec = spec
		p.smu.Unlock()
		s.flushRows = flushRows
		p.latest = s
		p.deps.Host.Consuming(spec.Name, s.mseg)
		p.log.Info("consuming segment replaced", "old", old, "segment", spec.Name)
		if s.mseg.NumDocs() >= flushRows {
			p.stop(ctx, s, completion.ReasonRowLimit)
		}
		return
	case p.same(s.start, spec.Start) && !s.stopped:
		// Replaced with a threshold its rows do not fit: consume the
		// replacement afresh.
		p.deps.Host.Discarded(s.spec.Name)
		p.smu.Lock()
		delete(p.stats.segs, s)
		p.smu.Unlock()
		p.log.Info("consuming segment replaced with a lower threshold; reading it again", "old", s.spec.Name,
			"segment", spec.Name, "rows", s.mseg.NumDocs(), "flush_rows", flushRows)
		p.cons = nil
	default:
		// A later segment: the one consumed here was committed by the
		// other replicas. Ask what to do with it.
		if !s.stopped {
			p.stop(ctx, s, completion.ReasonForceCommit)
		}
	}
	p.cons = p.newSeg(spec, spec.Start, flushRows)
	if p.cons != nil {
		p.name(ctx, p.cons, spec)
	}
}

// fits reports whether s can become a segment of threshold flushRows: it
// holds no more rows, and has room for that many. newSeg gives a segment
// room for twice its threshold, so a pending segment takes up to twice the
// threshold it read ahead under (one autotuning step grows it 1.5 times
// unless the table's ratio moved much) and is read again beyond that.
// Every replica stops within the threshold, so catching up needs no room
// beyond it.
func (s *seg) fits(flushRows int) bool {
	return s.mseg.NumDocs() <= flushRows && flushRows <= s.mseg.Config().Capacity
}

// same reports whether two offsets are the same position.
func (p *Partition) same(a, b stream.Offset) bool {
	if a == b {
		return true
	}
	c, err := p.deps.Stream.Compare(a, b)
	return err == nil && c == 0
}

// newSeg starts a segment of threshold flushRows at start (spec.Name ""
// for a pending one).
func (p *Partition) newSeg(spec Spec, start stream.Offset, flushRows int) *seg {
	name := spec.Name
	if name == "" {
		name = "pending-" + p.cfg.Partition
	}
	mc := mutable.ConfigFromTable(name, p.cfg.Schema, p.cfg.Table, min(2*flushRows, mutable.MaxCapacity))
	mc.StartOffset = string(start)
	mc.Now = p.cfg.Now
	if p.cfg.Table != nil {
		mc.Table = p.cfg.Table.TableName
	}
	m, err := mutable.New(mc)
	if err != nil {
		p.setError(fmt.Sprintf("new consuming segment: %v", err))
		p.log.Error("new consuming segment", "err", err)
		return nil
	}
	app, err := newAppender(p)
	if err != nil {
		p.setError(err.Error())
		return nil
	}
	p.gen++
	s := &seg{spec: spec, start: start, gen: p.gen, mseg: m, app: app, began: p.cfg.Now(), offset: start,
		state: consuminginfo.StateConsuming, flushRows: flushRows}
	return s
}

// name gives the pending segment s its assignment and serves it.
func (p *Partition) name(ctx context.Context, s *seg, spec Spec) {
	p.smu.Lock()
	s.spec = spec
	p.stats.segs[s] = true
	p.smu.Unlock()
	p.latest = s
	p.deps.Host.Consuming(spec.Name, s.mseg)
	p.log.Info("consuming segment", "segment", spec.Name, "start", spec.Start, "flush_rows", s.flushRows,
		"rows_read_ahead", s.mseg.NumDocs())
	switch {
	case s.stopped && s.reason == completion.ReasonRowLimit && s.mseg.NumDocs() < s.flushRows:
		// It stopped at the previous segment's threshold; its own is
		// higher: consume on.
		p.smu.Lock()
		s.stopped, s.reason, s.state = false, "", consuminginfo.StateConsuming
		p.smu.Unlock()
	case s.stopped:
		// It reached a threshold before it had a name.
		p.cons = nil
		p.startCompletion(ctx, s)
	case s.mseg.NumDocs() >= s.flushRows:
		// Its own threshold is lower than the one it read ahead under,
		// and it holds exactly that many rows.
		p.stop(ctx, s, completion.ReasonRowLimit)
	}
}

// stop ends consumption into s for reason; a named segment goes into the
// completion protocol.
func (p *Partition) stop(ctx context.Context, s *seg, reason completion.Reason) {
	p.smu.Lock()
	s.stopped, s.reason, s.state = true, reason, consuminginfo.StateNotConsuming
	p.smu.Unlock()
	p.log.Info("consuming segment reached its end", "segment", s.spec.Name, "reason", reason,
		"offset", s.offset, "rows", s.mseg.NumDocs())
	if s.spec.Name == "" {
		return // reports once it is assigned
	}
	if p.cons == s {
		p.cons = nil
	}
	p.startCompletion(ctx, s)
}

func (p *Partition) startCompletion(ctx context.Context, s *seg) {
	p.olds[s] = true
	p.wg.Add(1)
	go p.complete(ctx, s)
}

func (p *Partition) onEvent(ctx context.Context, ev event) {
	if ev.finished {
		delete(p.olds, ev.s)
		p.smu.Lock()
		delete(p.stats.segs, ev.s)
		p.smu.Unlock()
		return
	}
	if !ev.hasEnd || ev.eop || ev.s != p.latest {
		// An older segment's end: a later one is already named.
		return
	}
	// The next segment starts at ev.end: read ahead into it.
	switch s := p.cons; {
	case s == nil:
	case s.spec.Name != "" || p.same(s.start, ev.end):
		return
	default:
		p.log.Info("end offset changed; reading ahead from it", "end", ev.end, "was", s.start)
	}
	p.cons = p.newSeg(Spec{}, ev.end, ev.s.flushRows)
}

// giveUp stops a segment for good: the controller is told
// (StoppedConsuming) and the segment stops serving.
func (p *Partition) giveUp(ctx context.Context, s *seg, err error) {
	p.smu.Lock()
	s.stopped, s.state, s.message = true, consuminginfo.StateStopped, err.Error()
	p.stats.stopped = append(p.stats.stopped, s)
	delete(p.stats.segs, s)
	p.smu.Unlock()
	if p.cons == s {
		p.cons = nil
	}
	p.log.Error("consuming segment stopped", "segment", s.spec.Name, "offset", s.offset, "err", err)
	if s.spec.Name == "" {
		return
	}
	p.deps.Host.Discarded(s.spec.Name)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r := p.report(s)
	r.Message = err.Error()
	if _, err := p.deps.Controller.StoppedConsuming(rctx, r); err != nil {
		p.log.Warn("report stopped consuming", "segment", s.spec.Name, "err", err)
	}
}

// report is s's message to the controller.
func (p *Partition) report(s *seg) completion.Report {
	p.smu.Lock()
	defer p.smu.Unlock()
	return completion.Report{Segment: s.spec.Name, Instance: p.cfg.Instance, Offset: s.offset, Reason: s.reason,
		Rows: s.mseg.NumDocs()}
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
