package fn

import (
	"math"
	"testing"
)

func TestCast(t *testing.T) {
	runCases(t, []fcase{
		{name: "long to int wraps", fn: "cast", args: []in{col(tLong, int64(1)<<32+5, -7, nil), slit("INT")}, typ: tInt, want: []any{5, -7, nil}},
		{name: "double to int truncates", fn: "cast", args: []in{col(tDouble, -7.9, 7.9, math.NaN(), 1e20, -1e20), slit("INTEGER")}, typ: tInt,
			want: []any{-7, 7, 0, math.MaxInt32, math.MinInt32}},
		{name: "double to long", fn: "cast", args: []in{col(tDouble, -7.9, 1e30), slit("BIGINT")}, typ: tLong, want: []any{-7, int64(math.MaxInt64)}},
		{name: "string to int", fn: "cast", args: []in{col(tStr, " 42 ", "-3.9", "99999999999", nil), slit("INT")}, typ: tInt, want: []any{42, -3, math.MaxInt32, nil}},
		{name: "string to int bad", fn: "cast", args: []in{col(tStr, "12", "abc"), slit("INT")}, err: `cast "abc" to INT: not a number`},
		{name: "string to long", fn: "cast", args: []in{col(tStr, "9007199254740993", "1e3", "2024-01-01"), slit("LONG")}, typ: tLong,
			want: []any{int64(9007199254740993), 1000, ms("2024-01-01")}},
		{name: "string to long bad", fn: "cast", args: []in{col(tStr, "x1"), slit("LONG")}, err: `cast "x1" to LONG`},
		{name: "string to double", fn: "cast", args: []in{col(tStr, "1.5", "-1e-3", "NaN", "Infinity"), slit("DOUBLE")}, typ: tDouble,
			want: []any{1.5, -0.001, math.NaN(), math.Inf(1)}},
		{name: "string to double bad", fn: "cast", args: []in{col(tStr, "0x10"), slit("DOUBLE")}, err: `cast "0x10" to DOUBLE: not a number`},
		{name: "double to float", fn: "cast", args: []in{col(tDouble, 0.1), slit("FLOAT")}, typ: tFloat, want: []any{float64(float32(0.1))}},
		{name: "int to double", fn: "cast", args: []in{col(tInt, 3), slit("DOUBLE")}, typ: tDouble, want: []any{3.0}},
		{name: "to boolean", fn: "cast", args: []in{col(tLong, 0, 5, nil), slit("BOOLEAN")}, typ: tBool, want: []any{false, true, nil}},
		{name: "string to boolean", fn: "cast", args: []in{col(tStr, "true", "FALSE", "1", "0"), slit("BOOL")}, typ: tBool, want: []any{true, false, true, false}},
		{name: "string to boolean bad", fn: "cast", args: []in{col(tStr, "maybe"), slit("BOOLEAN")}, err: `cast "maybe" to BOOLEAN`},
		{name: "string to timestamp", fn: "cast", args: []in{col(tStr,
			"2024-01-02", "2024-01-02 03:04:05", "2024-01-02 03:04:05.120", "2024-01-02T03:04:05Z",
			"2024-01-02T03:04:05.5+02:00", "2024-1-2 3:04", "1704164645000", "1969-12-31 23:59:59.999"), slit("TIMESTAMP")}, typ: tTS,
			want: []any{ms("2024-01-02"), ms("2024-01-02 03:04:05"), ms("2024-01-02 03:04:05.120"), ms("2024-01-02 03:04:05"),
				ms("2024-01-02 01:04:05.500"), ms("2024-01-02 03:04:00"), int64(1704164645000), int64(-1)}},
		{name: "string to timestamp bad", fn: "cast", args: []in{col(tStr, "2024-02-30"), slit("TIMESTAMP")}, err: `cast "2024-02-30" to TIMESTAMP`},
		{name: "leap day", fn: "cast", args: []in{col(tStr, "2024-02-29", "2000-02-29"), slit("TIMESTAMP")}, typ: tTS, want: []any{ms("2024-02-29"), ms("2000-02-29")}},
		{name: "not leap", fn: "cast", args: []in{col(tStr, "1900-02-29"), slit("TIMESTAMP")}, err: "not a timestamp"},
		{name: "to date", fn: "cast", args: []in{col(tTS, ms("2024-01-02 03:04:05"), -1), slit("DATE")}, typ: tTS, want: []any{ms("2024-01-02"), ms("1969-12-31")}},
		{name: "string to date", fn: "cast", args: []in{col(tStr, "2024-01-02 23:59:59"), slit("DATE")}, typ: tTS, want: []any{ms("2024-01-02")}},
		{name: "long to timestamp", fn: "cast", args: []in{col(tLong, 1000), slit("TIMESTAMP")}, typ: tTS, want: []any{1000}},
		{name: "timestamp to string", fn: "cast", args: []in{col(tTS, ms("2024-01-02 03:04:05.120"), ms("2024-01-02 03:04:05"), ms("2024-01-02 03:04:05.007"), int64(-1), nil), slit("STRING")}, typ: tStr,
			want: []any{"2024-01-02 03:04:05.12", "2024-01-02 03:04:05.0", "2024-01-02 03:04:05.007", "1969-12-31 23:59:59.999", nil}},
		{name: "double to string", fn: "cast", args: []in{col(tDouble, 1.0, 1e20, 0.0001, 0.001, 1234567.0, 12345678.0, -1.5, math.NaN(), math.Inf(-1), 100.0, 1.0e-10), slit("VARCHAR")}, typ: tStr,
			want: []any{"1.0", "1.0E20", "1.0E-4", "0.001", "1234567.0", "1.2345678E7", "-1.5", "NaN", "-Infinity", "100.0", "1.0E-10"}},
		{name: "float to string", fn: "cast", args: []in{col(tFloat, float64(float32(0.1))), slit("STRING")}, typ: tStr, want: []any{"0.1"}},
		{name: "bool to string", fn: "cast", args: []in{col(tBool, true, false), slit("STRING")}, typ: tStr, want: []any{"true", "false"}},
		{name: "long to string", fn: "cast", args: []in{col(tLong, -42), slit("STRING")}, typ: tStr, want: []any{"-42"}},
		{name: "bytes to string", fn: "cast", args: []in{col(tBytes, "\x01\xab"), slit("STRING")}, typ: tStr, want: []any{"01ab"}},
		{name: "string to bytes", fn: "cast", args: []in{col(tStr, "01ab"), slit("BYTES")}, typ: tBytes, want: []any{"\x01\xab"}},
		{name: "string to bytes bad", fn: "cast", args: []in{col(tStr, "xyz"), slit("BYTES")}, err: `cast "xyz" to BYTES`},
		{name: "to big decimal", fn: "cast", args: []in{col(tDouble, 1.5, 1e20), slit("BIG_DECIMAL")}, typ: tDec, want: []any{"1.5", "100000000000000000000"}},
		{name: "string to decimal", fn: "cast", args: []in{col(tStr, " 12.50 "), slit("DECIMAL")}, typ: tDec, want: []any{"12.50"}},
		{name: "string to decimal bad", fn: "cast", args: []in{col(tStr, "12,5"), slit("DECIMAL")}, err: "not a number"},
		{name: "decimal to double", fn: "cast", args: []in{col(tDec, "12.5"), slit("DOUBLE")}, typ: tDouble, want: []any{12.5}},
		{name: "json to string", fn: "cast", args: []in{col(tJSON, `{"a":1}`), slit("STRING")}, typ: tStr, want: []any{`{"a":1}`}},
		{name: "string to json", fn: "cast", args: []in{col(tStr, `[1]`), slit("JSON")}, typ: tJSON, want: []any{`[1]`}},
		{name: "null literal", fn: "cast", args: []in{nullLit(tStr), slit("LONG")}, typ: tLong, want: []any{nil}},
		{name: "non-constant type", fn: "cast", args: []in{col(tLong, 1), col(tStr, "INT")}, err: "must be a constant string"},
	})
}

