package completionhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/stream"
)

func TestResponseRoundTrip(t *testing.T) {
	for _, r := range []completion.Response{
		{Status: completion.Hold, Offset: "12"},
		{Status: completion.Commit, Offset: "49680504942994730851574374073358264233109242511477440514", BuildTime: 1500 * time.Millisecond},
		{Status: completion.Failed, Message: "no record"},
		{Status: completion.NotLeader},
	} {
		w := EncodeResponse(r)
		if w.Offset != -1 || !w.SplitCommit {
			t.Errorf("%v on the wire: %+v", r, w)
		}
		got, err := w.Decode()
		if err != nil {
			t.Fatal(err)
		}
		want := r
		if r.BuildTime > 0 {
			want.BuildTime = 2 * time.Second // rounded up to whole seconds
		}
		if got != want {
			t.Errorf("round trip %+v → %+v → %+v", r, w, got)
		}
	}
	if _, err := (Response{Status: "MAYBE"}).Decode(); err == nil || !strings.Contains(err.Error(), `"MAYBE"`) {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestParseReport(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"/segmentConsumed?instance=i&streamPartitionMsgOffset=1", `"name"`},
		{"/segmentConsumed?name=s&streamPartitionMsgOffset=1", `"instance"`},
		{"/segmentConsumed?name=s&instance=i", `"streamPartitionMsgOffset" is missing`},
		{"/segmentConsumed?name=s&instance=i&streamPartitionMsgOffset=1&rowCount=x", `rowCount="x"`},
	} {
		r := httptest.NewRequest("GET", tc.url, nil)
		if _, err := ParseReport(r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.url, err, tc.want)
		}
	}
	rep := completion.Report{Segment: "t__1__2__20260101T0000Z", Instance: "Server_h_1", Offset: stream.Start, Rows: 7,
		Message: "decoder broke"}
	r := httptest.NewRequest("GET", PathStoppedConsuming+"?"+Query(rep).Encode(), nil)
	got, err := ParseReport(r)
	if err != nil {
		t.Fatal(err)
	}
	rep.Reason = "decoder broke"
	if got != rep {
		t.Fatalf("parsed %+v, want %+v", got, rep)
	}
}

func TestUploadRoundTrip(t *testing.T) {
	meta := &segment.Meta{Name: "t__0__0__20260101T0000Z", Table: "t", NumDocs: 3, PartitionID: -1, CRC: 99, SizeBytes: 1024}
	body, err := EncodeUpload(completion.Upload{DownloadURI: "s3://b/k", Key: "k", Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	u, err := DecodeUpload(meta.Name, body)
	if err != nil {
		t.Fatal(err)
	}
	if u.DownloadURI != "s3://b/k" || u.Key != "k" || u.Meta.NumDocs != 3 || u.Meta.CRC != 99 || u.Meta.SizeBytes != 1024 {
		t.Fatalf("decoded %+v %+v", u, u.Meta)
	}
	if _, err := DecodeUpload("other__0__0__20260101T0000Z", body); err == nil || !strings.Contains(err.Error(), "not \"other") {
		t.Fatalf("metadata of another segment: %v", err)
	}
	if _, err := DecodeUpload(meta.Name, []byte(`{"metadata":{}}`)); err == nil || !strings.Contains(err.Error(), "downloadUri") {
		t.Fatalf("no URI: %v", err)
	}
}

// TestClientFollowsLeader runs the client against two real HTTP servers:
// the first says NOT_LEADER, the second answers.
func TestClientFollowsLeader(t *testing.T) {
	var gotBody atomic.Value
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"NOT_LEADER","offset":-1,"buildTimeSec":-1}`))
	}))
	defer follower.Close()
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathCommitEnd {
			b, _ := io.ReadAll(r.Body)
			gotBody.Store(r.Method + " " + r.URL.Query().Get(ParamLocation) + " " + string(b))
		}
		_, _ = w.Write([]byte(`{"status":"COMMIT","offset":-1,"streamPartitionMsgOffset":"42","buildTimeSec":120,"isSplitCommitType":true}`))
	}))
	defer leader.Close()
	var calls atomic.Int32
	leaders := LeaderFunc(func(ctx context.Context) (string, error) {
		if calls.Add(1) == 1 {
			return follower.URL, nil
		}
		return leader.URL, nil
	})
	c := NewClient(leaders, Options{Backoff: time.Millisecond})
	rep := completion.Report{Segment: "t__0__0__20260101T0000Z", Instance: "s", Offset: "42", Reason: completion.ReasonRowLimit}
	resp, err := c.Consumed(context.Background(), rep)
	if err != nil || resp.Status != completion.Commit || resp.Offset != "42" || resp.BuildTime != 120*time.Second {
		t.Fatalf("consumed: %+v, %v", resp, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("asked for the leader %d times, want 2", calls.Load())
	}
	meta := &segment.Meta{Name: rep.Segment, PartitionID: -1}
	if _, err := c.CommitEnd(context.Background(), rep, completion.Upload{DownloadURI: "file:///x", Key: "x", Meta: meta}); err != nil {
		t.Fatal(err)
	}
	if b, _ := gotBody.Load().(string); !strings.HasPrefix(b, "POST file:///x {") || !strings.Contains(b, `"downloadUri":"file:///x"`) {
		t.Fatalf("commit end request: %s", b)
	}
}

// TestClientGivesUp: only followers, or a server that hangs, end in a
// bounded error.
func TestClientGivesUp(t *testing.T) {
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"NOT_LEADER","offset":-1,"buildTimeSec":-1}`))
	}))
	defer follower.Close()
	c := NewClient(LeaderFunc(func(context.Context) (string, error) { return follower.URL, nil }),
		Options{Attempts: 3, Backoff: time.Millisecond})
	_, err := c.Consumed(context.Background(), completion.Report{Segment: "s", Instance: "i"})
	if !errors.Is(err, ErrNoLeader) || !strings.Contains(err.Error(), "NOT_LEADER") {
		t.Fatalf("only followers: %v", err)
	}

	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	c = NewClient(LeaderFunc(func(context.Context) (string, error) { return hang.URL, nil }),
		Options{Attempts: 2, Backoff: time.Millisecond, RequestTimeout: 50 * time.Millisecond})
	start := time.Now()
	_, err = c.Consumed(context.Background(), completion.Report{Segment: "s", Instance: "i"})
	if !errors.Is(err, ErrNoLeader) || time.Since(start) > 5*time.Second {
		t.Fatalf("hanging server: %v after %v", err, time.Since(start))
	}
	c = NewClient(LeaderFunc(func(context.Context) (string, error) { return "", errors.New("no controller leads") }),
		Options{Attempts: 2, Backoff: time.Millisecond})
	if _, err := c.Consumed(context.Background(), completion.Report{}); err == nil || !strings.Contains(err.Error(), "no controller leads") {
		t.Fatalf("no leader: %v", err)
	}
}
