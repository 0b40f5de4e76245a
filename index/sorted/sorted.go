package sorted

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// ErrCorrupt marks a runs section that does not decode.
var ErrCorrupt = errors.New("corrupt sorted index")

// IsSorted reports whether ids never decrease.
func IsSorted(ids []uint32) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] < ids[i-1] {
			return false
		}
	}
	return true
}

// AppendRuns appends the run starts of non-decreasing ids (each below card)
// to dst: starts[i] is the first doc with id >= i, starts[card] the doc
// count.
func AppendRuns(dst []byte, ids []uint32, card int) []byte {
	d := 0
	for id := 0; id <= card; id++ {
		for d < len(ids) && int(ids[d]) < id {
			d++
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(d))
	}
	return dst
}

// Runs reads a runs body in place.
type Runs struct {
	starts []byte
	card   int
}

// Open checks that body holds card+1 non-decreasing starts from 0 to
// numDocs.
func Open(body []byte, card, numDocs int) (*Runs, error) {
	if card < 0 || len(body) != 4*(card+1) {
		return nil, fmt.Errorf("%w: %d bytes for %d ids", ErrCorrupt, len(body), card)
	}
	r := &Runs{starts: body, card: card}
	prev := uint32(0)
	for i := 0; i <= card; i++ {
		s := r.start(i)
		if s < prev || (i == 0 && s != 0) {
			return nil, fmt.Errorf("%w: run start %d out of order", ErrCorrupt, i)
		}
		prev = s
	}
	if int64(prev) != int64(numDocs) {
		return nil, fmt.Errorf("%w: runs end at %d, segment has %d docs", ErrCorrupt, prev, numDocs)
	}
	return r, nil
}

func (r *Runs) start(i int) uint32 { return binary.LittleEndian.Uint32(r.starts[4*i:]) }

// Card is the number of ids.
func (r *Runs) Card() int { return r.card }

// DocRange returns the docs [start, end) holding id; an id out of range
// has an empty range.
func (r *Runs) DocRange(id uint32) (start, end uint32) {
	if int64(id) >= int64(r.card) {
		n := r.start(r.card)
		return n, n
	}
	return r.start(int(id)), r.start(int(id) + 1)
}

// IDRange returns the docs [start, end) holding ids lo..hi (inclusive).
func (r *Runs) IDRange(lo, hi uint32) (start, end uint32) {
	if lo > hi || int64(lo) >= int64(r.card) {
		return 0, 0
	}
	hi = min(hi, uint32(r.card-1))
	return r.start(int(lo)), r.start(int(hi) + 1)
}

// ID returns the id of doc (which must be below the doc count).
func (r *Runs) ID(doc uint32) uint32 {
	// The last id whose start is <= doc.
	i := sort.Search(r.card, func(i int) bool { return r.start(i+1) > doc })
	return uint32(min(i, r.card-1))
}

// IDs writes the ids of the ascending docs to dst, walking the runs from
// the first doc's run.
func (r *Runs) IDs(docs []uint32, dst []uint32) {
	if len(docs) == 0 {
		return
	}
	id := r.ID(docs[0])
	end := r.start(int(id) + 1)
	for i, d := range docs {
		for d >= end && int(id) < r.card-1 {
			id++
			end = r.start(int(id) + 1)
		}
		dst[i] = id
	}
}

// Fill writes the ids of docs start..start+len(dst)-1 to dst.
func (r *Runs) Fill(start uint32, dst []uint32) {
	if len(dst) == 0 {
		return
	}
	id := r.ID(start)
	d := start
	for len(dst) > 0 {
		end := r.start(int(id) + 1)
		n := min(int(end-d), len(dst))
		if int(id) == r.card-1 {
			n = len(dst)
		}
		fill := dst[:n]
		for i := range fill {
			fill[i] = id
		}
		dst = dst[n:]
		d += uint32(n)
		id++
	}
}
