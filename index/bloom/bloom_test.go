package bloom

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNoFalseNegatives(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	ints := make([]int64, n)
	floats := make([]float64, n)
	strs := make([]string, n)
	for i := range ints {
		ints[i] = r.Int64() >> r.IntN(60)
		floats[i] = r.NormFloat64() * 1000
		strs[i] = fmt.Sprintf("s-%d-%x", i, r.Uint32())
	}
	fi, ff, fs := New(Int64, n, 0), New(Float64, n, 0.01), New(String, n, 0.05)
	for i := range n {
		fi.AddInt64(ints[i])
		ff.AddFloat64(floats[i])
		fs.AddString(strs[i])
	}
	for _, tc := range []struct {
		name string
		f    *Filter
		kind Kind
	}{{"int", fi, Int64}, {"float", ff, Float64}, {"string", fs, String}} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.f.Append(make([]byte, 0, 1<<20))
			g, err := Open(body, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			// unaligned copy path
			un := append([]byte{0}, body...)[1:]
			h, err := Open(un, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			fp := 0
			for i := range n {
				var in, out bool
				switch tc.kind {
				case Int64:
					in = g.MayContainInt64(ints[i]) && h.MayContainInt64(ints[i])
					out = g.MayContainInt64(r.Int64())
				case Float64:
					in = g.MayContainFloat64(floats[i]) && h.MayContainFloat64(floats[i])
					out = g.MayContainFloat64(r.Float64() + 1e6)
				case String:
					in = g.MayContainString(strs[i]) && h.MayContainString(strs[i])
					out = g.MayContainString(fmt.Sprint("absent", i))
				}
				if !in {
					t.Fatalf("false negative for value %d", i)
				}
				if out {
					fp++
				}
			}
			if rate := float64(fp) / n; rate > 0.08 {
				t.Fatalf("false-positive rate %.3f", rate)
			}
		})
	}
}

func TestCrossTypeProbes(t *testing.T) {
	fi := New(Int64, 10, 0)
	fi.AddInt64(5)
	fi.AddInt64(-3)
	ff := New(Float64, 10, 0)
	ff.AddFloat64(2.5)
	ff.AddFloat64(7)
	ff.AddFloat64(math.Copysign(0, -1))
	fs := New(String, 10, 0)
	fs.AddString("42")
	fs.AddString("abc")
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"int col float 5.0", fi.MayContainFloat64(5.0), true},
		{"int col float 5.5", fi.MayContainFloat64(5.5), false},
		{"int col float NaN", fi.MayContainFloat64(math.NaN()), false},
		{"int col string -3", fi.MayContainString("-3"), true},
		{"int col string 5.0", fi.MayContainString("5.0"), true},
		{"int col string junk", fi.MayContainString("junk"), true},
		{"float col int 7", ff.MayContainInt64(7), true},
		{"float col +0 matches -0", ff.MayContainFloat64(0), true},
		{"float col string 2.5", ff.MayContainString("2.5"), true},
		{"string col int 42", fs.MayContainInt64(42), true},
		{"string col float", fs.MayContainFloat64(1.5), true},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	f := New(Int64, 100, 0)
	body := f.Append(nil)
	zeroK := slices.Clone(body)
	clear(zeroK[8:16])
	bigK := slices.Clone(body)
	bigK[8] = 200
	for name, tc := range map[string]struct {
		body []byte
		kind Kind
	}{
		"short":        {body[:10], Int64},
		"truncated":    {body[:len(body)-8], Int64},
		"zero k":       {zeroK, Int64},
		"huge k":       {bigK, Int64},
		"unknown kind": {body, Kind(9)},
	} {
		if _, err := Open(tc.body, tc.kind); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Open = %v", name, err)
		}
	}
}

func TestProbesDoNotAllocate(t *testing.T) {
	f := New(String, 1000, 0)
	f.AddString("x")
	g := New(Int64, 1000, 0)
	g.AddInt64(1)
	s := "some probe value"
	allocs := testing.AllocsPerRun(100, func() {
		_ = f.MayContainString(s)
		_ = g.MayContainInt64(7)
		_ = f.MayContainInt64(7)
	})
	if allocs != 0 {
		t.Fatalf("probes allocated %v times", allocs)
	}
}

func FuzzOpen(f *testing.F) {
	g := New(String, 10, 0)
	g.AddString("x")
	f.Add(g.Append(nil), uint8(String))
	f.Fuzz(func(t *testing.T, body []byte, kind uint8) {
		x, err := Open(body, Kind(kind%5))
		if err != nil {
			return
		}
		_ = x.MayContainInt64(1)
		_ = x.MayContainFloat64(1.5)
		_ = x.MayContainString("x")
	})
}
