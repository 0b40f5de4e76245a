package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// listSegments answers [{"OFFLINE":[...]},{"REALTIME":[...]}], one entry
// per existing table type.
func (c *Controller) listSegments(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	ts, err := tablesParam(snap, r)
	if err != nil {
		return err
	}
	out := make([]map[string][]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, map[string][]string{cluster.TableType(t): sortedKeys(snap.Segments[t])})
	}
	return writeJSON(w, http.StatusOK, out)
}

// segmentServers answers Pinot's server → segments map per table.
func (c *Controller) segmentServers(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	ts, err := tablesParam(snap, r)
	if err != nil {
		return err
	}
	type entry struct {
		TableName                string              `json:"tableName"`
		ServerToSegmentsMap      map[string][]string `json:"serverToSegmentsMap"`
		ServerToSegmentsCountMap map[string]int      `json:"serverToSegmentsCountMap"`
	}
	out := make([]entry, 0, len(ts))
	for _, t := range ts {
		e := entry{TableName: t, ServerToSegmentsMap: map[string][]string{}, ServerToSegmentsCountMap: map[string]int{}}
		for _, seg := range sortedKeys(snap.Assign[t]) {
			for server := range snap.Assign[t][seg].Instances {
				e.ServerToSegmentsMap[server] = append(e.ServerToSegmentsMap[server], seg)
			}
		}
		for server, segs := range e.ServerToSegmentsMap {
			e.ServerToSegmentsCountMap[server] = len(segs)
		}
		out = append(out, e)
	}
	return writeJSON(w, http.StatusOK, out)
}

// findSegment resolves {table} (raw or with type) and {segment} to the
// table holding the segment.
func findSegment(snap *cluster.Snapshot, table, segName string) (string, *cluster.Segment, error) {
	for _, t := range existingTables(snap, table, "") {
		if seg := snap.Segments[t][segName]; seg != nil {
			return t, seg, nil
		}
	}
	return "", nil, errorf(http.StatusNotFound, "Failed to find segment: %s in table: %s", segName, table)
}

