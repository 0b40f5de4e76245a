package datagen

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// collect generates rows and concatenates the batches into one batch.
func collect(t *testing.T, d Dataset, seed uint64, rows, batch int) []*segment.ColumnBuffer {
	t.Helper()
	var all []*segment.ColumnBuffer
	base := 0
	err := d.Generate(seed, rows, batch, func(cols []*segment.ColumnBuffer) error {
		if batch > 0 && cols[0].Len() > batch {
			t.Fatalf("batch of %d rows, want at most %d", cols[0].Len(), batch)
		}
		if all == nil {
			all = make([]*segment.ColumnBuffer, len(cols))
			for i, c := range cols {
				all[i] = segment.NewColumnBuffer(c.Spec)
			}
		}
		for i, c := range cols {
			a := all[i]
			if c.Len() != cols[0].Len() {
				t.Fatalf("column %s: %d rows, column 0 has %d", c.Spec.Name, c.Len(), cols[0].Len())
			}
			if c.Spec.SingleValue {
				a.Ints = append(a.Ints, c.Ints...)
				a.Floats = append(a.Floats, c.Floats...)
				a.Strs = append(a.Strs, c.Strs...)
			} else {
				off := a.Offsets[len(a.Offsets)-1]
				for _, o := range c.Offsets[1:] {
					a.Offsets = append(a.Offsets, off+o)
				}
				a.Strs = append(a.Strs, c.Strs...)
			}
			it := c.Nulls.Iterator()
			for it.HasNext() {
				a.Nulls.Add(uint32(base) + it.Next())
			}
		}
		base += cols[0].Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func column(t *testing.T, cols []*segment.ColumnBuffer, name string) *segment.ColumnBuffer {
	t.Helper()
	for _, c := range cols {
		if c.Spec.Name == name {
			return c
		}
	}
	t.Fatalf("no column %q", name)
	return nil
}

func TestDeterministicAcrossBatchSizes(t *testing.T) {
	for _, d := range []Dataset{WebTransactions{}, Clickstream{}, Clickstream{MultiValue: true}} {
		t.Run(d.Name(), func(t *testing.T) {
			want := collect(t, d, 7, 5000, 0)
			for _, batch := range []int{1, 333, 1000, 4999, 100000} {
				got := collect(t, d, 7, 5000, batch)
				for i := range want {
					if !reflect.DeepEqual(got[i].Ints, want[i].Ints) || !reflect.DeepEqual(got[i].Floats, want[i].Floats) ||
						!reflect.DeepEqual(got[i].Strs, want[i].Strs) || !reflect.DeepEqual(got[i].Offsets, want[i].Offsets) ||
						!got[i].Nulls.Equals(want[i].Nulls) {
						t.Fatalf("batch %d: column %s differs from the unbatched run", batch, want[i].Spec.Name)
					}
				}
			}
			other := collect(t, d, 8, 5000, 0)
			if reflect.DeepEqual(other[0].Strs, want[0].Strs) && reflect.DeepEqual(other[0].Ints, want[0].Ints) {
				t.Fatalf("seeds 7 and 8 gave the same first column")
			}
		})
	}
}

func TestSchemaMatchesBuffers(t *testing.T) {
	for _, d := range []Dataset{WebTransactions{}, Clickstream{}, Clickstream{MultiValue: true}} {
		t.Run(d.Name(), func(t *testing.T) {
			s := d.Schema()
			if s.Name != d.Name() {
				t.Fatalf("schema name %q, dataset name %q", s.Name, d.Name())
			}
			cols := collect(t, d, 1, 100, 30)
			if len(cols) != len(s.Fields) {
				t.Fatalf("%d columns, schema has %d fields", len(cols), len(s.Fields))
			}
			seen := map[string]bool{}
			for i, c := range cols {
				f := s.Fields[i]
				if seen[f.Name] {
					t.Fatalf("duplicate field %q", f.Name)
				}
				seen[f.Name] = true
				if c.Spec.Name != f.Name || c.Spec.DataType != f.DataType || c.Spec.SingleValue != f.SingleValue {
					t.Fatalf("column %d is %+v, schema says %+v", i, *c.Spec, f)
				}
				if c.Len() != 100 {
					t.Fatalf("column %s has %d rows, want 100", f.Name, c.Len())
				}
				if f.DefaultNull == nil {
					t.Fatalf("column %s has no default null value", f.Name)
				}
				if f.NotNull && !c.Nulls.IsEmpty() {
					t.Fatalf("NOT NULL column %s has nulls", f.Name)
				}
				switch f.DataType.Storage() {
				case schema.StorageInt64:
					_, ok := f.DefaultNull.(int64)
					if !ok {
						t.Fatalf("column %s: default null %T, want int64", f.Name, f.DefaultNull)
					}
				case schema.StorageFloat64:
					if _, ok := f.DefaultNull.(float64); !ok {
						t.Fatalf("column %s: default null %T, want float64", f.Name, f.DefaultNull)
					}
				default:
					if _, ok := f.DefaultNull.(string); !ok {
						t.Fatalf("column %s: default null %T, want string", f.Name, f.DefaultNull)
					}
				}
			}
		})
	}
}

func TestWebTransactionsValues(t *testing.T) {
	const rows = 20000
	cols := collect(t, WebTransactions{}, 3, rows, 4096)
	users := map[string]int{}
	for _, u := range column(t, cols, "userID").Strs {
		n, err := strconv.Atoi(u)
		if err != nil || n < 1 || n > 100 || strconv.Itoa(n) != u {
			t.Fatalf("userID %q outside \"1\"..\"100\"", u)
		}
		users[u]++
	}
	if len(users) < 90 {
		t.Errorf("only %d distinct users in %d rows", len(users), rows)
	}
	campaigns := map[string]int{}
	for _, c := range column(t, cols, "campaign").Strs {
		campaigns[c]++
	}
	for _, c := range []string{"BlackFriday", "10Percent", "NONE"} {
		if campaigns[c] == 0 {
			t.Errorf("campaign %q never occurs", c)
		}
	}
	if len(campaigns) != 3 {
		t.Errorf("campaigns %v, want exactly BlackFriday, 10Percent, NONE", campaigns)
	}
	for _, p := range column(t, cols, "price").Floats {
		if p < 10 || p > 150 || math.Abs(p*100-math.Round(p*100)) > 1e-6 {
			t.Fatalf("price %v not in 10..150 with two decimals", p)
		}
	}
	ts := column(t, cols, "creationTimestamp").Ints
	lo := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	hi := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, v := range ts {
		if v < lo || v >= hi || v%1000 != 0 {
			t.Fatalf("creationTimestamp %d outside November 2024 or not whole seconds", v)
		}
		if i > 0 && v < ts[i-1] {
			t.Fatalf("creationTimestamp decreases at row %d", i)
		}
	}
	if ts[rows-1]-ts[0] < 29*24*3600*1000 {
		t.Errorf("timestamps span %v, want ~30 days", time.Duration(ts[rows-1]-ts[0])*time.Millisecond)
	}
	// Product names are "<adjective> <material> <product>", consistent
	// with the product and department columns.
	names, prods, deps := column(t, cols, "productName").Strs, column(t, cols, "product").Strs, column(t, cols, "department").Strs
	dept := map[string]string{}
	for _, p := range products {
		dept[p.name] = p.department
	}
	distinct := map[string]bool{}
	for i := range names {
		if !strings.HasSuffix(names[i], " "+prods[i]) || dept[prods[i]] != deps[i] {
			t.Fatalf("row %d: productName %q, product %q, department %q disagree", i, names[i], prods[i], deps[i])
		}
		distinct[names[i]] = true
	}
	if len(distinct) < 100 {
		t.Errorf("%d distinct product names, want a realistic catalog", len(distinct))
	}
}

func TestClickstreamValues(t *testing.T) {
	const rows = 50000
	d := Clickstream{MultiValue: true}
	cols := collect(t, d, 11, rows, 7000)
	if len(cols) < 31 {
		t.Fatalf("%d columns, want at least 30 plus Tags", len(cols))
	}
	frac := func(name string, pred func(i int) bool) float64 {
		c := column(t, cols, name)
		n := 0
		for i := range c.Len() {
			if pred(i) {
				n++
			}
		}
		return float64(n) / float64(c.Len())
	}
	distinct := func(name string) int {
		c := column(t, cols, name)
		m := map[any]bool{}
		for i := range c.Len() {
			switch {
			case c.Ints != nil:
				m[c.Ints[i]] = true
			case c.Floats != nil:
				m[c.Floats[i]] = true
			default:
				m[c.Strs[i]] = true
			}
		}
		return len(m)
	}

	if n := distinct("WatchID"); n != rows {
		t.Errorf("WatchID has %d distinct values in %d rows, want unique", n, rows)
	}
	for _, w := range column(t, cols, "WatchID").Ints {
		if w < 0 {
			t.Fatalf("negative WatchID %d", w)
		}
	}
	phrase := column(t, cols, "SearchPhrase").Strs
	if f := frac("SearchPhrase", func(i int) bool { return phrase[i] == "" }); f < 0.70 || f > 0.9 {
		t.Errorf("SearchPhrase empty fraction %.3f, want >= 0.70", f)
	}
	adv := column(t, cols, "AdvEngineID").Ints
	if f := frac("AdvEngineID", func(i int) bool { return adv[i] == 0 }); f < 0.9 {
		t.Errorf("AdvEngineID zero fraction %.3f, want mostly 0", f)
	}
	pp := column(t, cols, "ParamPrice").Ints
	if f := frac("ParamPrice", func(i int) bool { return pp[i] > 0 }); f < 0.03 || f > 0.07 {
		t.Errorf("ParamPrice nonzero fraction %.3f, want about 5%%", f)
	}
	mobile := column(t, cols, "IsMobile").Ints
	if f := frac("IsMobile", func(i int) bool { return mobile[i] == 1 }); f < 0.15 || f > 0.25 {
		t.Errorf("IsMobile fraction %.3f, want about 20%%", f)
	}
	ref := column(t, cols, "Referer").Strs
	if f := frac("Referer", func(i int) bool { return ref[i] == "" }); f < 0.25 || f > 0.6 {
		t.Errorf("Referer empty fraction %.3f, want many empty", f)
	}
	if n := distinct("URL"); n < rows/4 {
		t.Errorf("URL has %d distinct values in %d rows, want high cardinality", n, rows)
	}
	if n := distinct("UserID"); n < 1000 {
		t.Errorf("UserID has %d distinct values, want high cardinality", n)
	}
	if n := distinct("CounterID"); n < 50 || n > 400 {
		t.Errorf("CounterID has %d distinct values, want low cardinality", n)
	}
	counter := column(t, cols, "CounterID").Ints
	if f := frac("CounterID", func(i int) bool { return counter[i] == 62 }); f < 0.1 {
		t.Errorf("CounterID 62 share %.3f, want the skew's head", f)
	}
	for _, name := range []string{"RegionID", "BrowserCountry", "FetchTiming", "Duration"} {
		c := column(t, cols, name)
		f := float64(c.Nulls.GetCardinality()) / rows
		if f < 0.03 || f > 0.08 {
			t.Errorf("%s null fraction %.3f, want about 5%%", name, f)
		}
		it := c.Nulls.Iterator()
		for it.HasNext() {
			i := it.Next()
			var v any
			switch {
			case c.Ints != nil:
				v = c.Ints[i]
			case c.Floats != nil:
				v = c.Floats[i]
			default:
				v = c.Strs[i]
			}
			if v != c.Spec.DefaultNull {
				t.Fatalf("%s null row %d holds %v, want the default %v", name, i, v, c.Spec.DefaultNull)
			}
		}
	}
	urls, hashes := column(t, cols, "URL").Strs, column(t, cols, "URLHash").Ints
	for i := range urls {
		if hashes[i] != hash64([]byte(urls[i])) {
			t.Fatalf("row %d: URLHash is not the hash of URL %q", i, urls[i])
		}
		if urls[i] != "" && !strings.HasPrefix(urls[i], "http") {
			t.Fatalf("row %d: URL %q", i, urls[i])
		}
	}
	et, ed := column(t, cols, "EventTime").Ints, column(t, cols, "EventDate").Strs
	for i := range et {
		if got := time.UnixMilli(et[i]).UTC().Format("2006-01-02"); got != ed[i] || !strings.HasPrefix(got, "2013-07-") {
			t.Fatalf("row %d: EventTime %d is %s, EventDate %q", i, et[i], got, ed[i])
		}
		if i > 0 && et[i] < et[i-1] {
			t.Fatalf("EventTime decreases at row %d", i)
		}
	}
	mob, model := column(t, cols, "IsMobile").Ints, column(t, cols, "MobilePhoneModel").Strs
	for i := range mob {
		if (mob[i] == 1) != (model[i] != "") || mob[i] > 1 || mob[i] < 0 {
			t.Fatalf("row %d: IsMobile %d with model %q", i, mob[i], model[i])
		}
	}
	tags := column(t, cols, "Tags")
	for i := range tags.Len() {
		if n := tags.Offsets[i+1] - tags.Offsets[i]; n < 1 || n > 3 {
			t.Fatalf("row %d has %d tags, want 1..3", i, n)
		}
	}
}

func TestMultiValueLeavesOtherColumnsAlone(t *testing.T) {
	plain := collect(t, Clickstream{}, 5, 3000, 1000)
	mv := collect(t, Clickstream{MultiValue: true}, 5, 3000, 1000)
	for i := range plain {
		if !reflect.DeepEqual(plain[i].Ints, mv[i].Ints) || !reflect.DeepEqual(plain[i].Strs, mv[i].Strs) || !reflect.DeepEqual(plain[i].Floats, mv[i].Floats) {
			t.Fatalf("column %s changes when Tags is added", plain[i].Spec.Name)
		}
	}
}

func TestRawWritersMatchGenerate(t *testing.T) {
	const rows = 3000
	cols := collect(t, WebTransactions{}, 9, rows, 1000)
	for _, opts := range []RawOptions{{}, {TimeAsString: true}} {
		t.Run("json/timeAsString="+strconv.FormatBool(opts.TimeAsString), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTransactionsJSON(&buf, 9, rows, opts); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != rows {
				t.Fatalf("%d lines, want %d", len(lines), rows)
			}
			for i, line := range lines {
				var m map[string]any
				dec := json.NewDecoder(strings.NewReader(line))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				rec := map[string]string{}
				for k, v := range m {
					switch v := v.(type) {
					case string:
						rec[k] = v
					case json.Number:
						rec[k] = v.String()
					default:
						t.Fatalf("line %d: field %s has type %T", i, k, v)
					}
				}
				checkRecord(t, i, cols, rec, opts)
			}
		})
		t.Run("csv/timeAsString="+strconv.FormatBool(opts.TimeAsString), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTransactionsCSV(&buf, 9, rows, opts); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != rows+1 {
				t.Fatalf("%d records, want header + %d", len(recs), rows)
			}
			for i, r := range recs[1:] {
				rec := map[string]string{}
				for j, h := range recs[0] {
					rec[h] = r[j]
				}
				checkRecord(t, i, cols, rec, opts)
			}
		})
	}
}

func checkRecord(t *testing.T, i int, cols []*segment.ColumnBuffer, rec map[string]string, opts RawOptions) {
	t.Helper()
	if len(rec) != len(cols) {
		t.Fatalf("row %d: %d fields, want %d", i, len(rec), len(cols))
	}
	for _, c := range cols {
		got, ok := rec[c.Spec.Name]
		if !ok {
			t.Fatalf("row %d: no field %s", i, c.Spec.Name)
		}
		var want string
		switch {
		case c.Spec.Name == "creationTimestamp" && opts.TimeAsString:
			want = time.UnixMilli(c.Ints[i]).UTC().Format(TimeLayout)
		case c.Ints != nil:
			want = strconv.FormatInt(c.Ints[i], 10)
		case c.Floats != nil:
			f, err := strconv.ParseFloat(got, 64)
			if err != nil || f != c.Floats[i] {
				t.Fatalf("row %d: %s = %q, want %v", i, c.Spec.Name, got, c.Floats[i])
			}
			continue
		default:
			want = c.Strs[i]
		}
		if got != want {
			t.Fatalf("row %d: %s = %q, want %q", i, c.Spec.Name, got, want)
		}
	}
}

func TestSortBy(t *testing.T) {
	d := Clickstream{MultiValue: true}
	orig := collect(t, d, 2, 2000, 0)
	cols := collect(t, d, 2, 2000, 0)
	if err := SortBy(cols, "CounterID"); err != nil {
		t.Fatal(err)
	}
	key := column(t, cols, "CounterID").Ints
	for i := 1; i < len(key); i++ {
		if key[i] < key[i-1] {
			t.Fatalf("CounterID not sorted at row %d", i)
		}
	}
	// Rows move whole: find each sorted row by its unique WatchID.
	pos := map[int64]int{}
	for i, w := range column(t, orig, "WatchID").Ints {
		pos[w] = i
	}
	tagsO, tagsS := column(t, orig, "Tags"), column(t, cols, "Tags")
	for i, w := range column(t, cols, "WatchID").Ints {
		j := pos[w]
		for k := range cols {
			o, s := orig[k], cols[k]
			if o.Nulls.Contains(uint32(j)) != s.Nulls.Contains(uint32(i)) {
				t.Fatalf("column %s: null flag did not move with row %d", o.Spec.Name, j)
			}
			if !o.Spec.SingleValue {
				continue
			}
			switch {
			case o.Ints != nil:
				if o.Ints[j] != s.Ints[i] {
					t.Fatalf("column %s: value did not move with row", o.Spec.Name)
				}
			case o.Floats != nil:
				if o.Floats[j] != s.Floats[i] {
					t.Fatalf("column %s: value did not move with row", o.Spec.Name)
				}
			default:
				if o.Strs[j] != s.Strs[i] {
					t.Fatalf("column %s: value did not move with row", o.Spec.Name)
				}
			}
		}
		want := tagsO.Strs[tagsO.Offsets[j]:tagsO.Offsets[j+1]]
		got := tagsS.Strs[tagsS.Offsets[i]:tagsS.Offsets[i+1]]
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("Tags of row %d: %v, want %v", i, got, want)
		}
	}

	for _, tc := range []struct{ name, col, want string }{
		{"unknown column", "nope", `sort batch by "nope": no such column`},
		{"multi-value", "Tags", `sort batch by "Tags": column is multi-value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := SortBy(cols, tc.col)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("SortBy(%q) = %v, want %q", tc.col, err, tc.want)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Clickstream{}.Generate(1, 1000, 100, func([]*segment.ColumnBuffer) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Generate = %v after %d calls, want the callback's error after 1", err, calls)
	}
	for _, tc := range []struct{ rows, batch int }{{-1, 10}, {10, -1}} {
		if err := (WebTransactions{}).Generate(1, tc.rows, tc.batch, func([]*segment.ColumnBuffer) error { return nil }); err == nil {
			t.Errorf("Generate(rows=%d, batch=%d) succeeded", tc.rows, tc.batch)
		}
	}
	n := 0
	if err := (WebTransactions{}).Generate(1, 0, 10, func([]*segment.ColumnBuffer) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Generate(rows=0) = %v with %d batches, want no batch", err, n)
	}
}

func TestSamplerMatchesWeights(t *testing.T) {
	s := newSampler([]float64{1, 0, 3})
	r := newRNG(1, 1)
	var got [3]int
	for range 40000 {
		got[s.draw(r)]++
	}
	if got[1] != 0 || math.Abs(float64(got[2])/float64(got[0])-3) > 0.2 {
		t.Fatalf("draws %v, want 1:0:3", got)
	}
	m := roaring.New()
	for i := range uint64(100000) {
		m.Add(uint32(permute63(i) >> 31))
	}
	if m.GetCardinality() < 99990 {
		t.Fatalf("permute63 output poorly spread: %d distinct high halves", m.GetCardinality())
	}
}

func benchmarkDataset(b *testing.B, d Dataset) {
	const rows, batch = 200_000, 50_000
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := d.Generate(uint64(b.N), rows, batch, func([]*segment.ColumnBuffer) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	// On a shared machine wall time mixes in other load; CPU time (GC
	// included) does not.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.Run("dataset=transactions", func(b *testing.B) { benchmarkDataset(b, WebTransactions{}) })
	b.Run("dataset=hits", func(b *testing.B) { benchmarkDataset(b, Clickstream{}) })
	b.Run("dataset=hits-mv", func(b *testing.B) { benchmarkDataset(b, Clickstream{MultiValue: true}) })
}
