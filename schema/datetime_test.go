package schema

import (
	"testing"
	"time"
)

func TestParseDateTimeFormat(t *testing.T) {
	valid := []struct {
		in   string
		want DateTimeFormat
	}{
		{"1:MILLISECONDS:EPOCH", DateTimeFormat{Kind: FormatEpoch, Size: 1, Unit: Milliseconds}},
		{"5:MINUTES:EPOCH", DateTimeFormat{Kind: FormatEpoch, Size: 5, Unit: Minutes}},
		{"1:WEEKS:EPOCH", DateTimeFormat{Kind: FormatEpoch, Size: 1, Unit: Weeks}},
		{"1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyyMMdd"}},
		{"1:HOURS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm:ss", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyy-MM-dd HH:mm:ss"}},
		{"1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd tz(America/New_York)", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyy-MM-dd", TimeZone: "America/New_York"}},
		{"1:SECONDS:SIMPLE_DATE_FORMAT:yyyy-MM-dd'T'HH:mm:ss'Z'", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyy-MM-dd'T'HH:mm:ss'Z'"}},
		{"1:DAYS:SIMPLE_DATE_FORMAT", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds}},
		{"1:MILLISECONDS:TIMESTAMP", DateTimeFormat{Kind: FormatTimestamp, Size: 1, Unit: Milliseconds}},
		{"EPOCH", DateTimeFormat{Kind: FormatEpoch, Size: 1, Unit: Milliseconds}},
		{"EPOCH|SECONDS", DateTimeFormat{Kind: FormatEpoch, Size: 1, Unit: Seconds}},
		{"EPOCH|MILLISECONDS|1", DateTimeFormat{Kind: FormatEpoch, Size: 1, Unit: Milliseconds}},
		{"EPOCH|MINUTES|15", DateTimeFormat{Kind: FormatEpoch, Size: 15, Unit: Minutes}},
		{"SIMPLE_DATE_FORMAT|yyyy-MM-dd", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyy-MM-dd"}},
		{"SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|America/New_York", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyy-MM-dd HH:mm:ss", TimeZone: "America/New_York"}},
		{"SIMPLE_DATE_FORMAT|yyyyMMdd|GMT+08:00", DateTimeFormat{Kind: FormatSimpleDate, Size: 1, Unit: Milliseconds, Pattern: "yyyyMMdd", TimeZone: "GMT+08:00"}},
		{"TIMESTAMP", DateTimeFormat{Kind: FormatTimestamp, Size: 1, Unit: Milliseconds}},
	}
	for _, tt := range valid {
		got, err := ParseDateTimeFormat(tt.in)
		if err != nil {
			t.Errorf("ParseDateTimeFormat(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDateTimeFormat(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	invalid := []struct{ in, want string }{
		{"", `invalid date-time format "": empty format`},
		{"1:MILLISECONDS", `invalid date-time format "1:MILLISECONDS": must be size:timeUnit:timeFormat[:pattern]`},
		{"0:MILLISECONDS:EPOCH", `invalid date-time format "0:MILLISECONDS:EPOCH": size 0 must be positive`},
		{"1x:MILLISECONDS:EPOCH", `invalid date-time format "1x:MILLISECONDS:EPOCH": size "1x" is not an integer`},
		{"1:millis:EPOCH", `invalid date-time format "1:millis:EPOCH": unknown time unit "millis"; did you mean "MILLISECONDS"?`},
		{"1:eons:EPOCH", `invalid date-time format "1:eons:EPOCH": unknown time unit "eons"`},
		{"1:DAYS:epoch", `invalid date-time format "1:DAYS:epoch": unknown time format "epoch"; did you mean "EPOCH"?`},
		{"EPOCH|DAY", `invalid date-time format "EPOCH|DAY": unknown time unit "DAY"; did you mean "DAYS"?`},
		{"EPOCH|DAYS|-1", `invalid date-time format "EPOCH|DAYS|-1": size -1 must be positive`},
		{"SIMPLE_DATE_FORMAT|yyyy-MM-dd|Mars/Olympus", `invalid date-time format "SIMPLE_DATE_FORMAT|yyyy-MM-dd|Mars/Olympus": unknown time zone "Mars/Olympus"`},
		{"SIMPLE_DATE_FORMAT|yyyy-MM-dd bb", `invalid date-time format "SIMPLE_DATE_FORMAT|yyyy-MM-dd bb": pattern "yyyy-MM-dd bb": illegal pattern letter 'b'`},
		{"1:DAYS:SIMPLE_DATE_FORMAT:MM/dd/yyyy", `invalid date-time format "1:DAYS:SIMPLE_DATE_FORMAT:MM/dd/yyyy": pattern "MM/dd/yyyy" has to be sorted by both lexicographical and datetime order (y, M, d, H, m, s, S)`},
		{"ISO8601", `invalid date-time format "ISO8601": unknown time format "ISO8601"`},
	}
	for _, tt := range invalid {
		_, err := ParseDateTimeFormat(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseDateTimeFormat(%q) error\n got: %v\nwant: %s", tt.in, err, tt.want)
		}
	}
}

func TestParseGranularity(t *testing.T) {
	valid := []struct {
		in   string
		want Granularity
		dur  time.Duration
	}{
		{"1:MILLISECONDS", Granularity{1, Milliseconds}, time.Millisecond},
		{"15:MINUTES", Granularity{15, Minutes}, 15 * time.Minute},
		{"DAYS", Granularity{1, Days}, 24 * time.Hour},
		{"HOURS|2", Granularity{2, Hours}, 2 * time.Hour},
		{"1:NANOSECONDS", Granularity{1, Nanoseconds}, time.Nanosecond},
	}
	for _, tt := range valid {
		got, err := ParseGranularity(tt.in)
		if err != nil || got != tt.want || got.Duration() != tt.dur {
			t.Errorf("ParseGranularity(%q) = %+v (%v), %v; want %+v (%v)", tt.in, got, got.Duration(), err, tt.want, tt.dur)
		}
	}
	invalid := []struct{ in, want string }{
		{"", `invalid granularity "": empty granularity`},
		{"1", `invalid granularity "1": must be size:timeUnit or timeUnit[|size]`},
		{"1:DAYS:X", `invalid granularity "1:DAYS:X": unknown time unit "DAYS:X"; did you mean "DAYS"?`},
		{"0:DAYS", `invalid granularity "0:DAYS": size 0 must be positive`},
		{"DAYS|", `invalid granularity "DAYS|": size "" is not an integer`},
		{"1:MONTHS", `invalid granularity "1:MONTHS": unknown time unit "MONTHS"`},
		{"1:days", `invalid granularity "1:days": unknown time unit "days"; did you mean "DAYS"?`},
	}
	for _, tt := range invalid {
		_, err := ParseGranularity(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseGranularity(%q) error\n got: %v\nwant: %s", tt.in, err, tt.want)
		}
	}
}

func TestTimeUnit(t *testing.T) {
	for u := Nanoseconds; u <= Years; u++ {
		d, ok := u.Duration()
		if ok != (u != Months && u != Years) {
			t.Errorf("%v: Duration ok = %v", u, ok)
		}
		if ok && d <= 0 {
			t.Errorf("%v: Duration %v", u, d)
		}
	}
	if _, err := ParseTimeUnit("WEEKS"); err == nil {
		t.Error("WEEKS is not a Java TimeUnit")
	}
	if u, err := ParseTimeUnit("HOURS"); err != nil || u != Hours || u.String() != "HOURS" {
		t.Errorf("HOURS: %v %v", u, err)
	}
	if TimeUnit(99).String() != "TimeUnit(99)" || TimeFormat(9).String() != "TimeFormat(9)" {
		t.Error("String of out-of-range values")
	}
}
