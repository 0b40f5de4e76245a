package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "malformed JSON at line 1, column 1: empty document"},
		{"blank", " \n ", "malformed JSON at line 2, column 2: empty document"},
		{"missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", `malformed JSON at line 3, column 3: unexpected '"' after object member, expecting ',' or '}'`},
		{"trailing comma", "{\"a\": [1, 2,]}", `malformed JSON at line 1, column 13: unexpected ']', expecting a value`},
		{"unquoted key", "{a: 1}", `malformed JSON at line 1, column 2: unexpected 'a', expecting an object key string`},
		{"missing colon", `{"a" 1}`, `malformed JSON at line 1, column 6: unexpected '1' after object key "a", expecting ':'`},
		{"unterminated string", "{\"a\": \"abc", "malformed JSON at line 1, column 7: unterminated string"},
		{"bad escape", `["\x"]`, `malformed JSON at line 1, column 3: invalid escape "\\x" in string`},
		{"bad unicode escape", `["\u12g4"]`, `malformed JSON at line 1, column 3: invalid \u escape in string`},
		{"control char", "[\"a\tb\"]", "malformed JSON at line 1, column 4: control character 0x09 in string"},
		{"leading zero", "[01]", "malformed JSON at line 1, column 3: invalid number, unexpected '1'"},
		{"bare minus", "[-]", "malformed JSON at line 1, column 3: invalid number, expecting a digit"},
		{"dot without digits", "[1.]", "malformed JSON at line 1, column 4: invalid number, expecting a digit after '.'"},
		{"bad exponent", "[1e+]", "malformed JSON at line 1, column 5: invalid number, expecting a digit in the exponent"},
		{"bad literal", "[tru]", `malformed JSON at line 1, column 2: invalid literal, expecting "true"`},
		{"literal prefix", "[nullx]", `malformed JSON at line 1, column 2: invalid literal, expecting "null"`},
		{"trailing data", "{} {}", `malformed JSON at line 1, column 4: unexpected '{' after the end of the document`},
		{"unclosed object", `{"a": 1`, `malformed JSON at line 1, column 8: unexpected end of input, expecting ',' or '}'`},
		{"unclosed array", `[1, 2`, `malformed JSON at line 1, column 6: unexpected end of input, expecting ',' or ']'`},
		{"duplicate key", "{\"a\": 1,\n \"a\": 2}", `malformed JSON at line 2, column 2: duplicate key "a"`},
		{"invalid utf8", "[\"\xff\"]", "malformed JSON at line 1, column 3: invalid UTF-8 in string"},
		{"single quotes", "{'a': 1}", `malformed JSON at line 1, column 2: unexpected '\'', expecting an object key string`},
		{"too deep", strings.Repeat("[", maxDepth+2), "malformed JSON at line 1, column 1002: nesting deeper than 1000 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %q", tt.in, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.in, err, tt.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *SyntaxError", err)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	in := `{"s": "a\"b\u00e9", "n": -1.5e3, "t": true, "f": false, "z": null, "a": [1, {"k": []}], "o": {}}`
	v, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != Object || len(v.Members) != 7 {
		t.Fatalf("root: kind %v, %d members", v.Kind, len(v.Members))
	}
	keys := []string{"s", "n", "t", "f", "z", "a", "o"}
	for i, m := range v.Members {
		if m.Key != keys[i] {
			t.Errorf("member %d key %q, want %q (input order)", i, m.Key, keys[i])
		}
	}
	if got := v.Get("s").Str; got != "a\"bé" {
		t.Errorf("s = %q", got)
	}
	if got := string(v.Get("s").Raw); got != `"a\"b\u00e9"` {
		t.Errorf("s raw = %s", got)
	}
	if got := v.Get("n").Num; got != "-1.5e3" {
		t.Errorf("n = %q", got)
	}
	if !v.Get("t").Bool || v.Get("f").Bool || v.Get("z").Kind != Null {
		t.Error("literals decoded wrongly")
	}
	if v.Get("missing") != nil || !v.Get("missing").IsNull() {
		t.Error("missing key must be nil and null")
	}
	a := v.Get("a")
	if a.Kind != Array || len(a.Elems) != 2 || a.Elems[1].Get("k").Kind != Array {
		t.Errorf("a decoded wrongly: %+v", a)
	}
	if got := string(a.Elems[1].Raw); got != `{"k": []}` {
		t.Errorf("a[1] raw = %s", got)
	}
	if got, want := a.Off, strings.Index(in, "[1,"); got != want {
		t.Errorf("a offset %d, want %d", got, want)
	}
	if got := string(v.Compact()); got != `{"s":"a\"b\u00e9","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,{"k":[]}],"o":{}}` {
		t.Errorf("compact = %s", got)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {6, 3, 1}, {7, 4, 1}, {8, 4, 2}, {100, 4, 3},
	}
	for _, tt := range tests {
		l, c := LineCol(data, tt.off)
		if l != tt.line || c != tt.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestDistanceAndNearest(t *testing.T) {
	dist := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"abc", "abc", 0},
		{"replicaton", "replication", 1}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"ca", "abc", 3}, {"dimensionFieldSpec", "dimensionFieldSpecs", 1},
		{"héllo", "hello", 1},
	}
	for _, tt := range dist {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	known := []string{"schemaName", "dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs", "primaryKeyColumns"}
	near := []struct{ in, want string }{
		{"dimensionFieldSpec", "dimensionFieldSpecs"},
		{"SchemaName", "schemaName"}, // case-insensitive match wins
		{"schemaname", "schemaName"}, // ditto
		{"metricFieldSpec", "metricFieldSpecs"},
		{"primaryKeyColumn", "primaryKeyColumns"},
		{"dateTimeFeildSpecs", "dateTimeFieldSpecs"}, // transposition
		{"dimension", "dimensionFieldSpecs"},         // a prefix
		{"foo", ""},                                  // nothing close
		{"x", ""},
	}
	for _, tt := range near {
		if got := Nearest(tt.in, known); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Nearest("a", nil); got != "" {
		t.Errorf("Nearest with no candidates = %q", got)
	}
}

func TestCheckKeys(t *testing.T) {
	v, err := Parse([]byte(`{"replication": "1", "replicaton": "2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKeys(v, "segmentsConfig", []string{"replication"}, []string{"replicaton"}); err != nil {
		t.Errorf("keys from two lists: %v", err)
	}
	err = CheckKeys(v, "segmentsConfig", []string{"replication", "timeColumnName"})
	want := `unknown field "replicaton" at segmentsConfig; did you mean "replication"?`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	var u *UnknownFieldError
	if !errors.As(err, &u) || u.Key != "replicaton" || u.Path != "segmentsConfig" || u.Suggestion != "replication" {
		t.Errorf("UnknownFieldError fields: %+v", u)
	}
	u.Hint = "it belongs elsewhere"
	if got := u.Error(); got != want+"; it belongs elsewhere" {
		t.Errorf("with hint: %s", got)
	}
	err = CheckKeys(v, "", []string{"zzzzzzzzzz"})
	if err == nil || err.Error() != `unknown field "replication" at top level` {
		t.Errorf("top level, no suggestion: %v", err)
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		build func() string
		want  string
		steps []Step
	}{
		{func() string { return JoinKey("", "a") }, "a", []Step{{Key: "a"}}},
		{func() string { return JoinKey(JoinKey("", "a"), "b") }, "a.b", []Step{{Key: "a"}, {Key: "b"}}},
		{func() string { return JoinKey(Index("a", 2), "b") }, "a[2].b", []Step{{Key: "a"}, {Index: 2, IsIndex: true}, {Key: "b"}}},
		{func() string { return JoinKey(JoinKey("m", "x.y"), "f") }, `m["x.y"].f`, []Step{{Key: "m"}, {Key: "x.y"}, {Key: "f"}}},
		{func() string { return JoinKey("m", `q"[]`) }, `m["q\"[]"]`, []Step{{Key: "m"}, {Key: `q"[]`}}},
		{func() string { return JoinKey("", "") }, `[""]`, []Step{{Key: ""}}},
		{func() string { return JoinKey("a", "$docId") }, "a.$docId", []Step{{Key: "a"}, {Key: "$docId"}}},
	}
	for _, tt := range tests {
		got := tt.build()
		if got != tt.want {
			t.Errorf("built %q, want %q", got, tt.want)
		}
		steps, err := SplitPath(got)
		if err != nil {
			t.Errorf("SplitPath(%q): %v", got, err)
			continue
		}
		if len(steps) != len(tt.steps) {
			t.Errorf("SplitPath(%q) = %+v, want %+v", got, steps, tt.steps)
			continue
		}
		for i := range steps {
			if steps[i] != tt.steps[i] {
				t.Errorf("SplitPath(%q)[%d] = %+v, want %+v", got, i, steps[i], tt.steps[i])
			}
		}
	}
	for _, bad := range []string{".a", "a.", "a..b", "a[", "a[x]", "a[-1]", `a["x`, `a["x"`, "a.[1]"} {
		if _, err := SplitPath(bad); err == nil {
			t.Errorf("SplitPath(%q) succeeded", bad)
		}
	}
	if Where("") != "top level" || Where("a.b") != "a.b" {
		t.Error("Where")
	}
}

func TestAccessors(t *testing.T) {
	v, err := Parse([]byte(`{"s": "x", "n": 3, "ns": " 7 ", "f": 1.5, "b": true, "bs": "FALSE", "z": null,
		"a": ["p", "q"], "am": ["p", 1], "m": {"k": "v", "n": 10000, "t": true}, "mn": {"k": null}, "o": {"x": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	str := func(k string) (any, error) { return v.Get(k).AsString(k) }
	text := func(k string) (any, error) { s, _, err := v.Get(k).AsText(k); return s, err }
	intv := func(k string) (any, error) { n, _, err := v.Get(k).AsInt(k); return n, err }
	boolv := func(k string) (any, error) { return v.Get(k).AsBool(k) }
	strs := func(k string) (any, error) { return v.Get(k).AsStrings(k) }
	tests := []struct {
		name string
		fn   func(string) (any, error)
		key  string
		want any
		werr string
	}{
		{"string", str, "s", "x", ""},
		{"string of null", str, "z", "", ""},
		{"string of missing", str, "missing", "", ""},
		{"string of number", str, "n", "", "n: expected a string, got number 3"},
		{"text of string", text, "s", "x", ""},
		{"text of number", text, "f", "1.5", ""},
		{"text of bool", text, "b", "true", ""},
		{"text of object", text, "o", "", "o: expected a string, number or boolean, got object"},
		{"int of number", intv, "n", 3, ""},
		{"int of string", intv, "ns", 7, ""},
		{"int of float", intv, "f", 0, "f: expected a 32-bit integer, got number 1.5"},
		{"int of bool", intv, "b", 0, "b: expected an integer, got boolean true"},
		{"bool", boolv, "b", true, ""},
		{"bool of string", boolv, "bs", false, ""},
		{"bool of word", boolv, "s", false, `s: expected a boolean, got string "x"`},
		{"strings", strs, "a", []string{"p", "q"}, ""},
		{"strings mixed", strs, "am", nil, "am[1]: expected a string, got number 1"},
		{"strings of object", strs, "o", nil, "o: expected an array, got object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn(tt.key)
			if tt.werr != "" {
				if err == nil || err.Error() != tt.werr {
					t.Fatalf("error %v, want %s", err, tt.werr)
				}
				var te *TypeError
				if !errors.As(err, &te) {
					t.Errorf("error %T is not a *TypeError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(tt.want)
			if !bytes.Equal(gb, wb) {
				t.Errorf("got %s, want %s", gb, wb)
			}
		})
	}
	m, err := v.Get("m").AsStringMap("m")
	if err != nil || len(m) != 3 || m["k"] != "v" || m["n"] != "10000" || m["t"] != "true" {
		t.Errorf("AsStringMap = %v, %v", m, err)
	}
	if _, err := v.Get("mn").AsStringMap("mn"); err == nil || err.Error() != "mn.k: expected a string, got null" {
		t.Errorf("AsStringMap with null value: %v", err)
	}
	if _, n, _ := v.Get("z").AsInt("z"); n {
		t.Error("AsInt of null reports ok")
	}
}

func TestIsEmpty(t *testing.T) {
	for in, want := range map[string]bool{
		`null`: true, `false`: true, `""`: true, `0`: true, `0.0`: true, `[]`: true, `{}`: true,
		`{"customConfigs": {}}`: true, `{"a": {"b": [], "c": false}}`: true,
		`true`: false, `"x"`: false, `1`: false, `[0]`: false, `{"a": 1}`: false,
	} {
		v, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.IsEmpty(); got != want {
			t.Errorf("IsEmpty(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestMarshalAndSetPath(t *testing.T) {
	root := &Obj{}
	root.Set("b", "x<y")
	root.Set("a", 1)
	root.Set("b", "replaced keeps position")
	inner := &Obj{}
	inner.Set("name", "f")
	root.Set("list", []any{inner, int64(-2), 1.5, nil, true, []string{"p"}})
	for _, p := range []struct{ path, raw string }{
		{"list[0].extra", `{"k" : [1, 2]}`},
		{"new.deep.key", `"v"`},
		{`m["a.b"].c`, `3`},
	} {
		if err := root.SetPath(p.path, json.RawMessage(p.raw)); err != nil {
			t.Fatalf("SetPath(%q): %v", p.path, err)
		}
	}
	got, err := Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "b": "replaced keeps position",
  "a": 1,
  "list": [
    {
      "name": "f",
      "extra": {
        "k": [
          1,
          2
        ]
      }
    },
    -2,
    1.5,
    null,
    true,
    [
      "p"
    ]
  ],
  "new": {
    "deep": {
      "key": "v"
    }
  },
  "m": {
    "a.b": {
      "c": 3
    }
  }
}
`
	if string(got) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	if s, _ := Marshal("a<b&c"); string(s) != "\"a<b&c\"\n" {
		t.Errorf("strings are not HTML-escaped: %s", s)
	}
	for _, bad := range []string{"[0]", "list[9].x", "list.x", "a.b", "new[0]"} {
		if err := root.SetPath(bad, json.RawMessage(`1`)); err == nil {
			t.Errorf("SetPath(%q) succeeded", bad)
		}
	}
	if _, err := Marshal(math.Inf(1)); err == nil {
		t.Error("Marshal(+Inf) succeeded")
	}
	if _, err := Marshal(struct{}{}); err == nil {
		t.Error("Marshal of an unsupported type succeeded")
	}
}

// FuzzParse checks Parse against encoding/json: both accept the same
// documents (save duplicate keys and invalid UTF-8, which Parse rejects as
// Jackson does), and an accepted
// document's compact form is encoding/json's.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a": [1, 2.5e-3, "x\u00e9", true, null]}`, `{"a": 1, "a": 2}`, `"\ud800"`, `-0`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		valid := json.Valid(data)
		if err == nil {
			if !valid {
				t.Fatalf("Parse accepted %q, which encoding/json rejects", data)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil {
				t.Fatal(err)
			}
			if got := v.Compact(); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("Compact = %s, want %s", got, want.Bytes())
			}
			return
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("error %T is not a *SyntaxError", err)
		}
		if valid && !strings.Contains(se.Msg, "duplicate key") && !strings.Contains(se.Msg, "nesting deeper") && !strings.Contains(se.Msg, "invalid UTF-8") {
			t.Fatalf("Parse rejected valid %q: %v", data, err)
		}
	})
}
