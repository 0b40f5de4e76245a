package controller

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// pinotExamples are Apache Pinot's example schemas and table configs.
var pinotExamples = []struct{ name, schema, table string }{
	{"baseballStats", "schema/testdata/pinot/batch/baseballStats/baseballStats_schema.json", "schema/testdata/pinot/batch/baseballStats/baseballStats_offline_table_config.json"},
	{"airlineStats", "schema/testdata/pinot/batch/airlineStats/airlineStats_schema.json", "schema/testdata/pinot/batch/airlineStats/airlineStats_offline_table_config.json"},
	{"webTransactions", "deploy/quickstart/webTransactions_schema.json", "deploy/quickstart/webTransactions_offline_table_config.json"},
}

func TestSchemaCRUD(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	for _, ex := range pinotExamples {
		t.Run(ex.name, func(t *testing.T) {
			doc := readTestdata(t, ex.schema)
			want, _, err := schema.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			var added configSuccess
			must(t, 200, "POST", c.url+"/schemas?override=false", doc, &added)
			if added.Status != ex.name+" successfully added" || added.UnrecognizedProperties == nil {
				t.Errorf("POST /schemas answered %+v", added)
			}
			var names []string
			must(t, 200, "GET", c.url+"/schemas", nil, &names)
			if !slices.Contains(names, ex.name) {
				t.Errorf("GET /schemas = %v, lacks %s", names, ex.name)
			}
			got, _, err := schema.Parse(must(t, 200, "GET", c.url+"/schemas/"+ex.name, nil, nil))
			if err != nil {
				t.Fatalf("GET /schemas/%s does not parse: %v", ex.name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET /schemas/%s = %+v, want %+v", ex.name, got, want)
			}
			// A second POST without override conflicts; with (Pinot's
			// default) it replaces.
			status, body := call(t, "POST", c.url+"/schemas?override=false", "application/json", strings.NewReader(string(doc)))
			if status != 409 {
				t.Fatalf("second POST: status %d: %s", status, body)
			}
			wantError(t, 409, body, ex.name, "already exists")
			must(t, 200, "POST", c.url+"/schemas", doc, nil)
			must(t, 200, "PUT", c.url+"/schemas/"+ex.name, doc, nil)
			status, body = call(t, "PUT", c.url+"/schemas/other", "application/json", strings.NewReader(string(doc)))
			wantError(t, 400, body, "mismatch", ex.name, "other")
			if status != 400 {
				t.Errorf("PUT under another name: status %d", status)
			}
			must(t, 200, "DELETE", c.url+"/schemas/"+ex.name, nil, nil)
			status, body = call(t, "GET", c.url+"/schemas/"+ex.name, "", nil)
			if status != 404 {
				t.Errorf("GET after DELETE: status %d: %s", status, body)
			}
			wantError(t, 404, body, "not found")
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	tests := []struct {
		name, method, path, body string
		status                   int
		fragments                []string
	}{
		{"bad JSON", "POST", "/schemas", `{"schemaName": "x",`, 400, []string{"schema"}},
		{"unknown field", "POST", "/schemas", `{"schemaName":"x","dimensionFieldSpecs":[{"name":"a","dataType":"STRING","singleValueFeld":true}]}`, 400, []string{"singleValueFeld"}},
		{"bad data type", "POST", "/schemas", `{"schemaName":"x","dimensionFieldSpecs":[{"name":"a","dataType":"STRNG"}]}`, 400, []string{"STRNG"}},
		{"no name", "POST", "/schemas", `{"dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`, 400, []string{"schemaName"}},
		{"double underscore", "POST", "/schemas", `{"schemaName":"a__b","dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`, 400, []string{"a__b"}},
		{"empty body", "POST", "/schemas", ``, 400, []string{"body"}},
		{"validate unknown field", "POST", "/schemas/validate", `{"schemaName":"x","metricFieldSpecs":[{"name":"m","dataTyp":"INT"}]}`, 400, []string{"dataTyp"}},
		{"update missing", "PUT", "/schemas/nope", `{"schemaName":"nope","dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`, 404, []string{"nope"}},
		{"delete missing", "DELETE", "/schemas/nope", ``, 404, []string{"nope"}},
		{"override not a bool", "POST", "/schemas?override=maybe", `{}`, 400, []string{"override"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, c.url+tt.path, "application/json", strings.NewReader(tt.body))
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			wantError(t, tt.status, body, tt.fragments...)
		})
	}
}

func TestSchemaWarningsAndValidate(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	doc := `{"schemaName":"w","description":"kept out","dimensionFieldSpecs":[{"name":"a","dataType":"STRING"}]}`
	var added configSuccess
	must(t, 200, "POST", c.url+"/schemas", []byte(doc), &added)
	if _, ok := added.UnrecognizedProperties["description"]; !ok {
		t.Errorf("unrecognizedProperties = %v, want the description", added.UnrecognizedProperties)
	}
	// pinot-admin posts schemas as a multipart file.
	body, ct := multipartBody(t, "w.json", []byte(strings.Replace(doc, `"w"`, `"w2"`, 1)))
	if status, got := call(t, "POST", c.url+"/schemas", ct, bytes.NewReader(body)); status != 200 {
		t.Fatalf("multipart POST /schemas: status %d: %s", status, got)
	}
	must(t, 200, "GET", c.url+"/schemas/w2", nil, nil)

	var validated map[string]any
	must(t, 200, "POST", c.url+"/schemas/validate", []byte(doc), &validated)
	if validated["schemaName"] != "w" || validated["unrecognizedProperties"] == nil {
		t.Errorf("validate answered %v", validated)
	}

	// A change that drops a column a table relies on is refused unless
	// forced; adding one is fine.
	must(t, 200, "POST", c.url+"/schemas", deploy.QuickstartSchema, nil)
	must(t, 200, "POST", c.url+"/tables", deploy.QuickstartTableConfig, nil)
	dropped := strings.Replace(string(deploy.QuickstartSchema), `{"name": "color", "dataType": "STRING"},`, "", 1)
	status, body := call(t, "PUT", c.url+"/schemas/webTransactions", "application/json", strings.NewReader(dropped))
	if status != 400 {
		t.Fatalf("incompatible PUT: status %d: %s", status, body)
	}
	wantError(t, 400, body, "color")
	must(t, 200, "PUT", c.url+"/schemas/webTransactions?force=true", []byte(dropped), nil)
	added2 := strings.Replace(dropped, `{"name": "campaign", "dataType": "STRING"}`, `{"name": "campaign", "dataType": "STRING"}, {"name": "color", "dataType": "STRING"}`, 1)
	must(t, 200, "PUT", c.url+"/schemas/webTransactions", []byte(added2), nil)
	status, body = call(t, "DELETE", c.url+"/schemas/webTransactions", "", nil)
	if status != 409 {
		t.Fatalf("DELETE of a schema in use: status %d: %s", status, body)
	}
	wantError(t, 409, body, "webTransactions_OFFLINE")
}

func TestTableCRUD(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	for _, ex := range pinotExamples {
		t.Run(ex.name, func(t *testing.T) {
			tdoc := readTestdata(t, ex.table)
			want, warnings, err := tableconfig.Parse(tdoc)
			if err != nil {
				t.Fatal(err)
			}
			status, body := call(t, "POST", c.url+"/tables", "application/json", strings.NewReader(string(tdoc)))
			if status != 400 {
				t.Fatalf("POST /tables without its schema: status %d: %s", status, body)
			}
			wantError(t, 400, body, "schema", ex.name)

			must(t, 200, "POST", c.url+"/schemas", readTestdata(t, ex.schema), nil)
			var added configSuccess
			must(t, 200, "POST", c.url+"/tables", tdoc, &added)
			if added.Status != "Table "+ex.name+"_OFFLINE successfully added" || (len(added.UnrecognizedProperties) > 0) != (len(warnings) > 0) {
				t.Errorf("POST /tables answered %+v; the parser warns %q", added, warnings)
			}
			status, body = call(t, "POST", c.url+"/tables", "application/json", strings.NewReader(string(tdoc)))
			if status != 409 {
				t.Fatalf("second POST /tables: status %d: %s", status, body)
			}
			wantError(t, 409, body, ex.name+"_OFFLINE", "already exists")

			var list struct{ Tables []string }
			must(t, 200, "GET", c.url+"/tables", nil, &list)
			if !slices.Contains(list.Tables, ex.name) {
				t.Errorf("GET /tables = %v, lacks %s", list.Tables, ex.name)
			}
			must(t, 200, "GET", c.url+"/tables?type=offline", nil, &list)
			if !slices.Contains(list.Tables, ex.name+"_OFFLINE") {
				t.Errorf("GET /tables?type=offline = %v, lacks %s_OFFLINE", list.Tables, ex.name)
			}

			var got map[string]json.RawMessage
			must(t, 200, "GET", c.url+"/tables/"+ex.name, nil, &got)
			cfg, _, err := tableconfig.Parse(got["OFFLINE"])
			if err != nil || len(got) != 1 {
				t.Fatalf("GET /tables/%s = %v: %v", ex.name, got, err)
			}
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("stored config %+v, want %+v", cfg, want)
			}
			status, _ = call(t, "GET", c.url+"/tables/"+ex.name+"?type=realtime", "", nil)
			if status != 404 {
				t.Errorf("GET ?type=realtime: status %d, want 404", status)
			}
			sc, _, err := schema.Parse(must(t, 200, "GET", c.url+"/tables/"+ex.name+"/schema", nil, nil))
			if err != nil || sc.Name != ex.name {
				t.Errorf("GET /tables/%s/schema: %v %v", ex.name, sc, err)
			}

			// PUT with a changed replication; under another name it is refused.
			var m map[string]any
			if err := json.Unmarshal(got["OFFLINE"], &m); err != nil {
				t.Fatal(err)
			}
			m["segmentsConfig"].(map[string]any)["replication"] = "3"
			must(t, 200, "PUT", c.url+"/tables/"+ex.name, jsonMarshal(t, m), nil)
			must(t, 200, "GET", c.url+"/tables/"+ex.name+"_OFFLINE", nil, &got)
			if cfg, _, _ := tableconfig.Parse(got["OFFLINE"]); cfg == nil || cfg.Segments.Replication != 3 {
				t.Errorf("after PUT: %s", got["OFFLINE"])
			}
			status, body = call(t, "PUT", c.url+"/tables/other", "application/json", strings.NewReader(string(jsonMarshal(t, m))))
			if status != 400 {
				t.Errorf("PUT under another name: status %d", status)
			}
			wantError(t, 400, body, "other_OFFLINE", ex.name+"_OFFLINE")

			var del success
			must(t, 200, "DELETE", c.url+"/tables/"+ex.name+"?type=offline", nil, &del)
			if del.Status != "Tables: ["+ex.name+"_OFFLINE] deleted" {
				t.Errorf("DELETE answered %+v", del)
			}
			status, _ = call(t, "GET", c.url+"/tables/"+ex.name, "", nil)
			if status != 404 {
				t.Errorf("GET after DELETE: status %d", status)
			}
			status, _ = call(t, "DELETE", c.url+"/tables/"+ex.name, "", nil)
			if status != 404 {
				t.Errorf("second DELETE: status %d", status)
			}
			must(t, 200, "DELETE", c.url+"/schemas/"+ex.name, nil, nil)
		})
	}
}

func TestTableErrors(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	must(t, 200, "POST", c.url+"/schemas", deploy.QuickstartSchema, nil)
	tests := []struct {
		name, body string
		fragments  []string
	}{
		{"bad JSON", `{"tableName":`, []string{"table config"}},
		{"unknown field", `{"tableName":"webTransactions","tableType":"OFFLINE","segmentsConfig":{"replicaton":"1"},"tenants":{},"tableIndexConfig":{}}`, []string{"replicaton"}},
		{"unknown column", `{"tableName":"webTransactions","tableType":"OFFLINE","segmentsConfig":{},"tenants":{},"tableIndexConfig":{"invertedIndexColumns":["nope"]}}`, []string{"nope"}},
		{"bad type", `{"tableName":"webTransactions","tableType":"HYBRID","segmentsConfig":{},"tenants":{},"tableIndexConfig":{}}`, []string{"HYBRID"}},
		{"missing schema", `{"tableName":"other","tableType":"OFFLINE","segmentsConfig":{},"tenants":{},"tableIndexConfig":{}}`, []string{`schema "other"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, "POST", c.url+"/tables", "application/json", strings.NewReader(tt.body))
			if status != 400 {
				t.Fatalf("status %d, want 400: %s", status, body)
			}
			wantError(t, 400, body, tt.fragments...)
		})
	}
	for _, path := range []string{"/tables/nope", "/tables/nope/schema", "/tables/nope/idealstate", "/segments/nope", "/tables/nope/size"} {
		status, body := call(t, "GET", c.url+path, "", nil)
		if status != 404 {
			t.Errorf("GET %s: status %d, want 404: %s", path, status, body)
		}
	}
	status, body := call(t, "GET", c.url+"/tables?type=hybrid", "", nil)
	if status != 400 {
		t.Errorf("GET /tables?type=hybrid: status %d", status)
	}
	wantError(t, 400, body, "hybrid")
}
