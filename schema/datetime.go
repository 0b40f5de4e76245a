package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// TimeUnit is a unit of Pinot's date-time formats and granularities: Java's
// TimeUnit names, plus WEEKS, MONTHS and YEARS, which Pinot allows in an
// EPOCH format only.
type TimeUnit uint8

const (
	UnitInvalid TimeUnit = iota
	Nanoseconds
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

var timeUnitNames = [...]string{
	UnitInvalid:  "INVALID",
	Nanoseconds:  "NANOSECONDS",
	Microseconds: "MICROSECONDS",
	Milliseconds: "MILLISECONDS",
	Seconds:      "SECONDS",
	Minutes:      "MINUTES",
	Hours:        "HOURS",
	Days:         "DAYS",
	Weeks:        "WEEKS",
	Months:       "MONTHS",
	Years:        "YEARS",
}

func (u TimeUnit) String() string {
	if int(u) < len(timeUnitNames) {
		return timeUnitNames[u]
	}
	return fmt.Sprintf("TimeUnit(%d)", u)
}

// Duration returns the length of one unit; ok is false for MONTHS and
// YEARS, whose length varies.
func (u TimeUnit) Duration() (d time.Duration, ok bool) {
	switch u {
	case Nanoseconds:
		return time.Nanosecond, true
	case Microseconds:
		return time.Microsecond, true
	case Milliseconds:
		return time.Millisecond, true
	case Seconds:
		return time.Second, true
	case Minutes:
		return time.Minute, true
	case Hours:
		return time.Hour, true
	case Days:
		return 24 * time.Hour, true
	case Weeks:
		return 7 * 24 * time.Hour, true
	}
	return 0, false
}

// javaTimeUnits are the names of java.util.concurrent.TimeUnit, the units a
// granularity, a legacy timeFieldSpec and a retention may use.
var javaTimeUnits = []string{"NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS"}

// ParseTimeUnit parses one of Java's TimeUnit names, matched exactly as
// Java's valueOf does (WEEKS, MONTHS and YEARS are not among them).
func ParseTimeUnit(s string) (TimeUnit, error) {
	for u := Nanoseconds; u <= Days; u++ {
		if timeUnitNames[u] == s {
			return u, nil
		}
	}
	return UnitInvalid, unknownUnit(s, javaTimeUnits)
}

func parseFormatUnit(s string) (TimeUnit, error) {
	for u := Nanoseconds; u <= Years; u++ {
		if timeUnitNames[u] == s {
			return u, nil
		}
	}
	return UnitInvalid, unknownUnit(s, timeUnitNames[Nanoseconds:])
}

func unknownUnit(s string, known []string) error {
	msg := fmt.Sprintf("unknown time unit %q", s)
	if n := strictjson.Nearest(s, known); n != "" {
		msg += fmt.Sprintf("; did you mean %q?", n)
	}
	return fmt.Errorf("%s", msg)
}

// TimeFormat is the kind of a date-time format.
type TimeFormat uint8

const (
	FormatInvalid    TimeFormat = iota
	FormatEpoch                 // a number of Size×Unit since 1970-01-01 UTC
	FormatTimestamp             // epoch milliseconds (TIMESTAMP columns)
	FormatSimpleDate            // text in a Joda-Time pattern
)

var timeFormatNames = [...]string{
	FormatInvalid:    "INVALID",
	FormatEpoch:      "EPOCH",
	FormatTimestamp:  "TIMESTAMP",
	FormatSimpleDate: "SIMPLE_DATE_FORMAT",
}

func (f TimeFormat) String() string {
	if int(f) < len(timeFormatNames) {
		return timeFormatNames[f]
	}
	return fmt.Sprintf("TimeFormat(%d)", f)
}

func parseTimeFormat(s string) (TimeFormat, error) {
	for f := FormatEpoch; f <= FormatSimpleDate; f++ {
		if timeFormatNames[f] == s {
			return f, nil
		}
	}
	msg := fmt.Sprintf("unknown time format %q", s)
	if n := strictjson.Nearest(s, timeFormatNames[FormatEpoch:]); n != "" {
		msg += fmt.Sprintf("; did you mean %q?", n)
	}
	return FormatInvalid, fmt.Errorf("%s", msg)
}

// DateTimeFormat is a parsed date-time field format, in either of Pinot's
// two spellings:
//
//	1:MILLISECONDS:EPOCH                    size:unit:EPOCH
//	1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd      size:unit:SIMPLE_DATE_FORMAT:pattern[ tz(zone)]
//	1:MILLISECONDS:TIMESTAMP
//	EPOCH|MILLISECONDS|1                    EPOCH[|unit[|size]]
//	SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|America/New_York
//	TIMESTAMP
type DateTimeFormat struct {
	Kind TimeFormat
	// Size and Unit give the EPOCH step (5:MINUTES:EPOCH counts 5-minute
	// buckets); other kinds have 1 and Milliseconds.
	Size int
	Unit TimeUnit
	// Pattern is the Joda-Time pattern of a SIMPLE_DATE_FORMAT, "" for
	// Pinot's ISO-8601 default; TimeZone is its zone, "" for UTC.
	Pattern  string
	TimeZone string
}

// ParseDateTimeFormat parses and checks a date-time format the way Pinot's
// DateTimeFormatSpec and schema validation do, plus a check that a
// SIMPLE_DATE_FORMAT's time zone exists (Java silently falls back to GMT).
func ParseDateTimeFormat(s string) (DateTimeFormat, error) {
	f, err := parseDateTimeFormat(s)
	if err != nil {
		return DateTimeFormat{}, fmt.Errorf("invalid date-time format %q: %w", s, err)
	}
	return f, nil
}

func parseDateTimeFormat(s string) (DateTimeFormat, error) {
	if s == "" {
		return DateTimeFormat{}, fmt.Errorf("empty format")
	}
	f := DateTimeFormat{Size: 1, Unit: Milliseconds}
	if s[0] >= '0' && s[0] <= '9' {
		tok := strings.SplitN(s, ":", 4)
		if len(tok) < 3 {
			return f, fmt.Errorf("must be size:timeUnit:timeFormat[:pattern]")
		}
		kind, err := parseTimeFormat(tok[2])
		if err != nil {
			return f, err
		}
		f.Kind = kind
		switch kind {
		case FormatEpoch:
			if f.Size, err = parseSize(tok[0]); err != nil {
				return f, err
			}
			if f.Unit, err = parseFormatUnit(tok[1]); err != nil {
				return f, err
			}
		case FormatSimpleDate:
			if len(tok) == 4 {
				f.Pattern, f.TimeZone = splitPatternZone(tok[3])
			}
		}
	} else {
		tok := strings.SplitN(s, "|", 3)
		kind, err := parseTimeFormat(tok[0])
		if err != nil {
			return f, err
		}
		f.Kind = kind
		switch kind {
		case FormatEpoch:
			if len(tok) > 1 {
				if f.Unit, err = parseFormatUnit(tok[1]); err != nil {
					return f, err
				}
			}
			if len(tok) > 2 {
				if f.Size, err = parseSize(tok[2]); err != nil {
					return f, err
				}
			}
		case FormatSimpleDate:
			if len(tok) > 1 {
				f.Pattern = tok[1]
			}
			if len(tok) > 2 {
				f.TimeZone = tok[2]
			}
		}
	}
	if f.Kind == FormatSimpleDate {
		if err := checkJodaPattern(f.Pattern); err != nil {
			return f, err
		}
		if err := checkPatternOrder(f.Pattern); err != nil {
			return f, err
		}
		if err := checkTimeZone(f.TimeZone); err != nil {
			return f, err
		}
	}
	return f, nil
}

func parseSize(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("size %q is not an integer", s)
	}
	if n <= 0 {
		return 0, fmt.Errorf("size %d must be positive", n)
	}
	return int(n), nil
}

