// Package broker is the broker role: Apache Pinot's query API in front of
// the cluster's servers.
//
// A query arrives as POST /query/sql or POST /query with Pinot's JSON body
// ({"sql", "queryOptions": "k=v;k=v", "trace"}) or as GET
// /query/sql?sql=&trace=&queryOptions=. The broker
//
//  1. parses the SQL (query/sql); options set in the SQL (SET, OPTION)
//     win over the body's queryOptions; keys are case-insensitive;
//  2. resolves the table, "t" to t_OFFLINE or t_REALTIME (hybrid tables
//     are refused for now: no time boundary);
//  3. routes from the current cluster.Snapshot (route.go, pure functions
//     of the snapshot, cached per revision): segments pruned by their
//     metadata (exec.Pruner: time range, min/max) and by partition
//     (partition.go: when the table config's segmentPartitionConfig names
//     exactly one column and a top-level AND conjunct is `col = literal`
//     or `col IN (literals)`, the literals' partitions are computed with
//     the configured function (segment/partition) and segments whose
//     Meta.PartitionID is neither -1 nor among them are skipped; OR, NOT
//     IN, ranges, FLOAT/DOUBLE/BOOLEAN/BYTES columns and consuming
//     segments are never partition-pruned); both count in
//     numSegmentsPrunedByBroker; then one replica per segment among the
//     assigned servers that are live and report it ONLINE or CONSUMING,
//     rotating per query; a segment uploaded less than NewSegmentGrace ago
//     that no (live) assigned server has reported yet is skipped, not
//     reported unavailable (Pinot's new-segment rule);
//  4. scatters one querypb Execute call per server (deadline: the query's
//     timeout, -timeout-ms bounding the timeoutMs option) and gathers the
//     partials (scatter.go): failed calls and missing segments are retried
//     on other replicas, servers still silent after -hedge-after (default
//     half the timeout) are hedged on another replica, and segments left
//     without an answer make the result partial with exceptions 305 / 427,
//     never a silently wrong answer; a query error from a server
//     (INVALID_ARGUMENT) is the answer;
//  5. reduces the partials (exec.Reduce) and answers with Pinot's
//     BrokerResponseNative JSON (response.go), encoded without reflection;
//     without enableNullHandling (option or -enable-null-handling), NULL
//     cells show as Pinot shows them: the column's default null value.
//
// Query errors are HTTP 200 with exceptions {errorCode, message}, as Pinot
// answers; errors.go is the one table from errors to Pinot's codes and
// from codes to the HTTP statuses a client gets when it sends
// Pinot-Use-Http-Status-For-Errors: true. GET /health answers "OK" once
// the broker is registered in the cluster.
package broker
