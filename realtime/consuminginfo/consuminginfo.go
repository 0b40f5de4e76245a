// Package consuminginfo is the JSON contract for the state of consuming
// segments, in two shapes:
//
//   - Server: what one server's admin port answers at
//     GET /tables/{tableNameWithType}/consumingSegmentsInfo — one entry per
//     consuming segment it hosts, with its partition consumer's numbers.
//     This is Tannin's own server-to-controller contract (Pinot's server
//     answers a list of SegmentConsumerInfo; Tannin's carries the same facts
//     plus rows, rows/s and the lag in milliseconds the stream reports).
//   - Table: what the controller answers at the same path on its REST port,
//     in Apache Pinot's shape (ConsumingSegmentInfoReader's
//     ConsumingSegmentsInfoMap), built by fanning out to the servers that
//     host the table's consuming segments, so Pinot's UI and scripts that
//     read _segmentToConsumingInfoMap keep working.
//
// Pinot keys its per-partition maps by the stream partition id; Tannin keys
// them by the segment's partition group id (llcname.PartitionGroupID of the
// Kinesis shard id) in decimal, as Pinot does for Kafka partitions, so one
// segment's maps have one entry.
//
// A partition that stopped is reported as stopped (ConsumerState
// StateStopped with Message), never by leaving its segment out: the
// controller lists every consuming segment from the cluster metadata and
// fills in what the servers say, adding an entry with StateUnreachable for a
// replica that did not answer.
package consuminginfo

// Consumer states. Pinot's servers report CONSUMING or NOT_CONSUMING;
// Tannin adds why a consumer is not consuming.
const (
	// StateConsuming: the consumer is reading the stream into the segment.
	StateConsuming = "CONSUMING"
	// StateNotConsuming: the segment reached its end (a threshold or the
	// end of the partition) and is in the completion protocol (holding,
	// catching up, committing).
	StateNotConsuming = "NOT_CONSUMING"
	// StateStopped: the consumer gave up on the segment (an error it
	// cannot get past); Message says why. The controller's validation task
	// repairs the partition.
	StateStopped = "STOPPED"
	// StateUnreachable: set by the controller for a replica the
	// assignment names but whose server did not answer (down, timed out,
	// or not hosting the segment).
	StateUnreachable = "UNREACHABLE"
	// StateMissing: set by the controller for a replica whose server
	// answered but does not list the segment (not loaded yet, or dropped
	// after an error).
	StateMissing = "MISSING"
)

// Pinot's markers for a lag it could not compute, in the controller's
// string maps.
const (
	LagUnknown = "UNKNOWN"
)

// Unknown is the value of a numeric field the server does not know (a
// stream that reports no lag, a consumer that has not fetched yet).
const Unknown = -1

// ServerSegment is one consuming segment as one server's consumer sees it.
type ServerSegment struct {
	// Segment is the LLC segment name.
	Segment string `json:"segmentName"`
	// Partition is the stream partition (Kinesis shard id) and
	// PartitionGroup its partition group id (the name's second part).
	Partition      string `json:"partition"`
	PartitionGroup int    `json:"partitionGroupId"`
	// State is one of the State constants.
	State string `json:"consumerState"`
	// Rows is the number of rows in the segment; RowsPerSec the recent
	// ingestion rate into it.
	Rows       int64   `json:"rows"`
	RowsPerSec float64 `json:"rowsPerSec"`
	// StartOffset is the segment's start offset and CurrentOffset the
	// offset after the last record consumed (stream.Offset strings).
	StartOffset   string `json:"startOffset"`
	CurrentOffset string `json:"currentOffset"`
	// LatestUpstreamOffset is the partition's newest offset when the
	// stream tells (empty when not: Kinesis does not).
	LatestUpstreamOffset string `json:"latestUpstreamOffset,omitempty"`
	// RecordsLag is how many records the consumer is behind, or Unknown.
	RecordsLag int64 `json:"recordsLag"`
	// LagMs is how far behind the partition's newest record the consumer
	// is, as the stream reports it (Kinesis MillisBehindLatest), or
	// Unknown.
	LagMs int64 `json:"lagMs"`
	// IngestionDelayMs is now minus the arrival time of the last record
	// consumed, or Unknown.
	IngestionDelayMs int64 `json:"ingestionDelayMs"`
	// LastConsumedMs is when the consumer last appended a record, epoch
	// milliseconds (0: never).
	LastConsumedMs int64 `json:"lastConsumedTimestamp"`
	// BadRecords counts skipped records per reason ("undecodable",
	// "missingField", ...).
	BadRecords map[string]int64 `json:"badRecords,omitempty"`
	// Message says why the consumer stopped (StateStopped).
	Message string `json:"message,omitempty"`
}

