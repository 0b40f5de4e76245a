package immutable

import (
	"math/rand/v2"
	"testing"
)

// TestRandomMutations runs a fixed set of random corruptions (byte
// changes, insertions, deletions, 0xff runs), with and without resealing
// the CRCs, through Open and a full read: a deterministic complement to
// FuzzOpen that runs in every test run. Any panic fails it.
func TestRandomMutations(t *testing.T) {
	data, _, _ := fixture(t, 40)
	r := rand.New(rand.NewPCG(2, 1))
	opened := 0
	for i := 0; i < 4000; i++ {
		bad := append([]byte(nil), data...)
		for k := 0; k < 1+r.IntN(8); k++ {
			switch r.IntN(4) {
			case 0:
				bad[r.IntN(len(bad))] = byte(r.IntN(256))
			case 1:
				p := r.IntN(len(bad))
				bad = append(bad[:p], bad[p+1:]...)
			case 2:
				p := r.IntN(len(bad))
				bad = append(bad[:p], append([]byte{byte(r.IntN(256))}, bad[p:]...)...)
			case 3:
				p := r.IntN(len(bad) - 8)
				for j := 0; j < 4; j++ {
					bad[p+j] = 0xff
				}
			}
		}
		if r.IntN(2) == 0 {
			reseal(bad)
		}
		s, err := OpenBytes("fuzz", bad)
		if err != nil {
			continue
		}
		opened++
		readEverything(s)
		s.Close()
	}
	t.Logf("%d of 4000 mutated files opened (valid despite the mutation) and read fully", opened)
}
