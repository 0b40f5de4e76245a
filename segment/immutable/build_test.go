package immutable

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

func intBuffer(name string, vals ...int64) *segment.ColumnBuffer {
	b := segment.NewColumnBuffer(&schema.FieldSpec{Name: name, DataType: schema.TypeLong, SingleValue: true})
	b.Ints = vals
	return b
}

func TestBuildRejects(t *testing.T) {
	mv := segment.NewColumnBuffer(&schema.FieldSpec{Name: "mv", DataType: schema.TypeInt})
	mv.Ints = []int64{1, 2, 3}
	mv.Offsets = []uint32{0, 2, 1}
	str := segment.NewColumnBuffer(&schema.FieldSpec{Name: "s", DataType: schema.TypeString, SingleValue: true})
	str.Strs = []string{"a", "b"}
	nullsOut := intBuffer("n", 1, 2)
	nullsOut.Nulls.Add(5)
	mvOK := segment.NewColumnBuffer(&schema.FieldSpec{Name: "mv", DataType: schema.TypeInt})
	mvOK.Ints = []int64{1, 2}
	mvOK.Offsets = []uint32{0, 1, 2}
	tests := []struct {
		name string
		cfg  BuildConfig
		cols []*segment.ColumnBuffer
		msg  string
	}{
		{"doc counts differ", BuildConfig{SegmentName: "s"}, []*segment.ColumnBuffer{intBuffer("a", 1, 2), intBuffer("b", 1)},
			`build segment "s": column "b" has 1 docs, column "a" has 2`},
		{"no name", BuildConfig{}, []*segment.ColumnBuffer{intBuffer("a", 1)}, "empty segment name"},
		{"no columns", BuildConfig{SegmentName: "s"}, nil, "no columns"},
		{"duplicate column", BuildConfig{SegmentName: "s"}, []*segment.ColumnBuffer{intBuffer("a", 1), intBuffer("a", 2)}, `column "a" appears twice`},
		{"bad offsets", BuildConfig{SegmentName: "s"}, []*segment.ColumnBuffer{mv}, `column "mv": multi-value offset 2 decreases`},
		{"null beyond docs", BuildConfig{SegmentName: "s"}, []*segment.ColumnBuffer{nullsOut}, `column "n": null doc 5`},
		{"unknown index column", BuildConfig{SegmentName: "s", InvertedColumns: []string{"zz"}}, []*segment.ColumnBuffer{intBuffer("a", 1)},
			`inverted index column "zz" is not among the columns`},
		{"sorted multi-value", BuildConfig{SegmentName: "s", SortedColumn: "mv"}, []*segment.ColumnBuffer{mvOK}, `sorted column "mv" is multi-value`},
		{"inverted on raw", BuildConfig{SegmentName: "s", InvertedColumns: []string{"a"}, NoDictionaryColumns: []string{"a"}},
			[]*segment.ColumnBuffer{intBuffer("a", 1)}, `column "a": an inverted index needs a dictionary`},
		{"range on raw string", BuildConfig{SegmentName: "s", RangeColumns: []string{"s"}, NoDictionaryColumns: []string{"s"}},
			[]*segment.ColumnBuffer{str}, `column "s": a range index on a no-dictionary column needs a numeric type`},
		{"not in schema", BuildConfig{SegmentName: "s", Schema: &schema.Schema{Name: "x"}}, []*segment.ColumnBuffer{intBuffer("a", 1)},
			`column "a" is not in schema "x"`},
		{"bad time format", BuildConfig{SegmentName: "s", TimeColumn: "t"}, []*segment.ColumnBuffer{func() *segment.ColumnBuffer {
			b := intBuffer("t", 1)
			b.Spec.Format = "1:FORTNIGHTS:EPOCH"
			return b
		}()}, `time column "t": time format "1:FORTNIGHTS:EPOCH": unknown unit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Build(filepath.Join(dir, "seg"), tc.cfg, tc.cols)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Build = %v, want error containing %q", err, tc.msg)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Fatalf("failed build left files: %v", ents)
			}
		})
	}
}

func TestBuildIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seg")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(path, BuildConfig{SegmentName: "seg"}, []*segment.ColumnBuffer{intBuffer("a", 1), intBuffer("b")}); err == nil {
		t.Fatal("expected an error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("a failed build replaced the existing file")
	}
	if _, err := Build(path, BuildConfig{SegmentName: "seg"}, []*segment.ColumnBuffer{intBuffer("a", 1, 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.NumDocs() != 2 {
		t.Fatalf("NumDocs = %d", s.NumDocs())
	}
}

func TestTimeRangeConversion(t *testing.T) {
	day := int64(19723) // 2024-01-01 in days since the epoch
	tests := []struct {
		name       string
		typ        schema.DataType
		format     string
		ints       []int64
		floats     []float64
		strs       []string
		start, end int64
	}{
		{"millis", schema.TypeLong, "1:MILLISECONDS:EPOCH", []int64{5, 3, 9}, nil, nil, 3, 9},
		{"seconds", schema.TypeLong, "1:SECONDS:EPOCH", []int64{1_700_000_000, 1_700_000_100}, nil, nil, 1_700_000_000_000, 1_700_000_100_000},
		{"days", schema.TypeInt, "1:DAYS:EPOCH", []int64{day, day + 2}, nil, nil, day * 86_400_000, (day + 2) * 86_400_000},
		{"5 minutes pipe", schema.TypeLong, "EPOCH|MINUTES|5", []int64{2}, nil, nil, 600_000, 600_000},
		{"micros", schema.TypeLong, "1:MICROSECONDS:EPOCH", []int64{1_500_999}, nil, nil, 1_500, 1_500},
		{"timestamp type", schema.TypeTimestamp, "", []int64{42}, nil, nil, 42, 42},
		{"double seconds", schema.TypeDouble, "1:SECONDS:EPOCH", nil, []float64{1.5, 2.25}, nil, 1500, 2250},
		{"sdf string", schema.TypeString, "1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd", nil, nil, []string{"2024-01-03", "2024-01-01"},
			day * 86_400_000, (day + 2) * 86_400_000},
		{"sdf int", schema.TypeInt, "1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd", []int64{20240102, 20240101}, nil, nil, day * 86_400_000, (day + 1) * 86_400_000},
		{"sdf pipe with zone", schema.TypeString, "SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|UTC", nil, nil, []string{"2024-01-01 00:00:01"},
			day*86_400_000 + 1000, day*86_400_000 + 1000},
		{"sdf not lexicographic", schema.TypeString, "1:DAYS:SIMPLE_DATE_FORMAT:MM/dd/yyyy", nil, nil, []string{"12/31/2023", "01/01/2024"},
			(day - 1) * 86_400_000, day * 86_400_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := &schema.FieldSpec{Name: "t", DataType: tc.typ, SingleValue: true, Format: tc.format, FieldType: schema.FieldDateTime}
			b := segment.NewColumnBuffer(spec)
			b.Ints, b.Floats, b.Strs = tc.ints, tc.floats, tc.strs
			path := filepath.Join(t.TempDir(), "s")
			m, err := Build(path, BuildConfig{SegmentName: "s", TimeColumn: "t", Now: func() time.Time { return time.Unix(0, 0) }}, []*segment.ColumnBuffer{b})
			if err != nil {
				t.Fatal(err)
			}
			if m.StartTime != tc.start || m.EndTime != tc.end || m.TimeColumn != "t" {
				t.Fatalf("time range [%d, %d] (%q), want [%d, %d]", m.StartTime, m.EndTime, m.TimeColumn, tc.start, tc.end)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Meta().StartTime != tc.start || s.Meta().EndTime != tc.end {
				t.Fatal("stored time range differs from the built one")
			}
		})
	}
}

func TestTimeRangeSkipsNulls(t *testing.T) {
	b := intBuffer("t", -1<<63, 100, 200)
	b.Nulls.Add(0)
	m, err := Build(filepath.Join(t.TempDir(), "s"), BuildConfig{SegmentName: "s", TimeColumn: "t"}, []*segment.ColumnBuffer{b})
	if err != nil {
		t.Fatal(err)
	}
	if m.StartTime != 100 || m.EndTime != 200 {
		t.Fatalf("time range [%d, %d], want [100, 200]", m.StartTime, m.EndTime)
	}
	if m.Columns[0].Min.Int != -1<<63 {
		t.Fatalf("column min %d should include the null default", m.Columns[0].Min.Int)
	}
}

// TestBuilderReuse checks that a reused Builder writes byte for byte what
// a fresh one does: no scratch space leaks from one build into the next.
func TestBuilderReuse(t *testing.T) {
	dir := t.TempDir()
	var bd Builder
	defer bd.Close()
	tables := []*testTable{genTable(31, 3000, allTypeGens()), genTable(32, 50, allTypeGens()), genTable(33, 9000, allTypeGens())}
	for i, tbl := range tables {
		cfg := baseConfig("seg_reuse")
		cfg.SortedColumn = []string{"", "city", "long_sv"}[i]
		reused, fresh := filepath.Join(dir, "reused"), filepath.Join(dir, "fresh")
		if _, err := bd.Build(reused, cfg, tbl.cols); err != nil {
			t.Fatal(err)
		}
		if _, err := Build(fresh, cfg, tbl.cols); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(reused)
		b, _ := os.ReadFile(fresh)
		if len(a) == 0 || string(a) != string(b) {
			t.Fatalf("table %d: a reused builder wrote %d bytes that differ from a fresh builder's %d", i, len(a), len(b))
		}
	}
}
