package broker

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// This file turns a cluster.Snapshot into routing decisions. Everything
// here is a pure function of the snapshot (and, for the new-segment rule,
// of the time passed in), so it is tested on hand-built snapshots.

// NewSegmentGrace is how long after its push a segment that no server has
// reported yet stays "new": skipped by queries rather than reported
// unavailable, so that a query racing an upload does not fail (Pinot's
// new-segment rule). It applies only while every assigned server is live.
const NewSegmentGrace = 5 * time.Minute

// routeServer is a server a table's segments can be sent to.
type routeServer struct {
	Name string
	Addr string // host:grpcPort
}

// routeSegment is one segment of a table with the servers that can answer
// for it now.
type routeSegment struct {
	Name string
	Meta *segment.Meta
	// Replicas index tableRoute.Servers: the assigned servers that are live,
	// enabled and report the segment ONLINE or CONSUMING, in name order.
	Replicas []int32
	// Consuming segments are never pruned by metadata (it is still
	// growing).
	Consuming bool
	// NewUntilMs is set (epoch millis) when no assigned server has reported
	// the segment yet and all of them are live: until then the segment is
	// new and skipped.
	NewUntilMs int64
}

// tableRoute is the routing structure of one table with type at one
// snapshot revision, built once and shared by every query of the revision.
type tableRoute struct {
	Table    string
	Schema   *schema.Schema
	Servers  []routeServer
	Segments []routeSegment // in name order
}

// buildTableRoute computes the routing structure of table (name with type)
// from s.
func buildTableRoute(s *cluster.Snapshot, table string) *tableRoute {
	tr := &tableRoute{Table: table}
	if sc := s.TableSchema(table); sc != nil {
		tr.Schema = sc.Schema
	}
	segs := s.Segments[table]
	names := make([]string, 0, len(segs))
	for name := range segs {
		names = append(names, name)
	}
	slices.Sort(names)
	serverIdx := map[string]int32{}
	assign, view := s.Assign[table], s.View[table]
	for _, name := range names {
		rec := segs[name]
		rs := routeSegment{Name: name, Meta: rec.Meta, Consuming: rec.Status == "IN_PROGRESS"}
		var asg *cluster.Assignment
		if assign != nil {
			asg = assign[name]
		}
		states := view[name]
		reported, allLive := false, true
		if asg != nil {
			for _, srv := range asg.Replicas() {
				switch asg.Instances[srv] {
				case cluster.StateOffline, cluster.StateDropped:
					continue
				}
				st, ok := states[srv]
				reported = reported || ok
				in := serverInstance(s, srv)
				if in == nil {
					allLive = false
					continue
				}
				if !ok || (st.State != cluster.StateOnline && st.State != cluster.StateConsuming) || !in.Enabled || in.GrpcPort <= 0 {
					continue
				}
				if st.State == cluster.StateConsuming {
					rs.Consuming = true
				}
				idx, seen := serverIdx[srv]
				if !seen {
					idx = int32(len(tr.Servers))
					serverIdx[srv] = idx
					tr.Servers = append(tr.Servers, routeServer{
						Name: srv, Addr: net.JoinHostPort(in.Host, strconv.Itoa(in.GrpcPort)),
					})
				}
				rs.Replicas = append(rs.Replicas, idx)
			}
		}
		if len(rs.Replicas) == 0 && !reported && allLive && asg != nil && len(asg.Instances) > 0 {
			rs.NewUntilMs = rec.PushTimeMs + NewSegmentGrace.Milliseconds()
		}
		tr.Segments = append(tr.Segments, rs)
	}
	return tr
}

// serverInstance returns the live server's configuration (the stored one,
// which REST calls may have changed since it registered), or nil when the
// server is not live.
func serverInstance(s *cluster.Snapshot, name string) *cluster.Instance {
	live := s.Live[name]
	if live == nil {
		return nil
	}
	if cfg := s.Instances[name]; cfg != nil {
		// Ports and host come from the registration: they are the
		// process's own.
		in := *cfg
		in.Host, in.GrpcPort = live.Host, live.GrpcPort
		return &in
	}
	return live
}

// segmentPruner decides from metadata that a segment holds no matching
// row (exec.Pruner).
type segmentPruner interface {
	Prunes(m *segment.Meta) bool
}

