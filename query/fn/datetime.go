package fn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Date-time functions take TIMESTAMP or LONG epoch millis and work in UTC
// unless given a time zone (an IANA name, a Java short id or an offset).

func timeSpecs() []*spec {
	s := []*spec{
		{names: []string{"datetrunc", "date_trunc"}, min: 2, max: 5, bind: bindDateTrunc},
		{names: []string{"datetimeconvert", "date_time_convert"}, min: 4, max: 5, bind: bindDateTimeConvert},
		{names: []string{"todatetime"}, min: 2, max: 3, bind: bindToDateTime},
		{names: []string{"fromdatetime"}, min: 2, max: 4, nullAware: true, bind: bindFromDateTime},
		{names: []string{"extract", "date_part", "datepart"}, min: 2, max: 2, bind: bindExtract},
		{names: []string{"now"}, min: 0, max: 0, bind: bindNow},
		{names: []string{"ago"}, min: 1, max: 1, bind: bindAgo},
		{names: []string{"totimestamp"}, min: 1, max: 1, bind: bindRetypeTime(schema.TypeTimestamp)},
		{names: []string{"fromtimestamp"}, min: 1, max: 1, bind: bindRetypeTime(schema.TypeLong)},
	}
	for _, u := range []struct {
		name string
		ms   int64
	}{{"seconds", msPerSecond}, {"minutes", msPerMinute}, {"hours", msPerHour}, {"days", msPerDay}} {
		ms := u.ms
		s = append(s,
			&spec{names: []string{"toepoch" + u.name}, min: 1, max: 1, bind: bindEpochOp(func(v, _ int64) int64 { return v / ms })},
			&spec{names: []string{"toepoch" + u.name + "rounded"}, min: 2, max: 2, bind: bindEpochOp(func(v, n int64) int64 { return v / ms / n * n })},
			&spec{names: []string{"toepoch" + u.name + "bucket"}, min: 2, max: 2, bind: bindEpochOp(func(v, n int64) int64 { return v / ms / n })},
			&spec{names: []string{"fromepoch" + u.name}, min: 1, max: 1, bind: bindEpochOp(func(v, _ int64) int64 { return v * ms })},
			&spec{names: []string{"fromepoch" + u.name + "bucket"}, min: 2, max: 2, bind: bindEpochOp(func(v, n int64) int64 { return v * n * ms })},
		)
	}
	for _, f := range []struct {
		names []string
		field dateField
	}{
		{[]string{"year"}, fieldYear},
		{[]string{"yearofweek", "yow"}, fieldYearOfWeek},
		{[]string{"quarter"}, fieldQuarter},
		{[]string{"month", "monthofyear"}, fieldMonth},
		{[]string{"week", "weekofyear"}, fieldWeek},
		{[]string{"dayofyear", "doy"}, fieldDayOfYear},
		{[]string{"dayofmonth", "day"}, fieldDay},
		{[]string{"dayofweek", "dow"}, fieldDowISO},
		{[]string{"hour"}, fieldHour},
		{[]string{"minute"}, fieldMinute},
		{[]string{"second"}, fieldSecond},
		{[]string{"millisecond"}, fieldMillisecond},
	} {
		field := f.field
		s = append(s, &spec{names: f.names, min: 1, max: 2, bind: func(c *call) (*Func, error) {
			return bindField(c, field, 0, 1)
		}})
	}
	return s
}

// timeZoneArg loads the constant zone of argument i, UTC when absent.
func timeZoneArg(c *call, i int) (*zone, error) {
	if i >= len(c.args) {
		return utcZone, nil
	}
	id, err := c.constString(i, "time zone")
	if err != nil {
		return nil, err
	}
	z, err := loadZone(id)
	if err != nil {
		return nil, c.wrap(err)
	}
	return z, nil
}

// ---- date parts ----

type dateField uint8

const (
	fieldYear dateField = iota
	fieldYearOfWeek
	fieldQuarter
	fieldMonth
	fieldWeek
	fieldDayOfYear
	fieldDay
	fieldDowISO
	fieldDowSunday0
	fieldHour
	fieldMinute
	fieldSecond
	fieldMillisecond
	fieldEpoch
)

