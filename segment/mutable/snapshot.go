package mutable

import (
	"math"
	"math/bits"
	"strconv"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Snapshot is a read-only view of a consuming segment's first NumDocs
// rows, as published when it was taken: a segment.Segment the query engine
// reads like any other. Rows appended later are invisible to it. It is
// safe for concurrent use and cheap to take (one per query).
type Snapshot struct {
	seg  *Segment
	st   *state
	cols []snapColumn

	metaOnce sync.Once
	meta     *segment.Meta
}

// Snapshot returns a view of the rows published so far.
func (s *Segment) Snapshot() *Snapshot {
	st := s.pub.Load()
	sn := &Snapshot{seg: s, st: st, cols: make([]snapColumn, len(s.cols))}
	for i, c := range s.cols {
		sc := &sn.cols[i]
		sc.sn, sc.c, sc.cs, sc.idx = sn, c, &st.cols[i], i
		sc.lookup.sc = sc
		sc.inv.col = sc
		if !c.raw {
			cs := sc.cs
			sc.dict = segment.Dictionary{Type: c.spec.DataType, Ints: cs.dictI, Floats: floatsOf(cs.dictF), Strs: cs.dictS,
				Sorted: cs.dictAsc}
			if !cs.dictAsc {
				sc.dict.Lookup = &sc.lookup
			}
		}
	}
	return sn
}

func (sn *Snapshot) Name() string { return sn.seg.cfg.Name }

// NumDocs is the number of rows the snapshot sees.
func (sn *Snapshot) NumDocs() int { return sn.st.numDocs }

func (sn *Snapshot) Column(name string) segment.Column {
	if i, ok := sn.seg.byName[name]; ok {
		return &sn.cols[i]
	}
	return nil
}

// Meta describes the snapshot's rows: row count, time range, column
// statistics, the partition and start offset, and the memory held.
func (sn *Snapshot) Meta() *segment.Meta {
	sn.metaOnce.Do(func() { sn.meta = sn.buildMeta() })
	return sn.meta
}

func (sn *Snapshot) buildMeta() *segment.Meta {
	cfg := &sn.seg.cfg
	m := &segment.Meta{Name: cfg.Name, Table: cfg.Table, NumDocs: sn.st.numDocs, TimeColumn: cfg.TimeColumn,
		PartitionID: cfg.PartitionID, CreatedMs: sn.seg.created, SizeBytes: sn.st.sizeBytes, StartOffset: cfg.StartOffset}
	for i := range sn.cols {
		sc := &sn.cols[i]
		c, cs := sc.c, sc.cs
		cm := &segment.ColumnMeta{Name: c.spec.Name, DataType: c.spec.DataType, SingleValue: !c.mv,
			HasDictionary: !c.raw, Cardinality: cs.dictLen, Sorted: cs.sorted && sn.st.numDocs > 0,
			NullCount: cs.nullCount, HasInverted: c.inverted}
		if !c.raw {
			cm.BitWidth = max(1, bits.Len(uint(max(cs.dictLen-1, 0))))
		}
		if c.mv {
			cm.MaxValuesPerDoc, cm.TotalValues = cs.maxPerDoc, cs.totalValues
		}
		if cs.hasBound {
			switch c.st {
			case schema.StorageInt64:
				cm.Min.Int, cm.Max.Int = cs.minI, cs.maxI
			case schema.StorageFloat64:
				cm.Min.Float, cm.Max.Float = cs.minF, cs.maxF
			default:
				cm.Min.Str, cm.Max.Str = cs.minS, cs.maxS
			}
		}
		if c.tf != nil && cs.hasBound {
			switch c.st {
			case schema.StorageInt64:
				m.StartTime, m.EndTime = c.tf.ToMillisInt(cs.minI), c.tf.ToMillisInt(cs.maxI)
			case schema.StorageFloat64:
				m.StartTime, m.EndTime = c.tf.ToMillisInt(int64(math.Floor(cs.minF))), c.tf.ToMillisInt(int64(math.Ceil(cs.maxF)))
			default:
				if cs.hasTime {
					m.StartTime, m.EndTime = cs.timeLo, cs.timeHi
				}
			}
		}
		m.Columns = append(m.Columns, cm)
	}
	return m
}

// snapColumn reads one column of a snapshot.
type snapColumn struct {
	sn     *Snapshot
	c      *column
	cs     *colState
	idx    int
	dict   segment.Dictionary
	lookup dictLookup
	inv    invView

	nullsOnce sync.Once
	nulls     *roaring.Bitmap
}

// dictLookup finds values among a snapshot's dictionary prefix.
type dictLookup struct{ sc *snapColumn }

func (l *dictLookup) LookupInt64(v int64) (uint32, bool) {
	if l.sc.c.st != schema.StorageInt64 {
		return 0, false
	}
	return l.sc.c.di.lookup(l.sc.cs.dictI, v)
}

func (l *dictLookup) LookupFloat64(v float64) (uint32, bool) {
	if l.sc.c.st != schema.StorageFloat64 {
		return 0, false
	}
	return l.sc.c.df.lookup(l.sc.cs.dictF, floatBits(v))
}

func (l *dictLookup) LookupString(v string) (uint32, bool) {
	if st := l.sc.c.st; st == schema.StorageInt64 || st == schema.StorageFloat64 {
		return 0, false
	}
	return l.sc.c.ds.lookup(l.sc.cs.dictS, v)
}

func (sc *snapColumn) Meta() *segment.ColumnMeta { return sc.sn.Meta().Columns[sc.idx] }

func (sc *snapColumn) Dictionary() *segment.Dictionary {
	if sc.c.raw {
		return nil
	}
	return &sc.dict
}

func (sc *snapColumn) check(docs []uint32) {
	if n := len(docs); n > 0 && (int64(docs[n-1]) >= int64(sc.sn.st.numDocs) || docs[0] > docs[n-1]) {
		panic("BUG: column read of docs out of range or not ascending")
	}
}

// DictIDs reads the dictionary ids of single-value docs; a raw or
// multi-value column reads zeros.
func (sc *snapColumn) DictIDs(docs []uint32, dst []uint32) {
	if len(docs) == 0 {
		return
	}
	sc.check(docs)
	if sc.c.raw || sc.c.mv {
		clear(dst[:len(docs)])
		return
	}
	sc.cs.ids.gather(docs, dst)
}

const readBatch = 256

// Int64s reads values as int64: truncated floats of a float column,
// parsed text of a string column (0 when not a number).
func (sc *snapColumn) Int64s(docs []uint32, dst []int64) {
	n := len(docs)
	if n == 0 {
		return
	}
	sc.check(docs)
	dst = dst[:n]
	c, cs := sc.c, sc.cs
	switch {
	case c.mv:
		clear(dst)
	case c.st == schema.StorageInt64 && c.raw:
		cs.ri.gather(docs, dst)
	case c.st == schema.StorageInt64:
		var ids [readBatch]uint32
		vals := cs.dictI
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			cs.ids.gather(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			for j, id := range ids[:m] {
				out[j] = vals[id]
			}
		}
	case c.st == schema.StorageFloat64:
		var buf [readBatch]float64
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Float64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = int64(v)
			}
		}
	default:
		var buf [readBatch]string
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Strings(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = parseInt(v)
			}
		}
	}
}

