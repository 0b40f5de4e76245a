package fn

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

func TestDateParts(t *testing.T) {
	// 2024-01-07 is a Sunday; 2021-01-01 is in ISO week 53 of 2020;
	// 2024-12-31 is day 366 of a leap year.
	sunday := ms("2024-01-07 10:20:30.456")
	jan1 := ms("2021-01-01")
	dec31 := ms("2024-12-31 23:59:59.999")
	neg := ms("1969-12-31 23:59:59.999")
	ts := func() in { return col(tTS, sunday, jan1, dec31, neg, nil) }
	runCases(t, []fcase{
		{fn: "year", args: []in{ts()}, typ: tInt, want: []any{2024, 2021, 2024, 1969, nil}},
		{fn: "yearOfWeek", args: []in{ts()}, typ: tInt, want: []any{2024, 2020, 2025, 1970, nil}},
		{fn: "quarter", args: []in{ts()}, typ: tInt, want: []any{1, 1, 4, 4, nil}},
		{fn: "month", args: []in{ts()}, typ: tInt, want: []any{1, 1, 12, 12, nil}},
		{fn: "week", args: []in{ts()}, typ: tInt, want: []any{1, 53, 1, 1, nil}},
		{fn: "weekOfYear", args: []in{col(tLong, ms("2024-01-01"))}, typ: tInt, want: []any{1}},
		{fn: "dayOfYear", args: []in{ts()}, typ: tInt, want: []any{7, 1, 366, 365, nil}},
		{fn: "dayOfMonth", args: []in{ts()}, typ: tInt, want: []any{7, 1, 31, 31, nil}},
		{fn: "day", args: []in{col(tLong, ms("2024-02-29"))}, typ: tInt, want: []any{29}},
		{fn: "dayOfWeek", args: []in{ts()}, typ: tInt, want: []any{7, 5, 2, 3, nil}},
		{fn: "dow", args: []in{col(tLong, ms("2024-01-08"))}, typ: tInt, want: []any{1}},
		{fn: "hour", args: []in{ts()}, typ: tInt, want: []any{10, 0, 23, 23, nil}},
		{fn: "minute", args: []in{ts()}, typ: tInt, want: []any{20, 0, 59, 59, nil}},
		{fn: "second", args: []in{ts()}, typ: tInt, want: []any{30, 0, 59, 59, nil}},
		{fn: "millisecond", args: []in{ts()}, typ: tInt, want: []any{456, 0, 999, 999, nil}},
		// time zones: 2024-01-07 10:20 UTC is 2024-01-07 02:20 in Los Angeles, 15:50 in Kolkata
		{name: "hour tz", fn: "hour", args: []in{col(tTS, sunday, sunday), slit("America/Los_Angeles")}, typ: tInt, want: []any{2, 2}},
		{name: "hour short id", fn: "hour", args: []in{col(tTS, sunday), slit("IST")}, typ: tInt, want: []any{15}},
		{name: "minute offset", fn: "minute", args: []in{col(tTS, sunday), slit("+05:30")}, typ: tInt, want: []any{50}},
		{name: "year tz", fn: "year", args: []in{col(tTS, ms("2024-01-01 03:00:00")), slit("America/New_York")}, typ: tInt, want: []any{2023}},
		{name: "dow tz", fn: "dayOfWeek", args: []in{col(tTS, ms("2024-01-08 03:00:00")), slit("America/New_York")}, typ: tInt, want: []any{7}},
	})
}

