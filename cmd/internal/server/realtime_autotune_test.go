package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completion/completiontest"
	"github.com/tannin-db/tannin/realtime/flushsize"
	"github.com/tannin-db/tannin/realtime/llcname"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream/memstream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/stream/streams"
)

const (
	// The clicks table with a wide payload column, sized by bytes: 2 MiB
	// segments, learned from 10,000 initial rows.
	autotuneSchemaJSON = `{"schemaName": "clicks",
 "dimensionFieldSpecs": [{"name": "id", "dataType": "LONG"}, {"name": "campaign", "dataType": "STRING"},
   {"name": "payload", "dataType": "STRING"}],
 "metricFieldSpecs": [{"name": "price", "dataType": "DOUBLE"}],
 "dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}]}`
	autotuneTableJSON = `{"tableName": "clicks", "tableType": "REALTIME",
 "segmentsConfig": {"timeColumnName": "ts", "replication": "1"}, "tenants": {},
 "tableIndexConfig": {"sortedColumn": ["campaign"], "invertedIndexColumns": ["campaign"]},
 "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{
   "streamType": "local", "stream.local.topic.name": "clicks",
   "realtime.segment.flush.threshold.rows": "0",
   "realtime.segment.flush.threshold.segment.size": "2M",
   "realtime.segment.flush.autotune.initialRows": "10000"}]}}}`
	autotuneDesired = 2 << 20
)

// autotuneBackend commits as the controller leader does for a size-based
// table: the next segment's threshold comes from flushsize.Next over the
// table's ratio in the metadata (controller.nextFlushRows' computation).
type autotuneBackend struct {
	*etcdBackend
	flush streamconfig.FlushConfig
}

func (b *autotuneBackend) Commit(ctx context.Context, c completiontest.Commit) error {
	snap, err := b.cache.Sync(ctx)
	if err != nil {
		return err
	}
	rec := snap.Segments[rtTableName][c.Segment]
	if rec == nil {
		return fmt.Errorf("commit %s: no record: %w", c.Segment, completiontest.ErrNotFound)
	}
	now := time.Now()
	next, _ := flushsize.Next(b.flush, flushsize.Committed{Rows: c.Upload.Meta.NumDocs, SizeBytes: c.Upload.Meta.SizeBytes,
		Threshold: rec.FlushRows, Consumed: now.Sub(time.UnixMilli(rec.Meta.CreatedMs))}, cluster.FlushRatio(snap, rtTableName), 0)
	_, err = b.store.CommitSegment(ctx, &cluster.Commit{Table: rtTableName, Segment: c.Segment, EndOffset: string(c.EndOffset),
		Meta: c.Upload.Meta, DownloadURI: c.Upload.DownloadURI, Key: c.Upload.Key, EndOfPartition: c.EndOfPartition,
		NowMs: now.UnixMilli(), NextFlushRows: next})
	if errors.Is(err, cluster.ErrConflict) {
		return fmt.Errorf("%v: %w", err, completiontest.ErrConflict)
	}
	return err
}

// autotuneEvent is a web event with a 64-character payload that differs on
// every row, so that a sealed row takes tens of bytes.
func autotuneEvent(id int) []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "payload-%d", id))
	return fmt.Appendf(nil, `{"id": %d, "campaign": "c%d", "payload": "%s", "price": %d.25, "ts": %d}`,
		id, id%7, hex.EncodeToString(sum[:]), id%50, 1714521600000+int64(id))
}

