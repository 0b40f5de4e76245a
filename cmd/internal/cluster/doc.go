// Package cluster keeps Tannin's cluster metadata in etcd: schemas, table
// configs, one record per segment, per-segment assignments (ideal state),
// instances with their liveness leases, per-server segment states (external
// view) and the controller election. KEYS.md gives the key layout.
//
// Writers use Store, whose state transitions are etcd transactions on
// create or mod revisions. Readers use Cache, which loads the metadata at
// one revision and follows a watch, publishing an immutable Snapshot per
// change; routing, assignment and rebalance decisions are pure functions of
// a Snapshot. Register holds a process's liveness lease and the segment
// states it reports; Campaign elects the controller leader. Embedded starts
// an etcd server inside the process (quickstart, tests, `tannin etcd`).
package cluster