// routePlan is what one query reads of a table.
type routePlan struct {
	// Segments index tableRoute.Segments: the segments to query.
	Segments []int
	// Pruned counts segments skipped by metadata (numSegmentsPrunedByBroker).
	Pruned int
	// New counts new segments skipped (see NewSegmentGrace).
	New int
	// Unavailable are segments with no replica to ask.
	Unavailable []string
}

// plan selects the segments a query reads: metadata pruning first (a
// pruned segment needs no replica), then availability.
func (tr *tableRoute) plan(pr segmentPruner, nowMs int64) routePlan {
	var p routePlan
	p.Segments = make([]int, 0, len(tr.Segments))
	for i := range tr.Segments {
		rs := &tr.Segments[i]
		if pr != nil && !rs.Consuming && rs.Meta != nil && pr.Prunes(rs.Meta) {
			p.Pruned++
			continue
		}
		if len(rs.Replicas) == 0 {
			if rs.NewUntilMs > nowMs {
				p.New++
				continue
			}
			p.Unavailable = append(p.Unavailable, rs.Name)
			continue
		}
		p.Segments = append(p.Segments, i)
	}
	return p
}

// pickReplica returns a replica of reps not in tried, starting the search
// at position rot so that successive queries (and segments) spread over the
// replicas; false when every replica was tried.
func pickReplica(reps []int32, tried []int32, rot uint64) (int32, bool) {
	n := uint64(len(reps))
	for k := uint64(0); k < n; k++ {
		r := reps[(rot+k)%n]
		if !slices.Contains(tried, r) {
			return r, true
		}
	}
	return 0, false
}

// resolveTable maps the table a query names to the table with type it
// reads: "t_OFFLINE" / "t_REALTIME" name one directly; a raw name "t" reads
// whichever of the two exists. Names match case-insensitively (exact
// matches first). A hybrid table (both exist) is refused: the time
// boundary between them is not implemented.
func resolveTable(names map[string]string, tables map[string]*cluster.Table, written string) (string, *queryError) {
	lookup := func(name string) (string, bool) {
		if _, ok := tables[name]; ok {
			return name, true
		}
		t, ok := names[strings.ToLower(name)]
		return t, ok
	}
	if hasTypeSuffix(written) {
		if t, ok := lookup(written); ok {
			return t, nil
		}
		return "", errorf(codeTableMissing, fmt.Sprintf("table %q does not exist", written))
	}
	off, okOff := lookup(written + "_OFFLINE")
	rt, okRT := lookup(written + "_REALTIME")
	switch {
	case okOff && okRT:
		return "", errorf(codePlanning, fmt.Sprintf("table %q is hybrid (both %s and %s exist): querying hybrid tables is not supported yet", written, off, rt))
	case okOff:
		return off, nil
	case okRT:
		return rt, nil
	}
	return "", errorf(codeTableMissing, fmt.Sprintf("table %q does not exist", written))
}

// hasTypeSuffix reports whether a table name ends in _OFFLINE or
// _REALTIME (any case).
func hasTypeSuffix(name string) bool {
	for _, suf := range [...]string{"_OFFLINE", "_REALTIME"} {
		if len(name) > len(suf) && strings.EqualFold(name[len(name)-len(suf):], suf) {
			return true
		}
	}
	return false
}

// routes is the routing state of one snapshot: table routes built on first
// use and shared by every query until the next snapshot.
type routes struct {
	snap *cluster.Snapshot
	// names maps lower-cased table names with type to the stored names.
	names  map[string]string
	tables sync.Map // table name with type → *tableRoute
}

func newRoutes(s *cluster.Snapshot) *routes {
	r := &routes{snap: s, names: make(map[string]string, len(s.Tables))}
	for t := range s.Tables {
		r.names[strings.ToLower(t)] = t
	}
	return r
}

// table returns the routing structure of table (name with type).
func (r *routes) table(name string) *tableRoute {
	if tr, ok := r.tables.Load(name); ok {
		return tr.(*tableRoute)
	}
	tr, _ := r.tables.LoadOrStore(name, buildTableRoute(r.snap, name))
	return tr.(*tableRoute)
}
