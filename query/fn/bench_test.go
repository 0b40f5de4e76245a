package fn

import (
	"fmt"
	"testing"
	"time"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// benchFunc binds name and evaluates it over 1024-row batches, reporting
// rows/s.
func benchFunc(b *testing.B, name string, bound []Arg, fill func(k, i int, v *vec.Vector)) {
	b.Helper()
	f, err := Bind(name, bound)
	if err != nil {
		b.Fatal(err)
	}
	n := vec.BatchSize
	args := make([]*vec.Vector, len(bound))
	for k, a := range bound {
		v := vec.New(a.Type)
		v.Reset(a.Type, n)
		for i := 0; i < n; i++ {
			switch {
			case a.Const != nil && a.Type.Storage() == schema.StorageString:
				v.Str[i] = a.Const.Str
			case a.Const != nil && a.Type.Storage() == schema.StorageInt64:
				v.I64[i] = a.Const.Int
			default:
				fill(k, i, v)
			}
		}
		args[k] = v
	}
	out := vec.New(f.Type)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := f.Eval(args, n, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "rows/s")
}

func strConst(s string) Arg { return Arg{Type: schema.TypeString, Const: &Const{Str: s}} }

func BenchmarkUpper(b *testing.B) {
	for _, tc := range []struct{ name, val string }{
		{"input=lower", "restaurant-%04d-order"},
		{"input=upper", "RESTAURANT-%04d-ORDER"},
		{"input=unicode", "café-%04d-crème"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchFunc(b, "upper", []Arg{{Type: schema.TypeString}}, func(_, i int, v *vec.Vector) {
				v.Str[i] = fmt.Sprintf(tc.val, i)
			})
		})
	}
}

func BenchmarkSubstring(b *testing.B) {
	for _, tc := range []struct{ name, val string }{
		{"input=ascii", "restaurant-%04d-order"},
		{"input=unicode", "café-%04d-crème-brûlée"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchFunc(b, "substring", []Arg{{Type: schema.TypeString},
				{Type: schema.TypeLong, Const: &Const{Int: 3}}, {Type: schema.TypeLong, Const: &Const{Int: 8}}},
				func(_, i int, v *vec.Vector) { v.Str[i] = fmt.Sprintf(tc.val, i) })
		})
	}
}

func BenchmarkDateTrunc(b *testing.B) {
	base := time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, unit := range []string{"hour", "day", "week", "month"} {
		for _, tz := range []string{"UTC", "America/Los_Angeles"} {
			b.Run(fmt.Sprintf("unit=%s/tz=%s", unit, tz), func(b *testing.B) {
				args := []Arg{strConst(unit), {Type: schema.TypeTimestamp}}
				if tz != "UTC" {
					args = append(args, strConst("MILLISECONDS"), strConst(tz))
				}
				benchFunc(b, "datetrunc", args, func(_, i int, v *vec.Vector) {
					v.I64[i] = base + int64(i)*3_700_000
				})
			})
		}
	}
}

func BenchmarkFromDateTime(b *testing.B) {
	base := time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, pattern, layout, tz string }{
		{"pattern=yyyy-MM-dd_HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "2006-01-02 15:04:05", ""},
		{"pattern=yyyyMMdd", "yyyyMMdd", "20060102", ""},
		{"pattern=iso_with_millis", "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2006-01-02T15:04:05.000-0700", ""},
		{"pattern=yyyy-MM-dd_HH:mm:ss/tz=Europe/Berlin", "yyyy-MM-dd HH:mm:ss", "2006-01-02 15:04:05", "Europe/Berlin"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			args := []Arg{{Type: schema.TypeString}, strConst(tc.pattern)}
			if tc.tz != "" {
				args = append(args, strConst(tc.tz))
			}
			benchFunc(b, "fromDateTime", args, func(_, i int, v *vec.Vector) {
				v.Str[i] = base.Add(time.Duration(i) * 37 * time.Minute).Format(tc.layout)
			})
		})
	}
}

func BenchmarkDateTimeConvert(b *testing.B) {
	base := time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, tc := range []struct{ name, in, out, gran string }{
		{"to=epoch_hours", "1:MILLISECONDS:EPOCH", "1:HOURS:EPOCH", "1:HOURS"},
		{"to=epoch_ms_15min", "1:MILLISECONDS:EPOCH", "1:MILLISECONDS:EPOCH", "15:MINUTES"},
		{"to=sdf_day", "1:MILLISECONDS:EPOCH", "1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd", "1:DAYS"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchFunc(b, "datetimeconvert", []Arg{{Type: schema.TypeLong}, strConst(tc.in), strConst(tc.out), strConst(tc.gran)},
				func(_, i int, v *vec.Vector) { v.I64[i] = base + int64(i)*3_700_000 })
		})
	}
	b.Run("from=sdf/to=epoch_days", func(b *testing.B) {
		t0 := time.UnixMilli(base).UTC()
		benchFunc(b, "datetimeconvert", []Arg{{Type: schema.TypeString}, strConst("1:SECONDS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm:ss"),
			strConst("1:DAYS:EPOCH"), strConst("1:DAYS")},
			func(_, i int, v *vec.Vector) {
				v.Str[i] = t0.Add(time.Duration(i) * time.Hour).Format("2006-01-02 15:04:05")
			})
	})
}

func BenchmarkArithmetic(b *testing.B) {
	benchFunc(b, "add", []Arg{{Type: schema.TypeLong}, {Type: schema.TypeLong}}, func(_, i int, v *vec.Vector) { v.I64[i] = int64(i) })
}
