package flushsize

import (
	"math"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream/streamconfig"
)

// cfg is a size-based flush config of 200,000,000 bytes (decimal, so that
// the expected row counts read easily), 100,000 initial rows, 6 h.
func cfg() streamconfig.FlushConfig {
	return streamconfig.FlushConfig{SizeBased: true, SegmentSize: 200_000_000, AutotuneInitialRows: 100_000, Time: 6 * time.Hour}
}

func TestInitial(t *testing.T) {
	for _, tc := range []struct {
		name  string
		f     func(*streamconfig.FlushConfig)
		ratio float64
		want  int
	}{
		{"no ratio: the initial rows", nil, 0, 100_000},
		{"no ratio: initial rows below the floor are kept", func(f *streamconfig.FlushConfig) { f.AutotuneInitialRows = 500 }, 0, 500},
		{"a table's ratio: the desired size's rows", nil, 1.0 / 160, 1_250_000},
		{"a ratio below the floor", nil, 1e-6, MinRows},
		{"a ratio above the consumer's limit", nil, 100, MaxRows},
		{"no size: Pinot's default", func(f *streamconfig.FlushConfig) { f.SegmentSize = 0 }, 1.0 / 128, streamconfig.DefaultFlushSegmentSize / 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cfg()
			if tc.f != nil {
				tc.f(&f)
			}
			if got := Initial(f, tc.ratio); got != tc.want {
				t.Errorf("Initial = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name      string
		f         func(*streamconfig.FlushConfig)
		c         Committed
		ratio     float64
		u         float64
		want      int
		wantRatio float64
	}{
		{name: "in the band, first segment: the desired size at its own ratio",
			c:    Committed{Rows: 1_000_000, SizeBytes: 160_000_000, Threshold: 1_000_000, Consumed: time.Hour},
			want: 1_250_000, wantRatio: 1.0 / 160},
		{name: "in the band: the smoothed ratio, weight 0.1 for the new segment",
			c:     Committed{Rows: 1_000_000, SizeBytes: 200_000_000, Threshold: 1_000_000, Consumed: time.Hour},
			ratio: 0.01,
			// 0.1*0.005 + 0.9*0.01 = 0.0095; 200M * 0.0095.
			want: 1_900_000, wantRatio: 0.0095},
		{name: "under half the desired size: 1.5 times the rows",
			c:    Committed{Rows: 100_000, SizeBytes: 20_000_000, Threshold: 100_000, Consumed: time.Minute},
			want: 150_000, wantRatio: 0.005},
		{name: "over 1.5 times the desired size: half the rows",
			c:     Committed{Rows: 4_000_000, SizeBytes: 400_000_000, Threshold: 4_000_000, Consumed: time.Hour},
			ratio: 0.02,
			want:  2_000_000, wantRatio: 0.1*0.01 + 0.9*0.02},
		{name: "oversized though short of its threshold: sized, not treated as time",
			c:    Committed{Rows: 3_000_000, SizeBytes: 320_000_000, Threshold: 4_000_000, Consumed: time.Hour},
			want: 1_500_000, wantRatio: 3.0 / 320},
		{name: "stopped on time: 1.1 times the rows",
			c:     Committed{Rows: 300_000, SizeBytes: 30_000_000, Threshold: 1_000_000, Consumed: 6 * time.Hour},
			ratio: 0.01,
			want:  330_000, wantRatio: 0.01},
		{name: "stopped on time after the time threshold was lowered: the rows of the new period",
			f:    func(f *streamconfig.FlushConfig) { f.Time = 3 * time.Hour },
			c:    Committed{Rows: 600_000, SizeBytes: 60_000_000, Threshold: 1_000_000, Consumed: 6 * time.Hour},
			want: 330_000, wantRatio: 0.01},
		{name: "stopped on time with few rows: the floor",
			c:    Committed{Rows: 1_000, SizeBytes: 100_000, Threshold: 100_000, Consumed: 6 * time.Hour},
			want: MinRows, wantRatio: 0.01},
		{name: "stopped on time, no variance (the time rule never varies)",
			f:    func(f *streamconfig.FlushConfig) { f.VarianceFraction = 0.2 },
			c:    Committed{Rows: 300_000, SizeBytes: 30_000_000, Threshold: 1_000_000, Consumed: 6 * time.Hour},
			u:    0.999,
			want: 330_000, wantRatio: 0.01},
		{name: "variance low end",
			f:    func(f *streamconfig.FlushConfig) { f.VarianceFraction = 0.2 },
			c:    Committed{Rows: 1_000_000, SizeBytes: 160_000_000, Threshold: 1_000_000, Consumed: time.Hour},
			u:    0,
			want: 1_000_000, wantRatio: 1.0 / 160},
		{name: "variance middle",
			f:    func(f *streamconfig.FlushConfig) { f.VarianceFraction = 0.2 },
			c:    Committed{Rows: 1_000_000, SizeBytes: 160_000_000, Threshold: 1_000_000, Consumed: time.Hour},
			u:    0.75,
			want: 1_375_000, wantRatio: 1.0 / 160},
		{name: "no threshold recorded: sized by the rules",
			c:    Committed{Rows: 1_000_000, SizeBytes: 160_000_000, Consumed: time.Hour},
			want: 1_250_000, wantRatio: 1.0 / 160},
		{name: "no rows: the threshold stays, the ratio too",
			c:     Committed{Rows: 0, SizeBytes: 4_096, Threshold: 700_000, Consumed: 6 * time.Hour},
			ratio: 0.01,
			want:  700_000, wantRatio: 0.01},
		{name: "no size known and no threshold: the first segment's rule",
			c:     Committed{Rows: 5, Threshold: 0},
			ratio: 0.01,
			want:  2_000_000, wantRatio: 0.01},
		{name: "narrow rows: capped at the consumer's limit",
			c:    Committed{Rows: 1_000_000_000, SizeBytes: 100_000_000, Threshold: 1_000_000_000, Consumed: time.Hour},
			want: MaxRows, wantRatio: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cfg()
			if tc.f != nil {
				tc.f(&f)
			}
			got, ratio := Next(f, tc.c, tc.ratio, tc.u)
			if got != tc.want {
				t.Errorf("threshold %d, want %d", got, tc.want)
			}
			if math.Abs(ratio-tc.wantRatio) > 1e-12 {
				t.Errorf("ratio %v, want %v", ratio, tc.wantRatio)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	r := Ratio(0, 100, 1000)
	if r != 0.1 {
		t.Fatalf("first ratio %v, want 0.1", r)
	}
	if got := Ratio(r, 0, 1000); got != r {
		t.Errorf("a segment without rows moved the ratio: %v", got)
	}
	if got := Ratio(r, 10, 0); got != r {
		t.Errorf("a segment without size moved the ratio: %v", got)
	}
	// Ten segments at twice the ratio move it by 1-0.9^10 of the way.
	for range 10 {
		r = Ratio(r, 200, 1000)
	}
	want := 0.2 - 0.1*math.Pow(0.9, 10)
	if math.Abs(r-want) > 1e-12 {
		t.Errorf("after ten segments: %v, want %v", r, want)
	}
}

// A table's segments, sealed at a fixed width in bytes per row: the
// thresholds reach the desired size from the initial rows within a few
// segments, and follow when the rows become twice as wide.
func TestConvergence(t *testing.T) {
	f := cfg()
	width := 150.0
	rows, ratio := Initial(f, 0), 0.0
	size := func() int64 { return int64(float64(rows) * width) }
	within := func(seg int, tol float64) {
		t.Helper()
		if d := math.Abs(float64(size())-float64(f.SegmentSize)) / float64(f.SegmentSize); d > tol {
			t.Errorf("segment %d: %d rows, %d bytes: %.0f%% off the desired size", seg, rows, size(), 100*d)
		}
	}
	seg := 0
	step := func() {
		seg++
		rows, ratio = Next(f, Committed{Rows: rows, SizeBytes: size(), Threshold: rows, Consumed: time.Minute}, ratio, 0)
	}
	// 100,000 rows of 150 bytes are 15 MB: ×1.5 while under 100 MB,
	// then the desired size at the learned ratio.
	for range 8 {
		step()
	}
	within(seg, 0.01)
	width = 300
	for range 40 {
		step()
	}
	within(seg, 0.05)
	for range 40 {
		step()
		within(seg, 0.05)
	}
}

func TestMemoryCap(t *testing.T) {
	f := cfg()
	if got := MemoryCap(f); got != MemoryFactor*200_000_000 {
		t.Errorf("MemoryCap = %d", got)
	}
	f.SegmentSize = math.MaxInt64 / 2
	if got := MemoryCap(f); got != math.MaxInt64 {
		t.Errorf("MemoryCap of a huge size = %d, want MaxInt64", got)
	}
}
