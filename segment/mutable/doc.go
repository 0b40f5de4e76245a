// Package mutable is the consuming segment of realtime ingestion: rows
// decoded from a stream partition are appended to it and are queryable at
// once, through the same segment.Segment interface sealed segments serve,
// until it is sealed into an immutable segment file.
//
// # Writing and reading
//
// One goroutine writes; any number read, without locks:
//
//	seg, _ := mutable.New(mutable.ConfigFromTable(name, schema, table, flushRows))
//	// writer, per decoded batch (ingest/decode):
//	err := seg.Append(batch) // or AppendColumns(buffers); ErrFull when over capacity
//	// a query:
//	snap := seg.Snapshot() // a segment.Segment of the rows published so far
//
// Append writes the new rows past the end of every column, then publishes
// them with one atomic pointer store of a small state record (row count,
// per column the dictionary prefix, chunk directories and statistics).
// Snapshot loads that record once; everything it reads lies below the
// published count, memory the writer never writes again, so a snapshot
// sees exactly a prefix of the rows however long the query runs.
//
// # Storage
//
//   - Columns live in fixed-size chunks (up to 64K values) that never move:
//     growing a column allocates a chunk, it never copies what readers hold.
//     Single-value dictionary columns keep one uint32 id per row; multi-value
//     columns their ids back to back plus each row's end offset; raw
//     (noDictionaryColumns) columns their values.
//   - Dictionaries are in insertion order (segment.Dictionary.Sorted is false,
//     unless the values happened to arrive ascending) with a hash index
//     (open addressing, atomic slot stores, copied to a larger table when
//     half full) behind segment.DictLookup, so a reader finds a value's id
//     while the writer adds others.
//   - Null rows are listed as they come; nulls and the realtime inverted
//     index are folded every 16K rows into immutable roaring bitmaps, and a
//     reader adds the few rows after the last fold itself (see inverted.go).
//   - Statistics (cardinality, min/max of non-null values, null count,
//     sortedness, the time range in epoch millis) are kept as rows arrive,
//     so Meta costs nothing per query.
//
// # Sealing
//
// Seal and SealRows copy a snapshot's first n rows into column buffers and
// build an immutable segment file with immutable.Build (sorted on the
// table's sorted column, with its indexes). The file depends only on the
// rows and the BuildConfig, so replicas that consumed the same records
// build identical files. Sealing reads a snapshot: the writer may move on
// and queries keep reading while it runs.
//
// EstimatedSizeBytes reports the memory held, for the size-based flush
// threshold.
package mutable
