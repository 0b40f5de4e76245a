package controller

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tannin-db/tannin/cmd/internal/assign"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// segmentExt is the file name extension of a Tannin segment.
const segmentExt = ".tseg"

// uploadLocks serialises this controller's uploads of one segment, so that
// the deep-store file and the record of concurrent re-uploads agree.
type uploadLocks struct {
	mu    sync.Mutex
	locks map[string]*uploadLock
}

type uploadLock struct {
	sync.Mutex
	refs int
}

func (u *uploadLocks) lock(key string) func() {
	u.mu.Lock()
	if u.locks == nil {
		u.locks = map[string]*uploadLock{}
	}
	l := u.locks[key]
	if l == nil {
		l = &uploadLock{}
		u.locks[key] = l
	}
	l.refs++
	u.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		u.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(u.locks, key)
		}
		u.mu.Unlock()
	}
}

// uploadSegment is POST /segments and POST /v2/segments: a multipart body
// whose file part is a segment file, or a gzip'd tar holding exactly one.
// The file is streamed to a temporary file, opened (every section's CRC
// and the file CRC checked), matched against the table's schema, put in
// the deep store and recorded with an assignment; a re-upload replaces
// file and record and keeps the assignment.
func (c *Controller) uploadSegment(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	typ := "OFFLINE"
	if v := q.Get("tableType"); v != "" {
		t := strings.ToUpper(v)
		if t != "OFFLINE" && t != "REALTIME" {
			return errorf(http.StatusBadRequest, "Illegal table type: %s", v)
		}
		typ = t
	}
	tableName := q.Get("tableName")
	if t := cluster.TableType(tableName); t != "" && t != typ {
		return errorf(http.StatusBadRequest, "Table name: %s does not match table type: %s", tableName, typ)
	}
	if ut := r.Header.Get("UPLOAD_TYPE"); ut != "" && !strings.EqualFold(ut, "SEGMENT") {
		return errorf(http.StatusBadRequest, "upload type %s is not supported: send the segment file as multipart/form-data", ut)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return errorf(http.StatusBadRequest, "Segment file (as multipart/form-data) is required for SEGMENT upload mode")
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxUploadBytes)
	dir, err := os.MkdirTemp(c.cfg.DataDir, "upload-")
	if err != nil {
		return fmt.Errorf("upload: temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := c.receiveSegment(r, dir)
	if err != nil {
		return err
	}
	seg, err := immutable.Open(path)
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid segment file: %w", err)
	}
	defer seg.Close()
	if err := seg.VerifyCRC(); err != nil {
		return errorf(http.StatusBadRequest, "invalid segment file: %w", err)
	}
	// A copy of the metadata that shares no memory with the mapping.
	metaJSON, err := immutable.MarshalMeta(seg.Meta())
	if err != nil {
		return fmt.Errorf("upload: segment metadata: %w", err)
	}
	meta, err := immutable.UnmarshalMeta(metaJSON)
	if err != nil {
		return fmt.Errorf("upload: segment metadata: %w", err)
	}
	meta.CRC, meta.SizeBytes = seg.Meta().CRC, seg.Meta().SizeBytes
	raw := cluster.RawTableName(tableName)
	if raw == "" {
		raw = meta.Table
	}
	if raw == "" {
		return errorf(http.StatusBadRequest, "segment %q names no table: pass ?tableName=", meta.Name)
	}
	return c.storeSegment(w, r, raw+"_"+typ, path, meta)
}

// receiveSegment streams the upload's file part into dir and returns the
// path of the segment file.
func (c *Controller) receiveSegment(r *http.Request, dir string) (string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", errorf(http.StatusBadRequest, "read multipart body: %v", err)
	}
	var part *multipart.Part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", readError("read multipart body", err)
		}
		if p.FileName() != "" {
			part = p
			break
		}
		p.Close()
	}
	if part == nil {
		return "", errorf(http.StatusBadRequest, "multipart body has no file part: send the segment as a file")
	}
	defer part.Close()
	br := bufio.NewReaderSize(part, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return c.untarSegment(br, dir)
	}
	path := filepath.Join(dir, fileName(part.FileName()))
	if err := c.writeFile(path, br); err != nil {
		return "", err
	}
	return path, nil
}

// untarSegment extracts the one segment file of a gzip'd tar.
func (c *Controller) untarSegment(r io.Reader, dir string) (string, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return "", readError("read tar.gz upload", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var path string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", readError("read tar.gz upload", err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, segmentExt) {
			continue
		}
		if path != "" {
			return "", errorf(http.StatusBadRequest, "tar.gz upload holds more than one segment file (%s and %s): upload one segment at a time", filepath.Base(path), h.Name)
		}
		path = filepath.Join(dir, fileName(h.Name))
		if err := c.writeFile(path, tr); err != nil {
			return "", err
		}
	}
	if path == "" {
		return "", errorf(http.StatusBadRequest, "tar.gz upload holds no segment file (*%s)", segmentExt)
	}
	return path, nil
}

// writeFile copies r to path, at most MaxUploadBytes (which also bounds
// what a compressed upload expands to).
func (c *Controller) writeFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, c.cfg.MaxUploadBytes+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		return fmt.Errorf("upload: %w", cerr)
	}
	if err != nil {
		return readError("read upload", err)
	}
	if n > c.cfg.MaxUploadBytes {
		return tooLarge(c.cfg.MaxUploadBytes)
	}
	return nil
}