// Float64s reads values as float64 (converted from an int column, parsed
// from a string column).
func (sc *snapColumn) Float64s(docs []uint32, dst []float64) {
	n := len(docs)
	if n == 0 {
		return
	}
	sc.check(docs)
	dst = dst[:n]
	c, cs := sc.c, sc.cs
	switch {
	case c.mv:
		clear(dst)
	case c.st == schema.StorageFloat64 && c.raw:
		cs.rf.gather(docs, dst)
	case c.st == schema.StorageFloat64:
		var ids [readBatch]uint32
		vals := cs.dictF
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			cs.ids.gather(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			for j, id := range ids[:m] {
				out[j] = math.Float64frombits(vals[id])
			}
		}
	case c.st == schema.StorageInt64:
		var buf [readBatch]int64
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Int64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = float64(v)
			}
		}
	default:
		var buf [readBatch]string
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Strings(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
}

// Strings reads values as strings: string and bytes columns without
// copying; numeric columns are formatted, which allocates.
func (sc *snapColumn) Strings(docs []uint32, dst []string) {
	n := len(docs)
	if n == 0 {
		return
	}
	sc.check(docs)
	dst = dst[:n]
	c, cs := sc.c, sc.cs
	switch {
	case c.mv:
		clear(dst)
	case c.st == schema.StorageInt64:
		var buf [readBatch]int64
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Int64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = strconv.FormatInt(v, 10)
			}
		}
	case c.st == schema.StorageFloat64:
		var buf [readBatch]float64
		bitSize := 64
		if c.spec.DataType == schema.TypeFloat {
			bitSize = 32
		}
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			sc.Float64s(docs[i:i+m], buf[:m])
			for j, v := range buf[:m] {
				dst[i+j] = strconv.FormatFloat(v, 'g', -1, bitSize)
			}
		}
	case c.raw:
		cs.rs.gather(docs, dst)
	default:
		var ids [readBatch]uint32
		vals := cs.dictS
		for i := 0; i < n; i += readBatch {
			m := min(readBatch, n-i)
			cs.ids.gather(docs[i:i+m], ids[:m])
			out := dst[i : i+m]
			for j, id := range ids[:m] {
				out[j] = vals[id]
			}
		}
	}
}

