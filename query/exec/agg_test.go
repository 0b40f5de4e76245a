package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// TestGroupedLanes checks grouped COUNT and SUM on lanes (laneGroups)
// against one addition per row, for group counts on both sides of the
// bound and batch lengths that are not multiples of the lane count.
func TestGroupedLanes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, groups := range []int{1, 3, laneGroups, laneGroups + 1} {
		for _, rows := range []int{1, 3, 4, 7, 1023, 1024} {
			gs := make([]uint32, rows)
			v := vec.New(schema.TypeDouble)
			v.Reset(schema.TypeDouble, rows)
			wantSum := make([]float64, groups)
			wantN := make([]int64, groups)
			for i := range gs {
				gs[i] = uint32(r.IntN(groups))
				v.F64[i] = float64(r.IntN(1000)) / 4 // exact in any order
				wantSum[gs[i]] += v.F64[i]
				wantN[gs[i]]++
			}
			sa := &sumAcc{}
			sa.resize(groups)
			ca := &countAcc{}
			ca.resize(groups)
			for range 2 { // twice: the lanes add to what is there
				sa.add(rows, gs, v, nil)
				ca.add(rows, gs, nil, nil)
			}
			for g := range groups {
				if sa.sum[g] != 2*wantSum[g] || sa.n[g] != 2*wantN[g] || ca.n[g] != 2*wantN[g] {
					t.Fatalf("%d groups, %d rows: group %d sum %v n %d count %d, want %v, %d",
						groups, rows, g, sa.sum[g], sa.n[g], ca.n[g], 2*wantSum[g], 2*wantN[g])
				}
			}
		}
	}
}
