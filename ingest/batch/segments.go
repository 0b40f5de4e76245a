package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

// SegmentExt is the file name extension of the segments Ingest writes.
const SegmentExt = ".tseg"

// buildFunc writes one segment file; immutable.Build in production.
type buildFunc func(path string, cfg immutable.BuildConfig, cols []*segment.ColumnBuffer) (*segment.Meta, error)

// buildConfig maps the table config's index settings to the builder's.
func buildConfig(c *Config) immutable.BuildConfig {
	bc := immutable.BuildConfig{TableName: c.tableName(), Schema: c.Schema, PartitionID: -1, Now: c.Clock}
	t := c.Table
	if t == nil {
		return bc
	}
	bc.TimeColumn = t.Segments.TimeColumnName
	x := &t.Index
	bc.SortedColumn = x.SortedColumn
	bc.InvertedColumns = x.InvertedIndexColumns
	bc.RangeColumns = x.RangeIndexColumns
	bc.BloomColumns = x.BloomFilterColumns
	bc.NoDictionaryColumns = x.NoDictionaryColumns
	return bc
}

// timeColumn returns the index of the table's time column in the schema,
// or -1.
func timeColumn(s *schema.Schema, t *tableconfig.TableConfig) int {
	if t == nil || t.Segments.TimeColumnName == "" {
		return -1
	}
	for i := range s.Fields {
		if s.Fields[i].Name == t.Segments.TimeColumnName {
			return i
		}
	}
	return -1
}

// buildJob is one segment's rows, to be written by the build goroutine.
type buildJob struct {
	name string
	path string
	cols []*segment.ColumnBuffer
}

// segmentWriter cuts the rows of batches into segments and writes them in
// a goroutine of its own, so that decoding the next segment's rows
// overlaps building the last one.
type segmentWriter struct {
	cfg   *Config
	bc    immutable.BuildConfig
	build buildFunc
	tcol  int

	cols  []*segment.ColumnBuffer
	rows  int
	bytes int64
	seq   int
	names map[string]bool

	jobs chan buildJob
	done chan struct{}
	// Written by the build goroutine; read after done is closed.
	built []SegmentReport
	err   error
}

func newSegmentWriter(ctx context.Context, cfg *Config, build buildFunc) (*segmentWriter, error) {
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	w := &segmentWriter{
		cfg: cfg, bc: buildConfig(cfg), build: build,
		tcol: timeColumn(cfg.Schema, cfg.Table), seq: cfg.SequenceStart,
		names: map[string]bool{},
		jobs:  make(chan buildJob, 1),
		done:  make(chan struct{}),
	}
	go w.run(ctx)
	return w, nil
}

// run builds the segments handed to it until jobs is closed or a build
// fails; closing done publishes built and err.
func (w *segmentWriter) run(ctx context.Context) {
	defer close(w.done)
	for job := range w.jobs {
		if err := ctx.Err(); err != nil {
			w.err = err
			return
		}
		bc := w.bc
		bc.SegmentName = job.name
		meta, err := w.build(job.path, bc, job.cols)
		if err != nil {
			w.err = fmt.Errorf("build segment %q: %w", job.name, err)
			return
		}
		w.built = append(w.built, SegmentReport{Name: job.name, Path: job.path, Rows: meta.NumDocs, Meta: meta})
		w.cfg.Logger.Info("segment written", "table", bc.TableName, "segment", job.name, "rows", meta.NumDocs, "bytes", meta.SizeBytes)
	}
}

func (w *segmentWriter) newBuffers() {
	w.cols = make([]*segment.ColumnBuffer, len(w.cfg.Schema.Fields))
	for i := range w.cfg.Schema.Fields {
		w.cols[i] = segment.NewColumnBuffer(&w.cfg.Schema.Fields[i])
	}
	w.rows, w.bytes = 0, 0
}