// Server is one server's answer: its consuming segments of the table.
type Server struct {
	Table    string          `json:"tableName"`
	Segments []ServerSegment `json:"segments"`
}

// PartitionOffsetInfo is Pinot's per-partition offsets and lags, keyed by
// partition group id in decimal; values are strings as in Pinot.
type PartitionOffsetInfo struct {
	CurrentOffsetsMap       map[string]string `json:"currentOffsetsMap"`
	LatestUpstreamOffsetMap map[string]string `json:"latestUpstreamOffsetMap"`
	RecordsLagMap           map[string]string `json:"recordsLagMap"`
	AvailabilityLagMsMap    map[string]string `json:"availabilityLagMsMap"`
}

// SegmentServer is one replica of one consuming segment in the
// controller's answer: Pinot's ConsumingSegmentInfo plus Tannin's numbers.
type SegmentServer struct {
	ServerName            string              `json:"serverName"`
	ConsumerState         string              `json:"consumerState"`
	LastConsumedTimestamp int64               `json:"lastConsumedTimestamp"`
	PartitionToOffsetMap  map[string]string   `json:"partitionToOffsetMap"`
	PartitionOffsetInfo   PartitionOffsetInfo `json:"partitionOffsetInfo"`
	// Tannin's additions.
	Rows             int64            `json:"rows"`
	RowsPerSec       float64          `json:"rowsPerSec"`
	IngestionDelayMs int64            `json:"ingestionDelayMs"`
	BadRecords       map[string]int64 `json:"badRecords,omitempty"`
	Message          string           `json:"message,omitempty"`
}

// Table is the controller's answer, in Pinot's ConsumingSegmentsInfoMap
// shape, plus Tannin's per-partition status from the validation task.
type Table struct {
	ServersFailingToRespond  int                        `json:"serversFailingToRespond"`
	ServersUnparsableRespond int                        `json:"serversUnparsableRespond"`
	SegmentToConsumingInfo   map[string][]SegmentServer `json:"_segmentToConsumingInfoMap"`
	// Partitions is the controller's view of each partition group
	// (Tannin's addition): its consuming segment and whether it is
	// healthy, waiting for parents, done, or stuck — so a partition never
	// silently stops.
	Partitions []PartitionStatus `json:"partitions,omitempty"`
}

// Partition statuses the controller reports.
const (
	// PartitionConsuming: a consuming segment with a live replica.
	PartitionConsuming = "CONSUMING"
	// PartitionWaitingForParents: a child shard whose parents are not
	// read to their end yet.
	PartitionWaitingForParents = "WAITING_FOR_PARENTS"
	// PartitionEnded: a closed shard read to its end; nothing follows.
	PartitionEnded = "ENDED"
	// PartitionRepaired: the validation task replaced a lost consuming
	// segment in its last run.
	PartitionRepaired = "REPAIRED"
	// PartitionStuck: the validation task could not fix the partition
	// (no live server, a shard whose data already expired); Message says
	// why.
	PartitionStuck = "STUCK"
)

// PartitionStatus is one partition group's status in the controller's view.
type PartitionStatus struct {
	PartitionGroup int    `json:"partitionGroupId"`
	Partition      string `json:"partition"`
	Segment        string `json:"segment,omitempty"`
	Status         string `json:"status"`
	Message        string `json:"message,omitempty"`
	// CheckedMs is when the validation task last looked, epoch ms.
	CheckedMs int64 `json:"checkedMs,omitempty"`
}
