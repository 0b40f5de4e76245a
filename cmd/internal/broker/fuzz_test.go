package broker

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseBody: any body either parses or gives a JSON/SQL-parsing
// error, never a panic; what parses has the sql the JSON holds.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		`{"sql":"SELECT 1 FROM t","queryOptions":"groupByMode=sql;responseFormat=sql","trace":"true"}`,
		`{"sql":"x","trace":true}`, `{"sql":`, `[]`, `{"sql":null}`, `{"sql":"x","queryOptions":"a=b=c;;d"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, qe := parseBody(body)
		if qe != nil {
			if qe.Code != codeJSONParsing && qe.Code != codeSQLParsing {
				t.Fatalf("code %d", qe.Code)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err == nil {
			if s, ok := m["sql"].(string); ok && s != req.SQL {
				t.Fatalf("sql %q, body has %q", req.SQL, s)
			}
		}
		for k := range req.Options {
			if k != strings.ToLower(k) {
				t.Fatalf("option key %q not lower-cased", k)
			}
		}
	})
}

// FuzzAppendString: every string encodes to JSON that decodes back to it
// (invalid UTF-8 as U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c\n", "\xff\xfe", "é\u2028\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := validUTF8(s); got != want {
			t.Fatalf("%q round-trips to %q", s, got)
		}
	})
}

// validUTF8 replaces each byte of invalid UTF-8 with U+FFFD, as
// encoding/json and appendString do.
func validUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
