package controller

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// What each REST route requires when authentication is on. Every pattern
// registered in Handler() has a rule here (TestEveryRouteHasARule); a
// pattern without one is refused to everyone but admins.
type ruleKind uint8

const (
	// ruleOpen: no credentials (health probes, metrics scrapes, the
	// console's static files, the login page's /auth/* calls).
	ruleOpen ruleKind = iota
	// ruleMember: any authenticated user (cluster-wide reads: lists of
	// names, instances, tenants, broker discovery).
	ruleMember
	// ruleAdmin: role ADMIN (cluster-wide writes: instances, rebalance,
	// users).
	ruleAdmin
	// ruleInternal: the cluster's own processes (segment completion
	// calls from servers), or an admin.
	ruleInternal
	// ruleTable: access to the table named by the path parameter param.
	ruleTable
	// ruleTableQuery: access to the table named by query parameter param
	// (segment uploads); without it, access to every table.
	ruleTableQuery
	// ruleTableBody: access to the table named in the JSON document of
	// the body (field param: schemaName or tableName); a body that names
	// none needs access to every table.
	ruleTableBody
)

type rule struct {
	kind   ruleKind
	access auth.Access
	param  string
}

var (
	open     = rule{kind: ruleOpen}
	member   = rule{kind: ruleMember}
	admin    = rule{kind: ruleAdmin}
	internal = rule{kind: ruleInternal}
)

func tableRead(param string) rule  { return rule{kind: ruleTable, access: auth.Read, param: param} }
func tableWrite(param string) rule { return rule{kind: ruleTable, access: auth.Write, param: param} }

// routeRules maps every route of Handler() to what it requires. /metrics
// is open: Prometheus scrapers rarely carry credentials, Pinot serves its
// metrics on an unauthenticated exporter port, and the metrics hold table
// names and counts, no data and no secret.
var routeRules = map[string]rule{
	"GET /health":                               open,
	"GET /metrics":                              open,
	"GET /pinot-controller/admin":               open,
	"GET /version":                              member,
	"GET /cluster/info":                         member,
	"GET /auth/info":                            open,
	"GET /auth/verify":                          open, // answers 200/401 itself
	"POST /auth/token":                          member,
	"GET /users":                                admin,
	"POST /users":                               admin,
	"GET /users/{username}":                     admin,
	"PUT /users/{username}":                     admin,
	"DELETE /users/{username}":                  admin,
	"GET /{$}":                                  open, // console page
	"GET /console/":                             open, // console assets and page paths
	"/sql":                                      member,
	"GET /schemas":                              member,
	"POST /schemas":                             {kind: ruleTableBody, access: auth.Write, param: "schemaName"},
	"POST /schemas/validate":                    member,
	"GET /schemas/{name}":                       tableRead("name"),
	"PUT /schemas/{name}":                       tableWrite("name"),
	"DELETE /schemas/{name}":                    tableWrite("name"),
	"GET /tables":                               member,
	"POST /tables":                              {kind: ruleTableBody, access: auth.Write, param: "tableName"},
	"GET /tables/{table}":                       tableRead("table"),
	"PUT /tables/{table}":                       tableWrite("table"),
	"DELETE /tables/{table}":                    tableWrite("table"),
	"GET /tables/{table}/schema":                tableRead("table"),
	"GET /tables/{table}/idealstate":            tableRead("table"),
	"GET /tables/{table}/externalview":          tableRead("table"),
	"GET /tables/{table}/size":                  tableRead("table"),
	"POST /tables/{table}/rebalance":            admin,
	"GET /rebalanceStatus/{jobId}":              member,
	"GET /tables/livebrokers":                   member,
	"GET /tables/{table}/consumingSegmentsInfo": tableRead("table"),
	"GET /segmentConsumed":                      internal,
	"GET /segmentCommitStart":                   internal,
	"POST /segmentCommitEnd":                    internal,
	"GET /segmentStoppedConsuming":              internal,
	"POST /segments":                            {kind: ruleTableQuery, access: auth.Write, param: "tableName"},
	"POST /v2/segments":                         {kind: ruleTableQuery, access: auth.Write, param: "tableName"},
	"GET /segments/{table}":                     tableRead("table"),
	"DELETE /segments/{table}":                  tableWrite("table"),
	"GET /segments/{table}/servers":             tableRead("table"),
	"GET /segments/{table}/{segment}":           tableRead("table"),
	"DELETE /segments/{table}/{segment}":        tableWrite("table"),
	"GET /segments/{table}/{segment}/metadata":  tableRead("table"),
	"GET /instances":                            member,
	"GET /liveinstances":                        member,
	"GET /instances/{name}":                     member,
	"PUT /instances/{name}/updateTags":          admin,
	"PUT /instances/{name}/state":               admin,
	"DELETE /instances/{name}":                  admin,
	"GET /tenants":                              member,
	"GET /tenants/{tenant}":                     member,
	"GET /brokers":                              member,
	"GET /v2/brokers":                           member,
	"GET /brokers/tenants":                      member,
	"GET /v2/brokers/tenants":                   member,
	"GET /brokers/tenants/{tenant}":             member,
	"GET /v2/brokers/tenants/{tenant}":          member,
	"GET /brokers/tables":                       member,
	"GET /v2/brokers/tables":                    member,
	"GET /brokers/tables/{table}":               member,
	"GET /v2/brokers/tables/{table}":            member,
}

