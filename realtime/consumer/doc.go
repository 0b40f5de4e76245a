// Package consumer is the server's partition consumer of realtime
// ingestion: one Partition per stream partition, per table, per replica.
// It reads the partition into consuming segments (segment/mutable) that
// queries see at once, stops each at a flush threshold, and runs the
// replica's side of the segment completion protocol
// (realtime/completion/PROTOCOL.md) through a completion.Controller: hold,
// catch up, commit (seal, upload to the deep store, commit end), keep or
// discard. It knows nothing of etcd or gRPC: the server (cmd/internal/server)
// feeds it the consuming segments the cluster assigns (Assign, Done) and
// serves what it hands back through Host.
//
// # Segments, one after another
//
//	p := consumer.New(cfg, deps)
//	go p.Run(ctx)
//	p.Assign(consumer.Spec{Name: seg, Start: start, CreatedMs: ms}) // from the metadata watch
//
// Run's goroutine is the only reader of the stream for new records and the
// only writer of the segment being consumed: a fetch goroutine fetches
// ahead (one fetch in flight; FetchResult data stays valid until the next
// one), the loop decodes each fetch into decode.Batches (JSON or CSV, the
// table's transforms and filter) and appends them to the mutable segment.
//
// When a threshold is reached — rows (the segment's own row threshold,
// Spec.FlushRows from its record; every replica stops at the same record,
// so the first report commits at once), time
// since the segment started, EstimatedSizeBytes, or the end of a closed
// partition (endOfPartitionGroup) — the segment stops consuming and a
// completion goroutine takes it through the protocol, sequentially:
// Consumed; HOLD → report again after HoldPause; CATCH_UP(x) → read, with
// a stream consumer of its own, exactly to the record whose offset is x;
// COMMIT(x) → seal the rows (SealRows, sorted on the table's sorted column,
// with its indexes) into Host.SealPath, CommitStart, upload to a fresh
// deep-store key <table>/<segment>.tseg.<random>, CommitEnd; KEEP → seal
// the own copy; DISCARD → Host.Discarded (the server downloads the
// committed file); FAILED or no answer → back off and report again.
//
// # No freshness gap
//
// As soon as a segment's end offset E is known (COMMIT(x) makes it x unless
// the commit fails; KEEP and DISCARD name it), the loop starts the next
// segment at E, unnamed, and keeps consuming into it while the previous one
// is sealed and uploaded. The controller opens the next segment in the
// commit transaction; when its Assign arrives with start E, the pending
// segment takes its name and Host.Consuming makes it queryable with every
// row read so far. A pending segment whose start turns out wrong (the
// commit failed and another replica committed elsewhere) is dropped and
// started again at the right offset. It reads ahead under the threshold
// of the segment it follows, since its own is decided in the commit: a
// higher recorded threshold lets it consume on, an equal one stops it
// where it is, and a lower one than the rows it already holds (an
// autotuned table whose rows grew wider) drops it and reads the same
// records again into a segment of the recorded size, so that every
// replica stops at the same row. The previous segment keeps serving
// queries until the server has its sealed file ONLINE.
//
// # Exactly once
//
// A segment holds exactly the records after its start offset up to its
// end offset, and the next starts there: stops are at record boundaries
// (a fetch is cut at the CATCH_UP target or the row limit), and a restart
// consumes the consuming segment again from its start offset.
//
// # Bad records
//
// A record longer than MaxRecordBytes (oversized_record), undecodable
// (malformed_json, malformed_csv, ...), with a wrong type (bad_number,
// type_mismatch, ...), failing a transform (transform_error) or with a null
// in a notNull schema field after the transforms (missing_required_field)
// is skipped and counted per reason; it is logged with its partition and
// offset (Kinesis sequence number), at most once per reason every
// LogEvery. The partition keeps consuming.
//
// Stats returns the partition's numbers for the server's
// consumingSegmentsInfo endpoint (realtime/consuminginfo).
package consumer
