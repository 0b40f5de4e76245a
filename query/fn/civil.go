package fn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Calendar arithmetic on epoch milliseconds in the proleptic Gregorian
// calendar (ISO chronology, as Joda's ISOChronology), without the time
// package on the UTC path.

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil returns the day number (0 = 1970-01-01) of y-m-d.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays returns the date of day number z.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoDow is the ISO day of week of day number days: Monday=1 .. Sunday=7.
func isoDow(days int64) int { return int(floorMod(days+3, 7)) + 1 }

// dayOfYear is the 1-based day of the year of day number days.
func dayOfYear(days int64) int {
	y, _, _ := civilFromDays(days)
	return int(days-daysFromCivil(y, 1, 1)) + 1
}

// isoWeek returns the ISO week-based year and week (1..53) of day number
// days.
func isoWeek(days int64) (weekYear int64, week int) {
	thursday := days - int64(isoDow(days)) + 4
	y, _, _ := civilFromDays(thursday)
	return y, int((thursday-daysFromCivil(y, 1, 1))/7) + 1
}

// ---- time zones ----

// zone is a time zone: UTC, a fixed offset or a location with rules.
type zone struct {
	id    string
	loc   *time.Location // nil for fixed offsets (UTC included)
	fixed int64          // offset in ms when loc is nil
}

var utcZone = &zone{id: "UTC"}

func (z *zone) isUTC() bool { return z.loc == nil && z.fixed == 0 }

// javaShortIDs maps the three-letter IDs that java.util.TimeZone and Joda
// accept to their full names (java.time.ZoneId.SHORT_IDS).
var javaShortIDs = map[string]string{
	"ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
	"ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo",
	"BST": "Asia/Dhaka", "CAT": "Africa/Harare", "CNT": "America/St_Johns",
	"CST": "America/Chicago", "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa",
	"ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata",
	"JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
	"NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix",
	"PRT": "America/Puerto_Rico", "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal",
	"VST": "Asia/Ho_Chi_Minh", "EST": "-05:00", "MST": "-07:00", "HST": "-10:00",
}

// loadZone resolves a Joda / java.time zone id: "UTC", "GMT", "Z", an
// IANA name, a Java short id ("PST") or an offset ("+05:30", "-0800",
// "GMT+7", "UTC-03:00").
func loadZone(id string) (*zone, error) {
	s := strings.TrimSpace(id)
	switch strings.ToUpper(s) {
	case "", "UTC", "GMT", "Z", "UT", "ETC/UTC", "ETC/GMT", "UCT", "ZULU":
		if s == "" {
			return nil, fmt.Errorf("empty time zone")
		}
		return utcZone, nil
	}
	if full, ok := javaShortIDs[s]; ok {
		s = full
	}
	rest := s
	for _, p := range []string{"GMT", "UTC", "UT"} {
		if strings.HasPrefix(strings.ToUpper(rest), p) && len(rest) > len(p) && (rest[len(p)] == '+' || rest[len(p)] == '-') {
			rest = rest[len(p):]
			break
		}
	}
	if rest[0] == '+' || rest[0] == '-' {
		off, ok := parseOffset(rest)
		if !ok {
			return nil, fmt.Errorf("unknown time zone %q", id)
		}
		if off == 0 {
			return utcZone, nil
		}
		return &zone{id: id, fixed: off}, nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", id)
	}
	return &zone{id: id, loc: loc}, nil
}

// parseOffset parses ±H, ±HH, ±HHmm, ±HH:mm (and seconds) into ms.
func parseOffset(s string) (int64, bool) {
	if len(s) < 2 {
		return 0, false
	}
	sign := int64(1)
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var h, m, sec int64
	var err error
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 2:
		if h, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
			return 0, false
		}
		if m, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return 0, false
		}
		if len(parts) == 3 {
			if sec, err = strconv.ParseInt(parts[2], 10, 64); err != nil {
				return 0, false
			}
		}
	case len(s) <= 2:
		if h, err = strconv.ParseInt(s, 10, 64); err != nil {
			return 0, false
		}
	case len(s) == 4:
		if h, err = strconv.ParseInt(s[:2], 10, 64); err != nil {
			return 0, false
		}
		if m, err = strconv.ParseInt(s[2:], 10, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if h > 18 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * (h*msPerHour + m*msPerMinute + sec*msPerSecond), true
}

// zoneCursor converts between UTC and local time in a zone, caching the
// offset period of the last instant it looked up. It is a value that each
// Eval keeps on its stack: zones are shared, cursors are not.
type zoneCursor struct {
	z      *zone
	lo, hi int64 // [lo, hi) instants (ms) where off holds
	off    int64
}

func newCursor(z *zone) zoneCursor {
	return zoneCursor{z: z, lo: 1, hi: 0, off: z.fixed}
}

// offset returns the zone's UTC offset in ms at instant ms.
func (c *zoneCursor) offset(ms int64) int64 {
	if c.z.loc == nil {
		return c.z.fixed
	}
	if ms >= c.lo && ms < c.hi {
		return c.off
	}
	t := time.UnixMilli(ms).In(c.z.loc)
	_, sec := t.Zone()
	start, end := t.ZoneBounds()
	c.lo, c.hi = math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		c.lo = start.UnixMilli()
	}
	if !end.IsZero() {
		c.hi = end.UnixMilli()
	}
	c.off = int64(sec) * msPerSecond
	return c.off
}

// local converts an instant to local wall-clock ms.
func (c *zoneCursor) local(ms int64) int64 { return ms + c.offset(ms) }

// utc converts a local wall-clock time to an instant as Joda does: in an
// overlap (autumn) the earlier instant; in a gap (spring) the wall time is
// moved forward by the gap's length (Pinot's DST-gap fallback). hint, when
// it is a valid offset for local, wins (Joda's roundFloor keeps the
// original instant's offset).
func (c *zoneCursor) utc(local int64, hint int64, useHint bool) int64 {
	if c.z.loc == nil {
		return local - c.z.fixed
	}
	if useHint && c.offset(local-hint) == hint {
		return local - hint
	}
	g := local - c.offset(local)
	oE := c.offset(g - 6*msPerHour)
	oL := c.offset(g + 6*msPerHour)
	t1 := local - oE
	if c.offset(t1) == oE {
		return t1
	}
	t2 := local - oL
	if c.offset(t2) == oL {
		return t2
	}
	return t1
}
