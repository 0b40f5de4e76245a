package decode

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

const testSchema = `{
  "schemaName": "t",
  "dimensionFieldSpecs": [
    {"name": "i", "dataType": "INT"},
    {"name": "l", "dataType": "LONG"},
    {"name": "f", "dataType": "FLOAT"},
    {"name": "d", "dataType": "DOUBLE"},
    {"name": "b", "dataType": "BOOLEAN"},
    {"name": "ts", "dataType": "TIMESTAMP"},
    {"name": "s", "dataType": "STRING", "maxLength": 8},
    {"name": "j", "dataType": "JSON"},
    {"name": "by", "dataType": "BYTES"},
    {"name": "tags", "dataType": "STRING", "singleValueField": false},
    {"name": "nums", "dataType": "INT", "singleValueField": false}
  ],
  "metricFieldSpecs": [
    {"name": "m", "dataType": "LONG"},
    {"name": "bd", "dataType": "BIG_DECIMAL"}
  ],
  "dateTimeFieldSpecs": [
    {"name": "day", "dataType": "STRING", "format": "1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd", "granularity": "1:DAYS"},
    {"name": "t2", "dataType": "LONG", "format": "1:MILLISECONDS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm:ss", "granularity": "1:MILLISECONDS"}
  ]
}`

func mustSchema(t testing.TB, text string) *schema.Schema {
	t.Helper()
	s, _, err := schema.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return s
}

// rows collects the rows of a batch into builder buffers keyed by name.
type rows map[string]*segment.ColumnBuffer

func collect(t testing.TB, b *Batch) rows {
	t.Helper()
	s := b.Schema()
	bufs := make([]*segment.ColumnBuffer, len(s.Fields))
	out := rows{}
	for i := range s.Fields {
		bufs[i] = segment.NewColumnBuffer(&s.Fields[i])
		out[s.Fields[i].Name] = bufs[i]
	}
	b.AppendRows(bufs, b.Selection())
	return out
}

// value returns row r of a single-value column, nil when null.
func (rs rows) value(col string, r int) any {
	c := rs[col]
	if c.Nulls.Contains(uint32(r)) {
		return nil
	}
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		return c.Ints[r]
	case schema.StorageFloat64:
		return c.Floats[r]
	}
	return c.Strs[r]
}

// mv returns the values of row r of a multi-value column, nil when null.
func (rs rows) mv(col string, r int) any {
	c := rs[col]
	if c.Nulls.Contains(uint32(r)) {
		return nil
	}
	lo, hi := c.Offsets[r], c.Offsets[r+1]
	switch c.Spec.DataType.Storage() {
	case schema.StorageInt64:
		return c.Ints[lo:hi]
	}
	return c.Strs[lo:hi]
}

func decodeJSON(t testing.TB, s *schema.Schema, lines ...string) (rows, []error) {
	t.Helper()
	b, err := NewBatch(s, 16)
	if err != nil {
		t.Fatal(err)
	}
	d := NewJSONDecoder(b)
	var errs []error
	for i, l := range lines {
		errs = append(errs, d.Decode(int64(i+1), []byte(l)))
	}
	return collect(t, b), errs
}

func TestJSONTypes(t *testing.T) {
	s := mustSchema(t, testSchema)
	line := `{"i": 42, "l": -9000000000, "f": 1.5, "d": 2.25e3, "b": true, "ts": "2024-11-23 09:15:00",
		"s": "h\u00e9\"\\", "j": {"a": [1, 2], "b": {"c": null}}, "by": "CAFE", "tags": ["x", "y"],
		"nums": [1, 2, 3], "m": 7, "bd": 12.50, "day": "2024-11-23", "t2": "2024-11-23 09:15:00",
		"ignored": {"deep": [1, {"x": "}"}]}}`
	rs, errs := decodeJSON(t, s, line)
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	want := map[string]any{
		"i": int64(42), "l": int64(-9000000000), "f": 1.5, "d": 2250.0, "b": int64(1),
		"ts": int64(1732353300000), "s": "hé\"\\", "j": `{"a":[1,2],"b":{"c":null}}`,
		"by": "\xca\xfe", "m": int64(7), "bd": "12.50", "day": "2024-11-23", "t2": int64(1732353300000),
	}
	for col, w := range want {
		if got := rs.value(col, 0); got != w {
			t.Errorf("%s = %#v, want %#v", col, got, w)
		}
	}
	if got := rs.mv("tags", 0); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Errorf("tags = %v", got)
	}
	if got := rs.mv("nums", 0); !reflect.DeepEqual(got, []int64{1, 2, 3}) {
		t.Errorf("nums = %v", got)
	}
}

