package fn

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TimeUnit is a unit of Pinot's time formats and granularities: Java's
// TimeUnit names plus the calendar units WEEKS, MONTHS and YEARS that
// Pinot's output formats allow.
type TimeUnit uint8

// The time units, finest first.
const (
	Nanoseconds TimeUnit = iota
	Microseconds
	Milliseconds
	Seconds
	Minutes
	Hours
	Days
	Weeks
	Months
	Years
)

var timeUnitNames = [...]string{"NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "YEARS"}

func (u TimeUnit) String() string {
	if int(u) < len(timeUnitNames) {
		return timeUnitNames[u]
	}
	return fmt.Sprintf("TimeUnit(%d)", u)
}

// ParseTimeUnit parses a unit name (case-insensitive; singular accepted).
func ParseTimeUnit(s string) (TimeUnit, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range timeUnitNames {
		if u == n || u+"S" == n {
			return TimeUnit(i), nil
		}
	}
	return 0, fmt.Errorf("unknown time unit %q", s)
}

// isFixed reports whether the unit has a fixed length (Java's TimeUnit).
func (u TimeUnit) isFixed() bool { return u <= Days }

// millis is the length of a fixed unit in ms; 0 below a millisecond.
func (u TimeUnit) millis() int64 {
	switch u {
	case Seconds:
		return msPerSecond
	case Minutes:
		return msPerMinute
	case Hours:
		return msPerHour
	case Days:
		return msPerDay
	case Weeks:
		return 7 * msPerDay
	case Milliseconds:
		return 1
	}
	return 0
}

// toMillis is Java's TimeUnit.toMillis(v): finer units truncate toward
// zero, coarser ones saturate.
func (u TimeUnit) toMillis(v int64) int64 {
	switch u {
	case Nanoseconds:
		return v / 1_000_000
	case Microseconds:
		return v / 1000
	}
	return satMul(v, u.millis())
}

// fromMillis converts ms to the unit, truncating toward zero (Java's
// TimeUnit.convert); calendar units count whole weeks, months or years
// since the epoch as Joda's getDifference does.
func (u TimeUnit) fromMillis(ms int64) int64 {
	switch u {
	case Nanoseconds:
		return satMul(ms, 1_000_000)
	case Microseconds:
		return satMul(ms, 1000)
	case Months, Years:
		days := floorDiv(ms, msPerDay)
		y, m, d := civilFromDays(days)
		rem := ms - days*msPerDay
		months := (y-1970)*12 + int64(m-1)
		// a partial month toward the epoch does not count
		if months < 0 && (d > 1 || rem > 0) {
			months++
		}
		if u == Months {
			return months
		}
		return months / 12
	}
	return ms / u.millis()
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	r := a * b
	if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return r
}

// TimeFormatKind is the time format of a TimeFormat.
type TimeFormatKind uint8

// Pinot's time formats.
const (
	FormatEpoch TimeFormatKind = iota
	FormatTimestamp
	FormatSimpleDate
)

func (k TimeFormatKind) String() string {
	switch k {
	case FormatEpoch:
		return "EPOCH"
	case FormatTimestamp:
		return "TIMESTAMP"
	case FormatSimpleDate:
		return "SIMPLE_DATE_FORMAT"
	}
	return fmt.Sprintf("TimeFormatKind(%d)", k)
}

// TimeFormat is a parsed Pinot dateTimeFieldSpec format: EPOCH with a unit
// and a size, TIMESTAMP, or SIMPLE_DATE_FORMAT with a Joda pattern (or
// ISO-8601 when none is given) and a time zone (UTC by default). It is
// immutable and safe for concurrent use.
type TimeFormat struct {
	spec    string
	kind    TimeFormatKind
	size    int64
	unit    TimeUnit
	pattern *dtPattern // nil: ISO-8601
	zone    *zone
}

var sdfWithZone = regexp.MustCompile(`^(.+)( tz[ ]*\((.+)\))[ ]*$`)

// ParseTimeFormat parses Pinot's format syntax: colon form
// 'size:unit:EPOCH', 'size:unit:TIMESTAMP',
// 'size:unit:SIMPLE_DATE_FORMAT:pattern[ tz(zone)]', or pipe form
// 'EPOCH[|unit[|size]]', 'TIMESTAMP', 'SIMPLE_DATE_FORMAT[|pattern[|zone]]'.
func ParseTimeFormat(spec string) (*TimeFormat, error) {
	return parseTimeFormat(spec, time.Now())
}

func parseTimeFormat(spec string, now time.Time) (*TimeFormat, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid format %q: %s", spec, fmt.Sprintf(format, a...))
	}
	if spec == "" {
		return nil, bad("empty")
	}
	f := &TimeFormat{spec: spec, size: 1, unit: Milliseconds, zone: utcZone}
	var kindStr, unitStr, sizeStr, pattern, zoneStr string
	hasPattern, hasZone := false, false
	if spec[0] >= '0' && spec[0] <= '9' {
		tok := strings.SplitN(spec, ":", 4)
		if len(tok) < 3 {
			return nil, bad("must be 'size:timeUnit:timeFormat[:pattern]'")
		}
		sizeStr, unitStr, kindStr = tok[0], tok[1], tok[2]
		if len(tok) == 4 {
			pattern, hasPattern = tok[3], true
			if m := sdfWithZone.FindStringSubmatch(pattern); m != nil {
				pattern = strings.TrimSpace(m[1])
				zoneStr, hasZone = strings.TrimSpace(m[3]), true
			}
		}
	} else {
		tok := strings.SplitN(spec, "|", 3)
		kindStr = tok[0]
		switch strings.ToUpper(kindStr) {
		case "EPOCH":
			if len(tok) > 1 {
				unitStr = tok[1]
			}
			if len(tok) > 2 {
				sizeStr = tok[2]
			}
		case "SIMPLE_DATE_FORMAT":
			if len(tok) > 1 {
				pattern, hasPattern = tok[1], true
			}
			if len(tok) > 2 {
				zoneStr, hasZone = tok[2], true
			}
		}
	}
	switch strings.ToUpper(kindStr) {
	case "EPOCH":
		f.kind = FormatEpoch
		if unitStr != "" {
			u, err := ParseTimeUnit(unitStr)
			if err != nil {
				return nil, bad("%v", err)
			}
			f.unit = u
		}
		if sizeStr != "" {
			n, err := strconv.ParseInt(sizeStr, 10, 32)
			if err != nil || n <= 0 {
				return nil, bad("size %q must be a positive integer", sizeStr)
			}
			f.size = n
		}
	case "TIMESTAMP":
		f.kind = FormatTimestamp
	case "SIMPLE_DATE_FORMAT":
		f.kind = FormatSimpleDate
		if unitStr != "" {
			if _, err := ParseTimeUnit(unitStr); err != nil {
				return nil, bad("%v", err)
			}
		}
		if hasPattern && pattern != "" {
			p, err := compilePatternDT(pattern, now)
			if err != nil {
				return nil, bad("%v", err)
			}
			f.pattern = p
		}
		if hasZone {
			z, err := loadZone(zoneStr)
			if err != nil {
				return nil, bad("%v", err)
			}
			f.zone = z
		}
	default:
		return nil, bad("unknown time format %q (known: EPOCH, TIMESTAMP, SIMPLE_DATE_FORMAT)", kindStr)
	}
	return f, nil
}

