package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
	"github.com/tannin-db/tannin/tableconfig"
)

// tableTypeParam reads the optional ?type= (offline|realtime, any case).
func tableTypeParam(r *http.Request) (string, error) {
	v := r.URL.Query().Get("type")
	if v == "" {
		return "", nil
	}
	t, ok := tableconfig.ParseTableType(v)
	if !ok {
		return "", errorf(http.StatusBadRequest, "Illegal table type: %s", v)
	}
	return string(t), nil
}

// existingTables resolves a table name as the API takes it (raw or with
// its type suffix) and an optional type to the existing tables' names
// with type, OFFLINE first.
func existingTables(snap *cluster.Snapshot, name, typ string) []string {
	var cands []string
	if t := cluster.TableType(name); t != "" {
		if typ == "" || typ == t {
			cands = []string{name}
		}
	} else {
		for _, t := range []string{"OFFLINE", "REALTIME"} {
			if typ == "" || typ == t {
				cands = append(cands, name+"_"+t)
			}
		}
	}
	var out []string
	for _, c := range cands {
		if snap.Tables[c] != nil {
			out = append(out, c)
		}
	}
	return out
}

// tablesParam resolves {table} and ?type= to existing tables, or 404.
func tablesParam(snap *cluster.Snapshot, r *http.Request) ([]string, error) {
	typ, err := tableTypeParam(r)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("table")
	ts := existingTables(snap, name, typ)
	if len(ts) == 0 {
		if typ != "" {
			return nil, errorf(http.StatusNotFound, "Table %s_%s does not exist", cluster.RawTableName(name), typ)
		}
		return nil, errorf(http.StatusNotFound, "Table %s does not exist", name)
	}
	return ts, nil
}

