package fn

import (
	"math"
	"testing"
)

func TestArithmetic(t *testing.T) {
	inf := math.Inf(1)
	runCases(t, []fcase{
		{name: "add ints", fn: "add", args: []in{col(tInt, 1, 2, nil), col(tInt, 10, -20, 5)}, typ: tLong, want: []any{11, -18, nil}},
		{name: "plus long wraps", fn: "plus", args: []in{col(tLong, int64(math.MaxInt64)), ilit(1)}, typ: tLong, want: []any{int64(math.MinInt64)}},
		{name: "add mixed", fn: "add", args: []in{col(tInt, 1, 2), col(tDouble, 0.5, nil)}, typ: tDouble, want: []any{1.5, nil}},
		{name: "add float", fn: "add", args: []in{col(tFloat, 1.25), col(tFloat, 1.0)}, typ: tDouble, want: []any{2.25}},
		{name: "add bigdecimal", fn: "add", args: []in{col(tDec, "1.5", nil), col(tLong, 2, 3)}, typ: tDouble, want: []any{3.5, nil}},
		{name: "add timestamp", fn: "add", args: []in{col(tTS, 1000), ilit(5)}, typ: tLong, want: []any{1005}},
		{name: "sub", fn: "sub", args: []in{col(tLong, 5, 1), col(tLong, 7, 1)}, typ: tLong, want: []any{-2, 0}},
		{name: "minus double", fn: "minus", args: []in{col(tDouble, 5.5), col(tLong, 1)}, typ: tDouble, want: []any{4.5}},
		{name: "mult", fn: "mult", args: []in{col(tLong, 6, -3), col(tInt, 7, 3)}, typ: tLong, want: []any{42, -9}},
		{name: "times", fn: "times", args: []in{col(tDouble, 1.5), col(tDouble, 2.0)}, typ: tDouble, want: []any{3.0}},
		{name: "div", fn: "div", args: []in{col(tLong, 7, 1, -1, 0), col(tLong, 2, 0, 0, 0)}, typ: tDouble, want: []any{3.5, inf, math.Inf(-1), math.NaN()}},
		{name: "divide default", fn: "divide", args: []in{col(tLong, 7, 1), col(tLong, 2, 0), lit(tDouble, -1.0)}, typ: tDouble, want: []any{3.5, -1.0}},
		{name: "mod int", fn: "mod", args: []in{col(tInt, 7, -7, 7, nil), col(tInt, 3, 3, -3, 0)}, typ: tInt, want: []any{1, -1, 1, nil}},
		{name: "mod long min", fn: "mod", args: []in{col(tLong, int64(math.MinInt64)), col(tLong, -1)}, typ: tLong, want: []any{0}},
		{name: "mod by zero", fn: "mod", args: []in{col(tLong, 7), col(tLong, 0)}, err: "division by zero"},
		{name: "mod double", fn: "mod", args: []in{col(tDouble, 7.5, -7.5), col(tDouble, 2.0, 2.0)}, typ: tDouble, want: []any{1.5, -1.5}},
		{name: "mod float", fn: "mod", args: []in{col(tFloat, 7.5), col(tInt, 2)}, typ: tFloat, want: []any{1.5}},
		{name: "power", fn: "power", args: []in{col(tLong, 2, 2), col(tDouble, 10.0, -1.0)}, typ: tDouble, want: []any{1024.0, 0.5}},
		{name: "pow", fn: "pow", args: []in{col(tDouble, 9.0), lit(tDouble, 0.5)}, typ: tDouble, want: []any{3.0}},
		{name: "abs int", fn: "abs", args: []in{col(tInt, -3, 4, nil)}, typ: tInt, want: []any{3, 4, nil}},
		{name: "abs long overflow", fn: "abs", args: []in{col(tLong, int64(math.MinInt64))}, err: "long overflow"},
		{name: "abs int overflow", fn: "abs", args: []in{col(tInt, math.MinInt32)}, err: "int overflow"},
		{name: "abs double", fn: "abs", args: []in{col(tDouble, -2.5, math.Copysign(0, -1))}, typ: tDouble, want: []any{2.5, 0.0}},
		{name: "abs decimal", fn: "abs", args: []in{col(tDec, "-12.50", "3")}, typ: tDec, want: []any{"12.50", "3"}},
		{name: "ceil", fn: "ceil", args: []in{col(tDouble, 1.2, -1.2, nil)}, typ: tDouble, want: []any{2.0, -1.0, nil}},
		{name: "ceiling int", fn: "ceiling", args: []in{col(tInt, 3)}, typ: tDouble, want: []any{3.0}},
		{name: "floor", fn: "floor", args: []in{col(tDouble, 1.8, -1.2)}, typ: tDouble, want: []any{1.0, -2.0}},
		{name: "sqrt", fn: "sqrt", args: []in{col(tLong, 16, -1)}, typ: tDouble, want: []any{4.0, math.NaN()}},
		{name: "exp", fn: "exp", args: []in{col(tDouble, 0.0, 1.0)}, typ: tDouble, want: []any{1.0, math.E}},
		{name: "ln", fn: "ln", args: []in{col(tDouble, math.E, 0.0)}, typ: tDouble, want: []any{1.0, math.Inf(-1)}},
		{name: "log10", fn: "log10", args: []in{col(tLong, 1000)}, typ: tDouble, want: []any{3.0}},
		{name: "log2", fn: "log2", args: []in{col(tLong, 8)}, typ: tDouble, want: []any{3.0}},
		{name: "sign", fn: "sign", args: []in{col(tDouble, -3.5, 0.0, 2.0, nil)}, typ: tDouble, want: []any{-1.0, 0.0, 1.0, nil}},
		{name: "round", fn: "round", args: []in{col(tDouble, 2.5, -2.5, 2.4, 0.5, -0.4)}, typ: tDouble, want: []any{3.0, -3.0, 2.0, 1.0, 0.0}},
		{name: "round scale", fn: "round", args: []in{col(tDouble, 2.345, 2.675, -2.675, 1.005, 1234.5, 0.004), ilit(2)}, typ: tDouble,
			want: []any{2.35, 2.68, -2.68, 1.01, 1234.5, 0.0}},
		{name: "round negative scale", fn: "round", args: []in{col(tDouble, 1234.5, 1250.0, 99.0, -1250.0), ilit(-2)}, typ: tDouble, want: []any{1200.0, 1300.0, 100.0, -1300.0}},
		{name: "round carry", fn: "roundDecimal", args: []in{col(tDouble, 9.995, 0.0999), ilit(2)}, typ: tDouble, want: []any{10.0, 0.1}},
		{name: "round varying scale", fn: "round", args: []in{col(tDouble, 1.26, 1.26), col(tLong, 1, 0)}, typ: tDouble, want: []any{1.3, 1.0}},
		{name: "round nan", fn: "round", args: []in{col(tDouble, math.NaN(), inf), ilit(1)}, typ: tDouble, want: []any{math.NaN(), inf}},
		{name: "truncate", fn: "truncate", args: []in{col(tDouble, -2.7, 2.7)}, typ: tDouble, want: []any{-2.0, 2.0}},
		{name: "truncate scale", fn: "truncate", args: []in{col(tDouble, 2.679, -2.679), ilit(2)}, typ: tDouble, want: []any{2.67, -2.67}},
		{name: "greatest ints", fn: "greatest", args: []in{col(tInt, 1, nil, nil), col(tInt, 3, 2, nil), col(tInt, 2, nil, nil)}, typ: tInt, want: []any{3, 2, nil}},
		{name: "greatest mixed", fn: "greatest", args: []in{col(tInt, 1, 5), col(tDouble, 1.5, 2.0)}, typ: tDouble, want: []any{1.5, 5.0}},
		{name: "greatest null literal", fn: "greatest", args: []in{col(tLong, 1), nullLit(tLong), col(tLong, 3)}, typ: tLong, want: []any{3}},
		{name: "least strings", fn: "least", args: []in{col(tStr, "b", "a"), col(tStr, "a", nil)}, typ: tStr, want: []any{"a", "a"}},
		{name: "least mixed ints", fn: "least", args: []in{col(tInt, 1, 5), col(tLong, 2, -3)}, typ: tLong, want: []any{1, -3}},
		{name: "least timestamps", fn: "least", args: []in{col(tTS, 10), col(tTS, 5)}, typ: tTS, want: []any{5}},
		{name: "greatest bad", fn: "greatest", args: []in{col(tInt, 1), col(tStr, "a")}, err: "arguments must all be"},
	})
}

func TestRoundScaleMatchesDecimal(t *testing.T) {
	// HALF_UP on the shortest decimal form, as BigDecimal.valueOf(d).setScale.
	cases := []struct {
		x     float64
		scale int
		up    bool
		want  float64
	}{
		{0.125, 2, true, 0.13},
		{0.125, 2, false, 0.12},
		{-0.125, 2, true, -0.13},
		{1e-20, 5, true, 0},
		{123456789.987654321, 3, true, 123456789.988},
		{5, -1, true, 10},
		{4, -1, true, 0},
		{999, -3, true, 1000},
		{1.5e300, 2, true, 1.5e300},
	}
	for _, c := range cases {
		if got := roundScale(c.x, c.scale, c.up); got != c.want {
			t.Errorf("roundScale(%v, %d, %v) = %v, want %v", c.x, c.scale, c.up, got, c.want)
		}
	}
}