// patternWithZone is Pinot's "pattern tz(zone)" suffix of the colon form.
var patternWithZone = regexp.MustCompile(`^(.+)( tz *\((.+)\)) *`)

func splitPatternZone(s string) (pattern, zone string) {
	if m := patternWithZone.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1]), strings.TrimSpace(m[3])
	}
	return s, ""
}

// checkJodaPattern rejects the letters Joda-Time's DateTimeFormat.forPattern
// rejects; text in single quotes is literal.
func checkJodaPattern(p string) error {
	const letters = "GCYxweEyDMdaKhHkmsSzZ"
	inQuote := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune(letters, rune(c)) {
				return fmt.Errorf("pattern %q: illegal pattern letter %q", p, c)
			}
		}
	}
	return nil
}

// checkPatternOrder is Pinot's rule that a SIMPLE_DATE_FORMAT pattern lists
// y, M, d, H, m, s, S in that order, so that the text sorts as time does.
func checkPatternOrder(p string) error {
	const order = "yMdHmsS"
	var maxIdx [8]int
	for i := range maxIdx {
		maxIdx[i] = -1
	}
	for i := 0; i < len(p); i++ {
		k := strings.IndexByte(order, p[i])
		if k < 0 {
			k = 7
		}
		maxIdx[k] = i
	}
	for i := 0; i < len(maxIdx)-2; i++ {
		if maxIdx[i] > maxIdx[i+1] && maxIdx[i+1] != -1 {
			return fmt.Errorf("pattern %q has to be sorted by both lexicographical and datetime order (y, M, d, H, m, s, S)", p)
		}
		maxIdx[i+1] = max(maxIdx[i+1], maxIdx[i])
	}
	return nil
}

