package broker

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/query/exec"
)

// The scatter-gather of one query over one table: every segment the route
// plan selected must be answered by exactly one accepted server partial.
//
//   - Each segment starts on one replica (rotated per query); the segments
//     of a server travel in one Execute call.
//   - A call that fails (connection refused, Unavailable, Internal,
//     NotFound, a partial that does not decode) and the segments a server
//     reports missing are retried on a replica not tried yet, once per
//     segment and replica. DEADLINE_EXCEEDED is the query's own deadline
//     (servers get it with the call): it is not retried.
//   - After the hedge delay, segments still waiting are also sent to an
//     untried replica; the first answer covering them wins.
//   - A call's partial is accepted only if none of its segments is already
//     covered by another accepted partial, so no segment counts twice.
//   - A query error from a server (INVALID_ARGUMENT) is the answer.
//   - Segments left without an answer, by lack of replicas or by the
//     deadline, make the result partial with exceptions saying which.

// fragment is one Execute call in flight.
type fragment struct {
	server int32
	segs   []int // positions in gather.segs
}

type callResult struct {
	frag    *fragment
	resp    *querypb.ExecuteResponse
	err     error
	elapsed time.Duration
}

// segState is one routed segment's progress.
type segState struct {
	route    int     // index in tableRoute.Segments
	tried    []int32 // servers asked, in order
	inflight int
	hedged   bool
	done     bool // covered by an accepted partial
	lost     bool // no replica left to ask
}

type gather struct {
	tr      *tableRoute
	pool    *connPool
	log     *slog.Logger
	reqID   string
	sql     string
	options map[string]string
	rot     uint64

	segs    []segState
	pending int // segments neither done nor lost

	callCtx context.Context
	results chan callResult
	stop    chan struct{}
	live    map[*fragment]struct{}

	parts     []*exec.Partial
	consuming int64
	queried   []bool // per server of tr
	responded []bool
	failures  map[int32]error
	// queryErr ends the query: a server rejected it.
	queryErr error
	// timedOut lists the servers still working on uncovered segments when
	// the deadline passed.
	timedOut []int32
	trace    map[string]string
}

func newGather(tr *tableRoute, segs []int, pool *connPool, log *slog.Logger, reqID, sql string, options map[string]string, rot uint64, trace bool) *gather {
	g := &gather{
		tr: tr, pool: pool, log: log, reqID: reqID, sql: sql, options: options, rot: rot,
		segs: make([]segState, len(segs)), pending: len(segs),
		results: make(chan callResult), stop: make(chan struct{}), live: map[*fragment]struct{}{},
		queried: make([]bool, len(tr.Servers)), responded: make([]bool, len(tr.Servers)),
	}
	for i, r := range segs {
		g.segs[i].route = r
	}
	if trace {
		g.trace = map[string]string{}
	}
	return g
}

// run scatters the query and gathers until every segment is covered or
// lost, a server rejects the query, or ctx ends. hedgeAfter <= 0 never
// hedges.
func (g *gather) run(ctx context.Context, hedgeAfter time.Duration) {
	if g.pending == 0 {
		return
	}
	callCtx, cancel := context.WithCancel(ctx)
	g.callCtx = callCtx
	defer func() {
		close(g.stop)
		cancel()
	}()
	g.cover()
	var hedge <-chan time.Time
	if hedgeAfter > 0 {
		t := time.NewTimer(hedgeAfter)
		defer t.Stop()
		hedge = t.C
	}
	for g.pending > 0 && g.queryErr == nil && len(g.live) > 0 {
		select {
		case r := <-g.results:
			if r.err != nil && (ctx.Err() != nil || status.Code(r.err) == codes.DeadlineExceeded) {
				// The query's deadline (which the server got with the
				// call) ended this call: a timeout, not a failure to retry
				// elsewhere. The call stays live for expire to name.
				if ctx.Err() != nil {
					g.expire()
					return
				}
				continue
			}
			g.handle(r)
			if g.queryErr == nil {
				g.cover()
			}
		case <-hedge:
			hedge = nil
			g.hedge()
		case <-ctx.Done():
			g.expire()
			return
		}
	}
}

// cover sends every pending segment that has no call in flight to a
// replica it has not tried; a segment with none left is lost.
func (g *gather) cover() {
	g.launchGroups(func(s *segState) bool { return s.inflight == 0 }, false)
}