// MVDictIDs appends the dictionary ids of doc to dst: all of a
// multi-value doc's, the one id of a single-value dictionary column,
// nothing for a raw column.
func (sc *snapColumn) MVDictIDs(doc uint32, dst []uint32) []uint32 {
	if int64(doc) >= int64(sc.sn.st.numDocs) {
		panic("BUG: MVDictIDs of a doc out of range")
	}
	c, cs := sc.c, sc.cs
	switch {
	case c.mv:
		lo := 0
		if doc > 0 {
			lo = int(cs.ends.at(doc - 1))
		}
		return cs.ids.appendRange(dst, lo, int(cs.ends.at(doc)))
	case c.raw:
		return dst
	}
	return append(dst, cs.ids.at(doc))
}

// Nulls is the snapshot's null docs: the frozen bitmap when no null came
// after the freeze point, else a copy with the later ones added (made
// once per snapshot).
func (sc *snapColumn) Nulls() *roaring.Bitmap {
	cs := sc.cs
	if cs.nullCount == 0 {
		return nil
	}
	sc.nullsOnce.Do(func() {
		if cs.nullCount == cs.frozenNullCount {
			sc.nulls = cs.frozenNulls
			return
		}
		bm := roaring.New()
		if cs.frozenNulls != nil {
			bm = cs.frozenNulls.Clone()
		}
		bm.AddMany(cs.nullDocs.appendRange(nil, cs.frozenNullCount, cs.nullCount))
		sc.nulls = bm
	})
	return sc.nulls
}

func (sc *snapColumn) Inverted() segment.InvertedIndex {
	if !sc.c.inverted {
		return nil
	}
	return &sc.inv
}

func (sc *snapColumn) SortedIndex() segment.SortedIndex { return nil }
func (sc *snapColumn) RangeIndex() segment.RangeIndex   { return nil }
func (sc *snapColumn) Bloom() segment.BloomFilter       { return nil }

// scanTail calls f with each (dictionary id, doc) of docs [from, to).
func (sc *snapColumn) scanTail(from, to int, f func(id, doc uint32)) {
	cs := sc.cs
	if !sc.c.mv {
		var ids [readBatch]uint32
		for d := from; d < to; d += readBatch {
			m := min(readBatch, to-d)
			cs.ids.copyRun(d, ids[:m])
			for j, id := range ids[:m] {
				f(id, uint32(d+j))
			}
		}
		return
	}
	lo := 0
	if from > 0 {
		lo = int(cs.ends.at(uint32(from - 1)))
	}
	var vals []uint32
	for d := from; d < to; d++ {
		hi := int(cs.ends.at(uint32(d)))
		vals = cs.ids.appendRange(vals[:0], lo, hi)
		for _, id := range vals {
			f(id, uint32(d))
		}
		lo = hi
	}
}

func parseInt(s string) int64 {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v
	}
	f, _ := strconv.ParseFloat(s, 64)
	return int64(f)
}
