package encoding

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// naiveKeyDict sorts the distinct keys and finds each key by binary search.
func naiveKeyDict(keys []uint64) ([]uint64, []uint32) {
	d := slices.Clone(keys)
	slices.Sort(d)
	d = slices.Compact(d)
	ids := make([]uint32, len(keys))
	for i, k := range keys {
		j, _ := slices.BinarySearch(d, k)
		ids[i] = uint32(j)
	}
	return d, ids
}

func TestBuildKeyDictStrategies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	gen := map[string]func(n int) []uint64{
		"constant":       func(n int) []uint64 { return slices.Repeat([]uint64{42}, n) },
		"dense small":    func(n int) []uint64 { return genKeys(r, n, func() uint64 { return 1<<40 + r.Uint64N(100) }) },
		"dense booleans": func(n int) []uint64 { return genKeys(r, n, func() uint64 { return Int64Key(int64(r.IntN(2))) }) },
		"map wide low card": func(n int) []uint64 {
			vals := make([]uint64, 50)
			for i := range vals {
				vals[i] = r.Uint64()
			}
			return genKeys(r, n, func() uint64 { return vals[r.IntN(len(vals))] })
		},
		"sort packed high card": func(n int) []uint64 { return genKeys(r, n, func() uint64 { return 1<<50 + r.Uint64N(1<<31) }) },
		"sort pairs full range": func(n int) []uint64 { return genKeys(r, n, r.Uint64) },
		"sort pairs some dups": func(n int) []uint64 {
			vals := make([]uint64, n/3+1)
			for i := range vals {
				vals[i] = r.Uint64()
			}
			return genKeys(r, n, func() uint64 { return vals[r.IntN(len(vals))] })
		},
		"extremes": func(n int) []uint64 {
			return genKeys(r, n, func() uint64 { return []uint64{0, ^uint64(0), 1 << 63}[r.IntN(3)] })
		},
	}
	for name, g := range gen {
		for _, n := range []int{1, 2, 100, 70000} {
			t.Run(fmt.Sprintf("%s/n=%d", name, n), func(t *testing.T) {
				keys := g(n)
				ids := make([]uint32, n)
				d := BuildKeyDict(keys, ids)
				wd, wids := naiveKeyDict(keys)
				if !slices.Equal(d, wd) {
					t.Fatalf("dictionary of %d keys differs from naive (%d vs %d entries)", n, len(d), len(wd))
				}
				if !slices.Equal(ids, wids) {
					t.Fatalf("ids differ from naive")
				}
			})
		}
	}
	if d := BuildKeyDict(nil, nil); d != nil {
		t.Fatalf("empty input gave %v", d)
	}
}

func genKeys(r *rand.Rand, n int, f func() uint64) []uint64 {
	k := make([]uint64, n)
	for i := range k {
		k[i] = f()
	}
	_ = r
	return k
}

func TestKeysOrderLikeValues(t *testing.T) {
	ints := []int64{math.MinInt64, -1 << 40, -2, -1, 0, 1, 2, 1 << 40, math.MaxInt64}
	for i := 1; i < len(ints); i++ {
		if Int64Key(ints[i-1]) >= Int64Key(ints[i]) {
			t.Fatalf("Int64Key(%d) >= Int64Key(%d)", ints[i-1], ints[i])
		}
		if KeyInt64(Int64Key(ints[i])) != ints[i] {
			t.Fatalf("KeyInt64 does not invert Int64Key for %d", ints[i])
		}
	}
	floats := []float64{math.Inf(-1), -math.MaxFloat64, -1.5, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1, 1.5, math.MaxFloat64, math.Inf(1), math.NaN()}
	for i := 1; i < len(floats); i++ {
		if Float64Key(floats[i-1]) >= Float64Key(floats[i]) {
			t.Fatalf("Float64Key(%v) >= Float64Key(%v)", floats[i-1], floats[i])
		}
	}
	for _, f := range floats[:len(floats)-1] {
		if KeyFloat64(Float64Key(f)) != f {
			t.Fatalf("KeyFloat64 does not invert Float64Key for %v", f)
		}
	}
	if Float64Key(math.Copysign(0, -1)) != Float64Key(0) {
		t.Fatal("-0 and +0 have different keys")
	}
	if Float64Key(math.Float64frombits(0xFFF8000000000123)) != Float64Key(math.NaN()) {
		t.Fatal("NaNs have different keys")
	}
}

func TestBuildStringDict(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, card := range []int{1, 3, 1000, 50000} {
		vals := make([]string, 60000)
		pool := make([]string, card)
		for i := range pool {
			pool[i] = fmt.Sprintf("v%x\x00%d", r.Uint32(), i%7)
		}
		pool[0] = ""
		for i := range vals {
			vals[i] = pool[r.IntN(card)]
		}
		ids := make([]uint32, len(vals))
		d := BuildStringDict(vals, ids)
		if !sort.StringsAreSorted(d) {
			t.Fatal("dictionary not sorted")
		}
		for i := 1; i < len(d); i++ {
			if d[i-1] == d[i] {
				t.Fatal("dictionary has duplicates")
			}
		}
		for i, v := range vals {
			if d[ids[i]] != v {
				t.Fatalf("card=%d: value %d maps to %q, want %q", card, i, d[ids[i]], v)
			}
		}
	}
}

func TestKeyDictRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cases := [][]uint64{
		{},
		{5},
		{0, ^uint64(0)},
		{1, 2, 3, 4, 5, 6},
	}
	big := make([]uint64, 5000)
	for i := range big {
		big[i] = r.Uint64()
	}
	slices.Sort(big)
	cases = append(cases, slices.Compact(big))
	for _, keys := range cases {
		body, w, _ := AppendKeyDict(nil, keys, nil)
		got := make([]uint64, len(keys))
		if err := DecodeKeyDict(body, len(keys), w, got); err != nil {
			t.Fatalf("DecodeKeyDict(%d keys): %v", len(keys), err)
		}
		if !slices.Equal(got, keys) {
			t.Fatalf("round trip of %d keys differs", len(keys))
		}
	}
}

func TestDecodeKeyDictRejectsBadInput(t *testing.T) {
	body, w, _ := AppendKeyDict(nil, []uint64{10, 20, 30}, nil)
	zeroDelta, _, _ := AppendKeyDict(nil, []uint64{10, 10}, nil)
	overflow := append(appendU64(nil, ^uint64(0)-1), AppendPacked64(nil, []uint64{5}, 3)...)
	tests := []struct {
		name string
		body []byte
		n, w int
		msg  string
	}{
		{"short body", body[:5], 3, w, "shorter"},
		{"truncated deltas", body[:len(body)-1], 3, w, "packed length"},
		{"wrong width", body, 3, w + 1, "packed length"},
		{"width over 64", body, 3, 65, "out of range"},
		{"zero delta", zeroDelta, 2, 0, "does not increase"},
		{"overflow", overflow, 2, 3, "does not increase"},
		{"empty with bytes", body, 0, 0, "empty dictionary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeKeyDict(tc.body, tc.n, tc.w, make([]uint64, tc.n))
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("DecodeKeyDict = %v, want corrupt error containing %q", err, tc.msg)
			}
		})
	}
}

func TestStringDictSortPath(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	gens := map[string]func(i int) string{
		"random hex":     func(int) string { return fmt.Sprintf("%016x", r.Uint64()) },
		"common prefix":  func(int) string { return fmt.Sprintf("user-%d", r.IntN(60000)) },
		"long prefix":    func(int) string { return "a-very-long-common-prefix/" + fmt.Sprint(r.IntN(40000)) },
		"prefix of each": func(int) string { return strings.Repeat("ab", r.IntN(30000)%40) + fmt.Sprint(r.IntN(1000)) },
		"zero bytes":     func(int) string { return fmt.Sprintf("k\x00%d\x00", r.IntN(50000)) + []string{"", "\x00"}[r.IntN(2)] },
	}
	for name, g := range gens {
		t.Run(name, func(t *testing.T) {
			vals := make([]string, 100000)
			for i := range vals {
				vals[i] = g(i)
			}
			vals[3] = ""
			ids := make([]uint32, len(vals))
			var b DictBuilder
			d := b.Strings(vals, ids)
			want := slices.Clone(vals)
			slices.Sort(want)
			want = slices.Compact(want)
			if len(want) <= mapLimit {
				t.Fatalf("only %d distinct values: the sort path is not exercised", len(want))
			}
			if !slices.Equal(d, want) {
				t.Fatalf("dictionary differs from naive (%d vs %d values)", len(d), len(want))
			}
			for i, v := range vals {
				if d[ids[i]] != v {
					t.Fatalf("value %d maps to %q, want %q", i, d[ids[i]], v)
				}
			}
		})
	}
}

func TestFloat64sDict(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	gens := map[string]func() float64{
		"prices":         func() float64 { return float64(r.IntN(100000)) / 100 },
		"negative cents": func() float64 { return float64(r.IntN(20000)-10000) / 100 },
		"noise":          r.NormFloat64,
		"with -0 and inf": func() float64 {
			return []float64{math.Copysign(0, -1), 0, math.Inf(1), 1.25, math.NaN()}[r.IntN(5)]
		},
		"integers": func() float64 { return float64(r.Int64N(1 << 50)) },
	}
	for name, g := range gens {
		t.Run(name, func(t *testing.T) {
			vals := make([]float64, 50000)
			for i := range vals {
				vals[i] = g()
			}
			ids := make([]uint32, len(vals))
			var b DictBuilder
			d := b.Float64s(vals, ids)
			wd, wids := naiveKeyDict(AppendFloat64Keys(nil, vals))
			if !slices.Equal(d, wd) || !slices.Equal(ids, wids) {
				t.Fatalf("Float64s differs from the naive key dictionary (%d vs %d values)", len(d), len(wd))
			}
		})
	}
}
