package mutable

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/memseg"
)

func hitsConfig(s *schema.Schema, capacity int) Config {
	return Config{
		Name: "hits__0__0__20250101T0000Z", Table: "hits", Schema: s, Capacity: capacity,
		TimeColumn:          "EventTime",
		InvertedColumns:     []string{"RegionID", "OS", "Tags", "BrowserCountry", "MobilePhoneModel"},
		NoDictionaryColumns: []string{"URL", "Duration", "WatchID"},
		PartitionID:         3, StartOffset: "49590338271490256608559692538361571095921575989136588898",
	}
}

var hitsQueries = []string{
	"SELECT COUNT(*) FROM hits",
	"SELECT COUNT(*), SUM(ResolutionWidth), MIN(EventTime), MAX(EventTime), MIN(Duration), MAX(Duration) FROM hits",
	"SELECT RegionID, COUNT(*) FROM hits GROUP BY RegionID ORDER BY COUNT(*) DESC, RegionID LIMIT 20",
	"SELECT OS, COUNT(*), SUM(FetchTiming) FROM hits WHERE RegionID IN (1, 2, 3, 5, 8, 13) GROUP BY OS ORDER BY OS",
	"SELECT COUNT(*) FROM hits WHERE BrowserCountry = 'RU'",
	"SELECT COUNT(*) FROM hits WHERE BrowserCountry <> 'RU'",
	"SELECT COUNT(*) FROM hits WHERE BrowserCountry IS NULL",
	"SELECT COUNT(*) FROM hits WHERE RegionID IS NOT NULL AND RegionID > 100",
	"SELECT COUNT(*) FROM hits WHERE MobilePhoneModel LIKE 'i%'",
	"SELECT MobilePhoneModel, COUNT(*) FROM hits WHERE MobilePhoneModel <> '' GROUP BY MobilePhoneModel ORDER BY MobilePhoneModel LIMIT 50",
	"SELECT SearchPhrase, COUNT(*) FROM hits WHERE SearchPhrase BETWEEN 'a' AND 'm' GROUP BY SearchPhrase ORDER BY 2 DESC, 1 LIMIT 10",
	"SELECT COUNT(*) FROM hits WHERE URL LIKE '%google%'",
	"SELECT Tags, COUNT(*) FROM hits GROUP BY Tags ORDER BY Tags",
	"SELECT COUNT(*) FROM hits WHERE Tags = 'sports'",
	"SELECT COUNT(*) FROM hits WHERE Tags IN ('news', 'music') AND OS = 2",
	"SELECT DISTINCTCOUNT(UserID), DISTINCTCOUNT(URL) FROM hits",
	"SELECT WatchID, URL, EventTime, Tags FROM hits WHERE CounterID = 62 ORDER BY WatchID LIMIT 7",
	"SELECT MIN(SearchPhrase), MAX(SearchPhrase), MIN(RegionID), MAX(RegionID) FROM hits",
	"SELECT COUNT(*) FROM hits WHERE Duration > 100.5 AND UserID <> 5",
	"SELECT HitColor, AVG(ResolutionWidth) FROM hits GROUP BY HitColor ORDER BY HitColor",
	"SELECT COUNT(*) FROM hits WHERE EventTime >= 1373000000000 AND EventTime < 1374000000000",
}

