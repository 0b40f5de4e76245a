// Package datagen produces deterministic synthetic tables for tests,
// benchmarks and demos: the same seed and row count always give the same
// rows, on every machine, whatever the batch size.
//
// Two data sets are provided, each with a matching *schema.Schema:
//
//   - WebTransactions: a small e-commerce event table (userID, product
//     vocabulary, campaign, price, creationTimestamp over November 2024),
//     also written as raw JSON lines or CSV for ingestion tests.
//   - Clickstream: about 40 columns modelled on ClickBench's hits table
//     (WatchID, CounterID, URL, SearchPhrase, ...), with skewed low- and
//     high-cardinality columns, mostly-empty strings, ~5% nulls in a few
//     numeric and string columns, and an optional multi-value column.
//
// Rows are generated in batches of columnar buffers, the builders' input:
//
//	ds := datagen.Clickstream{}
//	sch := ds.Schema()
//	err := ds.Generate(42, 10_000_000, 100_000, func(cols []*segment.ColumnBuffer) error {
//		// cols[i] belongs to sch.Fields[i]; the buffers are fresh for every
//		// batch, so the callback may keep them.
//		return build(cols)
//	})
//
// Memory stays bounded by the batch size. Generation is fast (several
// million rows per second per core): values are drawn from PCG streams
// (math/rand/v2) and prebuilt vocabularies, never formatted per row.
//
// Rows come out in time order (the time column grows with the row index),
// as a stream would deliver them, so that consecutive batches cover
// disjoint time ranges and time-based segment pruning has work to do.
package datagen
