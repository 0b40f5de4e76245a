package fn

import (
	"testing"
)

func TestStringFunctions(t *testing.T) {
	runCases(t, []fcase{
		{fn: "upper", args: []in{col(tStr, "abc", "", "ÄbÇ", nil, "ß")}, typ: tStr, want: []any{"ABC", "", "ÄBÇ", nil, "ß"}},
		{fn: "lower", args: []in{col(tStr, "ABC", "ÉCOLE", nil)}, typ: tStr, want: []any{"abc", "école", nil}},
		{name: "upper json", fn: "upper", args: []in{col(tJSON, `{"a":1}`)}, typ: tStr, want: []any{`{"A":1}`}},
		{fn: "reverse", args: []in{col(tStr, "abc", "", "héllo", "a")}, typ: tStr, want: []any{"cba", "", "olléh", "a"}},
		{name: "concat", fn: "concat", args: []in{col(tStr, "a", nil, nil), col(tStr, "b", "x", nil)}, typ: tStr, want: []any{"ab", "x", ""}},
		{name: "concat mixed", fn: "concat", args: []in{col(tStr, "n="), col(tLong, 42), slit("/"), col(tDouble, 1.5), col(tBool, true)}, typ: tStr, want: []any{"n=42/1.5true"}},
		{name: "concat null literal", fn: "concat", args: []in{col(tStr, "a"), nullLit(tStr), slit("c")}, typ: tStr, want: []any{"ac"}},

		// SQL substring, 1-based (DuckDB oracle)
		{name: "substring", fn: "substring", args: []in{col(tStr, "hello", "hello", "hello", "hello", "héllo", "", nil), col(tLong, 2, 0, -3, 10, 2, 1, 1), col(tLong, 3, 2, 2, 2, 2, 1, 1)},
			typ: tStr, want: []any{"ell", "h", "ll", "", "él", "", nil}},
		{name: "substring 2 args", fn: "substring", args: []in{col(tStr, "hello", "hello"), col(tInt, 2, -2)}, typ: tStr, want: []any{"ello", "lo"}},
		{name: "substring negative length", fn: "substring", args: []in{col(tStr, "hello"), ilit(2), ilit(-1)}, typ: tStr, want: []any{""}},
		{name: "substring double position", fn: "substring", args: []in{col(tStr, "hello"), lit(tDouble, 2.0), lit(tDouble, 2.0)}, typ: tStr, want: []any{"el"}},
		// Pinot substr, 0-based, end exclusive
		{name: "substr", fn: "substr", args: []in{col(tStr, "hello", "hello", "hello", "hello", "hello"), col(tInt, 1, 0, -3, 4, 2), col(tInt, 3, -1, -1, 2, -2)},
			typ: tStr, want: []any{"el", "hello", "llo", "", "l"}},
		{name: "substr 2 args", fn: "substr", args: []in{col(tStr, "hello", "hello", "héllo"), col(tInt, 2, 9, 1)}, typ: tStr, want: []any{"llo", "", "éllo"}},

		{fn: "length", args: []in{col(tStr, "hello", "", "héllo", "😀", nil)}, typ: tInt, want: []any{5, 0, 5, 1, nil}},
		{fn: "char_length", args: []in{col(tStr, "héllo")}, typ: tInt, want: []any{5}},
		{fn: "octet_length", args: []in{col(tStr, "héllo")}, typ: tInt, want: []any{6}},
		{fn: "trim", args: []in{col(tStr, "  a b  ", "\t\nx\r ", "", "   ")}, typ: tStr, want: []any{"a b", "x", "", ""}},
		{fn: "ltrim", args: []in{col(tStr, "  a  ")}, typ: tStr, want: []any{"a  "}},
		{fn: "rtrim", args: []in{col(tStr, "  a  ")}, typ: tStr, want: []any{"  a"}},
		{name: "trim chars", fn: "trim", args: []in{col(tStr, "xxaxx"), slit("x")}, typ: tStr, want: []any{"a"}},
		{name: "trim sql leading", fn: "trim", args: []in{slit("LEADING"), slit("x"), col(tStr, "xxaxx")}, typ: tStr, want: []any{"axx"}},
		{name: "trim sql trailing", fn: "trim", args: []in{slit("TRAILING"), slit("xy"), col(tStr, "xxayx")}, typ: tStr, want: []any{"xxa"}},
		{name: "trim bad end", fn: "trim", args: []in{slit("MIDDLE"), slit("x"), col(tStr, "x")}, err: "BOTH, LEADING or TRAILING"},
		{fn: "replace", args: []in{col(tStr, "aXbXc", "abc", "abc"), col(tStr, "X", "", "z"), col(tStr, "--", "y", "y")}, typ: tStr, want: []any{"a--b--c", "abc", "abc"}},
		{fn: "strpos", args: []in{col(tStr, "hello", "hello", "héllo", "hello"), col(tStr, "l", "z", "l", "")}, typ: tInt, want: []any{2, -1, 2, 0}},
		{name: "strpos instance", fn: "strpos", args: []in{col(tStr, "hello", "hello", "aaa", "hello"), col(tStr, "l", "l", "aa", "l"), col(tInt, 2, 3, 2, 0)}, typ: tInt, want: []any{3, -1, 1, -1}},
		{fn: "position", args: []in{col(tStr, "l", "z", "é"), col(tStr, "hello", "hello", "héllo")}, typ: tInt, want: []any{3, 0, 2}},
		{fn: "instr", args: []in{col(tStr, "hello", "hello"), col(tStr, "l", "z")}, typ: tInt, want: []any{3, 0}},
		{fn: "startswith", args: []in{col(tStr, "hello", "hello", ""), col(tStr, "he", "lo", "")}, typ: tBool, want: []any{true, false, true}},
		{fn: "starts_with", args: []in{col(tStr, "hello"), slit("h")}, typ: tBool, want: []any{true}},
		{fn: "endswith", args: []in{col(tStr, "hello", "hello", nil), col(tStr, "lo", "he", "x")}, typ: tBool, want: []any{true, false, nil}},
		{fn: "contains", args: []in{col(tStr, "hello", "hello"), col(tStr, "ell", "xyz")}, typ: tBool, want: []any{true, false}},
		{fn: "lpad", args: []in{col(tStr, "7", "hello", "ab", "é"), col(tInt, 3, 3, 5, 3), col(tStr, "0", "x", "xy", "ü")}, typ: tStr, want: []any{"007", "hello", "xyxab", "üüé"}},
		{fn: "rpad", args: []in{col(tStr, "7", "ab"), col(tInt, 3, 4), col(tStr, "0", "")}, typ: tStr, want: []any{"700", "ab  "}},
		{fn: "left", args: []in{col(tStr, "hello", "hello", "héllo", "hi"), col(tInt, 2, -2, 2, 5)}, typ: tStr, want: []any{"he", "", "hé", "hi"}},
		{fn: "right", args: []in{col(tStr, "hello", "hello", "héllo", "hi"), col(tInt, 2, -2, 4, 5)}, typ: tStr, want: []any{"lo", "", "éllo", "hi"}},
		// Pinot splitPart: 0-based, runs collapse, "null" out of range
		{name: "split_part", fn: "split_part", args: []in{
			col(tStr, "a,b,c", "a,b,c", "a,,b", ",a,b", "a,b,", "a,b,", "a,b,c", "a,b,c", "", "a", "a  b\tc", "a::b::c"),
			col(tStr, ",", ",", ",", ",", ",", ",", ",", ",", ",", ",", "", "::"),
			col(tInt, 0, 3, 1, 0, 2, -1, -1, -4, 0, 0, 2, 1)},
			typ: tStr, want: []any{"a", "null", "b", "a", "", "", "c", "null", "null", "a", "c", "b"}},
		{fn: "splitPart", args: []in{col(tStr, "x.y.z"), slit("."), ilit(-2)}, typ: tStr, want: []any{"y"}},
		{fn: "md5", args: []in{col(tStr, "abc", nil)}, typ: tStr, want: []any{"900150983cd24fb0d6963f7d28e17f72", nil}},
		{fn: "sha256", args: []in{col(tStr, "abc")}, typ: tStr, want: []any{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}},
		{fn: "sha256", args: []in{col(tBytes, "abc")}, typ: tStr, want: []any{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}},
		{fn: "to_utf8", args: []in{col(tStr, "é")}, typ: tBytes, want: []any{"é"}},
		{fn: "fromUtf8", args: []in{col(tBytes, "é")}, typ: tStr, want: []any{"é"}},
	})
}

