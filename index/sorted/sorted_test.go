package sorted

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func genSorted(r *rand.Rand, n, card int) []uint32 {
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(r.IntN(card))
	}
	slices.Sort(ids)
	return ids
}

// naiveRange scans for the first and last doc of id.
func naiveRange(ids []uint32, id uint32) (uint32, uint32) {
	start, end := -1, -1
	for d, x := range ids {
		if x == id {
			if start < 0 {
				start = d
			}
			end = d + 1
		}
	}
	if start < 0 {
		// Empty run: where the id would be.
		p, _ := slices.BinarySearch(ids, id)
		return uint32(p), uint32(p)
	}
	return uint32(start), uint32(end)
}

func TestRunsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, card int }{{1, 1}, {10, 3}, {5000, 10}, {5000, 4000}, {300, 1000}} {
		t.Run(fmt.Sprintf("n=%d/card=%d", tc.n, tc.card), func(t *testing.T) {
			ids := genSorted(r, tc.n, tc.card)
			body := AppendRuns(nil, ids, tc.card)
			runs, err := Open(body, tc.card, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			for id := uint32(0); id < uint32(tc.card); id++ {
				s, e := runs.DocRange(id)
				ws, we := naiveRange(ids, id)
				if s != ws || e != we {
					t.Fatalf("DocRange(%d) = [%d,%d), want [%d,%d)", id, s, e, ws, we)
				}
			}
			for d := range ids {
				if got := runs.ID(uint32(d)); got != ids[d] {
					t.Fatalf("ID(%d) = %d, want %d", d, got, ids[d])
				}
			}
			for start := 0; start < tc.n; start += 1 + tc.n/7 {
				dst := make([]uint32, tc.n-start)
				runs.Fill(uint32(start), dst)
				if !slices.Equal(dst, ids[start:]) {
					t.Fatalf("Fill(%d) differs", start)
				}
			}
			var docs []uint32
			for d := 0; d < tc.n; d += 1 + r.IntN(5) {
				docs = append(docs, uint32(d))
			}
			dst := make([]uint32, len(docs))
			runs.IDs(docs, dst)
			for i, d := range docs {
				if dst[i] != ids[d] {
					t.Fatalf("IDs: doc %d = %d, want %d", d, dst[i], ids[d])
				}
			}
			lo, hi := uint32(tc.card/4), uint32(tc.card/2)
			s, e := runs.IDRange(lo, hi)
			for d, x := range ids {
				in := uint32(d) >= s && uint32(d) < e
				if in != (x >= lo && x <= hi) {
					t.Fatalf("IDRange(%d,%d) = [%d,%d) wrong at doc %d (id %d)", lo, hi, s, e, d, x)
				}
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	body := AppendRuns(nil, []uint32{0, 0, 1, 2, 2}, 3)
	down := slices.Clone(body)
	down[4], down[8] = 4, 2 // starts 0,4,2,...
	for name, tc := range map[string]struct {
		body          []byte
		card, numDocs int
	}{
		"short":           {body[:12], 3, 5},
		"wrong doc count": {body, 3, 6},
		"decreasing":      {down, 3, 5},
		"negative card":   {body, -1, 5},
	} {
		if _, err := Open(tc.body, tc.card, tc.numDocs); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: Open = %v", name, err)
		}
	}
}

// genDense returns sorted ids in which every id of 0..card-1 occurs.
func genDense(r *rand.Rand, n, card int) []uint32 {
	ids := genSorted(r, n-card, card)
	for id := 0; id < card; id++ {
		ids = append(ids, uint32(id))
	}
	slices.Sort(ids)
	return ids
}

func TestBitsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ n, card int }{{1, 1}, {2, 2}, {64, 64}, {65, 3}, {513, 200}, {5000, 10}, {5000, 5000}, {20000, 7000}} {
		t.Run(fmt.Sprintf("n=%d/card=%d", tc.n, tc.card), func(t *testing.T) {
			ids := genDense(r, tc.n, tc.card)
			body := AppendBits([]byte{9}, ids)[1:]
			b, err := OpenBits(body, tc.card, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			for id := uint32(0); id < uint32(tc.card); id++ {
				s, e := b.DocRange(id)
				ws, we := naiveRange(ids, id)
				if s != ws || e != we {
					t.Fatalf("DocRange(%d) = [%d,%d), want [%d,%d)", id, s, e, ws, we)
				}
			}
			if s, e := b.DocRange(uint32(tc.card)); s != uint32(tc.n) || e != uint32(tc.n) {
				t.Fatalf("DocRange(card) = [%d,%d)", s, e)
			}
			for d := range ids {
				if got := b.ID(uint32(d)); got != ids[d] {
					t.Fatalf("ID(%d) = %d, want %d", d, got, ids[d])
				}
			}
			for start := 0; start < tc.n; start += 1 + tc.n/5 {
				dst := make([]uint32, tc.n-start)
				b.Fill(uint32(start), dst)
				if !slices.Equal(dst, ids[start:]) {
					t.Fatalf("Fill(%d) differs", start)
				}
			}
		})
	}
}

func TestOpenBitsRejects(t *testing.T) {
	ids := []uint32{0, 0, 1, 2, 2, 3}
	body := AppendBits(nil, ids)
	bit0 := slices.Clone(body)
	bit0[0] |= 1
	beyond := slices.Clone(body)
	beyond[7] |= 0x80
	rank := slices.Clone(body)
	rank[len(rank)-1] = 9
	for name, tc := range map[string]struct {
		body    []byte
		card, n int
	}{
		"wrong card":     {body, 5, 6},
		"wrong length":   {body[:len(body)-1], 4, 6},
		"bit for doc 0":  {bit0, 4, 6},
		"bit beyond n":   {beyond, 4, 6},
		"bad rank":       {rank, 4, 6},
		"empty with ids": {AppendBits(nil, nil), 1, 0},
	} {
		if _, err := OpenBits(tc.body, tc.card, tc.n); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: OpenBits = %v", name, err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(AppendRuns(nil, []uint32{0, 0, 1, 2, 2}, 3), uint16(3), uint16(5), false)
	f.Add(AppendBits(nil, []uint32{0, 0, 1, 2, 2}), uint16(3), uint16(5), true)
	f.Fuzz(func(t *testing.T, body []byte, card, n uint16, useBits bool) {
		type index interface {
			DocRange(uint32) (uint32, uint32)
			ID(uint32) uint32
			Fill(uint32, []uint32)
			IDs([]uint32, []uint32)
		}
		var x index
		if useBits {
			b, err := OpenBits(body, int(card), int(n))
			if err != nil {
				return
			}
			x = b
		} else {
			r, err := Open(body, int(card), int(n))
			if err != nil {
				return
			}
			x = r
		}
		if n == 0 {
			return
		}
		dst := make([]uint32, n)
		x.Fill(0, dst)
		docs := make([]uint32, n)
		for i := range docs {
			docs[i] = uint32(i)
		}
		x.IDs(docs, dst)
		for id := uint32(0); id <= uint32(card); id++ {
			s, e := x.DocRange(id)
			if s > e || e > uint32(n) {
				t.Fatalf("DocRange(%d) = [%d,%d) of %d docs", id, s, e, n)
			}
		}
	})
}
