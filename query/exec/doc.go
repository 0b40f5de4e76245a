// Package exec plans and runs SQL statements over a table's segments:
// Pinot's single-stage query engine, split the way a cluster runs it.
//
// A server runs a statement over the segments it hosts with Execute and
// gets a Partial: for an aggregation, its segments' groups merged into one
// group table (partial aggregates before HAVING, ORDER BY and LIMIT); for
// a selection, its candidate rows (at most OFFSET+LIMIT, top-N'ed when the
// statement orders them). A broker plans the same statement from the
// schema alone and merges the partials of every server with Reduce into
// the final Result: partial aggregates merged, HAVING, ORDER BY, DISTINCT,
// OFFSET/LIMIT and the select list evaluated.
//
//	part, err := exec.Execute(ctx, table, st)          // on each server
//	buf, err := part.AppendBinary(nil)                  // to the broker
//	part, err = exec.UnmarshalPartial(buf)
//	res, err := exec.Reduce(ctx, schema, name, st, parts) // on the broker
//
// Run and Query do both in one process, handing the one Partial over
// without encoding it. PARTIAL.md specifies the wire encoding byte by
// byte: typed key columns and each aggregate's state per group (counts,
// sums, extremes, distinct sets, HyperLogLog and t-digest sketches),
// versioned and checksummed.
//
// Inside a server, segments run in parallel, a batch of documents at a
// time: filters become doc-id sets through the segment's indexes (sorted,
// inverted, range) or predicate evaluation on dictionary ids; GROUP BY
// groups dictionary ids (dense arrays when the key space is small, hashed
// packed keys otherwise), keeping at most numGroupsLimit groups per
// segment as Pinot does (Stats.NumGroupsLimitReached reports a cut);
// COUNT(*) and MIN/MAX may come from segment metadata alone. Groups of one
// sorted string key merge across segments, and across servers, by a k-way
// merge instead of hashing.
//
// Errors name what failed and carry a class for the broker's mapping onto
// Pinot's error codes: ErrUnknownColumn, ErrPlanning and ErrTimeout (the
// statement's timeoutMs, which bounds Execute).
package exec
