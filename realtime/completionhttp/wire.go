package completionhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/stream"
)

// The request paths (Pinot's message types).
const (
	PathConsumed         = "/segmentConsumed"
	PathStoppedConsuming = "/segmentStoppedConsuming"
	PathCommitStart      = "/segmentCommitStart"
	PathCommitEnd        = "/segmentCommitEnd"
)

// The query parameters (Pinot's PARAM_* names).
const (
	ParamSegment  = "name"
	ParamInstance = "instance"
	ParamOffset   = "streamPartitionMsgOffset"
	ParamReason   = "reason"
	ParamRows     = "rowCount"
	ParamLocation = "location"
)

// Response is an answer on the wire, in Pinot's JSON.
type Response struct {
	Status string `json:"status"`
	// Offset is Pinot's deprecated numeric offset, always -1: Kinesis
	// sequence numbers do not fit a long.
	Offset       int64  `json:"offset"`
	StreamOffset string `json:"streamPartitionMsgOffset,omitempty"`
	// BuildTimeSec is the committer's time budget with COMMIT, else -1.
	BuildTimeSec int64 `json:"buildTimeSec"`
	// SplitCommit is always true: the committer uploads the file apart
	// from the commit messages.
	SplitCommit bool   `json:"isSplitCommitType"`
	Message     string `json:"message,omitempty"`
}

// EncodeResponse is r on the wire.
func EncodeResponse(r completion.Response) Response {
	w := Response{Status: r.Status.String(), Offset: -1, StreamOffset: string(r.Offset), BuildTimeSec: -1,
		SplitCommit: true, Message: r.Message}
	if r.BuildTime > 0 {
		// Round up: a budget of 1.5 s must not read as 1 s.
		w.BuildTimeSec = int64((r.BuildTime + time.Second - 1) / time.Second)
	}
	return w
}

// Decode is EncodeResponse's inverse.
func (w Response) Decode() (completion.Response, error) {
	st, err := completion.ParseStatus(w.Status)
	if err != nil {
		return completion.Response{}, err
	}
	r := completion.Response{Status: st, Offset: stream.Offset(w.StreamOffset), Message: w.Message}
	if w.BuildTimeSec > 0 {
		r.BuildTime = time.Duration(w.BuildTimeSec) * time.Second
	}
	return r, nil
}

// CommitEndBody is segmentCommitEnd's JSON body.
type CommitEndBody struct {
	DownloadURI string `json:"downloadUri"`
	Key         string `json:"deepStoreKey"`
	// Metadata is the sealed segment's metadata as immutable.MarshalMeta
	// encodes it; CRC and SizeBytes travel beside it because that encoding
	// leaves them out.
	Metadata  json.RawMessage `json:"metadata"`
	CRC       uint32          `json:"crc"`
	SizeBytes int64           `json:"sizeBytes"`
}

// EncodeUpload is u as a segmentCommitEnd body.
func EncodeUpload(u completion.Upload) ([]byte, error) {
	if u.Meta == nil {
		return nil, errors.New("segment commit end: upload without segment metadata")
	}
	meta, err := immutable.MarshalMeta(u.Meta)
	if err != nil {
		return nil, fmt.Errorf("segment commit end: encode metadata of %q: %w", u.Meta.Name, err)
	}
	return json.Marshal(&CommitEndBody{DownloadURI: u.DownloadURI, Key: u.Key, Metadata: meta,
		CRC: u.Meta.CRC, SizeBytes: u.Meta.SizeBytes})
}

// DecodeUpload reads a segmentCommitEnd body of segment, checking that it
// names a download URI and metadata of that segment.
func DecodeUpload(segment string, body []byte) (completion.Upload, error) {
	var b CommitEndBody
	if err := json.Unmarshal(body, &b); err != nil {
		return completion.Upload{}, fmt.Errorf("segment commit end body: %w", err)
	}
	if b.DownloadURI == "" {
		return completion.Upload{}, errors.New("segment commit end body: downloadUri is empty")
	}
	if len(b.Metadata) == 0 {
		return completion.Upload{}, errors.New("segment commit end body: no metadata")
	}
	m, err := immutable.UnmarshalMeta(b.Metadata)
	if err != nil {
		return completion.Upload{}, fmt.Errorf("segment commit end body: metadata: %w", err)
	}
	if m.Name != segment {
		return completion.Upload{}, fmt.Errorf("segment commit end body: metadata of segment %q, not %q", m.Name, segment)
	}
	m.CRC, m.SizeBytes = b.CRC, b.SizeBytes
	return completion.Upload{DownloadURI: b.DownloadURI, Key: b.Key, Meta: m}, nil
}

// Query is r's query parameters.
func Query(r completion.Report) url.Values {
	q := url.Values{}
	q.Set(ParamSegment, r.Segment)
	q.Set(ParamInstance, r.Instance)
	q.Set(ParamOffset, string(r.Offset))
	reason := string(r.Reason)
	if r.Message != "" {
		reason = r.Message
	}
	if reason != "" {
		q.Set(ParamReason, reason)
	}
	if r.Rows > 0 {
		q.Set(ParamRows, strconv.Itoa(r.Rows))
	}
	return q
}

// ParseReport reads a request's report from its query parameters: name
// and instance are required, and streamPartitionMsgOffset must be present
// (it may be empty: stream.Start). For segmentStoppedConsuming the reason
// is a free-text message and lands in Message too.
func ParseReport(r *http.Request) (completion.Report, error) {
	q := r.URL.Query()
	rep := completion.Report{Segment: q.Get(ParamSegment), Instance: q.Get(ParamInstance),
		Offset: stream.Offset(q.Get(ParamOffset)), Reason: completion.Reason(q.Get(ParamReason))}
	switch {
	case rep.Segment == "":
		return rep, fmt.Errorf("%s: query parameter %q (the segment name) is missing", r.URL.Path, ParamSegment)
	case rep.Instance == "":
		return rep, fmt.Errorf("%s: query parameter %q (the server instance) is missing", r.URL.Path, ParamInstance)
	case !q.Has(ParamOffset):
		return rep, fmt.Errorf("%s: query parameter %q is missing", r.URL.Path, ParamOffset)
	}
	if v := q.Get(ParamRows); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return rep, fmt.Errorf("%s: query parameter %s=%q is not a row count", r.URL.Path, ParamRows, v)
		}
		rep.Rows = n
	}
	if r.URL.Path == PathStoppedConsuming {
		rep.Message = string(rep.Reason)
	}
	return rep, nil
}
