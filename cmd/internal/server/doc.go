// Package server is the server role: it hosts the sealed segments the
// cluster assigns to it and answers query fragments over them.
//
// New binds the admin HTTP port (Pinot's 8097) and the query gRPC port
// (8090); Run registers the instance as Server_<host>_<admin port> under
// an etcd lease and then follows the metadata cache:
//
//   - Every segment whose assignment names this server with target ONLINE
//     (and that has a record) is loaded from <data-dir>/<table>/<segment>.tseg
//     when that file's trailer CRC equals the record's; otherwise it is
//     downloaded from the deep store into a temporary file, opened (every
//     section CRC checked), checked against the record's CRC (VerifyCRC),
//     synced and renamed into place. At most -load-parallelism loads run
//     at once; the watch loop never waits for them.
//   - The result is reported in the external view: ONLINE, or ERROR with
//     a message naming the segment. An ERROR segment is retried when its
//     record is written again (or at the next start); a record with a new
//     CRC (a re-upload) is loaded beside the old version, which serves
//     until the new one replaces it.
//   - A segment that leaves the assignment (or whose table is deleted) is
//     unloaded: its state is withdrawn first so brokers stop routing to
//     it, then the queries holding it finish, then it is closed and its
//     file deleted.
//
// Each segment has one slot; a worker goroutine per slot carries out the
// slot's steps one at a time (load, report, unload), so the file and the
// view key of one segment never see two writers. desired is the pure
// function from a cluster.Snapshot to the segments to serve.
//
// Realtime tables (realtime.go): for every segment assigned here
// CONSUMING, a realtime/consumer.Partition per (table, stream partition)
// consumes the stream into a consuming segment that queries read through
// its snapshots at once, reported CONSUMING; the completion protocol goes
// through node.Deps.Completion. A committed segment's sealed file is
// written to its local path, so when the assignment turns ONLINE the
// manager opens it without a download (CRC match) and releases the
// consuming one. GET /tables/{t}/consumingSegmentsInfo answers the
// realtime/consuminginfo contract.
//
// Query fragments (querypb.Query/Execute) name a table and segments; the
// server takes a reference on each named segment it has open for the
// duration of the call, lists the others in missing_segments, runs
// exec.Execute and returns the Partial's binary encoding. The gRPC deadline
// and cancellation bound the work; codeOf (status.go) is the one table from
// errors to gRPC codes.
//
// The admin API serves GET /health and /health/readiness (200 "OK" once
// registered and the segments assigned at start are ONLINE or ERROR, 503
// before), /health/liveness, /tables and /tables/{table}/segments.
//
// On shutdown the lease is revoked (the live key and every state go at
// once), in-flight queries drain for up to -shutdown-timeout and segments
// are closed; the local files stay, so a restart reloads them without
// downloading. If the lease is lost while running (etcd unreachable past
// the TTL), the server registers again and reports every segment again.
package server
