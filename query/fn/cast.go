package fn

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// cast(x, 'TYPE') converts between Pinot's types as PinotDataType does,
// with two departures: a string that is not a number is an error naming
// the value (Pinot falls back to parsing it as a double or a timestamp and
// throws less precisely), and DATE (not a Pinot type) is TIMESTAMP
// truncated to the UTC day.

func castSpecs() []*spec {
	return []*spec{
		{names: []string{"cast"}, min: 2, max: 2, bind: bindCast},
	}
}

// castTarget maps the target type names cast accepts to Tannin types; date
// is reported separately.
func castTarget(name string) (t schema.DataType, date bool, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "INT", "INTEGER", "INT4", "SMALLINT", "TINYINT", "UTINYINT", "USMALLINT":
		return schema.TypeInt, false, true
	case "LONG", "BIGINT", "INT8", "UINTEGER":
		return schema.TypeLong, false, true
	case "FLOAT", "REAL", "FLOAT4":
		return schema.TypeFloat, false, true
	case "DOUBLE", "DOUBLE PRECISION", "FLOAT8":
		return schema.TypeDouble, false, true
	case "BIG_DECIMAL", "BIGDECIMAL", "DECIMAL", "NUMERIC":
		return schema.TypeBigDecimal, false, true
	case "BOOLEAN", "BOOL":
		return schema.TypeBoolean, false, true
	case "TIMESTAMP":
		return schema.TypeTimestamp, false, true
	case "DATE":
		return schema.TypeTimestamp, true, true
	case "STRING", "VARCHAR", "TEXT", "CHAR":
		return schema.TypeString, false, true
	case "BYTES", "VARBINARY", "BLOB", "BYTEA":
		return schema.TypeBytes, false, true
	case "JSON":
		return schema.TypeJSON, false, true
	}
	return schema.TypeInvalid, false, false
}

