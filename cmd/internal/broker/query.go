package broker

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
)

// query answers one request: parse, resolve the table, prune and route
// from the current snapshot, scatter to the servers, reduce their
// partials. Every failure becomes an exception of the response.
func (b *Broker) query(ctx context.Context, req *queryRequest, correlationID string) *response {
	start := b.now()
	resp := &response{RequestID: b.nextRequestID(), BrokerID: b.name}
	log := b.log
	if correlationID != "" {
		log = log.With("correlationId", correlationID)
	}
	if qe := b.wait(ctx); qe != nil {
		resp.Exceptions = append(resp.Exceptions, qe)
	} else {
		b.metrics.inFlight.Inc()
		b.answer(ctx, req, resp, log)
		b.metrics.inFlight.Dec()
		<-b.admit
	}
	took := b.now().Sub(start)
	resp.TimeUsedMs = took.Milliseconds()
	b.metrics.observe(resp, took.Seconds())
	if len(resp.Exceptions) > 0 {
		log.Info("query answered with exceptions", "request", resp.RequestID, "table", strings.Join(resp.TablesQueried, ","),
			"code", resp.Exceptions[0].Code, "err", resp.Exceptions[0].Msg, "timeMs", resp.TimeUsedMs)
	} else if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("query answered", "request", resp.RequestID, "table", strings.Join(resp.TablesQueried, ","),
			"sql", truncate(req.SQL, 256), "rows", len(resp.Result.Rows), "timeMs", resp.TimeUsedMs)
	}
	return resp
}

func (b *Broker) answer(ctx context.Context, req *queryRequest, resp *response, log *slog.Logger) {
	fail := func(err error) { resp.Exceptions = append(resp.Exceptions, toQueryError(err)) }
	st, err := sql.Parse(req.SQL)
	if err != nil {
		fail(err)
		return
	}
	st.Options = mergeOptions(st.Options, req.Options)
	timeout := b.cfg.Timeout
	if v, ok := st.Options["timeoutms"]; ok {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 && time.Duration(ms)*time.Millisecond < timeout {
			timeout = time.Duration(ms) * time.Millisecond
		}
	}
	resp.NullHandling = b.cfg.EnableNullHandling
	if v, ok := st.Options["enablenullhandling"]; ok {
		resp.NullHandling = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if st.Select == nil {
		fail(errorf(codeSQLParsing, "only SELECT statements are supported"))
		return
	}
	rs := b.currentRoutes()
	table, qe := resolveTable(rs.names, rs.snap.Tables, st.Select.From.Name)
	if qe != nil {
		fail(qe)
		return
	}
	resp.TablesQueried = []string{cluster.RawTableName(table)}
	if qe := b.checkRead(ctx, table); qe != nil {
		fail(qe)
		return
	}
	tr := rs.table(table)
	if tr.Schema == nil {
		fail(errorf(codeTableMissing, "schema of table "+strconv.Quote(table)+" does not exist"))
		return
	}
	resp.Schema = tr.Schema
	raw := cluster.RawTableName(table)
	pruner, err := exec.NewPruner(tr.Schema, raw, st)
	if err != nil {
		fail(err)
		return
	}
	var pr segmentPruner = pruner
	if tbl := rs.snap.Tables[table]; tbl != nil {
		if pp := newPartitionPruner(tbl.Config, tr.Schema, st.Select.Where); pp != nil {
			pr = pruners{pruner, pp}
		}
	}
	plan := tr.plan(pr, b.now().UnixMilli())
	resp.NumSegmentsPrunedByBroker = plan.Pruned
	if ctx.Err() != nil {
		fail(errorf(codeBrokerTimeout, "query timed out before scattering to the servers (timeout "+strconv.FormatInt(timeout.Milliseconds(), 10)+" ms)"))
		return
	}

	g := newGather(tr, plan.Segments, b.pool, log, resp.RequestID, req.SQL, st.Options, b.rot.Add(1), req.Trace)
	g.run(ctx, b.hedgeDelay(timeout))
	resp.NumServersQueried, resp.NumServersResponded = g.counts()
	resp.NumConsumingSegmentsQueried = g.consuming
	resp.TraceInfo = g.trace
	if g.queryErr != nil {
		resp.Exceptions = append(resp.Exceptions, toQueryError(g.queryErr))
		return
	}
	if len(plan.Unavailable) > 0 {
		resp.Exceptions = append(resp.Exceptions, unavailableError(plan.Unavailable))
	}
	resp.Exceptions = append(resp.Exceptions, g.exceptions(timeout)...)

	reduceStart := b.now()
	// Reduce gets its own short budget: an answer gathered just before the
	// deadline is still worth merging.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	res, err := pruner.Reduce(rctx, g.parts)
	rcancel()
	resp.BrokerReduceTimeMs = b.now().Sub(reduceStart).Milliseconds()
	if err != nil {
		log.Error("reduce", "request", resp.RequestID, "table", table, "err", err)
		fail(err)
		return
	}
	resp.Result = res
	resp.Stats = res.Stats
}

// wait takes an admission token. Waiting senders on a channel are served
// in arrival order, so under load every query waits about as long as the
// others: without it the Go scheduler serves the queries' many small steps
// in no particular order, and the slowest percentile takes several times
// the median for the same mean.
func (b *Broker) wait(ctx context.Context) *queryError {
	select {
	case b.admit <- struct{}{}:
		return nil
	default:
	}
	b.metrics.waiting.Inc()
	defer b.metrics.waiting.Dec()
	t := time.NewTimer(b.cfg.Timeout)
	defer t.Stop()
	select {
	case b.admit <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errorf(codeBrokerTimeout, "request ended while waiting for one of "+strconv.Itoa(cap(b.admit))+" query slots: "+ctx.Err().Error())
	case <-t.C:
		return errorf(codeBrokerTimeout, "query waited "+b.cfg.Timeout.String()+" for one of "+strconv.Itoa(cap(b.admit))+" query slots")
	}
}

// hedgeDelay is when slow servers' segments go to a second replica.
func (b *Broker) hedgeDelay(timeout time.Duration) time.Duration {
	switch {
	case b.cfg.HedgeAfter < 0:
		return 0
	case b.cfg.HedgeAfter == 0:
		return timeout / 2
	}
	return b.cfg.HedgeAfter
}

// currentRoutes returns the routing state of the current snapshot,
// building it when the snapshot changed.
func (b *Broker) currentRoutes() *routes {
	s := b.deps.Cache.Snapshot()
	if rs := b.routes.Load(); rs != nil && rs.snap == s {
		return rs
	}
	rs := newRoutes(s)
	b.routes.Store(rs)
	return rs
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
