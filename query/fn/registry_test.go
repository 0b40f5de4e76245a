package fn

import (
	"sort"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

func TestBindErrors(t *testing.T) {
	cases := []struct {
		fn   string
		args []Arg
		want string
	}{
		{"foo", nil, `unknown function "foo"`},
		{"uper", []Arg{{Type: tStr}}, `unknown function "uper" (did you mean "upper"?)`},
		{"toEpochSecond", []Arg{{Type: tLong}}, `(did you mean "toepochseconds"?)`},
		{"substring", []Arg{{Type: tStr}}, "function substring: expected 2 or 3 arguments, got 1"},
		{"upper", []Arg{{Type: tLong}}, "function upper: argument 1 must be a string, got LONG"},
		{"upper", nil, "function upper: expected 1 argument, got 0"},
		{"datetrunc", []Arg{{Type: tStr}}, "function datetrunc: expected 2 to 5 arguments, got 1"},
		{"coalesce", nil, "function coalesce: expected at least 1 argument, got 0"},
		{"datetimeconvert", []Arg{
			{Type: tLong},
			{Type: tStr, Const: &Const{Str: "1:FOO:EPOCH"}},
			{Type: tStr, Const: &Const{Str: "1:MILLISECONDS:EPOCH"}},
			{Type: tStr, Const: &Const{Str: "1:MILLISECONDS"}},
		}, `function datetimeconvert: invalid format "1:FOO:EPOCH": unknown time unit "FOO"`},
		{"dateTimeConvert", []Arg{
			{Type: tLong},
			{Type: tStr, Const: &Const{Str: "1:MILLISECONDS:EPOCH"}},
			{Type: tStr, Const: &Const{Str: "1:MILLISECONDS:EPOCH"}},
			{Type: tStr},
		}, "function datetimeconvert: argument 4 (granularity) must be a constant string"},
		{"regexp_like", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "(a"}}}, `function regexp_like: invalid pattern "(a"`},
		{"regexp_like", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: `(?<=a)b`}}}, `invalid pattern`},
		{"jsonPathString", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "$.a[?("}}}, `function jsonpathstring: invalid JSON path`},
		{"cast", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "UUID"}}}, `function cast: unknown target type "UUID"`},
		{"cast", []Arg{{Type: tBytes}, {Type: tStr, Const: &Const{Str: "INT"}}}, `function cast: cannot cast BYTES to INT`},
		{"toDateTime", []Arg{{Type: tLong}, {Type: tStr, Const: &Const{Str: "yyyy-MM-dd qq"}}}, `illegal pattern component "qq"`},
		{"year", []Arg{{Type: tStr}}, "function year: argument 1 must be a TIMESTAMP or epoch millis (LONG), got STRING"},
		{"year", []Arg{{Type: tLong}, {Type: tStr, Const: &Const{Str: "Mars/Olympus"}}}, `function year: unknown time zone "Mars/Olympus"`},
		{"add", []Arg{{Type: tStr}, {Type: tLong}}, "function add: argument 1 must be numeric, got STRING"},
		{"datetrunc", []Arg{{Type: tStr, Const: &Const{Str: "fortnight"}}, {Type: tLong}}, `function datetrunc: unknown unit "fortnight"`},
		{"extract", []Arg{{Type: tStr, Const: &Const{Str: "CENTURY"}}, {Type: tTS}}, `function extract: unknown field "CENTURY"`},
		{"ago", []Arg{{Type: tStr, Const: &Const{Str: "P1Y"}}}, `function ago: invalid ISO-8601 duration "P1Y"`},
		{"coalesce", []Arg{{Type: tStr}, {Type: tLong}}, "function coalesce: arguments must be of one type family"},
		{"jsonExtractScalar", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "$.a"}}, {Type: tStr, Const: &Const{Str: "MAP"}}}, `unsupported result type "MAP"`},
	}
	for _, tc := range cases {
		_, err := Bind(tc.fn, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Bind(%s): got %v, want %q", tc.fn, err, tc.want)
		}
	}
}