// hedge sends the segments still waiting on a call to a second replica.
func (g *gather) hedge() {
	g.launchGroups(func(s *segState) bool { return s.inflight > 0 && !s.hedged }, true)
}

func (g *gather) launchGroups(want func(*segState) bool, hedging bool) {
	var byServer map[int32][]int
	var order []int32
	for i := range g.segs {
		s := &g.segs[i]
		if s.done || s.lost || !want(s) {
			continue
		}
		if hedging {
			s.hedged = true
		}
		srv, ok := pickReplica(g.tr.Segments[s.route].Replicas, s.tried, g.rot+uint64(s.route))
		if !ok {
			if !hedging {
				s.lost = true
				g.pending--
			}
			continue
		}
		if byServer == nil {
			byServer = map[int32][]int{}
		}
		if _, seen := byServer[srv]; !seen {
			order = append(order, srv)
		}
		byServer[srv] = append(byServer[srv], i)
	}
	for _, srv := range order {
		g.launch(srv, byServer[srv])
	}
}

// launch sends one Execute call for segs to srv.
func (g *gather) launch(srv int32, segs []int) {
	f := &fragment{server: srv, segs: segs}
	names := make([]string, len(segs))
	for k, i := range segs {
		s := &g.segs[i]
		s.tried = append(s.tried, srv)
		s.inflight++
		names[k] = g.tr.Segments[s.route].Name
	}
	g.live[f] = struct{}{}
	g.queried[srv] = true
	req := &querypb.ExecuteRequest{RequestId: g.reqID, Table: g.tr.Table, Sql: g.sql, Segments: names, QueryOptions: g.options}
	addr := g.tr.Servers[srv].Addr
	go func() {
		start := time.Now()
		var resp *querypb.ExecuteResponse
		client, err := g.pool.client(addr)
		if err == nil {
			resp, err = client.Execute(g.callCtx, req)
		}
		select {
		case g.results <- callResult{frag: f, resp: resp, err: err, elapsed: time.Since(start)}:
		case <-g.stop:
		}
	}()
}

// handle folds one call's outcome into the gather.
func (g *gather) handle(r callResult) {
	f := r.frag
	delete(g.live, f)
	for _, i := range f.segs {
		g.segs[i].inflight--
	}
	srv := &g.tr.Servers[f.server]
	if r.err != nil {
		if qerr := serverQueryError(r.err); qerr != nil {
			g.queryErr = qerr
			return
		}
		if g.failures == nil {
			g.failures = map[int32]error{}
		}
		g.failures[f.server] = r.err
		g.log.Warn("server call failed; retrying its segments on other replicas",
			"server", srv.Name, "table", g.tr.Table, "segments", len(f.segs), "err", r.err)
		g.traceCall(srv.Name, r, "failed: "+r.err.Error())
		return
	}
	g.responded[f.server] = true
	covered := f.segs
	if len(r.resp.MissingSegments) > 0 {
		covered = make([]int, 0, len(f.segs))
		for _, i := range f.segs {
			if !slices.Contains(r.resp.MissingSegments, g.tr.Segments[g.segs[i].route].Name) {
				covered = append(covered, i)
			}
		}
		g.log.Info("server is missing segments; retrying them on other replicas",
			"server", srv.Name, "table", g.tr.Table, "missing", len(f.segs)-len(covered))
	}
	for _, i := range covered {
		if g.segs[i].done {
			// Another replica's answer already covers this segment: this
			// partial would count it twice. Its other segments may ask
			// this server again, for them alone.
			for _, j := range covered {
				if s := &g.segs[j]; !s.done {
					s.tried = slices.DeleteFunc(s.tried, func(x int32) bool { return x == f.server })
				}
			}
			g.traceCall(srv.Name, r, "discarded: another replica answered first")
			return
		}
	}
	if len(covered) == 0 {
		g.traceCall(srv.Name, r, "no segment loaded")
		return
	}
	part, err := exec.UnmarshalPartial(r.resp.Partial)
	if err != nil {
		if g.failures == nil {
			g.failures = map[int32]error{}
		}
		g.failures[f.server] = fmt.Errorf("decode partial from %s: %w", srv.Name, err)
		g.log.Error("server partial does not decode", "server", srv.Name, "table", g.tr.Table, "err", err)
		return
	}
	for _, i := range covered {
		g.segs[i].done = true
		g.pending--
	}
	g.parts = append(g.parts, part)
	g.consuming += int64(r.resp.NumConsumingSegments)
	g.traceCall(srv.Name, r, "ok")
}

