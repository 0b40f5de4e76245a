package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/stream"
)

// The realtime validation task (Pinot's RealtimeSegmentValidationManager)
// runs on the leader every ValidationInterval, and at once after a
// partition's last segment commits. Per realtime table it
//
//   - starts partitions that may start (planPartitions): children after a
//     split or merge once their parents are read to their end, new
//     shards; never a partition whose records were consumed already;
//   - replaces a consuming segment whose replicas are all lost (server
//     gone, or reporting ERROR or OFFLINE, or set OFFLINE after it stopped
//     consuming) by the next sequence at the same start offset on live
//     servers (cluster.Store.ReplaceConsuming: nothing was committed, so
//     nothing is lost or counted twice);
//   - records a status per partition, shown by GET
//     /tables/{t}/consumingSegmentsInfo, and logs every partition it
//     cannot fix, so that a partition never silently stops.

// validation is the task's state.
type validation struct {
	kick chan struct{}
	runs atomic.Int64
	mu   sync.Mutex
	// status holds the last run's partition statuses, by table.
	status map[string][]consuminginfo.PartitionStatus
}

// kickValidation asks the leader's validation task to run now.
func (c *Controller) kickValidation() {
	select {
	case c.rt.val.kick <- struct{}{}:
	default:
	}
}

// validateLoop runs the validation task until ctx ends (leadership lost).
func (c *Controller) validateLoop(ctx context.Context) {
	c.resetCompletions()
	defer c.closeStreams(nil)
	t := time.NewTicker(c.cfg.ValidationInterval)
	defer t.Stop()
	for {
		if err := c.validateRealtime(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("realtime validation", "err", err)
		}
		c.rt.val.runs.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.rt.val.kick:
		}
	}
}

// validateRealtime runs one pass over every realtime table.
func (c *Controller) validateRealtime(ctx context.Context) error {
	snap, err := c.deps.Cache.Sync(ctx)
	if err != nil {
		return err
	}
	c.pruneCompletions(snap)
	c.closeStreams(func(t string) bool { return snap.Tables[t] != nil })
	var errs []error
	statuses := map[string][]consuminginfo.PartitionStatus{}
	for _, t := range sortedKeys(snap.Tables) {
		if cluster.TableType(t) != "REALTIME" {
			continue
		}
		st, err := c.validateTable(ctx, snap, t)
		statuses[t] = st
		if err != nil {
			errs = append(errs, fmt.Errorf("table %s: %w", t, err))
		}
		for _, s := range st {
			if s.Status == consuminginfo.PartitionStuck {
				c.log.Warn("realtime partition stuck", "table", t, "partition", s.Partition,
					"segment", s.Segment, "why", s.Message)
			}
		}
	}
	c.rt.val.mu.Lock()
	c.rt.val.status = statuses
	c.rt.val.mu.Unlock()
	return errors.Join(errs...)
}

