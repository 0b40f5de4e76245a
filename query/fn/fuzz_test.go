package fn

import (
	"testing"
)

// FuzzParseTimestamp checks that the timestamp parser never panics and
// that what it accepts prints back to a value it parses identically.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2024-01-02", "2024-01-02 03:04:05.120", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5+02:00",
		"1704164645000", "-2024-01-01", "2024-1-2 3:4", "", "9999999999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseTimestamp(s)
		if !ok {
			return
		}
		if v < -1e17 || v > 1e17 {
			return // beyond years ±3M the text form is not meant to round-trip
		}
		back := string(appendTimestamp(nil, v))
		w, ok := parseTimestamp(back)
		if !ok || w != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, back, w, ok)
		}
	})
}

// FuzzPatternParse checks that pattern compilation and parsing never panic
// and that parsed values print back to text that parses to the same value.
func FuzzPatternParse(f *testing.F) {
	f.Add("yyyy-MM-dd HH:mm:ss", "2024-01-02 03:04:05")
	f.Add("yyyyMMdd", "20240102")
	f.Add("dd MMM yyyy hh:mm a Z", "02 Jan 2024 03:04 PM +0100")
	f.Add("EEE, d MMM yy HH:mm:ss.SSS ZZ", "Tue, 2 Jan 24 03:04:05.120 -05:00")
	f.Add("'week' xxxx-ww-e", "week 2024-01-2")
	f.Add("yyyy-DDD", "2024-366")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		p, err := compilePatternDT(pattern, fixedNow)
		if err != nil {
			return
		}
		zc := newCursor(utcZone)
		v, err := p.parse(s, utcZone, &zc)
		if err != nil {
			return
		}
		// Round trips need years of 1..4 digits and year fields that may
		// hold them (a one-letter year next to a number takes one digit, as
		// in Joda).
		if v < ms("0001-01-01") || v > ms("9999-12-31") {
			return
		}
		for _, tk := range p.toks {
			if (tk.kind == dtYear || tk.kind == dtWeekYear) && tk.count != 2 && tk.max < 4 {
				return
			}
		}
		out := string(p.appendFormat(nil, v, utcZone, &zc))
		if _, err := p.parse(out, utcZone, &zc); err != nil {
			// Printing can lose information a parse accepted (a two-digit
			// year, a 12-hour clock without AM/PM, text fields); it must
			// still produce text the pattern accepts.
			t.Fatalf("pattern %q: %q -> %d -> %q does not parse: %v", pattern, s, v, out, err)
		}
	})
}