// expire records, at the deadline, which servers had not answered for the
// segments still uncovered.
func (g *gather) expire() {
	seen := map[int32]bool{}
	for f := range g.live {
		for _, i := range f.segs {
			if s := &g.segs[i]; !s.done && !s.lost && !seen[f.server] {
				seen[f.server] = true
				g.timedOut = append(g.timedOut, f.server)
			}
		}
	}
	slices.Sort(g.timedOut)
}

func (g *gather) traceCall(server string, r callResult, outcome string) {
	if g.trace == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"segments":%d,"timeMs":%d,"outcome":%q`, len(r.frag.segs), r.elapsed.Milliseconds(), outcome)
	if r.resp != nil {
		fmt.Fprintf(&b, `,"serverTimeMs":%d,"missingSegments":%d`, r.resp.ServerTimeMs, len(r.resp.MissingSegments))
	}
	b.WriteByte('}')
	key := server
	for n := 2; ; n++ {
		if _, dup := g.trace[key]; !dup {
			break
		}
		key = fmt.Sprintf("%s#%d", server, n)
	}
	g.trace[key] = b.String()
}

// counts returns the number of servers queried and of servers that
// answered.
func (g *gather) counts() (queried, responded int) {
	for i := range g.queried {
		if g.queried[i] {
			queried++
		}
		if g.responded[i] {
			responded++
		}
	}
	return queried, responded
}

// exceptions describes what the gather could not answer: segments lost
// (305, with the servers that failed them as 427) and servers that did not
// answer before the deadline (427).
func (g *gather) exceptions(timeout time.Duration) []*queryError {
	var out []*queryError
	var lost []string
	failed := map[int32]bool{}
	for i := range g.segs {
		s := &g.segs[i]
		if !s.lost {
			continue
		}
		lost = append(lost, g.tr.Segments[s.route].Name)
		for _, srv := range s.tried {
			if g.failures[srv] != nil {
				failed[srv] = true
			}
		}
	}
	if len(failed) > 0 {
		ids := make([]int32, 0, len(failed))
		for srv := range failed {
			ids = append(ids, srv)
		}
		slices.Sort(ids)
		out = append(out, errorf(codeServerNotResponding, fmt.Sprintf("%d servers %s not responded: %v",
			len(ids), g.serverList(ids), g.failures[ids[0]])))
	}
	if len(lost) > 0 {
		out = append(out, unavailableError(lost))
	}
	if len(g.timedOut) > 0 {
		uncovered := 0
		for i := range g.segs {
			if !g.segs[i].done && !g.segs[i].lost {
				uncovered++
			}
		}
		out = append(out, errorf(codeServerNotResponding, fmt.Sprintf("%d servers %s not responded within the query timeout of %d ms (%d segments unanswered)",
			len(g.timedOut), g.serverList(g.timedOut), timeout.Milliseconds(), uncovered)))
	}
	return out
}

func (g *gather) serverList(ids []int32) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = g.tr.Servers[id].Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// unavailableError is Pinot's 305: segments no server can answer for.
func unavailableError(names []string) *queryError {
	const show = 10
	list := names
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(" and %d more", len(names)-show)
	}
	return errorf(codeSegmentsUnavailable, fmt.Sprintf("%d segments unavailable: [%s%s]", len(names), strings.Join(list, ", "), more))
}

// serverQueryError returns the query error a server's status carries (the
// engine rejected the query: INVALID_ARGUMENT), or nil when the call failed
// for another reason and its segments should be retried elsewhere. Part of
// the error table: the server's message is kept; "unknown column" is 710,
// the parser's "sql: " messages 150, other rejections planning (720).
func serverQueryError(err error) *queryError {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return nil
	}
	msg := st.Message()
	switch {
	case strings.HasPrefix(msg, "sql: "):
		return errorf(codeSQLParsing, msg)
	case strings.Contains(msg, "unknown column"):
		return errorf(codeUnknownColumn, msg)
	}
	return errorf(codePlanning, msg)
}
