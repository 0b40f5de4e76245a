package mutable

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/segment"
)

// ErrFull is returned by Append when the rows do not fit the segment's
// capacity; nothing of the batch is appended.
var ErrFull = errors.New("consuming segment is full")

// freezeEvery is the number of rows between two freezes of the inverted
// indexes and null bitmaps: readers scan at most this many rows (plus one
// batch) that the frozen bitmaps do not cover.
const freezeEvery = 1 << 14

// Segment is a consuming segment. One goroutine appends (Append,
// AppendColumns); any number of goroutines take snapshots and query them
// at the same time.
type Segment struct {
	cfg     Config
	cols    []*column
	byName  map[string]int
	created int64

	// Writer state.
	numDocs    int
	frozenDocs int
	scratch    []*segment.ColumnBuffer

	// Published state: readers load it once per Snapshot.
	pub atomic.Pointer[state]
}

// state is one publication: the row count and, per column, what a reader
// of that many rows may read.
type state struct {
	numDocs    int
	frozenDocs int
	cols       []colState
	sizeBytes  int64
}

// New returns an empty consuming segment.
func New(cfg Config) (*Segment, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	// Chunks of up to 64K rows; fewer for small segments.
	shift := uint(bits.Len(uint(cfg.Capacity - 1)))
	shift = min(max(shift, 10), 16)
	s := &Segment{cfg: cfg, byName: map[string]int{}, created: now().UnixMilli()}
	seed := maphash.MakeSeed()
	for i := range cfg.Schema.Fields {
		f := &cfg.Schema.Fields[i]
		c, err := newColumn(f, &s.cfg, shift, seed)
		if err != nil {
			return nil, fmt.Errorf("consuming segment %q: column %q: %w", cfg.Name, f.Name, err)
		}
		s.byName[f.Name] = i
		s.cols = append(s.cols, c)
		s.scratch = append(s.scratch, segment.NewColumnBuffer(f))
	}
	s.publish()
	return s, nil
}

// Config returns the segment's configuration.
func (s *Segment) Config() Config { return s.cfg }

// Name is the segment's name.
func (s *Segment) Name() string { return s.cfg.Name }

// NumDocs is the number of rows published so far.
func (s *Segment) NumDocs() int { return s.pub.Load().numDocs }

// Remaining is the number of rows that still fit (writer side).
func (s *Segment) Remaining() int { return s.cfg.Capacity - s.numDocs }

// EstimatedSizeBytes is the memory the published rows hold: column
// chunks, dictionaries and their hash tables, frozen bitmaps. It is what
// the size flush threshold compares against.
func (s *Segment) EstimatedSizeBytes() int64 { return s.pub.Load().sizeBytes }

// Append appends the kept rows of a decoded batch (its Selection: rows
// that failed or were filtered are left out) and publishes them. It
// returns ErrFull, appending nothing, when they do not fit. The batch's
// rows go through decode.Batch.AppendRows into column buffers the segment
// reuses from call to call.
func (s *Segment) Append(b *decode.Batch) error {
	if len(b.Schema().Fields) != len(s.cols) {
		return fmt.Errorf("consuming segment %q: batch has %d schema columns, segment %d", s.cfg.Name, len(b.Schema().Fields), len(s.cols))
	}
	sel := b.Selection()
	if len(sel) == 0 {
		return nil
	}
	if len(sel) > s.Remaining() {
		return fmt.Errorf("consuming segment %q: %w: %d rows held, %d more exceed the capacity of %d", s.cfg.Name, ErrFull, s.numDocs, len(sel), s.cfg.Capacity)
	}
	for _, c := range s.scratch {
		c.Ints, c.Floats, c.Strs = c.Ints[:0], c.Floats[:0], c.Strs[:0]
		if c.Offsets != nil {
			c.Offsets = c.Offsets[:1]
		}
		c.Nulls.Clear()
	}
	b.AppendRows(s.scratch, sel)
	return s.AppendColumns(s.scratch)
}

// AppendColumns appends the rows of column buffers, one per schema field
// in schema order and of equal length, and publishes them. The buffers
// are read, not kept.
func (s *Segment) AppendColumns(cols []*segment.ColumnBuffer) error {
	if len(cols) != len(s.cols) {
		return fmt.Errorf("consuming segment %q: %d column buffers for %d schema columns", s.cfg.Name, len(cols), len(s.cols))
	}
	n := cols[0].Len()
	for i, b := range cols {
		c := s.cols[i]
		if b.Spec == nil || b.Spec.Name != c.spec.Name || b.Spec.DataType.Storage() != c.st || b.Spec.SingleValue == c.mv {
			return fmt.Errorf("consuming segment %q: buffer %d does not match column %q (%v)", s.cfg.Name, i, c.spec.Name, c.spec.DataType)
		}
		if b.Len() != n {
			return fmt.Errorf("consuming segment %q: column %q has %d rows, column %q has %d", s.cfg.Name, c.spec.Name, b.Len(), s.cols[0].spec.Name, n)
		}
		if c.mv && (len(b.Offsets) == 0 || b.Offsets[0] != 0) {
			return fmt.Errorf("consuming segment %q: multi-value column %q: offsets must start at 0", s.cfg.Name, c.spec.Name)
		}
	}
	if n == 0 {
		return nil
	}
	if n > s.Remaining() {
		return fmt.Errorf("consuming segment %q: %w: %d rows held, %d more exceed the capacity of %d", s.cfg.Name, ErrFull, s.numDocs, n, s.cfg.Capacity)
	}
	for i, b := range cols {
		s.cols[i].appendRows(b, s.numDocs, n)
	}
	s.numDocs += n
	if s.numDocs-s.frozenDocs >= freezeEvery || s.numDocs == s.cfg.Capacity {
		for _, c := range s.cols {
			c.freeze(s.frozenDocs, s.numDocs)
		}
		s.frozenDocs = s.numDocs
	}
	s.publish()
	return nil
}

// publish makes the rows appended so far visible to new snapshots: the
// columns' chunks and dictionaries were written before, the atomic store
// orders those writes before any reader's load.
func (s *Segment) publish() {
	st := &state{numDocs: s.numDocs, frozenDocs: s.frozenDocs, cols: make([]colState, len(s.cols))}
	for i, c := range s.cols {
		st.cols[i] = c.state()
		st.sizeBytes += c.sizeBytes()
	}
	s.pub.Store(st)
}
