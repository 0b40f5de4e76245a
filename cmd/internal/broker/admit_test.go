package broker

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"
)

func admitBroker(slots int, timeout time.Duration) *Broker {
	cfg := DefaultConfig()
	cfg.Timeout = timeout
	return &Broker{cfg: cfg, log: slog.New(slog.DiscardHandler), now: time.Now, admit: make(chan struct{}, slots),
		metrics: newBrokerMetrics(slots)}
}

// TestAdmissionTimeout: a query that finds every slot busy for its whole
// timeout gets Pinot's broker timeout error, naming the slots.
func TestAdmissionTimeout(t *testing.T) {
	b := admitBroker(1, 50*time.Millisecond)
	b.admit <- struct{}{} // the one slot is busy
	start := time.Now()
	resp := b.query(context.Background(), &queryRequest{SQL: "SELECT 1 FROM t"}, "")
	if len(resp.Exceptions) != 1 || resp.Exceptions[0].Code != codeBrokerTimeout ||
		!strings.Contains(resp.Exceptions[0].Msg, "waited 50ms for one of 1 query slots") {
		t.Fatalf("exceptions %+v", resp.Exceptions)
	}
	if el := time.Since(start); el < 50*time.Millisecond || el > 5*time.Second {
		t.Fatalf("answered after %v", el)
	}
	// A request that ends while waiting says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp = b.query(ctx, &queryRequest{SQL: "SELECT 1 FROM t"}, "")
	if len(resp.Exceptions) != 1 || !strings.Contains(resp.Exceptions[0].Msg, "request ended while waiting") {
		t.Fatalf("exceptions %+v", resp.Exceptions)
	}
}

// TestAdmissionOrder: waiting queries get slots in the order they came.
func TestAdmissionOrder(t *testing.T) {
	b := admitBroker(1, 10*time.Second)
	b.admit <- struct{}{}
	order := make(chan int, 5)
	for i := range 5 {
		go func() {
			if qe := b.wait(context.Background()); qe != nil {
				t.Error(qe.Msg)
			}
			order <- i
		}()
		// Let each waiter queue before the next arrives.
		deadline := time.Now().Add(5 * time.Second)
		for waiters() <= i {
			if time.Now().After(deadline) {
				t.Fatalf("waiter %d did not start waiting", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for want := range 5 {
		<-b.admit // release the slot held by the previous one
		if got := <-order; got != want {
			t.Fatalf("slot %d went to waiter %d", want, got)
		}
	}
}

// waiters counts the goroutines blocked in Broker.wait.
func waiters() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "broker.(*Broker).wait(")
}
