// Package batch loads files of rows (CSV, JSON lines, Parquet) into
// sealed segments, as Pinot's batch ingestion jobs do.
//
//	rep, err := batch.Ingest(ctx, batch.Config{
//		Schema: sch, Table: tbl,
//		Inputs: []string{"2024-11.jsonl.gz", "2024-12.csv"},
//		OutDir: "segments/",
//		RowsPerSegment: 1_000_000,
//		OnError: batch.OnErrorSkip,
//	}, func(p batch.Progress) { ... })
//
// Each file is read in batches of a few thousand records (package
// ingest/decode): converted to the schema's types, run through the
// table's transformConfigs and filterConfig, and appended to the column
// buffers of the segment being gathered. Rows accumulate across files; a
// segment is cut every RowsPerSegment rows (and, optionally, every
// MaxSegmentBytes of values) and built by segment/immutable in a goroutine
// of its own, while the next segment's rows are decoded. The table
// config's indexes (inverted, sorted, range, bloom, no-dictionary, with
// fieldConfigList folded in) go to the builder.
//
// Segments are named as Pinot's SimpleSegmentNameGenerator names them:
// the raw table name, the smallest and largest time column values, and a
// sequence number, joined by '_' ("transactions_1730419200000_1731023999000_0"),
// or without the time when the table has no time column. The file is
// OutDir/<name>.tseg.
//
// # Formats
//
// CSV files start with a header naming the columns; fields may be quoted
// (RFC 4180, line breaks inside quotes included); multi-value columns
// split a field on a delimiter (';' by default); an empty unquoted field
// is null. JSON lines hold one object per line; blank lines are skipped.
// Both may be gzip-compressed (.gz). Parquet files are read through
// arrow-go's pqarrow, only the columns needed, a record batch at a time;
// lists fill multi-value columns and timestamps of any unit become epoch
// millis.
//
// # Bad records
//
// A record that does not decode or transform is rejected with its file,
// line (or Parquet row), column, value and a reason. OnErrorSkip counts
// rejected records per reason, keeps the first few of each, and goes on;
// OnErrorStop ends the ingestion with a *RowError at the first one
// (Pinot's default, and the default here unless the table sets
// ingestionConfig.continueOnError):
//
//	tx.csv:1043: column "price": value "12,50": not a DOUBLE
//
// The Report tells rows read, written, filtered and skipped, the segments
// written, and the elapsed time, also when Ingest fails.
package batch
