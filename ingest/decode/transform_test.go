package decode

import (
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

const txSchema = `{
  "schemaName": "tx",
  "dimensionFieldSpecs": [
    {"name": "campaign", "dataType": "STRING"},
    {"name": "label", "dataType": "STRING"}
  ],
  "metricFieldSpecs": [
    {"name": "price", "dataType": "DOUBLE"},
    {"name": "cents", "dataType": "LONG"}
  ],
  "dateTimeFieldSpecs": [
    {"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"},
    {"name": "ts2", "dataType": "TIMESTAMP", "format": "TIMESTAMP", "granularity": "1:MILLISECONDS"}
  ]
}`

type xform = tableconfig.TransformConfig

func transformBatch(t *testing.T, s *schema.Schema, ing *tableconfig.IngestionConfig, format string, header []string, recs ...string) (*Batch, rows) {
	t.Helper()
	tr, err := NewTransformer(s, ing)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBatch(s, 32)
	if err != nil {
		t.Fatal(err)
	}
	var decodeRec func(int64, []byte) error
	switch format {
	case "csv":
		for _, in := range tr.Inputs() {
			b.AddInput(in, schema.TypeString)
		}
		if err := tr.Check(b); err != nil {
			t.Fatal(err)
		}
		decodeRec = NewCSVDecoder(b, header, CSVOptions{}).Decode
	default:
		for _, in := range tr.Inputs() {
			b.AddInput(in, schema.TypeInvalid)
		}
		decodeRec = NewJSONDecoder(b).Decode
	}
	for i, r := range recs {
		if err := decodeRec(int64(i+1), []byte(r)); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
	}
	tr.Apply(b)
	return b, collect(t, b)
}

func TestTransformFromDateTime(t *testing.T) {
	s := mustSchema(t, txSchema)
	ing := &tableconfig.IngestionConfig{Transforms: []xform{
		{ColumnName: "ts", TransformFunction: "FromDateTime(creationTime, 'yyyy-MM-dd HH:mm:ss')"},
	}}
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			b, rs := transformBatch(t, s, ing, format, []string{"campaign", "creationTime", "ts"},
				map[string]string{"csv": `NONE,2024-11-23 09:15:00,`, "json": `{"campaign": "NONE", "creationTime": "2024-11-23 09:15:00"}`}[format],
				// The input gives ts: the transform is skipped, as in Pinot.
				map[string]string{"csv": `NONE,2024-11-23 09:15:00,5`, "json": `{"creationTime": "2024-11-23 09:15:00", "ts": 5}`}[format],
				map[string]string{"csv": `NONE,,`, "json": `{"campaign": "x"}`}[format],
			)
			if f := b.Failures(); len(f) != 0 {
				t.Fatalf("failures: %v", f[0].Err)
			}
			for r, want := range []any{int64(1732353300000), int64(5), nil} {
				if got := rs.value("ts", r); got != want {
					t.Errorf("row %d: ts = %v, want %v", r, got, want)
				}
			}
		})
	}
}

func TestTransformChainAndTypes(t *testing.T) {
	s := mustSchema(t, txSchema)
	ing := &tableconfig.IngestionConfig{Transforms: []xform{
		// Listed before the transform it reads: run after it anyway.
		{ColumnName: "cents", TransformFunction: "price * 100"},
		{ColumnName: "price", TransformFunction: "raw_price / 2"},
		{ColumnName: "ts2", TransformFunction: "fromEpochSeconds(ts_s)"},
		{ColumnName: "label", TransformFunction: "upper(campaign)"},
	}}
	b, rs := transformBatch(t, s, ing, "json", nil,
		`{"campaign": "sale", "raw_price": 3, "ts_s": 1732353300}`,
		`{"campaign": "none", "raw_price": 2.5, "ts_s": 1732353301}`,
	)
	if f := b.Failures(); len(f) != 0 {
		t.Fatalf("failures: %v", f[0].Err)
	}
	checks := []struct {
		col  string
		r    int
		want any
	}{
		{"price", 0, 1.5}, {"cents", 0, int64(150)}, {"ts2", 0, int64(1732353300000)}, {"label", 0, "SALE"},
		{"price", 1, 1.25}, {"cents", 1, int64(125)}, {"ts2", 1, int64(1732353301000)}, {"label", 1, "NONE"},
	}
	for _, c := range checks {
		if got := rs.value(c.col, c.r); got != c.want {
			t.Errorf("row %d %s = %#v, want %#v", c.r, c.col, got, c.want)
		}
	}
}

func TestFilterFunction(t *testing.T) {
	s := mustSchema(t, txSchema)
	ing := &tableconfig.IngestionConfig{FilterFunction: "campaign = 'bot' OR price > 100"}
	b, rs := transformBatch(t, s, ing, "json", nil,
		`{"campaign": "sale", "price": 10}`,
		`{"campaign": "bot", "price": 10}`,
		`{"campaign": "sale", "price": 500}`,
		`{"price": 20}`,
	)
	if b.Filtered() != 2 || len(b.Failures()) != 0 {
		t.Fatalf("filtered %d, failed %d; want 2 and 0", b.Filtered(), len(b.Failures()))
	}
	if rs["price"].Len() != 2 || rs.value("price", 0) != 10.0 || rs.value("price", 1) != 20.0 {
		t.Errorf("kept prices %v, want [10 20]", rs["price"].Floats)
	}
}

