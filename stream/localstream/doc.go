// Package localstream is a stream on local disk for the quickstart and for
// tests that need a stream surviving a restart: one append-only log file
// per partition under a directory, written by the quickstart's demo
// generator through Append or Produce and read through the stream.Stream
// interface. It passes streamtest's acceptance test, partition splits and
// merges included.
//
//	s, err := localstream.Open(dir, localstream.Options{Partitions: 4})
//	part, off, err := s.Produce("user-17", []byte(`{"price": 3}`))
//	c, err := s.Consumer(part)
//	r, err := c.Fetch(ctx, stream.Start, 1000)
//
// # Layout
//
// The directory holds LOCK (flock'ed by the one process that has the
// stream open: wake-ups of waiting fetches are in-process, so producer and
// consumers share one *Stream), partitions.json (the partitions, their
// parents and whether they are closed; replaced atomically by rename) and
// one <partition id>.log per partition. A log is a sequence of frames:
//
//	u32 body length (little endian)
//	u32 CRC-32C (Castagnoli) of the body
//	body: i64 arrival, epoch ms | u32 key length | key | data
//
// A record's offset is the byte position just after its frame, in decimal,
// so fetching from an offset is a read at that position; an offset that is
// not a frame boundary is rejected by walking the frames from the nearest
// entry of a sparse in-memory index (every 64th frame: position and
// arrival), which also finds AtTime offsets by binary search (arrivals
// never go backwards within a partition).
//
// # Crash safety
//
// Each Append is one write at the end of the log; a process killed in the
// middle leaves a torn frame, which Open finds (short frame or CRC
// mismatch) and truncates, logging what it dropped. Appends reach the
// operating system before Append returns, so they survive the process
// being killed; Options.Sync adds an fsync per Append for power loss.
//
// # Speed
//
// Appends wake waiting fetches through a channel per partition (no polling),
// so a consumer sees a record within microseconds of Append returning. A
// Fetch reads up to 1 MiB of frames with one pread into the consumer's
// buffer; Records' Data point into that buffer (valid until the next
// Fetch, as the contract allows), so reading allocates nothing per record.
package localstream
