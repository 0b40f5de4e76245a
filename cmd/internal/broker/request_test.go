package broker

import (
	"maps"
	"net/url"
	"testing"

	"github.com/tannin-db/tannin/query/sql"
)

func TestParseBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *queryRequest
		code int // error code, 0 when none
	}{
		{"go client", `{"sql":"SELECT 1 FROM t","queryOptions":"groupByMode=sql;responseFormat=sql","trace":"true"}`,
			&queryRequest{SQL: "SELECT 1 FROM t", Options: map[string]string{"groupbymode": "sql", "responseformat": "sql"}, Trace: true}, 0},
		{"bool trace", `{"sql":"x","trace":true}`, &queryRequest{SQL: "x", Trace: true}, 0},
		{"false trace", `{"sql":"x","trace":"false"}`, &queryRequest{SQL: "x"}, 0},
		{"trace spaces", `{"sql":"x","trace":" true "}`, &queryRequest{SQL: "x", Trace: true}, 0},
		{"trace TRUE is not true", `{"sql":"x","trace":"TRUE"}`, &queryRequest{SQL: "x"}, 0},
		{"trace number", `{"sql":"x","trace":1}`, &queryRequest{SQL: "x"}, 0},
		{"options case and spaces", `{"sql":"x","queryOptions":" TimeoutMs = 50 ;;enableNullHandling=true;"}`,
			&queryRequest{SQL: "x", Options: map[string]string{"timeoutms": "50", "enablenullhandling": "true"}}, 0},
		{"null options", `{"sql":"x","queryOptions":null}`, &queryRequest{SQL: "x"}, 0},
		{"unknown fields ignored", `{"sql":"x","mode":"explain","extra":[1,2]}`, &queryRequest{SQL: "x"}, 0},
		{"bad json", `{"sql":`, nil, codeJSONParsing},
		{"not an object", `["sql"]`, nil, codeJSONParsing},
		{"no sql", `{"query":"x"}`, nil, codeJSONParsing},
		{"sql not a string", `{"sql":42}`, nil, codeJSONParsing},
		{"options not a string", `{"sql":"x","queryOptions":{"a":"b"}}`, nil, codeJSONParsing},
		{"malformed option", `{"sql":"x","queryOptions":"timeoutMs"}`, nil, codeSQLParsing},
		{"empty option key", `{"sql":"x","queryOptions":"=5"}`, nil, codeSQLParsing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, qe := parseBody([]byte(tt.body))
			if tt.code != 0 {
				if qe == nil || qe.Code != tt.code {
					t.Fatalf("parseBody(%s) = %+v, %v; want error code %d", tt.body, got, qe, tt.code)
				}
				return
			}
			if qe != nil {
				t.Fatalf("parseBody(%s): %v", tt.body, qe)
			}
			if got.SQL != tt.want.SQL || got.Trace != tt.want.Trace || !maps.Equal(got.Options, tt.want.Options) {
				t.Fatalf("parseBody(%s) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		query string
		want  *queryRequest
		code  int
	}{
		{"sql=SELECT+1&trace=true&queryOptions=timeoutMs%3D5", &queryRequest{SQL: "SELECT 1", Trace: true, Options: map[string]string{"timeoutms": "5"}}, 0},
		{"sql=x", &queryRequest{SQL: "x"}, 0},
		{"sql=", &queryRequest{SQL: ""}, 0},
		{"trace=true", nil, codeJSONParsing},
		{"sql=x&queryOptions=bad", nil, codeSQLParsing},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, qe := parseQuery(q)
		if tt.code != 0 {
			if qe == nil || qe.Code != tt.code {
				t.Errorf("parseQuery(%s) = %+v, %v; want code %d", tt.query, got, qe, tt.code)
			}
			continue
		}
		if qe != nil || got.SQL != tt.want.SQL || got.Trace != tt.want.Trace || !maps.Equal(got.Options, tt.want.Options) {
			t.Errorf("parseQuery(%s) = %+v, %v; want %+v", tt.query, got, qe, tt.want)
		}
	}
}

// TestOptionsPrecedence: SET and OPTION(...) in the SQL win over the same
// key in queryOptions, whatever its case; other keys are added.
func TestOptionsPrecedence(t *testing.T) {
	tests := []struct {
		sql, opts string
		want      map[string]string
	}{
		{"SET timeoutMs = 100; SELECT a FROM t", "TIMEOUTMS=5;numGroupsLimit=7",
			map[string]string{"timeoutms": "100", "numgroupslimit": "7"}},
		{"SELECT a FROM t OPTION(timeoutMs=100)", "timeoutMs=5",
			map[string]string{"timeoutms": "100"}},
		{"SELECT a FROM t", "timeoutMs=5;groupByMode=sql",
			map[string]string{"timeoutms": "5", "groupbymode": "sql"}},
		{"SET enableNullHandling = true; SELECT a FROM t", "",
			map[string]string{"enablenullhandling": "true"}},
	}
	for _, tt := range tests {
		st, err := sql.Parse(tt.sql)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.sql, err)
		}
		extra, qe := parseQueryOptions(tt.opts)
		if qe != nil {
			t.Fatal(qe)
		}
		if got := mergeOptions(st.Options, extra); !maps.Equal(got, tt.want) {
			t.Errorf("%q + %q: options %v, want %v", tt.sql, tt.opts, got, tt.want)
		}
	}
}
