package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completionhttp"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/stream"
)

// The segment completion endpoints (Pinot's LLCSegmentCompletionHandlers;
// wire format in realtime/completionhttp). Only the leader answers: a
// follower says NOT_LEADER and the server's client asks the leader. The
// leader keeps one completion.FSM per segment being completed, in memory
// only (a new leader rebuilds each from etcd on the segment's next
// message, as realtime/completion/doc.go describes); the commit effect is
// cluster.Store.CommitSegment, which seals the segment and opens the next
// one in one transaction.

// completions is the leader's FSMs, by segment name (LLC names carry the
// table, so they are unique across tables). One mutex serialises every
// FSM step: steps are microseconds, and etcd I/O happens outside it.
type completions struct {
	mu   sync.Mutex
	fsms map[string]*segmentFSM
}

// segmentFSM is one segment's FSM and what the controller adds to it.
type segmentFSM struct {
	f     *completion.FSM
	table string
	// eop holds the offsets replicas reported with endOfPartitionGroup: a
	// commit at one of them is the partition's last segment.
	eop map[stream.Offset]bool
}

// resetCompletions drops every FSM: a controller that starts leading
// starts with none, whatever it held when it led before.
func (c *Controller) resetCompletions() {
	c.rt.comp.mu.Lock()
	c.rt.comp.fsms = map[string]*segmentFSM{}
	c.rt.comp.mu.Unlock()
}

// pruneCompletions drops the FSMs of segments that no longer exist
// (table deleted, segment replaced by repair).
func (c *Controller) pruneCompletions(snap *cluster.Snapshot) {
	c.rt.comp.mu.Lock()
	defer c.rt.comp.mu.Unlock()
	for seg, sf := range c.rt.comp.fsms {
		if snap.Segments[sf.table][seg] == nil {
			delete(c.rt.comp.fsms, seg)
		}
	}
}

// completionKind names the four messages.
type completionKind int

const (
	msgConsumed completionKind = iota
	msgCommitStart
	msgCommitEnd
	msgStoppedConsuming
)

func (c *Controller) segmentConsumed(w http.ResponseWriter, r *http.Request) error {
	return c.completionMessage(w, r, msgConsumed)
}

func (c *Controller) segmentCommitStart(w http.ResponseWriter, r *http.Request) error {
	return c.completionMessage(w, r, msgCommitStart)
}

func (c *Controller) segmentCommitEnd(w http.ResponseWriter, r *http.Request) error {
	return c.completionMessage(w, r, msgCommitEnd)
}

func (c *Controller) segmentStoppedConsuming(w http.ResponseWriter, r *http.Request) error {
	return c.completionMessage(w, r, msgStoppedConsuming)
}

func answer(w http.ResponseWriter, resp completion.Response) error {
	return writeJSON(w, http.StatusOK, completionhttp.EncodeResponse(resp))
}

func refused(format string, args ...any) completion.Response {
	return completion.Response{Status: completion.Failed, Message: fmt.Sprintf(format, args...)}
}

func (c *Controller) completionMessage(w http.ResponseWriter, r *http.Request, kind completionKind) error {
	if !c.IsLeader() {
		return answer(w, completion.Response{Status: completion.NotLeader})
	}
	rep, err := completionhttp.ParseReport(r)
	if err != nil {
		return answer(w, refused("%v", err))
	}
	var up completion.Upload
	var upErr error
	if kind == msgCommitEnd {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
		if err != nil {
			upErr = fmt.Errorf("read segment commit end body: %w", err)
		} else {
			up, upErr = completionhttp.DecodeUpload(rep.Segment, body)
		}
	}
	resp := c.complete(r.Context(), kind, rep, up, upErr)
	if resp.Status == completion.Failed {
		c.log.Info("segment completion refused", "segment", rep.Segment, "instance", rep.Instance,
			"offset", rep.Offset, "message", resp.Message)
	} else {
		c.log.Debug("segment completion", "segment", rep.Segment, "instance", rep.Instance,
			"offset", rep.Offset, "reason", rep.Reason, "answer", resp.Status, "target", resp.Offset)
	}
	return answer(w, resp)
}