// readError classifies an error reading the request: too large stays a
// MaxBytesError (413), anything else is the client's (400).
func readError(op string, err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return errorf(http.StatusBadRequest, "%s: %v", op, err)
}

func tooLarge(limit int64) error {
	return errorf(http.StatusRequestEntityTooLarge, "upload too large: over the limit of %d bytes (-max-upload-bytes)", limit)
}

// fileName is a safe local file name for an uploaded name.
func fileName(name string) string {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "." || base == "/" || base == ".." || base == "" {
		base = "segment" + segmentExt
	}
	return base
}

// checkColumns requires the segment's columns to be the schema's: same
// names, data types and single/multi-value kinds.
func checkColumns(meta *segment.Meta, sc *schema.Schema, table string) error {
	have := make(map[string]bool, len(meta.Columns))
	for _, cm := range meta.Columns {
		have[cm.Name] = true
		var f *schema.FieldSpec
		for i := range sc.Fields {
			if sc.Fields[i].Name == cm.Name {
				f = &sc.Fields[i]
			}
		}
		switch {
		case f == nil:
			return errorf(http.StatusBadRequest, "segment %q: column %q is not in the schema of table %s", meta.Name, cm.Name, table)
		case f.DataType != cm.DataType:
			return errorf(http.StatusBadRequest, "segment %q: column %q has data type %s; the schema of table %s says %s", meta.Name, cm.Name, cm.DataType, table, f.DataType)
		case f.SingleValue != cm.SingleValue:
			return errorf(http.StatusBadRequest, "segment %q: column %q is %s; the schema of table %s says %s", meta.Name, cm.Name, valueKind(cm.SingleValue), table, valueKind(f.SingleValue))
		}
	}
	for _, f := range sc.Fields {
		if !have[f.Name] {
			return errorf(http.StatusBadRequest, "segment %q: column %q of the schema of table %s is missing", meta.Name, f.Name, table)
		}
	}
	return nil
}

func valueKind(single bool) string {
	if single {
		return "single-value"
	}
	return "multi-value"
}

// storeSegment validates the segment against its table, puts the file in
// the deep store and records it with an assignment.
func (c *Controller) storeSegment(w http.ResponseWriter, r *http.Request, table, path string, meta *segment.Meta) error {
	name := meta.Name
	if name == "" || strings.ContainsAny(name, "/\\") {
		return errorf(http.StatusBadRequest, "segment name %q: must be non-empty without '/' or '\\'", name)
	}
	key := table + "/" + name + segmentExt
	if err := deepstore.CheckKey(key); err != nil {
		return errorf(http.StatusBadRequest, "segment name %q: %v", name, err)
	}
	unlock := c.uploads.lock(key)
	defer unlock()

	snap := c.deps.Cache.Snapshot()
	tbl := snap.Tables[table]
	if tbl == nil {
		return errorf(http.StatusBadRequest, "Failed to find table: %s", table)
	}
	sc := snap.TableSchema(table)
	if sc == nil {
		return errorf(http.StatusBadRequest, "table %s has no schema %q", table, cluster.RawTableName(table))
	}
	if err := checkColumns(meta, sc.Schema, table); err != nil {
		return err
	}
	if tc := tbl.Config.Segments.TimeColumnName; tc != "" && meta.TimeColumn != tc {
		return errorf(http.StatusBadRequest, "segment %q: built with time column %q, but table %s has time column %q", name, meta.TimeColumn, table, tc)
	}
	existing := snap.Segments[table][name]
	var asg *cluster.Assignment
	if snap.Assign[table][name] == nil {
		tag := cluster.ServerTag(tbl.Config.Tenants.Server, cluster.TableType(table))
		servers, err := assign.Place(snap, tag, tbl.Config.Segments.Replication)
		if err != nil {
			return errorf(http.StatusServiceUnavailable, "assign segment %s of table %s: %w", name, table, err)
		}
		asg = &cluster.Assignment{Instances: make(map[string]string, len(servers))}
		for _, s := range servers {
			asg.Instances[s] = cluster.StateOnline
		}
	}

	ctx := r.Context()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	err = c.deps.DeepStore.Put(ctx, key, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("put segment %s of table %s in the deep store: %w", name, table, err)
	}
	rec := &cluster.Segment{
		Table: table, Meta: meta, DownloadURI: c.deps.DeepStore.URI(key), Key: key,
		PushTimeMs: c.cfg.now().UnixMilli(), Status: "DONE",
	}
	if existing != nil && existing.PushTimeMs != 0 {
		rec.PushTimeMs = existing.PushTimeMs
	}
	err = c.deps.Store.PutSegment(ctx, rec, asg, existing != nil)
	if errors.Is(err, cluster.ErrExists) {
		// Created meanwhile by another controller: this upload replaces it
		// and keeps the assignment made there.
		existing = rec
		err = c.deps.Store.PutSegment(ctx, rec, nil, true)
	}
	if err != nil {
		return fmt.Errorf("record segment %s of table %s: %w", name, table, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	if asg != nil {
		c.log.Info("segment stored", "table", table, "segment", name, "crc", meta.CRC, "servers", asg.Replicas())
	} else {
		c.log.Info("segment replaced", "table", table, "segment", name, "crc", meta.CRC)
	}
	return ok(w, "Successfully uploaded segment: %s of table: %s", name, table)
}
