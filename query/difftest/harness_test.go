package difftest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/segment"
)

// TestHarnessRun checks the harness's verdicts on a small table: a record
// that agrees passes; one whose reference differs, one whose reference
// DuckDB rejects and one that breaks the corpus rules fail with a report
// naming the reason and showing both sides; error records pass only with
// the expected message.
func TestHarnessRun(t *testing.T) {
	ctx := context.Background()
	tables := []TableSetup{{
		Dataset: datagen.WebTransactions{}, Seed: 9, Rows: 3000, Segments: 2,
		Config: TableConfig{TimeColumn: "creationTimestamp", Inverted: []string{"campaign"}},
	}}
	// The in-memory reference segments keep this test about the harness.
	h, _, err := Load(ctx, t.TempDir(), Memseg, tables)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	for _, mode := range []struct {
		partials  int
		singleToo bool
	}{{1, false}, {3, false}, {2, true}} {
		h.Tannin.Partials, h.SingleToo = mode.partials, mode.singleToo
		runHarnessCases(ctx, t, h)
	}
}

// runHarnessCases checks the harness's verdicts in the engine's current
// mode (one process, distributed, or both).
func runHarnessCases(ctx context.Context, t *testing.T, h *Harness) {
	for _, tc := range []struct {
		name string
		rec  Record
		want []string // substrings of the failure report; none: passes
	}{
		{"agrees", Record{ID: "a", SQL: "SELECT campaign, COUNT(*) FROM transactions GROUP BY campaign ORDER BY campaign LIMIT 10"}, nil},
		{"translation", Record{ID: "b", SQL: "SELECT DISTINCTCOUNT(color) FROM transactions",
			DuckDB: "SELECT count(DISTINCT color) FROM transactions"}, nil},
		{"mismatch", Record{ID: "c", SQL: "SELECT COUNT(*) FROM transactions", DuckDB: "SELECT COUNT(*) + 1 FROM transactions"},
			[]string{"query c", "mismatch", "tannin result:", "(3000)", "duckdb result:", "(3001)", "duckdb sql: SELECT COUNT(*) + 1"}},
		{"row count", Record{ID: "d", SQL: "SELECT campaign FROM transactions GROUP BY campaign ORDER BY campaign LIMIT 10",
			DuckDB: "SELECT campaign FROM transactions GROUP BY campaign ORDER BY campaign LIMIT 2"},
			[]string{"row count: got 3, want 2"}},
		{"reference rejected", Record{ID: "e", SQL: "SELECT COUNT(*) FROM transactions", DuckDB: "SELECT nosuch FROM transactions"},
			[]string{"corpus: duckdb rejects the reference query"}},
		{"lint", Record{ID: "f", SQL: "SELECT campaign, COUNT(*) FROM transactions GROUP BY campaign"},
			[]string{"corpus: no LIMIT"}},
		{"tannin error", Record{ID: "g", SQL: "SELECT COUNT(nosuch) FROM transactions", DuckDB: "SELECT 1"},
			[]string{"tannin error:", "duckdb result:"}},
		{"expected error", Record{ID: "h", Kind: KindError, Table: "transactions", SQL: "SELECT nosuch FROM transactions LIMIT 1", Error: "UNKNOWN COLUMN"}, nil},
		{"unknown table falls back", Record{ID: "i", Kind: KindError, Table: "transactions", SQL: "SELECT COUNT(*) FROM nosuch", Error: "unknown table"}, nil},
		{"wrong error", Record{ID: "j", Kind: KindError, Table: "transactions", SQL: "SELECT nosuch FROM transactions LIMIT 1", Error: "division by zero"},
			[]string{`does not contain "division by zero"`}},
		{"no error", Record{ID: "k", Kind: KindError, Table: "transactions", SQL: "SELECT COUNT(*) FROM transactions", Error: "anything"},
			[]string{"succeeded, want an error", "tannin result:"}},
	} {
		t.Run(fmt.Sprintf("%s/partials=%d/singleToo=%v", tc.name, h.Tannin.Partials, h.SingleToo), func(t *testing.T) {
			if tc.rec.Table == "" {
				tc.rec.Table = "transactions"
			}
			err := h.Run(ctx, &tc.rec)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Run failed:\n%v", err)
				}
				return
			}
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("Run = %v, want a *Failure", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("report lacks %q:\n%v", w, err)
				}
			}
			// Run both ways, the distributed answer is checked first.
			if h.SingleToo && tc.name == "mismatch" && !strings.Contains(err.Error(), "(over 2 servers) mismatch") {
				t.Errorf("report does not say which way failed:\n%v", err)
			}
		})
	}
}

// TestSegmentsCarryIndexes checks that the suite's sealed segments have
// the indexes its tables configure, so that the corpus really runs over
// inverted, sorted, range, bloom and raw columns.
func TestSegmentsCarryIndexes(t *testing.T) {
	ctx := context.Background()
	tables := DefaultTables()
	for i := range tables {
		tables[i].Rows, tables[i].Segments = 4000, 2
	}
	h, _, err := Load(ctx, t.TempDir(), Immutable, tables)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := range tables {
		ts := &tables[i]
		tbl := h.Tannin.Table(setupName(ts))
		if len(tbl.Segments) != 2 {
			t.Fatalf("%s: %d segments, want 2", tbl.Name, len(tbl.Segments))
		}
		for _, seg := range tbl.Segments {
			check := func(names []string, what string, has func(c segment.Column) bool) {
				for _, n := range names {
					c := seg.Column(n)
					if c == nil {
						t.Errorf("%s %s: no column %s", tbl.Name, seg.Name(), n)
						continue
					}
					if !has(c) {
						t.Errorf("%s %s: column %s lacks its %s", tbl.Name, seg.Name(), n, what)
					}
				}
			}
			cfg := ts.Config
			check(cfg.Inverted, "inverted index", func(c segment.Column) bool { return c.Inverted() != nil })
			check(cfg.Range, "range index", func(c segment.Column) bool { return c.RangeIndex() != nil })
			check(cfg.Bloom, "bloom filter", func(c segment.Column) bool { return c.Bloom() != nil })
			check(cfg.NoDictionary, "raw forward index", func(c segment.Column) bool { return c.Dictionary() == nil })
			if cfg.SortedColumn != "" {
				check([]string{cfg.SortedColumn}, "sorted index", func(c segment.Column) bool { return c.SortedIndex() != nil })
			}
			if cfg.TimeColumn != "" && seg.Meta().StartTime == 0 {
				t.Errorf("%s %s: no time range for %s", tbl.Name, seg.Name(), cfg.TimeColumn)
			}
		}
	}
}
