package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/console"
	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// Handler returns the REST API: Apache Pinot's controller paths, methods,
// status codes and JSON bodies.
func (c *Controller) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, c.wrap(fn))
	}
	h("GET /health", c.health)
	mux.Handle("GET /metrics", metrics.Handler(c.metrics))
	h("GET /pinot-controller/admin", c.health)
	h("GET /version", c.version)
	h("GET /cluster/info", c.clusterInfo)
	c.userRoutes(h) // /users and /auth (users.go)

	h("GET /schemas", c.listSchemas)
	h("POST /schemas", c.addSchema)
	h("POST /schemas/validate", c.validateSchema)
	h("GET /schemas/{name}", c.getSchema)
	h("PUT /schemas/{name}", c.updateSchema)
	h("DELETE /schemas/{name}", c.deleteSchema)

	h("GET /tables", c.listTables)
	h("POST /tables", c.addTable)
	h("GET /tables/{table}", c.getTable)
	h("PUT /tables/{table}", c.updateTable)
	h("DELETE /tables/{table}", c.deleteTable)
	h("GET /tables/{table}/schema", c.tableSchema)
	h("GET /tables/{table}/idealstate", c.idealState)
	h("GET /tables/{table}/externalview", c.externalView)
	h("GET /tables/{table}/size", c.tableSize)
	h("POST /tables/{table}/rebalance", c.rebalance)
	h("GET /rebalanceStatus/{jobId}", c.rebalanceStatus)
	h("GET /tables/livebrokers", c.liveBrokers)
	h("GET /tables/{table}/consumingSegmentsInfo", c.consumingSegmentsInfo)

	h("GET /segmentConsumed", c.segmentConsumed)
	h("GET /segmentCommitStart", c.segmentCommitStart)
	h("POST /segmentCommitEnd", c.segmentCommitEnd)
	h("GET /segmentStoppedConsuming", c.segmentStoppedConsuming)

	h("POST /segments", c.uploadSegment)
	h("POST /v2/segments", c.uploadSegment)
	h("GET /segments/{table}", c.listSegments)
	h("DELETE /segments/{table}", c.deleteSegments)
	h("GET /segments/{table}/servers", c.segmentServers)
	h("GET /segments/{table}/{segment}", c.downloadSegment)
	h("DELETE /segments/{table}/{segment}", c.deleteSegment)
	h("GET /segments/{table}/{segment}/metadata", c.segmentMetadata)

	h("GET /instances", c.listInstances)
	h("GET /liveinstances", c.liveInstances)
	h("GET /instances/{name}", c.getInstance)
	h("PUT /instances/{name}/updateTags", c.updateTags)
	h("PUT /instances/{name}/state", c.instanceState)
	h("DELETE /instances/{name}", c.dropInstance)
	h("GET /tenants", c.listTenants)
	h("GET /tenants/{tenant}", c.getTenant)

	console.Mount(mux)               // admin console: / and /console/...
	mux.Handle("/sql", c.sqlProxy()) // queries forwarded to a live broker (sqlproxy.go)

	h("GET /brokers", c.brokersMapping(false))
	h("GET /v2/brokers", c.brokersMapping(true))
	h("GET /brokers/tenants", c.tenantsToBrokers(false))
	h("GET /v2/brokers/tenants", c.tenantsToBrokers(true))
	h("GET /brokers/tenants/{tenant}", c.tenantBrokers(false))
	h("GET /v2/brokers/tenants/{tenant}", c.tenantBrokers(true))
	h("GET /brokers/tables", c.tablesToBrokers(false))
	h("GET /v2/brokers/tables", c.tablesToBrokers(true))
	h("GET /brokers/tables/{table}", c.tableBrokers(false))
	h("GET /v2/brokers/tables/{table}", c.tableBrokers(true))
	return c.guard(mux) // authentication and route rules (access.go)
}

// httpError is an error that answers with a given HTTP status.
type httpError struct {
	status int
	msg    string
	err    error
}

func (e *httpError) Error() string { return e.msg }
func (e *httpError) Unwrap() error { return e.err }

// errorf returns an error answering with status.
func errorf(status int, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &httpError{status: status, msg: err.Error(), err: errors.Unwrap(err)}
}

// statusOf is the one table that maps errors to HTTP statuses.
func statusOf(err error) int {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, schema.ErrInvalid), errors.Is(err, tableconfig.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, cluster.ErrExists), errors.Is(err, cluster.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, cluster.ErrNotFound), errors.Is(err, deepstore.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is Pinot's error shape (SimpleHttpErrorInfo).
type errorBody struct {
	Code  int    `json:"code"`
	Error string `json:"error"`
}

// wrap turns a handler that returns an error into an http.Handler that
// answers the error in Pinot's shape.
func (c *Controller) wrap(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		status := statusOf(err)
		if status >= 500 {
			c.log.Error("request", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		} else {
			c.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		}
		writeJSON(w, status, errorBody{Code: status, Error: err.Error()})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// success is Pinot's SuccessResponse.
type success struct {
	Status string `json:"status"`
}

// configSuccess is Pinot's ConfigSuccessResponse: the status and the
// properties of the document that were not applied, by JSON path.
type configSuccess struct {
	UnrecognizedProperties map[string]string `json:"unrecognizedProperties"`
	Status                 string            `json:"status"`
}

func ok(w http.ResponseWriter, format string, args ...any) error {
	return writeJSON(w, http.StatusOK, success{Status: fmt.Sprintf(format, args...)})
}

func (c *Controller) health(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("OK"))
	return nil
}

func (c *Controller) version(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"tannin-controller": c.cfg.Version})
}

func (c *Controller) clusterInfo(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	leader := snap.Leader
	if c.IsLeader() {
		leader = c.name
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"clusterName": c.nc.ClusterName,
		"leader":      leader,
		"instance":    c.name,
		"isLeader":    c.IsLeader(),
		"version":     c.cfg.Version,
	})
}