// complete runs one message through the segment's FSM and carries out the
// effect.
func (c *Controller) complete(ctx context.Context, kind completionKind, rep completion.Report,
	up completion.Upload, upErr error) completion.Response {
	sf, resp := c.fsmFor(ctx, rep.Segment)
	if sf == nil {
		return resp
	}
	comp := &c.rt.comp
	comp.mu.Lock()
	if cur := comp.fsms[rep.Segment]; cur != nil {
		// Another request replaced it (round aborted, rebuilt) meanwhile.
		sf = cur
	}
	if rec := c.deps.Cache.Snapshot().Segments[sf.table][rep.Segment]; rec != nil && rec.Status == cluster.StatusDone {
		sf.f.Observe(completion.Record{Done: true, EndOffset: stream.Offset(rec.Meta.EndOffset)})
	}
	if rep.Reason == completion.ReasonEndOfPartition {
		sf.eop[rep.Offset] = true
	}
	now := c.cfg.now()
	var eff completion.Effect
	switch kind {
	case msgConsumed:
		resp = sf.f.Consumed(now, rep.Instance, rep.Offset, rep.Reason)
	case msgCommitStart:
		resp = sf.f.CommitStart(now, rep.Instance, rep.Offset)
	case msgCommitEnd:
		resp, eff = sf.f.CommitEnd(now, rep.Instance, rep.Offset, upErr == nil)
		if upErr != nil && resp.Status == completion.Failed {
			resp.Message = upErr.Error()
		}
	case msgStoppedConsuming:
		resp, eff = sf.f.StoppedConsuming(now, rep.Instance, rep.Offset, rep.Reason)
	}
	endOfPartition := sf.eop[eff.Offset]
	c.dropIfDone(rep.Segment, sf)
	comp.mu.Unlock()

	switch eff.Kind {
	case completion.EffectWriteCommit:
		resp = c.writeCommit(ctx, sf, rep.Segment, eff, up, endOfPartition)
	case completion.EffectReplicaStopped:
		c.markStopped(ctx, sf.table, rep.Segment, eff.Instance, rep.Message)
	}
	return resp
}

// dropIfDone forgets a finished FSM; comp.mu is held.
func (c *Controller) dropIfDone(seg string, sf *segmentFSM) {
	if sf.f.Done() && c.rt.comp.fsms[seg] == sf {
		delete(c.rt.comp.fsms, seg)
	}
}

// fsmFor returns the segment's FSM, building it from etcd if there is
// none; without one it returns the answer to give.
func (c *Controller) fsmFor(ctx context.Context, seg string) (*segmentFSM, completion.Response) {
	comp := &c.rt.comp
	comp.mu.Lock()
	if comp.fsms == nil {
		comp.fsms = map[string]*segmentFSM{}
	}
	sf := comp.fsms[seg]
	comp.mu.Unlock()
	if sf != nil {
		return sf, completion.Response{}
	}
	name, err := llcname.Parse(seg)
	if err != nil {
		return nil, refused("%v", err)
	}
	table := name.Table + "_REALTIME"
	// Read the record from etcd, not the cache: after a commit the cache
	// may lag, and an FSM built from a stale IN_PROGRESS record would
	// start a round for a committed segment.
	rec, rev, err := c.deps.Store.ReadSegment(ctx, table, seg)
	if errors.Is(err, cluster.ErrNotFound) {
		return nil, refused("segment %s of table %s has no record (deleted, or replaced by the validation task)", seg, table)
	}
	if err != nil {
		return nil, refused("%v", err)
	}
	snap, err := c.deps.Cache.WaitRev(ctx, rev)
	if err != nil {
		return nil, refused("segment %s: wait for the metadata cache: %v", seg, err)
	}
	tbl := snap.Tables[table]
	if tbl == nil {
		return nil, refused("segment %s: table %s does not exist", seg, table)
	}
	s, err := c.openStream(ctx, table, tbl.Config)
	if err != nil {
		return nil, refused("segment %s: %v", seg, err)
	}
	cfg := c.cfg.Completion
	if sc, err := streamConfigOf(tbl.Config); err == nil && sc.CommitTimeout > cfg.MaxHold {
		cfg.CommitTimeout = sc.CommitTimeout
	}
	var replicas []string
	if a := snap.Assign[table][seg]; a != nil {
		for inst, st := range a.Instances {
			if st == cluster.StateConsuming {
				replicas = append(replicas, inst)
			}
		}
	}
	frec := completion.Record{Done: rec.Status == cluster.StatusDone, EndOffset: stream.Offset(rec.Meta.EndOffset)}
	built := &segmentFSM{f: completion.New(seg, frec, replicas, cfg, s.Compare, c.cfg.now()), table: table,
		eop: map[stream.Offset]bool{}}
	comp.mu.Lock()
	defer comp.mu.Unlock()
	if sf = comp.fsms[seg]; sf == nil {
		sf = built
		comp.fsms[seg] = sf
	}
	return sf, completion.Response{}
}