// segmentMetadata answers the segment's metadata with Pinot's segment
// ZK-metadata keys, plus Tannin's per-column metadata under "columns".
func (c *Controller) segmentMetadata(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	_, seg, err := findSegment(snap, r.PathValue("table"), r.PathValue("segment"))
	if err != nil {
		return err
	}
	m := seg.Meta
	out := map[string]any{
		"segment.crc":           strconv.FormatUint(uint64(m.CRC), 10),
		"segment.creation.time": strconv.FormatInt(m.CreatedMs, 10),
		"segment.total.docs":    strconv.Itoa(m.NumDocs),
		"segment.size.in.bytes": strconv.FormatInt(m.SizeBytes, 10),
		"segment.push.time":     strconv.FormatInt(seg.PushTimeMs, 10),
		"segment.download.url":  seg.DownloadURI,
		"segment.index.version": "tannin",
	}
	if m.TimeColumn != "" && m.NumDocs > 0 {
		out["segment.start.time"] = strconv.FormatInt(m.StartTime, 10)
		out["segment.end.time"] = strconv.FormatInt(m.EndTime, 10)
		out["segment.time.unit"] = "MILLISECONDS"
	}
	if m.PartitionID >= 0 {
		out["segment.partition.metadata"] = fmt.Sprintf(`{"columnPartitionMap":{},"partitionId":%d}`, m.PartitionID)
	}
	if (seg.Status != "" && seg.Status != "DONE") || m.StartOffset != "" {
		out["segment.realtime.status"] = seg.Status
		out["segment.realtime.startOffset"] = m.StartOffset
		out["segment.realtime.endOffset"] = m.EndOffset
	}
	if cols := r.URL.Query()["columns"]; len(cols) > 0 {
		want := map[string]bool{}
		for _, c := range cols {
			for _, n := range strings.Split(c, ",") {
				want[n] = true
			}
		}
		var colMeta []any
		for _, cm := range m.Columns {
			if want["*"] || want[cm.Name] {
				colMeta = append(colMeta, cm)
			}
		}
		out["columns"] = colMeta
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteSegmentRecords deletes segments' records and assignments, then
// their files; it returns the names deleted.
func (c *Controller) deleteSegmentRecords(ctx context.Context, table string, segs []*cluster.Segment) ([]string, error) {
	var deleted []string
	for _, seg := range segs {
		err := c.deps.Store.DeleteSegment(ctx, table, seg.Meta.Name)
		if errors.Is(err, cluster.ErrNotFound) {
			continue
		}
		if err != nil {
			return deleted, fmt.Errorf("delete segment %q of %s: %w", seg.Meta.Name, table, err)
		}
		deleted = append(deleted, seg.Meta.Name)
		c.log.Info("segment deleted", "table", table, "segment", seg.Meta.Name)
		if seg.Key != "" {
			if err := c.deps.DeepStore.Delete(ctx, seg.Key); err != nil {
				c.log.Warn("delete segment file", "table", table, "segment", seg.Meta.Name, "key", seg.Key, "err", err)
			}
		}
	}
	return deleted, nil
}

func (c *Controller) deleteSegment(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	table, seg, err := findSegment(snap, r.PathValue("table"), r.PathValue("segment"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	deleted, err := c.deleteSegmentRecords(ctx, table, []*cluster.Segment{seg})
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		return errorf(http.StatusNotFound, "Failed to find segment: %s in table: %s", seg.Meta.Name, table)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	return ok(w, "Segment deleted")
}

// deleteSegments is DELETE /segments/{t}?type=&segments=: the named
// segments, or all of them.
func (c *Controller) deleteSegments(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	typ, err := tableTypeParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("table")
	if typ == "" {
		typ = cluster.TableType(name)
	}
	if typ == "" {
		return errorf(http.StatusBadRequest, "Table type must not be null")
	}
	ts := existingTables(snap, name, typ)
	if len(ts) == 0 {
		return errorf(http.StatusNotFound, "Table %s_%s does not exist", cluster.RawTableName(name), typ)
	}
	table := ts[0]
	var names []string
	for _, v := range r.URL.Query()["segments"] {
		for _, n := range strings.Split(v, ",") {
			if n != "" {
				names = append(names, n)
			}
		}
	}
	all := len(names) == 0
	if all {
		names = sortedKeys(snap.Segments[table])
	}
	var segs []*cluster.Segment
	for _, n := range names {
		seg := snap.Segments[table][n]
		if seg == nil {
			return errorf(http.StatusNotFound, "Failed to find segment: %s in table: %s", n, table)
		}
		segs = append(segs, seg)
	}
	ctx := r.Context()
	if _, err := c.deleteSegmentRecords(ctx, table, segs); err != nil {
		return err
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	switch {
	case all:
		return ok(w, "All segments of table %s deleted", table)
	case len(names) <= 5:
		return ok(w, "Deleted segments: [%s] from table: %s", strings.Join(names, ", "), table)
	}
	return ok(w, "Deleted %d segments from table: %s", len(names), table)
}

// downloadSegment streams the segment's file from the deep store.
func (c *Controller) downloadSegment(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	table, seg, err := findSegment(snap, r.PathValue("table"), r.PathValue("segment"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	size, err := c.deps.DeepStore.Size(ctx, seg.Key)
	if err != nil {
		return fmt.Errorf("segment %s of table %s at %s: %w", seg.Meta.Name, table, seg.DownloadURI, err)
	}
	rc, err := c.deps.DeepStore.Get(ctx, seg.Key)
	if err != nil {
		return fmt.Errorf("segment %s of table %s at %s: %w", seg.Meta.Name, table, seg.DownloadURI, err)
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(seg.Meta.Name+segmentExt))
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		// The status is sent; all that is left is to log.
		c.log.Warn("download segment", "table", table, "segment", seg.Meta.Name, "err", err)
	}
	return nil
}