func TestExtract(t *testing.T) {
	sunday := ms("2024-01-07 10:20:30.500")
	runCases(t, []fcase{
		{name: "dow sunday0", fn: "extract", args: []in{slit("DOW"), col(tTS, sunday, ms("2024-01-08"), nil)}, typ: tInt, want: []any{0, 1, nil}},
		{name: "isodow", fn: "extract", args: []in{slit("isodow"), col(tTS, sunday)}, typ: tInt, want: []any{7}},
		{name: "year", fn: "extract", args: []in{slit("YEAR"), col(tTS, sunday)}, typ: tInt, want: []any{2024}},
		{name: "quarter", fn: "extract", args: []in{slit("QUARTER"), col(tTS, ms("2024-12-31"))}, typ: tInt, want: []any{4}},
		{name: "month", fn: "extract", args: []in{slit("MONTH"), col(tTS, sunday)}, typ: tInt, want: []any{1}},
		{name: "week", fn: "extract", args: []in{slit("WEEK"), col(tTS, ms("2021-01-01"))}, typ: tInt, want: []any{53}},
		{name: "day", fn: "extract", args: []in{slit("DAY"), col(tTS, sunday)}, typ: tInt, want: []any{7}},
		{name: "doy", fn: "extract", args: []in{slit("DOY"), col(tTS, ms("2024-12-31"))}, typ: tInt, want: []any{366}},
		{name: "hour", fn: "extract", args: []in{slit("HOUR"), col(tTS, sunday)}, typ: tInt, want: []any{10}},
		{name: "minute", fn: "extract", args: []in{slit("MINUTE"), col(tTS, sunday)}, typ: tInt, want: []any{20}},
		{name: "second", fn: "extract", args: []in{slit("SECOND"), col(tTS, sunday)}, typ: tInt, want: []any{30}},
		{name: "epoch", fn: "extract", args: []in{slit("EPOCH"), col(tTS, sunday, int64(-1500))}, typ: tDouble, want: []any{1704622830.5, -1.5}},
		{name: "long input", fn: "extract", args: []in{slit("YEAR"), col(tLong, int64(0))}, typ: tInt, want: []any{1970}},
	})
}

func TestDateTrunc(t *testing.T) {
	v := ms("2024-05-15 13:45:30.123") // a Wednesday
	runCases(t, []fcase{
		{name: "ms", fn: "datetrunc", args: []in{slit("millisecond"), col(tTS, v)}, typ: tTS, want: []any{v}},
		{name: "second", fn: "datetrunc", args: []in{slit("second"), col(tTS, v)}, typ: tTS, want: []any{ms("2024-05-15 13:45:30")}},
		{name: "minute", fn: "dateTrunc", args: []in{slit("MINUTE"), col(tTS, v)}, typ: tTS, want: []any{ms("2024-05-15 13:45:00")}},
		{name: "hour", fn: "date_trunc", args: []in{slit("hour"), col(tTS, v)}, typ: tTS, want: []any{ms("2024-05-15 13:00:00")}},
		{name: "day long", fn: "datetrunc", args: []in{slit("day"), col(tLong, v, nil)}, typ: tLong, want: []any{ms("2024-05-15"), nil}},
		{name: "week", fn: "datetrunc", args: []in{slit("week"), col(tTS, v, ms("2024-01-07 10:00:00"))}, typ: tTS, want: []any{ms("2024-05-13"), ms("2024-01-01")}},
		{name: "month", fn: "datetrunc", args: []in{slit("month"), col(tTS, v)}, typ: tTS, want: []any{ms("2024-05-01")}},
		{name: "quarter", fn: "datetrunc", args: []in{slit("quarter"), col(tTS, v, ms("1969-12-31 10:00:00"))}, typ: tTS, want: []any{ms("2024-04-01"), ms("1969-10-01")}},
		{name: "year", fn: "datetrunc", args: []in{slit("year"), col(tTS, v)}, typ: tTS, want: []any{ms("2024-01-01")}},
		{name: "negative epoch", fn: "datetrunc", args: []in{slit("second"), col(tLong, -1, -1000, -1001)}, typ: tLong, want: []any{-1000, -1000, -2000}},
		{name: "input seconds", fn: "datetrunc", args: []in{slit("hour"), col(tLong, v/1000), slit("SECONDS")}, typ: tLong, want: []any{ms("2024-05-15 13:00:00") / 1000}},
		{name: "output days", fn: "datetrunc", args: []in{slit("day"), col(tLong, v), slit("MILLISECONDS"), slit("UTC"), slit("DAYS")}, typ: tLong, want: []any{ms("2024-05-15") / msPerDay}},
		// in Los Angeles (UTC-7 in May), 13:45Z is 06:45 local: the local day starts at 07:00Z
		{name: "day tz", fn: "datetrunc", args: []in{slit("day"), col(tTS, v), slit("MILLISECONDS"), slit("America/Los_Angeles")}, typ: tTS, want: []any{ms("2024-05-15 07:00:00")}},
		{name: "day tz before", fn: "datetrunc", args: []in{slit("day"), col(tTS, ms("2024-05-15 03:00:00")), slit("MILLISECONDS"), slit("America/Los_Angeles")}, typ: tTS, want: []any{ms("2024-05-14 07:00:00")}},
		{name: "hour half-hour zone", fn: "datetrunc", args: []in{slit("hour"), col(tTS, v), slit("MILLISECONDS"), slit("Asia/Kolkata")}, typ: tTS, want: []any{ms("2024-05-15 13:30:00")}},
		// DST: 2024-03-10 in Los Angeles is 23 hours long; its midnight is 08:00Z
		{name: "day across spring forward", fn: "datetrunc", args: []in{slit("day"), col(tTS, ms("2024-03-10 20:00:00")), slit("MILLISECONDS"), slit("America/Los_Angeles")}, typ: tTS, want: []any{ms("2024-03-10 08:00:00")}},
		{name: "month tz", fn: "datetrunc", args: []in{slit("month"), col(tTS, ms("2024-11-15 12:00:00")), slit("MILLISECONDS"), slit("America/Los_Angeles")}, typ: tTS, want: []any{ms("2024-11-01 07:00:00")}},
		{name: "bad input unit", fn: "datetrunc", args: []in{slit("day"), col(tLong, 0), slit("WEEKS")}, err: `unknown input time unit "WEEKS"`},
	})
}

