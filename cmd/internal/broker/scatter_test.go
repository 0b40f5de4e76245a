package broker

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// gatherFixture is three fake servers X, Y, Z each holding every events
// segment, and a hand-built route over them (no etcd).
type gatherFixture struct {
	servers []*fakeServer
	tr      *tableRoute
	pool    *connPool
	schema  *schema.Schema
	segs    []segment.Segment
}

func newGatherFixture(t *testing.T, replicas [][]int32) *gatherFixture {
	t.Helper()
	sc, _, err := schema.Parse([]byte(eventsSchema))
	if err != nil {
		t.Fatal(err)
	}
	built := buildSegments(t, sc, t.TempDir())
	fx := &gatherFixture{schema: sc, pool: newConnPool(64 << 20), tr: &tableRoute{Table: "events_OFFLINE", Schema: sc}}
	t.Cleanup(fx.pool.close)
	for _, s := range built {
		fx.segs = append(fx.segs, s)
	}
	for range 3 {
		f := startFakeServer(t, sc, fx.segs)
		fx.servers = append(fx.servers, f)
		fx.tr.Servers = append(fx.tr.Servers, routeServer{Name: f.name, Addr: f.addr})
	}
	for k, s := range built {
		fx.tr.Segments = append(fx.tr.Segments, routeSegment{Name: s.Name(), Meta: s.Meta(), Replicas: replicas[k]})
	}
	return fx
}

// run gathers COUNT(*) over every segment and returns the reduced count.
func (fx *gatherFixture) run(t *testing.T, rot uint64, timeout, hedge time.Duration) (*gather, int64) {
	t.Helper()
	const q = "SELECT COUNT(*) FROM events"
	st, err := sql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(fx.tr.Segments))
	for i := range all {
		all[i] = i
	}
	g := newGather(fx.tr, all, fx.pool, slog.New(slog.DiscardHandler), "1", q, nil, rot, true)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	g.run(ctx, hedge)
	if g.queryErr != nil {
		return g, -1
	}
	res, err := exec.Reduce(context.Background(), fx.schema, "events", st, g.parts)
	if err != nil {
		t.Fatal(err)
	}
	return g, res.Rows[0][0].(int64)
}

func lostSegments(g *gather) []string {
	var out []string
	for _, s := range g.segs {
		if s.lost {
			out = append(out, g.tr.Segments[s.route].Name)
		}
	}
	return out
}

func TestGatherSpreadsOverReplicas(t *testing.T) {
	fx := newGatherFixture(t, [][]int32{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}, {0, 1, 2}})
	for rot := uint64(0); rot < 3; rot++ {
		g, n := fx.run(t, rot, 5*time.Second, 0)
		if n != numSegments*rowsPerSeg || len(g.parts) != 3 {
			t.Errorf("rot %d: count %d from %d partials", rot, n, len(g.parts))
		}
	}
	for _, f := range fx.servers {
		if c := f.calls.Load(); c != 3 {
			t.Errorf("%s called %d times, want 3 (one per query)", f.name, c)
		}
	}
}

// TestGatherHedgeDiscardsOverlap: X holds every segment and is slow; the
// hedge sends them to Y and Z, one of which fails. X's late answer
// overlaps Y's and is discarded, so X is asked again for what is left:
// every segment counted once.
func TestGatherHedgeDiscardsOverlap(t *testing.T) {
	// Segments 0, 1 on X and Y; 2, 3 on X and Z.
	fx := newGatherFixture(t, [][]int32{{0, 1}, {0, 1}, {0, 2}, {0, 2}})
	fx.servers[0].set(&behaviour{sleep: 400 * time.Millisecond})
	fx.servers[2].set(&behaviour{code: codes.Unavailable, msg: "down"})
	g, n := fx.run(t, 0, 5*time.Second, 100*time.Millisecond)
	if n != numSegments*rowsPerSeg {
		t.Errorf("count %d, want %d (lost %v, trace %v)", n, numSegments*rowsPerSeg, lostSegments(g), g.trace)
	}
	if lost := lostSegments(g); len(lost) != 0 {
		t.Errorf("lost %v", lost)
	}
	discarded := false
	for _, v := range g.trace {
		discarded = discarded || strings.Contains(v, "discarded")
	}
	if !discarded {
		t.Errorf("no answer was discarded: the overlap case did not happen (trace %v)", g.trace)
	}
}

func TestGatherTimeout(t *testing.T) {
	fx := newGatherFixture(t, [][]int32{{0}, {0}, {1}, {1}})
	fx.servers[0].set(&behaviour{sleep: 10 * time.Second})
	start := time.Now()
	g, n := fx.run(t, 0, 300*time.Millisecond, 0)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("gather took %v past a 300 ms deadline", el)
	}
	if n != 2*rowsPerSeg {
		t.Errorf("count %d, want the 2 answered segments' %d", n, 2*rowsPerSeg)
	}
	ex := g.exceptions(300 * time.Millisecond)
	if len(ex) != 1 || ex[0].Code != codeServerNotResponding || len(g.timedOut) != 1 || g.timedOut[0] != 0 {
		t.Errorf("exceptions %v, timed out %v", ex, g.timedOut)
	}
}