// add appends the selected rows of b, cutting segments at the limits.
func (w *segmentWriter) add(b *decode.Batch, sel []uint32) error {
	for len(sel) > 0 {
		if w.cols == nil {
			w.newBuffers()
		}
		take := min(len(sel), w.cfg.RowsPerSegment-w.rows)
		w.reserve(take)
		w.bytes += b.AppendRows(w.cols, sel[:take])
		w.rows += take
		sel = sel[take:]
		if w.rows >= w.cfg.RowsPerSegment || w.cfg.MaxSegmentBytes > 0 && w.bytes >= w.cfg.MaxSegmentBytes {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// reserve makes room for n more rows in the single-value buffers, growing
// them fourfold at a time up to the segment's row limit: fewer and cheaper
// reallocations than append's doubling of large slices of strings.
func (w *segmentWriter) reserve(n int) {
	need := w.rows + n
	for _, c := range w.cols {
		if !c.Spec.SingleValue {
			continue
		}
		switch c.Spec.DataType.Storage() {
		case schema.StorageInt64:
			c.Ints = growTo(c.Ints, need, w.cfg.RowsPerSegment)
		case schema.StorageFloat64:
			c.Floats = growTo(c.Floats, need, w.cfg.RowsPerSegment)
		default:
			c.Strs = growTo(c.Strs, need, w.cfg.RowsPerSegment)
		}
	}
}

func growTo[T any](s []T, need, limit int) []T {
	if cap(s) >= need {
		return s
	}
	c := min(max(need, 4*cap(s), 1<<14), limit)
	return slices.Grow(s, c-len(s))
}

// flush hands the rows gathered so far to the build goroutine.
func (w *segmentWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	name := w.segmentName()
	if w.names[name] {
		return fmt.Errorf("segment name %q is used twice: set a distinct prefix or include the time in names", name)
	}
	w.names[name] = true
	path := filepath.Join(w.cfg.OutDir, name+SegmentExt)
	if !w.cfg.Overwrite {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("segment file %q exists (overwrite it with the overwrite option)", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check segment file %q: %w", path, err)
		}
	}
	job := buildJob{name: name, path: path, cols: w.cols}
	w.cols, w.rows, w.bytes = nil, 0, 0
	w.seq++
	select {
	case w.jobs <- job:
	case <-w.done:
	}
	return w.err2()
}

// err2 returns the build goroutine's error once it has stopped.
func (w *segmentWriter) err2() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

// close flushes the last rows (unless abort) and waits for the builds.
func (w *segmentWriter) close(abort bool) ([]SegmentReport, error) {
	var err error
	if !abort {
		err = w.flush()
	}
	close(w.jobs)
	<-w.done
	if err == nil {
		err = w.err
	}
	return w.built, err
}

// segmentName follows Pinot's SimpleSegmentNameGenerator: the prefix, the
// minimum and maximum values of the time column (as stored), and the
// sequence number, joined by '_'.
func (w *segmentWriter) segmentName() string {
	parts := []string{w.cfg.SegmentNamePrefix}
	if w.tcol >= 0 && !w.cfg.ExcludeTimeInSegmentName {
		if lo, hi, ok := timeRange(w.cols[w.tcol]); ok {
			parts = append(parts, lo, hi)
		}
	}
	parts = append(parts, strconv.Itoa(w.seq))
	return strings.Join(parts, "_")
}

// timeRange returns the smallest and largest non-null values of a
// single-value column as text, when they are safe in a file name.
func timeRange(c *segment.ColumnBuffer) (lo, hi string, ok bool) {
	if !c.Spec.SingleValue {
		return "", "", false
	}
	n := c.Len()
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		mn, mx := int64(math.MaxInt64), int64(math.MinInt64)
		noNulls := c.Nulls.IsEmpty()
		for i, v := range c.Ints {
			if !noNulls && c.Nulls.Contains(uint32(i)) {
				continue
			}
			mn, mx = min(mn, v), max(mx, v)
		}
		if mn > mx {
			return "", "", false
		}
		return strconv.FormatInt(mn, 10), strconv.FormatInt(mx, 10), true
	case schema.StorageString:
		first := true
		for i := 0; i < n; i++ {
			if c.Nulls.Contains(uint32(i)) {
				continue
			}
			v := c.Strs[i]
			if first {
				lo, hi, first = v, v, false
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		if first || !nameSafe(lo) || !nameSafe(hi) {
			return "", "", false
		}
		return lo, hi, true
	}
	return "", "", false
}

func nameSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
