package consumer

import (
	"maps"
	"sort"
	"time"

	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/stream"
)

// partStats are the partition's numbers; Partition.smu guards them.
type partStats struct {
	rowsTotal int64
	// rate is rows/s over the last window of at least rateWindow.
	rate          float64
	rateAt        time.Time
	rateRows      int64
	lagMs         int64
	lastConsumed  time.Time
	lastArrivalMs int64
	lastDelayMs   int64
	bad           map[string]int64
	logged        map[string]*logLimit
	err           string
	stopped       []*seg
	// badSeen are the offsets of the bad records counted and not yet
	// committed: they may be read again.
	badSeen map[stream.Offset]bool
	// segs are the named segments consuming or in the protocol.
	segs                  map[*seg]bool
	fetchedOnce, hasDelay bool
}

type logLimit struct {
	last       time.Time
	suppressed int64
}

const rateWindow = time.Second

// progress records that s consumed up to off, the last record having
// arrived at arrivalMs (0: unknown), at now (zero: no record).
func (p *Partition) progress(s *seg, off stream.Offset, arrivalMs int64, now time.Time) {
	p.smu.Lock()
	defer p.smu.Unlock()
	s.offset = off
	st := &p.stats
	st.fetchedOnce = true
	if now.IsZero() {
		return
	}
	n := s.mseg.NumDocs()
	st.rowsTotal += int64(n - s.counted)
	s.counted = n
	st.lastConsumed = now
	if arrivalMs > 0 {
		// The delay when the record was consumed: it does not grow
		// while the stream is quiet.
		st.lastArrivalMs, st.lastDelayMs, st.hasDelay = arrivalMs, max(0, now.UnixMilli()-arrivalMs), true
	}
	if st.rateAt.IsZero() {
		st.rateAt, st.rateRows = now, st.rowsTotal
	} else if d := now.Sub(st.rateAt); d >= rateWindow {
		st.rate = float64(st.rowsTotal-st.rateRows) / d.Seconds()
		st.rateAt, st.rateRows = now, st.rowsTotal
	}
}

// bad counts a skipped record and logs it, at most once per reason per
// LogEvery.
func (p *Partition) bad(reason string, r *stream.Record, msg string) {
	p.smu.Lock()
	st := &p.stats
	// A record read again (read-ahead dropped, a catch-up, a restart of
	// the next segment after a DISCARD) is counted once.
	if st.badSeen[r.Offset] {
		p.smu.Unlock()
		return
	}
	st.badSeen[r.Offset] = true
	st.bad[reason]++
	l := st.logged[reason]
	if l == nil {
		l = &logLimit{}
		st.logged[reason] = l
	}
	now := p.cfg.Now()
	if !l.last.IsZero() && now.Sub(l.last) < p.cfg.LogEvery {
		l.suppressed++
		p.smu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	p.smu.Unlock()
	p.log.Warn("bad record skipped", "reason", reason, "offset", r.Offset, "err", msg, "not_logged_since_last", suppressed)
}

// committedUpTo forgets the bad records at or before end, a committed
// end offset: no replica reads them again.
func (p *Partition) committedUpTo(end stream.Offset) {
	p.smu.Lock()
	defer p.smu.Unlock()
	for off := range p.stats.badSeen {
		if c, err := p.deps.Stream.Compare(off, end); err == nil && c <= 0 {
			delete(p.stats.badSeen, off)
		}
	}
}

func (p *Partition) setError(msg string) {
	p.smu.Lock()
	p.stats.err = msg
	p.smu.Unlock()
}

func (p *Partition) setState(s *seg, state, msg string) {
	p.smu.Lock()
	s.state, s.message = state, msg
	p.smu.Unlock()
}

// Counters are the partition's totals.
type Counters struct {
	Rows int64
	// Bad counts skipped records by reason.
	Bad map[string]int64
}

// Counters returns the partition's totals since it started.
func (p *Partition) Counters() Counters {
	p.smu.Lock()
	defer p.smu.Unlock()
	return Counters{Rows: p.stats.rowsTotal, Bad: maps.Clone(p.stats.bad)}
}

// Stats describes the partition's named segments (the one consuming and
// those in the completion protocol or stopped) in the consuminginfo
// contract, ordered by name.
func (p *Partition) Stats() []consuminginfo.ServerSegment {
	p.smu.Lock()
	defer p.smu.Unlock()
	st := &p.stats
	now := p.cfg.Now()
	rate := st.rate
	if now.Sub(st.lastConsumed) > 3*rateWindow {
		rate = 0
	}
	var out []consuminginfo.ServerSegment
	seen := map[string]bool{}
	segs := make([]*seg, 0, len(st.segs)+len(st.stopped))
	for s := range st.segs {
		segs = append(segs, s)
	}
	for _, s := range append(segs, st.stopped...) {
		if s.spec.Name == "" || seen[s.spec.Name] {
			continue
		}
		seen[s.spec.Name] = true
		e := consuminginfo.ServerSegment{
			Segment: s.spec.Name, Partition: p.cfg.Partition, PartitionGroup: -1,
			State: s.state, Rows: int64(s.mseg.NumDocs()), StartOffset: string(s.start), CurrentOffset: string(s.offset),
			RecordsLag: consuminginfo.Unknown, LagMs: consuminginfo.Unknown, IngestionDelayMs: consuminginfo.Unknown,
			Message: s.message,
		}
		if n, err := llcname.Parse(s.spec.Name); err == nil {
			e.PartitionGroup = n.PartitionGroup
		}
		if s.state == consuminginfo.StateConsuming {
			e.RowsPerSec = rate
			if st.fetchedOnce && st.lagMs >= 0 {
				e.LagMs = st.lagMs
			}
			if st.hasDelay {
				e.IngestionDelayMs = st.lastDelayMs
			}
			if st.err != "" {
				e.Message = st.err
			}
		}
		if !st.lastConsumed.IsZero() {
			e.LastConsumedMs = st.lastConsumed.UnixMilli()
		}
		if len(st.bad) > 0 {
			e.BadRecords = maps.Clone(st.bad)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Segment < out[j].Segment })
	return out
}
