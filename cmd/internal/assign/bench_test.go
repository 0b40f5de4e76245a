package assign

import (
	"fmt"
	"testing"
)

// BenchmarkRebalance plans a large table: a server joins, a server dies
// (its partners' replicas must be rerouted), replication is raised.
func BenchmarkRebalance(b *testing.B) {
	for _, segs := range []int{1000, 10000} {
		const nServers = 20
		cases := []struct {
			name     string
			w        world
			replicas int
		}{
			{"join", world{servers: servers(names(nServers + 1)...),
				assign: map[string]map[string][]string{tbl: roundRobin(segs, 3, names(nServers))}}, 3},
			{"dead", world{servers: append(servers(names(nServers-1)...), srv{name: names(nServers)[nServers-1], dead: true}),
				assign: map[string]map[string][]string{tbl: roundRobin(segs, 3, names(nServers))}}, 3},
			{"replication", world{servers: servers(names(nServers)...),
				assign: map[string]map[string][]string{tbl: roundRobin(segs, 2, names(nServers))}}, 3},
		}
		for _, c := range cases {
			s := c.w.snapshot()
			b.Run(fmt.Sprintf("case=%s/segments=%d", c.name, segs), func(b *testing.B) {
				b.ReportAllocs()
				moves := 0
				for b.Loop() {
					p, err := Rebalance(s, tbl, tag, c.replicas)
					if err != nil {
						b.Fatal(err)
					}
					moves = len(p.Moves)
				}
				b.ReportMetric(float64(moves), "moves")
			})
		}
	}
}
