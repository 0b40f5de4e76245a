package mutable

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// Seal writes the rows published so far as an immutable segment file (see
// SealRows).
func (s *Segment) Seal(path string, cfg immutable.BuildConfig) (*segment.Meta, error) {
	sn := s.Snapshot()
	return sn.Seal(path, cfg, sn.NumDocs())
}

// SealRows writes the first n published rows as an immutable segment file
// through immutable.Build: sorted on cfg.SortedColumn, with cfg's indexes.
// Empty SegmentName, TableName and Schema in cfg take the segment's. The
// file depends only on the rows and cfg (including cfg.Now): replicas that
// consumed the same records build byte-identical files. It reads a
// snapshot, so the writer may keep appending and queries keep reading
// while it runs.
func (s *Segment) SealRows(path string, cfg immutable.BuildConfig, n int) (*segment.Meta, error) {
	return s.Snapshot().Seal(path, cfg, n)
}

// Seal writes the snapshot's first n rows as an immutable segment file
// (see Segment.SealRows).
func (sn *Snapshot) Seal(path string, cfg immutable.BuildConfig, n int) (*segment.Meta, error) {
	scfg := &sn.seg.cfg
	if n < 0 || n > sn.NumDocs() {
		return nil, fmt.Errorf("seal consuming segment %q: %d rows asked, %d published", scfg.Name, n, sn.NumDocs())
	}
	if cfg.SegmentName == "" {
		cfg.SegmentName = scfg.Name
	}
	if cfg.TableName == "" {
		cfg.TableName = scfg.Table
	}
	if cfg.Schema == nil {
		cfg.Schema = scfg.Schema
	}
	cols := sn.Buffers(n)
	meta, err := immutable.Build(path, cfg, cols)
	if err != nil {
		return nil, fmt.Errorf("seal consuming segment %q: %w", scfg.Name, err)
	}
	return meta, nil
}

// Buffers copies the snapshot's first n rows into column buffers, one per
// schema field, in the order they were appended.
func (sn *Snapshot) Buffers(n int) []*segment.ColumnBuffer {
	out := make([]*segment.ColumnBuffer, len(sn.cols))
	for i := range sn.cols {
		sc := &sn.cols[i]
		b := segment.NewColumnBuffer(sc.c.spec)
		if sc.c.mv {
			sc.mvBuffer(b, n)
		} else {
			sc.svBuffer(b, n)
		}
		if nulls := sc.Nulls(); nulls != nil {
			b.Nulls = nulls.Clone()
			if n < sn.NumDocs() {
				b.Nulls.RemoveRange(uint64(n), 1<<32)
			}
		} else {
			b.Nulls = roaring.New()
		}
		out[i] = b
	}
	return out
}

func (sc *snapColumn) svBuffer(b *segment.ColumnBuffer, n int) {
	docs := make([]uint32, min(n, 1<<12))
	read := func(lo, hi int) []uint32 {
		d := docs[:hi-lo]
		for i := range d {
			d[i] = uint32(lo + i)
		}
		return d
	}
	switch sc.c.st {
	case schema.StorageInt64:
		b.Ints = make([]int64, n)
	case schema.StorageFloat64:
		b.Floats = make([]float64, n)
	default:
		b.Strs = make([]string, n)
	}
	for lo := 0; lo < n; lo += len(docs) {
		hi := min(n, lo+len(docs))
		d := read(lo, hi)
		switch sc.c.st {
		case schema.StorageInt64:
			sc.Int64s(d, b.Ints[lo:hi])
		case schema.StorageFloat64:
			sc.Float64s(d, b.Floats[lo:hi])
		default:
			sc.Strings(d, b.Strs[lo:hi])
		}
	}
}

func (sc *snapColumn) mvBuffer(b *segment.ColumnBuffer, n int) {
	cs := sc.cs
	total := 0
	if n > 0 {
		total = int(cs.ends.at(uint32(n - 1)))
	}
	ids := cs.ids.appendRange(make([]uint32, 0, total), 0, total)
	b.Offsets = make([]uint32, 1, n+1)
	for d := 0; d < n; d++ {
		b.Offsets = append(b.Offsets, cs.ends.at(uint32(d)))
	}
	switch sc.c.st {
	case schema.StorageInt64:
		b.Ints = make([]int64, total)
		for i, id := range ids {
			b.Ints[i] = sc.dict.Ints[id]
		}
	case schema.StorageFloat64:
		b.Floats = make([]float64, total)
		for i, id := range ids {
			b.Floats[i] = sc.dict.Floats[id]
		}
	default:
		b.Strs = make([]string, total)
		for i, id := range ids {
			b.Strs[i] = sc.dict.Strs[id]
		}
	}
}
