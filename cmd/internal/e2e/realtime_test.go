package e2e

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/startreedata/pinot-client-go/pinot"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/deepstore/s3"
	"github.com/tannin-db/tannin/deepstore/s3/s3test"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
)

const (
	rtStream   = "webEvents"
	rtTable    = "webEvents"
	rtTyped    = "webEvents_REALTIME"
	rtEvents   = 200_000
	rtShards   = 4
	rtFlushRow = 15_000
)

// rtTableJSON is the realtime table: Pinot's Kinesis keys (its Java
// consumer factory and decoder class names included), replication 2 so
// that both servers consume every shard, small segments so that many
// commits happen during the run.
func rtTableJSON(endpoint string) string {
	return `{
  "tableName": "webEvents",
  "tableType": "REALTIME",
  "segmentsConfig": {"timeColumnName": "creationTimestamp", "replication": "2", "replicasPerPartition": "2"},
  "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
  "tableIndexConfig": {"invertedIndexColumns": ["userID", "campaign"]},
  "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{
    "streamType": "kinesis",
    "stream.kinesis.topic.name": "` + rtStream + `",
    "region": "us-east-1",
    "endpoint": "` + endpoint + `",
    "shardIteratorType": "TRIM_HORIZON",
    "requests_per_second_limit": "5",
    "stream.kinesis.consumer.factory.class.name": "org.apache.pinot.plugin.stream.kinesis.KinesisConsumerFactory",
    "stream.kinesis.decoder.class.name": "org.apache.pinot.plugin.inputformat.json.JSONMessageDecoder",
    "realtime.segment.flush.threshold.rows": "` + strconv.Itoa(rtFlushRow) + `",
    "realtime.segment.flush.threshold.time": "1h"
  }]}}
}`
}

// produced is what the test wrote to the stream.
type produced struct {
	mu         sync.Mutex
	count      int64
	cents      int64
	byCampaign map[string]int64
}

func (p *produced) add(campaign string, cents int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.cents += cents
	p.byCampaign[campaign]++
}