func TestJSONNulls(t *testing.T) {
	s := mustSchema(t, testSchema)
	rs, errs := decodeJSON(t, s,
		`{}`,
		`{"i": null, "s": null, "tags": [], "nums": null, "j": null}`,
		`{"tags": "solo", "nums": [null, 5]}`,
	)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := 0; r < 2; r++ {
		for _, col := range []string{"i", "l", "f", "s", "j", "m", "ts", "b"} {
			if rs.value(col, r) != nil {
				t.Errorf("row %d: %s = %v, want null", r, col, rs.value(col, r))
			}
		}
		if rs.mv("tags", r) != nil || rs.mv("nums", r) != nil {
			t.Errorf("row %d: tags %v nums %v, want null", r, rs.mv("tags", r), rs.mv("nums", r))
		}
	}
	// Null slots hold Pinot's default null values.
	checks := []struct {
		col  string
		want any
	}{
		{"i", int64(math.MinInt32)}, {"l", int64(math.MinInt64)}, {"m", int64(0)}, {"s", "null"}, {"ts", int64(0)},
	}
	for _, c := range checks {
		buf := rs[c.col]
		var got any
		switch buf.Spec.DataType.Storage() {
		case schema.StorageInt64:
			got = buf.Ints[0]
		default:
			got = buf.Strs[0]
		}
		if got != c.want {
			t.Errorf("default of %s = %#v, want %#v", c.col, got, c.want)
		}
	}
	if f := rs["f"].Floats[0]; !math.IsInf(f, -1) {
		t.Errorf("default of f = %v, want -Inf", f)
	}
	// A null multi-value document holds one default value.
	if c := rs["tags"]; c.Offsets[1]-c.Offsets[0] != 1 || c.Strs[0] != "null" {
		t.Errorf("null tags stored as %v %v", c.Offsets, c.Strs)
	}
	if got := rs.mv("tags", 2); !reflect.DeepEqual(got, []string{"solo"}) {
		t.Errorf("scalar into MV = %v", got)
	}
	if got := rs.mv("nums", 2); !reflect.DeepEqual(got, []int64{5}) {
		t.Errorf("MV with null element = %v", got)
	}
}

func TestJSONConversions(t *testing.T) {
	s := mustSchema(t, testSchema)
	cases := []struct {
		line string
		col  string
		want any
	}{
		{`{"i": "12"}`, "i", int64(12)},
		{`{"i": " 12 "}`, "i", int64(12)},
		{`{"i": 1.9}`, "i", int64(1)},
		{`{"i": -1.9}`, "i", int64(-1)},
		{`{"i": 1e3}`, "i", int64(1000)},
		{`{"l": 1e30}`, "l", int64(math.MaxInt64)},
		{`{"b": "TRUE"}`, "b", int64(1)},
		{`{"b": 0}`, "b", int64(0)},
		{`{"b": "1"}`, "b", int64(1)},
		{`{"d": "NaN"}`, "d", nil},
		{`{"d": -0.0}`, "d", 0.0},
		{`{"f": 0.1}`, "f", float64(float32(0.1))},
		{`{"d": "1.5d"}`, "d", 1.5},
		{`{"ts": 1732353300000}`, "ts", int64(1732353300000)},
		{`{"ts": "1732353300000"}`, "ts", int64(1732353300000)},
		{`{"ts": "2024-11-23T09:15:00Z"}`, "ts", int64(1732353300000)},
		{`{"ts": "2024-11-23 09:15:00.250"}`, "ts", int64(1732353300250)},
		{`{"ts": "2024-11-23"}`, "ts", int64(1732320000000)},
		{`{"s": 12.5}`, "s", "12.5"},
		{`{"s": true}`, "s", "true"},
		{`{"s": "abcdefghijkl"}`, "s", "abcdefgh"},
		{`{"s": "ab\u0000cd"}`, "s", "ab"},
		{`{"s": [1, "a"]}`, "s", `[1,"a"]`},
		{`{"j": "{\"already\": \"text\"}"}`, "j", `{"already": "text"}`},
		{`{"j": [ 1 , 2 ]}`, "j", `[1,2]`},
		{`{"by": ""}`, "by", ""},
		{`{"bd": "-1.5E+3"}`, "bd", "-1.5E+3"},
		{`{"t2": 1732353300000}`, "t2", int64(1732353300000)},
		{`{"i": 1, "i": 2}`, "i", int64(2)},
		{`{"s": "\ud83d\ude00"}`, "s", "😀"},
	}
	for _, c := range cases {
		rs, errs := decodeJSON(t, s, c.line)
		if errs[0] != nil {
			t.Errorf("%s: %v", c.line, errs[0])
			continue
		}
		if got := rs.value(c.col, 0); got != c.want {
			t.Errorf("%s: %s = %#v, want %#v", c.line, c.col, got, c.want)
		}
	}
}