func TestNamesAndIsKnown(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Error("Names is not sorted")
	}
	for _, n := range names {
		if n != strings.ToLower(n) {
			t.Errorf("name %q is not lower-case", n)
		}
		if !IsKnown(n) {
			t.Errorf("IsKnown(%q) = false", n)
		}
	}
	for _, n := range []string{"toEpochSeconds", "toepochseconds", "to_epoch_seconds", "DATETRUNC", "date_trunc",
		"jsonExtractScalar", "json_extract_scalar", "splitPart", "split_part", "startsWith", "starts_with", "dayOfWeek"} {
		if !IsKnown(n) {
			t.Errorf("IsKnown(%q) = false", n)
		}
	}
	for _, n := range []string{"foo", "", "sum", "count"} {
		if IsKnown(n) {
			t.Errorf("IsKnown(%q) = true", n)
		}
	}
	names[0] = "mutated"
	if Names()[0] == "mutated" {
		t.Error("Names returns the registry's own slice")
	}
}

func TestCaseInsensitiveBind(t *testing.T) {
	for _, name := range []string{"toEpochSeconds", "toepochseconds", "TO_EPOCH_SECONDS"} {
		f, err := Bind(name, []Arg{{Type: tLong}})
		if err != nil {
			t.Fatalf("Bind(%s): %v", name, err)
		}
		if f.Name != "toepochseconds" || f.Type != tLong {
			t.Errorf("Bind(%s) = %s %s", name, f.Name, f.Type)
		}
	}
}

func TestEvalContract(t *testing.T) {
	f, err := Bind("upper", []Arg{{Type: tStr}})
	if err != nil {
		t.Fatal(err)
	}
	out := vec.New(tStr)
	if err := f.Eval(nil, 1, out); err == nil {
		t.Error("Eval with no argument vectors succeeded")
	}
	if err := f.Eval([]*vec.Vector{vec.New(tLong)}, 0, out); err == nil {
		t.Error("Eval with a LONG vector for a STRING argument succeeded")
	}
	short := vec.New(tStr)
	short.Reset(tStr, 2)
	if err := f.Eval([]*vec.Vector{short}, 5, out); err == nil {
		t.Error("Eval with a short vector succeeded")
	}
}

func TestNullConstantArgument(t *testing.T) {
	runCases(t, []fcase{
		{fn: "upper", args: []in{nullLit(tStr)}, typ: tStr, want: []any{nil}},
		{fn: "add", args: []in{col(tLong, 1, 2), nullLit(tLong)}, typ: tLong, want: []any{nil, nil}},
		{fn: "substring", args: []in{col(tStr, "abc"), nullLit(tLong)}, typ: tStr, want: []any{nil}},
	})
}

func TestOutputReuse(t *testing.T) {
	f, err := Bind("upper", []Arg{{Type: tStr}})
	if err != nil {
		t.Fatal(err)
	}
	a := vec.New(tStr)
	a.Reset(tStr, 3)
	a.Str[0], a.Str[1], a.Str[2] = "a", "", "c"
	a.SetNull(1)
	out := vec.New(tLong)
	if err := f.Eval([]*vec.Vector{a}, 3, out); err != nil {
		t.Fatal(err)
	}
	if out.Type != tStr || out.Str[0] != "A" || !out.IsNull(1) || out.Str[2] != "C" {
		t.Fatalf("first batch: %+v", out)
	}
	// second batch: no nulls; the previous null mask must not leak
	a.Reset(tStr, 2)
	a.Str[0], a.Str[1] = "x", "y"
	if err := f.Eval([]*vec.Vector{a}, 2, out); err != nil {
		t.Fatal(err)
	}
	if out.Nulls != nil || out.Str[0] != "X" || out.Str[1] != "Y" || out.Len() != 2 {
		t.Fatalf("second batch: %+v", out)
	}
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset(tStr, 2)
		a.Str[0], a.Str[1] = "X", "Y"
		a.SetNull(1)
		_ = f.Eval([]*vec.Vector{a}, 2, out)
	})
	// a.SetNull allocates the input's mask; the output reuses its own.
	if allocs > 2 {
		t.Errorf("upper of upper-case strings: %v allocations per batch", allocs)
	}
}