func bindField(c *call, field dateField, tsArg, zoneArg int) (*Func, error) {
	if err := c.needTime(tsArg); err != nil {
		return nil, err
	}
	z, err := timeZoneArg(c, zoneArg)
	if err != nil {
		return nil, err
	}
	if field == fieldEpoch {
		return &Func{Type: schema.TypeDouble, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeDouble, n, args)
			for i, ms := range args[tsArg].I64[:n] {
				out.F64[i] = float64(ms) / 1000
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
	return &Func{Type: schema.TypeInt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeInt, n, args)
		in, o := args[tsArg].I64[:n], out.I64[:n]
		if z.isUTC() {
			extractField(field, in, o)
		} else {
			zc := newCursor(z)
			for i, ms := range in {
				o[i] = zc.local(ms)
			}
			extractField(field, o, o)
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

// extractField computes field of each local millis value of in into o (in
// and o may alias).
func extractField(field dateField, in, o []int64) {
	o = o[:len(in)]
	switch field {
	case fieldHour:
		for i, ms := range in {
			o[i] = floorMod(ms, msPerDay) / msPerHour
		}
	case fieldMinute:
		for i, ms := range in {
			o[i] = floorMod(ms, msPerHour) / msPerMinute
		}
	case fieldSecond:
		for i, ms := range in {
			o[i] = floorMod(ms, msPerMinute) / msPerSecond
		}
	case fieldMillisecond:
		for i, ms := range in {
			o[i] = floorMod(ms, msPerSecond)
		}
	case fieldDowISO:
		for i, ms := range in {
			o[i] = int64(isoDow(floorDiv(ms, msPerDay)))
		}
	case fieldDowSunday0:
		for i, ms := range in {
			o[i] = int64(isoDow(floorDiv(ms, msPerDay)) % 7)
		}
	default:
		for i, ms := range in {
			days := floorDiv(ms, msPerDay)
			switch field {
			case fieldYear:
				y, _, _ := civilFromDays(days)
				o[i] = y
			case fieldQuarter:
				_, m, _ := civilFromDays(days)
				o[i] = int64((m-1)/3 + 1)
			case fieldMonth:
				_, m, _ := civilFromDays(days)
				o[i] = int64(m)
			case fieldDay:
				_, _, d := civilFromDays(days)
				o[i] = int64(d)
			case fieldDayOfYear:
				o[i] = int64(dayOfYear(days))
			case fieldWeek:
				_, w := isoWeek(days)
				o[i] = int64(w)
			case fieldYearOfWeek:
				wy, _ := isoWeek(days)
				o[i] = wy
			}
		}
	}
}

// bindExtract is SQL's EXTRACT(field FROM ts), arriving as
// extract('FIELD', ts): YEAR, QUARTER, MONTH, WEEK (ISO), DAY, DOW (Sunday=0,
// as PostgreSQL and DuckDB), ISODOW (Monday=1), DOY, HOUR, MINUTE, SECOND,
// MILLISECOND(S) (within the second), EPOCH (DOUBLE seconds).
func bindExtract(c *call) (*Func, error) {
	name, err := c.constString(0, "field")
	if err != nil {
		return nil, err
	}
	var field dateField
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "YEAR", "YEARS":
		field = fieldYear
	case "QUARTER":
		field = fieldQuarter
	case "MONTH", "MONTHS":
		field = fieldMonth
	case "WEEK", "WEEKS":
		field = fieldWeek
	case "DAY", "DAYS", "DAYOFMONTH":
		field = fieldDay
	case "DOW", "DAYOFWEEK":
		field = fieldDowSunday0
	case "ISODOW":
		field = fieldDowISO
	case "DOY", "DAYOFYEAR":
		field = fieldDayOfYear
	case "HOUR", "HOURS":
		field = fieldHour
	case "MINUTE", "MINUTES":
		field = fieldMinute
	case "SECOND", "SECONDS":
		field = fieldSecond
	case "MILLISECOND", "MILLISECONDS":
		field = fieldMillisecond
	case "EPOCH":
		field = fieldEpoch
	case "ISOYEAR":
		field = fieldYearOfWeek
	default:
		return nil, c.errorf("unknown field %q (known: YEAR, QUARTER, MONTH, WEEK, DAY, DOW, ISODOW, DOY, HOUR, MINUTE, SECOND, MILLISECOND, EPOCH)", name)
	}
	return bindField(c, field, 1, 2)
}

// ---- dateTrunc ----

type truncUnit uint8

const (
	truncMillisecond truncUnit = iota
	truncSecond
	truncMinute
	truncHour
	truncDay
	truncWeek
	truncMonth
	truncQuarter
	truncYear
)

func parseTruncUnit(s string) (truncUnit, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "millisecond", "milliseconds":
		return truncMillisecond, true
	case "second", "seconds":
		return truncSecond, true
	case "minute", "minutes":
		return truncMinute, true
	case "hour", "hours":
		return truncHour, true
	case "day", "days":
		return truncDay, true
	case "week", "weeks":
		return truncWeek, true
	case "month", "months":
		return truncMonth, true
	case "quarter", "quarters":
		return truncQuarter, true
	case "year", "years":
		return truncYear, true
	}
	return 0, false
}

// floorLocal rounds local millis down to the unit (weeks start Monday).
func (u truncUnit) floorLocal(local int64) int64 {
	switch u {
	case truncMillisecond:
		return local
	case truncSecond:
		return floorDiv(local, msPerSecond) * msPerSecond
	case truncMinute:
		return floorDiv(local, msPerMinute) * msPerMinute
	case truncHour:
		return floorDiv(local, msPerHour) * msPerHour
	case truncDay:
		return floorDiv(local, msPerDay) * msPerDay
	case truncWeek:
		days := floorDiv(local, msPerDay)
		return (days - int64(isoDow(days)-1)) * msPerDay
	}
	y, m, _ := civilFromDays(floorDiv(local, msPerDay))
	switch u {
	case truncMonth:
		return daysFromCivil(y, int64(m), 1) * msPerDay
	case truncQuarter:
		return daysFromCivil(y, int64((m-1)/3*3+1), 1) * msPerDay
	}
	return daysFromCivil(y, 1, 1) * msPerDay
}

// bindDateTrunc is Pinot's dateTrunc(unit, value[, inputUnit[, timeZone[,
// outputUnit]]]): value (in inputUnit, default MILLISECONDS) rounded down
// to unit in the zone (UTC by default), returned in outputUnit (default
// inputUnit). A TIMESTAMP value gives a TIMESTAMP, anything else a LONG.
func bindDateTrunc(c *call) (*Func, error) {
	us, err := c.constString(0, "unit")
	if err != nil {
		return nil, err
	}
	unit, ok := parseTruncUnit(us)
	if !ok {
		return nil, c.errorf("unknown unit %q (known: millisecond, second, minute, hour, day, week, month, quarter, year)", us)
	}
	if err := c.needTime(1); err != nil {
		return nil, err
	}
	inUnit, outUnit := Milliseconds, Milliseconds
	if len(c.args) >= 3 {
		s, err := c.constString(2, "input time unit")
		if err != nil {
			return nil, err
		}
		if inUnit, err = ParseTimeUnit(s); err != nil || !inUnit.isFixed() {
			return nil, c.errorf("unknown input time unit %q", s)
		}
		outUnit = inUnit
	}
	z, err := timeZoneArg(c, 3)
	if err != nil {
		return nil, err
	}
	if len(c.args) == 5 {
		s, err := c.constString(4, "output time unit")
		if err != nil {
			return nil, err
		}
		if outUnit, err = ParseTimeUnit(s); err != nil || !outUnit.isFixed() {
			return nil, c.errorf("unknown output time unit %q", s)
		}
	}
	rt := schema.TypeLong
	if c.typ(1) == schema.TypeTimestamp {
		rt = schema.TypeTimestamp
	}
	return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, rt, n, args)
		in, o := args[1].I64[:n], out.I64[:n]
		if inUnit != Milliseconds {
			for i, v := range in {
				o[i] = inUnit.toMillis(v)
			}
			in = o
		}
		if z.isUTC() {
			truncUTC(unit, in, o)
		} else {
			zc := newCursor(z)
			for i, ms := range in {
				off := zc.offset(ms)
				o[i] = zc.utc(unit.floorLocal(ms+off), off, true)
			}
		}
		if outUnit != Milliseconds {
			for i, ms := range o {
				o[i] = outUnit.fromMillis(ms)
			}
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

// truncUTC is the UTC dateTrunc kernel; in and o may alias.
func truncUTC(unit truncUnit, in, o []int64) {
	o = o[:len(in)]
	var step int64
	switch unit {
	case truncMillisecond:
		copy(o, in)
		return
	case truncSecond:
		step = msPerSecond
	case truncMinute:
		step = msPerMinute
	case truncHour:
		step = msPerHour
	case truncDay:
		step = msPerDay
	default:
		for i, ms := range in {
			o[i] = unit.floorLocal(ms)
		}
		return
	}
	for i, ms := range in {
		r := ms % step
		if r < 0 {
			r += step
		}
		o[i] = ms - r
	}
}

// ---- epoch conversions ----

// bindEpochOp binds toEpochX[Rounded|Bucket] and fromEpochX[Bucket]: LONG
// in, LONG out, Java's truncating division.
func bindEpochOp(op func(v, n int64) int64) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needTime(0); err != nil {
			if !isIntType(c.typ(0)) {
				return nil, err
			}
		}
		var nArg func([]*vec.Vector, int) int64
		if len(c.args) == 2 {
			var err error
			if nArg, err = intArg(c, 1); err != nil {
				return nil, err
			}
			if c.args[1].Const != nil && nArg(nil, 0) == 0 {
				return nil, c.errorf("argument 2 must not be 0")
			}
		}
		name := c.name
		return &Func{Type: schema.TypeLong, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeLong, n, args)
			in, o := args[0].I64[:n], out.I64[:n]
			if nArg == nil {
				for i, v := range in {
					o[i] = op(v, 1)
				}
			} else {
				for i, v := range in {
					k := nArg(args, i)
					if k == 0 {
						if nulls != nil && nulls[i] {
							continue
						}
						return fmt.Errorf("evaluate %s: %w", name, errDivByZero)
					}
					o[i] = op(v, k)
				}
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

func bindRetypeTime(to schema.DataType) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needTime(0); err != nil {
			return nil, err
		}
		return &Func{Type: to, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, to, n, args)
			copy(out.I64[:n], args[0].I64[:n])
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

// ---- toDateTime / fromDateTime ----

func bindToDateTime(c *call) (*Func, error) {
	if err := c.needTime(0); err != nil {
		return nil, err
	}
	ps, err := c.constString(1, "pattern")
	if err != nil {
		return nil, err
	}
	p, err := compilePatternDT(ps, c.now())
	if err != nil {
		return nil, c.wrap(err)
	}
	z, err := timeZoneArg(c, 2)
	if err != nil {
		return nil, err
	}
	return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeString, n, args)
		in, o := args[0].I64[:n], out.Str[:n]
		zc := newCursor(z)
		var buf [64]byte
		for i, ms := range in {
			if nulls != nil && nulls[i] {
				o[i] = ""
				continue
			}
			o[i] = string(p.appendFormat(buf[:0], ms, z, &zc))
		}
		return nil
	}}, nil
}

// bindFromDateTime is fromDateTime(s, pattern[, timeZone[, default]]):
// epoch millis (LONG) of s parsed with the Joda pattern; a value that does
// not parse is an error, or the default when one is given.
func bindFromDateTime(c *call) (*Func, error) {
	if c.isNullConst(0) {
		return allNull("fromdatetime", schema.TypeLong), nil
	}
	if err := c.needString(0); err != nil {
		return nil, err
	}
	ps, err := c.constString(1, "pattern")
	if err != nil {
		return nil, err
	}
	p, err := compilePatternDT(ps, c.now())
	if err != nil {
		return nil, c.wrap(err)
	}
	z, err := timeZoneArg(c, 2)
	if err != nil {
		return nil, err
	}
	hasDef, defNull, def := false, false, int64(0)
	if len(c.args) == 4 {
		hasDef = true
		if c.isNullConst(3) {
			defNull = true
		} else if def, err = c.constInt(3, "default"); err != nil {
			return nil, err
		}
	}
	name := c.name
	return &Func{Type: schema.TypeLong, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls, mask := beginMask(out, schema.TypeLong, n, args[:1])
		in, o := args[0].Str[:n], out.I64[:n]
		zc := newCursor(z)
		for i, s := range in {
			if nulls != nil && nulls[i] {
				o[i] = 0
				continue
			}
			ms, err := p.parse(s, z, &zc)
			if err != nil {
				switch {
				case !hasDef:
					return fmt.Errorf("evaluate %s: %w", name, err)
				case defNull:
					o[i] = 0
					mask.set(i)
				default:
					o[i] = def
				}
				continue
			}
			o[i] = ms
		}
		return nil
	}}, nil
}

