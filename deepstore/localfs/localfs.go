// Package localfs is a deep store in a local directory (the quickstart's,
// or a shared file system mounted on every node).
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tannin-db/tannin/deepstore"
)

// Store keeps each object in a file under Root.
type Store struct {
	root string
}

// New returns a store rooted at dir, creating it if needed.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("deepstore: create %s: %w", abs, err)
	}
	return &Store{root: abs}, nil
}

func (s *Store) path(key string) (string, error) {
	if err := deepstore.CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put writes a temporary file beside the target, syncs it and renames it
// over the target, so that readers never see a partial object.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (err error) {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = io.Copy(f, deepstore.ContextReader(ctx, r)); err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	return nil
}

func (s *Store) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("deepstore get %q: %w", key, deepstore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("deepstore get %q: %w", key, err)
	}
	return f, nil
}

func (s *Store) Size(_ context.Context, key string) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
		return 0, fmt.Errorf("deepstore size %q: %w", key, deepstore.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("deepstore size %q: %w", key, err)
	}
	return st.Size(), nil
}

func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deepstore delete %q: %w", key, err)
	}
	return nil
}

// List walks the directory; temporary files of unfinished puts are not
// objects.
func (s *Store) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".put-") {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deepstore list %q: %w", prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *Store) URI(key string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(s.root, filepath.FromSlash(key)))}).String()
}
