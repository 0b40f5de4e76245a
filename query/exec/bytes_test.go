package exec

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/memseg"
)

// TestBytesLiteralsAreHex checks that a string literal compared with a
// BYTES column is read as hex, as Pinot reads it (and as answers write
// BYTES): with and without an inverted index, through =, <>, IN, NOT IN and
// ranges, with either letter case, and that a literal that is not hex is
// an error naming it.
func TestBytesLiteralsAreHex(t *testing.T) {
	sch := &schema.Schema{Name: "blobs", Fields: []schema.FieldSpec{
		{Name: "id", DataType: schema.TypeLong, SingleValue: true},
		{Name: "b", DataType: schema.TypeBytes, SingleValue: true},
	}}
	vals := []string{"\x01\xfe", "\x00", "\x7f", "\x80\x00", "\x01\xfe", "", "\xff"}
	for _, indexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("inverted=%v", indexed), func(t *testing.T) {
			tbl := &Table{Name: "blobs", Schema: sch}
			for s := range 2 { // the rows over two segments
				bufs := []*segment.ColumnBuffer{segment.NewColumnBuffer(&sch.Fields[0]), segment.NewColumnBuffer(&sch.Fields[1])}
				for i, v := range vals {
					if i%2 == s {
						bufs[0].Ints = append(bufs[0].Ints, int64(i))
						bufs[1].Strs = append(bufs[1].Strs, v)
					}
				}
				opts := memseg.Options{}
				if indexed {
					opts.Inverted = map[string]bool{"b": true}
				}
				seg, err := memseg.New(fmt.Sprintf("blobs_%d", s), bufs, opts)
				if err != nil {
					t.Fatal(err)
				}
				tbl.Segments = append(tbl.Segments, seg)
			}
			for _, tc := range []struct {
				where string
				want  func(v string) bool
			}{
				{"b = '01fe'", func(v string) bool { return v == "\x01\xfe" }},
				{"b = '01FE'", func(v string) bool { return v == "\x01\xfe" }},
				{"'01fe' = b", func(v string) bool { return v == "\x01\xfe" }},
				{"b <> '01fe'", func(v string) bool { return v != "\x01\xfe" }},
				{"b = ''", func(v string) bool { return v == "" }},
				{"b IN ('00', 'ff', 'abcd')", func(v string) bool { return v == "\x00" || v == "\xff" }},
				{"b NOT IN ('00', 'ff')", func(v string) bool { return v != "\x00" && v != "\xff" }},
				// Unsigned byte order: 80 00 sorts after 7f.
				{"b > '7f'", func(v string) bool { return v > "\x7f" }},
				{"b BETWEEN '01' AND '7f'", func(v string) bool { return v >= "\x01" && v <= "\x7f" }},
			} {
				var want []int64
				for i, v := range vals {
					if tc.want(v) {
						want = append(want, int64(i))
					}
				}
				res := mustQuery(t, tbl, "SELECT id FROM blobs WHERE "+tc.where+" ORDER BY id LIMIT 100")
				var got []int64
				for _, r := range res.Rows {
					got = append(got, r[0].(int64))
				}
				if !slices.Equal(got, want) {
					t.Errorf("WHERE %s: ids %v, want %v", tc.where, got, want)
				}
			}
			for _, where := range []string{"b = 'zz'", "b IN ('00', 'xyz')", "b = '0'"} {
				_, err := Query(t.Context(), tbl, "SELECT id FROM blobs WHERE "+where)
				if err == nil || !strings.Contains(err.Error(), "not hex") {
					t.Errorf("WHERE %s: error %v, want one saying the literal is not hex", where, err)
				}
			}
		})
	}
}
