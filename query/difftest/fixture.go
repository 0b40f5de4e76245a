package difftest

import (
	"context"
	"errors"
	"fmt"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/segment"
)

// TableSetup describes one generated table of the suite.
type TableSetup struct {
	Dataset  datagen.Dataset
	Seed     uint64
	Rows     int
	Segments int
	Config   TableConfig
	// Unique, Group and Measure describe columns for the random query
	// generator (see GenTable).
	Unique         string
	Group, Measure []string
}

// DefaultTables are the suite's tables: web transactions (100k rows, 4
// segments) and clickstream hits (200k rows, 8 segments), with inverted,
// sorted, range, bloom and raw (no-dictionary) columns configured, and a
// small multi-value clickstream table, tags.
func DefaultTables() []TableSetup {
	return []TableSetup{
		{
			Dataset: datagen.WebTransactions{}, Seed: 1, Rows: 100_000, Segments: 4,
			Config: TableConfig{
				TimeColumn:   "creationTimestamp",
				SortedColumn: "userID",
				Inverted:     []string{"campaign", "color", "department", "product"},
				Range:        []string{"price", "creationTimestamp"},
				Bloom:        []string{"productName", "userID"},
				NoDictionary: []string{"price"},
			},
			// Not unique (whole seconds), but selections order by every
			// selected column after it, so ties are indistinguishable rows.
			Unique:  "creationTimestamp",
			Group:   []string{"userID", "color", "department", "product", "campaign"},
			Measure: []string{"price"},
		},
		{
			Dataset: datagen.Clickstream{}, Seed: 2, Rows: 200_000, Segments: 8,
			Config: TableConfig{
				TimeColumn:   "EventTime",
				SortedColumn: "CounterID",
				Inverted:     []string{"RegionID", "OS", "SearchEngineID", "AdvEngineID", "MobilePhoneModel", "BrowserCountry", "TraficSourceID"},
				Range:        []string{"ResolutionWidth", "EventTime", "FetchTiming", "Duration"},
				Bloom:        []string{"UserID", "URL", "WatchID"},
				NoDictionary: []string{"WatchID", "URL", "Title", "Duration", "URLHash"},
			},
			Unique: "WatchID",
			Group: []string{"CounterID", "RegionID", "OS", "UserAgent", "IsRefresh", "ResolutionWidth", "IsMobile",
				"MobilePhoneModel", "TraficSourceID", "SearchEngineID", "AdvEngineID", "BrowserLanguage", "BrowserCountry", "HitColor", "EventDate", "JavaEnable"},
			Measure: []string{"ResolutionWidth", "ResolutionHeight", "FetchTiming", "Duration", "ParamPrice", "WindowClientWidth", "IsRefresh", "RegionID"},
		},
		{
			Dataset: datagen.Clickstream{MultiValue: true}, Seed: 3, Rows: 20_000, Segments: 2,
			Config: TableConfig{
				TimeColumn: "EventTime",
				Inverted:   []string{"Tags", "OS"},
			},
		},
	}
}

// setupName is the table name: the data set's, except for the
// multi-value variant.
func setupName(ts *TableSetup) string {
	if c, ok := ts.Dataset.(datagen.Clickstream); ok && c.MultiValue {
		return "tags"
	}
	return ts.Dataset.Name()
}

// Load generates every table, builds its Tannin segments (files under
// dir) and appends the same rows to a fresh DuckDB. It returns the
// harness and, for tables with a Unique column, the random generator's
// table descriptions.
func Load(ctx context.Context, dir string, backend Backend, tables []TableSetup) (*Harness, []GenTable, error) {
	duck, err := OpenDuck()
	if err != nil {
		return nil, nil, err
	}
	h := &Harness{Tannin: NewTannin(dir, backend), Duck: duck}
	gens, err := load(ctx, tables, duck, h.Tannin)
	if err != nil {
		return nil, nil, errors.Join(err, h.Close())
	}
	return h, gens, nil
}

func load(ctx context.Context, tables []TableSetup, duck *Duck, tn *Tannin) ([]GenTable, error) {
	var gens []GenTable
	for i := range tables {
		ts := &tables[i]
		name := setupName(ts)
		s := ts.Dataset.Schema()
		s.Name = name
		if tn != nil {
			if err := tn.CreateTable(name, s, ts.Config); err != nil {
				return nil, err
			}
		}
		if err := duck.CreateTable(ctx, name, s); err != nil {
			return nil, err
		}
		per := (ts.Rows + ts.Segments - 1) / max(ts.Segments, 1)
		first := true
		err := ts.Dataset.Generate(ts.Seed, ts.Rows, per, func(cols []*segment.ColumnBuffer) error {
			if first && ts.Unique != "" {
				gens = append(gens, NewGenTable(name, s, cols, ts.Unique, ts.Group, ts.Measure))
			}
			first = false
			if err := duck.Append(ctx, name, cols); err != nil {
				return err
			}
			if tn == nil {
				return nil
			}
			return tn.AddSegment(name, cols)
		})
		if err != nil {
			return nil, fmt.Errorf("load table %s: %w", name, err)
		}
	}
	return gens, nil
}

// Close releases both engines.
func (h *Harness) Close() error {
	return errors.Join(h.Tannin.Close(), h.Duck.Close())
}