// A size-based table served by a real server over etcd: the first segment
// seals at the autotune initial rows, far under the desired size; each
// commit records the next segment's threshold, which the server consumes
// to exactly; the thresholds grow until the sealed segments come within a
// few percent of the desired size; every event is counted once.
func TestRealtimeAutotunedSegmentSize(t *testing.T) {
	h := newHarness(t)
	if err := h.store.CreateSchema(h.ctx, "clicks", []byte(autotuneSchemaJSON)); err != nil {
		t.Fatal(err)
	}
	if err := h.store.CreateTable(h.ctx, rtTableName, []byte(autotuneTableJSON)); err != nil {
		t.Fatal(err)
	}
	sch, _, err := schema.Parse([]byte(autotuneSchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := h.cache.Sync(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := streamconfig.Parse(snap.Tables[rtTableName].Config.Ingestion.StreamConfigs[0])
	if err != nil || !sc.Flush.SizeBased || sc.Flush.SegmentSize != autotuneDesired {
		t.Fatalf("stream config: %+v %v", sc, err)
	}
	ms := memstream.NewWithOptions(1, memstream.Options{FetchWait: 20 * time.Millisecond})
	local := &streams.Local{}
	local.Register("clicks", ms)
	cfg := completion.DefaultConfig()
	cfg.MaxHold = 300 * time.Millisecond
	ctl := completiontest.New(&autotuneBackend{etcdBackend: &etcdBackend{store: h.store, cache: h.cache}, flush: sc.Flush},
		ms.Compare, cfg)
	rh := &rtHarness{harness: h, ms: ms, local: local, ctl: ctl, sch: sch}

	s := rh.startRT(testConfig(t.TempDir()))
	waitFor(t, "registered", s.Ready)
	started, err := h.store.StartConsuming(h.ctx, rtTableName, []cluster.ConsumingStart{{Partition: rtShard, StartOffset: "",
		Replicas: []string{s.InstanceName()}, FlushRows: flushsize.Initial(sc.Flush, 0)}}, time.Now().UnixMilli())
	if err != nil || len(started) != 1 {
		t.Fatalf("start consuming: %v %v", started, err)
	}

	// At about 39 bytes a sealed row: 10,000, 15,000 and 22,500 rows (each
	// under half of 2 MiB, so the next has 1.5 times as many), 33,750
	// (within the band), then the desired size's rows at the learned
	// ratio: 190,000 rows in six segments, and more consuming.
	const total = 250_000
	for id := 1; id <= total; id++ {
		if _, err := ms.Append(rtShard, "k", autotuneEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, s.Server)
	deadline := time.Now().Add(90 * time.Second)
	for {
		n, sum, missing := rh.countSum(c)
		if n == total && len(missing) == 0 {
			if math.Abs(sum-wantSum(total)) > 1e-3 {
				t.Fatalf("SUM(price) %v, want %v", sum, wantSum(total))
			}
			break
		}
		if n > total || time.Now().After(deadline) {
			t.Fatalf("COUNT(*) %d, missing %v; want %d", n, missing, total)
		}
		time.Sleep(50 * time.Millisecond)
	}

	type segInfo struct {
		seq, threshold, rows int
		size                 int64
	}
	var done []segInfo
	for name, rec := range h.cache.Snapshot().Segments[rtTableName] {
		n, err := llcname.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status == cluster.StatusDone {
			done = append(done, segInfo{n.Sequence, rec.FlushRows, rec.Meta.NumDocs, rec.Meta.SizeBytes})
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].seq < done[j].seq })
	for _, d := range done {
		t.Logf("segment %d: threshold %d, %d rows, %d bytes (%.0f%% of the desired size)", d.seq, d.threshold, d.rows, d.size,
			100*float64(d.size)/autotuneDesired)
	}
	if len(done) < 6 {
		t.Fatalf("%d segments committed, want at least 6", len(done))
	}
	if done[0].threshold != 10_000 || done[1].threshold == done[0].threshold {
		t.Errorf("thresholds %d then %d: want 10000, then a learned one", done[0].threshold, done[1].threshold)
	}
	for _, d := range done {
		// No time limit or memory cap hit: every segment holds exactly
		// its recorded threshold's rows.
		if d.rows != d.threshold {
			t.Errorf("segment %d: %d rows, threshold %d", d.seq, d.rows, d.threshold)
		}
	}
	if first := done[0].size; float64(first) > autotuneDesired/2 {
		t.Errorf("first segment %d bytes: the test needs it far under the desired size", first)
	}
	for _, d := range done[len(done)-2:] {
		if off := math.Abs(float64(d.size)-autotuneDesired) / autotuneDesired; off > 0.1 {
			t.Errorf("segment %d: %d bytes, %.0f%% off the desired %d", d.seq, d.size, 100*off, autotuneDesired)
		}
	}
}
