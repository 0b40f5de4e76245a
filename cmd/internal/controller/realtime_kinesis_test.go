package controller

import (
	"context"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/stream/streams"
)

// TestRealtimeKinesis runs table creation, a commit and a split against a
// real Kinesis-API server (kinesalite): one consuming segment per shard,
// offsets compared as Kinesis sequence numbers, the split's children
// started once the parent's last segment is committed.
func TestRealtimeKinesis(t *testing.T) {
	ks := kinesistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := ks.CreateStream(ctx, "events", 2); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{
		"streamType": "kinesis", "stream.local.topic.name": "", "stream.kinesis.topic.name": "events",
		"region": ks.Region, "endpoint": ks.Endpoint, "accessKey": ks.AccessKey, "secretKey": ks.SecretKey,
		"shardIteratorType": "TRIM_HORIZON",
	}
	e := newRTEnv(t, 1)
	c := e.leader(rtConfig())
	srv := e.servers(2)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, "deploy/quickstart/webTransactions_schema.json"), nil)
	must(t, 200, "POST", c.url+"/tables", realtimeTable(t, 2, keys), nil)
	cons := consuming(e.deps.Cache.Snapshot())
	if len(cons) != 2 || cons[shard(0)] == nil || cons[shard(1)] == nil {
		t.Fatalf("consuming segments %v, want shards 0 and 1", cons)
	}
	for _, rec := range cons {
		if rec.Meta.StartOffset != string(stream.Start) {
			t.Fatalf("%s starts at %q, want TRIM_HORIZON", rec.Meta.Name, rec.Meta.StartOffset)
		}
	}

	// Records in shard 0, then a split: the children wait for it.
	inShard0 := 0
	for i := 0; i < 20; i++ {
		id, _, err := ks.Put(ctx, "events", "key-"+string(rune('a'+i)), []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		if id == shard(0) {
			inShard0++
		}
	}
	kids, err := ks.Split(ctx, "events", shard(0))
	if err != nil {
		t.Fatal(err)
	}
	e.waitRuns(c, c.rt.val.runs.Load()+2)
	if st := partitionStatus(e.info(c), 2); st.Status != consuminginfo.PartitionWaitingForParents || st.Partition != kids[0] {
		t.Fatalf("child %s status %+v, want WAITING_FOR_PARENTS", kids[0], st)
	}

	// Both replicas read shard 0 to its end through the real provider
	// and report; one commits, the other keeps its copy.
	sc, err := streamconfig.Parse(realtimeStreamMap(t, keys))
	if err != nil {
		t.Fatal(err)
	}
	s, err := streams.Open(ctx, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	consumer, err := s.Consumer(shard(0))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	end, rows := stream.Start, 0
	for {
		res, err := consumer.Fetch(ctx, end, 1000)
		if err != nil {
			t.Fatal(err)
		}
		rows += len(res.Records)
		end = res.Next
		if res.EndOfPartition {
			break
		}
	}
	seg := cons[shard(0)].Meta.Name
	a := e.replica(srv[0].name, node.ControllerLeaders(e.deps.Cache))
	b := e.replica(srv[1].name, node.ControllerLeaders(e.deps.Cache))
	if resp := a.consumed(seg, end, completion.ReasonEndOfPartition); resp.Status != completion.Commit || resp.Offset != end {
		t.Fatalf("A: %+v, want COMMIT at %q", resp, end)
	}
	if resp := a.commit(seg, end, rows, completion.ReasonEndOfPartition); resp.Status != completion.CommitSuccess {
		t.Fatalf("A commit: %+v", resp)
	}
	if resp := b.consumed(seg, end, completion.ReasonEndOfPartition); resp.Status != completion.Keep {
		t.Fatalf("B: %+v, want KEEP", resp)
	}
	snap := e.waitFor(20*time.Second, "split children consuming", func(s *cluster.Snapshot) bool {
		c := consuming(s)
		return c[kids[0]] != nil && c[kids[1]] != nil
	})
	done := snap.Segments[rtTable][seg]
	if !done.EndOfPartition || done.Meta.EndOffset != string(end) || done.Meta.NumDocs != rows || rows != inShard0 || rows == 0 {
		t.Fatalf("parent's last segment: eop=%v end=%q rows=%d (read %d, put %d)", done.EndOfPartition, done.Meta.EndOffset, done.Meta.NumDocs, rows, inShard0)
	}
	if len(consuming(snap)) != 3 {
		t.Fatalf("consuming after the split: %v", consuming(snap))
	}
}

// realtimeStreamMap is the stream config map realtimeTable builds.
func realtimeStreamMap(t *testing.T, keys map[string]string) map[string]string {
	m := map[string]string{"streamType": "local", "stream.local.topic.name": "web"}
	for k, v := range keys {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}