// TestSnapshotsMatchMemseg appends clickstream rows (multi-value, nulls,
// raw and inverted columns) in uneven batches, takes snapshots along the
// way, and checks each, after every row has been appended, against the
// reference segment of exactly its prefix: values, nulls, dictionary
// lookups, inverted index, metadata and query answers.
func TestSnapshotsMatchMemseg(t *testing.T) {
	const rows = 40_000
	ds := datagen.Clickstream{MultiValue: true}
	cols := genRows(t, ds, 11, rows)
	sch := ds.Schema()
	seg, err := New(hitsConfig(sch, rows))
	if err != nil {
		t.Fatal(err)
	}
	type snap struct {
		sn *Snapshot
		n  int
	}
	var snaps []snap
	steps := []int{1, 999, 5000, 12_000, 77}
	lo := 0
	for i, cut := range []int{1, 1000, freezeEvery, freezeEvery + 500, 2*freezeEvery + 1, rows} {
		appendUneven(t, seg, cols, lo, cut, steps[i%len(steps):])
		lo = cut
		sn := seg.Snapshot()
		if sn.NumDocs() != cut {
			t.Fatalf("snapshot after %d rows sees %d", cut, sn.NumDocs())
		}
		snaps = append(snaps, snap{sn, cut})
	}
	if err := seg.AppendColumns(sliceRows(cols, 0, 1)); !errors.Is(err, ErrFull) {
		t.Fatalf("append past capacity: %v, want ErrFull", err)
	}
	for _, sp := range snaps {
		ref, err := memseg.New("ref", sliceRows(cols, 0, sp.n), memseg.Options{Inverted: map[string]bool{"RegionID": true, "OS": true, "BrowserCountry": true, "MobilePhoneModel": true}})
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, sp.sn, ref, sch)
		if t.Failed() {
			t.Fatalf("snapshot of %d rows differs", sp.n)
		}
		for _, q := range hitsQueries {
			want := query(t, ref, sch, q)
			got := query(t, sp.sn, sch, q)
			if !sameRows(got, want) {
				t.Errorf("%d rows: %s\n got %s\nwant %s", sp.n, q, fmtRows(got), fmtRows(want))
			}
		}
	}
}

// checkSame compares every column's values, nulls, dictionary lookups,
// inverted index and statistics.
func checkSame(t *testing.T, got *Snapshot, want segment.Segment, sch *schema.Schema) {
	t.Helper()
	n := want.NumDocs()
	if got.NumDocs() != n || got.Meta().NumDocs != n {
		t.Fatalf("NumDocs %d (meta %d), want %d", got.NumDocs(), got.Meta().NumDocs, n)
	}
	docs := make([]uint32, n)
	for i := range docs {
		docs[i] = uint32(i)
	}
	odd := make([]uint32, 0, n/3)
	for d := 1; d < n; d += 3 {
		odd = append(odd, uint32(d))
	}
	for i := range sch.Fields {
		f := &sch.Fields[i]
		g, w := got.Column(f.Name), want.Column(f.Name)
		gm, wm := g.Meta(), w.Meta()
		if gm.NullCount != wm.NullCount || gm.SingleValue != wm.SingleValue {
			t.Errorf("%s: null count %d, single-value %v; want %d, %v", f.Name, gm.NullCount, gm.SingleValue, wm.NullCount, wm.SingleValue)
		}
		if gm.Cardinality != wm.Cardinality {
			t.Errorf("%s: cardinality %d, want %d", f.Name, gm.Cardinality, wm.Cardinality)
		}
		if f.SingleValue && wm.Min != gm.Min || f.SingleValue && wm.Max != gm.Max {
			t.Errorf("%s: bounds %v..%v, want %v..%v", f.Name, gm.Min, gm.Max, wm.Min, wm.Max)
		}
		if gm.Sorted != wm.Sorted && f.SingleValue && wm.NullCount == 0 {
			t.Errorf("%s: sorted %v, want %v", f.Name, gm.Sorted, wm.Sorted)
		}
		gn, wn := g.Nulls(), w.Nulls()
		if (gn == nil) != (wn == nil) || gn != nil && !gn.Equals(wn) {
			t.Errorf("%s: nulls %v, want %v", f.Name, gn, wn)
		}
		if !f.SingleValue {
			gd, wd := g.Dictionary(), w.Dictionary()
			var gi, wi []uint32
			for d := 0; d < n; d++ {
				gi, wi = g.MVDictIDs(uint32(d), gi[:0]), w.MVDictIDs(uint32(d), wi[:0])
				if len(gi) != len(wi) {
					t.Fatalf("%s doc %d: %d values, want %d", f.Name, d, len(gi), len(wi))
				}
				for k := range gi {
					if gd.Strs[gi[k]] != wd.Strs[wi[k]] {
						t.Fatalf("%s doc %d: value %q, want %q", f.Name, d, gd.Strs[gi[k]], wd.Strs[wi[k]])
					}
				}
			}
		} else {
			for _, ds := range [][]uint32{docs, odd} {
				if !sameValues(f, g, w, ds) {
					t.Fatalf("%s: values differ", f.Name)
				}
			}
		}
		checkDictAndIndex(t, f, g, w, n)
	}
}

