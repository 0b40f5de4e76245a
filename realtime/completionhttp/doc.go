// Package completionhttp is the HTTP wire format of the realtime segment
// completion protocol (realtime/completion, PROTOCOL.md) and a Client that
// speaks it to the leading controller, implementing completion.Controller
// for the servers' partition consumers.
//
// # Requests
//
// The paths, query parameters and answers are Apache Pinot's
// (SegmentCompletionProtocol, LLCSegmentCompletionHandlers), served on the
// controller's REST port:
//
//	GET  /segmentConsumed?name=S&instance=I&streamPartitionMsgOffset=O&reason=R&rowCount=N
//	GET  /segmentStoppedConsuming?name=S&instance=I&streamPartitionMsgOffset=O&reason=MSG
//	GET  /segmentCommitStart?name=S&instance=I&streamPartitionMsgOffset=O&rowCount=N
//	POST /segmentCommitEnd?name=S&instance=I&streamPartitionMsgOffset=O&location=URI&reason=R&rowCount=N
//	     body: {"downloadUri": URI, "deepStoreKey": K, "metadata": {...}}
//
// name is the LLC segment name, instance the server's instance name,
// streamPartitionMsgOffset the stream.Offset where the replica stopped (a
// Kinesis sequence number; Pinot's deprecated numeric "offset" parameter
// is not sent nor read), reason one of completion's Reason strings.
//
// # Answers
//
// Every answer is HTTP 200 with Pinot's JSON:
//
//	{"status": "COMMIT", "offset": -1, "streamPartitionMsgOffset": "4711",
//	 "buildTimeSec": 120, "isSplitCommitType": true, "message": "..."}
//
// status is a completion.Status name (HOLD, CATCH_UP, COMMIT,
// COMMIT_CONTINUE, COMMIT_SUCCESS, KEEP, DISCARD, FAILED, PROCESSED,
// NOT_LEADER); "message" (Tannin's addition) explains FAILED. A
// controller that does not lead answers NOT_LEADER; the Client then asks
// its Leaders again and retries. A malformed request (no name, an offset
// the stream could not have produced) is answered FAILED with the reason,
// as Pinot does.
//
// # How segmentCommitEnd differs from Pinot's
//
// Pinot's committer either uploads the file to the controller
// (segmentCommit, or segmentUpload then segmentCommitEnd with its
// location) or, with peer download / server upload to deep store, sends
// segmentCommitEndWithMetadata: a multipart body with the segment's
// metadata.properties and creation.meta files. In Tannin the server always
// uploads to the deep store itself, under a key of its own for this
// attempt, and segmentCommitEnd is a POST whose JSON body carries the
// deep-store URI and key and the sealed segment's metadata in the segment
// file's own JSON encoding (immutable.MarshalMeta: row count, time range,
// columns with min/max, CRC, size, start and end offsets). The controller
// never touches the file. The URI is also sent as Pinot's "location"
// parameter. "reason" may repeat the committer's stop reason so that an
// endOfPartitionGroup commit is recorded as the partition's end.
package completionhttp
