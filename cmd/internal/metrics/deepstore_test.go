package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/deepstoretest"
	"github.com/tannin-db/tannin/deepstore/memstore"
)

// TestDeepStore: the wrapper is still a correct store, and /metrics
// counts what went through it.
func TestDeepStore(t *testing.T) {
	reg := NewRegistry()
	s := DeepStore(memstore.New(), reg, "server")
	deepstoretest.AcceptanceTest(t, s)

	ctx := context.Background()
	if err := s.Put(ctx, "t/x", bytes.NewReader(make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(ctx, "t/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	if _, err := s.Get(ctx, "t/none"); !errors.Is(err, deepstore.ErrNotFound) {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	page := rec.Body.String()
	for _, want := range []string{
		`tannin_deepstore_operations_total{op="get",result="not_found",role="server"}`,
		`tannin_deepstore_operations_total{op="put",result="ok",role="server"}`,
		`tannin_deepstore_operation_seconds_count{op="get",role="server"}`,
		`tannin_deepstore_bytes_total{direction="get",role="server"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