// String returns the format as it was written.
func (f *TimeFormat) String() string { return f.spec }

// Kind is EPOCH, TIMESTAMP or SIMPLE_DATE_FORMAT.
func (f *TimeFormat) Kind() TimeFormatKind { return f.kind }

// Unit and Size are an EPOCH format's unit and size (MILLISECONDS and 1
// otherwise).
func (f *TimeFormat) Unit() TimeUnit { return f.unit }

// Size is the EPOCH bucket size (1 otherwise).
func (f *TimeFormat) Size() int64 { return f.size }

// Pattern is the SIMPLE_DATE_FORMAT pattern ("" for ISO-8601 or other kinds).
func (f *TimeFormat) Pattern() string {
	if f.pattern == nil {
		return ""
	}
	return f.pattern.src
}

// ToMillis converts a value of this format, as text, to epoch millis:
// EPOCH accepts any decimal number (truncated, as Pinot's BigDecimal
// longValue), TIMESTAMP the forms cast to TIMESTAMP accepts, and
// SIMPLE_DATE_FORMAT the pattern.
func (f *TimeFormat) ToMillis(s string) (int64, error) {
	switch f.kind {
	case FormatEpoch:
		t := strings.TrimSpace(s)
		v, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			x, ferr := strconv.ParseFloat(t, 64)
			if ferr != nil || !isDecimal(t) {
				return 0, fmt.Errorf("parse %q as %s: not a number", s, f.spec)
			}
			v = javaF64ToI64(x)
		}
		return f.ToMillisInt(v), nil
	case FormatTimestamp:
		ms, ok := parseTimestamp(s)
		if !ok {
			return 0, fmt.Errorf("parse %q as %s: not a timestamp", s, f.spec)
		}
		return ms, nil
	}
	zc := newCursor(f.zone)
	return f.parseSDF(s, &zc)
}

