package consumer

import (
	"context"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/s3"
	"github.com/tannin-db/tannin/deepstore/s3/s3test"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deepstore/localfs"
	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/mutable"
)

// BenchmarkFreshness measures how long an event takes from the stream's
// Append to its visibility in COUNT(*) run by the query engine over the
// consuming segment (the query path a server runs), one event at a time.
func BenchmarkFreshness(b *testing.B) {
	c := newCluster(b, time.Second)
	cfg := c.config("a")
	cfg.FlushRows = 10_000_000
	cfg.Log = testLog()
	h := newTestHost(b)
	p, err := New(cfg, Deps{Stream: c.s, Controller: c.ctl, DeepStore: c.ds, Host: h})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	p.Assign(Spec{Name: c.first, Start: "", CreatedMs: time.Now().UnixMilli()})
	st, err := sql.Parse("SELECT COUNT(*) FROM clicks")
	if err != nil {
		b.Fatal(err)
	}
	count := func() int64 {
		seg := h.consumingSeg(c.first)
		if seg == nil {
			return -1
		}
		res, err := exec.Run(ctx, &exec.Table{Name: "clicks", Schema: c.sch, Segments: []segment.Segment{seg.Snapshot()}}, st)
		if err != nil {
			b.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	for count() != 0 {
		time.Sleep(time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := c.s.Append("shardId-000000000000", "k", goodEvent(i+1)); err != nil {
			b.Fatal(err)
		}
		for count() != int64(i+1) {
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkSealUpload1M seals a 1M-row consuming segment (sorted on the
// sorted column, with its inverted and range indexes) and uploads it to a
// local-filesystem deep store: what the committer does between COMMIT and
// CommitEnd.
func BenchmarkSealUpload1M(b *testing.B) {
	b.Run("deepstore=local", func(b *testing.B) {
		ds, err := localfs.New(filepath.Join(b.TempDir(), "deep"))
		if err != nil {
			b.Fatal(err)
		}
		sealUpload(b, ds)
	})
	// A real S3-API server (s3rver, started by the harness) on loopback.
	b.Run("deepstore=s3", func(b *testing.B) {
		srv := s3test.Start(b)
		srv.SetEnv(b)
		ds, err := s3.Open(context.Background(), srv.URI("bench"))
		if err != nil {
			b.Fatal(err)
		}
		sealUpload(b, ds)
	})
}

func sealUpload(b *testing.B, ds deepstore.Store) {
	const rows = 1_000_000
	sch, tc := testTables(b)
	mc := mutable.ConfigFromTable("clicks__0__0__20240501T0000Z", sch, tc, rows)
	seg, err := mutable.New(mc)
	if err != nil {
		b.Fatal(err)
	}
	batch, err := decode.NewBatch(sch, 0)
	if err != nil {
		b.Fatal(err)
	}
	dec := decode.NewJSONDecoder(batch)
	for id := 1; id <= rows; id++ {
		if err := dec.Decode(int64(id), goodEvent(id)); err != nil {
			b.Fatal(err)
		}
		if batch.Full() || id == rows {
			if err := seg.Append(batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	dir := b.TempDir()
	bc := mc.BuildConfig()
	bc.SortedColumn, bc.RangeColumns = tc.Index.SortedColumn, tc.Index.RangeIndexColumns
	bc.EndOffset = "1000000"
	b.ResetTimer()
	var size int64
	for i := range b.N {
		path := filepath.Join(dir, "seg.tseg")
		meta, err := seg.SealRows(path, bc, rows)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := ds.Put(context.Background(), "clicks_REALTIME/seg.tseg."+string(rune('a'+i%26)), f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		size = meta.SizeBytes
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size), "file_bytes")
}