func TestJSONErrors(t *testing.T) {
	s := mustSchema(t, testSchema)
	cases := []struct {
		line   string
		reason Reason
		msg    string
	}{
		{`{"i": "abc"}`, ReasonBadNumber, `column "i": value "abc": not an INT`},
		{`{"i": 3000000000}`, ReasonBadNumber, `column "i": value "3000000000": out of INT range`},
		{`{"d": "1,5"}`, ReasonBadNumber, `column "d": value "1,5": not a DOUBLE`},
		{`{"b": "yes"}`, ReasonBadBoolean, `column "b": value "yes": not a BOOLEAN (true, false, 1 or 0)`},
		{`{"ts": "23.11.2024"}`, ReasonBadTime, `column "ts": value "23.11.2024": not a timestamp (epoch millis, yyyy-MM-dd HH:mm:ss[.SSS] or ISO-8601)`},
		{`{"day": "2024/11/23"}`, ReasonBadTime, `column "day": value "2024/11/23": not a time in format "1:DAYS:SIMPLE_DATE_FORMAT:yyyy-MM-dd"`},
		{`{"t2": "yesterday"}`, ReasonBadTime, `column "t2": value "yesterday": not a time in format "1:MILLISECONDS:SIMPLE_DATE_FORMAT:yyyy-MM-dd HH:mm:ss"`},
		{`{"by": "xyz1"}`, ReasonBadBytes, `column "by": value "xyz1": not hex-encoded BYTES`},
		{`{"by": "abc"}`, ReasonBadBytes, `column "by": value "abc": not hex-encoded BYTES (odd length)`},
		{`{"bd": "1.2.3"}`, ReasonBadDecimal, `column "bd": value "1.2.3": not a BIG_DECIMAL`},
		{`{"i": {"a": 1}}`, ReasonTypeMismatch, `column "i": value "{\"a\": 1}": a JSON object is not an INT`},
		{`{"nums": [[1]]}`, ReasonTypeMismatch, `column "nums": value "[1]": a nested JSON value is not a INT element`},
		{`{"by": 5}`, ReasonTypeMismatch, `column "by": value "5": a number is not BYTES`},
		{`{"i": 1,`, ReasonMalformedJSON, `malformed JSON at byte 9: unexpected end of input`},
		{`{"i" 1}`, ReasonMalformedJSON, `malformed JSON at byte 6: want ':' after key "i"`},
		{`[1, 2]`, ReasonMalformedJSON, `malformed JSON at byte 1: want an object, found '['`},
		{`{"i": 1} x`, ReasonMalformedJSON, `malformed JSON at byte 10: trailing data after the object`},
		{`{"s": "open}`, ReasonMalformedJSON, `malformed JSON at byte 7: unterminated string`},
		{`{"i": 01x}`, ReasonMalformedJSON, `malformed JSON at byte 8: want ',' or '}', found '1'`},
		{`{"i": tru}`, ReasonMalformedJSON, `malformed JSON at byte 7: invalid literal`},
		{`{"x": [1, {]}`, ReasonMalformedJSON, `malformed JSON at byte 12: unbalanced ']'`},
		{`{"j": {"a": }}`, ReasonMalformedJSON, `column "j": value "{\"a\": }": invalid JSON value`},
		{``, ReasonMalformedJSON, `malformed JSON at byte 1: empty record`},
	}
	for _, c := range cases {
		rs, errs := decodeJSON(t, s, c.line, `{"i": 5}`)
		var e *Error
		if !errors.As(errs[0], &e) {
			t.Errorf("%s: error %v, want a *decode.Error", c.line, errs[0])
			continue
		}
		if e.Reason != c.reason || !strings.HasPrefix(e.Error(), c.msg) {
			t.Errorf("%s:\n got %v: %s\nwant %v: %s", c.line, e.Reason, e.Error(), c.reason, c.msg)
		}
		// The rejected record leaves no row behind; the next one decodes.
		if errs[1] != nil || rs["i"].Len() != 1 || rs.value("i", 0) != int64(5) || rs["nums"].Len() != 1 {
			t.Errorf("%s: after the rejected record: %v, i=%v", c.line, errs[1], rs["i"].Ints)
		}
	}
}

