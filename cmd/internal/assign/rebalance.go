package assign

import (
	"fmt"
	"slices"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// Rebalance as a min-cost flow
//
// The target is a flow: source → segment (capacity replicas) → server
// (capacity 1 per pair) → sink, each server taking floor = total/servers
// replicas on its own edge to the sink plus at most one more through a
// shared "pool" node of capacity total%servers. Since the capacities add up
// to the total exactly, every full flow is a balanced assignment. A pair
// the current assignment has costs 0, any other pair 1: the cost of a full
// flow is the number of replicas placed anew, which Rebalance minimises.
//
// It does so by successive shortest paths. Phase 1 builds a maximum flow
// over the current pairs alone (cost 0): a greedy start (trim surplus
// replicas, give the ceil shares to the servers holding most, shed from
// servers over their share) then augmenting paths of cost 0. Phase 2 adds
// the missing replicas one shortest path at a time; a path of cost 1
// straight from a segment to a server with room is taken greedily, anything
// else is a Bellman-Ford search over the residual graph. Shortest-path
// augmentation from a minimum-cost flow keeps the flow minimum-cost, so the
// result places the fewest replicas any balanced assignment can (the tests
// compare it with an exhaustive reference).

// balancer holds the working state of one table's rebalance: segments and
// servers by index, in name order, so the plan depends on the snapshot
// alone.
type balancer struct {
	replicas    int
	floor, pool int // per-server floor share; how many servers get one more
	segs        []string
	elig        []string
	other       []int    // per server: replicas of other tables
	kept        [][]bool // [seg][server]: the current assignment has the pair
	in          [][]bool // [seg][server]: the target has the pair
	cnt         []int    // per segment: replicas in the target
	load        []int    // per server: replicas of the table in the target
	poolUsed    int      // servers above floor
	current     map[string][]string
}

func rebalance(s *cluster.Snapshot, table, tag string, replicas int) (*Plan, error) {
	segSet := map[string]bool{}
	for seg := range s.Assign[table] {
		segSet[seg] = true
	}
	for seg := range s.Segments[table] {
		segSet[seg] = true
	}
	b := &balancer{replicas: replicas, segs: sortedKeys(segSet), elig: eligibleServers(s, tag, ""),
		current: map[string][]string{}}
	if len(b.segs) > 0 && len(b.elig) < replicas {
		return nil, notEnough(fmt.Sprintf("rebalance table %q", table), s, tag, replicas, len(b.elig))
	}
	n := len(b.elig)
	srvIdx := make(map[string]int, n)
	for j, name := range b.elig {
		srvIdx[name] = j
	}
	total := serverLoads(s)
	b.other, b.load = make([]int, n), make([]int, n)
	for j, name := range b.elig {
		b.other[j] = total[name]
	}
	b.kept, b.in, b.cnt = make([][]bool, len(b.segs)), make([][]bool, len(b.segs)), make([]int, len(b.segs))
	if n > 0 {
		b.floor, b.pool = len(b.segs)*replicas/n, len(b.segs)*replicas%n
	}
	for i, seg := range b.segs {
		cur := []string{}
		if a := s.Assign[table][seg]; a != nil {
			cur = a.Replicas()
		}
		b.current[seg] = cur
		b.kept[i], b.in[i] = make([]bool, n), make([]bool, n)
		for _, name := range cur {
			if j, ok := srvIdx[name]; ok {
				b.other[j]--
				b.kept[i][j] = true
				b.add(i, j)
			}
		}
	}
	if len(b.segs) > 0 {
		b.trimSurplus()
		b.shed(b.quotas())
		for b.augment(true) {
		}
		if err := b.fill(); err != nil {
			return nil, fmt.Errorf("rebalance table %q: %w", table, err)
		}
	}
	return b.plan(table), nil
}

func (b *balancer) add(i, j int) {
	b.in[i][j] = true
	b.cnt[i]++
	if b.load[j] == b.floor {
		b.poolUsed++
	}
	b.load[j]++
}

func (b *balancer) remove(i, j int) {
	b.in[i][j] = false
	b.cnt[i]--
	b.load[j]--
	if b.load[j] == b.floor {
		b.poolUsed--
	}
}

// less orders servers for taking a replica: least loaded with the table,
// then least loaded with other tables, then by name.
func (b *balancer) less(x, y int) bool {
	if b.load[x] != b.load[y] {
		return b.load[x] < b.load[y]
	}
	if b.other[x] != b.other[y] {
		return b.other[x] < b.other[y]
	}
	return x < y
}

// trimSurplus drops replicas beyond the replication (it was lowered), from
// the most loaded servers.
func (b *balancer) trimSurplus() {
	for i := range b.segs {
		for b.cnt[i] > b.replicas {
			victim := -1
			for j := range b.elig {
				if b.in[i][j] && (victim < 0 || b.less(victim, j)) {
					victim = j
				}
			}
			b.remove(i, victim)
		}
	}
}

// quotas gives the ceil shares to the servers holding most of the table,
// then to those with least load from other tables.
func (b *balancer) quotas() []int {
	order := make([]int, len(b.elig))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(x, y int) int {
		if b.load[x] != b.load[y] {
			return b.load[y] - b.load[x]
		}
		return b.other[x] - b.other[y]
	})
	quota := make([]int, len(b.elig))
	for k, j := range order {
		quota[j] = b.floor
		if k < b.pool {
			quota[j]++
		}
	}
	return quota
}

