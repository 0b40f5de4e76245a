package assign

import (
	"slices"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// naiveMinAdds is the reference for Rebalance's move count: the fewest
// replicas any balanced assignment of table must place on servers that do
// not hold them now. It tries every choice of which servers get the ceil
// share and, for each, solves the assignment exactly as a min-cost flow
// (source → segment, capacity replicas; segment → server, capacity 1, cost
// 0 if the server holds the segment, else 1; server → sink, capacity its
// share). Exponential in the server count: small clusters only.
func naiveMinAdds(s *cluster.Snapshot, table, tag string, replicas int) int {
	elig := eligibleServers(s, tag, "")
	segs := sortedKeys(s.Assign[table])
	total := len(segs) * replicas
	if total == 0 {
		return 0
	}
	n := len(elig)
	floor, extra := total/n, total%n
	best := -1
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != extra {
			continue
		}
		quota := make([]int, n)
		for j := range quota {
			quota[j] = floor
			if mask&(1<<j) != 0 {
				quota[j]++
			}
		}
		g := newFlow(2 + len(segs) + n)
		src, sink := 0, 1+len(segs)+n
		for i, seg := range segs {
			g.edge(src, 1+i, replicas, 0)
			for j, name := range elig {
				cost := 1
				if _, ok := s.Assign[table][seg].Instances[name]; ok {
					cost = 0
				}
				g.edge(1+i, 1+len(segs)+j, 1, cost)
			}
		}
		for j := range elig {
			g.edge(1+len(segs)+j, sink, quota[j], 0)
		}
		flow, cost := g.run(src, sink)
		if flow == total && (best < 0 || cost < best) {
			best = cost
		}
	}
	return best
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

// flow is a textbook min-cost max-flow (successive shortest paths with
// Bellman-Ford), for the reference only.
type flow struct {
	to, cap, cost []int
	adj           [][]int
}

func newFlow(n int) *flow { return &flow{adj: make([][]int, n)} }

func (f *flow) edge(u, v, c, w int) {
	f.adj[u] = append(f.adj[u], len(f.to))
	f.to, f.cap, f.cost = append(f.to, v), append(f.cap, c), append(f.cost, w)
	f.adj[v] = append(f.adj[v], len(f.to))
	f.to, f.cap, f.cost = append(f.to, u), append(f.cap, 0), append(f.cost, -w)
}

func (f *flow) run(src, sink int) (total, cost int) {
	n := len(f.adj)
	for {
		dist := slices.Repeat([]int{1 << 30}, n)
		via := slices.Repeat([]int{-1}, n)
		dist[src] = 0
		for changed := true; changed; {
			changed = false
			for u := range n {
				if dist[u] == 1<<30 {
					continue
				}
				for _, e := range f.adj[u] {
					if f.cap[e] > 0 && dist[u]+f.cost[e] < dist[f.to[e]] {
						dist[f.to[e]], via[f.to[e]], changed = dist[u]+f.cost[e], e, true
					}
				}
			}
		}
		if dist[sink] == 1<<30 {
			return total, cost
		}
		push := 1 << 30
		for v := sink; v != src; v = f.to[via[v]^1] {
			push = min(push, f.cap[via[v]])
		}
		for v := sink; v != src; v = f.to[via[v]^1] {
			f.cap[via[v]] -= push
			f.cap[via[v]^1] += push
		}
		total += push
		cost += push * dist[sink]
	}
}
