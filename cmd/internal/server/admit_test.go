package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAcquireSlot: a fragment that finds every execution slot busy waits
// until its deadline and says why it failed; a freed slot admits it.
func TestAcquireSlot(t *testing.T) {
	q := &queryService{slots: make(chan struct{}, 1)}
	if err := q.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := q.acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for an execution slot (1 busy)") {
		t.Fatalf("acquire with every slot busy: %v", err)
	}
	done := make(chan error)
	go func() { done <- q.acquire(context.Background()) }()
	<-q.slots
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a freed slot did not admit the waiting fragment")
	}
}
