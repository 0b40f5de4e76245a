package completion

import (
	"context"

	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
)

// Controller is the replica's side of the protocol: what a server's
// partition consumer calls, with the controller leader's answers. The HTTP
// implementation speaks Pinot's endpoints (/segmentConsumed,
// /segmentCommitStart, /segmentCommitEnd, /segmentStoppedConsuming) to
// whichever controller leads, following NotLeader answers; tests use an
// in-process one around FSMs.
//
// An error means no answer arrived (network, timeout, no leader): the
// replica waits a little and reports again with Consumed, as after Failed.
type Controller interface {
	// Consumed reports that the replica stopped consuming segment at
	// offset, having read rows rows, for reason; the answer says whether to
	// hold, catch up, commit, keep or discard.
	Consumed(ctx context.Context, r Report) (Response, error)
	// CommitStart announces that the committer built the segment up to
	// r.Offset and starts its upload.
	CommitStart(ctx context.Context, r Report) (Response, error)
	// CommitEnd announces the uploaded segment; the answer is the outcome
	// of the commit (CommitSuccess, or Failed and report again).
	CommitEnd(ctx context.Context, r Report, u Upload) (Response, error)
	// StoppedConsuming reports that the replica gave up on the segment (an
	// error it cannot get past); the controller marks it OFFLINE.
	StoppedConsuming(ctx context.Context, r Report) (Response, error)
}

// Report identifies one replica's message about one consuming segment.
type Report struct {
	Segment  string
	Instance string
	// Offset is where the replica stopped: the offset after its last row.
	Offset stream.Offset
	Reason Reason
	Rows   int
	// Message explains a StoppedConsuming report.
	Message string
}

// Upload describes the sealed segment the committer uploaded.
type Upload struct {
	// DownloadURI is the deep store's name for it (Pinot's downloadUrl)
	// and Key its deep store key.
	DownloadURI string
	Key         string
	// Meta is the sealed segment's metadata (row count, time range, CRC,
	// start and end offsets).
	Meta *segment.Meta
}