func TestTransformRowFailures(t *testing.T) {
	s := mustSchema(t, txSchema)
	ing := &tableconfig.IngestionConfig{Transforms: []xform{
		{ColumnName: "ts", TransformFunction: "FromDateTime(creationTime, 'yyyy-MM-dd HH:mm:ss')"},
		{ColumnName: "cents", TransformFunction: "centsText"},
	}}
	b, rs := transformBatch(t, s, ing, "csv", []string{"creationTime", "centsText"},
		`2024-11-23 09:15:00,1`,
		`not a time,2`,
		`2024-11-23 09:15:01,many`,
		`2024-11-23 09:15:02,4`,
	)
	f := b.Failures()
	if len(f) != 2 {
		t.Fatalf("%d failures, want 2: %v", len(f), f)
	}
	if f[0].Pos != 2 || f[0].Err.Reason != ReasonTransform || f[0].Err.Column != "ts" ||
		!strings.Contains(f[0].Err.Error(), `transform "FromDateTime(creationTime, 'yyyy-MM-dd HH:mm:ss')"`) {
		t.Errorf("failure 0: line %d %v: %v", f[0].Pos, f[0].Err.Reason, f[0].Err)
	}
	if f[1].Pos != 3 || f[1].Err.Reason != ReasonBadNumber || f[1].Err.Error() != `column "cents": value "many": not a LONG` {
		t.Errorf("failure 1: line %d %v: %v", f[1].Pos, f[1].Err.Reason, f[1].Err)
	}
	if rs["ts"].Len() != 2 || rs.value("ts", 1) != int64(1732353302000) || rs.value("cents", 1) != int64(4) {
		t.Errorf("kept ts %v cents %v", rs["ts"].Ints, rs["cents"].Ints)
	}
}

func TestTransformerConfigErrors(t *testing.T) {
	s := mustSchema(t, txSchema)
	cases := []struct {
		ing tableconfig.IngestionConfig
		err string
	}{
		{tableconfig.IngestionConfig{Transforms: []xform{{ColumnName: "nope", TransformFunction: "1"}}},
			`transformConfigs[0]: column "nope" is not in schema "tx"`},
		{tableconfig.IngestionConfig{Transforms: []xform{{ColumnName: "price", TransformFunction: "cents + 1"}, {ColumnName: "cents", TransformFunction: "price + 1"}}},
			`transformConfigs: cycle among transforms: price -> cents -> price`},
		{tableconfig.IngestionConfig{Transforms: []xform{{ColumnName: "price", TransformFunction: "1"}, {ColumnName: "price", TransformFunction: "2"}}},
			`transformConfigs[1]: column "price" has more than one transform`},
		{tableconfig.IngestionConfig{Transforms: []xform{{ColumnName: "price", TransformFunction: "Groovy({a}, a)"}}},
			`Groovy functions are not supported`},
		{tableconfig.IngestionConfig{FilterFunction: "price >"}, `filterConfig.filterFunction: parse expression "price >"`},
	}
	for _, c := range cases {
		_, err := NewTransformer(s, &c.ing)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("error %v, want %s", err, c.err)
		}
	}
	// A filter that is not boolean shows before any data is read.
	tr, err := NewTransformer(s, &tableconfig.IngestionConfig{FilterFunction: "price + 1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatch(s, 4)
	if err := tr.Check(b); err == nil || !strings.Contains(err.Error(), "want BOOLEAN") {
		t.Errorf("Check: %v, want a BOOLEAN error", err)
	}
}

// CSV fields are text; where an expression wants numbers, they are read
// as numbers, and a field that is not one fails its row.
func TestTransformCSVTextAsNumbers(t *testing.T) {
	s := mustSchema(t, txSchema)
	ing := &tableconfig.IngestionConfig{Transforms: []xform{
		{ColumnName: "ts2", TransformFunction: "fromEpochSeconds(ts_s)"},
		{ColumnName: "cents", TransformFunction: "raw * 100"},
		{ColumnName: "label", TransformFunction: "concat(ts_s, 'x', '')"},
	}}
	b, rs := transformBatch(t, s, ing, "csv", []string{"ts_s", "raw"},
		`1732353300,1.25`,
		`soon,2`,
		`,3`,
	)
	f := b.Failures()
	if len(f) != 1 || f[0].Pos != 2 || f[0].Err.Error() != `column "ts_s": value "soon": not a LONG` {
		t.Fatalf("failures %v", f)
	}
	checks := []struct {
		col  string
		r    int
		want any
	}{
		{"ts2", 0, int64(1732353300000)}, {"cents", 0, int64(125)}, {"label", 0, "1732353300x"},
		{"ts2", 1, nil}, {"cents", 1, int64(300)},
	}
	for _, c := range checks {
		if got := rs.value(c.col, c.r); got != c.want {
			t.Errorf("row %d %s = %#v, want %#v", c.r, c.col, got, c.want)
		}
	}
}
