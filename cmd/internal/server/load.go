package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/segment/immutable"
)

// load opens the segment rec describes: from the local copy when its
// trailer CRC equals the record's, else downloaded from the deep store
// into a temporary file, verified, synced and renamed into place. At most
// cap(m.sem) loads run at once.
func (m *manager) load(ctx context.Context, k segKey, rec *cluster.Segment) (*immutable.Segment, error) {
	seg, err := m.loadFile(ctx, k, rec)
	if err != nil {
		return nil, fmt.Errorf("load segment %q of table %q: %w", k.segment, k.table, err)
	}
	return seg, nil
}

func (m *manager) loadFile(ctx context.Context, k segKey, rec *cluster.Segment) (*immutable.Segment, error) {
	if err := checkName(k.table); err != nil {
		return nil, fmt.Errorf("table name: %w", err)
	}
	if err := checkName(k.segment); err != nil {
		return nil, fmt.Errorf("segment name: %w", err)
	}
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-m.sem }()
	if err := ctx.Err(); err != nil { // both were ready: select chose at random
		return nil, err
	}

	path := m.path(k)
	want := rec.Meta.CRC
	if crc, err := immutable.FileCRC(path); err == nil && crc == want {
		seg, err := immutable.Open(path)
		if err == nil && seg.Meta().Name == k.segment {
			return seg, nil
		}
		if err == nil {
			seg.Close()
			err = fmt.Errorf("holds segment %q", seg.Meta().Name)
		}
		m.log.Warn("local segment copy unusable; downloading it again", "table", k.table, "segment", k.segment, "err", err)
	}
	return m.download(ctx, k, rec, path)
}

// download fetches rec's file from the deep store, checks it and moves it
// to path.
func (m *manager) download(ctx context.Context, k segKey, rec *cluster.Segment, path string) (_ *immutable.Segment, err error) {
	if rec.Key == "" {
		return nil, errors.New("the segment record has no deep-store key")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rc, err := m.ds.Get(ctx, rec.Key)
	if err != nil {
		return nil, fmt.Errorf("download %q: %w", rec.Key, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(dir, k.segment+segmentExt+".*"+tmpExt)
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	var seg *immutable.Segment
	defer func() {
		if err != nil {
			if seg != nil {
				seg.Close()
			}
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, deepstore.ContextReader(ctx, rc))
	if err != nil {
		return nil, fmt.Errorf("download %q: %w", rec.Key, err)
	}
	if size := rec.Meta.SizeBytes; size > 0 && n != size {
		return nil, fmt.Errorf("download %q: got %d bytes, the record says %d", rec.Key, n, size)
	}
	if err = f.Sync(); err != nil {
		return nil, err
	}
	if err = f.Close(); err != nil {
		return nil, err
	}
	if seg, err = immutable.Open(tmp); err != nil {
		return nil, err
	}
	if err = seg.VerifyCRC(); err != nil {
		return nil, err
	}
	if got := seg.Meta().CRC; got != rec.Meta.CRC {
		return nil, fmt.Errorf("downloaded file has CRC %08x, the record says %08x", got, rec.Meta.CRC)
	}
	if got := seg.Meta().Name; got != k.segment {
		return nil, fmt.Errorf("downloaded file holds segment %q", got)
	}
	if err = os.Rename(tmp, path); err != nil {
		return nil, err
	}
	if err = syncDir(dir); err != nil {
		return nil, err
	}
	return seg, nil
}

// checkName rejects names that cannot be one path element.
func checkName(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") {
		return fmt.Errorf("%q cannot name a local file", s)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
