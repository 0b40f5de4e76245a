package encoding

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestIntChunkRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	cases := map[string][]int64{
		"one":      {7},
		"constant": make([]int64, 100),
		"extremes": {math.MinInt64, math.MaxInt64, 0, -1},
		"small":    nil,
		"wide":     nil,
	}
	for i := 0; i < 8192; i++ {
		cases["small"] = append(cases["small"], 1_700_000_000_000+r.Int64N(1000))
		cases["wide"] = append(cases["wide"], int64(r.Uint64()))
	}
	var s Scratch
	for name, vals := range cases {
		t.Run(name, func(t *testing.T) {
			b := AppendIntChunk(nil, vals, &s)
			c, err := ParseIntChunk(b, len(vals))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if g := c.Get(i); g != v {
					t.Fatalf("Get(%d) = %d, want %d", i, g, v)
				}
			}
			for _, start := range []int{0, 1, len(vals) / 2} {
				dst := make([]int64, len(vals)-start)
				c.Decode(start, dst)
				for i, g := range dst {
					if g != vals[start+i] {
						t.Fatalf("Decode(%d)[%d] = %d, want %d", start, i, g, vals[start+i])
					}
				}
			}
			if _, err := ParseIntChunk(b[:len(b)-1], len(vals)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated chunk: %v", err)
			}
			// Width 0 stores no bits, so only a non-constant chunk can
			// tell its count from its length.
			if c.W > 0 {
				if _, err := ParseIntChunk(b, len(vals)+64); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("wrong count: %v", err)
				}
			}
		})
	}
}

func TestFloatChunkKinds(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	n := 5000
	prices := make([]float64, n)
	noise := make([]float64, n)
	repetitive := make([]float64, n)
	for i := range prices {
		prices[i] = float64(r.IntN(1_000_000)) / 100
		noise[i] = r.NormFloat64()
		repetitive[i] = noise[i%3] // 17 significant digits: not decimal
	}
	special := []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1), 0, 1e300}
	tests := []struct {
		name  string
		vals  []float64
		codec Codec
		kind  int
	}{
		{"decimal prices", prices, CodecZstd, FloatDecimal},
		{"integers", []float64{1, 2, 3, -4e15}, CodecZstd, FloatDecimal},
		{"noise plain", noise, CodecNone, FloatPlain},
		{"noise zstd falls back to plain", noise, CodecZstd, FloatPlain},
		{"repetitive zstd", repetitive, CodecZstd, FloatZstd},
		{"repetitive s2", repetitive, CodecS2, FloatS2},
		{"special values", special, CodecNone, FloatPlain},
	}
	var z Compressor
	defer z.Close()
	d := NewDecompressor(1)
	defer d.Close()
	var s Scratch
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendFloatChunk(nil, tc.vals, tc.codec, &z, &s)
			c, err := ParseFloatChunk(b, len(tc.vals))
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != tc.kind {
				t.Fatalf("kind %d, want %d", c.Kind, tc.kind)
			}
			if c.Compressed() {
				if c, err = c.Decompress(d); err != nil {
					t.Fatal(err)
				}
			}
			dst := make([]float64, len(tc.vals)-1)
			c.Decode(1, dst)
			for i, v := range tc.vals {
				if g := c.Get(i); math.Float64bits(g) != math.Float64bits(v) {
					t.Fatalf("Get(%d) = %v, want %v", i, g, v)
				}
				if i > 0 && math.Float64bits(dst[i-1]) != math.Float64bits(v) {
					t.Fatalf("Decode[%d] = %v, want %v", i, dst[i-1], v)
				}
			}
		})
	}
}

