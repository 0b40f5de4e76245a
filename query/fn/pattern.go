package fn

import (
	"fmt"
	"strings"
	"time"
)

// A dtPattern is a Joda-Time DateTimeFormat pattern (what Pinot's
// SIMPLE_DATE_FORMAT, toDateTime and fromDateTime use) compiled into a list
// of fields and literals. Parsing and printing walk the list with integer
// arithmetic; no time.Time on the UTC path, no allocation when parsing.
//
// Supported letters (Joda's meaning): G era, y/Y year (yy: two-digit year
// in the 100 years around the current year minus 30), x week-year, w week of week-year,
// e day of week number, E day of week text, D day of year, M month (MMM
// short, MMMM full text), d day of month, a AM/PM, K hour 0-11, h hour
// 1-12, H hour 0-23, k hour 1-24, m minute, s second, S fraction of second,
// z zone short name (print only), Z offset (+0800; ZZ: +08:00; ZZZ: zone
// id). Text in '...' is literal, '' is a quote, other non-letters are
// literals.

type dtKind uint8

const (
	dtLiteral dtKind = iota
	dtEra
	dtYear
	dtWeekYear
	dtWeek
	dtDowNum
	dtDowText
	dtDayOfYear
	dtMonth
	dtMonthText
	dtDay
	dtHalfDay
	dtHourOfHalfDay // K 0-11
	dtClockHalfDay  // h 1-12
	dtHourOfDay     // H 0-23
	dtClockHourDay  // k 1-24
	dtMinute
	dtSecond
	dtFraction
	dtZoneName
	dtZoneOffset
	dtZoneID
)

type dtToken struct {
	kind   dtKind
	count  int    // letters in the token
	lit    string // dtLiteral
	max    int    // most digits parsed
	sep    bool   // ZZ: offset with a colon
	num    bool   // a numeric field
	signed bool   // a year that may carry a sign
}

type dtPattern struct {
	src  string
	toks []dtToken
	// pivotYear is Joda's two-digit-year pivot: the current year - 30.
	pivotYear int64
}