// guard returns mux behind authentication and the route rules, or mux
// itself when authentication is off.
func (c *Controller) guard(mux *http.ServeMux) http.Handler {
	if c.auth == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" {
			// No route: the mux answers 404 or 405.
			mux.ServeHTTP(w, r)
			return
		}
		ru, ok := routeRules[pattern]
		if !ok {
			ru = admin
		}
		if ru.kind == ruleOpen {
			mux.ServeHTTP(w, r)
			return
		}
		u := c.auth.Check(w, r, auth.Controller, c.authFailed)
		if u == nil {
			return
		}
		if msg := c.allowed(u, ru, pattern, r); msg != "" {
			c.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "user", u.Name, "reason", msg)
			writeJSON(w, http.StatusForbidden, errorBody{Code: http.StatusForbidden, Error: msg})
			return
		}
		mux.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), u)))
	})
}

// authFailed answers 401 and 429 in Pinot's error shape.
func (c *Controller) authFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.log.Debug("request not authenticated", "method", r.Method, "path", r.URL.Path, "status", status, "reason", msg)
	writeJSON(w, status, errorBody{Code: status, Error: msg})
}

// allowed checks rule ru for u and returns "" or why not. The message
// names the user, the access and the table, never a credential.
func (c *Controller) allowed(u *auth.User, ru rule, pattern string, r *http.Request) string {
	switch ru.kind {
	case ruleMember:
		return ""
	case ruleAdmin:
		if u.IsAdmin() {
			return ""
		}
		return "user " + quote(u.Name) + " is not an ADMIN: " + r.Method + " " + r.URL.Path + " needs role ADMIN"
	case ruleInternal:
		if u.IsAdmin() {
			return ""
		}
		return r.URL.Path + " is for the cluster's own processes"
	case ruleTable:
		return tableAccess(u, ru.access, pathParam(pattern, r.URL.Path, ru.param))
	case ruleTableQuery:
		t := r.URL.Query().Get(ru.param)
		if t != "" {
			if typ := r.URL.Query().Get("tableType"); typ != "" && cluster.TableType(t) == "" {
				t += "_" + strings.ToUpper(typ)
			}
		}
		return tableAccess(u, ru.access, t)
	case ruleTableBody:
		t, err := bodyTableName(r, ru.param)
		if err != nil {
			// The handler reports the bad body; only someone allowed to
			// change every table gets that far.
			t = ""
		}
		return tableAccess(u, ru.access, t)
	}
	return "BUG: unknown route rule"
}

func tableAccess(u *auth.User, a auth.Access, table string) string {
	if table == "" {
		if u.CanAll(a) {
			return ""
		}
		return "user " + quote(u.Name) + " has no " + a.String() + " access to every table, and the request names no table"
	}
	if u.Can(table, a) {
		return ""
	}
	return "user " + quote(u.Name) + " has no " + a.String() + " access to table " + quote(table)
}

func quote(s string) string { return "'" + s + "'" }

// pathParam extracts the segment of path that sits where pattern has
// {name}: the guard runs before the mux fills r.PathValue.
func pathParam(pattern, path, name string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range ps {
		if seg == "{"+name+"}" && i < len(xs) {
			return xs[i]
		}
	}
	return ""
}

// bodyTableName reads the request's JSON document (as readDoc does: the
// body or its first multipart part), puts the body back for the handler,
// and returns the table it names: field (schemaName or tableName), with
// the table type appended when the document has one.
func bodyTableName(r *http.Request, field string) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxDocBytes+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	peek := r.Clone(r.Context())
	peek.Body = io.NopCloser(bytes.NewReader(data))
	doc, err := readDoc(discardWriter{}, peek)
	if err != nil {
		return "", err
	}
	var names map[string]json.RawMessage
	if err := json.Unmarshal(doc, &names); err != nil {
		return "", err
	}
	var name, typ string
	_ = json.Unmarshal(names[field], &name)
	_ = json.Unmarshal(names["tableType"], &typ)
	if name != "" && typ != "" && cluster.TableType(name) == "" {
		name += "_" + strings.ToUpper(typ)
	}
	return name, nil
}

// discardWriter is the ResponseWriter of readDoc's MaxBytesReader while
// peeking: nothing is written to it.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}
