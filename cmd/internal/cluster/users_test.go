package cluster_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
)

func hashedUser(t *testing.T, name, pw string, c auth.Component, role auth.Role, tables ...string) *auth.UserConfig {
	t.Helper()
	u := &auth.UserConfig{Username: name, Password: pw, Component: string(c), Role: string(role), Tables: tables, Permissions: []string{"READ"}}
	if err := u.HashConfig(false); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsersStoreAndCache(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ann := hashedUser(t, "ann", "pw", auth.Broker, auth.PlainUser, "events")
	if err := st.CreateUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, ann); !errors.Is(err, cluster.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	// The same name for another component is another record.
	if err := st.CreateUser(ctx, hashedUser(t, "ann", "pw2", auth.Controller, auth.Admin)); err != nil {
		t.Fatal(err)
	}
	// A plain password is never stored.
	plain := &auth.UserConfig{Username: "bob", Password: "plain", Component: "BROKER", Role: "USER"}
	if err := st.CreateUser(ctx, plain); err == nil || strings.Contains(err.Error(), "plain\"") {
		t.Fatalf("plain password stored: %v", err)
	}
	if err := st.UpdateUser(ctx, hashedUser(t, "nobody", "x", auth.Broker, auth.PlainUser)); !errors.Is(err, cluster.ErrNotFound) {
		t.Fatalf("update of a missing user: %v", err)
	}
	snap, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u := snap.Users["ann_BROKER"]
	if u == nil || u.Name != "ann" || u.Component != auth.Broker || !u.CanRead("events_OFFLINE") || u.CanRead("other") {
		t.Fatalf("ann_BROKER in the snapshot = %v", u)
	}
	if c := snap.UserConfigs["ann_BROKER"]; c == nil || c.Password != ann.Password || !auth.IsHash(c.Password) {
		t.Fatal("stored config lacks the hash")
	}
	if snap.Users["ann_CONTROLLER"] == nil || !snap.Users["ann_CONTROLLER"].IsAdmin() {
		t.Fatal("ann_CONTROLLER missing or not admin")
	}

	// An update makes a new *User (what invalidates cached credentials);
	// an untouched user keeps its pointer.
	ann2 := hashedUser(t, "ann", "pw", auth.Broker, auth.PlainUser, "events", "clicks")
	if err := st.UpdateUser(ctx, ann2); err != nil {
		t.Fatal(err)
	}
	snap2, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap2.Users["ann_BROKER"] == u || !snap2.Users["ann_BROKER"].CanRead("clicks") {
		t.Fatal("update not seen as a new user")
	}
	if snap2.Users["ann_CONTROLLER"] != snap.Users["ann_CONTROLLER"] {
		t.Fatal("an unchanged user got a new pointer")
	}
	if snap.Users["ann_BROKER"] != u {
		t.Fatal("an old snapshot changed")
	}

	// A record that does not decode is left out (and its value not logged).
	if _, err := st.Client().Put(ctx, st.Prefix()+"users/eve_BROKER", `{"username":"eve","password":"plain-text","component":"BROKER","role":"USER"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Client().Put(ctx, st.Prefix()+"users/mallory_BROKER", `{"username":"other","password":"`+ann.Password+`","component":"BROKER","role":"USER"}`); err != nil {
		t.Fatal(err)
	}
	snap3, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap3.Users["eve_BROKER"] != nil || snap3.Users["mallory_BROKER"] != nil || snap3.Users["other_BROKER"] != nil {
		t.Fatal("an invalid stored user entered the snapshot")
	}

	if err := st.DeleteUser(ctx, "ann", auth.Broker); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, "ann", auth.Broker); !errors.Is(err, cluster.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	snap4, err := cache.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap4.Users["ann_BROKER"] != nil || snap4.UserConfigs["ann_BROKER"] != nil || snap4.Users["ann_CONTROLLER"] == nil {
		t.Fatal("delete not seen, or deleted the wrong record")
	}

	// A fresh cache loads users from the prefix.
	cache2, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if cache2.Snapshot().Users["ann_CONTROLLER"] == nil {
		t.Fatal("initial load lacks users")
	}
}

func TestEnsureUsersAndSecret(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	admin := hashedUser(t, "admin", "admin", auth.Controller, auth.Admin)
	created, err := st.EnsureUsers(ctx, []*auth.UserConfig{admin, hashedUser(t, "admin", "admin", auth.Broker, auth.Admin)})
	if err != nil || len(created) != 2 {
		t.Fatalf("first bootstrap: %v, %v", created, err)
	}
	// A changed password survives the next bootstrap.
	changed := hashedUser(t, "admin", "n3w", auth.Controller, auth.Admin)
	if err := st.UpdateUser(ctx, changed); err != nil {
		t.Fatal(err)
	}
	created, err = st.EnsureUsers(ctx, []*auth.UserConfig{admin})
	if err != nil || len(created) != 0 {
		t.Fatalf("second bootstrap: %v, %v", created, err)
	}
	cache, err := cluster.NewCache(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if got := cache.Snapshot().UserConfigs["admin_CONTROLLER"]; got == nil || got.Password != changed.Password {
		t.Fatal("bootstrap overwrote a changed password")
	}

	// Concurrent first calls agree on one secret.
	var wg sync.WaitGroup
	secrets := make([][]byte, 4)
	for i := range secrets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := st.AuthSecret(ctx)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		}()
	}
	wg.Wait()
	for _, s := range secrets[1:] {
		if len(s) != 32 || !bytes.Equal(s, secrets[0]) {
			t.Fatal("processes got different cluster secrets")
		}
	}
	// Another cluster on the same etcd has its own.
	other, err := cluster.NewStore(st.Client(), "other").AuthSecret(ctx)
	if err != nil || bytes.Equal(other, secrets[0]) {
		t.Fatalf("other cluster's secret: %v", err)
	}
}
