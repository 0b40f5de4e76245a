package assign

import (
	"errors"
	"fmt"
	"sort"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// Errors of the decisions; the controller maps ErrNotEnoughServers to 503
// (the cluster lacks capacity) and ErrInvalidReplication to 400.
var (
	// ErrNotEnoughServers: fewer eligible servers carry the tag than the
	// replication asks for.
	ErrNotEnoughServers = errors.New("not enough eligible servers")
	// ErrInvalidReplication: replication below 1.
	ErrInvalidReplication = errors.New("replication must be at least 1")
)

// eligible reports whether server may take new replicas for tag: it is
// registered (instances/) and live, a server, enabled, not draining and
// carries the tag.
func eligible(s *cluster.Snapshot, name, tag string) bool {
	in := s.Instances[name]
	return in != nil && s.Live[name] != nil && in.Type == cluster.TypeServer &&
		in.Enabled && !in.Draining && in.HasTag(tag)
}

// eligibleServers returns the eligible servers for tag other than exclude,
// sorted by name.
func eligibleServers(s *cluster.Snapshot, tag, exclude string) []string {
	var out []string
	for name := range s.Live {
		if name != exclude && eligible(s, name, tag) {
			out = append(out, name)
		}
	}
	sortStrings(out)
	return out
}

// notEnough is the error for want replicas with only have eligible servers,
// giving the counts an operator needs to see why.
func notEnough(op string, s *cluster.Snapshot, tag string, want, have int) error {
	registered, live := 0, 0
	for name, in := range s.Instances {
		if in.Type != cluster.TypeServer || !in.HasTag(tag) {
			continue
		}
		registered++
		if s.Live[name] != nil {
			live++
		}
	}
	return fmt.Errorf("%s: tag %q: need %d live, enabled, non-draining servers, %d qualify (%d registered with the tag, %d of them live): %w",
		op, tag, want, have, registered, live, ErrNotEnoughServers)
}

// serverLoads counts the replicas assigned to each server over all tables.
func serverLoads(s *cluster.Snapshot) map[string]int {
	load := map[string]int{}
	for _, segs := range s.Assign {
		for _, a := range segs {
			for name := range a.Instances {
				load[name]++
			}
		}
	}
	return load
}

// sortByLoad orders names by load, then by name.
func sortByLoad(names []string, load map[string]int) {
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if load[a] != load[b] {
			return load[a] < load[b]
		}
		return a < b
	})
}

func sortStrings(s []string) { sort.Strings(s) }

// sortedKeys returns the keys of a set in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TableTag is the tag of the servers that host table (by name with type):
// "<server tenant>_OFFLINE" or "_REALTIME", the default tenant when the
// table has no config (deleted while assignments remain).
func TableTag(s *cluster.Snapshot, table string) string {
	tenant := cluster.DefaultTenant
	if t := s.Tables[table]; t != nil && t.Config.Tenants.Server != "" {
		tenant = t.Config.Tenants.Server
	}
	typ := cluster.TableType(table)
	if typ == "" {
		typ = "OFFLINE"
	}
	return cluster.ServerTag(tenant, typ)
}

// tableReplication is the table's configured replication; without a config
// the replication the segment has now.
func tableReplication(s *cluster.Snapshot, table string, current int) int {
	if t := s.Tables[table]; t != nil && t.Config.Segments.Replication > 0 {
		return t.Config.Segments.Replication
	}
	return max(current, 1)
}
