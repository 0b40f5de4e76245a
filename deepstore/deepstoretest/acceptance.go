// Package deepstoretest is the acceptance test every deep store provider
// passes (after Thanos objstore's AcceptanceTest): call AcceptanceTest
// from the provider's own test with a fresh, empty store.
package deepstoretest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/tannin-db/tannin/deepstore"
)

// AcceptanceTest checks the Store contract on s, which must be empty.
func AcceptanceTest(t *testing.T, s deepstore.Store) {
	ctx := context.Background()
	get := func(key string) []byte {
		t.Helper()
		rc, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("get %q: %v", key, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read %q: %v", key, err)
		}
		return b
	}

	t.Run("missing", func(t *testing.T) {
		if _, err := s.Get(ctx, "t/missing"); !errors.Is(err, deepstore.ErrNotFound) {
			t.Errorf("get of a missing key: %v, want ErrNotFound", err)
		}
		if _, err := s.Size(ctx, "t/missing"); !errors.Is(err, deepstore.ErrNotFound) {
			t.Errorf("size of a missing key: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "t/missing"); err != nil {
			t.Errorf("delete of a missing key: %v, want nil", err)
		}
	})

	t.Run("put get size replace", func(t *testing.T) {
		big := bytes.Repeat([]byte("segment bytes "), 100_000)
		if err := s.Put(ctx, "tx/tx_0.tseg", bytes.NewReader(big)); err != nil {
			t.Fatal(err)
		}
		if got := get("tx/tx_0.tseg"); !bytes.Equal(got, big) {
			t.Fatalf("read back %d bytes, want %d", len(got), len(big))
		}
		if n, err := s.Size(ctx, "tx/tx_0.tseg"); err != nil || n != int64(len(big)) {
			t.Errorf("size = %d, %v; want %d", n, err, len(big))
		}
		if err := s.Put(ctx, "tx/tx_0.tseg", strings.NewReader("v2")); err != nil {
			t.Fatal(err)
		}
		if got := string(get("tx/tx_0.tseg")); got != "v2" {
			t.Errorf("after replace: %q, want v2", got)
		}
		if err := s.Put(ctx, "tx/empty", strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		if got := get("tx/empty"); len(got) != 0 {
			t.Errorf("empty object read back %d bytes", len(got))
		}
	})

	t.Run("list delete", func(t *testing.T) {
		for _, k := range []string{"a/1", "a/2", "a/sub/3", "ab/4"} {
			if err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := s.List(ctx, "a/")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a/1", "a/2", "a/sub/3"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("list a/ = %v, want %v", keys, want)
		}
		if err := s.Delete(ctx, "a/2"); err != nil {
			t.Fatal(err)
		}
		keys, _ = s.List(ctx, "a")
		if want := []string{"a/1", "a/sub/3", "ab/4"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("list a after delete = %v, want %v", keys, want)
		}
	})

	t.Run("bad keys", func(t *testing.T) {
		for _, k := range []string{"", "/abs", "a/../b", "../escape", "a//b", "a/./b", "trailing/"} {
			if err := s.Put(ctx, k, strings.NewReader("x")); err == nil {
				t.Errorf("put %q: no error", k)
			}
			if _, err := s.Get(ctx, k); err == nil {
				t.Errorf("get %q: no error", k)
			}
		}
	})

	t.Run("failed put leaves no object", func(t *testing.T) {
		err := s.Put(ctx, "f/partial", io.MultiReader(strings.NewReader("half"), errReader{}))
		if err == nil {
			t.Fatal("put from a failing reader: no error")
		}
		if _, err := s.Get(ctx, "f/partial"); !errors.Is(err, deepstore.ErrNotFound) {
			t.Errorf("after a failed put: %v, want ErrNotFound", err)
		}
		if keys, _ := s.List(ctx, "f/"); len(keys) != 0 {
			t.Errorf("after a failed put, list = %v", keys)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if err := s.Put(ctx, "c/shared", bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, 4096))); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		got := get("c/shared")
		if len(got) != 4096 || !bytes.Equal(got, bytes.Repeat(got[:1], 4096)) {
			t.Errorf("concurrent puts left a mixed object of %d bytes", len(got))
		}
	})

	if u := s.URI("tx/tx_0.tseg"); !strings.Contains(u, "://") || !strings.HasSuffix(u, "tx/tx_0.tseg") {
		t.Errorf("URI = %q, want a scheme and the key", u)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("reader broke") }
