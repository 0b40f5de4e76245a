package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/consumer"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/realtime/flushsize"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/mutable"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/stream/streams"
)

// realtime runs the partition consumers of the realtime tables this server
// is assigned CONSUMING segments of (realtime/consumer), serves their
// consuming segments through the manager and reports them CONSUMING in the
// external view.
//
// One consumer.Partition per (table, stream partition), started at the
// first CONSUMING assignment of a segment of that partition to this
// server; every later one is handed to it (Assign), and a record that
// turns DONE while the consumer still consumes it is announced (Done).
// The consumers of a table share one open stream. A table that goes away
// stops its consumers and drops their consuming segments.
//
// Flush rows: each consuming segment's record carries its row threshold
// (flushThresholdRows), which the controller decides so that every
// replica stops at the same row: a row count shared by partitions divided
// among them, or for a size threshold (.segment.size) a row count
// autotuned at each commit from the sealed sizes (realtime/flushsize).
// Each segment is consumed under its own record's threshold
// (consumer.Spec.FlushRows). A size-based table's consuming segments also
// stop at flushsize.MemoryCap bytes of EstimatedSizeBytes, a safety cap
// far above what the learned threshold reaches.
type realtime struct {
	s *Server

	mu     sync.Mutex
	ctx    context.Context
	tables map[string]*rtTable
	wg     sync.WaitGroup

	// views are the CONSUMING states to report: desired and reported
	// per segment; the sync goroutine writes the difference.
	vmu      sync.Mutex
	want     map[segKey]bool
	reported map[segKey]bool
	kickView chan struct{}
}

// rtTable is one realtime table's consumers.
type rtTable struct {
	name   string
	cfg    *streamconfig.Config
	strm   stream.Stream
	parts  map[string]*rtPartition
	err    string
	cancel context.CancelFunc
}

type rtPartition struct {
	p      *consumer.Partition
	cancel context.CancelFunc
	// ended is closed when the consumer's Run returned.
	ended chan struct{}
	// names are the segments handed to p; done those announced DONE.
	names map[string]bool
	done  map[string]bool
}

func newRealtime(s *Server) *realtime {
	return &realtime{s: s, tables: map[string]*rtTable{}, want: map[segKey]bool{}, reported: map[segKey]bool{},
		kickView: make(chan struct{}, 1)}
}

// begin readies reconcile to start consumers under ctx; call it before
// the first reconcile.
func (rt *realtime) begin(ctx context.Context) {
	rt.mu.Lock()
	rt.ctx = ctx
	rt.mu.Unlock()
	rt.s.segs.mu.Lock()
	rt.s.segs.onReporter = func() {
		rt.vmu.Lock()
		clear(rt.reported)
		rt.vmu.Unlock()
		rt.kick()
	}
	rt.s.segs.mu.Unlock()
}

// run reports the consuming segments' states until ctx ends, then waits
// for every consumer to stop.
func (rt *realtime) run(ctx context.Context) {
	go rt.retry(ctx)
	rt.syncViews(ctx)
	rt.mu.Lock()
	for _, t := range rt.tables {
		rt.stopTable(t)
	}
	rt.mu.Unlock()
	rt.wg.Wait()
}

// retryEvery is how often consumers that failed to start (a stream that
// would not open, a partition that would not start) are tried again even
// when the metadata does not change: a partition never silently stops.
const retryEvery = 5 * time.Second

func (rt *realtime) retry(ctx context.Context) {
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rt.reconcile(rt.s.deps.Cache.Snapshot())
		}
	}
}

func (rt *realtime) kick() {
	select {
	case rt.kickView <- struct{}{}:
	default:
	}
}