// shed takes replicas off servers above their quota, preferring segments
// some server with room can take, then segments not losing a replica
// already (so that few segments move), then by name.
func (b *balancer) shed(quota []int) {
	type cand struct{ seg, unplaceable, moving int }
	for j := range b.elig {
		excess := b.load[j] - quota[j]
		if excess <= 0 {
			continue
		}
		var cands []cand
		for i := range b.segs {
			if !b.in[i][j] {
				continue
			}
			c := cand{seg: i, unplaceable: 1, moving: b.replicas - b.cnt[i]}
			for k := range b.elig {
				if b.load[k] < quota[k] && !b.in[i][k] {
					c.unplaceable = 0
					break
				}
			}
			cands = append(cands, c)
		}
		slices.SortStableFunc(cands, func(x, y cand) int {
			if x.unplaceable != y.unplaceable {
				return x.unplaceable - y.unplaceable
			}
			return x.moving - y.moving
		})
		for _, c := range cands[:excess] {
			b.remove(c.seg, j)
		}
	}
}

// canTake reports whether server j has room: below the floor, or at it
// with a ceil share left in the pool.
func (b *balancer) canTake(j int) bool {
	return b.load[j] < b.floor || (b.load[j] == b.floor && b.poolUsed < b.pool)
}

// fill adds the missing replicas: straight to a server with room that
// lacks the segment (the least loaded, by less) while one exists, else
// along a shortest augmenting path.
func (b *balancer) fill() error {
	for {
		missing := false
		for i := range b.segs {
			for b.cnt[i] < b.replicas {
				best := -1
				for j := range b.elig {
					if !b.in[i][j] && b.canTake(j) && (best < 0 || b.less(j, best)) {
						best = j
					}
				}
				if best < 0 {
					missing = true
					break
				}
				b.add(i, best)
			}
		}
		if !missing {
			return nil
		}
		if !b.augment(false) {
			return fmt.Errorf("BUG: no balanced assignment found")
		}
	}
}

