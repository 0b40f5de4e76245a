// Package segment is the read contract that sealed (immutable, memory-mapped)
// and consuming (mutable, in-memory) segments share, so that the query engine
// runs one set of operators over both, as Prometheus runs one query engine
// over its head block and its persisted blocks.
//
// A segment holds the rows of one table in columns. A column is either
// dictionary-encoded (a Dictionary of distinct values and, per document, the
// id of its value) or raw (values stored as they are). Readers fill caller
// owned slices a batch of documents at a time: one interface call per batch,
// never one per value.
//
// The ColumnBuffer type is the columnar input to segment builders: ingestion
// decodes rows straight into buffers and hands them to a builder.
package segment
