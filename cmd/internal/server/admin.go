package server

import (
	"encoding/json"
	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"net/http"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// adminHandler serves the admin API: Pinot's server health endpoints and
// the segments this server holds.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleReady)
	mux.Handle("GET /metrics", metrics.Handler(s.metrics.reg))
	mux.HandleFunc("GET /health/readiness", s.handleReady)
	mux.HandleFunc("GET /health/liveness", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "OK")
	})
	mux.HandleFunc("GET /tables", s.handleTables)
	mux.HandleFunc("GET /tables/{table}/segments", s.handleSegments)
	mux.HandleFunc("GET /tables/{table}/consumingSegmentsInfo", s.handleConsumingInfo)
	return mux
}

// handleReady answers 200 "OK" once the server is registered and its
// initial segments are loaded or failed; 503 before.
func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	switch {
	case !s.registered.Load():
		writeText(w, http.StatusServiceUnavailable, "server not registered")
	case !s.segs.Ready():
		writeText(w, http.StatusServiceUnavailable, "server loading its segments")
	default:
		writeText(w, http.StatusOK, "OK")
	}
}

func (s *Server) handleTables(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]string{"tables": s.segs.tables()})
}

// tableSegments is the answer of GET /tables/{t}/segments: Pinot's
// TableSegments ("segments": the names of the open segments) plus the
// details of every segment the server holds or failed to load.
type tableSegments struct {
	Table    string        `json:"tableName"`
	Segments []string      `json:"segments"`
	Details  []segmentInfo `json:"segmentDetails"`
}

// handleSegments lists a table's segments on this server. The name may
// omit the type: then both the OFFLINE and REALTIME tables are listed.
func (s *Server) handleSegments(w http.ResponseWriter, r *http.Request) {
	table := r.PathValue("table")
	names := []string{table}
	if cluster.TableType(table) == "" {
		names = []string{table + "_OFFLINE", table + "_REALTIME"}
	}
	snap := s.deps.Cache.Snapshot()
	out := tableSegments{Table: table, Segments: []string{}, Details: []segmentInfo{}}
	known := false
	for _, name := range names {
		infos := s.segs.list(name)
		if snap.Tables[name] != nil || len(infos) > 0 {
			known = true
		}
		for _, in := range infos {
			if in.State != cluster.StateError {
				out.Segments = append(out.Segments, in.Name)
			}
			out.Details = append(out.Details, in)
		}
	}
	if !known {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": http.StatusNotFound, "error": "Table " + table + " does not exist"})
		return
	}
	writeJSON(w, http.StatusOK, &out)
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
