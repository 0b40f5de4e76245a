package mutable

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
)

func txConfig(s *schema.Schema, capacity int) Config {
	return Config{
		Name: "transactions__0__0__20250101T0000Z", Table: "transactions", Schema: s, Capacity: capacity,
		TimeColumn:          "creationTimestamp",
		InvertedColumns:     []string{"userID", "campaign", "department"},
		NoDictionaryColumns: []string{"price"},
		PartitionID:         0,
		StartOffset:         "0",
	}
}

// TestConcurrentReadersSeePrefixes runs one writer appending in batches
// of varying sizes and several readers querying snapshots meanwhile: each
// answer must be exactly the answer over the snapshot's row prefix,
// computed here from the raw rows. Run with -race.
func TestConcurrentReadersSeePrefixes(t *testing.T) {
	rows := 60_000
	if testing.Short() {
		rows = 20_000
	}
	ds := datagen.WebTransactions{}
	sch := ds.Schema()
	cols := genRows(t, ds, 5, rows)
	campaign, department, user := cols[5].Strs, cols[3].Strs, cols[0].Strs
	price, ts := cols[6].Floats, cols[7].Ints
	seg, err := New(txConfig(sch, rows))
	if err != nil {
		t.Fatal(err)
	}
	c0, d0, d1, u0 := campaign[0], department[0], department[1], user[0]

	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		appendUneven(t, seg, cols, 0, rows, []int{1, 13, 500, 2048, 97, 4096, 7})
	}()
	var checked atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for last := false; !last; {
				last = done.Load()
				sn := seg.Snapshot()
				n := sn.NumDocs()
				if n == 0 {
					continue
				}
				// Expected answers over rows [0, n).
				var sum float64
				maxTS := int64(math.MinInt64)
				cnt0, inCnt := 0, 0
				byCampaign := map[string]int64{}
				for i := 0; i < n; i++ {
					sum += price[i]
					maxTS = max(maxTS, ts[i])
					byCampaign[campaign[i]]++
					if campaign[i] == c0 {
						cnt0++
					}
					if (department[i] == d0 || department[i] == d1) && user[i] != u0 {
						inCnt++
					}
				}
				got := query(t, sn, sch, "SELECT COUNT(*), SUM(price), MAX(creationTimestamp) FROM transactions")
				if got[0][0] != int64(n) || math.Abs(got[0][1].(float64)-sum) > 1e-6*sum || got[0][2] != float64(maxTS) && got[0][2] != maxTS {
					t.Errorf("%d rows: got %v, want %d %v %d", n, got[0], n, sum, maxTS)
				}
				got = query(t, sn, sch, fmt.Sprintf("SELECT COUNT(*) FROM transactions WHERE campaign = '%s'", c0))
				if got[0][0] != int64(cnt0) {
					t.Errorf("%d rows: campaign = %q: %v, want %d", n, c0, got[0][0], cnt0)
				}
				got = query(t, sn, sch, fmt.Sprintf("SELECT COUNT(*) FROM transactions WHERE department IN ('%s', '%s') AND userID <> '%s'", d0, d1, u0))
				if got[0][0] != int64(inCnt) {
					t.Errorf("%d rows: IN: %v, want %d", n, got[0][0], inCnt)
				}
				got = query(t, sn, sch, "SELECT campaign, COUNT(*) FROM transactions GROUP BY campaign ORDER BY campaign LIMIT 1000")
				keys := make([]string, 0, len(byCampaign))
				for k := range byCampaign {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if len(got) != len(keys) {
					t.Errorf("%d rows: %d campaigns, want %d", n, len(got), len(keys))
				} else {
					for i, k := range keys {
						if got[i][0] != k || got[i][1] != byCampaign[k] {
							t.Errorf("%d rows: group %v, want %s %d", n, got[i], k, byCampaign[k])
							break
						}
					}
				}
				if m := sn.Meta(); m.NumDocs != n || m.EndTime != maxTS {
					t.Errorf("%d rows: meta NumDocs %d EndTime %d, want %d %d", n, m.NumDocs, m.EndTime, n, maxTS)
				}
				checked.Add(1)
				if t.Failed() {
					return
				}
			}
		}()
	}
	wg.Wait()
	if seg.NumDocs() != rows {
		t.Fatalf("%d rows published, want %d", seg.NumDocs(), rows)
	}
	if checked.Load() < 8 {
		t.Fatalf("only %d snapshots checked", checked.Load())
	}
	t.Logf("%d snapshots checked", checked.Load())
}
