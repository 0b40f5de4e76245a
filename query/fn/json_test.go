package fn

import (
	"math"
	"testing"
)

func TestJSONFunctions(t *testing.T) {
	doc := `{"a":{"b":42,"c":"x","d":1.5,"e":true,"f":null,"g":[1,2,3],"h":{"z":1,"y":2}},"ts":"2024-01-02T03:04:05Z","big":12345678901234,"s":"7"}`
	docs := func() in { return col(tStr, doc, `{}`, `not json`, "", nil) }
	runCases(t, []fcase{
		{name: "scalar long", fn: "jsonExtractScalar", args: []in{col(tStr, doc, doc), slit("$.a.b"), slit("LONG")}, typ: tLong, want: []any{42, 42}},
		{name: "scalar missing no default", fn: "jsonExtractScalar", args: []in{docs(), slit("$.a.b"), slit("LONG")}, err: `cannot resolve JSON path "$.a.b"`},
		{name: "scalar default", fn: "json_extract_scalar", args: []in{docs(), slit("$.a.b"), slit("INT"), slit("-1")}, typ: tInt, want: []any{42, -1, -1, -1, nil}},
		{name: "scalar null default", fn: "jsonextractscalar", args: []in{docs(), slit("$.a.b"), slit("LONG"), nullLit(tStr)}, typ: tLong, want: []any{42, nil, nil, nil, nil}},
		{name: "scalar string of number", fn: "jsonExtractScalar", args: []in{col(tJSON, doc), slit("$.a.d"), slit("STRING")}, typ: tStr, want: []any{"1.5"}},
		{name: "scalar string of string", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$['a']['c']"), slit("STRING")}, typ: tStr, want: []any{"x"}},
		{name: "scalar string of bool", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.e"), slit("STRING")}, typ: tStr, want: []any{"true"}},
		{name: "scalar string of array", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.g"), slit("STRING")}, typ: tStr, want: []any{"[1,2,3]"}},
		{name: "scalar string of object", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.h"), slit("STRING")}, typ: tStr, want: []any{`{"y":2,"z":1}`}},
		{name: "scalar json", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.g[1]"), slit("JSON")}, typ: tJSON, want: []any{"2"}},
		{name: "scalar double value", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.d"), slit("DOUBLE")}, typ: tDouble, want: []any{1.5}},
		{name: "scalar float", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.b"), slit("FLOAT")}, typ: tFloat, want: []any{42.0}},
		{name: "scalar long of double", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.d"), slit("LONG")}, typ: tLong, want: []any{1}},
		{name: "scalar long of string", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.s"), slit("LONG")}, typ: tLong, want: []any{7}},
		{name: "scalar big", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.big"), slit("LONG")}, typ: tLong, want: []any{int64(12345678901234)}},
		{name: "scalar boolean value", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.e"), slit("BOOLEAN")}, typ: tBool, want: []any{true}},
		{name: "scalar timestamp", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.ts"), slit("TIMESTAMP")}, typ: tTS, want: []any{ms("2024-01-02 03:04:05")}},
		{name: "scalar decimal", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.d"), slit("BIG_DECIMAL")}, typ: tDec, want: []any{"1.5"}},
		{name: "scalar json null is missing", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.f"), slit("STRING"), slit("none")}, typ: tStr, want: []any{"none"}},
		{name: "scalar wildcard", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.g[*]"), slit("STRING")}, typ: tStr, want: []any{"[1,2,3]"}},
		{name: "scalar bad default", fn: "jsonExtractScalar", args: []in{col(tStr, doc), slit("$.a.b"), slit("LONG"), slit("abc")}, err: "default abc is not a LONG"},

		{fn: "jsonPathString", args: []in{docs(), slit("$.a.c")}, typ: tStr, want: []any{"x", nil, nil, nil, nil}},
		{name: "jsonPathString default", fn: "jsonPathString", args: []in{docs(), slit("$.a.c"), slit("d")}, typ: tStr, want: []any{"x", "d", "d", "d", "d"}},
		{name: "jsonPathString number", fn: "jsonPathString", args: []in{col(tStr, doc), slit("$.a.b")}, typ: tStr, want: []any{"42"}},
		{fn: "jsonPathLong", args: []in{docs(), slit("$.a.b")}, typ: tLong, want: []any{42, int64(math.MinInt64), int64(math.MinInt64), int64(math.MinInt64), nil}},
		{name: "jsonPathLong default", fn: "jsonPathLong", args: []in{docs(), slit("$.a.b"), ilit(0)}, typ: tLong, want: []any{42, 0, 0, 0, 0}},
		{fn: "jsonPathDouble", args: []in{docs(), slit("$.a.d")}, typ: tDouble, want: []any{1.5, math.NaN(), math.NaN(), math.NaN(), nil}},
		{name: "jsonPathDouble default", fn: "jsonPathDouble", args: []in{col(tStr, doc, "{}"), slit("$.a.d"), lit(tDouble, -1.0)}, typ: tDouble, want: []any{1.5, -1.0}},
		{name: "jsonPath root", fn: "jsonPathString", args: []in{col(tStr, `[1,"a"]`), slit("$[1]")}, typ: tStr, want: []any{"a"}},

		{fn: "jsonExtractKey", args: []in{col(tStr, `{"a":1,"b":{"c":2}}`, `[5,6]`, "bad", nil), slit("$.*")}, typ: tJSON,
			want: []any{`["$['a']","$['b']"]`, `["$[0]","$[1]"]`, `[]`, nil}},
		{name: "jsonExtractKey deep", fn: "jsonExtractKey", args: []in{col(tStr, `{"a":{"b":1}}`), slit("$.a.b")}, typ: tJSON, want: []any{`["$['a']['b']"]`}},
		{name: "path not constant", fn: "jsonPathString", args: []in{col(tStr, doc), col(tStr, "$.a")}, err: "argument 2 (JSON path) must be a constant string"},
		{name: "json doc type", fn: "jsonPathString", args: []in{col(tLong, 1), slit("$.a")}, err: "argument 1 must be a JSON string, got LONG"},
	})
}

func TestJSONExtractIsDefinite(t *testing.T) {
	c := &call{name: "t", args: []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "$.a[0].b"}}}}
	p, err := compileJSONPath(c, 1)
	if err != nil || !p.definite {
		t.Errorf("$.a[0].b: %v definite=%v", err, p != nil && p.definite)
	}
	c.args[1].Const.Str = "$..b"
	if p, err := compileJSONPath(c, 1); err != nil || p.definite {
		t.Errorf("$..b: %v definite=%v", err, p != nil && p.definite)
	}
}