// reconcile starts, feeds and stops partition consumers from snap.
func (rt *realtime) reconcile(snap *cluster.Snapshot) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.ctx == nil || rt.ctx.Err() != nil {
		return
	}
	self := rt.s.name
	for name, t := range rt.tables {
		if snap.Tables[name] == nil {
			rt.s.log.Info("realtime table gone; stopping its consumers", "table", name)
			rt.stopTable(t)
			delete(rt.tables, name)
		}
	}
	for table, tbl := range snap.Tables {
		if cluster.TableType(table) != "REALTIME" {
			continue
		}
		recs := snap.Segments[table]
		// The consuming segments assigned here, by stream partition.
		consuming := map[string][]*cluster.Segment{}
		for name, a := range snap.Assign[table] {
			rec := recs[name]
			if a.Instances[self] != cluster.StateConsuming || rec == nil || rec.Status != cluster.StatusInProgress || rec.Meta == nil {
				continue
			}
			consuming[rec.Partition] = append(consuming[rec.Partition], rec)
		}
		t := rt.tables[table]
		if t == nil || t.strm == nil {
			if len(consuming) == 0 {
				continue
			}
			// First sight, or the stream failed to open: (re)open.
			if t != nil && t.cancel != nil {
				t.cancel()
			}
			t = rt.openTable(table, tbl)
			rt.tables[table] = t
		}
		if t.strm == nil {
			continue
		}
		for part, segs := range consuming {
			rp := t.parts[part]
			if rp == nil {
				var err error
				if rp, err = rt.startPartition(t, tbl, snap, part, segs[0].FlushRows); err != nil {
					t.err = err.Error()
					rt.s.log.Error("start partition consumer", "table", table, "partition", part, "err", err)
					continue
				}
				t.parts[part] = rp
			}
			sort.Slice(segs, func(i, j int) bool { return segs[i].Meta.Name < segs[j].Meta.Name })
			for _, rec := range segs {
				if !rp.names[rec.Meta.Name] {
					rp.names[rec.Meta.Name] = true
					rp.p.Assign(consumer.Spec{Name: rec.Meta.Name, Start: stream.Offset(rec.Meta.StartOffset), CreatedMs: rec.Meta.CreatedMs,
						FlushRows: rec.FlushRows})
				}
			}
		}
		// Segments committed while a consumer here still consumes them.
		for _, rp := range t.parts {
			for name := range rp.names {
				if rec := recs[name]; rec != nil && rec.Status == cluster.StatusDone && !rp.done[name] {
					rp.done[name] = true
					rp.p.Done(name)
				}
			}
		}
	}
}

// openTable parses the table's stream config and opens its stream. A
// failure is kept in the table's error (the consumingSegmentsInfo answer
// shows it) and retried at the next snapshot.
func (rt *realtime) openTable(table string, tbl *cluster.Table) *rtTable {
	t := &rtTable{name: table, parts: map[string]*rtPartition{}}
	if len(tbl.Config.Ingestion.StreamConfigs) == 0 {
		t.err = "the table config has no stream config"
		return t
	}
	cfg, err := streamconfig.Parse(tbl.Config.Ingestion.StreamConfigs[0])
	if err != nil {
		t.err = err.Error()
		rt.s.log.Error("realtime table stream config", "table", table, "err", err)
		return t
	}
	t.cfg = cfg
	ctx, cancel := context.WithCancel(rt.ctx)
	t.cancel = cancel
	if rt.s.deps.Completion == nil {
		t.err = "this server has no segment completion client; it cannot consume"
		rt.s.log.Error("cannot consume realtime table", "table", table, "err", t.err)
		return t
	}
	oc, ocancel := context.WithTimeout(ctx, 30*time.Second)
	defer ocancel()
	s, err := streams.Open(oc, cfg, rt.s.deps.LocalStreams)
	if err != nil {
		t.err = err.Error()
		rt.s.log.Error("open stream", "table", table, "err", err)
		return t // the next snapshot tries again
	}
	t.strm = s
	return t
}

