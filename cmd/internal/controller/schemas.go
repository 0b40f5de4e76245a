package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/schema"
)

// maxDocBytes bounds a schema or table config document.
const maxDocBytes = 16 << 20

// readDoc reads a JSON document from the body: the body itself, or the
// first part of a multipart/form-data body (pinot-admin posts schemas as
// a file).
func readDoc(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxDocBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = r.Body
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "read multipart body: %v", err)
		}
		part, err := mr.NextPart()
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "read multipart body: no part: %v", err)
		}
		defer part.Close()
		src = part
	}
	body, err := io.ReadAll(src)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(http.StatusBadRequest, "missing request body: a JSON document is expected")
	}
	return body, nil
}

// warningsMap turns parser warnings into Pinot's unrecognizedProperties
// shape: the JSON path each warning starts with, to the message.
func warningsMap(warnings []string) map[string]string {
	out := make(map[string]string, len(warnings))
	for _, w := range warnings {
		key := w
		if i := strings.IndexAny(w, " :"); i > 0 {
			key = w[:i]
		}
		if prev, ok := out[key]; ok {
			w = prev + "; " + w
		}
		out[key] = w
	}
	return out
}

// queryBool reads a boolean query parameter.
func queryBool(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, v)
	}
	return b, nil
}

// parseSchema parses and checks a schema document as the REST API
// receives it.
func (c *Controller) parseSchema(body []byte) (*schema.Schema, []byte, []string, error) {
	sc, warnings, err := schema.Parse(body)
	if err != nil {
		return nil, nil, nil, err
	}
	if sc.Name == "" {
		return nil, nil, nil, errorf(http.StatusBadRequest, "Invalid schema. Reason: 'schemaName' should not be null or empty")
	}
	if strings.Contains(sc.Name, "__") || strings.ContainsAny(sc.Name, "/ ") {
		return nil, nil, nil, errorf(http.StatusBadRequest, "schemaName %q: cannot contain a double underscore ('__'), '/' or a space", sc.Name)
	}
	raw, err := sc.MarshalJSON()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("encode schema %q: %w", sc.Name, err)
	}
	for _, w := range warnings {
		c.log.Warn("schema property not applied", "schema", sc.Name, "warning", w)
	}
	return sc, raw, warnings, nil
}

// checkCompatible refuses a schema change that would break a table using
// the schema: a column removed, or its data type or single/multi-value
// kind changed (Pinot's backward-compatibility rule).
func checkCompatible(snap *cluster.Snapshot, name string, next *schema.Schema) error {
	old := snap.Schemas[name]
	if old == nil || len(tablesOf(snap, name)) == 0 {
		return nil
	}
	for _, f := range old.Schema.Fields {
		var nf *schema.FieldSpec
		for i := range next.Fields {
			if next.Fields[i].Name == f.Name {
				nf = &next.Fields[i]
			}
		}
		switch {
		case nf == nil:
			return errorf(http.StatusBadRequest, "Backward incompatible schema %s. Reason: column %q is removed", name, f.Name)
		case nf.DataType != f.DataType:
			return errorf(http.StatusBadRequest, "Backward incompatible schema %s. Reason: column %q changes data type from %s to %s", name, f.Name, f.DataType, nf.DataType)
		case nf.SingleValue != f.SingleValue:
			return errorf(http.StatusBadRequest, "Backward incompatible schema %s. Reason: column %q changes between single- and multi-value", name, f.Name)
		}
	}
	return nil
}

// tablesOf lists the tables (with type) whose schema is name.
func tablesOf(snap *cluster.Snapshot, name string) []string {
	var out []string
	for _, t := range []string{name + "_OFFLINE", name + "_REALTIME"} {
		if snap.Tables[t] != nil {
			out = append(out, t)
		}
	}
	return out
}

func (c *Controller) listSchemas(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	names := make([]string, 0, len(snap.Schemas))
	for n := range snap.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	return writeJSON(w, http.StatusOK, names)
}

