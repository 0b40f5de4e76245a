package kinesis

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/kinesis/kinesistest"
)

// webEvent is a web-transactions-like JSON event of about 200 bytes.
func webEvent(i int) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"user":"u%06d","campaign":"c%02d","country":"US","device":"mobile","url":"/products/%d","price":%d.%02d,"quantity":%d}`,
		1700000000000+int64(i), i%100000, i%17, i%5000, i%300, i%100, 1+i%5)
}

// BenchmarkFetchKinesalite reads a 4-shard kinesalite stream, prefilled
// with 10,000 events per shard, with one consumer per shard in parallel,
// and reports records/s. kinesalite (Node.js, one thread, LevelDB-in-
// memory) is the bottleneck, not this package: compare the CPU profile.
func BenchmarkFetchKinesalite(b *testing.B) {
	const shards, perShard = 4, 10000
	srv := kinesistest.Start(b)
	ctx := context.Background()
	const name = "bench"
	if err := srv.CreateStream(ctx, name, shards); err != nil {
		b.Fatal(err)
	}
	list, err := srv.Shards(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	var bytesTotal int64
	fill := time.Now()
	for si, sh := range list {
		for n := 0; n < perShard; n += 500 {
			entries := make([]kinesistest.Entry, 500)
			for j := range entries {
				data := webEvent(si*perShard + n + j)
				bytesTotal += int64(len(data))
				entries[j] = kinesistest.Entry{Key: fmt.Sprint(n + j), Data: data, HashKey: aws.ToString(sh.HashKeyRange.StartingHashKey)}
			}
			if _, err := srv.PutRecords(ctx, name, entries); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("filled %d records in %v (%.0f records/s put)", shards*perShard, time.Since(fill), float64(shards*perShard)/time.Since(fill).Seconds())

	cfg := DefaultConfig()
	cfg.StreamName, cfg.Region, cfg.Endpoint = name, srv.Region, srv.Endpoint
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	cfg.RequestsPerSecond = 1000 // measure the server, not the limit
	s, err := New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	b.SetBytes(bytesTotal)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		errs := make(chan error, shards)
		for _, sh := range list {
			wg.Go(func() {
				c, _ := s.Consumer(aws.ToString(sh.ShardId))
				defer c.Close()
				from, got := stream.Start, 0
				for got < perShard {
					r, err := c.Fetch(ctx, from, 10000)
					if err != nil {
						errs <- err
						return
					}
					got += len(r.Records)
					from = r.Next
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*shards*perShard)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkExpand is the per-record cost of this package itself: turning
// a GetRecords page into user records, plain and KPL-aggregated.
func BenchmarkExpand(b *testing.B) {
	now := time.Now()
	page := func(aggregated bool) []types.Record {
		var out []types.Record
		for i := range 100 {
			data := webEvent(i)
			if aggregated {
				subs := make([]subRec, 100)
				for j := range subs {
					subs[j] = subRec{fmt.Sprint(j % 10), string(webEvent(i*100 + j))}
				}
				data = buildAggregate(subs...)
			}
			out = append(out, types.Record{
				SequenceNumber:              aws.String(fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i)),
				Data:                        data,
				PartitionKey:                aws.String("k"),
				ApproximateArrivalTimestamp: &now,
			})
		}
		return out
	}
	for _, agg := range []bool{false, true} {
		b.Run(fmt.Sprintf("aggregated=%v", agg), func(b *testing.B) {
			in := page(agg)
			c := &Consumer{s: &Stream{cfg: DefaultConfig()}, shard: "shardId-000000000000"}
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				recs, err := c.expand(in)
				if err != nil {
					b.Fatal(err)
				}
				n += len(recs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