func (f *TimeFormat) parseSDF(s string, zc *zoneCursor) (int64, error) {
	if f.pattern != nil {
		return f.pattern.parse(s, f.zone, zc)
	}
	local, off, hasOff, ok := parseDateTimeText(s, true)
	if !ok {
		return 0, fmt.Errorf("parse %q as ISO-8601 date-time: malformed", s)
	}
	if hasOff {
		return local - off, nil
	}
	return zc.utc(local, 0, false), nil
}

// ToMillisInt converts an integral value of this format to epoch millis:
// value*size units for EPOCH, the value itself for TIMESTAMP. For
// SIMPLE_DATE_FORMAT the decimal digits of v are parsed with the pattern
// (e.g. 20240131 with yyyyMMdd); a value that does not parse gives
// math.MinInt64, Pinot's default null LONG (use ToMillis to get the
// error).
func (f *TimeFormat) ToMillisInt(v int64) int64 {
	switch f.kind {
	case FormatEpoch:
		return f.unit.toMillis(satMul(v, f.size))
	case FormatTimestamp:
		return v
	}
	var buf [24]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	ms, err := f.ToMillis(string(s))
	if err != nil {
		return math.MinInt64
	}
	return ms
}

// FromMillis converts epoch millis to this format's integral value: the
// number of size-unit buckets for EPOCH (truncated toward zero), the
// millis themselves otherwise. Use AppendMillis for the text form.
func (f *TimeFormat) FromMillis(ms int64) int64 {
	if f.kind == FormatEpoch {
		return f.unit.fromMillis(ms) / f.size
	}
	return ms
}

// AppendMillis appends epoch millis in this format's text form, as Pinot's
// fromMillisToFormat: the EPOCH value in decimal, TIMESTAMP as
// 'yyyy-MM-dd HH:mm:ss.S', SIMPLE_DATE_FORMAT with the pattern (ISO-8601
// 'yyyy-MM-ddTHH:mm:ssZ' when none) in the format's zone.
func (f *TimeFormat) AppendMillis(dst []byte, ms int64) []byte {
	zc := newCursor(f.zone)
	return f.appendMillis(dst, ms, &zc)
}

func (f *TimeFormat) appendMillis(dst []byte, ms int64, zc *zoneCursor) []byte {
	switch f.kind {
	case FormatEpoch:
		return strconv.AppendInt(dst, f.FromMillis(ms), 10)
	case FormatTimestamp:
		return appendTimestamp(dst, ms)
	}
	if f.pattern != nil {
		return f.pattern.appendFormat(dst, ms, f.zone, zc)
	}
	off := int64(0)
	if !f.zone.isUTC() {
		off = zc.offset(ms)
	}
	dst = appendTimestampISO(dst, ms+off)
	if off == 0 {
		return append(dst, 'Z')
	}
	return appendOffset(dst, off, true)
}

// FormatMillis is AppendMillis as a string.
func (f *TimeFormat) FormatMillis(ms int64) string {
	var buf [64]byte
	return string(f.AppendMillis(buf[:0], ms))
}

// appendTimestampISO appends local millis as yyyy-MM-ddTHH:mm:ss.
func appendTimestampISO(dst []byte, local int64) []byte {
	days := floorDiv(local, msPerDay)
	rem := local - days*msPerDay
	y, m, d := civilFromDays(days)
	dst = appendYear(dst, y, 4)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, int(rem/msPerHour))
	dst = append(dst, ':')
	dst = append2(dst, int(rem/msPerMinute%60))
	dst = append(dst, ':')
	return append2(dst, int(rem/msPerSecond%60))
}

// Granularity is Pinot's dateTimeFieldSpec granularity: 'size:unit' or
// 'unit[|size]'.
type Granularity struct {
	Size int64
	Unit TimeUnit
}

// ParseGranularity parses a granularity; its unit must be one of Java's
// TimeUnit (NANOSECONDS .. DAYS).
func ParseGranularity(spec string) (Granularity, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid granularity %q: %s", spec, fmt.Sprintf(format, a...))
	}
	if spec == "" {
		return Granularity{}, bad("empty")
	}
	var sizeStr, unitStr string
	if spec[0] >= '0' && spec[0] <= '9' {
		tok := strings.SplitN(spec, ":", 2)
		if len(tok) != 2 {
			return Granularity{}, bad("must be 'size:timeUnit' or 'timeUnit|size'")
		}
		sizeStr, unitStr = tok[0], tok[1]
	} else {
		tok := strings.SplitN(spec, "|", 2)
		unitStr = tok[0]
		if len(tok) == 2 {
			sizeStr = tok[1]
		}
	}
	u, err := ParseTimeUnit(unitStr)
	if err != nil || !u.isFixed() {
		return Granularity{}, bad("unknown time unit %q", unitStr)
	}
	g := Granularity{Size: 1, Unit: u}
	if sizeStr != "" {
		n, err := strconv.ParseInt(sizeStr, 10, 32)
		if err != nil || n <= 0 {
			return Granularity{}, bad("size %q must be a positive integer", sizeStr)
		}
		g.Size = n
	}
	return g, nil
}

