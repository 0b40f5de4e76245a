package assign

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// Move is one segment's change of replicas.
type Move struct {
	Segment string   `json:"segment"`
	From    []string `json:"from"` // replicas before
	To      []string `json:"to"`   // replicas after
}

// Plan is a table's rebalance: the moves that take its assignment to the
// balanced target. It is what a dry run reports.
type Plan struct {
	Table string `json:"tableNameWithType"`
	// Current and Target map segment → replicas (sorted server names).
	Current map[string][]string `json:"currentAssignment"`
	Target  map[string][]string `json:"targetAssignment"`
	Moves   []Move              `json:"moves"`
	// SegmentsPerServer before and after.
	LoadBefore map[string]int `json:"segmentsPerServerBefore"`
	LoadAfter  map[string]int `json:"segmentsPerServerAfter"`
}

// Place picks the servers for a new segment of table: `replicas` distinct
// live, enabled, non-draining servers carrying tag, least loaded first
// (load: segments assigned to the server over all tables), ties by name.
// It fails when fewer than `replicas` servers qualify, naming the tag and
// the counts.
func Place(s *cluster.Snapshot, tag string, replicas int) ([]string, error) {
	if replicas < 1 {
		return nil, fmt.Errorf("place segment on tag %q: replication %d: %w", tag, replicas, ErrInvalidReplication)
	}
	elig := eligibleServers(s, tag, "")
	if len(elig) < replicas {
		return nil, notEnough("place segment", s, tag, replicas, len(elig))
	}
	load := serverLoads(s)
	sortByLoad(elig, load)
	out := append([]string(nil), elig[:replicas]...)
	sortStrings(out)
	return out, nil
}

// Rebalance computes the plan that spreads table's segments evenly over the
// eligible servers (live, enabled, not draining, carrying tag), with
// `replicas` replicas each, moving the fewest segments: a replica stays
// where it is unless its server is ineligible or over the balanced load.
func Rebalance(s *cluster.Snapshot, table, tag string, replicas int) (*Plan, error) {
	if replicas < 1 {
		return nil, fmt.Errorf("rebalance table %q: replication %d: %w", table, replicas, ErrInvalidReplication)
	}
	return rebalance(s, table, tag, replicas)
}

// Drain computes, for every table with segments on server, the plan that
// moves them to other eligible servers of the same tag.
func Drain(s *cluster.Snapshot, server string) ([]*Plan, error) {
	return drain(s, server)
}

// Execute carries out a plan without ever leaving a segment with no serving
// replica: for each move it first adds the new replicas to the assignment,
// waits until they report ONLINE (cache view), then removes the old ones.
// Assignment writes are compare-and-swap on the revision read (retrying on
// ErrConflict from a fresh snapshot). It gives up on a segment whose new
// replica reports ERROR or does not come ONLINE within timeout, keeping the
// old replicas, and says which in the returned error.
//
// Execute uses DefaultOptions; ExecuteWith takes the batch size and the
// timeout.
func Execute(ctx context.Context, store *cluster.Store, cache *cluster.Cache, plan *Plan, log *slog.Logger) error {
	return ExecuteWith(ctx, store, cache, plan, log, DefaultOptions())
}
