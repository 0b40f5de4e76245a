package schema

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// doc builds a schema document around the given members of the top-level
// object.
func doc(members string) string {
	return `{"schemaName": "t", ` + members + `}`
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"malformed JSON", "{\n  \"schemaName\": \"t\",\n  \"dimensionFieldSpecs\": [\n    {\"name\": \"a\" \"dataType\": \"INT\"}\n  ]\n}",
			`schema: malformed JSON at line 4, column 18: unexpected '"' after object member, expecting ',' or '}'`},
		{"not an object", `[1]`, "schema: top level: expected an object, got array"},
		{"unknown top-level key", doc(`"dimensionFieldSpec": []`),
			`schema: unknown field "dimensionFieldSpec" at top level; did you mean "dimensionFieldSpecs"?`},
		{"unknown key, no suggestion", doc(`"owner": "me"`), `schema: unknown field "owner" at top level`},
		{"unknown field key", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT"}, {"name": "b", "datatype": "INT"}]`),
			`schema: unknown field "datatype" at dimensionFieldSpecs[1]; did you mean "dataType"?`},
		{"format on a dimension", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT", "format": "EPOCH"}]`),
			`schema: unknown field "format" at dimensionFieldSpecs[0]`},
		{"unknown granularity spec key", doc(`"timeFieldSpec": {"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "DAYS", "timeUnitSiz": 2}}`),
			`schema: unknown field "timeUnitSiz" at timeFieldSpec.incomingGranularitySpec; did you mean "timeUnitSize"?`},
		{"missing schemaName", `{"dimensionFieldSpecs": []}`, "schema: missing schemaName"},
		{"schemaName not a string", `{"schemaName": 1}`, "schema: schemaName: expected a string, got number 1"},
		{"empty column name", doc(`"metricFieldSpecs": [{"name": "", "dataType": "INT"}]`), "schema: metricFieldSpecs[0]: empty column name"},
		{"missing column name", doc(`"metricFieldSpecs": [{"dataType": "INT"}]`), "schema: metricFieldSpecs[0]: empty column name"},
		{"field spec null", doc(`"metricFieldSpecs": [null]`), "schema: metricFieldSpecs[0]: expected an object, got null"},
		{"field specs not an array", doc(`"metricFieldSpecs": {}`), "schema: metricFieldSpecs: expected an array, got object"},
		{"unknown data type", doc(`"dimensionFieldSpecs": [{"name": "city", "dataType": "STRNG"}]`),
			`schema: column "city": unknown data type "STRNG"; did you mean "STRING"?`},
		{"unknown data type, no suggestion", doc(`"dimensionFieldSpecs": [{"name": "city", "dataType": "TEXT"}]`),
			`schema: column "city": unknown data type "TEXT"`},
		{"missing data type", doc(`"dimensionFieldSpecs": [{"name": "city"}]`), `schema: column "city": missing dataType`},
		{"UUID", doc(`"dimensionFieldSpecs": [{"name": "id", "dataType": "UUID"}]`), `schema: column "id": data type UUID is not supported`},
		{"MAP", doc(`"dimensionFieldSpecs": [{"name": "attrs", "dataType": "map"}]`), `schema: column "attrs": data type MAP is not supported`},
		{"complex field", doc(`"complexFieldSpecs": [{"name": "attrs", "dataType": "MAP", "childFieldSpecs": {}}]`),
			`schema: column "attrs": complex data type "MAP" is not supported`},
		{"complex field without name", doc(`"complexFieldSpecs": [{}]`), "schema: complexFieldSpecs[0]: complex columns are not supported"},
		{"duplicate column", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT"}], "metricFieldSpecs": [{"name": "a", "dataType": "LONG"}]`),
			`schema "t": duplicate column "a"`},
		{"duplicate column, case-insensitively", doc(`"dimensionFieldSpecs": [{"name": "userId", "dataType": "INT"}, {"name": "UserID", "dataType": "INT"}]`),
			`schema "t": duplicate column "UserID" (same as "userId"; column names are case-insensitive)`},
		{"whitespace in name", doc(`"dimensionFieldSpecs": [{"name": "a b", "dataType": "INT"}]`), `schema "t": column name "a b" contains whitespace`},
		{"reserved name", doc(`"dimensionFieldSpecs": [{"name": "$docId", "dataType": "INT"}]`), `schema "t": column name "$docId" is reserved for a built-in virtual column`},
		{"bad INT default", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT", "defaultNullValue": "abc"}]`),
			`schema: column "a": bad defaultNullValue for INT: "abc" is not a 32-bit integer`},
		{"INT default overflow", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "INT", "defaultNullValue": 3000000000}]`),
			`schema: column "a": bad defaultNullValue for INT: "3000000000" is not a 32-bit integer`},
		{"fractional LONG default", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "LONG", "defaultNullValue": 1.5}]`),
			`schema: column "a": bad defaultNullValue for LONG: "1.5" is not a 64-bit integer`},
		{"bad DOUBLE default", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "DOUBLE", "defaultNullValue": "1,5"}]`),
			`schema: column "a": bad defaultNullValue for DOUBLE: "1,5" is not a number`},
		{"NaN default", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "FLOAT", "defaultNullValue": "NaN"}]`),
			`schema: column "a": bad defaultNullValue for FLOAT: NaN is not supported as a null value`},
		{"bad BOOLEAN default", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "BOOLEAN", "defaultNullValue": "yes"}]`),
			`schema: column "a": bad defaultNullValue for BOOLEAN: "yes" is not a boolean (true, false, 1 or 0)`},
		{"bad BYTES default", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "BYTES", "defaultNullValue": "xyz"}]`),
			`schema: column "a": bad defaultNullValue for BYTES: "xyz" is not hex-encoded bytes`},
		{"bad TIMESTAMP default", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "TIMESTAMP", "defaultNullValue": "yesterday"}]`),
			`schema: column "a": bad defaultNullValue for TIMESTAMP: "yesterday" is not a timestamp (epoch millis, yyyy-MM-dd HH:mm:ss[.SSS] or ISO-8601)`},
		{"bad BIG_DECIMAL default", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "BIG_DECIMAL", "defaultNullValue": "1.2.3"}]`),
			`schema: column "a": bad defaultNullValue for BIG_DECIMAL: "1.2.3" is not a decimal number`},
		{"object default for STRING", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "STRING", "defaultNullValue": {}}]`),
			`schema: column "a": defaultNullValue must be a scalar, got object`},
		{"non-positive maxLength", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "STRING", "maxLength": 0}]`),
			`schema: column "a": maxLength 0 must be positive`},
		{"singleValueField not a boolean", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "STRING", "singleValueField": "no"}]`),
			`schema: dimensionFieldSpecs[0].singleValueField: expected a boolean, got string "no"`},
		{"fieldType mismatch", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "INT", "fieldType": "DIMENSION"}]`),
			`schema: column "a": fieldType "DIMENSION" does not match its place in metricFieldSpecs[0] (METRIC)`},
		{"STRING metric", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "STRING"}]`),
			`schema "t": metric column "a" cannot have data type STRING (metrics are INT, LONG, FLOAT, DOUBLE, BIG_DECIMAL or BYTES)`},
		{"multi-value metric", doc(`"metricFieldSpecs": [{"name": "a", "dataType": "INT", "singleValueField": false}]`),
			`schema "t": metric column "a" cannot be multi-value`},
		{"multi-value date-time", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS", "singleValueField": false}]`),
			`schema "t": date_time column "ts" cannot be multi-value`},
		{"multi-value JSON", doc(`"dimensionFieldSpecs": [{"name": "j", "dataType": "JSON", "singleValueField": false}]`),
			`schema "t": JSON column "j" cannot be multi-value`},
		{"date-time without format", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "granularity": "1:MILLISECONDS"}]`),
			`schema "t": date-time column "ts" has no format`},
		{"date-time without granularity", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH"}]`),
			`schema "t": date-time column "ts" has no granularity`},
		{"bad format unit", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}]`),
			`schema "t": date-time column "ts": invalid date-time format "1:MILISECONDS:EPOCH": unknown time unit "MILISECONDS"; did you mean "MILLISECONDS"?`},
		{"bad format kind", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:DAYS:EPOC", "granularity": "1:DAYS"}]`),
			`schema "t": date-time column "ts": invalid date-time format "1:DAYS:EPOC": unknown time format "EPOC"; did you mean "EPOCH"?`},
		{"bad granularity", doc(`"dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:DAYS:EPOCH", "granularity": "1:WEEKS"}]`),
			`schema "t": date-time column "ts": invalid granularity "1:WEEKS": unknown time unit "WEEKS"`},
		{"SDF out of order", doc(`"dateTimeFieldSpecs": [{"name": "d", "dataType": "STRING", "format": "1:DAYS:SIMPLE_DATE_FORMAT:dd-MM-yyyy", "granularity": "1:DAYS"}]`),
			`schema "t": date-time column "d": invalid date-time format "1:DAYS:SIMPLE_DATE_FORMAT:dd-MM-yyyy": pattern "dd-MM-yyyy" has to be sorted by both lexicographical and datetime order (y, M, d, H, m, s, S)`},
		{"primary key not a column", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT"}], "primaryKeyColumns": ["b"]`),
			`schema "t": primary key column "b" is not a column of the schema`},
		{"primary key twice", doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "INT"}], "primaryKeyColumns": ["a", "A"]`),
			`schema "t": primary key column "A" is listed twice`},
		{"time field without incoming spec", doc(`"timeFieldSpec": {}`), "schema: timeFieldSpec.incomingGranularitySpec: expected an object, got null"},
		{"time field bad timeType", doc(`"timeFieldSpec": {"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "DAY"}}`),
			`schema: column "t": timeFieldSpec.incomingGranularitySpec.timeType: unknown time unit "DAY"; did you mean "DAYS"?`},
		{"time field bad timeFormat", doc(`"timeFieldSpec": {"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "DAYS", "timeFormat": "TIMESTAMP"}}`),
			`schema: column "t": timeFieldSpec.incomingGranularitySpec.timeFormat "TIMESTAMP" must be EPOCH or SIMPLE_DATE_FORMAT:<pattern>`},
		{"time field name mismatch", doc(`"timeFieldSpec": {"name": "x", "incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "DAYS"}}`),
			`schema: timeFieldSpec.name "x" differs from its granularity spec's name "t"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v\nwant error: %s", s, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid")
			}
		})
	}
}

func TestParseErrorTypes(t *testing.T) {
	_, _, err := Parse([]byte("{\n\"schemaName\": }"))
	var se *strictjson.SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || se.Column != 15 {
		t.Errorf("syntax error: %v (%+v)", err, se)
	}
	_, _, err = Parse([]byte(`{"schemaNme": "x"}`))
	var ue *strictjson.UnknownFieldError
	if !errors.As(err, &ue) || ue.Key != "schemaNme" || ue.Suggestion != "schemaName" {
		t.Errorf("unknown field error: %v", err)
	}
}

func TestParseWarnings(t *testing.T) {
	in := `{
	  "schemaName": "w",
	  "description": "a table",
	  "tags": [],
	  "dimensionFieldSpecs": [
	    {"name": "a", "dataType": "STRING", "transformFunction": "lower(b)", "tags": ["pii"], "maxLengthExceedStrategy": "ERROR"},
	    {"name": "v", "dataType": "INT", "virtualColumnProvider": "x.Provider", "aliases": []}
	  ],
	  "dateTimeFieldSpecs": [
	    {"name": "ts", "dataType": "TIMESTAMP", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:SECONDS", "sampleValue": "2020-01-01"}
	  ]
	}`
	s, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`dimensionFieldSpecs[0].transformFunction (column "a") is not implemented yet; ignored (use the table config's ingestionConfig.transformConfigs)`,
		`dimensionFieldSpecs[0].tags (column "a") is not implemented yet; ignored`,
		`dimensionFieldSpecs[0].maxLengthExceedStrategy (column "a") is not implemented yet; ignored`,
		`dimensionFieldSpecs[1].virtualColumnProvider (column "v") is not implemented yet; ignored`,
		`dateTimeFieldSpecs[0].format "1:MILLISECONDS:EPOCH" of TIMESTAMP column "ts" is replaced by TIMESTAMP, as Pinot does`,
		`dateTimeFieldSpecs[0].sampleValue (column "ts") is not implemented yet; ignored`,
		`description is not implemented yet; ignored`,
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
	if f := s.Field("ts"); f.Format != "TIMESTAMP" {
		t.Errorf("TIMESTAMP column format %q, want TIMESTAMP", f.Format)
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		section, dataType, def string // def "" means none given
		want                   any
	}{
		{"dimensionFieldSpecs", "INT", "", int64(math.MinInt32)},
		{"dimensionFieldSpecs", "LONG", "", int64(math.MinInt64)},
		{"dimensionFieldSpecs", "FLOAT", "", math.Inf(-1)},
		{"dimensionFieldSpecs", "DOUBLE", "", math.Inf(-1)},
		{"dimensionFieldSpecs", "BIG_DECIMAL", "", "0"},
		{"dimensionFieldSpecs", "BOOLEAN", "", int64(0)},
		{"dimensionFieldSpecs", "TIMESTAMP", "", int64(0)},
		{"dimensionFieldSpecs", "STRING", "", "null"},
		{"dimensionFieldSpecs", "JSON", "", "null"},
		{"dimensionFieldSpecs", "BYTES", "", ""},
		{"metricFieldSpecs", "INT", "", int64(0)},
		{"metricFieldSpecs", "LONG", "", int64(0)},
		{"metricFieldSpecs", "FLOAT", "", float64(0)},
		{"metricFieldSpecs", "DOUBLE", "", float64(0)},
		{"metricFieldSpecs", "BIG_DECIMAL", "", "0"},
		{"metricFieldSpecs", "BYTES", "", ""},
		{"dimensionFieldSpecs", "INT", `-1`, int64(-1)},
		{"dimensionFieldSpecs", "INT", `"42"`, int64(42)},
		{"dimensionFieldSpecs", "LONG", `9007199254740993`, int64(9007199254740993)},
		{"metricFieldSpecs", "FLOAT", `0.1`, float64(float32(0.1))},
		{"metricFieldSpecs", "FLOAT", `"1.5f"`, 1.5},
		{"metricFieldSpecs", "DOUBLE", `"-Infinity"`, math.Inf(-1)},
		{"metricFieldSpecs", "DOUBLE", `1e300`, 1e300},
		{"metricFieldSpecs", "BIG_DECIMAL", `"123.4500"`, "123.4500"},
		{"metricFieldSpecs", "BIG_DECIMAL", `1E+3`, "1E+3"},
		{"dimensionFieldSpecs", "BOOLEAN", `true`, int64(1)},
		{"dimensionFieldSpecs", "BOOLEAN", `"FALSE"`, int64(0)},
		{"dimensionFieldSpecs", "BOOLEAN", `1`, int64(1)},
		{"dimensionFieldSpecs", "TIMESTAMP", `1700000000000`, int64(1700000000000)},
		{"dimensionFieldSpecs", "TIMESTAMP", `"2024-11-23 09:15:00"`, int64(1732353300000)},
		{"dimensionFieldSpecs", "TIMESTAMP", `"2024-11-23 09:15:00.5"`, int64(1732353300500)},
		{"dimensionFieldSpecs", "TIMESTAMP", `"2024-11-23"`, int64(1732320000000)},
		{"dimensionFieldSpecs", "TIMESTAMP", `"2024-11-23T09:15:00+01:00"`, int64(1732349700000)},
		{"dimensionFieldSpecs", "STRING", `""`, ""},
		{"dimensionFieldSpecs", "STRING", `0`, "0"},
		{"dimensionFieldSpecs", "JSON", `"{}"`, "{}"},
		{"dimensionFieldSpecs", "JSON", `{"a": [1, 2]}`, `{"a":[1,2]}`},
		{"dimensionFieldSpecs", "BYTES", `"00ff"`, "\x00\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.section+"/"+tt.dataType+"/"+tt.def, func(t *testing.T) {
			field := `{"name": "c", "dataType": "` + tt.dataType + `"`
			if tt.def != "" {
				field += `, "defaultNullValue": ` + tt.def
			}
			field += "}"
			s, _, err := Parse([]byte(doc(`"` + tt.section + `": [` + field + `]`)))
			if err != nil {
				t.Fatal(err)
			}
			got := s.Fields[0].DefaultNull
			if got != tt.want {
				t.Errorf("DefaultNull = %#v, want %#v", got, tt.want)
			}
			// The value survives MarshalJSON.
			out, err := s.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			s2, _, err := Parse(out)
			if err != nil {
				t.Fatalf("reparse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(s, s2) {
				t.Errorf("round trip differs:\n%+v\n%+v\n%s", s, s2, out)
			}
		})
	}
}

func TestTimeFieldSpec(t *testing.T) {
	tests := []struct {
		name, spec                string
		wantName, wantFmt, wantGr string
		wantType                  DataType
		wantWarnings              int
	}{
		{"epoch days", `{"incomingGranularitySpec": {"name": "daysSinceEpoch", "dataType": "INT", "timeType": "DAYS"}}`,
			"daysSinceEpoch", "1:DAYS:EPOCH", "1:DAYS", TypeInt, 1},
		{"sized", `{"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "MINUTES", "timeUnitSize": 5}}`,
			"t", "5:MINUTES:EPOCH", "5:MINUTES", TypeLong, 1},
		{"legacy timeunitSize", `{"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "MINUTES", "timeunitSize": "15"}}`,
			"t", "15:MINUTES:EPOCH", "15:MINUTES", TypeLong, 1},
		{"simple date", `{"incomingGranularitySpec": {"name": "d", "dataType": "STRING", "timeType": "DAYS", "timeFormat": "SIMPLE_DATE_FORMAT:yyyyMMdd"}}`,
			"d", "1:DAYS:SIMPLE_DATE_FORMAT:yyyyMMdd", "1:DAYS", TypeString, 1},
		{"outgoing wins", `{"incomingGranularitySpec": {"name": "in", "dataType": "LONG", "timeType": "SECONDS"},
			"outgoingGranularitySpec": {"name": "out", "dataType": "INT", "timeType": "DAYS"}, "defaultNullValue": 7}`,
			"out", "1:DAYS:EPOCH", "1:DAYS", TypeInt, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings, err := Parse([]byte(doc(`"timeFieldSpec": ` + tt.spec)))
			if err != nil {
				t.Fatal(err)
			}
			f := s.Fields[0]
			if f.Name != tt.wantName || f.Format != tt.wantFmt || f.Granularity != tt.wantGr || f.DataType != tt.wantType || f.FieldType != FieldDateTime {
				t.Errorf("got %+v", f)
			}
			if len(warnings) != tt.wantWarnings || !strings.HasPrefix(warnings[0], "timeFieldSpec is deprecated; read as date-time column") {
				t.Errorf("warnings: %q", warnings)
			}
		})
	}
	s, warnings, err := Parse([]byte(doc(`"timeFieldSpec": {"incomingGranularitySpec": {"name": "in", "dataType": "LONG", "timeType": "SECONDS"},
		"outgoingGranularitySpec": {"name": "out", "dataType": "INT", "timeType": "DAYS"}, "defaultNullValue": 7}`)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Fields[0].DefaultNull != int64(7) {
		t.Errorf("default %v", s.Fields[0].DefaultNull)
	}
	want := `timeFieldSpec: converting incomingGranularitySpec "1:SECONDS:EPOCH" to outgoingGranularitySpec "1:DAYS:EPOCH" is not implemented yet; ignored (derive "out" in ingestionConfig.transformConfigs)`
	if warnings[1] != want {
		t.Errorf("warning\n got: %s\nwant: %s", warnings[1], want)
	}
	// The legacy field comes first among the date-time fields.
	s, _, err = Parse([]byte(doc(`"dateTimeFieldSpecs": [{"name": "b", "dataType": "LONG", "format": "EPOCH", "granularity": "DAYS"}],
		"timeFieldSpec": {"incomingGranularitySpec": {"name": "a", "dataType": "LONG", "timeType": "DAYS"}},
		"dimensionFieldSpecs": [{"name": "c", "dataType": "INT"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "c,a,b" {
		t.Errorf("field order %v, want dimensions then date-time fields, legacy time field first", names)
	}
}

func TestParseFull(t *testing.T) {
	in := `{
	  "schemaName": "clicks",
	  "enableColumnBasedNullHandling": true,
	  "dimensionFieldSpecs": [
	    {"name": "userId", "dataType": "STRING", "maxLength": 64, "notNull": true},
	    {"name": "tags", "dataType": "STRING", "singleValueField": false},
	    {"name": "payload", "dataType": "json"}
	  ],
	  "metricFieldSpecs": [
	    {"name": "clicks", "dataType": "LONG", "defaultNullValue": 0},
	    {"name": "revenue", "dataType": "DOUBLE", "defaultNullValue": "1.25"}
	  ],
	  "dateTimeFieldSpecs": [
	    {"name": "ts", "dataType": "TIMESTAMP", "format": "TIMESTAMP", "granularity": "1:MILLISECONDS", "fieldType": "DATE_TIME"}
	  ],
	  "primaryKeyColumns": ["userId"]
	}`
	s, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	want := &Schema{
		Name:                          "clicks",
		EnableColumnBasedNullHandling: true,
		PrimaryKeyColumns:             []string{"userId"},
		Fields: []FieldSpec{
			{Name: "userId", FieldType: FieldDimension, DataType: TypeString, SingleValue: true, NotNull: true, MaxLength: 64, DefaultNull: "null"},
			{Name: "tags", FieldType: FieldDimension, DataType: TypeString, DefaultNull: "null"},
			{Name: "payload", FieldType: FieldDimension, DataType: TypeJSON, SingleValue: true, DefaultNull: "null"},
			{Name: "clicks", FieldType: FieldMetric, DataType: TypeLong, SingleValue: true, DefaultNull: int64(0)},
			{Name: "revenue", FieldType: FieldMetric, DataType: TypeDouble, SingleValue: true, DefaultNull: 1.25},
			{Name: "ts", FieldType: FieldDateTime, DataType: TypeTimestamp, SingleValue: true, DefaultNull: int64(0), Format: "TIMESTAMP", Granularity: "1:MILLISECONDS"},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	out, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{
  "schemaName": "clicks",
  "enableColumnBasedNullHandling": true,
  "dimensionFieldSpecs": [
    {
      "name": "userId",
      "dataType": "STRING",
      "fieldType": "DIMENSION",
      "notNull": true,
      "maxLength": 64
    },
    {
      "name": "tags",
      "dataType": "STRING",
      "fieldType": "DIMENSION",
      "singleValueField": false
    },
    {
      "name": "payload",
      "dataType": "JSON",
      "fieldType": "DIMENSION"
    }
  ],
  "metricFieldSpecs": [
    {
      "name": "clicks",
      "dataType": "LONG",
      "fieldType": "METRIC"
    },
    {
      "name": "revenue",
      "dataType": "DOUBLE",
      "fieldType": "METRIC",
      "defaultNullValue": 1.25
    }
  ],
  "dateTimeFieldSpecs": [
    {
      "name": "ts",
      "dataType": "TIMESTAMP",
      "fieldType": "DATE_TIME",
      "format": "TIMESTAMP",
      "granularity": "1:MILLISECONDS"
    }
  ],
  "primaryKeyColumns": [
    "userId"
  ]
}
`
	if string(out) != wantJSON {
		t.Errorf("MarshalJSON:\n%s\nwant:\n%s", out, wantJSON)
	}
}

// TestRoundTripNonDefaults exercises every null value MarshalJSON has to
// write, including the ones JSON cannot hold as numbers.
func TestRoundTripNonDefaults(t *testing.T) {
	s := &Schema{Name: "rt", Fields: []FieldSpec{
		{Name: "i", FieldType: FieldDimension, DataType: TypeInt, SingleValue: true, DefaultNull: int64(math.MaxInt32)},
		{Name: "l", FieldType: FieldDimension, DataType: TypeLong, DefaultNull: int64(math.MaxInt64)},
		{Name: "f", FieldType: FieldDimension, DataType: TypeFloat, SingleValue: true, DefaultNull: math.Inf(1)},
		{Name: "f2", FieldType: FieldDimension, DataType: TypeFloat, SingleValue: true, DefaultNull: float64(float32(3.3))},
		{Name: "d", FieldType: FieldDimension, DataType: TypeDouble, SingleValue: true, DefaultNull: 0.1},
		{Name: "bd", FieldType: FieldDimension, DataType: TypeBigDecimal, SingleValue: true, DefaultNull: "-1.50"},
		{Name: "b", FieldType: FieldDimension, DataType: TypeBoolean, SingleValue: true, DefaultNull: int64(1)},
		{Name: "t", FieldType: FieldDimension, DataType: TypeTimestamp, SingleValue: true, DefaultNull: int64(-5)},
		{Name: "s", FieldType: FieldDimension, DataType: TypeString, SingleValue: true, DefaultNull: "<n/a> \"q\"", MaxLength: 512},
		{Name: "j", FieldType: FieldDimension, DataType: TypeJSON, SingleValue: true, DefaultNull: "{}"},
		{Name: "y", FieldType: FieldDimension, DataType: TypeBytes, SingleValue: true, DefaultNull: "\x01\xfe"},
		{Name: "m", FieldType: FieldMetric, DataType: TypeDouble, SingleValue: true, DefaultNull: math.Inf(-1)},
		{Name: "ts", FieldType: FieldDateTime, DataType: TypeString, SingleValue: true, DefaultNull: "1970-01-01",
			Format: "SIMPLE_DATE_FORMAT|yyyy-MM-dd|America/New_York", Granularity: "DAYS|1"},
	}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	s2, warnings, err := Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if !reflect.DeepEqual(s, s2) {
		t.Errorf("round trip differs:\n%+v\n%+v\n%s", s, s2, out)
	}
	for _, frag := range []string{`"defaultNullValue": "Infinity"`, `"defaultNullValue": "-Infinity"`, `"defaultNullValue": "01fe"`,
		`"defaultNullValue": true`, `"defaultNullValue": 3.3`, `"maxLength": 512`, `"defaultNullValue": "<n/a> \"q\""`} {
		if !strings.Contains(string(out), frag) {
			t.Errorf("output lacks %s:\n%s", frag, out)
		}
	}
}

func TestValidate(t *testing.T) {
	good := func() *Schema {
		return &Schema{Name: "v", Fields: []FieldSpec{
			{Name: "a", FieldType: FieldDimension, DataType: TypeString, SingleValue: true, DefaultNull: "null"},
			{Name: "ts", FieldType: FieldDateTime, DataType: TypeLong, SingleValue: true, DefaultNull: int64(0), Format: "EPOCH", Granularity: "1:SECONDS"},
		}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good schema: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Schema)
		want   string
	}{
		{"no name", func(s *Schema) { s.Name = "" }, "schema: empty name"},
		{"empty column name", func(s *Schema) { s.Fields[0].Name = "" }, `schema "v": column 0 has an empty name`},
		{"invalid type", func(s *Schema) { s.Fields[0].DataType = TypeInvalid }, `schema "v": column "a": invalid data type INVALID`},
		{"invalid field type", func(s *Schema) { s.Fields[0].FieldType = FieldType(9) }, `schema "v": column "a": invalid field type FieldType(9)`},
		{"no default", func(s *Schema) { s.Fields[0].DefaultNull = nil }, `schema "v": column "a" has no default null value (Pinot's is schema.DefaultNullValue)`},
		{"default of wrong family", func(s *Schema) { s.Fields[0].DefaultNull = int64(1) }, `schema "v": column "a": default null value 1 (int64) does not fit data type STRING`},
		{"bytes as []byte", func(s *Schema) { s.Fields[0].DataType = TypeBytes; s.Fields[0].DefaultNull = []byte{1} }, `schema "v": column "a": default null value [1] ([]uint8) does not fit data type BYTES`},
		{"INT default out of range", func(s *Schema) { s.Fields[0].DataType = TypeInt; s.Fields[0].DefaultNull = int64(math.MaxInt32 + 1) }, `schema "v": column "a": default null value 2147483648 (int64) does not fit data type INT`},
		{"BOOLEAN default 2", func(s *Schema) { s.Fields[0].DataType = TypeBoolean; s.Fields[0].DefaultNull = int64(2) }, `schema "v": column "a": default null value 2 (int64) does not fit data type BOOLEAN`},
		{"NaN default", func(s *Schema) { s.Fields[0].DataType = TypeDouble; s.Fields[0].DefaultNull = math.NaN() }, `schema "v": column "a": NaN is not supported as a default null value`},
		{"negative maxLength", func(s *Schema) { s.Fields[0].MaxLength = -1 }, `schema "v": column "a": maxLength -1 must be positive`},
		{"TIMESTAMP without TIMESTAMP format", func(s *Schema) { s.Fields[1].DataType = TypeTimestamp }, `schema "v": date-time column "ts" of type TIMESTAMP must have format TIMESTAMP, not "EPOCH"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.mutate(s)
			err := s.Validate()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("error does not match ErrInvalid")
			}
		})
	}
}

func TestMarshalRejectsBadValues(t *testing.T) {
	s := &Schema{Name: "m", Fields: []FieldSpec{{Name: "a", FieldType: FieldDimension, DataType: TypeBytes, SingleValue: true, DefaultNull: []byte{1}}}}
	if _, err := s.MarshalJSON(); err == nil || err.Error() != `marshal schema "m": column "a": null value [1] is a []uint8, not a string` {
		t.Errorf("MarshalJSON error: %v", err)
	}
}

func TestEffectiveMaxLength(t *testing.T) {
	if got := (&FieldSpec{}).EffectiveMaxLength(); got != DefaultMaxLength {
		t.Errorf("unset: %d", got)
	}
	if got := (&FieldSpec{MaxLength: 10}).EffectiveMaxLength(); got != 10 {
		t.Errorf("set: %d", got)
	}
}

// TestPinotExamples loads every schema in testdata/pinot, Apache Pinot's
// own examples, unchanged: each parses (warnings allowed) and round-trips.
func TestPinotExamples(t *testing.T) {
	files := exampleSchemas(t)
	if len(files) < 25 {
		t.Fatalf("found %d example schemas", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "testdata/pinot/"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Fields) == 0 {
				t.Error("no fields")
			}
			out, err := s.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			s2, _, err := Parse(out)
			if err != nil {
				t.Fatalf("reparse: %v", err)
			}
			if !reflect.DeepEqual(s, s2) {
				t.Errorf("round trip differs:\n%+v\n%+v", s, s2)
			}
		})
	}
}

func exampleSchemas(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("testdata/pinot", func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "_schema.json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestPinotExampleDetails pins what a few real schemas decode to.
func TestPinotExampleDetails(t *testing.T) {
	load := func(p string) (*Schema, []string) {
		data, err := os.ReadFile(filepath.Join("testdata/pinot", p))
		if err != nil {
			t.Fatal(err)
		}
		s, w, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return s, w
	}
	s, w := load("batch/airlineStats/airlineStats_schema.json")
	if s.Name != "airlineStats" || len(w) != 0 {
		t.Errorf("airlineStats: name %q, warnings %q", s.Name, w)
	}
	if f := s.Field("daysSinceEpoch"); f == nil || f.FieldType != FieldDateTime || f.Format != "1:DAYS:EPOCH" {
		t.Errorf("airlineStats DaysSinceEpoch (resolved case-insensitively): %+v", f)
	}
	if f := s.Field("DivAirports"); f == nil || f.SingleValue {
		t.Errorf("airlineStats DivAirports should be multi-value: %+v", f)
	}
	s, w = load("stream/upsertMeetupRsvp/upsertMeetupRsvp_schema.json")
	if !reflect.DeepEqual(s.PrimaryKeyColumns, []string{"event_id"}) {
		t.Errorf("upsertMeetupRsvp primary key %q", s.PrimaryKeyColumns)
	}
	if len(w) != 1 || !strings.Contains(w[0], "transformFunction") {
		t.Errorf("upsertMeetupRsvp warnings %q", w)
	}
}

// TestQuickstartSchema checks deploy/quickstart's schema.
func TestQuickstartSchema(t *testing.T) {
	data, err := os.ReadFile("../deploy/quickstart/webTransactions_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, warnings, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	var got []string
	for _, f := range s.Fields {
		got = append(got, f.Name+":"+f.FieldType.String()+":"+f.DataType.String())
	}
	want := []string{
		"userID:DIMENSION:STRING", "productName:DIMENSION:STRING", "color:DIMENSION:STRING", "department:DIMENSION:STRING",
		"product:DIMENSION:STRING", "campaign:DIMENSION:STRING", "price:METRIC:DOUBLE", "creationTimestamp:DATE_TIME:LONG",
	}
	if s.Name != "webTransactions" || !reflect.DeepEqual(got, want) {
		t.Errorf("schema %q columns %q", s.Name, got)
	}
	ts := s.Field("creationTimestamp")
	if ts.Format != "1:MILLISECONDS:EPOCH" || ts.Granularity != "1:MILLISECONDS" {
		t.Errorf("creationTimestamp: %+v", ts)
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// round-trips through MarshalJSON.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"batch/baseballStats/baseballStats_schema.json", "stream/meetupRsvp/meetupRsvp_schema.json"} {
		data, err := os.ReadFile(filepath.Join("testdata/pinot", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(doc(`"dimensionFieldSpecs": [{"name": "a", "dataType": "BYTES", "defaultNullValue": "0a"}], "metricFieldSpecs": [{"name": "m", "dataType": "FLOAT", "defaultNullValue": "1e-3"}]`)))
	f.Add([]byte(doc(`"timeFieldSpec": {"incomingGranularitySpec": {"name": "t", "dataType": "LONG", "timeType": "HOURS", "timeUnitSize": 3}}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid: %v", err)
			}
			return
		}
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a parsed schema: %v", err)
		}
		s2, _, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", s, s2)
		}
	})
}
