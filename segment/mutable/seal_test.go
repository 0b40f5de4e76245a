package mutable

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment/immutable"
)

func txBuildConfig(s *schema.Schema) immutable.BuildConfig {
	return immutable.BuildConfig{
		SegmentName: "transactions__0__0__20250101T0000Z", TableName: "transactions", Schema: s,
		TimeColumn: "creationTimestamp", SortedColumn: "userID",
		InvertedColumns: []string{"campaign", "department"}, RangeColumns: []string{"price"},
		BloomColumns: []string{"productName"}, NoDictionaryColumns: []string{"price"},
		PartitionID: 0, StartOffset: "0", EndOffset: "30000",
		Now: func() time.Time { return time.UnixMilli(1_735_689_600_000) },
	}
}

// TestSealDeterministic seals the same rows appended in different batch
// sizes, by two segments, and checks the files are byte-identical, equal
// to a direct immutable.Build of the rows, and answer like the snapshot.
// One seal runs while the writer keeps appending to the segment and
// readers query it.
func TestSealDeterministic(t *testing.T) {
	const rows = 30_000
	ds := datagen.WebTransactions{}
	sch := ds.Schema()
	cols := genRows(t, ds, 9, rows)
	more := genRows(t, ds, 10, rows)
	dir := t.TempDir()
	bc := txBuildConfig(sch)

	a, err := New(txConfig(sch, rows))
	if err != nil {
		t.Fatal(err)
	}
	appendUneven(t, a, cols, 0, rows, []int{1000})
	pa := filepath.Join(dir, "a.tseg")
	ma, err := a.Seal(pa, bc)
	if err != nil {
		t.Fatal(err)
	}

	// b holds the same rows, then more; it is sealed at row count rows
	// while the writer appends the rest and queries run.
	b, err := New(txConfig(sch, 2*rows))
	if err != nil {
		t.Fatal(err)
	}
	appendUneven(t, b, cols, 0, rows, []int{7, 4096, 333})
	pb := filepath.Join(dir, "b.tseg")
	var wg sync.WaitGroup
	var sealErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, sealErr = b.SealRows(pb, bc, rows)
	}()
	go func() {
		defer wg.Done()
		appendUneven(t, b, more, 0, rows, []int{512})
	}()
	for i := 0; i < 5; i++ {
		query(t, b.Snapshot(), sch, "SELECT campaign, COUNT(*) FROM transactions GROUP BY campaign")
	}
	wg.Wait()
	if sealErr != nil {
		t.Fatal(sealErr)
	}

	// The rows built directly.
	pc := filepath.Join(dir, "c.tseg")
	if _, err := immutable.Build(pc, bc, sliceRows(cols, 0, rows)); err != nil {
		t.Fatal(err)
	}
	fa, fb, fc := readFile(t, pa), readFile(t, pb), readFile(t, pc)
	if !bytes.Equal(fa, fb) || !bytes.Equal(fa, fc) {
		t.Fatalf("sealed files differ: %d, %d and %d bytes", len(fa), len(fb), len(fc))
	}

	// The sealed segment answers as the consuming one did.
	sealed, err := immutable.Open(pa)
	if err != nil {
		t.Fatal(err)
	}
	defer sealed.Close()
	snap := a.Snapshot()
	if ma.NumDocs != rows || ma.StartTime != snap.Meta().StartTime || ma.EndTime != snap.Meta().EndTime {
		t.Errorf("sealed meta: %d docs, time %d..%d; consuming: %d..%d", ma.NumDocs, ma.StartTime, ma.EndTime, snap.Meta().StartTime, snap.Meta().EndTime)
	}
	for i, cm := range snap.Meta().Columns {
		sm := ma.Columns[i]
		if cm.Cardinality != sm.Cardinality || cm.Min != sm.Min || cm.Max != sm.Max || cm.NullCount != sm.NullCount {
			t.Errorf("%s: consuming card %d %v..%v nulls %d; sealed %d %v..%v %d", cm.Name, cm.Cardinality, cm.Min, cm.Max, cm.NullCount, sm.Cardinality, sm.Min, sm.Max, sm.NullCount)
		}
	}
	for _, q := range []string{
		"SELECT campaign, COUNT(*), SUM(price) FROM transactions GROUP BY campaign ORDER BY campaign",
		"SELECT COUNT(*) FROM transactions WHERE department = 'Books' OR price > 500",
		"SELECT userID, MAX(creationTimestamp) FROM transactions GROUP BY userID ORDER BY 2 DESC, 1 LIMIT 5",
	} {
		got, want := query(t, snap, sch, q), query(t, sealed, sch, q)
		if !sameRows(got, want) {
			t.Errorf("%s\nconsuming %s\n   sealed %s", q, fmtRows(got), fmtRows(want))
		}
	}

	if _, err := a.SealRows(filepath.Join(dir, "x.tseg"), bc, rows+1); err == nil {
		t.Error("sealing more rows than published succeeded")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
