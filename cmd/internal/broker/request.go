package broker

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	gojson "github.com/goccy/go-json"
)

// queryRequest is one query as a client sent it (Pinot's request JSON).
type queryRequest struct {
	SQL string
	// Options are the queryOptions entries, keys lower-cased (Pinot
	// resolves option keys case-insensitively).
	Options map[string]string
	Trace   bool
}

// requestBody is the JSON body of POST /query/sql and POST /query. Other
// fields are ignored, as Pinot ignores them.
type requestBody struct {
	SQL          *string           `json:"sql"`
	QueryOptions gojson.RawMessage `json:"queryOptions"`
	Trace        gojson.RawMessage `json:"trace"`
}

// parseBody decodes a POST body: {"sql": "...", "queryOptions": "k=v;k=v",
// "trace": "true" | true}. Errors are JSON parsing (100), except a
// malformed queryOptions string, which Pinot reports as SQL parsing (150).
func parseBody(body []byte) (*queryRequest, *queryError) {
	var b requestBody
	if err := gojson.Unmarshal(body, &b); err != nil {
		return nil, errorf(codeJSONParsing, "invalid JSON request body: "+err.Error())
	}
	if b.SQL == nil {
		return nil, errorf(codeJSONParsing, "payload is missing the query string field 'sql'")
	}
	req := &queryRequest{SQL: *b.SQL}
	if opts := bytes.TrimSpace(b.QueryOptions); len(opts) > 0 && !bytes.Equal(opts, []byte("null")) {
		var s string
		if err := gojson.Unmarshal(opts, &s); err != nil {
			return nil, errorf(codeJSONParsing, "field 'queryOptions': want a string of k=v pairs separated by ';'")
		}
		m, qe := parseQueryOptions(s)
		if qe != nil {
			return nil, qe
		}
		req.Options = m
	}
	if tr := bytes.TrimSpace(b.Trace); len(tr) > 0 {
		switch {
		case bytes.Equal(tr, []byte("true")):
			req.Trace = true
		case tr[0] == '"':
			var s string
			if err := gojson.Unmarshal(tr, &s); err == nil {
				req.Trace = parseTrace(s)
			}
		}
	}
	return req, nil
}

// parseQuery reads GET /query/sql?sql=&trace=&queryOptions=.
func parseQuery(q url.Values) (*queryRequest, *queryError) {
	if !q.Has("sql") {
		return nil, errorf(codeJSONParsing, "query parameter 'sql' is missing")
	}
	req := &queryRequest{SQL: q.Get("sql"), Trace: parseTrace(q.Get("trace"))}
	if s := q.Get("queryOptions"); s != "" {
		m, qe := parseQueryOptions(s)
		if qe != nil {
			return nil, qe
		}
		req.Options = m
	}
	return req, nil
}

// parseTrace is Jackson's asBoolean of a text node, which Pinot applies to
// the trace field: only "true" (surrounding spaces trimmed) is true.
func parseTrace(s string) bool { return strings.TrimSpace(s) == "true" }

// parseQueryOptions splits Pinot's "k1=v1;k2=v2" (empty entries skipped,
// keys and values trimmed, keys lower-cased). An entry without '=' or with
// an empty key is an error, as in Pinot's RequestUtils.
func parseQueryOptions(s string) (map[string]string, *queryError) {
	m := make(map[string]string, 4)
	for entry := range strings.SplitSeq(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, errorf(codeSQLParsing, fmt.Sprintf("invalid query option %q in queryOptions: want key=value", entry))
		}
		m[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// mergeOptions adds the request's queryOptions to the statement's options
// (from SET and OPTION(...)), which win for the same key, as Pinot's
// SqlNodeAndOptions.setExtraOptions does with putIfAbsent.
func mergeOptions(stmt map[string]string, extra map[string]string) map[string]string {
	if len(extra) == 0 {
		return stmt
	}
	out := make(map[string]string, len(stmt)+len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range stmt {
		out[k] = v
	}
	return out
}