// ---- now / ago ----

func constLong(t schema.DataType, v int64) func([]*vec.Vector, int, *vec.Vector) error {
	return func(_ []*vec.Vector, n int, out *vec.Vector) error {
		out.Reset(t, n)
		o := out.I64[:n]
		for i := range o {
			o[i] = v
		}
		return nil
	}
}

// bindNow is now(): epoch millis (LONG, as Pinot) read once at bind time,
// so that every row and segment of a query sees the same instant.
func bindNow(c *call) (*Func, error) {
	return &Func{Type: schema.TypeLong, Eval: constLong(schema.TypeLong, c.now().UnixMilli())}, nil
}

// bindAgo is ago('P1D'): now minus an ISO-8601 duration (java.time
// Duration syntax: days, hours, minutes, seconds).
func bindAgo(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	now := c.now().UnixMilli()
	if a := c.args[0]; a.Const != nil {
		d, err := parseISODuration(a.Const.Str)
		if err != nil {
			return nil, c.wrap(err)
		}
		return &Func{Type: schema.TypeLong, Eval: constLong(schema.TypeLong, now-d)}, nil
	}
	name := c.name
	return &Func{Type: schema.TypeLong, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeLong, n, args)
		for i, s := range args[0].Str[:n] {
			if nulls != nil && nulls[i] {
				out.I64[i] = 0
				continue
			}
			d, err := parseISODuration(s)
			if err != nil {
				return fmt.Errorf("evaluate %s: %w", name, err)
			}
			out.I64[i] = now - d
		}
		return nil
	}}, nil
}