func TestJavaFloatFormat(t *testing.T) {
	cases := []struct {
		x    float64
		bits int
		want string
	}{
		{0, 64, "0.0"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{123.456, 64, "123.456"},
		{9999999, 64, "9999999.0"},
		{1e7, 64, "1.0E7"},
		{0.00123, 64, "0.00123"},
		{1.0 / 3, 64, "0.3333333333333333"},
		{float64(float32(1.0 / 3)), 32, "0.33333334"},
		{-2.5e-5, 64, "-2.5E-5"},
		{math.MaxFloat64, 64, "1.7976931348623157E308"},
	}
	for _, c := range cases {
		if got := string(appendJavaFloat(nil, c.x, c.bits)); got != c.want {
			t.Errorf("appendJavaFloat(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}

func TestTimestampFormatRoundTrip(t *testing.T) {
	for _, v := range []int64{0, -1, 1, 951782400000, -62135596800000, 253402300799999, ms("2024-02-29 23:59:59.990")} {
		s := string(appendTimestamp(nil, v))
		got, ok := parseTimestamp(s)
		if !ok || got != v {
			t.Errorf("%d -> %q -> %d, %v", v, s, got, ok)
		}
	}
}

func TestCivilAgainstLoop(t *testing.T) {
	// daysFromCivil / civilFromDays against a day-by-day walk over 1600..2400.
	y, m, d := int64(1600), 1, 1
	for days := daysFromCivil(1600, 1, 1); y < 2400; days++ {
		gy, gm, gd := civilFromDays(days)
		if gy != y || gm != m || gd != d {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %d-%d-%d", days, gy, gm, gd, y, m, d)
		}
		if back := daysFromCivil(y, int64(m), int64(d)); back != days {
			t.Fatalf("daysFromCivil(%d-%d-%d) = %d, want %d", y, m, d, back, days)
		}
		d++
		if d > daysInMonth(y, m) {
			d, m = 1, m+1
			if m > 12 {
				m, y = 1, y+1
			}
		}
	}
	if daysFromCivil(1970, 1, 1) != 0 {
		t.Error("epoch is not day 0")
	}
}