// validateTable starts and repairs one table's partitions and returns
// their statuses.
func (c *Controller) validateTable(ctx context.Context, snap *cluster.Snapshot, table string) ([]consuminginfo.PartitionStatus, error) {
	nowMs := c.nowMs()
	tc := snap.Tables[table].Config
	var parts []stream.Partition
	s, err := c.openStream(ctx, table, tc)
	if err == nil {
		parts, err = s.Partitions(ctx)
	}
	if err != nil {
		// Without the partition list nothing can start, but lost
		// segments can still be replaced.
		err = fmt.Errorf("list the stream's partitions: %w", err)
	}
	statuses := map[int]*consuminginfo.PartitionStatus{}
	set := func(pg int, partition, seg, status, msg string) {
		statuses[pg] = &consuminginfo.PartitionStatus{PartitionGroup: pg, Partition: partition, Segment: seg,
			Status: status, Message: msg, CheckedMs: nowMs}
	}

	var errs []error
	if err != nil {
		errs = append(errs, err)
	} else {
		plan := planPartitions(snap, table, parts)
		byID := map[string]stream.Partition{}
		idOf := map[int]string{}
		for _, p := range parts {
			byID[p.ID] = p
			if pg, err := llcname.PartitionGroupID(p.ID); err == nil {
				idOf[pg] = p.ID
			}
		}
		for _, id := range plan.waiting {
			pg, _ := llcname.PartitionGroupID(id)
			set(pg, id, "", consuminginfo.PartitionWaitingForParents,
				"waiting until parents "+strings.Join(byID[id].Parents, ", ")+" are read to their end")
		}
		for _, id := range plan.ended {
			pg, _ := llcname.PartitionGroupID(id)
			set(pg, id, "", consuminginfo.PartitionEnded, "closed and read to its end")
		}
		if len(plan.start) > 0 {
			start, found := tableStart(snap, table)
			if !found && len(snap.Segments[table]) == 0 {
				// No partition has started: the table is new and its
				// creator may be opening them right now, or it died
				// before it could. Either way the start is the stream
				// config's as of now (LATEST: from now), never the
				// stream's beginning by default.
				if sc, err := streamConfigOf(tc); err == nil {
					start = sc.Start.Offset(c.cfg.now())
				}
			}
			started, serr := c.startPartitions(ctx, snap, table, parts, start)
			for _, seg := range started {
				if n, err := llcname.Parse(seg); err == nil {
					set(n.PartitionGroup, idOf[n.PartitionGroup], seg, consuminginfo.PartitionConsuming, "started")
				}
			}
			if serr != nil {
				errs = append(errs, serr)
				for _, id := range plan.start {
					if pg, _ := llcname.PartitionGroupID(id); statuses[pg] == nil {
						set(pg, id, "", consuminginfo.PartitionStuck, "cannot start: "+serr.Error())
					}
				}
			}
		}
	}

	listed := map[int]bool{}
	for _, p := range parts {
		if pg, err := llcname.PartitionGroupID(p.ID); err == nil {
			listed[pg] = true
		}
	}
	tag := cluster.ServerTag(tc.Tenants.Server, "REALTIME")
	placer := newPlacer(snap)
	heads := cluster.PartitionHeads(snap, table)
	for _, pg := range sortedInts(heads) {
		h := heads[pg]
		seg := h.Meta.Name
		switch {
		case h.Status == cluster.StatusDone && h.EndOfPartition:
			set(pg, h.Partition, seg, consuminginfo.PartitionEnded, "closed and read to its end")
		case h.Status == cluster.StatusDone:
			set(pg, h.Partition, seg, consuminginfo.PartitionStuck,
				"the last segment is DONE but no consuming segment follows it")
		case err == nil && !listed[pg]:
			set(pg, h.Partition, seg, consuminginfo.PartitionStuck,
				"the stream no longer lists partition "+h.Partition+" (expired from the stream?)")
		default:
			why := lostReason(snap, table, seg)
			if why == "" {
				set(pg, h.Partition, seg, consuminginfo.PartitionConsuming, "")
				continue
			}
			replicas, perr := placer.place(tag, tc.Segments.Replication)
			if perr != nil {
				set(pg, h.Partition, seg, consuminginfo.PartitionStuck, why+"; cannot place a replacement: "+perr.Error())
				continue
			}
			next, rerr := c.deps.Store.ReplaceConsuming(ctx, table, seg, replicas, nowMs)
			if rerr != nil {
				errs = append(errs, rerr)
				set(pg, h.Partition, seg, consuminginfo.PartitionStuck, why+"; replace: "+rerr.Error())
				continue
			}
			c.log.Warn("consuming segment replaced", "table", table, "lost", seg, "segment", next,
				"replicas", replicas, "why", why)
			set(pg, h.Partition, next, consuminginfo.PartitionRepaired, "replaced "+seg+": "+why)
		}
	}
	out := make([]consuminginfo.PartitionStatus, 0, len(statuses))
	for _, pg := range sortedInts(statuses) {
		out = append(out, *statuses[pg])
	}
	return out, errors.Join(errs...)
}

// lostReason says why every replica of a consuming segment is lost, or ""
// when one may still be consuming. A replica is lost when its server is
// not live (or no longer registered), reports the segment ERROR or
// OFFLINE, or its assignment was set OFFLINE after it stopped consuming.
// A live server that has not reported yet is not lost: it is starting.
func lostReason(snap *cluster.Snapshot, table, seg string) string {
	a := snap.Assign[table][seg]
	if a == nil || len(a.Instances) == 0 {
		return "no replica is assigned"
	}
	var why []string
	for _, inst := range a.Replicas() {
		st, reported := snap.View[table][seg][inst]
		switch {
		case a.Instances[inst] != cluster.StateConsuming:
			why = append(why, inst+" stopped consuming")
		case snap.Instances[inst] == nil:
			why = append(why, inst+" is no longer registered")
		case !snap.IsLive(inst):
			why = append(why, inst+" is down")
		case reported && (st.State == cluster.StateError || st.State == cluster.StateOffline):
			msg := inst + " reports " + st.State
			if st.Message != "" {
				msg += " (" + st.Message + ")"
			}
			why = append(why, msg)
		default:
			return ""
		}
	}
	sort.Strings(why)
	return "every replica is lost: " + strings.Join(why, "; ")
}

// validationStatus returns the last run's statuses of table, if this
// controller ran one.
func (c *Controller) validationStatus(table string) ([]consuminginfo.PartitionStatus, bool) {
	c.rt.val.mu.Lock()
	defer c.rt.val.mu.Unlock()
	st, ok := c.rt.val.status[table]
	return st, ok
}

func sortedInts[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