func TestDateTruncAgainstTimePackage(t *testing.T) {
	// Naive reference: time.Date at the local fields of the unit.
	r := rand.New(rand.NewPCG(1, 2))
	for _, zoneID := range []string{"UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(zoneID)
		if err != nil {
			t.Fatal(err)
		}
		for _, unit := range []string{"second", "minute", "hour", "day", "week", "month", "quarter", "year"} {
			n := 500
			vals := make([]any, n)
			want := make([]any, n)
			for i := range vals {
				v := r.Int64N(4_000_000_000_000) - 1_000_000_000_000
				vals[i] = v
				tm := time.UnixMilli(v).In(loc)
				var w time.Time
				switch unit {
				case "second":
					w = tm.Truncate(time.Second)
				case "minute":
					w = time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), 0, 0, loc)
				case "hour":
					w = time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), 0, 0, 0, loc)
				case "day":
					w = time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, loc)
				case "week":
					wd := (int(tm.Weekday()) + 6) % 7
					w = time.Date(tm.Year(), tm.Month(), tm.Day()-wd, 0, 0, 0, 0, loc)
				case "month":
					w = time.Date(tm.Year(), tm.Month(), 1, 0, 0, 0, 0, loc)
				case "quarter":
					w = time.Date(tm.Year(), (tm.Month()-1)/3*3+1, 1, 0, 0, 0, 0, loc)
				case "year":
					w = time.Date(tm.Year(), 1, 1, 0, 0, 0, 0, loc)
				}
				want[i] = w.UnixMilli()
			}
			out, err := eval("datetrunc", slit(unit), col(tLong, vals...), slit("MILLISECONDS"), slit(zoneID))
			if err != nil {
				t.Fatal(err)
			}
			for i := range vals {
				if got := out.I64[i]; got != want[i].(int64) {
					// Go's time.Date may pick the other side of an overlap
					// or gap; Joda's rule is checked by TestZoneCursorUTC.
					lt := time.UnixMilli(want[i].(int64)).In(loc)
					gt := time.UnixMilli(got).In(loc)
					if lt.Format("2006-01-02 15:04:05") != gt.Format("2006-01-02 15:04:05") && !nearTransition(loc, got) {
						t.Errorf("%s %s %d: got %s, want %s", zoneID, unit, vals[i], gt, lt)
					}
				}
			}
		}
	}
}

func nearTransition(loc *time.Location, ms int64) bool {
	tm := time.UnixMilli(ms).In(loc)
	start, end := tm.ZoneBounds()
	return tm.Sub(start) < 3*time.Hour || end.Sub(tm) < 3*time.Hour
}