// parseISODuration parses java.time.Duration's ISO-8601 form
// [-]P[nD][T[nH][nM][n[.f]S]] (signs allowed per component) into ms.
func parseISODuration(s string) (int64, error) {
	bad := fmt.Errorf("invalid ISO-8601 duration %q", s)
	t := strings.ToUpper(strings.TrimSpace(s))
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) < 2 || t[0] != 'P' {
		return 0, bad
	}
	t = t[1:]
	var total int64
	inTime, any := false, false
	for len(t) > 0 {
		if t[0] == 'T' {
			if inTime || len(t) == 1 {
				return 0, bad
			}
			inTime = true
			t = t[1:]
			continue
		}
		j := 0
		if t[j] == '-' || t[j] == '+' {
			j++
		}
		for j < len(t) && (isDigit(t[j]) || t[j] == '.' || t[j] == ',') {
			j++
		}
		if j == 0 || j >= len(t) {
			return 0, bad
		}
		numStr := strings.ReplaceAll(t[:j], ",", ".")
		unit := t[j]
		t = t[j+1:]
		var mult int64
		switch {
		case unit == 'D' && !inTime:
			mult = msPerDay
		case unit == 'H' && inTime:
			mult = msPerHour
		case unit == 'M' && inTime:
			mult = msPerMinute
		case unit == 'S' && inTime:
			f, err := strconv.ParseFloat(numStr, 64)
			if err != nil {
				return 0, bad
			}
			total += int64(f * 1000)
			any = true
			continue
		default:
			return 0, bad
		}
		v, err := strconv.ParseInt(numStr, 10, 64)
		if err != nil {
			return 0, bad
		}
		total += v * mult
		any = true
	}
	if !any {
		return 0, bad
	}
	if neg {
		total = -total
	}
	return total, nil
}

