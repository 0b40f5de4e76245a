package difftest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// flightsPath is where scripts/fetch-testdata.sh installs the file.
func flightsPath() string {
	dir := os.Getenv("TANNIN_TESTDATA_DIR")
	if dir == "" {
		dir = "../../.cache"
	}
	return filepath.Join(dir, "vega-datasets", "data", "flights-3m.parquet")
}

// TestFlights compares Tannin and DuckDB on 3M real flights: Tannin loads
// the Parquet file into segments, DuckDB queries it with read_parquet.
// Without the file the test fails under CI=true and is skipped locally,
// saying how to install it.
func TestFlights(t *testing.T) {
	path := flightsPath()
	if _, err := os.Stat(path); err != nil {
		msg := "flights data missing (" + err.Error() + "): run scripts/fetch-testdata.sh"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	recs, err := LoadCorpus(filepath.Join(corpusDir, "flights"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 10 {
		t.Fatalf("%d flights queries, want at least 10", len(recs))
	}
	ctx := context.Background()
	duck, err := OpenDuck()
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := duck.Exec(ctx, "CREATE VIEW flights AS SELECT * FROM read_parquet('"+strings.ReplaceAll(abs, "'", "''")+"')"); err != nil {
		t.Fatal(err)
	}
	h := &Harness{Tannin: NewTannin(t.TempDir(), backend(t)), Duck: duck}
	h.Tannin.Partials = *flagParts
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	created := false
	_, err = ReadParquet(ctx, path, "flights", "date", 500_000, func(s *schema.Schema, cols []*segment.ColumnBuffer) error {
		if !created {
			cfg := TableConfig{
				TimeColumn:   "date",
				SortedColumn: "origin",
				Inverted:     []string{"origin", "destination"},
				Range:        []string{"delay", "distance", "date"},
				Bloom:        []string{"destination"},
				NoDictionary: []string{"delay"},
			}
			if err := h.Tannin.CreateTable("flights", s, cfg); err != nil {
				return err
			}
			created = true
		}
		return h.Tannin.AddSegment("flights", cols)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Tannin.Table("flights").Segments); n < 4 {
		t.Fatalf("%d flights segments, want several", n)
	}
	ids := selectedIDs()
	for _, r := range recs {
		if ids != nil && !ids[r.ID] {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			if err := h.Run(ctx, &r); err != nil {
				t.Error(err)
			}
		})
	}
}