// augment finds a shortest augmenting path in the residual graph (cost-0
// edges only when zeroOnly) and applies it; false when there is none.
//
// Nodes: segments 0..S-1, servers S..S+n-1, the pool, the sink; the source
// is implicit (every segment short of replicas starts at distance 0).
// Residual edges: segment→server for a pair not in the target (cost 0 if
// current, else 1); server→segment for a pair in it (undoing it: 0 or -1);
// server→sink below the floor; server→pool at the floor; pool→sink while
// the pool has room; pool→server for a server above the floor (it gives its
// ceil share back). There are no negative cycles, as the flow is
// minimum-cost, so Bellman-Ford (queue-based) applies.
func (b *balancer) augment(zeroOnly bool) bool {
	S, n := len(b.segs), len(b.elig)
	pool, sink := S+n, S+n+1
	const inf = int(^uint(0) >> 1)
	dist := make([]int, S+n+2)
	prev := make([]int, S+n+2)
	queued := make([]bool, S+n+2)
	var queue []int
	for v := range dist {
		dist[v], prev[v] = inf, -1
	}
	relax := func(u, v, c int) {
		if dist[u]+c < dist[v] {
			dist[v], prev[v] = dist[u]+c, u
			if v != sink && !queued[v] {
				queued[v] = true
				queue = append(queue, v)
			}
		}
	}
	for i := range S {
		if b.cnt[i] < b.replicas {
			dist[i], queued[i] = 0, true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		queued[u] = false
		switch {
		case u < S:
			for j := range n {
				if b.in[u][j] {
					continue
				}
				c := 1
				if b.kept[u][j] {
					c = 0
				}
				if c == 0 || !zeroOnly {
					relax(u, S+j, c)
				}
			}
		case u < S+n:
			j := u - S
			for i := range S {
				if !b.in[i][j] {
					continue
				}
				c := -1
				if b.kept[i][j] {
					c = 0
				}
				relax(u, i, c)
			}
			if b.load[j] < b.floor {
				relax(u, sink, 0)
			} else if b.load[j] == b.floor {
				relax(u, pool, 0)
			}
		case u == pool:
			if b.poolUsed < b.pool {
				relax(u, sink, 0)
			}
			for j := range n {
				if b.load[j] == b.floor+1 {
					relax(u, S+j, 0)
				}
			}
		}
	}
	if dist[sink] == inf {
		return false
	}
	// Collect the pair changes first: applying them moves the loads that
	// the pool accounting reads.
	type pair struct {
		seg, srv int
		add      bool
	}
	var changes []pair
	for v := sink; prev[v] >= 0; v = prev[v] {
		u := prev[v]
		switch {
		case u < S && v >= S && v < S+n:
			changes = append(changes, pair{u, v - S, true})
		case u >= S && u < S+n && v < S:
			changes = append(changes, pair{v, u - S, false})
		}
	}
	for _, c := range changes {
		if !c.add {
			b.remove(c.seg, c.srv)
		}
	}
	for _, c := range changes {
		if c.add {
			b.add(c.seg, c.srv)
		}
	}
	return true
}

// plan turns the working state into the Plan, checking the invariants.
func (b *balancer) plan(table string) *Plan {
	p := &Plan{Table: table, Current: b.current, Target: map[string][]string{}, Moves: []Move{},
		LoadBefore: map[string]int{}, LoadAfter: map[string]int{}}
	for _, name := range b.elig {
		p.LoadBefore[name] = 0
		p.LoadAfter[name] = 0
	}
	for i, seg := range b.segs {
		to := []string{}
		for j, name := range b.elig {
			if b.in[i][j] {
				to = append(to, name)
			}
		}
		if len(to) != b.replicas {
			panic(fmt.Sprintf("BUG: rebalance of %q gives segment %q %d replicas, want %d", table, seg, len(to), b.replicas))
		}
		p.Target[seg] = to
		from := b.current[seg]
		for _, name := range from {
			p.LoadBefore[name]++
			if _, ok := p.LoadAfter[name]; !ok {
				p.LoadAfter[name] = 0
			}
		}
		for _, name := range to {
			p.LoadAfter[name]++
		}
		if !slices.Equal(from, to) {
			p.Moves = append(p.Moves, Move{Segment: seg, From: from, To: to})
		}
	}
	return p
}
