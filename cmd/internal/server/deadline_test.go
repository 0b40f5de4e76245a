package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/proto/querypb"
)

// slowQuery spends its time scanning a big segment (about 30 ms here,
// evaluating an expression per row), where the engine checks its deadline
// per batch; its partial is small.
const slowQuery = "SELECT campaign, COUNT(*) FROM tx WHERE CONCAT(userID, campaign, '-') LIKE '%u01%' GROUP BY campaign"

func TestDeadlineAndCancellation(t *testing.T) {
	h := newHarness(t)
	s := h.start(testConfig(t.TempDir()))
	name := s.InstanceName()
	p, m := h.build("big", 300_000, 1)
	h.push(p, m, false, name)
	h.waitOnline("big", name)
	c := client(t, s.Server)
	req := func(sql string) *querypb.ExecuteRequest {
		return &querypb.ExecuteRequest{Table: testTable, Sql: sql, Segments: []string{"big"}}
	}

	// The unhurried query, for scale.
	start := time.Now()
	if _, err := c.Execute(h.ctx, req(slowQuery)); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	t.Logf("full query: %v", full)

	// timeoutMs is the engine's own deadline: the server answers
	// DEADLINE_EXCEEDED long before the caller's deadline.
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	_, err := c.Execute(ctx, req("SET timeoutMs = 1; "+slowQuery))
	callerExpired := ctx.Err() != nil
	cancel()
	if st, _ := status.FromError(err); st.Code() != codes.DeadlineExceeded || callerExpired {
		t.Fatalf("timeoutMs=1: %v (caller's deadline passed: %v)", err, callerExpired)
	}
	// The request's query options count too.
	ctx, cancel = context.WithTimeout(h.ctx, waitTimeout)
	r := req(slowQuery)
	r.QueryOptions = map[string]string{"timeoutMs": "1"}
	_, err = c.Execute(ctx, r)
	cancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("queryOptions timeoutMs=1: %v", err)
	}

	// The handler itself maps the end of its context: a deadline passing
	// or a cancellation stop the work and come back with their codes.
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		code codes.Code
	}{
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(h.ctx, time.Now().Add(-time.Millisecond))
		}, codes.DeadlineExceeded},
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(h.ctx)
			cancel()
			return ctx, cancel
		}, codes.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(h.ctx, 2*time.Millisecond) }, codes.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(h.ctx)
			time.AfterFunc(2*time.Millisecond, cancel)
			return ctx, cancel
		}, codes.Canceled},
	} {
		ctx, cancel := tc.ctx()
		start := time.Now()
		_, err := s.query.Execute(ctx, req(slowQuery))
		took := time.Since(start)
		cancel()
		if status.Code(err) != tc.code {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.code)
		}
		t.Logf("%s: stopped after %v", tc.name, took)
	}

	// Over the wire: the caller's deadline and cancellation end the
	// server's work (no call stays in flight).
	ctx, cancel = context.WithTimeout(h.ctx, 2*time.Millisecond)
	_, err = c.Execute(ctx, req(slowQuery))
	cancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("client deadline: %v", err)
	}
	ctx, cancel = context.WithCancel(h.ctx)
	time.AfterFunc(5*time.Millisecond, cancel)
	_, err = c.Execute(ctx, req(slowQuery))
	if status.Code(err) != codes.Canceled {
		t.Fatalf("client cancel: %v", err)
	}
	waitFor(t, "in-flight calls to end", func() bool { return s.query.inflight.Load() == 0 })
}