// TestRealtimeKinesisS3 is issue #5's end-to-end check with real servers:
// kinesalite as the Kinesis API, s3rver as the deep store, and etcd, a
// controller, two servers and a broker as OS processes. It writes 200,000
// web-transactions events into 4 shards while querying; mid-run it splits
// one shard and merges two others, and kills one server with SIGKILL and
// restarts it. At the end COUNT(*), SUM(price) and the per-campaign counts
// equal the produced events exactly, answered by each replica alone.
func TestRealtimeKinesisS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kinesalite, s3rver and a cluster of OS processes; runs in `make test`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kin := kinesistest.Start(t)
	s3srv := s3test.Start(t)
	s3srv.SetEnv(t) // the nodes find the credentials in their environment
	if err := kin.CreateStream(ctx, rtStream, rtShards); err != nil {
		t.Fatal(err)
	}

	c, cache := startCluster(t, ctx, dir, "rt", s3srv.URI("tannin"), 1, 2, 1)

	rc := restclient.New(c.controllers[0].url, c.brokers[0].url)
	if err := rc.AddSchema(ctx, deploy.StreamingSchema); err != nil {
		t.Fatal(err)
	}
	if err := rc.AddTable(ctx, []byte(rtTableJSON(kin.Endpoint))); err != nil {
		t.Fatal(err)
	}
	conn, err := pinot.NewFromBrokerList([]string{c.brokers[0].addr})
	if err != nil {
		t.Fatal(err)
	}

	// The producer: 200,000 events in batches of 500, partition key the
	// user, while the test queries, reshards and kills.
	want := &produced{byCampaign: map[string]int64{}}
	milestones := map[int64]chan struct{}{70_000: make(chan struct{}), 130_000: make(chan struct{})}
	prodErr := make(chan error, 1)
	go func() {
		live := datagen.WebTransactions{}.NewLive(42)
		var tx datagen.Transaction
		start := time.Now()
		for sent := int64(0); sent < rtEvents; {
			n := min(500, rtEvents-sent)
			entries := make([]kinesistest.Entry, n)
			type ev struct {
				campaign string
				cents    int64
			}
			evs := make([]ev, n)
			for i := range entries {
				live.Next(&tx, start.UnixMilli()+sent+int64(i))
				entries[i] = kinesistest.Entry{Key: tx.UserID, Data: datagen.AppendTransactionJSON(nil, &tx, datagen.RawOptions{})}
				evs[i] = ev{tx.Campaign, int64(math.Round(tx.Price * 100))}
			}
			if _, err := kin.PutRecords(ctx, rtStream, entries); err != nil {
				prodErr <- err
				return
			}
			for _, e := range evs {
				want.add(e.campaign, e.cents)
			}
			before := sent
			sent += n
			for m, ch := range milestones {
				if before < m && sent >= m {
					close(ch)
				}
			}
		}
		t.Logf("produced %d events in %v", rtEvents, time.Since(start).Round(time.Millisecond))
		prodErr <- nil
	}()

	// Queries during the run never see more rows than were produced. (The
	// count may go down between two queries: the broker picks a replica
	// per consuming segment, and replicas consume at their own pace.)
	var queryErrs []string
	check := func() {
		want.mu.Lock()
		max := want.count
		want.mu.Unlock()
		n, err := count(conn)
		if err != nil {
			queryErrs = append(queryErrs, err.Error())
			return
		}
		if n > max {
			t.Errorf("COUNT(*) %d during the run: only %d produced", n, max)
		}
	}

	step := func(m int64, what string, f func()) {
		for {
			select {
			case <-milestones[m]:
				t.Logf("at %d events: %s", m, what)
				f()
				return
			case err := <-prodErr:
				t.Fatalf("producer stopped before %d events: %v", m, err)
			case <-time.After(200 * time.Millisecond):
				check()
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
		}
	}
	step(70_000, "split one shard, merge two others", func() {
		shards, err := kin.Shards(ctx, rtStream)
		if err != nil {
			t.Fatal(err)
		}
		var open []string
		for _, s := range shards {
			if s.SequenceNumberRange.EndingSequenceNumber == nil {
				open = append(open, *s.ShardId)
			}
		}
		sort.Strings(open)
		if _, err := kin.Split(ctx, rtStream, open[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := kin.Merge(ctx, rtStream, open[2], open[3]); err != nil {
			t.Fatal(err)
		}
	})
	var restarted *node
	step(130_000, "kill -9 server1, restart it", func() {
		victim := c.servers[1]
		victim.p.kill(syscall.SIGKILL)
		time.Sleep(2 * time.Second)
		restarted = c.restartServer(1, victim)
		waitHealthy(t, restarted.p, restarted.url+"/health", time.Minute)
	})
	for {
		select {
		case err := <-prodErr:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
			check()
			continue
		}
		break
	}

	// Every event arrives: through the broker, then through each replica
	// alone (the other server stopped). A replica that restarted rebuilds
	// its consuming segments from the stream, and until it has caught up
	// the broker may route to it: the answers must become, and stay,
	// exact once it has.
	exact := func(who string) {
		t.Helper()
		// Five answers in a row, each routed anew, all exact.
		if err := eventually(ctx, 3*time.Minute, func() error {
			for range 5 {
				if err := totals(conn, want); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
	exact("both replicas")
	t.Logf("query errors during the run: %d %v", len(queryErrs), firstN(queryErrs, 3))

	// Sealed segments are in S3, recorded DONE with s3:// download URIs.
	snap := cache.Snapshot()
	done := 0
	for _, seg := range snap.Segments[rtTyped] {
		if seg.Status == cluster.StatusDone {
			done++
			if !strings.HasPrefix(seg.DownloadURI, "s3://"+s3srv.Bucket+"/tannin/") {
				t.Errorf("segment %s committed to %q, not the S3 deep store", seg.Meta.Name, seg.DownloadURI)
			}
		}
	}
	store, err := s3.Open(ctx, s3srv.URI("tannin"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := store.List(ctx, rtTable)
	if err != nil {
		t.Fatal(err)
	}
	if done < rtEvents/rtFlushRow || len(keys) < done {
		t.Errorf("%d segments committed, %d objects in S3; want at least %d", done, len(keys), rtEvents/rtFlushRow)
	}

	for i, victim := range []*node{c.servers[0], restarted} {
		other := []*node{restarted, c.servers[0]}[i]
		victim.p.kill(syscall.SIGTERM)
		<-victim.p.done
		exact(fmt.Sprintf("replica on %s alone", other.p.name))
		if i == 0 {
			c.servers[0] = c.restartServer(0, victim)
			waitHealthy(t, c.servers[0].p, c.servers[0].url+"/health", time.Minute)
		}
	}
}

// restartServer starts server i again with its flags: the same ports and
// data directory.
func (c *testCluster) restartServer(i int, old *node) *node {
	name := fmt.Sprintf("server%d-restarted-%d", i, time.Now().UnixNano())
	n := &node{p: startProc(c.t, c.dir, name, c.bins.path("server"), old.p.cmd.Args[1:]...), addr: old.addr, url: old.url}
	return n
}

func count(conn *pinot.Connection) (int64, error) {
	resp, err := conn.ExecuteSQL(rtTable, "SELECT COUNT(*) FROM webEvents")
	if err != nil {
		return 0, err
	}
	if len(resp.Exceptions) > 0 {
		return 0, fmt.Errorf("%s", resp.Exceptions[0].Message)
	}
	return resp.ResultTable.GetLong(0, 0), nil
}

// totals compares COUNT(*), SUM(price) (in cents) and the per-campaign
// counts with what was produced.
func totals(conn *pinot.Connection, want *produced) error {
	n, err := count(conn)
	if err != nil {
		return err
	}
	if n != rtEvents {
		return fmt.Errorf("COUNT(*) = %d, want %d", n, rtEvents)
	}
	resp, err := conn.ExecuteSQL(rtTable, "SELECT SUM(price) FROM webEvents")
	if err != nil {
		return err
	}
	if len(resp.Exceptions) > 0 {
		return fmt.Errorf("SUM(price): %s", resp.Exceptions[0].Message)
	}
	if got := int64(math.Round(resp.ResultTable.GetDouble(0, 0) * 100)); got != want.cents {
		return fmt.Errorf("SUM(price) = %d cents, want %d", got, want.cents)
	}
	resp, err = conn.ExecuteSQL(rtTable, "SELECT campaign, COUNT(*) FROM webEvents GROUP BY campaign LIMIT 100")
	if err != nil {
		return err
	}
	if len(resp.Exceptions) > 0 {
		return fmt.Errorf("per campaign: %s", resp.Exceptions[0].Message)
	}
	got := map[string]int64{}
	for r := range resp.ResultTable.GetRowCount() {
		got[resp.ResultTable.GetString(r, 0)] = resp.ResultTable.GetLong(r, 1)
	}
	if fmt.Sprint(got) != fmt.Sprint(want.byCampaign) {
		return fmt.Errorf("per-campaign counts %v, want %v", got, want.byCampaign)
	}
	return nil
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