// ---- dateTimeConvert ----

// bindDateTimeConvert is Pinot's dateTimeConvert(value, inputFormat,
// outputFormat, outputGranularity[, bucketTimeZone]): the value (LONG or
// STRING per the input format) converted to millis, bucketed to the
// granularity and rendered in the output format: LONG for EPOCH,
// TIMESTAMP for TIMESTAMP, STRING for SIMPLE_DATE_FORMAT.
//
// Without a bucketing zone, EPOCH and TIMESTAMP outputs are bucketed
// relative to the epoch (millis / granularity * granularity, truncating
// toward zero as Java does) and SIMPLE_DATE_FORMAT outputs by calendar
// fields in the output's zone; with one, both by calendar fields in that
// zone.
func bindDateTimeConvert(c *call) (*Func, error) {
	specs := [3]string{}
	for k, what := range []string{"input format", "output format", "granularity"} {
		s, err := c.constString(k+1, what)
		if err != nil {
			return nil, err
		}
		specs[k] = s
	}
	in, err := parseTimeFormat(specs[0], c.now())
	if err != nil {
		return nil, c.wrap(err)
	}
	outF, err := parseTimeFormat(specs[1], c.now())
	if err != nil {
		return nil, c.wrap(err)
	}
	gran, err := ParseGranularity(specs[2])
	if err != nil {
		return nil, c.wrap(err)
	}
	var bucketZone *zone
	if len(c.args) == 5 {
		if bucketZone, err = timeZoneArg(c, 4); err != nil {
			return nil, err
		}
	}
	srcType := c.typ(0)
	switch {
	case c.isNullConst(0):
	case isIntType(srcType), isStringType(srcType):
	default:
		return nil, c.errorf("argument 1 must be a LONG, TIMESTAMP or STRING time value, got %s", srcType)
	}
	var rt schema.DataType
	switch outF.kind {
	case FormatEpoch:
		rt = schema.TypeLong
	case FormatTimestamp:
		rt = schema.TypeTimestamp
	default:
		rt = schema.TypeString
	}
	gms := gran.Millis()
	name := c.name
	return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, rt, n, args[:1])
		src := args[0]
		inZC := newCursor(in.zone)
		outZC := newCursor(outF.zone)
		var bucketZC zoneCursor
		if bucketZone != nil {
			bucketZC = newCursor(bucketZone)
		}
		var buf [64]byte
		for i := 0; i < n; i++ {
			if nulls != nil && nulls[i] {
				continue
			}
			// to millis
			var ms int64
			switch {
			case src.Type.Storage() == schema.StorageInt64 && in.kind != FormatSimpleDate:
				ms = in.ToMillisInt(src.I64[i])
			case src.Type.Storage() == schema.StorageInt64:
				s := strconv.AppendInt(buf[:0], src.I64[i], 10)
				v, err := in.parseSDF(string(s), &inZC)
				if err != nil {
					return fmt.Errorf("evaluate %s: %w", name, err)
				}
				ms = v
			default:
				var err error
				if in.kind == FormatSimpleDate {
					ms, err = in.parseSDF(src.Str[i], &inZC)
				} else {
					ms, err = in.ToMillis(src.Str[i])
				}
				if err != nil {
					return fmt.Errorf("evaluate %s: %w", name, err)
				}
			}
			// bucket
			switch {
			case bucketZone != nil:
				off := bucketZC.offset(ms)
				ms = bucketZC.utc(gran.truncateLocal(ms+off), off, true)
			case outF.kind == FormatSimpleDate:
				if outF.zone.isUTC() {
					ms = gran.truncateLocal(ms)
				} else {
					off := outZC.offset(ms)
					ms = outZC.utc(gran.truncateLocal(ms+off), off, true)
				}
			case gms > 0:
				ms = ms / gms * gms
			}
			// render
			switch rt {
			case schema.TypeString:
				out.Str[i] = string(outF.appendMillis(buf[:0], ms, &outZC))
			case schema.TypeTimestamp:
				out.I64[i] = ms
			default:
				out.I64[i] = outF.FromMillis(ms)
			}
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}
