package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/schema"
)

// expired is a segment past its table's retention.
type expired struct {
	table string
	seg   *cluster.Segment
}

// expiredSegments lists, in table and segment order, the sealed segments
// whose end time is older than now minus their table's retention. Tables
// without a time column or a retention keep everything; so do segments
// without rows or without a time range.
func expiredSegments(snap *cluster.Snapshot, now time.Time) ([]expired, error) {
	var out []expired
	var errs []error
	for _, t := range sortedKeys(snap.Tables) {
		cfg := snap.Tables[t].Config
		sc := cfg.Segments
		if sc.TimeColumnName == "" || sc.RetentionTimeUnit == "" || sc.RetentionTimeValue <= 0 {
			continue
		}
		unit, err := schema.ParseTimeUnit(strings.ToUpper(sc.RetentionTimeUnit))
		if err != nil {
			errs = append(errs, fmt.Errorf("table %s: retentionTimeUnit: %w", t, err))
			continue
		}
		d, ok := unit.Duration()
		if !ok {
			errs = append(errs, fmt.Errorf("table %s: retentionTimeUnit %s has no fixed duration", t, sc.RetentionTimeUnit))
			continue
		}
		cutoff := now.Add(-time.Duration(sc.RetentionTimeValue) * d).UnixMilli()
		segs := snap.Segments[t]
		for _, name := range sortedKeys(segs) {
			seg := segs[name]
			m := seg.Meta
			if seg.Status == "IN_PROGRESS" || m.TimeColumn == "" || m.NumDocs == 0 {
				continue
			}
			if m.EndTime < cutoff {
				out = append(out, expired{table: t, seg: seg})
			}
		}
	}
	return out, errors.Join(errs...)
}

// enforceRetention deletes the segments past their table's retention:
// record and assignment first (servers unload them), then the file. It
// returns the deleted segments as "table/segment".
func (c *Controller) enforceRetention(ctx context.Context) ([]string, error) {
	snap := c.deps.Cache.Snapshot()
	exp, err := expiredSegments(snap, c.cfg.now())
	var deleted []string
	byTable := map[string][]*cluster.Segment{}
	for _, e := range exp {
		byTable[e.table] = append(byTable[e.table], e.seg)
	}
	tables := sortedKeys(byTable)
	sort.Strings(tables)
	for _, t := range tables {
		names, derr := c.deleteSegmentRecords(ctx, t, byTable[t])
		for _, n := range names {
			deleted = append(deleted, t+"/"+n)
		}
		if derr != nil {
			err = errors.Join(err, derr)
		}
	}
	if len(deleted) > 0 {
		c.log.Info("retention deleted segments", "count", len(deleted))
	}
	return deleted, err
}
