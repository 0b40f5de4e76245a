package fn

import (
	"math"
	"strings"
	"testing"
)

func TestDateTimeConvert(t *testing.T) {
	const v = int64(1498892400000) // 2017-07-01 07:00:00 UTC
	bucket := ms("2024-09-20 00:13:27.834")
	runCases(t, []fcase{
		{name: "hours", fn: "datetimeconvert", args: []in{col(tLong, v, nil), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:HOURS")}, typ: tLong, want: []any{416359, nil}},
		{name: "5 minutes", fn: "dateTimeConvert", args: []in{col(tLong, v), slit("1:MILLISECONDS:EPOCH"), slit("5:MINUTES:EPOCH"), slit("5:MINUTES")}, typ: tLong, want: []any{4996308}},
		{name: "to sdf", fn: "datetimeconvert", args: []in{col(tLong, v), slit("1:MILLISECONDS:EPOCH"), slit("1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd"), slit("1:DAYS")}, typ: tStr, want: []any{"20170701"}},
		{name: "to timestamp", fn: "datetimeconvert", args: []in{col(tLong, v+1234), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:TIMESTAMP"), slit("1:SECONDS")}, typ: tTS, want: []any{v + 1000}},
		{name: "timestamp in", fn: "datetimeconvert", args: []in{col(tTS, v), slit("TIMESTAMP"), slit("EPOCH|DAYS"), slit("DAYS")}, typ: tLong, want: []any{v / msPerDay}},
		{name: "sdf string in", fn: "datetimeconvert", args: []in{col(tStr, "20170701", nil), slit("1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd"), slit("1:MILLISECONDS:EPOCH"), slit("1:DAYS")}, typ: tLong, want: []any{ms("2017-07-01"), nil}},
		{name: "sdf long in", fn: "datetimeconvert", args: []in{col(tLong, 20170701), slit("1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd"), slit("1:SECONDS:EPOCH"), slit("1:DAYS")}, typ: tLong, want: []any{ms("2017-07-01") / 1000}},
		{name: "sdf to sdf", fn: "datetimeconvert", args: []in{col(tStr, "2017-07-01 13:47:12"), slit("SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss"), slit("SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm"), slit("15:MINUTES")}, typ: tStr, want: []any{"2017-07-01 13:45"}},
		{name: "epoch seconds pipe", fn: "datetimeconvert", args: []in{col(tLong, v/1000), slit("EPOCH|SECONDS|1"), slit("SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|America/New_York"), slit("HOURS")}, typ: tStr, want: []any{"2017-07-01 03:00:00"}},
		{name: "sdf tz pattern", fn: "datetimeconvert", args: []in{col(tLong, v+30*msPerMinute), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm tz(America/Los_Angeles)"), slit("1:HOURS")}, typ: tStr, want: []any{"2017-07-01 00:00"}},
		{name: "sdf input tz", fn: "datetimeconvert", args: []in{col(tStr, "2017-07-01 00:00"), slit("1:MINUTES:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm tz(America/Los_Angeles)"), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS")}, typ: tLong, want: []any{v}},
		{name: "5 hours epoch", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:EPOCH"), slit("5:HOURS")}, typ: tLong, want: []any{ms("2024-09-19 20:00:00")}},
		{name: "5 hours utc", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:EPOCH"), slit("5:HOURS"), slit("UTC")}, typ: tLong, want: []any{ms("2024-09-20 00:00:00")}},
		{name: "5 days epoch", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:EPOCH"), slit("5:DAYS")}, typ: tLong, want: []any{ms("2024-09-19")}},
		{name: "5 days utc", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:EPOCH"), slit("5:DAYS"), slit("UTC")}, typ: tLong, want: []any{ms("2024-09-16")}},
		{name: "day bucket tz", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS:EPOCH"), slit("1:DAYS"), slit("America/Los_Angeles")}, typ: tLong, want: []any{ms("2024-09-19 07:00:00")}},
		{name: "day bucket tz to hours", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:DAYS"), slit("America/Los_Angeles")}, typ: tLong, want: []any{ms("2024-09-19 07:00:00") / msPerHour}},
		{name: "weeks", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:WEEKS:EPOCH"), slit("1:MILLISECONDS")}, typ: tLong, want: []any{bucket / (7 * msPerDay)}},
		{name: "months", fn: "datetimeconvert", args: []in{col(tLong, bucket, ms("1969-12-15"), ms("1969-12-01")), slit("1:MILLISECONDS:EPOCH"), slit("1:MONTHS:EPOCH"), slit("1:MILLISECONDS")}, typ: tLong, want: []any{(2024-1970)*12 + 8, 0, -1}},
		{name: "years", fn: "datetimeconvert", args: []in{col(tLong, bucket), slit("1:MILLISECONDS:EPOCH"), slit("1:YEARS:EPOCH"), slit("1:MILLISECONDS")}, typ: tLong, want: []any{54}},
		{name: "negative truncates toward zero", fn: "datetimeconvert", args: []in{col(tLong, -1), slit("1:MILLISECONDS:EPOCH"), slit("1:DAYS:EPOCH"), slit("1:DAYS")}, typ: tLong, want: []any{0}},
		{name: "epoch string in", fn: "datetimeconvert", args: []in{col(tStr, "1498892400000", "1.4988924E12"), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:HOURS")}, typ: tLong, want: []any{416359, 416359}},
		{name: "epoch string bad", fn: "datetimeconvert", args: []in{col(tStr, "soon"), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:HOURS")}, err: `parse "soon" as 1:MILLISECONDS:EPOCH: not a number`},
		{name: "sdf bad value", fn: "datetimeconvert", args: []in{col(tStr, "2017-99-01"), slit("1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd"), slit("1:DAYS:EPOCH"), slit("1:DAYS")}, err: "month 99 out of range"},
		{name: "iso default pattern", fn: "datetimeconvert", args: []in{col(tStr, "2017-07-01T07:00:00Z", "2017-07-01"), slit("1:MILLISECONDS:SIMPLE_DATE_FORMAT"), slit("1:MILLISECONDS:EPOCH"), slit("1:MILLISECONDS")}, typ: tLong, want: []any{v, ms("2017-07-01")}},
		{name: "bad granularity", fn: "datetimeconvert", args: []in{col(tLong, v), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:WEEKS")}, err: `invalid granularity "1:WEEKS"`},
		{name: "bad arg type", fn: "datetimeconvert", args: []in{col(tDouble, 1.0), slit("1:MILLISECONDS:EPOCH"), slit("1:HOURS:EPOCH"), slit("1:HOURS")}, err: "argument 1 must be a LONG, TIMESTAMP or STRING"},
	})
}

func TestParseTimeFormat(t *testing.T) {
	good := []struct {
		spec          string
		kind          TimeFormatKind
		unit          TimeUnit
		size          int64
		pattern, zone string
	}{
		{"1:MILLISECONDS:EPOCH", FormatEpoch, Milliseconds, 1, "", "UTC"},
		{"5:MINUTES:EPOCH", FormatEpoch, Minutes, 5, "", "UTC"},
		{"1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd", FormatSimpleDate, Milliseconds, 1, "yyyy-MM-dd", "UTC"},
		{"1:HOURS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm:ss", FormatSimpleDate, Milliseconds, 1, "yyyy-MM-dd HH:mm:ss", "UTC"},
		{"1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd tz(America/Chicago)", FormatSimpleDate, Milliseconds, 1, "yyyyMMdd", "America/Chicago"},
		{"1:MILLISECONDS:TIMESTAMP", FormatTimestamp, Milliseconds, 1, "", "UTC"},
		{"EPOCH", FormatEpoch, Milliseconds, 1, "", "UTC"},
		{"EPOCH|SECONDS", FormatEpoch, Seconds, 1, "", "UTC"},
		{"EPOCH|MINUTES|15", FormatEpoch, Minutes, 15, "", "UTC"},
		{"TIMESTAMP", FormatTimestamp, Milliseconds, 1, "", "UTC"},
		{"SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss|America/New_York", FormatSimpleDate, Milliseconds, 1, "yyyy-MM-dd HH:mm:ss", "America/New_York"},
		{"SIMPLE_DATE_FORMAT", FormatSimpleDate, Milliseconds, 1, "", "UTC"},
	}
	for _, g := range good {
		f, err := ParseTimeFormat(g.spec)
		if err != nil {
			t.Errorf("ParseTimeFormat(%q): %v", g.spec, err)
			continue
		}
		if f.Kind() != g.kind || f.Unit() != g.unit || f.Size() != g.size || f.Pattern() != g.pattern || f.zone.id != g.zone || f.String() != g.spec {
			t.Errorf("ParseTimeFormat(%q) = %s %s %d %q %q", g.spec, f.Kind(), f.Unit(), f.Size(), f.Pattern(), f.zone.id)
		}
	}
	bad := map[string]string{
		"":                                     "empty",
		"1:FOO:EPOCH":                          `invalid format "1:FOO:EPOCH": unknown time unit "FOO"`,
		"1:HOURS":                              "must be 'size:timeUnit:timeFormat[:pattern]'",
		"0:HOURS:EPOCH":                        `size "0" must be a positive integer`,
		"1:HOURS:JULIAN":                       `unknown time format "JULIAN"`,
		"EPOCH|HOURS|x":                        `size "x"`,
		"1:DAYS:SIMPLE_DATE_FORMAT:yyyy-qq":    `illegal pattern component "qq"`,
		"SIMPLE_DATE_FORMAT|yyyy|Nowhere/Land": `unknown time zone "Nowhere/Land"`,
		"1:DAYS:SIMPLE_DATE_FORMAT:'yyyy":      "unterminated quote",
		"JULIAN|DAYS":                          "unknown time format",
	}
	for spec, want := range bad {
		_, err := ParseTimeFormat(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTimeFormat(%q): %v, want %q", spec, err, want)
		}
	}
}

func TestTimeFormatConversions(t *testing.T) {
	const v = int64(1498892400000)
	mustFormat := func(s string) *TimeFormat {
		f, err := ParseTimeFormat(s)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	hours := mustFormat("1:HOURS:EPOCH")
	if got := hours.FromMillis(v); got != 416359 {
		t.Errorf("FromMillis hours = %d", got)
	}
	if got := hours.FormatMillis(v); got != "416359" {
		t.Errorf("FormatMillis hours = %q", got)
	}
	if got := hours.ToMillisInt(416359); got != v {
		t.Errorf("ToMillisInt hours = %d", got)
	}
	if got, err := hours.ToMillis("416359"); err != nil || got != v {
		t.Errorf("ToMillis hours = %d %v", got, err)
	}
	five := mustFormat("5:MINUTES:EPOCH")
	if got := five.FromMillis(v); got != 4996308 {
		t.Errorf("FromMillis 5 minutes = %d", got)
	}
	if got := five.ToMillisInt(4996308); got != v {
		t.Errorf("ToMillisInt 5 minutes = %d", got)
	}
	ts := mustFormat("1:MILLISECONDS:TIMESTAMP")
	if got := ts.FormatMillis(v); got != "2017-07-01 07:00:00.0" {
		t.Errorf("FormatMillis timestamp = %q", got)
	}
	if got, err := ts.ToMillis("2017-07-01 07:00:00"); err != nil || got != v {
		t.Errorf("ToMillis timestamp = %d %v", got, err)
	}
	if got, err := ts.ToMillis("1498892400000"); err != nil || got != v {
		t.Errorf("ToMillis timestamp millis = %d %v", got, err)
	}
	if got := ts.ToMillisInt(v); got != v {
		t.Errorf("ToMillisInt timestamp = %d", got)
	}
	day := mustFormat("1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd")
	if got := day.FormatMillis(v); got != "20170701" {
		t.Errorf("FormatMillis sdf = %q", got)
	}
	if got := day.ToMillisInt(20170701); got != ms("2017-07-01") {
		t.Errorf("ToMillisInt sdf = %d", got)
	}
	if got := day.ToMillisInt(20171341); got != math.MinInt64 {
		t.Errorf("ToMillisInt bad sdf = %d", got)
	}
	if _, err := day.ToMillis("2017-07-01"); err == nil {
		t.Error("ToMillis accepted a value not in the pattern")
	}
	chicago := mustFormat("1:HOURS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH tz(America/Chicago)")
	if got := chicago.FormatMillis(v); got != "2017-07-01 02" {
		t.Errorf("FormatMillis chicago = %q", got)
	}
	if got, err := chicago.ToMillis("2017-07-01 02"); err != nil || got != v {
		t.Errorf("ToMillis chicago = %d %v", got, err)
	}
	iso := mustFormat("SIMPLE_DATE_FORMAT")
	if got := iso.FormatMillis(v); got != "2017-07-01T07:00:00Z" {
		t.Errorf("FormatMillis iso = %q", got)
	}
	isoNY := mustFormat("SIMPLE_DATE_FORMAT||America/New_York")
	if got := isoNY.FormatMillis(v); got != "2017-07-01T03:00:00-04:00" {
		t.Errorf("FormatMillis iso NY = %q", got)
	}
	micros := mustFormat("1:MICROSECONDS:EPOCH")
	if got := micros.FromMillis(5); got != 5000 {
		t.Errorf("micros FromMillis = %d", got)
	}
	if got := micros.ToMillisInt(5999); got != 5 {
		t.Errorf("micros ToMillisInt = %d", got)
	}
	secs := mustFormat("1:SECONDS:EPOCH")
	if got := secs.ToMillisInt(math.MaxInt64 / 10); got != math.MaxInt64 {
		t.Errorf("saturating ToMillisInt = %d", got)
	}
	if got, err := secs.ToMillis("1.5e3"); err != nil || got != 1500000 {
		t.Errorf("ToMillis decimal = %d %v", got, err)
	}
}

func TestParseGranularity(t *testing.T) {
	for spec, want := range map[string]int64{
		"1:MILLISECONDS": 1, "15:MINUTES": 15 * msPerMinute, "HOURS": msPerHour, "HOURS|2": 2 * msPerHour, "1:DAYS": msPerDay,
	} {
		g, err := ParseGranularity(spec)
		if err != nil || g.Millis() != want {
			t.Errorf("ParseGranularity(%q) = %v %v, want %d ms", spec, g, err, want)
		}
	}
	for _, spec := range []string{"", "1", "0:HOURS", "1:FORTNIGHTS", "HOURS|-1", "1:MONTHS"} {
		if _, err := ParseGranularity(spec); err == nil {
			t.Errorf("ParseGranularity(%q) succeeded", spec)
		}
	}
}
