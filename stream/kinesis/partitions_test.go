package kinesis

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tannin-db/tannin/stream"
)

// pagedShards answers ListShards in pages of two, as Kinesis does for
// large streams (kinesalite always answers in one page), and records the
// requests.
type pagedShards struct {
	shards []map[string]any

	mu       sync.Mutex
	requests []map[string]any
}

func (p *pagedShards) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	_ = req.Body.Close()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.requests = append(p.requests, in)
	p.mu.Unlock()
	if op := req.Header.Get("X-Amz-Target"); op != "Kinesis_20131202.ListShards" {
		return nil, fmt.Errorf("unexpected operation %s", op)
	}
	start := 0
	if tok, ok := in["NextToken"].(string); ok {
		fmt.Sscanf(tok, "page-%d", &start)
	}
	end := min(start+2, len(p.shards))
	out := map[string]any{"Shards": p.shards[start:end]}
	if end < len(p.shards) {
		out["NextToken"] = fmt.Sprintf("page-%d", end)
	}
	b, _ := json.Marshal(out)
	return &http.Response{
		StatusCode: 200, Status: "200 OK",
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(strings.NewReader(string(b))),
		ContentLength: int64(len(b)), Request: req,
	}, nil
}

func shard(id, parent, adjacent string, closed bool) map[string]any {
	sh := map[string]any{
		"ShardId":             id,
		"HashKeyRange":        map[string]string{"StartingHashKey": "0", "EndingHashKey": "1"},
		"SequenceNumberRange": map[string]string{"StartingSequenceNumber": "1"},
	}
	if parent != "" {
		sh["ParentShardId"] = parent
	}
	if adjacent != "" {
		sh["AdjacentParentShardId"] = adjacent
	}
	if closed {
		sh["SequenceNumberRange"].(map[string]string)["EndingSequenceNumber"] = "2"
	}
	return sh
}

// TestPartitionsPagesAndLineage: every page is read (later pages by
// NextToken alone, as the API demands), the result is ordered by ID, and
// a parent that aged out of the listing is not waited for.
func TestPartitionsPagesAndLineage(t *testing.T) {
	rt := &pagedShards{shards: []map[string]any{
		// shardId-000000000000 and ...001 aged out; ...002 is their
		// merge, itself split into ...004 and ...005.
		shard("shardId-000000000005", "shardId-000000000002", "", false),
		shard("shardId-000000000002", "shardId-000000000000", "shardId-000000000001", true),
		shard("shardId-000000000003", "", "", false),
		shard("shardId-000000000004", "shardId-000000000002", "", false),
		shard("shardId-000000000006", "shardId-000000000003", "shardId-000000000004", false),
	}}
	cfg := DefaultConfig()
	cfg.StreamName, cfg.Region, cfg.Endpoint = "paged", "us-east-1", "http://127.0.0.1:1"
	cfg.AccessKey, cfg.SecretKey = "a", "b"
	cfg.HTTPClient = &http.Client{Transport: rt}
	s, err := New(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.Partitions(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []stream.Partition{
		{ID: "shardId-000000000002", Closed: true},
		{ID: "shardId-000000000003"},
		{ID: "shardId-000000000004", Parents: []string{"shardId-000000000002"}},
		{ID: "shardId-000000000005", Parents: []string{"shardId-000000000002"}},
		{ID: "shardId-000000000006", Parents: []string{"shardId-000000000003", "shardId-000000000004"}},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d partitions, want %d: %+v", len(ps), len(want), ps)
	}
	for i := range want {
		if ps[i].ID != want[i].ID || ps[i].Closed != want[i].Closed || !slices.Equal(ps[i].Parents, want[i].Parents) {
			t.Errorf("partition %d = %+v, want %+v", i, ps[i], want[i])
		}
	}
	if len(rt.requests) != 3 {
		t.Fatalf("%d ListShards requests for 5 shards in pages of 2, want 3", len(rt.requests))
	}
	if rt.requests[0]["StreamName"] != "paged" {
		t.Errorf("first request %v: want StreamName", rt.requests[0])
	}
	for _, r := range rt.requests[1:] {
		if _, has := r["StreamName"]; has || r["NextToken"] == nil {
			t.Errorf("later request %v: want NextToken alone", r)
		}
	}
}
