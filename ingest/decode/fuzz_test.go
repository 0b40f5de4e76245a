package decode

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const fuzzSchema = `{
  "schemaName": "f",
  "dimensionFieldSpecs": [
    {"name": "s", "dataType": "STRING", "maxLength": 100000},
    {"name": "j", "dataType": "JSON", "maxLength": 100000},
    {"name": "tags", "dataType": "STRING", "singleValueField": false}
  ],
  "metricFieldSpecs": [{"name": "n", "dataType": "DOUBLE"}]
}`

// FuzzJSONDecode checks that the decoder never panics, accepts every
// valid JSON object (rejecting values only for their types), and reads
// strings as encoding/json does.
func FuzzJSONDecode(f *testing.F) {
	for _, seed := range []string{
		`{"s": "a\"b\\u00e9", "n": 1.5e3, "j": {"x": [1, null]}, "tags": ["a", "b"]}`,
		`{"s": null, "other": {"deep": [[["x"]]]}}`,
		`{"n": "12", "s": 12}`, `{}`, `[]`, `{"s": "\ud83d\ude00"}`, `{"s":"x"} `, `{"s" "x"}`,
	} {
		f.Add([]byte(seed))
	}
	s := mustSchema(f, fuzzSchema)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := NewBatch(s, 4)
		if err != nil {
			t.Fatal(err)
		}
		d := NewJSONDecoder(b)
		derr := d.Decode(1, data)
		var de *Error
		if derr != nil && !errors.As(derr, &de) {
			t.Fatalf("error %v is not a *decode.Error", derr)
		}
		if (derr == nil) != (b.Len() == 1) {
			t.Fatalf("error %v with %d rows", derr, b.Len())
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil || depth(data) > 60 {
			return
		}
		if derr != nil && de.Reason == ReasonMalformedJSON && de.Column == "" {
			t.Fatalf("valid JSON object %q rejected: %v", data, derr)
		}
		raw, ok := obj["s"]
		ok = ok && string(raw) != "null"
		if derr != nil || !ok {
			return
		}
		var want string
		if json.Unmarshal(raw, &want) != nil || !utf8.ValidString(want) || strings.ContainsRune(want, 0) || bytes.Count(data, []byte(`"s"`)) > 1 {
			return
		}
		rs := collect(t, b)
		if got := rs.value("s", 0); got != want {
			t.Fatalf("s = %q, encoding/json reads %q", got, want)
		}
	})
}

func depth(data []byte) int {
	d, m := 0, 0
	for _, c := range data {
		switch c {
		case '[', '{':
			d++
			m = max(m, d)
		case ']', '}':
			d--
		}
	}
	return m
}

// FuzzCSVSplit checks the splitter against encoding/csv on single-line
// records that encoding/csv reads.
func FuzzCSVSplit(f *testing.F) {
	for _, seed := range []string{`a,b,c`, `"a,b","x""y",`, `,,`, `"",x`, `a"b,c`, `"open`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var sp CSVSplitter
		fields, quoted, err := sp.Split(rec)
		if err == nil && len(fields) != len(quoted) {
			t.Fatalf("%d fields, %d quoted flags", len(fields), len(quoted))
		}
		if bytes.ContainsAny(rec, "\r\n") || len(rec) == 0 {
			return
		}
		r := csv.NewReader(bytes.NewReader(rec))
		r.FieldsPerRecord = -1
		want, werr := r.Read()
		if werr != nil {
			return
		}
		if err != nil {
			t.Fatalf("%q: %v; encoding/csv reads %q", rec, err, want)
		}
		got := make([]string, len(fields))
		for i, f := range fields {
			got[i] = string(f)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: split %q, encoding/csv %q", rec, got, want)
		}
	})
}