func (c *Controller) listTables(w http.ResponseWriter, r *http.Request) error {
	typ, err := tableTypeParam(r)
	if err != nil {
		return err
	}
	snap := c.deps.Cache.Snapshot()
	seen := map[string]bool{}
	names := []string{}
	for t := range snap.Tables {
		name := cluster.RawTableName(t)
		if typ != "" {
			// Pinot lists names with type when a type is asked for.
			if cluster.TableType(t) != typ {
				continue
			}
			name = t
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return writeJSON(w, http.StatusOK, map[string][]string{"tables": names})
}

// parseTable parses a table config and checks it against its schema.
func (c *Controller) parseTable(snap *cluster.Snapshot, body []byte) (*tableconfig.TableConfig, []byte, []string, error) {
	cfg, warnings, err := tableconfig.Parse(body)
	if err != nil {
		return nil, nil, nil, err
	}
	sc := snap.Schemas[cfg.TableName]
	if sc == nil {
		return nil, nil, nil, errorf(http.StatusBadRequest,
			"table config %q: schema %q not found; add it first with POST /schemas", cfg.TableNameWithType(), cfg.TableName)
	}
	if err := cfg.Validate(sc.Schema); err != nil {
		return nil, nil, nil, err
	}
	raw, err := cfg.MarshalJSON()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("encode table config %q: %w", cfg.TableNameWithType(), err)
	}
	for _, w := range warnings {
		c.log.Warn("table config property not applied", "table", cfg.TableNameWithType(), "warning", w)
	}
	return cfg, raw, warnings, nil
}

func (c *Controller) addTable(w http.ResponseWriter, r *http.Request) error {
	body, err := readDoc(w, r)
	if err != nil {
		return err
	}
	snap := c.deps.Cache.Snapshot()
	cfg, raw, warnings, err := c.parseTable(snap, body)
	if err != nil {
		return err
	}
	name := cfg.TableNameWithType()
	exists := errorf(http.StatusConflict, "Table config for %s already exists. If this is unexpected, try deleting the table to remove all metadata associated with it before attempting to recreate.", name)
	if snap.Tables[name] != nil {
		return exists
	}
	ctx := r.Context()
	var parts []stream.Partition
	if cfg.TableType == tableconfig.Realtime {
		more, ps, err := c.checkRealtime(ctx, snap, cfg)
		if err != nil {
			return err
		}
		warnings, parts = append(warnings, more...), ps
	} else if snap.Tables[cfg.TableName+"_REALTIME"] != nil {
		return errorf(http.StatusBadRequest, "table %s: %s_REALTIME exists; hybrid tables (OFFLINE and REALTIME) are not supported yet", name, cfg.TableName)
	}
	if err := c.deps.Store.CreateTable(ctx, name, raw); err != nil {
		if errors.Is(err, cluster.ErrExists) {
			return exists
		}
		return fmt.Errorf("add table %q: %w", name, err)
	}
	if cfg.TableType == tableconfig.Realtime {
		if err := c.createRealtime(ctx, cfg, parts); err != nil {
			return err
		}
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("table added", "table", name)
	return writeJSON(w, http.StatusOK, configSuccess{
		UnrecognizedProperties: warningsMap(warnings),
		Status:                 "Table " + name + " successfully added",
	})
}

func (c *Controller) getTable(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	ts, err := tablesParam(snap, r)
	if err != nil {
		return err
	}
	out := map[string]json.RawMessage{}
	for _, t := range ts {
		out[cluster.TableType(t)] = snap.Tables[t].Raw
	}
	return writeJSON(w, http.StatusOK, out)
}

func (c *Controller) updateTable(w http.ResponseWriter, r *http.Request) error {
	path := r.PathValue("table")
	body, err := readDoc(w, r)
	if err != nil {
		return err
	}
	snap := c.deps.Cache.Snapshot()
	cfg, raw, warnings, err := c.parseTable(snap, body)
	if err != nil {
		return errorf(statusOf(err), "Invalid table config: %s with error: %w", path, err)
	}
	name := cfg.TableNameWithType()
	fromPath := path
	if cluster.TableType(path) == "" {
		fromPath = path + "_" + string(cfg.TableType)
	}
	if fromPath != name {
		return errorf(http.StatusBadRequest, "Request table %s does not match table name in the body %s", fromPath, name)
	}
	if cfg.TableType == tableconfig.Realtime {
		more, err := streamconfig.Validate(cfg)
		if err == nil {
			_, err = streamConfigOf(cfg)
		}
		if err != nil {
			return errorf(statusOf(err), "Invalid table config: %s with error: %w", path, err)
		}
		warnings = append(warnings, more...)
	}
	ctx := r.Context()
	if err := c.deps.Store.UpdateTable(ctx, name, raw); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Table %s does not exist", name)
		}
		return fmt.Errorf("update table %q: %w", name, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("table config updated", "table", name)
	return writeJSON(w, http.StatusOK, configSuccess{
		UnrecognizedProperties: warningsMap(warnings),
		Status:                 "Table config updated for " + path,
	})
}

func (c *Controller) deleteTable(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	typ, err := tableTypeParam(r)
	if err != nil {
		return err
	}
	path := r.PathValue("table")
	ts := existingTables(snap, path, typ)
	if len(ts) == 0 {
		if typ == "" {
			return errorf(http.StatusNotFound, "Table '%s' does not exist", path)
		}
		return errorf(http.StatusNotFound, "Table '%s' with type %s does not exist", path, typ)
	}
	ctx := r.Context()
	var deleted []string
	for _, t := range ts {
		var keys []string
		for _, seg := range snap.Segments[t] {
			keys = append(keys, seg.Key)
		}
		if err := c.deps.Store.DeleteTable(ctx, t); err != nil {
			if errors.Is(err, cluster.ErrNotFound) {
				continue // deleted concurrently
			}
			return fmt.Errorf("delete table %q: %w", t, err)
		}
		deleted = append(deleted, t)
		c.log.Info("table deleted", "table", t)
		if cluster.TableType(t) == "REALTIME" {
			// Consumption stops as servers see the assignments go; the
			// stream and any completion FSMs are this controller's.
			c.closeStreams(func(name string) bool { return name != t })
		}
		c.deleteFiles(ctx, t, keys)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	if len(deleted) == 0 {
		return errorf(http.StatusNotFound, "Table '%s' does not exist", path)
	}
	return ok(w, "Tables: [%s] deleted", strings.Join(deleted, ", "))
}

// deleteFiles removes a deleted table's segment files from the deep
// store: those its records named, and anything else under its prefix.
// Failures are logged: the metadata is gone already, and a file without
// a record is never served.
func (c *Controller) deleteFiles(ctx context.Context, table string, keys []string) {
	ds := c.deps.DeepStore
	more, err := ds.List(ctx, table+"/")
	if err != nil {
		c.log.Warn("list deleted table's files", "table", table, "err", err)
	}
	seen := map[string]bool{}
	for _, k := range append(keys, more...) {
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if err := ds.Delete(ctx, k); err != nil {
			c.log.Warn("delete segment file", "table", table, "key", k, "err", err)
		}
	}
}

func (c *Controller) tableSchema(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("table")
	sc := c.deps.Cache.Snapshot().Schemas[cluster.RawTableName(name)]
	if sc == nil {
		return errorf(http.StatusNotFound, "Schema not found for table: %s", name)
	}
	return writeRaw(w, sc.Raw)
}

// tableView is Pinot's TableView: segment → instance → state, per type.
type tableView struct {
	Offline  map[string]map[string]string `json:"OFFLINE"`
	Realtime map[string]map[string]string `json:"REALTIME"`
}

func (v *tableView) set(typ string, m map[string]map[string]string) {
	if typ == "OFFLINE" {
		v.Offline = m
	} else {
		v.Realtime = m
	}
}

func (c *Controller) idealState(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	ts, err := tablesParam(snap, r)
	if err != nil {
		return err
	}
	var v tableView
	for _, t := range ts {
		m := map[string]map[string]string{}
		for seg, a := range snap.Assign[t] {
			m[seg] = a.Instances
		}
		v.set(cluster.TableType(t), m)
	}
	return writeJSON(w, http.StatusOK, v)
}

func (c *Controller) externalView(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	ts, err := tablesParam(snap, r)
	if err != nil {
		return err
	}
	var v tableView
	for _, t := range ts {
		m := map[string]map[string]string{}
		for seg, servers := range snap.View[t] {
			states := map[string]string{}
			for s, st := range servers {
				states[s] = st.State
			}
			m[seg] = states
		}
		v.set(cluster.TableType(t), m)
	}
	return writeJSON(w, http.StatusOK, v)
}

// The shapes of Pinot's GET /tables/{t}/size (TableSizeReader). Sizes
// come from the segment records: "reported" counts the replicas servers
// report ONLINE, "estimated" the replicas assigned.
type tableSizeDetails struct {
	TableName                     string        `json:"tableName"`
	ReportedSizeInBytes           int64         `json:"reportedSizeInBytes"`
	EstimatedSizeInBytes          int64         `json:"estimatedSizeInBytes"`
	ReportedSizePerReplicaInBytes int64         `json:"reportedSizePerReplicaInBytes"`
	OfflineSegments               *subTypeSizes `json:"offlineSegments"`
	RealtimeSegments              *subTypeSizes `json:"realtimeSegments"`
}

type subTypeSizes struct {
	ReportedSizeInBytes           int64                   `json:"reportedSizeInBytes"`
	EstimatedSizeInBytes          int64                   `json:"estimatedSizeInBytes"`
	MissingSegments               int                     `json:"missingSegments"`
	ReportedSizePerReplicaInBytes int64                   `json:"reportedSizePerReplicaInBytes"`
	Segments                      map[string]*segmentSize `json:"segments"`
}

type segmentSize struct {
	ReportedSizeInBytes              int64                     `json:"reportedSizeInBytes"`
	EstimatedSizeInBytes             int64                     `json:"estimatedSizeInBytes"`
	MaxReportedSizePerReplicaInBytes int64                     `json:"maxReportedSizePerReplicaInBytes"`
	ServerInfo                       map[string]*serverSegSize `json:"serverInfo"`
}

type serverSegSize struct {
	SegmentName     string `json:"segmentName"`
	DiskSizeInBytes int64  `json:"diskSizeInBytes"`
}

func (c *Controller) tableSize(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	typ, err := tableTypeParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("table")
	ts := existingTables(snap, name, typ)
	if len(ts) == 0 {
		return errorf(http.StatusNotFound, "Table %s not found", name)
	}
	out := tableSizeDetails{TableName: name}
	for _, t := range ts {
		sub := &subTypeSizes{Segments: map[string]*segmentSize{}}
		for segName, seg := range snap.Segments[t] {
			size := seg.Meta.SizeBytes
			ss := &segmentSize{ServerInfo: map[string]*serverSegSize{}}
			if a := snap.Assign[t][segName]; a != nil {
				ss.EstimatedSizeInBytes = size * int64(len(a.Instances))
			}
			for server, st := range snap.View[t][segName] {
				if st.State != cluster.StateOnline {
					continue
				}
				ss.ServerInfo[server] = &serverSegSize{SegmentName: segName, DiskSizeInBytes: size}
				ss.ReportedSizeInBytes += size
				ss.MaxReportedSizePerReplicaInBytes = size
			}
			if len(ss.ServerInfo) == 0 {
				sub.MissingSegments++
			}
			sub.Segments[segName] = ss
			sub.ReportedSizeInBytes += ss.ReportedSizeInBytes
			sub.EstimatedSizeInBytes += ss.EstimatedSizeInBytes
			sub.ReportedSizePerReplicaInBytes += ss.MaxReportedSizePerReplicaInBytes
		}
		if cluster.TableType(t) == "OFFLINE" {
			out.OfflineSegments = sub
		} else {
			out.RealtimeSegments = sub
		}
		out.ReportedSizeInBytes += sub.ReportedSizeInBytes
		out.EstimatedSizeInBytes += sub.EstimatedSizeInBytes
		out.ReportedSizePerReplicaInBytes += sub.ReportedSizePerReplicaInBytes
	}
	return writeJSON(w, http.StatusOK, out)
}