func TestRegexpFunctions(t *testing.T) {
	runCases(t, []fcase{
		{fn: "regexp_like", args: []in{col(tStr, "abc123", "abc", nil), slit("[0-9]+")}, typ: tBool, want: []any{true, false, nil}},
		{name: "regexp_like anchored", fn: "regexpLike", args: []in{col(tStr, "abc", "xabc"), slit("^abc")}, typ: tBool, want: []any{true, false}},
		{name: "regexp_like flag", fn: "regexp_like", args: []in{col(tStr, "ABC"), slit("abc"), slit("i")}, typ: tBool, want: []any{true}},
		{name: "regexp_like varying", fn: "regexp_like", args: []in{col(tStr, "abc", "abc", "abc"), col(tStr, "b", "z", "b")}, typ: tBool, want: []any{true, false, true}},
		{name: "regexp_like varying bad", fn: "regexp_like", args: []in{col(tStr, "abc"), col(tStr, "(")}, err: `invalid pattern "("`},
		{fn: "regexp_extract", args: []in{col(tStr, "abc123", "xyz", nil), slit("([a-z]+)([0-9]+)"), ilit(2)}, typ: tStr, want: []any{"123", "", nil}},
		{name: "regexp_extract whole", fn: "regexpExtract", args: []in{col(tStr, "id=42;", "none"), slit("[0-9]+")}, typ: tStr, want: []any{"42", ""}},
		{name: "regexp_extract default", fn: "regexp_extract", args: []in{col(tStr, "xyz", "a1"), slit("([a-z])([0-9])"), ilit(1), slit("n/a")}, typ: tStr, want: []any{"n/a", "a"}},
		{name: "regexp_extract group missing", fn: "regexp_extract", args: []in{col(tStr, "a1"), slit("([a-z])"), ilit(3), slit("d")}, typ: tStr, want: []any{"d"}},
		{name: "regexp_extract optional group", fn: "regexp_extract", args: []in{col(tStr, "a"), slit("a(b)?"), ilit(1)}, typ: tStr, want: []any{nil}},
		{fn: "regexp_replace", args: []in{col(tStr, "aaa", "abc", nil), slit("a"), slit("b")}, typ: tStr, want: []any{"bbb", "bbc", nil}},
		{name: "regexp_replace groups", fn: "regexp_replace", args: []in{col(tStr, "2024-01-31"), slit(`(\d+)-(\d+)-(\d+)`), slit("$3/$2/$1x")}, typ: tStr, want: []any{"31/01/2024x"}},
		{name: "regexp_replace literal dollar", fn: "regexp_replace", args: []in{col(tStr, "a"), slit("a"), slit(`\$5`)}, typ: tStr, want: []any{"$5"}},
		{name: "regexp_replace start", fn: "regexp_replace", args: []in{col(tStr, "aaaa"), slit("a"), slit("b"), ilit(2)}, typ: tStr, want: []any{"aabb"}},
		{name: "regexp_replace occurrence", fn: "regexp_replace", args: []in{col(tStr, "aaaa", "xyz"), slit("a"), slit("b"), ilit(0), ilit(1)}, typ: tStr, want: []any{"abaa", "xyz"}},
		{name: "regexp_replace flag", fn: "regexp_replace", args: []in{col(tStr, "AaA"), slit("a"), slit("-"), ilit(0), ilit(-1), slit("i")}, typ: tStr, want: []any{"---"}},
	})
}