var (
	monthsShort = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsLong  = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	daysShort   = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	daysLong    = [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

func isNumericKind(k dtKind, count int) bool {
	switch k {
	case dtYear, dtWeekYear, dtWeek, dtDowNum, dtDayOfYear, dtDay, dtHourOfHalfDay, dtClockHalfDay,
		dtHourOfDay, dtClockHourDay, dtMinute, dtSecond, dtFraction:
		return true
	case dtMonth:
		return count < 3
	}
	return false
}

// compilePatternDT compiles a Joda pattern; now gives the two-digit-year
// pivot (Joda: the current year minus 30).
func compilePatternDT(src string, now time.Time) (*dtPattern, error) {
	p := &dtPattern{src: src, pivotYear: int64(now.Year()) - 30}
	i := 0
	for i < len(src) {
		ch := src[i]
		switch {
		case ch == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("invalid pattern %q: unterminated quote", src)
				}
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(src[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' is a quote
			}
			p.addLiteral(lit.String())
			i = j + 1
		case (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'):
			j := i
			for j < len(src) && src[j] == ch {
				j++
			}
			n := j - i
			t := dtToken{count: n}
			switch ch {
			case 'G':
				t.kind = dtEra
			case 'y', 'Y', 'u':
				t.kind = dtYear
			case 'x':
				t.kind = dtWeekYear
			case 'w':
				t.kind = dtWeek
			case 'e':
				t.kind = dtDowNum
			case 'E':
				t.kind = dtDowText
			case 'D':
				t.kind = dtDayOfYear
			case 'M':
				t.kind = dtMonth
				if n >= 3 {
					t.kind = dtMonthText
				}
			case 'd':
				t.kind = dtDay
			case 'a':
				t.kind = dtHalfDay
			case 'K':
				t.kind = dtHourOfHalfDay
			case 'h':
				t.kind = dtClockHalfDay
			case 'H':
				t.kind = dtHourOfDay
			case 'k':
				t.kind = dtClockHourDay
			case 'm':
				t.kind = dtMinute
			case 's':
				t.kind = dtSecond
			case 'S':
				t.kind = dtFraction
			case 'z':
				t.kind = dtZoneName
			case 'Z':
				switch n {
				case 1:
					t.kind = dtZoneOffset
				case 2:
					t.kind, t.sep = dtZoneOffset, true
				default:
					t.kind = dtZoneID
				}
			default:
				return nil, fmt.Errorf("invalid pattern %q: illegal pattern component %q", src, src[i:j])
			}
			p.toks = append(p.toks, t)
			i = j
		default:
			p.addLiteral(string(ch))
			i++
		}
	}
	// Digits each numeric field may take when parsing: Joda lets a field
	// take more digits than its letters unless the next token is numeric.
	for k := range p.toks {
		t := &p.toks[k]
		if !isNumericKind(t.kind, t.count) {
			continue
		}
		t.num = true
		t.signed = (t.kind == dtYear || t.kind == dtWeekYear) && t.count != 2
		nextNumeric := k+1 < len(p.toks) && isNumericKind(p.toks[k+1].kind, p.toks[k+1].count)
		switch t.kind {
		case dtYear, dtWeekYear:
			t.max = 9
			if nextNumeric {
				t.max = t.count
			}
		case dtFraction:
			t.max = t.count
		case dtDayOfYear:
			t.max = 3
		case dtDowNum:
			t.max = 1
		default:
			t.max = 2
		}
		if t.max < t.count {
			t.max = t.count
		}
	}
	return p, nil
}

func (p *dtPattern) addLiteral(s string) {
	if n := len(p.toks); n > 0 && p.toks[n-1].kind == dtLiteral {
		p.toks[n-1].lit += s
		return
	}
	p.toks = append(p.toks, dtToken{kind: dtLiteral, lit: s})
}

// parsed holds the fields a parse found.
type parsed struct {
	year, month, day     int64
	doy                  int64
	weekYear, week, dow  int64
	hour, minute, second int64
	millis               int64
	pm, hasHalf          bool
	hour12               int64
	has12                bool
	bc                   bool
	hasDoy, hasWeek      bool
	off                  int64
	hasOff               bool
	zoneID               string
}

// parse parses s completely and returns epoch millis; the local time is
// resolved in z unless s carries an offset or a zone id.
func (p *dtPattern) parse(s string, z *zone, zc *zoneCursor) (int64, error) {
	f := parsed{year: 1970, month: 1, day: 1}
	pos := 0
	for k := range p.toks {
		t := &p.toks[k]
		if t.kind == dtLiteral {
			if len(t.lit) == 1 {
				if pos >= len(s) || s[pos] != t.lit[0] {
					return 0, p.bad(s, pos)
				}
				pos++
				continue
			}
			if !strings.HasPrefix(s[pos:], t.lit) {
				return 0, p.bad(s, pos)
			}
			pos += len(t.lit)
			continue
		}
		if t.num {
			neg := false
			if t.signed && pos < len(s) && (s[pos] == '-' || s[pos] == '+') {
				neg = s[pos] == '-'
				pos++
			}
			start := pos
			var v int64
			for pos < len(s) && pos-start < t.max && s[pos] >= '0' && s[pos] <= '9' {
				v = v*10 + int64(s[pos]-'0')
				pos++
			}
			nd := pos - start
			if nd == 0 {
				return 0, p.bad(s, start)
			}
			if neg {
				v = -v
			}
			switch t.kind {
			case dtYear:
				if t.count == 2 && nd == 2 && !neg {
					v = p.twoDigit(v)
				}
				f.year = v
			case dtWeekYear:
				if t.count == 2 && nd == 2 {
					v = p.twoDigit(v)
				}
				f.weekYear, f.hasWeek = v, true
			case dtWeek:
				f.week, f.hasWeek = v, true
			case dtDowNum:
				f.dow = v
			case dtDayOfYear:
				f.doy, f.hasDoy = v, true
			case dtMonth:
				f.month = v
			case dtDay:
				f.day = v
			case dtHourOfHalfDay:
				f.hour12, f.has12 = v, true
			case dtClockHalfDay:
				if v == 12 {
					v = 0
				}
				f.hour12, f.has12 = v, true
			case dtHourOfDay:
				f.hour = v
			case dtClockHourDay:
				if v == 24 {
					v = 0
				}
				f.hour = v
			case dtMinute:
				f.minute = v
			case dtSecond:
				f.second = v
			case dtFraction:
				for d := nd; d < 3; d++ {
					v *= 10
				}
				for d := nd; d > 3; d-- {
					v /= 10
				}
				f.millis = v
			}
			continue
		}
		switch t.kind {
		case dtEra:
			switch {
			case hasPrefixFold(s[pos:], "AD"):
				pos += 2
			case hasPrefixFold(s[pos:], "BC"):
				f.bc = true
				pos += 2
			default:
				return 0, p.bad(s, pos)
			}
		case dtMonthText:
			m, w := matchText(s[pos:], monthsLong[:], monthsShort[:])
			if w == 0 {
				return 0, p.bad(s, pos)
			}
			f.month = int64(m) + 1
			pos += w
		case dtDowText:
			d, w := matchText(s[pos:], daysLong[:], daysShort[:])
			if w == 0 {
				return 0, p.bad(s, pos)
			}
			f.dow = int64(d) + 1
			pos += w
		case dtHalfDay:
			switch {
			case hasPrefixFold(s[pos:], "AM"):
				f.hasHalf = true
			case hasPrefixFold(s[pos:], "PM"):
				f.hasHalf, f.pm = true, true
			default:
				return 0, p.bad(s, pos)
			}
			pos += 2
		case dtZoneOffset:
			if pos < len(s) && s[pos] == 'Z' {
				f.off, f.hasOff = 0, true
				pos++
				break
			}
			off, w := scanOffset(s[pos:])
			if w == 0 {
				return 0, p.bad(s, pos)
			}
			f.off, f.hasOff = off, true
			pos += w
		case dtZoneID, dtZoneName:
			start := pos
			for pos < len(s) && (isIDChar(s[pos])) {
				pos++
			}
			if pos == start {
				return 0, p.bad(s, start)
			}
			f.zoneID = s[start:pos]
		}
	}
	if pos != len(s) {
		return 0, p.bad(s, pos)
	}
	return p.resolve(s, &f, z, zc)
}

// twoDigit maps a two-digit year into Joda's window [pivot-50, pivot+49].
func (p *dtPattern) twoDigit(v int64) int64 {
	low := p.pivotYear - 50
	y := low - floorMod(low, 100) + v
	if y < low {
		y += 100
	}
	return y
}

func (p *dtPattern) bad(s string, pos int) error {
	if pos >= len(s) {
		return fmt.Errorf("parse %q with pattern %q: too short", s, p.src)
	}
	return fmt.Errorf("parse %q with pattern %q: malformed at %q", s, p.src, s[pos:])
}

func (p *dtPattern) resolve(s string, f *parsed, z *zone, zc *zoneCursor) (int64, error) {
	if f.has12 {
		f.hour = f.hour12
		if f.pm {
			f.hour += 12
		}
	} else if f.hasHalf && f.pm && f.hour < 12 {
		f.hour += 12
	}
	year := f.year
	if f.bc {
		year = 1 - year
	}
	var days int64
	switch {
	case f.hasWeek:
		wy := f.weekYear
		if wy == 0 {
			wy = year
		}
		dow := f.dow
		if dow == 0 {
			dow = 1
		}
		if f.week < 1 || f.week > 53 || dow < 1 || dow > 7 {
			return 0, fmt.Errorf("parse %q with pattern %q: field out of range", s, p.src)
		}
		// Monday of ISO week 1: the week holding January 4th.
		jan4 := daysFromCivil(wy, 1, 4)
		days = jan4 - int64(isoDow(jan4)-1) + (f.week-1)*7 + dow - 1
	case f.hasDoy:
		if f.doy < 1 || f.doy > 365+b2i(isLeap(year)) {
			return 0, fmt.Errorf("parse %q with pattern %q: day of year %d out of range", s, p.src, f.doy)
		}
		days = daysFromCivil(year, 1, 1) + f.doy - 1
	default:
		if f.month < 1 || f.month > 12 {
			return 0, fmt.Errorf("parse %q with pattern %q: month %d out of range", s, p.src, f.month)
		}
		if f.day < 1 || f.day > int64(daysInMonth(year, int(f.month))) {
			return 0, fmt.Errorf("parse %q with pattern %q: day %d out of range", s, p.src, f.day)
		}
		days = daysFromCivil(year, f.month, f.day)
	}
	if f.hour > 23 || f.minute > 59 || f.second > 59 {
		return 0, fmt.Errorf("parse %q with pattern %q: time field out of range", s, p.src)
	}
	local := days*msPerDay + f.hour*msPerHour + f.minute*msPerMinute + f.second*msPerSecond + f.millis
	switch {
	case f.hasOff:
		return local - f.off, nil
	case f.zoneID != "":
		pz, err := loadZone(f.zoneID)
		if err != nil {
			return 0, fmt.Errorf("parse %q with pattern %q: %w", s, p.src, err)
		}
		c := newCursor(pz)
		return c.utc(local, 0, false), nil
	case z == nil || z.isUTC():
		return local, nil
	}
	return zc.utc(local, 0, false), nil
}

func isIDChar(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '/' || b == '+' || b == '-'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// matchText matches the longest of the long then short names at the start
// of s, case-insensitively; it returns the index and the width matched.
func matchText(s string, long, short []string) (int, int) {
	for i, t := range long {
		if hasPrefixFold(s, t) {
			return i, len(t)
		}
	}
	for i, t := range short {
		if hasPrefixFold(s, t) {
			return i, len(t)
		}
	}
	return 0, 0
}

// scanOffset reads ±HH, ±HHmm or ±HH:mm at the start of s.
func scanOffset(s string) (int64, int) {
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, 0
	}
	h := int64(s[1]-'0')*10 + int64(s[2]-'0')
	w := 3
	var m int64
	switch {
	case len(s) >= 6 && s[3] == ':' && isDigit(s[4]) && isDigit(s[5]):
		m = int64(s[4]-'0')*10 + int64(s[5]-'0')
		w = 6
	case len(s) >= 5 && isDigit(s[3]) && isDigit(s[4]):
		m = int64(s[3]-'0')*10 + int64(s[4]-'0')
		w = 5
	}
	off := h*msPerHour + m*msPerMinute
	if s[0] == '-' {
		off = -off
	}
	return off, w
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// appendFormat prints instant ms in zone z (cursor zc) with the pattern.
func (p *dtPattern) appendFormat(dst []byte, ms int64, z *zone, zc *zoneCursor) []byte {
	off := int64(0)
	if z != nil && !z.isUTC() {
		off = zc.offset(ms)
	}
	local := ms + off
	days := floorDiv(local, msPerDay)
	rem := local - days*msPerDay
	y, m, d := civilFromDays(days)
	hour := rem / msPerHour
	for k := range p.toks {
		t := &p.toks[k]
		switch t.kind {
		case dtLiteral:
			dst = append(dst, t.lit...)
		case dtEra:
			if y <= 0 {
				dst = append(dst, "BC"...)
			} else {
				dst = append(dst, "AD"...)
			}
		case dtYear:
			if t.count == 2 {
				dst = appendPadded(dst, floorMod(y, 100), 2)
			} else {
				dst = appendYear(dst, y, t.count)
			}
		case dtWeekYear:
			wy, _ := isoWeek(days)
			if t.count == 2 {
				dst = appendPadded(dst, floorMod(wy, 100), 2)
			} else {
				dst = appendYear(dst, wy, t.count)
			}
		case dtWeek:
			_, w := isoWeek(days)
			dst = appendPadded(dst, int64(w), t.count)
		case dtDowNum:
			dst = appendPadded(dst, int64(isoDow(days)), t.count)
		case dtDowText:
			if t.count >= 4 {
				dst = append(dst, daysLong[isoDow(days)-1]...)
			} else {
				dst = append(dst, daysShort[isoDow(days)-1]...)
			}
		case dtDayOfYear:
			dst = appendPadded(dst, int64(dayOfYear(days)), t.count)
		case dtMonth:
			dst = appendPadded(dst, int64(m), t.count)
		case dtMonthText:
			if t.count >= 4 {
				dst = append(dst, monthsLong[m-1]...)
			} else {
				dst = append(dst, monthsShort[m-1]...)
			}
		case dtDay:
			dst = appendPadded(dst, int64(d), t.count)
		case dtHalfDay:
			if hour >= 12 {
				dst = append(dst, "PM"...)
			} else {
				dst = append(dst, "AM"...)
			}
		case dtHourOfHalfDay:
			dst = appendPadded(dst, hour%12, t.count)
		case dtClockHalfDay:
			h := hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendPadded(dst, h, t.count)
		case dtHourOfDay:
			dst = appendPadded(dst, hour, t.count)
		case dtClockHourDay:
			h := hour
			if h == 0 {
				h = 24
			}
			dst = appendPadded(dst, h, t.count)
		case dtMinute:
			dst = appendPadded(dst, rem/msPerMinute%60, t.count)
		case dtSecond:
			dst = appendPadded(dst, rem/msPerSecond%60, t.count)
		case dtFraction:
			ms3 := rem % 1000
			digits := [3]byte{byte('0' + ms3/100), byte('0' + ms3/10%10), byte('0' + ms3%10)}
			for k := 0; k < t.count; k++ {
				if k < 3 {
					dst = append(dst, digits[k])
				} else {
					dst = append(dst, '0')
				}
			}
		case dtZoneOffset:
			dst = appendOffset(dst, off, t.sep)
		case dtZoneID:
			if z == nil || z.isUTC() {
				dst = append(dst, "UTC"...)
			} else {
				dst = append(dst, z.id...)
			}
		case dtZoneName:
			if z == nil || z.loc == nil {
				if off == 0 {
					dst = append(dst, "UTC"...)
				} else {
					dst = appendOffset(dst, off, true)
				}
			} else {
				name, _ := time.UnixMilli(ms).In(z.loc).Zone()
				dst = append(dst, name...)
			}
		}
	}
	return dst
}

func appendOffset(dst []byte, off int64, sep bool) []byte {
	if off < 0 {
		dst = append(dst, '-')
		off = -off
	} else {
		dst = append(dst, '+')
	}
	dst = appendPadded(dst, off/msPerHour, 2)
	if sep {
		dst = append(dst, ':')
	}
	return appendPadded(dst, off/msPerMinute%60, 2)
}

// appendPadded appends v (non-negative) with at least width digits.
func appendPadded(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	for k := len(buf) - i; k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, buf[i:]...)
}