// commitWriteTimeout bounds the commit transaction. It runs detached from
// the request: its outcome must be fed back to the FSM even when the
// committer gave up waiting.
const commitWriteTimeout = 20 * time.Second

// writeCommit performs the commit effect and feeds its outcome back.
func (c *Controller) writeCommit(ctx context.Context, sf *segmentFSM, seg string, eff completion.Effect,
	up completion.Upload, endOfPartition bool) completion.Response {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitWriteTimeout)
	defer cancel()
	nowMs := c.nowMs()
	nextRows := 0
	if !endOfPartition {
		nextRows = nextFlushRows(c.deps.Cache.Snapshot(), sf.table, seg, up.Meta, time.UnixMilli(nowMs))
	}
	next, err := c.deps.Store.CommitSegment(wctx, &cluster.Commit{
		Table: sf.table, Segment: seg, EndOffset: string(eff.Offset), Meta: up.Meta,
		DownloadURI: up.DownloadURI, Key: up.Key, EndOfPartition: endOfPartition, NowMs: nowMs,
		NextFlushRows: nextRows,
	})
	var rec *cluster.Segment
	if err != nil && (errors.Is(err, cluster.ErrConflict) || errors.Is(err, cluster.ErrNotFound)) {
		rec, _, _ = c.deps.Store.ReadSegment(wctx, sf.table, seg)
	}
	comp := &c.rt.comp
	comp.mu.Lock()
	defer comp.mu.Unlock()
	now := c.cfg.now()
	var resp completion.Response
	switch {
	case err == nil:
		resp = sf.f.CommitApplied(now)
		c.log.Info("segment committed", "table", sf.table, "segment", seg, "committer", eff.Instance,
			"endOffset", eff.Offset, "rows", up.Meta.NumDocs, "bytes", up.Meta.SizeBytes, "next", next,
			"nextFlushRows", nextRows, "endOfPartition", endOfPartition)
		if endOfPartition {
			// Start the children now rather than at the next validation
			// run: retention might delete this last segment first.
			c.kickValidation()
		}
	case rec != nil || errors.Is(err, cluster.ErrNotFound):
		r := completion.Record{}
		if rec != nil {
			r = completion.Record{Done: rec.Status == cluster.StatusDone, EndOffset: stream.Offset(rec.Meta.EndOffset)}
		}
		resp = sf.f.CommitRejected(now, r)
		c.log.Warn("segment commit rejected", "table", sf.table, "segment", seg, "committer", eff.Instance, "err", err, "answer", resp.Status)
	default:
		resp = sf.f.CommitUnknown(now)
		c.log.Error("segment commit outcome unknown", "table", sf.table, "segment", seg, "committer", eff.Instance, "err", err)
	}
	c.dropIfDone(seg, sf)
	return resp
}

// markStopped sets a replica that stopped consuming OFFLINE in the
// segment's assignment, while the segment is still IN_PROGRESS and the
// replica CONSUMING there (after a commit its assignment is ONLINE and it
// downloads the committed copy). The validation task replaces the segment
// if every replica stopped.
func (c *Controller) markStopped(ctx context.Context, table, seg, inst, why string) {
	for attempt := 0; attempt < 3; attempt++ {
		snap, err := c.deps.Cache.Sync(ctx)
		if err != nil {
			c.log.Warn("mark replica stopped", "table", table, "segment", seg, "instance", inst, "err", err)
			return
		}
		rec, a := snap.Segments[table][seg], snap.Assign[table][seg]
		if rec == nil || a == nil || rec.Status != cluster.StatusInProgress || a.Instances[inst] != cluster.StateConsuming {
			return
		}
		na := &cluster.Assignment{Instances: make(map[string]string, len(a.Instances)), Rev: a.Rev}
		for k, v := range a.Instances {
			na.Instances[k] = v
		}
		na.Instances[inst] = cluster.StateOffline
		err = c.deps.Store.SetAssignments(ctx, []cluster.AssignmentChange{{Table: table, Segment: seg, Assignment: na}})
		if err == nil {
			c.log.Warn("replica stopped consuming", "table", table, "segment", seg, "instance", inst, "reason", why)
			return
		}
		if !errors.Is(err, cluster.ErrConflict) {
			c.log.Warn("mark replica stopped", "table", table, "segment", seg, "instance", inst, "err", err)
			return
		}
	}
}