func TestCoalesceNullIf(t *testing.T) {
	runCases(t, []fcase{
		{fn: "coalesce", args: []in{col(tLong, nil, 2, nil), col(tLong, 1, 5, nil), col(tLong, 9, 9, nil)}, typ: tLong, want: []any{1, 2, nil}},
		{name: "coalesce literal", fn: "coalesce", args: []in{col(tStr, nil, "a"), slit("dflt")}, typ: tStr, want: []any{"dflt", "a"}},
		{name: "coalesce widen", fn: "coalesce", args: []in{col(tInt, nil, 2), col(tDouble, 1.5, 9.0)}, typ: tDouble, want: []any{1.5, 2.0}},
		{name: "coalesce null literal", fn: "coalesce", args: []in{nullLit(tLong), col(tLong, nil, 3)}, typ: tLong, want: []any{nil, 3}},
		{fn: "ifnull", args: []in{col(tDouble, nil, 1.0), lit(tDouble, 0.0)}, typ: tDouble, want: []any{0.0, 1.0}},
		{fn: "nullif", args: []in{col(tLong, 1, 2, nil), col(tLong, 1, 3, 1)}, typ: tLong, want: []any{nil, 2, nil}},
		{name: "nullif strings", fn: "nullif", args: []in{col(tStr, "a", "", "b"), slit("")}, typ: tStr, want: []any{"a", nil, "b"}},
		{name: "nullif mixed numbers", fn: "nullif", args: []in{col(tDouble, 1.0, 2.5), ilit(1)}, typ: tDouble, want: []any{nil, 2.5}},
		{name: "nullif null b", fn: "nullif", args: []in{col(tLong, 1), nullLit(tLong)}, typ: tLong, want: []any{1}},
		{name: "nullif mismatch", fn: "nullif", args: []in{col(tLong, 1), slit("a")}, err: "cannot compare LONG with STRING"},
	})
}