// flushRows is the consumer's default row threshold, for segments whose
// record carries none (written before thresholds were recorded): the
// stream config's, or for size-based flushing the autotune initial rows.
func flushRows(f streamconfig.FlushConfig, recorded int) int {
	switch {
	case recorded > 0:
		return recorded
	case f.SizeBased:
		return max(1, f.AutotuneInitialRows)
	}
	return max(1, f.Rows)
}

func (rt *realtime) startPartition(t *rtTable, tbl *cluster.Table, snap *cluster.Snapshot, part string, recordedFlush int) (*rtPartition, error) {
	sch := snap.TableSchema(t.name)
	if sch == nil {
		return nil, fmt.Errorf("table %s has no schema", t.name)
	}
	cfg := consumer.Config{
		TableWithType: t.name, Table: tbl.Config, Schema: sch.Schema, Decoder: t.cfg.Decoder,
		Partition: part, Instance: rt.s.name,
		FlushRows: flushRows(t.cfg.Flush, recordedFlush), FlushTime: t.cfg.Flush.Time,
		Log: rt.s.log,
	}
	if t.cfg.Flush.SizeBased {
		cfg.FlushSize = flushsize.MemoryCap(t.cfg.Flush)
	}
	if k := t.cfg.Kinesis; k != nil && k.MaxRecordsToFetch > 0 {
		cfg.FetchMax = k.MaxRecordsToFetch
	}
	if rt.s.cfg.RealtimeMaxRecordBytes > 0 {
		cfg.MaxRecordBytes = rt.s.cfg.RealtimeMaxRecordBytes
	}
	p, err := consumer.New(cfg, consumer.Deps{Stream: t.strm, Controller: rt.s.deps.Completion,
		DeepStore: rt.s.deps.DeepStore, Host: &rtHost{rt: rt, table: t.name}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(rt.ctx)
	rp := &rtPartition{p: p, cancel: cancel, names: map[string]bool{}, done: map[string]bool{}, ended: make(chan struct{})}
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		defer close(rp.ended)
		if err := p.Run(ctx); err != nil && ctx.Err() == nil {
			rt.s.log.Error("partition consumer", "table", t.name, "partition", part, "err", err)
		}
	}()
	rt.s.log.Info("partition consumer started", "table", t.name, "partition", part, "flush_rows", cfg.FlushRows,
		"flush_time", cfg.FlushTime)
	return rp, nil
}

// stopTable stops a table's consumers and drops its consuming segments.
// rt.mu held.
func (rt *realtime) stopTable(t *rtTable) {
	for _, rp := range t.parts {
		rp.cancel()
	}
	if t.cancel != nil {
		t.cancel()
	}
	if t.strm != nil {
		// The consumers stop first: they read the stream until then.
		strm, parts := t.strm, t.parts
		rt.wg.Add(1)
		go func() {
			defer rt.wg.Done()
			for _, rp := range parts {
				<-rp.ended
			}
			strm.Close()
		}()
	}
	m := rt.s.segs
	m.mu.Lock()
	var gone []segKey
	for k := range m.consuming {
		if k.table == t.name {
			delete(m.consuming, k)
			gone = append(gone, k)
		}
	}
	m.mu.Unlock()
	rt.vmu.Lock()
	for _, k := range gone {
		rt.want[k] = false
	}
	rt.vmu.Unlock()
	rt.kick()
}

// syncViews writes the CONSUMING states (and their removal) until ctx
// ends, retrying failed writes.
func (rt *realtime) syncViews(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rt.kickView:
		case <-retry.C:
		}
		rt.s.segs.mu.RLock()
		rep := rt.s.segs.rep
		rt.s.segs.mu.RUnlock()
		if rep == nil {
			continue
		}
		failed := false
		rt.vmu.Lock()
		todo := map[segKey]bool{}
		for k, w := range rt.want {
			if rt.reported[k] != w {
				todo[k] = w
			}
		}
		rt.vmu.Unlock()
		for k, w := range todo {
			if rt.managerOwns(k) {
				// The sealed segment is loaded: its slot reports it.
				rt.vmu.Lock()
				delete(rt.want, k)
				delete(rt.reported, k)
				rt.vmu.Unlock()
				continue
			}
			var err error
			if w {
				err = rep.SetState(ctx, k.table, k.segment, cluster.SegmentState{State: cluster.StateConsuming})
			} else {
				err = rep.ClearState(ctx, k.table, k.segment)
			}
			if err != nil {
				failed = true
				rt.s.log.Warn("report consuming segment state", "table", k.table, "segment", k.segment, "err", err)
				continue
			}
			rt.vmu.Lock()
			if rt.want[k] == w {
				rt.reported[k] = w
				if !w {
					delete(rt.want, k)
					delete(rt.reported, k)
				}
			}
			rt.vmu.Unlock()
		}
		if failed {
			retry.Reset(500 * time.Millisecond)
		}
	}
}