func (c *Controller) getSchema(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	sc := c.deps.Cache.Snapshot().Schemas[name]
	if sc == nil {
		return errorf(http.StatusNotFound, "Schema not found")
	}
	return writeRaw(w, sc.Raw)
}

func writeRaw(w http.ResponseWriter, raw []byte) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(raw)
	return nil
}

func (c *Controller) addSchema(w http.ResponseWriter, r *http.Request) error {
	override, err := queryBool(r, "override", true)
	if err != nil {
		return err
	}
	force, err := queryBool(r, "force", false)
	if err != nil {
		return err
	}
	body, err := readDoc(w, r)
	if err != nil {
		return err
	}
	sc, raw, warnings, err := c.parseSchema(body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = c.deps.Store.CreateSchema(ctx, sc.Name, raw)
	if errors.Is(err, cluster.ErrExists) {
		if !override {
			return errorf(http.StatusConflict, "Schema: %s already exists", sc.Name)
		}
		if !force {
			if err := checkCompatible(c.deps.Cache.Snapshot(), sc.Name, sc); err != nil {
				return err
			}
		}
		err = c.deps.Store.UpdateSchema(ctx, sc.Name, raw)
	}
	if err != nil {
		return fmt.Errorf("add schema %q: %w", sc.Name, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("schema stored", "schema", sc.Name)
	return writeJSON(w, http.StatusOK, configSuccess{
		UnrecognizedProperties: warningsMap(warnings),
		Status:                 sc.Name + " successfully added",
	})
}

func (c *Controller) updateSchema(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	force, err := queryBool(r, "force", false)
	if err != nil {
		return err
	}
	body, err := readDoc(w, r)
	if err != nil {
		return err
	}
	sc, raw, warnings, err := c.parseSchema(body)
	if err != nil {
		return err
	}
	if sc.Name != name {
		return errorf(http.StatusBadRequest, "Schema name mismatch for uploaded schema, tried to add schema with name %s as %s", sc.Name, name)
	}
	if !force {
		if err := checkCompatible(c.deps.Cache.Snapshot(), name, sc); err != nil {
			return err
		}
	}
	ctx := r.Context()
	if err := c.deps.Store.UpdateSchema(ctx, name, raw); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Failed to find schema %s", name)
		}
		return fmt.Errorf("update schema %q: %w", name, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("schema updated", "schema", name)
	return writeJSON(w, http.StatusOK, configSuccess{
		UnrecognizedProperties: warningsMap(warnings),
		Status:                 name + " successfully added",
	})
}

func (c *Controller) validateSchema(w http.ResponseWriter, r *http.Request) error {
	body, err := readDoc(w, r)
	if err != nil {
		return err
	}
	_, raw, warnings, err := c.parseSchema(body)
	if err != nil {
		return err
	}
	// Pinot answers the schema as GET /schemas/{name} would, with the
	// unrecognized properties added.
	props, err := json.Marshal(warningsMap(warnings))
	if err != nil {
		return err
	}
	out := append(bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}")), []byte(`,"unrecognizedProperties":`)...)
	out = append(append(out, props...), '}')
	return writeRaw(w, out)
}

func (c *Controller) deleteSchema(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	snap := c.deps.Cache.Snapshot()
	if snap.Schemas[name] == nil {
		return errorf(http.StatusNotFound, "Schema %s not found", name)
	}
	if ts := tablesOf(snap, name); len(ts) > 0 {
		return errorf(http.StatusConflict, "Cannot delete schema %s, as it is associated with table %s", name, ts[0])
	}
	ctx := r.Context()
	if err := c.deps.Store.DeleteSchema(ctx, name); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Schema %s not found", name)
		}
		return fmt.Errorf("delete schema %q: %w", name, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("schema deleted", "schema", name)
	return ok(w, "Schema %s deleted", name)
}