func TestEveryFunctionBindsAndPropagatesNulls(t *testing.T) {
	// A smoke test over the registry: each function bound with plausible
	// arguments must evaluate a batch holding a null without panicking.
	samples := map[string][]in{
		"datetimeconvert":   {col(tLong, int64(0), nil), slit("1:MILLISECONDS:EPOCH"), slit("1:DAYS:EPOCH"), slit("1:DAYS")},
		"cast":              {col(tLong, int64(1), nil), slit("STRING")},
		"extract":           {slit("YEAR"), col(tTS, int64(0), nil)},
		"datetrunc":         {slit("day"), col(tTS, int64(0), nil)},
		"todatetime":        {col(tLong, int64(0), nil), slit("yyyy")},
		"fromdatetime":      {col(tStr, "2024", nil), slit("yyyy")},
		"jsonextractscalar": {col(tStr, `{"a":1}`, nil), slit("$.a"), slit("LONG"), ilit(0)},
		"now":               {},
		"ago":               {slit("PT1H")},
	}
	var skipped []string
	defer func() {
		if len(skipped) > 0 {
			t.Errorf("no sample arguments for %v", skipped)
		}
	}()
	for _, name := range Names() {
		s := registry().byKey[canonical(name)]
		if s.names[0] != name {
			continue
		}
		args, ok := samples[name]
		if !ok {
			args = guessArgs(s)
		}
		if args == nil {
			skipped = append(skipped, name)
			continue
		}
		if _, err := eval(name, args...); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// guessArgs builds arguments for a function from its first argument's
// family: strings for string functions, numbers otherwise.
func guessArgs(s *spec) []in {
	n := s.min
	if n == 0 {
		return []in{}
	}
	for _, a := range [][]in{
		{col(tStr, "a,b", nil), slit(","), ilit(1), slit("x"), ilit(0), slit("i")},
		{col(tDouble, 2.5, nil), col(tDouble, 1.5, 2.0), col(tDouble, 1.0, 1.0)},
		{col(tLong, int64(1500), nil), ilit(2), ilit(3)},
		{col(tStr, `{"a":1}`, nil), slit("$.a"), slit("0")},
		{col(tStr, "abc", nil), ilit(2), ilit(3)},
		{col(tBytes, "abc", nil)},
	} {
		if n > len(a) {
			continue
		}
		args := a[:n]
		if _, err := eval(s.names[0], args...); err == nil {
			return args
		}
	}
	return nil
}

func TestRegistryCovers(t *testing.T) {
	for _, name := range []string{"cast", "add", "plus", "sub", "minus", "mult", "times", "div", "divide", "mod", "abs",
		"ceil", "ceiling", "floor", "round", "sqrt", "exp", "ln", "log10", "log2", "power", "pow", "sign", "greatest",
		"least", "truncate", "upper", "lower", "concat", "substring", "substr", "length", "char_length", "trim", "ltrim",
		"rtrim", "replace", "reverse", "strpos", "position", "instr", "startswith", "starts_with", "endswith", "lpad",
		"rpad", "left", "right", "split_part", "splitpart", "regexp_extract", "regexp_replace", "regexp_like",
		"contains", "md5", "sha256", "to_utf8", "coalesce", "nullif", "ifnull", "datetrunc", "datetimeconvert",
		"toEpochSeconds", "toEpochMinutes", "toEpochHours", "toEpochDays", "toEpochSecondsRounded",
		"toEpochDaysBucket", "fromEpochSeconds", "fromEpochMinutes", "fromEpochHours", "fromEpochDays",
		"fromEpochDaysBucket", "toDateTime", "fromDateTime", "year", "quarter", "month", "week", "weekOfYear",
		"dayOfWeek", "dow", "dayOfYear", "doy", "dayOfMonth", "day", "hour", "minute", "second", "millisecond",
		"extract", "now", "ago", "jsonExtractScalar", "json_extract_scalar", "jsonPathString", "jsonPathLong",
		"jsonPathDouble", "jsonExtractKey"} {
		if !IsKnown(name) {
			t.Errorf("%s is not registered", name)
		}
	}
	_ = schema.TypeInvalid
}
