package loadbench

import (
	"context"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
)

// BenchmarkFreshnessKinesalite is issue #5's freshness target through
// kinesalite (p99 ≤ 1 s): a REALTIME table on a 4-shard stream, 200
// events/s of background load, 50 probe events written with PutRecords and
// polled with COUNT(*) through the broker. Run with -benchtime 1x.
func BenchmarkFreshnessKinesalite(b *testing.B) {
	kin := kinesistest.Start(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		rep, err := Freshness(ctx, FreshnessConfig{Dir: b.TempDir(), Events: 50, Rate: 200, KinesisEndpoint: kin.Endpoint})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.P50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(rep.P99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(rep.Max.Microseconds())/1000, "max-ms")
	}
}

// TestFreshnessLocal checks the freshness run itself on the in-process
// stream: every probe is counted, and the report is sane.
func TestFreshnessLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Freshness(ctx, FreshnessConfig{Dir: t.TempDir(), Events: 20, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if rep.P50 <= 0 || rep.P99 < rep.P50 || rep.Max < rep.P99 {
		t.Fatalf("report %+v", rep)
	}
}

// BenchmarkThroughputKinesalite is issue #5's end-to-end ingestion rate
// through kinesalite: 100,000 events written by 4 writers with PutRecords
// into 4 shards, until COUNT(*) through the broker counts them all. Run
// with -benchtime 1x.
func BenchmarkThroughputKinesalite(b *testing.B) {
	kin := kinesistest.Start(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		rep, err := Throughput(ctx, b.TempDir(), kin.Endpoint, 100_000, nil)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Events)/rep.Produce.Seconds(), "written/s")
		b.ReportMetric(float64(rep.Events)/rep.Visible.Seconds(), "ingested/s")
	}
}
