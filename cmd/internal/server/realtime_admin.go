package server

import (
	"net/http"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// handleConsumingInfo answers GET /tables/{table}/consumingSegmentsInfo
// with the consuminginfo.Server contract: this server's consuming
// segments of the table and their partition consumers' numbers. The name
// may omit the _REALTIME suffix.
func (s *Server) handleConsumingInfo(w http.ResponseWriter, r *http.Request) {
	table := r.PathValue("table")
	switch cluster.TableType(table) {
	case "":
		table += "_REALTIME"
	case "OFFLINE":
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": http.StatusBadRequest,
			"error": "table " + table + " is an OFFLINE table: it has no consuming segments"})
		return
	}
	info, known := s.rt.info(table)
	if !known && s.deps.Cache.Snapshot().Tables[table] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": http.StatusNotFound, "error": "Table " + table + " does not exist"})
		return
	}
	writeJSON(w, http.StatusOK, &info)
}
