// Package deepstore is the interface to deep storage, the source of truth
// for sealed segments: servers download the segments they are assigned
// from it, and realtime commits upload to it. Providers live in
// subpackages (localfs, memstore; S3 next), and every provider passes the
// one acceptance test in deepstoretest.
//
// Keys are slash-separated relative paths such as
// "webTransactions/webTransactions_0.tseg"; each provider maps them to
// its namespace. Writes are atomic: a reader sees a whole object or none.
package deepstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotFound is returned (wrapped) when a key holds no object.
var ErrNotFound = errors.New("deepstore: object not found")

// Store is a deep store.
type Store interface {
	// Put stores the bytes of r under key, replacing any object there,
	// atomically.
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the object under key; ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Size returns the object's length; ErrNotFound when there is none.
	Size(ctx context.Context, key string) (int64, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// URI names the object for metadata (Pinot's downloadUrl), e.g.
	// "file:///data/deepstore/t/seg" or "s3://bucket/t/seg".
	URI(key string) string
}

// CheckKey rejects keys that could escape a provider's namespace or are
// not canonical: empty, absolute, with empty, "." or ".." elements.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("deepstore: empty key")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("deepstore: key %q must be a relative path without a trailing slash", key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("deepstore: key %q has an empty, \".\" or \"..\" element", key)
		}
		if strings.ContainsAny(el, "\\\x00") {
			return fmt.Errorf("deepstore: key %q contains a backslash or NUL", key)
		}
	}
	return nil
}

// ContextReader returns a reader of r that fails with ctx's error once ctx
// ends, so that a copy to or from a deep store stops with its request.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
