package auth

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/peer"
)

func TestContextual(t *testing.T) {
	clk := newClock()
	d := &directory{}
	d.put(t, UserConfig{Username: "ann", Password: "pw", Component: "BROKER", Role: "USER", Tables: []string{"events"}, Permissions: []string{"READ"}})
	a := newAuth(t, d, clk, func(c *Config) {
		c.Guard = GuardConfig{FreeFailures: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, LockAfter: 3, LockFor: time.Minute}
	})
	c := Contextual{A: a}
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 999}})
	uctx, err := c.Authenticate(ctx, BasicHeader("ann", "pw"))
	if err != nil || UserFrom(uctx) == nil || UserFrom(uctx).Name != "ann" {
		t.Fatalf("Authenticate: %v", err)
	}
	if !c.CanRead(uctx, "events") || c.CanRead(uctx, "clicks") || c.CanRead(ctx, "events") {
		t.Fatal("CanRead wrong")
	}
	tok, err := c.IssueToken(uctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authenticate(ctx, "Bearer "+tok); err != nil {
		t.Fatalf("token from IssueToken: %v", err)
	}
	if _, err := c.IssueToken(ctx); err == nil {
		t.Fatal("token issued without a principal")
	}
	// Failures from one peer lock it out.
	for range 3 {
		if _, err := c.Authenticate(ctx, BasicHeader("ann", "bad")); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := c.Authenticate(ctx, BasicHeader("ann", "pw")); err == nil {
		t.Fatal("locked-out peer authenticated")
	}
}
