package broker

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/startreedata/pinot-client-go/pinot"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

// indent pretty-prints JSON so that golden files diff line by line, keeping
// the key order and the numbers' text.
func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func allTypesSchema(t *testing.T) *schema.Schema {
	t.Helper()
	sc, _, err := schema.Parse([]byte(`{"schemaName":"all",
	"dimensionFieldSpecs":[
	 {"name":"i","dataType":"INT"},{"name":"l","dataType":"LONG"},{"name":"s","dataType":"STRING"},
	 {"name":"b","dataType":"BOOLEAN"},{"name":"j","dataType":"JSON"},{"name":"by","dataType":"BYTES"},
	 {"name":"bd","dataType":"BIG_DECIMAL"},
	 {"name":"mi","dataType":"INT","singleValueField":false},{"name":"ms","dataType":"STRING","singleValueField":false}],
	"metricFieldSpecs":[{"name":"f","dataType":"FLOAT"},{"name":"d","dataType":"DOUBLE"}],
	"dateTimeFieldSpecs":[{"name":"ts","dataType":"TIMESTAMP","format":"TIMESTAMP","granularity":"1:MILLISECONDS"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// allTypesResult has a column of every type Pinot names, single- and
// multi-value, with a row of values and a row of NULLs.
func allTypesResult() *exec.Result {
	return &exec.Result{
		Columns: []string{"i", "l", "f", "d", "bd", "b", "ts", "s", "j", "by",
			"mi", "ml", "mf", "md", "ms", "mts", "mb", "mby", "sum(d)"},
		Types: []schema.DataType{schema.TypeInt, schema.TypeLong, schema.TypeFloat, schema.TypeDouble,
			schema.TypeBigDecimal, schema.TypeBoolean, schema.TypeTimestamp, schema.TypeString, schema.TypeJSON,
			schema.TypeBytes, schema.TypeInt, schema.TypeLong, schema.TypeFloat, schema.TypeDouble,
			schema.TypeString, schema.TypeTimestamp, schema.TypeBoolean, schema.TypeBytes, schema.TypeDouble},
		MultiValue: []bool{false, false, false, false, false, false, false, false, false, false,
			true, true, true, true, true, true, true, true, false},
		Rows: [][]any{
			{int64(-7), int64(1) << 40, float64(float32(0.1)), 1234.5, "12345678901234567890.000001", true,
				int64(1732353300000), "tab\there \"quoted\" é \u2028", `{"a":[1,2]}`, []byte{0x00, 0xab, 0xff},
				[]int64{1, -2}, []int64{3}, []float64{1.5}, []float64{1e7, 1e-4, math.Inf(1)}, []string{"x", ""},
				[]int64{0, 1732353300123}, []int64{1, 0}, []string{"\x01\x02"}, 3.0},
			{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		},
	}
}

func TestResponseJSONGolden(t *testing.T) {
	sc := allTypesSchema(t)
	stats := exec.Stats{NumSegmentsQueried: 8, NumSegmentsProcessed: 6, NumSegmentsMatched: 3, NumDocsScanned: 5000,
		NumEntriesScannedInFilter: 12, NumEntriesScannedPostFilter: 10000, TotalDocs: 100000}
	tests := []struct {
		name string
		resp *response
	}{
		{"all_types_null_handling.json", &response{Result: allTypesResult(), NullHandling: true, Schema: sc,
			Stats: stats, NumServersQueried: 2, NumServersResponded: 2, NumConsumingSegmentsQueried: 1,
			NumSegmentsPrunedByBroker: 4, TimeUsedMs: 12, BrokerReduceTimeMs: 1, RequestID: "7",
			BrokerID: "Broker_127.0.0.1_8099", TraceInfo: map[string]string{"Server_b_1": `{"segments":2}`, "Server_a_1": "{}"},
			TablesQueried: []string{"all"}}},
		{"all_types_default_nulls.json", &response{Result: allTypesResult(), Schema: sc, RequestID: "8", BrokerID: "Broker_h_1"}},
		{"exceptions.json", &response{RequestID: "9", BrokerID: "Broker_h_1", Exceptions: []*queryError{
			errorf(codeServerNotResponding, "1 servers [Server_a_1] not responded"),
			errorf(codeSegmentsUnavailable, "1 segments unavailable: [s1]"),
		}, Result: &exec.Result{Columns: []string{"count(*)"}, Types: []schema.DataType{schema.TypeLong}, MultiValue: []bool{false}, Rows: [][]any{{int64(3)}}}}},
		{"parse_error.json", &response{RequestID: "10", BrokerID: "Broker_h_1", Exceptions: []*queryError{
			errorf(codeSQLParsing, "sql: syntax error at or near \"FROM\" (line 1, column 8)")}}},
		{"empty_result.json", &response{RequestID: "11", BrokerID: "Broker_h_1",
			Result: &exec.Result{Columns: []string{"a"}, Types: []schema.DataType{schema.TypeString}, MultiValue: []bool{false}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.resp.appendJSON(nil)
			if !json.Valid(raw) {
				t.Fatalf("invalid JSON: %s", raw)
			}
			golden(t, tt.name, indent(t, raw))
			// The client the acceptance tests use decodes it.
			var br pinot.BrokerResponse
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&br); err != nil {
				t.Fatalf("pinot-client-go cannot decode: %v", err)
			}
			if br.Exceptions == nil || len(br.Exceptions) != len(tt.resp.Exceptions) {
				t.Errorf("exceptions: %+v", br.Exceptions)
			}
			if (br.ResultTable == nil) != (tt.resp.Result == nil) {
				t.Errorf("resultTable present = %v", br.ResultTable != nil)
			}
		})
	}
}

func TestJavaFloat(t *testing.T) {
	tests := []struct {
		x    float64
		bits int
		want string
	}{
		{0, 64, "0.0"},
		{math.Copysign(0, -1), 64, "-0.0"},
		{1, 64, "1.0"},
		{3, 64, "3.0"},
		{-2.5, 64, "-2.5"},
		{0.001, 64, "0.001"},
		{0.0001, 64, "1.0E-4"},
		{1234567.25, 64, "1234567.25"},
		{1e7, 64, "1.0E7"},
		{12345678.9, 64, "1.23456789E7"},
		{1e21, 64, "1.0E21"},
		{1.5e-10, 64, "1.5E-10"},
		{math.MaxFloat64, 64, "1.7976931348623157E308"},
		{float64(float32(0.1)), 32, "0.1"},
		{float64(float32(0.1)), 64, "0.10000000149011612"},
		{float64(float32(3.4e38)), 32, "3.4E38"},
	}
	for _, tt := range tests {
		if got := string(appendJavaFloat(nil, tt.x, tt.bits)); got != tt.want {
			t.Errorf("appendJavaFloat(%v, %d) = %s, want %s", tt.x, tt.bits, got, tt.want)
		}
	}
}

func TestTimestampText(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{0, "1970-01-01 00:00:00.0"},
		{1732353300000, "2024-11-23 09:15:00.0"},
		{1732353300100, "2024-11-23 09:15:00.1"},
		{1732353300120, "2024-11-23 09:15:00.12"},
		{1732353300123, "2024-11-23 09:15:00.123"},
		{1732353300003, "2024-11-23 09:15:00.003"},
		{-1, "1969-12-31 23:59:59.999"},
	}
	for _, tt := range tests {
		if got := string(appendTimestamp(nil, tt.ms)); got != tt.want {
			t.Errorf("appendTimestamp(%d) = %s, want %s", tt.ms, got, tt.want)
		}
	}
}

// TestStringEscaping: every string decodes back to itself (invalid UTF-8
// to U+FFFD), as encoding/json reads it.
func TestStringEscaping(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "\n\r\t\b\f", "\x00\x1f\x7f", "é漢字🙂",
		"<html>&</html>", "\u2028\u2029", "bad\xffutf8", strings.Repeat("x", 1000)} {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, b, err)
		}
		want := validUTF8(s)
		if got != want {
			t.Errorf("appendString(%q) round-trips to %q", s, got)
		}
	}
}

// TestNullFills: without null handling a NULL shows the column's default
// null value (schema columns) or the type's placeholder (expressions).
func TestNullFills(t *testing.T) {
	sc := allTypesSchema(t)
	res := &exec.Result{
		Columns:    []string{"i", "d", "s", "by", "b", "ms", "sum(d)", "max(ts)", "bd", "x", "mi"},
		Types:      []schema.DataType{schema.TypeInt, schema.TypeDouble, schema.TypeString, schema.TypeBytes, schema.TypeBoolean, schema.TypeString, schema.TypeDouble, schema.TypeTimestamp, schema.TypeBigDecimal, schema.TypeLong, schema.TypeLong},
		MultiValue: []bool{false, false, false, false, false, true, false, false, false, false, true},
	}
	want := []string{"-2147483648", "0.0", `"null"`, `""`, "false", `["null"]`, "0.0", `"1970-01-01 00:00:00.0"`, `"0"`, "0", "[]"}
	fills := nullFills(res, sc)
	for i := range want {
		if got := string(fills[i]); got != want[i] {
			t.Errorf("column %s: null shows as %s, want %s", res.Columns[i], got, want[i])
		}
	}
}
