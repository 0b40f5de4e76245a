package mutable

import (
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// A realtime inverted index in two parts. Every freezeEvery rows the
// writer folds the new rows into one immutable bitmap per dictionary id:
// the id's previous bitmap cloned plus its new docs, published through an
// atomic pointer in a chunked slot array. A reader takes the frozen
// bitmap as it stands (zero copy when the id has no docs after the last
// freeze point its snapshot knows) and finds the id's docs in the rows
// after that point by scanning their dictionary ids: at most freezeEvery
// plus one batch of rows. Clone-on-freeze costs the size of an id's
// bitmap each time the id gains docs, which the interval amortises; the
// reader never locks and never sees a bitmap change under it.

// invWriter is the writer's side.
type invWriter struct {
	shift   uint
	dir     [][]atomic.Pointer[roaring.Bitmap]
	pending [][]uint32 // per id: docs since the last freeze
	touched []uint32
	bytes   int64
}

// invState is a reader's copy of the slot directory.
type invState struct {
	dir   [][]atomic.Pointer[roaring.Bitmap]
	shift uint
}

func (w *invWriter) state() invState { return invState{dir: w.dir, shift: w.shift} }

func (w *invWriter) slot(id uint32) *atomic.Pointer[roaring.Bitmap] {
	ci := int(id >> w.shift)
	for ci >= len(w.dir) {
		w.dir = append(w.dir, make([]atomic.Pointer[roaring.Bitmap], 1<<w.shift))
	}
	return &w.dir[ci][id&(1<<w.shift-1)]
}

func (w *invWriter) note(id, doc uint32) {
	for int(id) >= len(w.pending) {
		w.pending = append(w.pending, nil)
	}
	p := w.pending[id]
	if len(p) == 0 {
		w.touched = append(w.touched, id)
	} else if p[len(p)-1] == doc {
		return // a value repeated within one multi-value doc
	}
	w.pending[id] = append(p, doc)
}

// freeze folds docs [from, to) of c into the frozen bitmaps.
func (w *invWriter) freeze(c *column, from, to int) {
	ids := c.ids.view()
	if c.mv {
		ends := c.ends.view()
		lo := 0
		if from > 0 {
			lo = int(ends.at(uint32(from - 1)))
		}
		for d := from; d < to; d++ {
			hi := int(ends.at(uint32(d)))
			for k := lo; k < hi; k++ {
				w.note(ids.at(uint32(k)), uint32(d))
			}
			lo = hi
		}
	} else {
		for d := from; d < to; d++ {
			w.note(ids.at(uint32(d)), uint32(d))
		}
	}
	for _, id := range w.touched {
		s := w.slot(id)
		bm := s.Load()
		docs := w.pending[id]
		if bm == nil {
			bm = roaring.BitmapOf(docs...)
			w.bytes += 64 // the bitmap and its container headers
		} else {
			bm = bm.Clone()
			bm.AddMany(docs)
		}
		// Array containers take 2 bytes a doc; an estimate, because
		// measuring every bitmap would cost more than building it.
		w.bytes += 2 * int64(len(docs))
		s.Store(bm)
		w.pending[id] = w.pending[id][:0]
	}
	w.touched = w.touched[:0]
}

// invView serves one snapshot's inverted index.
type invView struct {
	col *snapColumn

	calls atomic.Int32
	once  sync.Once
	tail  map[uint32][]uint32 // id -> docs after the freeze point
}

// tailIndexAfter is the number of Docs calls on one snapshot after which
// the tail rows are indexed once instead of scanned per call.
const tailIndexAfter = 4

func (x *invView) Docs(id uint32) *roaring.Bitmap {
	sc := x.col
	cs := sc.cs
	frozenTo := uint32(sc.sn.st.frozenDocs)
	var bm *roaring.Bitmap
	if ci := int(id >> cs.inv.shift); ci < len(cs.inv.dir) {
		bm = cs.inv.dir[ci][id&(1<<cs.inv.shift-1)].Load()
	}
	// The bitmap may come from a freeze after this snapshot's: keep what
	// lies below this snapshot's freeze point only.
	if bm != nil && !bm.IsEmpty() && bm.Maximum() >= frozenTo {
		bm = bm.Clone()
		bm.RemoveRange(uint64(frozenTo), 1<<32)
	}
	tail := x.tailDocs(id)
	if len(tail) == 0 {
		if bm == nil {
			return roaring.New()
		}
		return bm
	}
	out := roaring.New()
	if bm != nil {
		out = bm.Clone()
	}
	out.AddMany(tail)
	return out
}

// tailDocs returns the docs after the freeze point holding id.
func (x *invView) tailDocs(id uint32) []uint32 {
	sc := x.col
	from, to := sc.sn.st.frozenDocs, sc.sn.st.numDocs
	if from == to {
		return nil
	}
	if x.calls.Add(1) > tailIndexAfter {
		x.once.Do(func() {
			m := map[uint32][]uint32{}
			sc.scanTail(from, to, func(id, doc uint32) {
				if l := m[id]; len(l) == 0 || l[len(l)-1] != doc {
					m[id] = append(l, doc)
				}
			})
			x.tail = m
		})
		return x.tail[id]
	}
	var docs []uint32
	sc.scanTail(from, to, func(v, doc uint32) {
		if v == id && (len(docs) == 0 || docs[len(docs)-1] != doc) {
			docs = append(docs, doc)
		}
	})
	return docs
}
