package kinesis

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/stream"
)

// A 56-digit sequence number, as Kinesis issues them.
const seq56 = "49590338271490256608559692538361571095921575989136588898"

func TestCompareOffsets(t *testing.T) {
	// Every offset here is smaller than the next one.
	ordered := []stream.Offset{
		stream.Start,
		stream.AtTime(0),
		stream.AtTime(1700000000000),
		"0",
		"9",
		"10",
		"99999999999999999999999999999999999999999999999999999",    // 53 digits
		"49590338271490256608559692538361571095921575989136588897", // 56, seq56-1
		seq56 + "/0",
		seq56 + "/1",
		seq56 + "/10",
		seq56,
		"49590338271490256608559692538361571095921575989136588899/0", // seq56+1
		"49590338271490256608559692538361571095921575989136588899",
		"100000000000000000000000000000000000000000000000000000000", // 57 digits
		stream.Offset("1" + strings.Repeat("0", 128)),               // 129 digits, the API's longest
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			got, err := CompareOffsets(a, b)
			if err != nil {
				t.Fatalf("Compare(%q, %q): %v", a, b, err)
			}
			if got != want {
				t.Fatalf("Compare(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// TestCompareBigRandom checks the length-then-digits order against
// math/big on random sequence numbers of Kinesis' lengths.
func TestCompareBigRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		n := 50 + r.IntN(8)
		b := make([]byte, n)
		b[0] = byte('1' + r.IntN(9))
		for i := 1; i < n; i++ {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	for range 10000 {
		a, b := gen(), gen()
		if r.IntN(4) == 0 {
			b = a[:len(a)-1] + string('0'+byte(r.IntN(10)))
		}
		ba, _ := new(big.Int).SetString(a, 10)
		bb, _ := new(big.Int).SetString(b, 10)
		got, err := CompareOffsets(stream.Offset(a), stream.Offset(b))
		if err != nil {
			t.Fatal(err)
		}
		if want := ba.Cmp(bb); got != want {
			t.Fatalf("Compare(%s, %s) = %d, math/big says %d", a, b, got, want)
		}
	}
}

func TestMalformedOffsets(t *testing.T) {
	for _, tc := range []struct {
		off  stream.Offset
		want string
	}{
		{"@", "timestamp marker"},
		{"@x", "timestamp marker"},
		{"@-5", "negative timestamp"},
		{"not-an-offset", "not a decimal digit"},
		{"0123", "leading zero"},
		{"12a4", "byte 2 is not a decimal digit"},
		{"-12", "not a decimal digit"},
		{"+12", "not a decimal digit"},
		{"/3", "empty sequence number"},
		{stream.Offset(strings.Repeat("1", 130)), "130 digits"},
		{seq56 + "/", "user record index"},
		{seq56 + "/x", "user record index"},
		{seq56 + "/01", "user record index"},
		{seq56 + "/-1", "user record index"},
		{seq56 + "/2147483648", "user record index"},
		{seq56 + "/1/2", "user record index"},
	} {
		_, err := CompareOffsets(tc.off, "1")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), string(tc.off)) {
			t.Errorf("offset %q: error %v, want one naming the offset and saying %q", tc.off, err, tc.want)
		}
		if _, err := CompareOffsets("1", tc.off); err == nil {
			t.Errorf("Compare(1, %q) accepted it", tc.off)
		}
	}
}

func TestSubOffsetRoundTrip(t *testing.T) {
	for _, i := range []int{0, 1, 17, 2147483647} {
		o := subOffset(seq56, i)
		p, err := parseOffset(o)
		if err != nil {
			t.Fatal(err)
		}
		if p.kind != kindRecord || p.seq != seq56 || p.sub != int64(i) {
			t.Fatalf("parse(%q) = %+v", o, p)
		}
	}
	offs := []stream.Offset{seq56, subOffset(seq56, 2), subOffset(seq56, 0), stream.Start}
	slices.SortFunc(offs, func(a, b stream.Offset) int {
		c, err := CompareOffsets(a, b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	want := []stream.Offset{stream.Start, subOffset(seq56, 0), subOffset(seq56, 2), seq56}
	if !slices.Equal(offs, want) {
		t.Fatalf("sorted %q, want %q", offs, want)
	}
}
