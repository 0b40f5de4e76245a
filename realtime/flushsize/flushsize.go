// Package flushsize sizes the consuming segments of a realtime table whose
// stream config asks for segments of a given size
// (realtime.segment.flush.threshold.segment.size) instead of a row count.
// Bytes cannot be the stop signal: replicas must stop at the same row so
// that their sealed copies are identical, and only a row count is the same
// on every replica. So, as in Apache Pinot (SegmentFlushThresholdComputer),
// the controller learns how many rows make the desired size from the
// segments already sealed and records a row threshold in each consuming
// segment it opens:
//
//   - a partition's first segment gets the autotune initial rows
//     (realtime.segment.flush.autotune.initialRows), or the desired size
//     times the table's rows-per-byte ratio when the table has one (a new
//     shard of a table that already committed segments): Initial;
//   - at each commit the sealed segment's rows per byte are folded into
//     the table's ratio with weight 0.1 (Ratio), and the next segment's
//     threshold follows from the committed segment (Next):
//     stopped short of its threshold and under the desired size, it hit the
//     time limit: 1.1 times its rows (scaled down first if the time
//     threshold is now shorter than the time it took), growing cautiously so
//     that a slow partition's segments stay small in memory;
//     under half the desired size: 1.5 times its rows;
//     over 1.5 times the desired size: half its rows;
//     otherwise the desired size times the ratio.
//
// Every threshold lies in MinRows..MaxRows: at least Pinot's floor, at most
// half of segment/mutable's capacity (the consumer gives a segment room
// for twice its threshold).
//
// The functions are pure: the caller keeps the ratio. Tannin's controller
// recomputes it at every commit from the metadata of the table's last
// committed segments (cluster.FlushRatio), which already carry rows and
// size, rather than storing it in etcd: a recomputed ratio needs no key
// of its own that concurrent commits of the table's partitions would
// contend for, is the same on a new leader, and vanishes with the table.
package flushsize

import (
	"math"
	"time"

	"github.com/tannin-db/tannin/segment/mutable"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

const (
	// MinRows is the least threshold learned from sealed segments (Pinot's
	// MINIMUM_NUM_ROWS_THRESHOLD): below it the per-segment overhead and
	// the number of segments outweigh any size target.
	MinRows = 10_000
	// MaxRows is the largest threshold: the consumer's bound on a
	// segment's rows (half of segment/mutable's capacity).
	MaxRows = mutable.MaxCapacity / 2
	// Weight is the newest segment's weight in the table's rows-per-byte
	// ratio; the ratio so far keeps 1-Weight (Pinot's 0.1 and 0.9): one odd
	// segment moves the target little, a lasting change of row width
	// moves it within a few dozen segments.
	Weight = 0.1
	// TimeGrowth is the growth of a segment that stopped on time, over
	// its rows (Pinot's 1.1).
	TimeGrowth = 1.1
)

// Committed is what a committed segment says about the table's rows.
type Committed struct {
	// Rows is the sealed segment's row count.
	Rows int
	// SizeBytes is the sealed segment's file size.
	SizeBytes int64
	// Threshold is the row threshold the segment was consumed under (0 if
	// it was not recorded).
	Threshold int
	// Consumed is the time from the segment's creation to its commit.
	Consumed time.Duration
}

// Ratio folds a sealed segment of rows rows in sizeBytes bytes into the
// table's rows-per-byte ratio prev (0: none yet). A segment without rows
// or size leaves the ratio as it is.
func Ratio(prev float64, rows int, sizeBytes int64) float64 {
	if rows <= 0 || sizeBytes <= 0 {
		return prev
	}
	r := float64(rows) / float64(sizeBytes)
	if prev <= 0 {
		return r
	}
	return Weight*r + (1-Weight)*prev
}

// Initial is the threshold of a partition's first segment: the desired
// size times the table's ratio once it has one, else the autotune
// initial rows.
func Initial(f streamconfig.FlushConfig, ratio float64) int {
	if ratio > 0 {
		return clamp(float64(desired(f))*ratio, MinRows)
	}
	return clamp(float64(f.AutotuneInitialRows), 1)
}

// Next returns the threshold of the segment that follows c and the
// table's ratio with c folded in. u, uniform in [0, 1), draws the
// variation realtime.segment.flush.threshold.variance.fraction asks for
// (f.VarianceFraction of 0: none), which keeps a table's partitions from
// all sealing at the same moment.
//
// A segment without rows or size (an idle partition that stopped on time
// with nothing read) says nothing about row width: the next segment keeps
// its threshold.
func Next(f streamconfig.FlushConfig, c Committed, ratio float64, u float64) (int, float64) {
	if c.Rows <= 0 || c.SizeBytes <= 0 {
		if c.Threshold > 0 {
			return clamp(float64(c.Threshold), 1), ratio
		}
		return Initial(f, ratio), ratio
	}
	ratio = Ratio(ratio, c.Rows, c.SizeBytes)
	want := desired(f)
	// Short of its threshold and under the desired size: the time limit
	// stopped it (a segment over the desired size is sized by the rules
	// below whatever stopped it, so that a lowered size target applies).
	if c.Rows < c.Threshold && c.SizeBytes < want {
		rows := float64(c.Rows)
		if f.Time > 0 && c.Consumed > f.Time {
			// The time threshold was lowered since the segment started:
			// the rows the partition brings in that time.
			rows = rows * float64(f.Time) / float64(c.Consumed)
		}
		return clamp(rows*TimeGrowth, MinRows), ratio
	}
	var target float64
	switch {
	case c.SizeBytes < want/2:
		target = float64(c.Rows) * 1.5
	case float64(c.SizeBytes) > float64(want)*1.5:
		target = float64(c.Rows) / 2
	default:
		target = float64(want) * ratio
	}
	if v := f.VarianceFraction; v > 0 {
		target *= 1 - v + 2*v*u
	}
	return clamp(target, MinRows), ratio
}

// desired is the table's target segment size.
func desired(f streamconfig.FlushConfig) int64 {
	if f.SegmentSize > 0 {
		return f.SegmentSize
	}
	return streamconfig.DefaultFlushSegmentSize
}

// clamp rounds rows down into floor..MaxRows.
func clamp(rows float64, floor int) int {
	switch {
	case math.IsNaN(rows) || rows < float64(floor):
		return floor
	case rows > MaxRows:
		return MaxRows
	}
	return int(rows)
}

// MemoryFactor bounds a size-based table's consuming segment in memory:
// the consumer also stops a segment whose in-memory size
// (mutable.Segment.EstimatedSizeBytes) reaches MemoryFactor times the
// desired size. Only a safety cap against a sudden change of row width
// within one segment: a consuming segment takes 11 to 14 times the bytes of
// its sealed file on web-transactions-like events (dictionary hash tables,
// 8-byte raw values, bitmaps still growing), so a lower cap would stop
// segments before the learned row threshold and they would never approach
// the desired size. Where it does stop a segment, the replicas may stop
// at different rows (memory use follows each replica's batches), which the
// completion protocol settles as for the time limit.
const MemoryFactor = 32

// MemoryCap is the in-memory size at which a consuming segment of a
// size-based table stops (see MemoryFactor).
func MemoryCap(f streamconfig.FlushConfig) int64 {
	d := desired(f)
	if d > math.MaxInt64/MemoryFactor {
		return math.MaxInt64
	}
	return d * MemoryFactor
}