// checkDictAndIndex finds every reference dictionary value in the
// snapshot's dictionary and compares the documents the inverted index
// gives for it.
func checkDictAndIndex(t *testing.T, f *schema.FieldSpec, g, w segment.Column, n int) {
	t.Helper()
	gd, wd := g.Dictionary(), w.Dictionary()
	if gd == nil {
		return
	}
	if gd.Len() != wd.Len() {
		t.Errorf("%s: dictionary of %d values, want %d", f.Name, gd.Len(), wd.Len())
		return
	}
	inv := g.Inverted()
	wantInv := w.Inverted()
	for id := 0; id < wd.Len(); id++ {
		var gid uint32
		var ok bool
		switch f.DataType.Storage() {
		case schema.StorageInt64:
			gid, ok = gd.FindInt64(wd.Ints[id])
		case schema.StorageFloat64:
			gid, ok = gd.FindFloat64(wd.Floats[id])
		default:
			gid, ok = gd.FindString(wd.Strs[id])
		}
		if !ok {
			t.Fatalf("%s: value %d of the reference not found", f.Name, id)
		}
		if inv == nil {
			continue
		}
		docs := inv.Docs(gid)
		var want []uint32
		if wantInv != nil {
			want = wantInv.Docs(uint32(id)).ToArray()
		} else { // multi-value: from the forward index
			var ids []uint32
			for d := 0; d < n; d++ {
				ids = w.MVDictIDs(uint32(d), ids[:0])
				if slices.Contains(ids, uint32(id)) {
					want = append(want, uint32(d))
				}
			}
		}
		if !slices.Equal(docs.ToArray(), want) {
			t.Fatalf("%s: docs of %v: %d docs, want %d", f.Name, id, docs.GetCardinality(), len(want))
		}
	}
	if _, ok := gd.FindString("\x00never"); ok && f.DataType.Storage() == schema.StorageString {
		t.Errorf("%s: found a value never added", f.Name)
	}
}

func TestConfigErrors(t *testing.T) {
	sch := datagen.WebTransactions{}.Schema()
	for _, tc := range []struct {
		mod  func(c *Config)
		want string
	}{
		{func(c *Config) { c.Name = "" }, "empty name"},
		{func(c *Config) { c.Capacity = 0 }, "capacity 0 rows"},
		{func(c *Config) { c.InvertedColumns = []string{"nope"} }, `inverted index column "nope" is not in schema`},
		{func(c *Config) { c.TimeColumn = "when" }, `time column "when" is not in schema`},
		{func(c *Config) { c.InvertedColumns, c.NoDictionaryColumns = []string{"price"}, []string{"price"} },
			`column "price": an inverted index needs a dictionary`},
		{func(c *Config) { c.Schema = nil }, "no schema columns"},
	} {
		cfg := Config{Name: "s", Schema: sch, Capacity: 10}
		tc.mod(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

// sameValues reads docs of both columns in their storage family.
func sameValues(f *schema.FieldSpec, g, w segment.Column, docs []uint32) bool {
	switch f.DataType.Storage() {
	case schema.StorageInt64:
		a, b := make([]int64, len(docs)), make([]int64, len(docs))
		g.Int64s(docs, a)
		w.Int64s(docs, b)
		return slices.Equal(a, b)
	case schema.StorageFloat64:
		a, b := make([]float64, len(docs)), make([]float64, len(docs))
		g.Float64s(docs, a)
		w.Float64s(docs, b)
		return slices.Equal(a, b)
	}
	a, b := make([]string, len(docs)), make([]string, len(docs))
	g.Strings(docs, a)
	w.Strings(docs, b)
	return slices.Equal(a, b)
}
