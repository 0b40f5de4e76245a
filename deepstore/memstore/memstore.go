// Package memstore is an in-memory deep store for tests.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/tannin-db/tannin/deepstore"
)

// Store keeps objects in a map.
type Store struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

// New returns an empty store.
func New() *Store { return &Store{objs: map[string][]byte{}} }

func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	if err := deepstore.CheckKey(key); err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("deepstore put %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.objs[key] = b
	s.mu.Unlock()
	return nil
}

func (s *Store) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if err := deepstore.CheckKey(key); err != nil {
		return nil, err
	}
	s.mu.RLock()
	b, ok := s.objs[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("deepstore get %q: %w", key, deepstore.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *Store) Size(_ context.Context, key string) (int64, error) {
	if err := deepstore.CheckKey(key); err != nil {
		return 0, err
	}
	s.mu.RLock()
	b, ok := s.objs[key]
	s.mu.RUnlock()
	if !ok {
		return 0, fmt.Errorf("deepstore size %q: %w", key, deepstore.ErrNotFound)
	}
	return int64(len(b)), nil
}

func (s *Store) Delete(_ context.Context, key string) error {
	if err := deepstore.CheckKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.objs, key)
	s.mu.Unlock()
	return nil
}

func (s *Store) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []string
	for k := range s.objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *Store) URI(key string) string { return "mem:///" + key }