func TestDatePartsAgainstTimePackage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 2000
	vals := make([]any, n)
	for i := range vals {
		vals[i] = r.Int64N(8_000_000_000_000) - 4_000_000_000_000
	}
	for _, zoneID := range []string{"UTC", "Europe/Berlin", "America/Sao_Paulo"} {
		loc, _ := time.LoadLocation(zoneID)
		check := func(fn string, f func(tm time.Time) int64) {
			out, err := eval(fn, col(tTS, vals...), slit(zoneID))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				tm := time.UnixMilli(v.(int64)).In(loc)
				if got, want := out.I64[i], f(tm); got != want {
					t.Fatalf("%s(%s, %s) = %d, want %d", fn, tm, zoneID, got, want)
				}
			}
		}
		check("year", func(tm time.Time) int64 { return int64(tm.Year()) })
		check("month", func(tm time.Time) int64 { return int64(tm.Month()) })
		check("day", func(tm time.Time) int64 { return int64(tm.Day()) })
		check("dayOfYear", func(tm time.Time) int64 { return int64(tm.YearDay()) })
		check("hour", func(tm time.Time) int64 { return int64(tm.Hour()) })
		check("minute", func(tm time.Time) int64 { return int64(tm.Minute()) })
		check("second", func(tm time.Time) int64 { return int64(tm.Second()) })
		check("week", func(tm time.Time) int64 { _, w := tm.ISOWeek(); return int64(w) })
		check("yearOfWeek", func(tm time.Time) int64 { y, _ := tm.ISOWeek(); return int64(y) })
		check("dayOfWeek", func(tm time.Time) int64 { return int64((int(tm.Weekday())+6)%7 + 1) })
	}
}