func TestFloatChunkCorruption(t *testing.T) {
	var z Compressor
	defer z.Close()
	d := NewDecompressor(1)
	defer d.Close()
	var s Scratch
	rep := make([]float64, 1000)
	for i := range rep {
		rep[i] = []float64{0.1234567890123456789 / 3, 2.0 / 3, 1.0 / 7}[i%3] // not decimal
	}
	zb := AppendFloatChunk(nil, rep, CodecZstd, &z, &s)
	c, err := ParseFloatChunk(zb, len(rep))
	if err != nil {
		t.Fatal(err)
	}
	c.Data = c.Data[:len(c.Data)-3]
	if _, err := c.Decompress(d); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated zstd payload: %v", err)
	}
	plain := AppendFloatChunk(nil, rep[:2], CodecNone, &z, &s)
	bad := append([]byte(nil), plain...)
	bad[0] = 9
	for name, tc := range map[string]struct {
		b []byte
		n int
	}{
		"short":        {plain[:4], 2},
		"wrong count":  {plain, 3},
		"unknown kind": {bad, 2},
	} {
		if _, err := ParseFloatChunk(tc.b, tc.n); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestBytesChunk(t *testing.T) {
	var z Compressor
	defer z.Close()
	d := NewDecompressor(1)
	defer d.Close()
	var s Scratch
	vals := make([]string, 3000)
	for i := range vals {
		vals[i] = fmt.Sprintf(`{"user":%d,"ok":true}`, i%17)
	}
	vals[5] = ""
	vals[6] = "\xff\x00binary"
	for _, codec := range []Codec{CodecNone, CodecS2, CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			b := AppendBytesChunk(nil, vals, codec, &z, &s)
			if err := CheckBytesChunk(b, len(vals)); err != nil {
				t.Fatal(err)
			}
			c, err := DecodeBytesChunk(b, len(vals), d)
			if err != nil {
				t.Fatal(err)
			}
			if c.Len() != len(vals) {
				t.Fatalf("Len %d", c.Len())
			}
			for i, v := range vals {
				if g := c.Get(i); g != v {
					t.Fatalf("Get(%d) = %q, want %q", i, g, v)
				}
			}
			if got, want := Codec(b[0]), codec; got != want {
				t.Fatalf("stored codec %v, want %v", got, want)
			}
			for cut := 1; cut < 12; cut += 5 {
				if _, err := DecodeBytesChunk(b[:len(b)-cut], len(vals), d); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("truncated by %d: %v", cut, err)
				}
			}
		})
	}
	plain := AppendBytesChunk(nil, []string{"ab", "c"}, CodecNone, &z, &s)
	badOff := append([]byte(nil), plain...)
	badOff[8+4] = 3 // offsets[1] = 3 > offsets[2] = 3? make it decrease
	badOff[8+8] = 1
	if _, err := DecodeBytesChunk(badOff, 2, d); err == nil || !strings.Contains(err.Error(), "decreases") {
		t.Fatalf("decreasing offsets: %v", err)
	}
	if _, err := DecodeBytesChunk(plain, 5, d); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("too many values: %v", err)
	}
}

func TestNextBytesChunk(t *testing.T) {
	big := strings.Repeat("x", BytesChunkBytes/2+1)
	vals := []string{big, big, big, "a"}
	if end := NextBytesChunk(vals, 0); end != 2 {
		t.Fatalf("chunk of big values ends at %d, want 2", end)
	}
	small := make([]string, BytesChunkValues+10)
	if end := NextBytesChunk(small, 0); end != BytesChunkValues {
		t.Fatalf("chunk of empty values ends at %d, want %d", end, BytesChunkValues)
	}
	if end := NextBytesChunk(small, BytesChunkValues); end != len(small) {
		t.Fatalf("last chunk ends at %d", end)
	}
}

// FuzzChunkDecoders feeds arbitrary bytes to every chunk decoder: an
// error is fine, a panic or an out-of-range read is not.
func FuzzChunkDecoders(f *testing.F) {
	var z Compressor
	var s Scratch
	f.Add(AppendIntChunk(nil, []int64{1, 5, -3}, &s), uint16(3))
	f.Add(AppendFloatChunk(nil, []float64{1.25, 2.5}, CodecNone, &z, &s), uint16(2))
	f.Add(AppendFloatChunk(nil, []float64{0.1 / 3, 2.0 / 3, 0.1 / 3}, CodecZstd, &z, &s), uint16(3))
	f.Add(AppendBytesChunk(nil, []string{"a", "", "bcd"}, CodecNone, &z, &s), uint16(3))
	f.Add(AppendBytesChunk(nil, []string{"xx", "xx", "xx", "xx", "xx", "xx"}, CodecS2, &z, &s), uint16(6))
	d := NewDecompressor(1)
	f.Fuzz(func(t *testing.T, b []byte, n16 uint16) {
		n := int(n16 % 5000)
		if c, err := ParseIntChunk(b, n); err == nil && n > 0 {
			dst := make([]int64, n)
			c.Decode(0, dst)
			_ = c.Get(n - 1)
		}
		if c, err := ParseFloatChunk(b, n); err == nil && n > 0 {
			if c.Compressed() {
				if c, err = c.Decompress(d); err != nil {
					return
				}
			}
			dst := make([]float64, n)
			c.Decode(0, dst)
			_ = c.Get(n - 1)
		}
		if CheckBytesChunk(b, n) == nil {
			if c, err := DecodeBytesChunk(b, n, d); err == nil {
				for i := 0; i < c.Len(); i++ {
					_ = c.Get(i)
				}
			}
		}
		var keys [64]uint64
		if n <= len(keys) && len(b) > 0 {
			_ = DecodeKeyDict(b[1:], n, int(b[0]%70), keys[:n])
		}
	})
}
