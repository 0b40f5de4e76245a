// Package kinesis is the Amazon Kinesis Data Streams provider of
// stream.Stream, on aws-sdk-go-v2 (JSON 1.1 protocol, which kinesalite, the
// Kinesis-API server the tests run, also serves).
//
// # Use
//
//	cfg := kinesis.DefaultConfig()
//	cfg.StreamName, cfg.Region = "clicks", "us-east-1"
//	s, err := kinesis.New(ctx, cfg)      // no request is made yet
//	parts, err := s.Partitions(ctx)      // ListShards, with lineage
//	c, err := s.Consumer(parts[0].ID)
//	res, err := c.Fetch(ctx, stream.Start, 1000)
//	// ... process res.Records, then fetch from res.Next
//
// # Partitions
//
// A partition is a shard. Partitions pages through ListShards; a shard's
// parents are its ParentShardId and AdjacentParentShardId (a split has one
// parent, a merge two), and a shard is Closed once its SequenceNumberRange
// has an EndingSequenceNumber. A parent that ListShards no longer lists has
// aged out of the stream's retention whole, so nothing of it is left to
// read; it is dropped from Parents, or its children would wait for it
// forever.
//
// # Offsets
//
// An offset is one of (the text is what Offset holds):
//
//	""            stream.Start: before the oldest retained record (TRIM_HORIZON)
//	"@<ms>"       stream.AtTime: before the first record that arrived at or
//	              after <ms> epoch milliseconds (AT_TIMESTAMP)
//	"<seq>"       after the whole Kinesis record <seq> (AFTER_SEQUENCE_NUMBER)
//	"<seq>/<i>"   after user record <i> (0-based) of the KPL-aggregated
//	              record <seq>, when more user records of it follow
//	              (AT_SEQUENCE_NUMBER <seq>, then skip user records 0..<i>)
//
// <seq> is a Kinesis sequence number in canonical decimal (no sign, no
// leading zero, 1 to 129 digits: the API's pattern 0|([1-9]\d{0,128})); <i>
// is a canonical decimal below 2^31. The last user record of an aggregate
// gets the plain "<seq>", so a fully consumed record always resumes with
// AFTER_SEQUENCE_NUMBER, as it would without aggregation. Compare orders
// Start, then AtTime markers by time, then record offsets by sequence
// number as a big integer (length, then digits), then by <i>, with the
// plain "<seq>" after every "<seq>/<i>". Any other text is an error naming
// the offset.
//
// # Fetch
//
// A Consumer keeps its shard iterator between fetches while each Fetch
// starts where the previous one ended (from equals the last Next), so the
// steady state is one GetRecords per fetch and no GetShardIterator. Any
// other from starts over with GetShardIterator. GetRecords is paced by a
// per-shard rate limiter (Config.RequestsPerSecond, Pinot's
// requests_per_second_limit, default 1 per shard: Kinesis allows 5 reads a
// second per shard, shared by every reader of it). A Fetch that finds no
// records polls again every Config.IdlePoll until Config.MaxWait has passed,
// then returns empty; callers loop.
//
// Errors: throttling (ProvisionedThroughputExceeded, LimitExceeded, HTTP
// 429) backs off exponentially with jitter, across Fetch calls, without
// returning an error (a Fetch that would wait longer than MaxWait returns
// empty); an expired iterator is replaced by a new one from the last offset;
// ResourceNotFound is stream.ErrUnknownPartition; a trimmed position
// (TrimmedDataAccessException, or an aggregate to resume inside that is no
// longer there) is stream.ErrOffsetExpired. The SDK's own retryer handles
// connection errors and 5xx but not throttling, so that the backoff lives in
// one place. A GetRecords without NextShardIterator means the shard is
// closed and read to its end: EndOfPartition. MillisBehindLatest is LagMs.
//
// # KPL aggregation
//
// The Kinesis Producer Library packs many user records into one Kinesis
// record:
//
//	magic  F3 89 9A C2
//	body   protobuf AggregatedRecord
//	         1: repeated string partition_key_table
//	         2: repeated string explicit_hash_key_table
//	         3: repeated Record records
//	              1: uint64 partition_key_index   (into partition_key_table)
//	              2: uint64 explicit_hash_key_index
//	              3: bytes  data
//	              4: repeated Tag tags
//	md5    16 bytes, MD5 of body
//
// Fetch splits such records into their user records, each with its own
// partition key and offset. A record whose checksum or body does not check
// out is delivered whole as one record, as the KCL does; the decoder then
// counts it as undecodable.
package kinesis