func TestZoneCursorUTC(t *testing.T) {
	z, err := loadZone("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	zc := newCursor(z)
	// spring forward 2024-03-10 02:00 PST -> 03:00 PDT: 02:30 does not exist,
	// Joda's lenient rule moves it forward to 03:30 PDT (10:30Z).
	gap := ms("2024-03-10 02:30:00")
	if got := zc.utc(gap, 0, false); got != ms("2024-03-10 10:30:00") {
		t.Errorf("gap: %s", time.UnixMilli(got).UTC())
	}
	// fall back 2024-11-03 02:00 PDT -> 01:00 PST: 01:30 happens twice,
	// the earlier (PDT, 08:30Z) wins.
	overlap := ms("2024-11-03 01:30:00")
	if got := zc.utc(overlap, 0, false); got != ms("2024-11-03 08:30:00") {
		t.Errorf("overlap: %s", time.UnixMilli(got).UTC())
	}
	// with the later offset as hint (-8h), the later instant is kept
	if got := zc.utc(overlap, -8*msPerHour, true); got != ms("2024-11-03 09:30:00") {
		t.Errorf("overlap with hint: %s", time.UnixMilli(got).UTC())
	}
	// ordinary times
	if got := zc.utc(ms("2024-07-01 12:00:00"), 0, false); got != ms("2024-07-01 19:00:00") {
		t.Errorf("summer: %s", time.UnixMilli(got).UTC())
	}
	if got := zc.utc(ms("2024-01-01 12:00:00"), 0, false); got != ms("2024-01-01 20:00:00") {
		t.Errorf("winter: %s", time.UnixMilli(got).UTC())
	}
}

func TestEpochFunctions(t *testing.T) {
	v := ms("2024-05-15 13:45:30.123")
	runCases(t, []fcase{
		{fn: "toEpochSeconds", args: []in{col(tLong, v, int64(-1500), nil)}, typ: tLong, want: []any{v / 1000, -1, nil}},
		{fn: "toEpochMinutes", args: []in{col(tTS, v)}, typ: tLong, want: []any{v / msPerMinute}},
		{fn: "toEpochHours", args: []in{col(tLong, v)}, typ: tLong, want: []any{v / msPerHour}},
		{fn: "toEpochDays", args: []in{col(tLong, v)}, typ: tLong, want: []any{v / msPerDay}},
		{fn: "toEpochSecondsRounded", args: []in{col(tLong, 1234567), ilit(10)}, typ: tLong, want: []any{1230}},
		{fn: "toEpochMinutesRounded", args: []in{col(tLong, v), ilit(15)}, typ: tLong, want: []any{v / msPerMinute / 15 * 15}},
		{fn: "toEpochHoursBucket", args: []in{col(tLong, v), ilit(6)}, typ: tLong, want: []any{v / msPerHour / 6}},
		{fn: "toEpochDaysBucket", args: []in{col(tLong, v), col(tLong, 7)}, typ: tLong, want: []any{v / msPerDay / 7}},
		{fn: "fromEpochSeconds", args: []in{col(tLong, 1715780730, -1)}, typ: tLong, want: []any{1715780730000, -1000}},
		{fn: "fromEpochMinutes", args: []in{col(tInt, 2)}, typ: tLong, want: []any{120000}},
		{fn: "fromEpochHours", args: []in{col(tLong, 1)}, typ: tLong, want: []any{3600000}},
		{fn: "fromEpochDays", args: []in{col(tLong, 19858)}, typ: tLong, want: []any{ms("2024-05-15")}},
		{fn: "fromEpochDaysBucket", args: []in{col(tLong, 2), ilit(7)}, typ: tLong, want: []any{14 * msPerDay}},
		{fn: "fromEpochSecondsBucket", args: []in{col(tLong, 3), ilit(5)}, typ: tLong, want: []any{15000}},
		{name: "bucket zero", fn: "toEpochDaysBucket", args: []in{col(tLong, v), ilit(0)}, err: "must not be 0"},
		{name: "bucket zero varying", fn: "toEpochDaysBucket", args: []in{col(tLong, v), col(tLong, 0)}, err: "division by zero"},
		{fn: "toTimestamp", args: []in{col(tLong, 5)}, typ: tTS, want: []any{5}},
		{fn: "fromTimestamp", args: []in{col(tTS, 5)}, typ: tLong, want: []any{5}},
	})
}

func TestNowAgo(t *testing.T) {
	now := fixedNow.UnixMilli()
	runCases(t, []fcase{
		{fn: "now", args: nil, typ: tLong, want: []any{now}},
		{fn: "ago", args: []in{slit("P1D")}, typ: tLong, want: []any{now - msPerDay}},
		{name: "ago varying", fn: "ago", args: []in{col(tStr, "PT1H", "PT20.345S", "P2DT3H4M", "-PT1M", nil)}, typ: tLong,
			want: []any{now - msPerHour, now - 20345, now - 2*msPerDay - 3*msPerHour - 4*msPerMinute, now + msPerMinute, nil}},
		{name: "ago bad", fn: "ago", args: []in{col(tStr, "1 day")}, err: `invalid ISO-8601 duration "1 day"`},
	})
	for _, s := range []string{"P", "PT", "P1H", "PT1D", "P1W", "P1Y", "", "T1H"} {
		if _, err := parseISODuration(s); err == nil {
			t.Errorf("parseISODuration(%q) succeeded", s)
		}
	}
	if d, err := parseISODuration("P-6H3M"); err == nil {
		t.Errorf("P-6H3M parsed as %d", d)
	}
	if d, err := parseISODuration("PT-6H3M"); err != nil || d != -6*msPerHour+3*msPerMinute {
		t.Errorf("PT-6H3M = %d, %v", d, err)
	}
}

func TestToFromDateTime(t *testing.T) {
	v := ms("2024-03-05 07:08:09.012")
	runCases(t, []fcase{
		{fn: "toDateTime", args: []in{col(tLong, v, nil), slit("yyyy-MM-dd HH:mm:ss")}, typ: tStr, want: []any{"2024-03-05 07:08:09", nil}},
		{name: "toDateTime full", fn: "toDateTime", args: []in{col(tTS, v), slit("EEEE, MMMM d, yy h:mm a SSS 'T' D w e EEE MMM ''")}, typ: tStr,
			want: []any{"Tuesday, March 5, 24 7:08 AM 012 T 65 10 2 Tue Mar '"}},
		{name: "toDateTime tz", fn: "toDateTime", args: []in{col(tTS, v), slit("yyyy-MM-dd'T'HH:mm:ssZZ z"), slit("America/New_York")}, typ: tStr,
			want: []any{"2024-03-05T02:08:09-05:00 EST"}},
		{name: "toDateTime offset", fn: "toDateTime", args: []in{col(tTS, v), slit("HH:mm Z ZZZ"), slit("UTC")}, typ: tStr, want: []any{"07:08 +0000 UTC"}},
		{name: "toDateTime negative", fn: "toDateTime", args: []in{col(tLong, int64(-1)), slit("yyyy-MM-dd HH:mm:ss.SSS")}, typ: tStr, want: []any{"1969-12-31 23:59:59.999"}},
		{name: "toDateTime pm", fn: "toDateTime", args: []in{col(tLong, ms("2024-03-05 00:30:00"), ms("2024-03-05 12:30:00"), ms("2024-03-05 23:30:00")), slit("hh:mm a|KK|kk|HH")}, typ: tStr,
			want: []any{"12:30 AM|00|24|00", "12:30 PM|00|12|12", "11:30 PM|11|23|23"}},
		{fn: "fromDateTime", args: []in{col(tStr, "2024-03-05 07:08:09", "1969-12-31 23:59:59", nil), slit("yyyy-MM-dd HH:mm:ss")}, typ: tLong,
			want: []any{ms("2024-03-05 07:08:09"), ms("1969-12-31 23:59:59"), nil}},
		{name: "fromDateTime compact", fn: "fromDateTime", args: []in{col(tStr, "20240305", "20000229"), slit("yyyyMMdd")}, typ: tLong, want: []any{ms("2024-03-05"), ms("2000-02-29")}},
		{name: "fromDateTime lenient digits", fn: "fromDateTime", args: []in{col(tStr, "2024-3-5 7:8:9.5"), slit("yyyy-MM-dd HH:mm:ss.SSS")}, typ: tLong, want: []any{ms("2024-03-05 07:08:09.500")}},
		{name: "fromDateTime text", fn: "fromDateTime", args: []in{col(tStr, "Tue, 05 mar 2024 07:08:09 PM", "Tuesday, 05 March 2024 12:00:00 am"), slit("EEE, dd MMM yyyy hh:mm:ss a")}, typ: tLong,
			want: []any{ms("2024-03-05 19:08:09"), ms("2024-03-05")}},
		{name: "fromDateTime offset", fn: "fromDateTime", args: []in{col(tStr, "2024-03-05T07:08:09+0100", "2024-03-05T07:08:09Z"), slit("yyyy-MM-dd'T'HH:mm:ssZ")}, typ: tLong,
			want: []any{ms("2024-03-05 06:08:09"), ms("2024-03-05 07:08:09")}},
		{name: "fromDateTime zone id", fn: "fromDateTime", args: []in{col(tStr, "2024-07-01 12:00 America/New_York"), slit("yyyy-MM-dd HH:mm ZZZ")}, typ: tLong, want: []any{ms("2024-07-01 16:00:00")}},
		{name: "fromDateTime tz", fn: "fromDateTime", args: []in{col(tStr, "2024-07-01 12:00", "2024-01-01 12:00"), slit("yyyy-MM-dd HH:mm"), slit("Europe/Berlin")}, typ: tLong,
			want: []any{ms("2024-07-01 10:00:00"), ms("2024-01-01 11:00:00")}},
		{name: "fromDateTime dst gap", fn: "fromDateTime", args: []in{col(tStr, "2024-03-10 02:30"), slit("yyyy-MM-dd HH:mm"), slit("America/Los_Angeles")}, typ: tLong,
			want: []any{ms("2024-03-10 10:30:00")}},
		{name: "fromDateTime two-digit year", fn: "fromDateTime", args: []in{col(tStr, "05/03/24", "01/01/93"), slit("dd/MM/yy")}, typ: tLong,
			want: []any{ms("2024-03-05"), ms("1993-01-01")}},
		{name: "fromDateTime day of year", fn: "fromDateTime", args: []in{col(tStr, "2024-060"), slit("yyyy-DDD")}, typ: tLong, want: []any{ms("2024-02-29")}},
		{name: "fromDateTime bad", fn: "fromDateTime", args: []in{col(tStr, "2024-13-01 00:00:00"), slit("yyyy-MM-dd HH:mm:ss")}, err: "month 13 out of range"},
		{name: "fromDateTime trailing", fn: "fromDateTime", args: []in{col(tStr, "2024-01-01x"), slit("yyyy-MM-dd")}, err: `malformed at "x"`},
		{name: "fromDateTime default", fn: "fromDateTime", args: []in{col(tStr, "garbage", "2024-01-01"), slit("yyyy-MM-dd"), slit("UTC"), ilit(-1)}, typ: tLong,
			want: []any{-1, ms("2024-01-01")}},
		{name: "fromDateTime null default", fn: "fromDateTime", args: []in{col(tStr, "garbage"), slit("yyyy-MM-dd"), slit("UTC"), nullLit(tLong)}, typ: tLong, want: []any{nil}},
	})
}

func TestPatternRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, pat := range []string{"yyyy-MM-dd HH:mm:ss.SSS", "yyyyMMddHHmmssSSS", "dd MMM yyyy hh:mm:ss.SSS a", "yyyy-DDD HH:mm:ss.SSS", "EEEE yyyy-MM-dd'T'HH:mm:ss.SSSZZ"} {
		p, err := compilePatternDT(pat, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, zoneID := range []string{"UTC", "Europe/Berlin", "America/St_Johns"} {
			z, _ := loadZone(zoneID)
			zc := newCursor(z)
			for k := 0; k < 300; k++ {
				v := r.Int64N(4_000_000_000_000) - 1_000_000_000_000
				s := string(p.appendFormat(nil, v, z, &zc))
				got, err := p.parse(s, z, &zc)
				if err != nil {
					t.Fatalf("%s %s: %v", pat, zoneID, err)
				}
				if got != v && !nearTransition(z.loc, v) {
					t.Fatalf("%s %s: %d -> %q -> %d", pat, zoneID, v, s, got)
				}
			}
		}
	}
}

func TestPatternFormatsLikeTimePackage(t *testing.T) {
	p, err := compilePatternDT("yyyy-MM-dd HH:mm:ss EEE MMM", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	loc, _ := time.LoadLocation("Asia/Tokyo")
	z, _ := loadZone("Asia/Tokyo")
	zc := newCursor(z)
	for k := 0; k < 1000; k++ {
		v := r.Int64N(4_000_000_000_000)
		want := time.UnixMilli(v).In(loc).Format("2006-01-02 15:04:05 Mon Jan")
		if got := string(p.appendFormat(nil, v, z, &zc)); got != want {
			t.Fatalf("%d: %q, want %q", v, got, want)
		}
	}
}

func TestTimeZoneIDs(t *testing.T) {
	for id, off := range map[string]int64{
		"UTC": 0, "Z": 0, "+05:30": 5*msPerHour + 30*msPerMinute, "-0800": -8 * msPerHour, "GMT+7": 7 * msPerHour,
		"UTC-03:00": -3 * msPerHour, "EST": -5 * msPerHour, "+3": 3 * msPerHour,
	} {
		z, err := loadZone(id)
		if err != nil {
			t.Errorf("loadZone(%q): %v", id, err)
			continue
		}
		zc := newCursor(z)
		if got := zc.offset(0); got != off {
			t.Errorf("loadZone(%q) offset %d, want %d", id, got, off)
		}
	}
	for _, id := range []string{"", "Nowhere/City", "+25:00", "GMT+x"} {
		if _, err := loadZone(id); err == nil {
			t.Errorf("loadZone(%q) succeeded", id)
		}
	}
	z, err := loadZone("PST")
	if err != nil || z.loc == nil || z.loc.String() != "America/Los_Angeles" {
		t.Errorf("PST: %v %v", z, err)
	}
}

func TestTimeFunctionsAllocationFree(t *testing.T) {
	n := vec.BatchSize
	for _, tc := range []struct {
		name string
		args []Arg
	}{
		{"datetrunc", []Arg{{Type: tStr, Const: &Const{Str: "day"}}, {Type: tTS}}},
		{"year", []Arg{{Type: tTS}, {Type: tStr, Const: &Const{Str: "Europe/Berlin"}}}},
		{"toEpochSeconds", []Arg{{Type: tLong}}},
		{"fromDateTime", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "yyyy-MM-dd HH:mm:ss"}}}},
	} {
		f, err := Bind(tc.name, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]*vec.Vector, len(tc.args))
		for k, a := range tc.args {
			v := vec.New(a.Type)
			v.Reset(a.Type, n)
			for i := 0; i < n; i++ {
				switch {
				case a.Const != nil:
					v.Str[i] = a.Const.Str
				case a.Type == tStr:
					v.Str[i] = "2024-05-15 13:45:30"
				default:
					v.I64[i] = int64(i) * 1_000_000_000
				}
			}
			args[k] = v
		}
		out := vec.New(schema.TypeInvalid)
		if err := f.Eval(args, n, out); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(20, func() { _ = f.Eval(args, n, out) }); a > 0 {
			t.Errorf("%s: %v allocations per batch", tc.name, a)
		}
	}
	_ = math.MaxInt64
}
