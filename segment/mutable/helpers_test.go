package mutable

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// genRows generates rows of a data set as one set of column buffers.
func genRows(t testing.TB, d datagen.Dataset, seed uint64, rows int) []*segment.ColumnBuffer {
	t.Helper()
	var out []*segment.ColumnBuffer
	if err := d.Generate(seed, rows, rows, func(cols []*segment.ColumnBuffer) error {
		out = cols
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sliceRows returns buffers holding rows [lo, hi) of cols.
func sliceRows(cols []*segment.ColumnBuffer, lo, hi int) []*segment.ColumnBuffer {
	out := make([]*segment.ColumnBuffer, len(cols))
	for i, c := range cols {
		b := &segment.ColumnBuffer{Spec: c.Spec, Nulls: roaring.New()}
		vlo, vhi := lo, hi
		if !c.Spec.SingleValue {
			vlo, vhi = int(c.Offsets[lo]), int(c.Offsets[hi])
			for _, o := range c.Offsets[lo : hi+1] {
				b.Offsets = append(b.Offsets, o-uint32(vlo))
			}
		}
		switch c.Spec.DataType.Storage() {
		case schema.StorageInt64:
			b.Ints = c.Ints[vlo:vhi]
		case schema.StorageFloat64:
			b.Floats = c.Floats[vlo:vhi]
		default:
			b.Strs = c.Strs[vlo:vhi]
		}
		if c.Nulls != nil {
			c.Nulls.Iterate(func(d uint32) bool {
				if int(d) >= lo && int(d) < hi {
					b.Nulls.Add(d - uint32(lo))
				}
				return int(d) < hi
			})
		}
		out[i] = b
	}
	return out
}

// appendUneven appends rows [lo, hi) in batches of varying sizes.
func appendUneven(t testing.TB, s *Segment, cols []*segment.ColumnBuffer, lo, hi int, steps []int) {
	t.Helper()
	for i := 0; lo < hi; i++ {
		end := min(hi, lo+steps[i%len(steps)])
		if err := s.AppendColumns(sliceRows(cols, lo, end)); err != nil {
			t.Fatal(err)
		}
		lo = end
	}
}

func query(t testing.TB, seg segment.Segment, s *schema.Schema, q string) [][]any {
	t.Helper()
	res, err := exec.Query(context.Background(), &exec.Table{Name: s.Name, Schema: s, Segments: []segment.Segment{seg}}, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

// sameRows compares answers, floats to 1e-9 relative.
func sameRows(a, b [][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, y := a[i][j], b[i][j]
			fx, ok1 := x.(float64)
			fy, ok2 := y.(float64)
			if ok1 && ok2 {
				if math.Abs(fx-fy) > 1e-9*max(1, math.Abs(fx)) {
					return false
				}
				continue
			}
			if !reflect.DeepEqual(x, y) {
				return false
			}
		}
	}
	return true
}

func fmtRows(r [][]any) string {
	if len(r) > 8 {
		return fmt.Sprintf("%v ... (%d rows)", r[:8], len(r))
	}
	return fmt.Sprint(r)
}