var gmtOffsetZone = regexp.MustCompile(`^(GMT|UTC)[+-]\d{1,2}(:?\d{2})?$`)

func checkTimeZone(z string) error {
	if z == "" || gmtOffsetZone.MatchString(z) {
		return nil
	}
	if _, err := time.LoadLocation(z); err != nil {
		return fmt.Errorf("unknown time zone %q", z)
	}
	return nil
}

// Granularity is a date-time field's granularity: the time step its values
// are bucketed to.
type Granularity struct {
	Size int
	Unit TimeUnit
}

// Duration returns Size×Unit.
func (g Granularity) Duration() time.Duration {
	d, _ := g.Unit.Duration()
	return time.Duration(g.Size) * d
}

// ParseGranularity parses "size:unit" (e.g. "1:MILLISECONDS") or
// "unit[|size]", with one of Java's TimeUnit names.
func ParseGranularity(s string) (Granularity, error) {
	g, err := parseGranularity(s)
	if err != nil {
		return Granularity{}, fmt.Errorf("invalid granularity %q: %w", s, err)
	}
	return g, nil
}

func parseGranularity(s string) (Granularity, error) {
	if s == "" {
		return Granularity{}, fmt.Errorf("empty granularity")
	}
	g := Granularity{Size: 1}
	var sizeTok, unitTok string
	hasSize := false
	if s[0] >= '0' && s[0] <= '9' {
		tok := strings.SplitN(s, ":", 2)
		if len(tok) != 2 {
			return g, fmt.Errorf("must be size:timeUnit or timeUnit[|size]")
		}
		sizeTok, unitTok, hasSize = tok[0], tok[1], true
	} else {
		tok := strings.SplitN(s, "|", 2)
		unitTok = tok[0]
		if len(tok) == 2 {
			sizeTok, hasSize = tok[1], true
		}
	}
	var err error
	if g.Unit, err = ParseTimeUnit(unitTok); err != nil {
		return g, err
	}
	if hasSize {
		if g.Size, err = parseSize(sizeTok); err != nil {
			return g, err
		}
	}
	return g, nil
}
