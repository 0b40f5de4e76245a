// Package assign decides where segments live and carries those decisions
// out: it is the controller's segment placement (Pinot's ideal-state
// assignment), table rebalance and server drain.
//
// The decisions are pure functions of a cluster.Snapshot:
//
//   - Place picks the servers for a new segment: the least loaded of the
//     eligible servers (live, registered, enabled, not draining, carrying
//     the table's tenant tag, TableTag), load being the replicas a server
//     holds over all tables, ties broken by name.
//   - Rebalance computes a table's balanced target: every eligible server
//     ends with floor or ceil of (segments × replicas) / servers replicas of
//     the table, each segment with exactly `replicas` distinct servers. It
//     places the fewest replicas anew that any such target can (a
//     min-cost flow, see rebalance.go): a replica on an eligible server
//     stays unless the server holds more than its share, or, rarely, the
//     no-two-replicas-per-server rule forces a swap. Replicas on dead,
//     removed, disabled, draining or untagged servers, missing replicas
//     (replication raised) and surplus ones (replication lowered) are
//     fixed on the way. Load from other tables breaks ties.
//   - Drain computes, per table, the moves that take one server's replicas
//     to other eligible servers, leaving every other replica in place.
//
// Execute is the only function that does I/O. For each batch of moves it
// adds the new replicas to the assignment (compare-and-swap on the
// assignment's revision, recomputed from a fresh snapshot on conflict),
// waits until the new servers report the segment ONLINE in the external
// view, and only then removes the old replicas, so every segment keeps a
// serving replica throughout. A segment whose new replica reports ERROR or
// does not come up in time gets its old assignment back and is named in
// the returned *ExecuteError.
package assign