func TestCSVSplit(t *testing.T) {
	cases := []struct {
		rec    string
		fields []string
		quoted []bool
		err    string
	}{
		{`a,b,c`, []string{"a", "b", "c"}, []bool{false, false, false}, ""},
		{`a,,`, []string{"a", "", ""}, []bool{false, false, false}, ""},
		{``, []string{""}, []bool{false}, ""},
		{`"a,b","say ""hi""",x`, []string{"a,b", `say "hi"`, "x"}, []bool{true, true, false}, ""},
		{`"",""`, []string{"", ""}, []bool{true, true}, ""},
		{"\"line\nbreak\",z", []string{"line\nbreak", "z"}, []bool{true, false}, ""},
		{`5"3,x`, []string{`5"3`, "x"}, []bool{false, false}, ""},
		{`"open,x`, nil, nil, "unterminated quoted field"},
		{`"a"b,c`, nil, nil, `unexpected 'b' after the closing quote of field 1`},
	}
	var sp CSVSplitter
	for _, c := range cases {
		fields, quoted, err := sp.Split([]byte(c.rec))
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %s", c.rec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.rec, err)
			continue
		}
		var got []string
		for _, f := range fields {
			got = append(got, string(f))
		}
		if !reflect.DeepEqual(got, c.fields) || !reflect.DeepEqual(quoted, c.quoted) {
			t.Errorf("%q: %q %v, want %q %v", c.rec, got, quoted, c.fields, c.quoted)
		}
	}
}

func TestCSVDecode(t *testing.T) {
	s := mustSchema(t, testSchema)
	b, err := NewBatch(s, 16)
	if err != nil {
		t.Fatal(err)
	}
	d := NewCSVDecoder(b, []string{"i", "s", "tags", "nums", "d", "extra", "ts"}, CSVOptions{NullValue: `\N`})
	recs := []string{
		`1,hello,a;b;c,1;2,1.5,zzz,2024-11-23 09:15:00`,
		`,"",,,\N,,`,
		`"2","x,y",";a;",3,"2.5",,1732353300000`,
		`oops,x,,,,,`,
		`1,2,3`,
		`"1",x"y,,,,,`,
	}
	var errs []error
	for i, r := range recs {
		errs = append(errs, d.Decode(int64(i+2), []byte(r)))
	}
	for i := 0; i < 3; i++ {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
	}
	wantErrs := []string{
		`column "i": value "oops": not an INT`,
		`record has 3 fields, the header 7`,
		"",
	}
	for i, w := range wantErrs {
		err := errs[3+i]
		if w == "" {
			if err != nil {
				t.Errorf("record %d: %v", 3+i, err)
			}
			continue
		}
		if err == nil || err.Error() != w {
			t.Errorf("record %d: error %v, want %s", 3+i, err, w)
		}
	}
	rs := collect(t, b)
	if n := rs["i"].Len(); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	checks := []struct {
		col  string
		r    int
		want any
	}{
		{"i", 0, int64(1)}, {"s", 0, "hello"}, {"d", 0, 1.5}, {"ts", 0, int64(1732353300000)},
		{"i", 1, nil}, {"s", 1, ""}, {"d", 1, nil}, {"ts", 1, nil},
		{"i", 2, int64(2)}, {"s", 2, "x,y"}, {"d", 2, 2.5}, {"ts", 2, int64(1732353300000)},
		{"s", 3, `x"y`}, {"l", 0, nil},
	}
	for _, c := range checks {
		if got := rs.value(c.col, c.r); got != c.want {
			t.Errorf("row %d %s = %#v, want %#v", c.r, c.col, got, c.want)
		}
	}
	if got := rs.mv("tags", 0); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("tags = %v", got)
	}
	if got := rs.mv("tags", 1); got != nil {
		t.Errorf("empty tags = %v, want null", got)
	}
	if got := rs.mv("tags", 2); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf(`";a;" = %v`, got)
	}
	if got := rs.mv("nums", 0); !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Errorf("nums = %v", got)
	}
}

func TestInterning(t *testing.T) {
	s := mustSchema(t, testSchema)
	b, err := NewBatch(s, 8)
	if err != nil {
		t.Fatal(err)
	}
	d := NewJSONDecoder(b)
	buf := []byte(`{"s": "same"}`)
	for i := 0; i < 2; i++ {
		if err := d.Decode(1, buf); err != nil {
			t.Fatal(err)
		}
		copy(buf[7:], "SAME") // the decoder must not keep the input
	}
	rs := collect(t, b)
	a, c := rs["s"].Strs[0], rs["s"].Strs[1]
	if a != "same" || c != "SAME" {
		t.Fatalf("values %q %q", a, c)
	}
	// Keys in varying order, unknown keys included.
	recs := [][]byte{
		[]byte(`{"i": 1, "s": "same", "d": 2.5, "tags": ["x", "y"], "other": 1}`),
		[]byte(`{"other": 2, "d": 2.5, "s": "same", "i": 1}`),
	}
	allocs := testing.AllocsPerRun(100, func() {
		b.Reset()
		for i := 0; i < 8; i++ {
			if err := d.Decode(1, recs[i%2]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations per batch of known values, want 0", allocs)
	}
}