func bindCast(c *call) (*Func, error) {
	target, err := c.constString(1, "target type")
	if err != nil {
		return nil, err
	}
	dst, date, ok := castTarget(target)
	if !ok {
		return nil, c.errorf("unknown target type %q (known: INT, LONG, FLOAT, DOUBLE, BIG_DECIMAL, BOOLEAN, TIMESTAMP, DATE, STRING, BYTES, JSON)", target)
	}
	src := c.typ(0)
	if c.isNullConst(0) {
		return &Func{Type: dst, Eval: allNull("cast", dst).Eval}, nil
	}
	k, err := castKernel(src, dst, date)
	if err != nil {
		return nil, c.wrap(err)
	}
	return &Func{Type: dst, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, dst, n, args)
		if err := k(args[0], n, nulls, out); err != nil {
			return fmt.Errorf("evaluate cast: %w", err)
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

type castFn func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error

func skipRow(nulls []bool, i int) bool { return nulls != nil && nulls[i] }

func castKernel(src, dst schema.DataType, date bool) (castFn, error) {
	bad := fmt.Errorf("cannot cast %s to %s", src, dst)
	if date {
		bad = fmt.Errorf("cannot cast %s to DATE", src)
	}
	srcStore := src.Storage()
	switch dst {
	case schema.TypeInt, schema.TypeLong:
		narrow := dst == schema.TypeInt
		switch {
		case srcStore == schema.StorageInt64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				copy(o, in.I64[:n])
				if narrow {
					for i, x := range o {
						o[i] = int64(int32(x))
					}
				}
				return nil
			}, nil
		case srcStore == schema.StorageFloat64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				for i, x := range in.F64[:n] {
					if narrow {
						o[i] = int64(javaF64ToI32(x))
					} else {
						o[i] = javaF64ToI64(x)
					}
				}
				return nil
			}, nil
		case src == schema.TypeBytes:
			return nil, bad
		}
		return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
			o := out.I64[:n]
			for i, s := range in.Str[:n] {
				if skipRow(nulls, i) {
					continue
				}
				v, err := parseIntegral(s, narrow)
				if err != nil {
					return err
				}
				o[i] = v
			}
			return nil
		}, nil
	case schema.TypeFloat, schema.TypeDouble:
		f32 := dst == schema.TypeFloat
		switch {
		case srcStore == schema.StorageInt64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.F64[:n]
				for i, x := range in.I64[:n] {
					o[i] = float64(x)
					if f32 {
						o[i] = float64(float32(x))
					}
				}
				return nil
			}, nil
		case srcStore == schema.StorageFloat64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.F64[:n]
				copy(o, in.F64[:n])
				if f32 {
					for i, x := range o {
						o[i] = float64(float32(x))
					}
				}
				return nil
			}, nil
		case src == schema.TypeBytes:
			return nil, bad
		}
		return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
			o := out.F64[:n]
			for i, s := range in.Str[:n] {
				if skipRow(nulls, i) {
					continue
				}
				v, err := parseFloat(s, dst)
				if err != nil {
					return err
				}
				o[i] = v
			}
			return nil
		}, nil
	case schema.TypeBoolean:
		switch {
		case srcStore == schema.StorageInt64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				for i, x := range in.I64[:n] {
					o[i] = b2i(x != 0)
				}
				return nil
			}, nil
		case srcStore == schema.StorageFloat64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				for i, x := range in.F64[:n] {
					o[i] = b2i(x != 0)
				}
				return nil
			}, nil
		case src == schema.TypeBytes:
			return nil, bad
		}
		return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
			o := out.I64[:n]
			for i, s := range in.Str[:n] {
				if skipRow(nulls, i) {
					continue
				}
				b, ok := parseBool(s)
				if !ok {
					if src == schema.TypeBigDecimal {
						f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
						if err == nil {
							o[i] = b2i(f != 0)
							continue
						}
					}
					return fmt.Errorf("cast %q to BOOLEAN: not a boolean", s)
				}
				o[i] = b2i(b)
			}
			return nil
		}, nil
	case schema.TypeTimestamp:
		trunc := func(ms int64) int64 { return ms }
		if date {
			trunc = func(ms int64) int64 { return floorDiv(ms, msPerDay) * msPerDay }
		}
		switch {
		case src == schema.TypeBoolean || src == schema.TypeBytes:
			return nil, bad
		case srcStore == schema.StorageInt64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				for i, x := range in.I64[:n] {
					o[i] = trunc(x)
				}
				return nil
			}, nil
		case srcStore == schema.StorageFloat64:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.I64[:n]
				for i, x := range in.F64[:n] {
					o[i] = trunc(javaF64ToI64(x))
				}
				return nil
			}, nil
		}
		return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
			o := out.I64[:n]
			for i, s := range in.Str[:n] {
				if skipRow(nulls, i) {
					continue
				}
				ms, ok := parseTimestamp(s)
				if !ok {
					if date {
						return fmt.Errorf("cast %q to DATE: not a date", s)
					}
					return fmt.Errorf("cast %q to TIMESTAMP: not a timestamp", s)
				}
				o[i] = trunc(ms)
			}
			return nil
		}, nil
	case schema.TypeString, schema.TypeJSON, schema.TypeBigDecimal:
		plain := dst == schema.TypeBigDecimal
		switch {
		case src == schema.TypeBytes:
			if plain {
				return nil, bad
			}
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				o := out.Str[:n]
				for i, s := range in.Str[:n] {
					o[i] = hex.EncodeToString(unsafe.Slice(unsafe.StringData(s), len(s)))
				}
				return nil
			}, nil
		case srcStore == schema.StorageString:
			check := plain && src != schema.TypeBigDecimal
			return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
				o := out.Str[:n]
				copy(o, in.Str[:n])
				if check {
					for i, s := range o {
						if skipRow(nulls, i) {
							continue
						}
						t := strings.TrimSpace(s)
						if !isDecimal(t) {
							return fmt.Errorf("cast %q to BIG_DECIMAL: not a number", s)
						}
						o[i] = t
					}
				}
				return nil
			}, nil
		}
		return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
			o := out.Str[:n]
			var buf [64]byte
			for i := 0; i < n; i++ {
				if skipRow(nulls, i) {
					continue
				}
				var b []byte
				switch {
				case plain && in.Type == schema.TypeFloat:
					b = strconv.AppendFloat(buf[:0], in.F64[i], 'f', -1, 32)
				case plain && in.Type == schema.TypeDouble:
					b = strconv.AppendFloat(buf[:0], in.F64[i], 'f', -1, 64)
				case plain:
					b = strconv.AppendInt(buf[:0], in.I64[i], 10)
				default:
					b = appendValue(buf[:0], in, i)
				}
				o[i] = string(b)
			}
			return nil
		}, nil
	case schema.TypeBytes:
		switch {
		case src == schema.TypeBytes:
			return func(in *vec.Vector, n int, _ []bool, out *vec.Vector) error {
				copy(out.Str[:n], in.Str[:n])
				return nil
			}, nil
		case isStringType(src):
			return func(in *vec.Vector, n int, nulls []bool, out *vec.Vector) error {
				o := out.Str[:n]
				for i, s := range in.Str[:n] {
					if skipRow(nulls, i) {
						continue
					}
					b, err := hex.DecodeString(s)
					if err != nil {
						return fmt.Errorf("cast %q to BYTES: not hex", s)
					}
					o[i] = unsafe.String(unsafe.SliceData(b), len(b))
				}
				return nil
			}, nil
		}
	}
	return nil, bad
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// javaF64ToI64 is Java's (long) d: toward zero, NaN to 0, saturating.
func javaF64ToI64(x float64) int64 {
	switch {
	case x != x:
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return int64(x)
}

// javaF64ToI32 is Java's (int) d.
func javaF64ToI32(x float64) int32 {
	switch {
	case x != x:
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int32(x)
}

// parseIntegral parses a string cast to INT or LONG: an integer, else a
// number truncated toward zero, else (LONG) a timestamp in epoch millis.
func parseIntegral(s string, narrow bool) (int64, error) {
	t := strings.TrimSpace(s)
	if v, err := strconv.ParseInt(t, 10, 64); err == nil {
		if narrow {
			if v > math.MaxInt32 {
				return math.MaxInt32, nil
			}
			if v < math.MinInt32 {
				return math.MinInt32, nil
			}
		}
		return v, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && isDecimal(t) {
		if narrow {
			return int64(javaF64ToI32(f)), nil
		}
		return javaF64ToI64(f), nil
	}
	if !narrow {
		if ms, ok := parseTimestamp(t); ok {
			return ms, nil
		}
		return 0, fmt.Errorf("cast %q to LONG: not a number", s)
	}
	return 0, fmt.Errorf("cast %q to INT: not a number", s)
}

func parseFloat(s string, dst schema.DataType) (float64, error) {
	t := strings.TrimSpace(s)
	bits := 64
	if dst == schema.TypeFloat {
		bits = 32
	}
	switch t {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if !isDecimal(t) {
		return 0, fmt.Errorf("cast %q to %s: not a number", s, dst)
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, fmt.Errorf("cast %q to %s: not a number", s, dst)
	}
	return f, nil
}

// isDecimal reports whether s is a decimal number: sign, digits, optional
// fraction and exponent (no hex, no underscores, no inf/nan).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	return i == len(s)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y", "on":
		return true, true
	case "false", "f", "0", "no", "n", "off":
		return false, true
	}
	return false, false
}

// appendValue appends row i of v as Pinot renders it as a string: Java's
// number formatting, true/false, TIMESTAMP as 'yyyy-MM-dd HH:mm:ss.S',
// BYTES as hex.
func appendValue(dst []byte, v *vec.Vector, i int) []byte {
	switch v.Type {
	case schema.TypeInt, schema.TypeLong:
		return strconv.AppendInt(dst, v.I64[i], 10)
	case schema.TypeBoolean:
		if v.I64[i] != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case schema.TypeTimestamp:
		return appendTimestamp(dst, v.I64[i])
	case schema.TypeFloat:
		return appendJavaFloat(dst, v.F64[i], 32)
	case schema.TypeDouble:
		return appendJavaFloat(dst, v.F64[i], 64)
	case schema.TypeBytes:
		s := v.Str[i]
		return hex.AppendEncode(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
	}
	return append(dst, v.Str[i]...)
}

// appendJavaFloat formats x as Java's Double.toString (Float.toString for
// bits 32): shortest digits, plain in [1e-3, 1e7) with at least one
// fraction digit, else d.dddE±n.
func appendJavaFloat(dst []byte, x float64, bits int) []byte {
	switch {
	case math.IsNaN(x):
		return append(dst, "NaN"...)
	case math.IsInf(x, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(x, -1):
		return append(dst, "-Infinity"...)
	case x == 0:
		if math.Signbit(x) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', -1, bits)
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	epos := 0
	for b[epos] != 'e' {
		epos++
	}
	exp, _ := strconv.Atoi(string(b[epos+1:]))
	var digits [24]byte
	nd := 0
	for _, ch := range b[:epos] {
		if ch != '.' {
			digits[nd] = ch
			nd++
		}
	}
	d := digits[:nd]
	if exp >= -3 && exp < 7 {
		if exp < 0 {
			dst = append(dst, '0', '.')
			for k := -1; k > exp; k-- {
				dst = append(dst, '0')
			}
			return append(dst, d...)
		}
		if nd <= exp+1 {
			dst = append(dst, d...)
			for k := nd; k <= exp; k++ {
				dst = append(dst, '0')
			}
			return append(dst, '.', '0')
		}
		dst = append(dst, d[:exp+1]...)
		dst = append(dst, '.')
		return append(dst, d[exp+1:]...)
	}
	dst = append(dst, d[0], '.')
	if nd == 1 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, d[1:]...)
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// appendTimestamp formats epoch millis as java.sql.Timestamp.toString in
// UTC: yyyy-MM-dd HH:mm:ss.f with the fraction's trailing zeros dropped
// (at least one digit).
func appendTimestamp(dst []byte, ms int64) []byte {
	days := floorDiv(ms, msPerDay)
	rem := ms - days*msPerDay
	y, m, d := civilFromDays(days)
	dst = appendYear(dst, y, 4)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, ' ')
	dst = append2(dst, int(rem/msPerHour))
	dst = append(dst, ':')
	dst = append2(dst, int(rem/msPerMinute%60))
	dst = append(dst, ':')
	dst = append2(dst, int(rem/msPerSecond%60))
	dst = append(dst, '.')
	frac := int(rem % 1000)
	switch {
	case frac == 0:
		return append(dst, '0')
	case frac%100 == 0:
		return append(dst, byte('0'+frac/100))
	case frac%10 == 0:
		return append(dst, byte('0'+frac/100), byte('0'+frac/10%10))
	}
	return append(dst, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10%10), byte('0'+v%10))
}

// appendYear appends y zero-padded to width digits (a minus sign before
// negative years).
func appendYear(dst []byte, y int64, width int) []byte {
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], y, 10)
	for k := len(b); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// parseTimestamp parses the forms Pinot's TimestampUtils accepts, in UTC:
// 'yyyy-M-d', 'yyyy-M-d H:m[:s[.f]]', ISO-8601 'yyyy-MM-ddTHH:mm[:ss[.f]]'
// with an optional 'Z' or ±hh[:mm] offset, and epoch millis.
func parseTimestamp(s string) (int64, bool) {
	local, off, _, ok := parseDateTimeText(s, false)
	if ok {
		return local - off, true
	}
	return parseEpochMillis(strings.TrimSpace(s))
}

func parseEpochMillis(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
