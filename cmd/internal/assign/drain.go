package assign

import (
	"fmt"
	"slices"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// drain moves server's replicas, table by table, each to the eligible
// server (of the table's tag, other than server, not holding the segment)
// with the fewest replicas of the table, then the fewest overall, then by
// name. A segment that has its full replication without server just loses
// that replica. Nothing else moves: replication changes and balance are
// Rebalance's business.
func drain(s *cluster.Snapshot, server string) ([]*Plan, error) {
	load := serverLoads(s)
	var plans []*Plan
	for _, table := range sortedKeys(s.Assign) {
		asg := s.Assign[table]
		segs := sortedKeys(asg)
		if !slices.ContainsFunc(segs, func(seg string) bool { _, ok := asg[seg].Instances[server]; return ok }) {
			continue
		}
		tag := TableTag(s, table)
		elig := eligibleServers(s, tag, server)
		p := &Plan{Table: table, Current: map[string][]string{}, Target: map[string][]string{}, Moves: []Move{},
			LoadBefore: map[string]int{server: 0}, LoadAfter: map[string]int{server: 0}}
		tload := map[string]int{}
		for _, name := range elig {
			p.LoadBefore[name], p.LoadAfter[name] = 0, 0
		}
		for _, seg := range segs {
			cur := asg[seg].Replicas()
			p.Current[seg] = cur
			for _, name := range cur {
				tload[name]++
				p.LoadBefore[name]++
			}
		}
		for _, seg := range segs {
			cur := p.Current[seg]
			if !slices.Contains(cur, server) {
				p.Target[seg] = cur
				continue
			}
			to := slices.DeleteFunc(slices.Clone(cur), func(name string) bool { return name == server })
			tload[server]--
			load[server]--
			if len(to) < tableReplication(s, table, len(cur)) {
				best := ""
				for _, name := range elig {
					if slices.Contains(to, name) {
						continue
					}
					if best == "" || tload[name] < tload[best] || (tload[name] == tload[best] && load[name] < load[best]) {
						best = name
					}
				}
				if best == "" {
					return nil, notEnough(fmt.Sprintf("drain server %q: table %q segment %q", server, table, seg),
						s, tag, len(to)+1, len(elig))
				}
				tload[best]++
				load[best]++
				to = append(to, best)
				sortStrings(to)
			}
			p.Target[seg] = to
			p.Moves = append(p.Moves, Move{Segment: seg, From: cur, To: to})
		}
		for name := range p.LoadBefore {
			p.LoadAfter[name] = 0
		}
		for _, to := range p.Target {
			for _, name := range to {
				p.LoadAfter[name]++
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}
