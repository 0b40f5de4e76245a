package immutable

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/schema"
)

// timeFormat converts a time column's stored values to epoch millis, for
// the segment's time range. It understands Pinot's date-time formats:
// "1:MILLISECONDS:EPOCH", "1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd",
// "EPOCH|SECONDS|5", "SIMPLE_DATE_FORMAT|yyyy-MM-dd|America/New_York",
// "TIMESTAMP", and the TIMESTAMP data type (millis).
type timeFormat struct {
	// epoch: value * mul / div millis.
	mul, div int64
	// simple date format: a Go layout and a location.
	layout string
	loc    *time.Location
}

// unitMillis returns the multiplier and divisor from a time unit to millis.
func unitMillis(unit string) (mul, div int64, ok bool) {
	switch unit {
	case "NANOSECONDS":
		return 1, 1_000_000, true
	case "MICROSECONDS":
		return 1, 1_000, true
	case "MILLISECONDS":
		return 1, 1, true
	case "SECONDS":
		return 1_000, 1, true
	case "MINUTES":
		return 60_000, 1, true
	case "HOURS":
		return 3_600_000, 1, true
	case "DAYS":
		return 86_400_000, 1, true
	}
	return 0, 0, false
}

func parseTimeFormat(spec *schema.FieldSpec) (timeFormat, error) {
	f := strings.TrimSpace(spec.Format)
	if f == "" || spec.DataType == schema.TypeTimestamp || strings.EqualFold(f, "TIMESTAMP") {
		return timeFormat{mul: 1, div: 1}, nil
	}
	var size, unit, kind, pattern, tz string
	if strings.Contains(f, "|") {
		parts := strings.Split(f, "|")
		kind = strings.ToUpper(strings.TrimSpace(parts[0]))
		switch kind {
		case "EPOCH":
			unit, size = "MILLISECONDS", "1"
			if len(parts) > 1 {
				unit = parts[1]
			}
			if len(parts) > 2 {
				size = parts[2]
			}
		case "SIMPLE_DATE_FORMAT":
			if len(parts) > 1 {
				pattern = parts[1]
			}
			if len(parts) > 2 {
				tz = parts[2]
			}
		case "TIMESTAMP":
			return timeFormat{mul: 1, div: 1}, nil
		}
	} else {
		parts := strings.SplitN(f, ":", 4)
		if len(parts) < 3 {
			return timeFormat{}, fmt.Errorf("time format %q: want size:unit:EPOCH or size:unit:SIMPLE_DATE_FORMAT:pattern", f)
		}
		size, unit, kind = parts[0], parts[1], strings.ToUpper(strings.TrimSpace(parts[2]))
		if len(parts) == 4 {
			pattern = parts[3]
		}
	}
	switch kind {
	case "EPOCH":
		mul, div, ok := unitMillis(strings.ToUpper(strings.TrimSpace(unit)))
		if !ok {
			return timeFormat{}, fmt.Errorf("time format %q: unknown unit %q", f, unit)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(size), 10, 64)
		if err != nil || n <= 0 {
			return timeFormat{}, fmt.Errorf("time format %q: bad size %q", f, size)
		}
		return timeFormat{mul: mul * n, div: div}, nil
	case "SIMPLE_DATE_FORMAT":
		layout, err := javaLayout(pattern)
		if err != nil {
			return timeFormat{}, fmt.Errorf("time format %q: %w", f, err)
		}
		loc := time.UTC
		if tz = strings.TrimSpace(tz); tz != "" {
			if loc, err = time.LoadLocation(tz); err != nil {
				return timeFormat{}, fmt.Errorf("time format %q: time zone: %w", f, err)
			}
		}
		return timeFormat{layout: layout, loc: loc}, nil
	}
	return timeFormat{}, fmt.Errorf("time format %q: unknown kind %q", f, kind)
}

// millisInt converts an epoch value, saturating on overflow.
func (t timeFormat) millisInt(v int64) int64 {
	if t.mul == 1 {
		return floorDiv(v, t.div)
	}
	hi, lo := mulOverflows(v, t.mul)
	if hi {
		if v < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return floorDiv(lo, t.div)
}

func mulOverflows(a, b int64) (bool, int64) {
	if a == 0 || b == 0 {
		return false, 0
	}
	c := a * b
	return c/b != a, c
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (t timeFormat) millisFloat(v float64) int64 {
	m := math.Floor(v * float64(t.mul) / float64(t.div))
	switch {
	case m != m:
		return 0
	case m >= math.MaxInt64:
		return math.MaxInt64
	case m <= math.MinInt64:
		return math.MinInt64
	}
	return int64(m)
}

func (t timeFormat) millisString(s string) (int64, error) {
	if t.layout == "" {
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if ferr != nil {
				return 0, fmt.Errorf("time value %q is not a number", s)
			}
			return t.millisFloat(f), nil
		}
		return t.millisInt(v), nil
	}
	tm, err := time.ParseInLocation(t.layout, s, t.loc)
	if err != nil {
		return 0, fmt.Errorf("time value %q: %w", s, err)
	}
	return tm.UnixMilli(), nil
}

// javaLayout translates a java.text.SimpleDateFormat pattern to a Go
// layout, for the letters date-time columns use.
func javaLayout(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty date pattern")
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("date pattern %q: unterminated quote", p)
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		j := i
		for j < len(p) && p[j] == c {
			j++
		}
		n := j - i
		var tok string
		switch c {
		case 'y':
			tok = "2006"
			if n == 2 {
				tok = "06"
			}
		case 'M':
			switch {
			case n == 1:
				tok = "1"
			case n == 2:
				tok = "01"
			case n == 3:
				tok = "Jan"
			default:
				tok = "January"
			}
		case 'd':
			tok = "02"
			if n == 1 {
				tok = "2"
			}
		case 'H':
			tok = "15"
		case 'h':
			tok = "03"
			if n == 1 {
				tok = "3"
			}
		case 'm':
			tok = "04"
			if n == 1 {
				tok = "4"
			}
		case 's':
			tok = "05"
			if n == 1 {
				tok = "5"
			}
		case 'S':
			tok = strings.Repeat("0", n)
		case 'a':
			tok = "PM"
		case 'E':
			tok = "Mon"
			if n >= 4 {
				tok = "Monday"
			}
		case 'Z':
			tok = "-0700"
		case 'X':
			tok = "Z07:00"
		case 'z':
			tok = "MST"
		default:
			return "", fmt.Errorf("date pattern %q: letter %q not supported", p, c)
		}
		b.WriteString(tok)
		i = j
	}
	return b.String(), nil
}
