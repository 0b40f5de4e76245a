package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/realtime/llcname"
)

// GET /tables/{t}/consumingSegmentsInfo: Pinot's ConsumingSegmentsInfoMap,
// built by asking every server that hosts one of the table's consuming
// segments (GET /tables/{t}/consumingSegmentsInfo on its admin port,
// consuminginfo.Server) in parallel, each bounded by ServerInfoTimeout.
// Every IN_PROGRESS segment and every replica its assignment names is
// listed, whether or not its server answered, so a stopped partition shows
// as stopped, not as missing.

func (c *Controller) consumingSegmentsInfo(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	name := r.PathValue("table")
	ts := existingTables(snap, name, "REALTIME")
	if len(ts) == 0 {
		return errorf(http.StatusNotFound, "Table %s_REALTIME does not exist", cluster.RawTableName(name))
	}
	table := ts[0]
	out := c.collectConsumingInfo(r.Context(), snap, table)
	return writeJSON(w, http.StatusOK, out)
}

// serverAnswer is one server's answer, or why there is none.
type serverAnswer struct {
	segs      map[string]*consuminginfo.ServerSegment
	failed    bool
	unparsed  bool
	errorText string
}

func (c *Controller) collectConsumingInfo(ctx context.Context, snap *cluster.Snapshot, table string) *consuminginfo.Table {
	consuming := map[string][]string{} // segment → replicas
	servers := map[string]bool{}
	for seg, rec := range snap.Segments[table] {
		if rec.Status != cluster.StatusInProgress {
			continue
		}
		var reps []string
		if a := snap.Assign[table][seg]; a != nil {
			reps = a.Replicas()
		}
		consuming[seg] = reps
		for _, s := range reps {
			servers[s] = true
		}
	}
	answers := make(map[string]*serverAnswer, len(servers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := c.askServer(ctx, snap, s, table)
			mu.Lock()
			answers[s] = a
			mu.Unlock()
		}()
	}
	wg.Wait()

	out := &consuminginfo.Table{SegmentToConsumingInfo: map[string][]consuminginfo.SegmentServer{}}
	for _, a := range answers {
		if a.failed {
			out.ServersFailingToRespond++
		}
		if a.unparsed {
			out.ServersUnparsableRespond++
		}
	}
	for seg, reps := range consuming {
		pg := ""
		if n, err := llcname.Parse(seg); err == nil {
			pg = strconv.Itoa(n.PartitionGroup)
		}
		list := []consuminginfo.SegmentServer{}
		asg := snap.Assign[table][seg]
		for _, s := range reps {
			list = append(list, segmentServer(s, pg, asg.Instances[s], answers[s], seg))
		}
		out.SegmentToConsumingInfo[seg] = list
	}
	if st, ok := c.validationStatus(table); ok {
		out.Partitions = st
	} else {
		out.Partitions = snapshotStatuses(snap, table)
	}
	return out
}

// segmentServer is one replica's entry in Pinot's shape.
func segmentServer(server, pg, assigned string, a *serverAnswer, seg string) consuminginfo.SegmentServer {
	e := consuminginfo.SegmentServer{ServerName: server, PartitionToOffsetMap: map[string]string{},
		PartitionOffsetInfo: consuminginfo.PartitionOffsetInfo{
			CurrentOffsetsMap: map[string]string{}, LatestUpstreamOffsetMap: map[string]string{},
			RecordsLagMap: map[string]string{}, AvailabilityLagMsMap: map[string]string{},
		}, IngestionDelayMs: consuminginfo.Unknown}
	var ss *consuminginfo.ServerSegment
	switch {
	case assigned != cluster.StateConsuming:
		e.ConsumerState = consuminginfo.StateStopped
		e.Message = "stopped consuming: the assignment is " + assigned
	case a == nil || a.failed || a.unparsed:
		e.ConsumerState = consuminginfo.StateUnreachable
		if a != nil {
			e.Message = a.errorText
		}
	default:
		ss = a.segs[seg]
		if ss == nil {
			e.ConsumerState = consuminginfo.StateMissing
			e.Message = "the server does not list the segment"
		}
	}
	if ss == nil {
		return e
	}
	lag := func(v int64) string {
		if v < 0 {
			return consuminginfo.LagUnknown
		}
		return strconv.FormatInt(v, 10)
	}
	e.ConsumerState, e.LastConsumedTimestamp, e.Message = ss.State, ss.LastConsumedMs, ss.Message
	e.Rows, e.RowsPerSec, e.IngestionDelayMs, e.BadRecords = ss.Rows, ss.RowsPerSec, ss.IngestionDelayMs, ss.BadRecords
	e.PartitionToOffsetMap[pg] = ss.CurrentOffset
	info := &e.PartitionOffsetInfo
	info.CurrentOffsetsMap[pg] = ss.CurrentOffset
	info.LatestUpstreamOffsetMap[pg] = ss.LatestUpstreamOffset
	if ss.LatestUpstreamOffset == "" {
		info.LatestUpstreamOffsetMap[pg] = consuminginfo.LagUnknown
	}
	info.RecordsLagMap[pg] = lag(ss.RecordsLag)
	info.AvailabilityLagMsMap[pg] = lag(ss.LagMs)
	return e
}

// askServer fetches one server's consuming segments of table.
func (c *Controller) askServer(ctx context.Context, snap *cluster.Snapshot, server, table string) *serverAnswer {
	in := snap.Live[server]
	if in == nil {
		in = snap.Instances[server]
	}
	if in == nil || !snap.IsLive(server) {
		return &serverAnswer{failed: true, errorText: "server is down"}
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.ServerInfoTimeout)
	defer cancel()
	u := "http://" + net.JoinHostPort(in.Host, strconv.Itoa(in.Port)) + "/tables/" + url.PathEscape(table) + "/consumingSegmentsInfo"
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return &serverAnswer{failed: true, errorText: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &serverAnswer{failed: true, errorText: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return &serverAnswer{failed: true, errorText: err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return &serverAnswer{failed: true, errorText: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)}
	}
	var sv consuminginfo.Server
	if err := json.Unmarshal(body, &sv); err != nil {
		return &serverAnswer{unparsed: true, errorText: "unparsable answer: " + err.Error()}
	}
	a := &serverAnswer{segs: make(map[string]*consuminginfo.ServerSegment, len(sv.Segments))}
	for i := range sv.Segments {
		a.segs[sv.Segments[i].Segment] = &sv.Segments[i]
	}
	return a
}

// snapshotStatuses is what a controller that has not run the validation
// task (a follower) can tell of a table's partitions from the metadata
// alone.
func snapshotStatuses(snap *cluster.Snapshot, table string) []consuminginfo.PartitionStatus {
	heads := cluster.PartitionHeads(snap, table)
	out := []consuminginfo.PartitionStatus{}
	for _, pg := range sortedInts(heads) {
		h := heads[pg]
		st := consuminginfo.PartitionStatus{PartitionGroup: pg, Partition: h.Partition, Segment: h.Meta.Name}
		switch {
		case h.Status == cluster.StatusDone && h.EndOfPartition:
			st.Status, st.Message = consuminginfo.PartitionEnded, "closed and read to its end"
		case h.Status == cluster.StatusDone:
			st.Status, st.Message = consuminginfo.PartitionStuck, "the last segment is DONE but no consuming segment follows it"
		default:
			st.Status = consuminginfo.PartitionConsuming
			if why := lostReason(snap, table, h.Meta.Name); why != "" {
				st.Status, st.Message = consuminginfo.PartitionStuck, why
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PartitionGroup < out[j].PartitionGroup })
	return out
}