func TestSplitPartMatchesPinotCases(t *testing.T) {
	// Cases from Pinot's StringFunctionsTest.splitPart data provider.
	cases := []struct {
		s, d string
		i    int64
		want string
	}{
		{"org.apache.pinot.core.query.aggregation", ".", 3, "core"},
		{"+++++", "+", 0, ""},
		{"+++++", "+", 1, "null"},
		{"aa++bb", "+", 1, "bb"},
		{"aa++bb", "+", -1, "bb"},
		{"aa++bb++", "+", -1, ""},
		{"aa++bb++", "+", 2, ""},
		{"aa++bb++", "+", 3, "null"},
		{"", "+", 0, "null"},
		{"++", "++", 0, ""},
		{"org.apache.pinot.common.function", ".", -1, "function"},
		{"org.apache.pinot.common.function", ".", -10, "null"},
		{"org.apache.pinot.common.function", ".", 10, "null"},
		{"+++++", "+", -1, ""},
		{"+++++", "+", -2, "null"},
		{"+++++org++apache++", "", 0, "+++++org++apache++"},
		{"+++++org++apache++", "", 1, "null"},
	}
	for _, c := range cases {
		if got := splitPart(c.s, c.d, c.i); got != c.want {
			t.Errorf("splitPart(%q, %q, %d) = %q, want %q", c.s, c.d, c.i, got, c.want)
		}
	}
}

func TestJavaReplacement(t *testing.T) {
	for in, want := range map[string]string{
		"x":        "x",
		"$1":       "${1}",
		"$1x$2":    "${1}x${2}",
		`\$1`:      "$$1",
		"${name}":  "${name}",
		"cost: $":  "cost: $$",
		`a\\b`:     `a\b`,
		"$12abc$0": "${12}abc${0}",
	} {
		if got := javaReplacement(in); got != want {
			t.Errorf("javaReplacement(%q) = %q, want %q", in, got, want)
		}
	}
}