// Millis is the granularity's length in ms (0 below a millisecond).
func (g Granularity) Millis() int64 { return satMul(g.Size, g.Unit.millis()) }

// truncateLocal buckets local wall-clock millis to the granularity by
// calendar fields, as Pinot's date-time transformers do: the field of the
// unit is rounded down to a multiple of size, finer fields are zeroed.
func (g Granularity) truncateLocal(local int64) int64 {
	days := floorDiv(local, msPerDay)
	rem := local - days*msPerDay
	size := g.Size
	switch g.Unit {
	case Milliseconds:
		ms := rem % 1000
		return local - ms + ms/size*size
	case Seconds:
		s := rem / msPerSecond % 60
		return local - rem%msPerMinute + s/size*size*msPerSecond
	case Minutes:
		m := rem / msPerMinute % 60
		return local - rem%msPerHour + m/size*size*msPerMinute
	case Hours:
		h := rem / msPerHour
		return days*msPerDay + h/size*size*msPerHour
	case Days:
		y, m, d := civilFromDays(days)
		d = (d-1)/int(size)*int(size) + 1
		return daysFromCivil(y, int64(m), int64(d)) * msPerDay
	}
	return local
}

// parseDateTimeText parses 'yyyy-M-d[(T| )H:m[:s[.f]]][Z|±hh[:mm]]' into
// local millis and the offset when one is written. isoOnly requires 'T'
// between date and time.
func parseDateTimeText(s string, isoOnly bool) (local, off int64, hasOff, ok bool) {
	s = strings.TrimSpace(s)
	p := 0
	num := func(minD, maxD int) (int64, bool) {
		start := p
		var v int64
		for p < len(s) && p-start < maxD && s[p] >= '0' && s[p] <= '9' {
			v = v*10 + int64(s[p]-'0')
			p++
		}
		return v, p-start >= minD
	}
	neg := false
	if p < len(s) && (s[p] == '-' || s[p] == '+') {
		neg = s[p] == '-'
		p++
	}
	y, ok1 := num(4, 9)
	if !ok1 || p >= len(s) || s[p] != '-' {
		return 0, 0, false, false
	}
	if neg {
		y = -y
	}
	p++
	mo, ok1 := num(1, 2)
	if !ok1 || p >= len(s) || s[p] != '-' || mo < 1 || mo > 12 {
		return 0, 0, false, false
	}
	p++
	d, ok1 := num(1, 2)
	if !ok1 || d < 1 || d > int64(daysInMonth(y, int(mo))) {
		return 0, 0, false, false
	}
	local = daysFromCivil(y, mo, d) * msPerDay
	if p == len(s) {
		return local, 0, false, true
	}
	if s[p] != 'T' && (isoOnly || s[p] != ' ') {
		return 0, 0, false, false
	}
	p++
	h, ok1 := num(1, 2)
	if !ok1 || h > 23 {
		return 0, 0, false, false
	}
	var mi, sec, frac int64
	if p < len(s) && s[p] == ':' {
		p++
		if mi, ok1 = num(1, 2); !ok1 || mi > 59 {
			return 0, 0, false, false
		}
		if p < len(s) && s[p] == ':' {
			p++
			if sec, ok1 = num(1, 2); !ok1 || sec > 59 {
				return 0, 0, false, false
			}
			if p < len(s) && (s[p] == '.' || s[p] == ',') {
				p++
				start := p
				for p < len(s) && s[p] >= '0' && s[p] <= '9' {
					if p-start < 3 {
						frac = frac*10 + int64(s[p]-'0')
					}
					p++
				}
				if p == start || p-start > 9 {
					return 0, 0, false, false
				}
				for k := p - start; k < 3; k++ {
					frac *= 10
				}
			}
		}
	} else if !isoOnly {
		return 0, 0, false, false
	}
	local += h*msPerHour + mi*msPerMinute + sec*msPerSecond + frac
	switch {
	case p == len(s):
		return local, 0, false, true
	case s[p] == 'Z' && p+1 == len(s):
		return local, 0, true, true
	case s[p] == '+' || s[p] == '-':
		o, ok := parseOffset(s[p:])
		if !ok {
			return 0, 0, false, false
		}
		return local, o, true, true
	}
	return 0, 0, false, false
}
