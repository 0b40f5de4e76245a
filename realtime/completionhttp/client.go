package completionhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tannin-db/tannin/realtime/completion"
)

// Leaders tells the Client where the leading controller is.
type Leaders interface {
	// Leader returns the base URL ("http://host:port") of the controller
	// believed to lead. It may be stale: the Client follows a NOT_LEADER
	// answer by asking again after a pause.
	Leader(ctx context.Context) (string, error)
}

// LeaderFunc adapts a function to Leaders.
type LeaderFunc func(ctx context.Context) (string, error)

// Leader calls f.
func (f LeaderFunc) Leader(ctx context.Context) (string, error) { return f(ctx) }

// ErrNoLeader is returned (wrapped) when no controller answered as leader
// within the Client's attempts.
var ErrNoLeader = errors.New("segment completion: no leading controller answered")

// Options bound the Client's requests.
type Options struct {
	// RequestTimeout bounds one HTTP request (default 10 s). CommitEnd
	// gets CommitEndTimeout instead (default 30 s): it waits for the
	// commit transaction in etcd.
	RequestTimeout   time.Duration
	CommitEndTimeout time.Duration
	// Attempts is how many leaders to try per call before giving up with
	// ErrNoLeader (default 8); Backoff the first pause between attempts,
	// doubling up to one second (default 100 ms).
	Attempts int
	Backoff  time.Duration
	// HTTP is the client to use (default: a new http.Client).
	HTTP *http.Client
}

// Client speaks the completion protocol to the leading controller. It is
// safe for concurrent use.
type Client struct {
	leaders Leaders
	opt     Options
}

var _ completion.Controller = (*Client)(nil)

// NewClient returns a Client that finds the leader through leaders.
func NewClient(leaders Leaders, opt Options) *Client {
	if opt.RequestTimeout <= 0 {
		opt.RequestTimeout = 10 * time.Second
	}
	if opt.CommitEndTimeout <= 0 {
		opt.CommitEndTimeout = 30 * time.Second
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 8
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 100 * time.Millisecond
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{}
	}
	return &Client{leaders: leaders, opt: opt}
}

// Consumed sends segmentConsumed.
func (c *Client) Consumed(ctx context.Context, r completion.Report) (completion.Response, error) {
	return c.call(ctx, http.MethodGet, PathConsumed, r, nil, c.opt.RequestTimeout)
}

// CommitStart sends segmentCommitStart.
func (c *Client) CommitStart(ctx context.Context, r completion.Report) (completion.Response, error) {
	return c.call(ctx, http.MethodGet, PathCommitStart, r, nil, c.opt.RequestTimeout)
}

// CommitEnd sends segmentCommitEnd with the upload in its body.
func (c *Client) CommitEnd(ctx context.Context, r completion.Report, u completion.Upload) (completion.Response, error) {
	body, err := EncodeUpload(u)
	if err != nil {
		return completion.Response{}, err
	}
	return c.call(ctx, http.MethodPost, PathCommitEnd, r, body, c.opt.CommitEndTimeout, ParamLocation, u.DownloadURI)
}

// StoppedConsuming sends segmentStoppedConsuming.
func (c *Client) StoppedConsuming(ctx context.Context, r completion.Report) (completion.Response, error) {
	return c.call(ctx, http.MethodGet, PathStoppedConsuming, r, nil, c.opt.RequestTimeout)
}

// call sends one message to the leader, asking Leaders again and retrying
// after a NOT_LEADER answer or a failed request, up to Attempts times.
func (c *Client) call(ctx context.Context, method, path string, r completion.Report, body []byte,
	timeout time.Duration, extra ...string) (completion.Response, error) {
	q := Query(r)
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	pause := c.opt.Backoff
	var last error
	for attempt := 0; attempt < c.opt.Attempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return completion.Response{}, fmt.Errorf("%s %s: %w (last: %v)", path, r.Segment, ctx.Err(), last)
			case <-t.C:
			}
			pause = min(2*pause, time.Second)
		}
		base, err := c.leaders.Leader(ctx)
		if err != nil {
			last = err
			continue
		}
		resp, err := c.once(ctx, method, strings.TrimSuffix(base, "/")+path+"?"+q.Encode(), body, timeout)
		if err != nil {
			last = err
			continue
		}
		if resp.Status == completion.NotLeader {
			last = fmt.Errorf("%s answered NOT_LEADER", base)
			continue
		}
		return resp, nil
	}
	return completion.Response{}, fmt.Errorf("%s %s after %d attempts: %w (last: %v)", path, r.Segment, c.opt.Attempts, ErrNoLeader, last)
}

func (c *Client) once(ctx context.Context, method, url string, body []byte, timeout time.Duration) (completion.Response, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, url, rd)
	if err != nil {
		return completion.Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hr, err := c.opt.HTTP.Do(req)
	if err != nil {
		return completion.Response{}, err
	}
	defer hr.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	if err != nil {
		return completion.Response{}, fmt.Errorf("read answer of %s: %w", req.URL.Path, err)
	}
	if hr.StatusCode != http.StatusOK {
		return completion.Response{}, fmt.Errorf("%s answered HTTP %d: %s", req.URL.Path, hr.StatusCode, bytes.TrimSpace(data))
	}
	var w Response
	if err := json.Unmarshal(data, &w); err != nil {
		return completion.Response{}, fmt.Errorf("answer of %s: %w", req.URL.Path, err)
	}
	return w.Decode()
}
