package streams

import (
	"context"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/stream/memstream"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

func TestOpenLocal(t *testing.T) {
	ctx := context.Background()
	cfg := &streamconfig.Config{Type: streamconfig.Local, Topic: "demo"}
	var local Local
	if _, err := Open(ctx, cfg, &local); err == nil || !strings.Contains(err.Error(), `local stream "demo": not served`) {
		t.Fatalf("open of an unregistered local stream: %v", err)
	}
	ms := memstream.New(2)
	local.Register("demo", ms)
	s, err := Open(ctx, cfg, &local)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := s.Partitions(ctx)
	if err != nil || len(parts) != 2 {
		t.Fatalf("partitions: %v, %v", parts, err)
	}
	// Closing the borrowed stream leaves the owner's open.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Partitions(ctx); err != nil {
		t.Fatalf("the owner's stream was closed: %v", err)
	}
}

func TestOpenUnsupported(t *testing.T) {
	_, err := Open(context.Background(), &streamconfig.Config{Type: "kafka", Topic: "x"}, nil)
	if err == nil || !strings.Contains(err.Error(), `stream type "kafka": not supported`) {
		t.Fatalf("got %v", err)
	}
}
