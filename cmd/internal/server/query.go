package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/proto/querypb"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
)

// queryService answers query fragments over the segments the manager
// holds.
type queryService struct {
	querypb.UnimplementedQueryServer
	s *Server
	// inflight counts Execute calls under way.
	inflight atomic.Int64
	// slots admits fragments to execution. Waiting senders on a channel
	// are served in arrival order, so under load every query waits about
	// as long as the others instead of some being starved while others
	// share the CPUs: the same mean latency, a much shorter tail.
	slots chan struct{}
}

// Execute runs one fragment: the request's SQL over the named segments
// that are open here, the others listed as missing.
func (q *queryService) Execute(ctx context.Context, req *querypb.ExecuteRequest) (*querypb.ExecuteResponse, error) {
	q.inflight.Add(1)
	defer q.inflight.Add(-1)
	start := time.Now()
	resp, err := q.execute(ctx, req)
	m := q.s.metrics
	m.fragments.WithLabelValues(req.GetTable()).Inc()
	m.latency.WithLabelValues(req.GetTable()).Observe(time.Since(start).Seconds())
	if err != nil {
		m.errors.WithLabelValues(req.GetTable()).Inc()
		st := toStatus(ctx, err)
		level := slog.LevelDebug
		if status.Code(st) == codes.Internal {
			level = slog.LevelError
		}
		q.s.log.Log(ctx, level, "query fragment", "request", req.GetRequestId(), "table", req.GetTable(), "err", err)
		return nil, st
	}
	resp.ServerTimeMs = time.Since(start).Milliseconds()
	return resp, nil
}

// acquire takes an execution slot, waiting in arrival order.
func (q *queryService) acquire(ctx context.Context) error {
	select {
	case q.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for an execution slot (%d busy): %w", cap(q.slots), ctx.Err())
	}
}

func (q *queryService) execute(ctx context.Context, req *querypb.ExecuteRequest) (*querypb.ExecuteResponse, error) {
	snap := q.s.deps.Cache.Snapshot()
	sch := snap.TableSchema(req.GetTable())
	if sch == nil {
		return nil, fmt.Errorf("table %q: %w", req.GetTable(), errUnknownTable)
	}
	st, err := sql.Parse(req.GetSql())
	if err != nil {
		return nil, err
	}
	// Options written in the SQL (SET, OPTION) win over the request's.
	for k, v := range req.GetQueryOptions() {
		k = strings.ToLower(k)
		if _, ok := st.Options[k]; !ok {
			if st.Options == nil {
				st.Options = map[string]string{}
			}
			st.Options[k] = v
		}
	}
	if err := q.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-q.slots }()
	segs, held, missing := q.s.segs.acquire(req.GetTable(), req.GetSegments())
	defer release(held)
	part, err := exec.Execute(ctx, &exec.Table{
		Name:     cluster.RawTableName(req.GetTable()),
		Schema:   sch.Schema,
		Segments: segs,
	}, st)
	if err == nil {
		// An answer after the caller's deadline or cancellation is not
		// one: say what ended the call.
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	buf, err := part.AppendBinary(nil)
	if err != nil {
		return nil, fmt.Errorf("encode partial of table %q: %w", req.GetTable(), err)
	}
	return &querypb.ExecuteResponse{Partial: buf, MissingSegments: missing}, nil
}