// managerOwns reports whether the segment's slot holds a loaded version,
// whose state the manager reports.
func (rt *realtime) managerOwns(k segKey) bool {
	m := rt.s.segs
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.slots[k.table][k.segment]
	return s != nil && (s.cur != nil || s.reported.State != "")
}

// info is the consumingSegmentsInfo answer for table (with type).
func (rt *realtime) info(table string) (consuminginfo.Server, bool) {
	rt.mu.Lock()
	t := rt.tables[table]
	var parts []*rtPartition
	var terr string
	if t != nil {
		terr = t.err
		for _, rp := range t.parts {
			parts = append(parts, rp)
		}
	}
	rt.mu.Unlock()
	out := consuminginfo.Server{Table: table, Segments: []consuminginfo.ServerSegment{}}
	for _, rp := range parts {
		out.Segments = append(out.Segments, rp.p.Stats()...)
	}
	if t != nil && len(out.Segments) == 0 && terr != "" {
		// The table cannot be consumed here: say so rather than
		// answer nothing.
		out.Segments = append(out.Segments, consuminginfo.ServerSegment{State: consuminginfo.StateStopped, Message: terr,
			PartitionGroup: -1, RecordsLag: consuminginfo.Unknown, LagMs: consuminginfo.Unknown, IngestionDelayMs: consuminginfo.Unknown})
	}
	sort.Slice(out.Segments, func(i, j int) bool { return out.Segments[i].Segment < out.Segments[j].Segment })
	return out, t != nil
}

// rtHost serves one table's consuming segments through the manager.
type rtHost struct {
	rt    *realtime
	table string
}

func (h *rtHost) Consuming(name string, seg *mutable.Segment) {
	k := segKey{h.table, name}
	m := h.rt.s.segs
	m.mu.Lock()
	m.consuming[k] = seg
	m.mu.Unlock()
	h.rt.vmu.Lock()
	h.rt.want[k] = true
	h.rt.vmu.Unlock()
	h.rt.kick()
}

func (h *rtHost) Sealed(name string, meta *segment.Meta) {
	// The consuming segment serves until the manager loads the file
	// (CRC match, no download) when the assignment turns ONLINE; its slot
	// then reports ONLINE over our CONSUMING.
	h.rt.s.log.Info("consuming segment sealed", "table", h.table, "segment", name, "crc", meta.CRC, "rows", meta.NumDocs)
}

func (h *rtHost) Discarded(name string) {
	k := segKey{h.table, name}
	m := h.rt.s.segs
	m.mu.Lock()
	delete(m.consuming, k)
	m.mu.Unlock()
	h.rt.vmu.Lock()
	if _, ok := h.rt.want[k]; ok {
		h.rt.want[k] = false
	}
	h.rt.vmu.Unlock()
	h.rt.kick()
}

func (h *rtHost) SealPath(name string) string {
	p := h.rt.s.segs.path(segKey{h.table, name})
	_ = os.MkdirAll(filepath.Dir(p), 0o755)
	return p
}
