// Package clustertest starts real etcd servers for tests: an embedded
// single-member etcd on loopback ports in a temporary directory.
package clustertest

import (
	"net"
	"strconv"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(FreePort(t))
}

// FreePort returns a port of 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Etcd starts an embedded etcd for the test and returns a client of it;
// both stop when the test ends.
func Etcd(t testing.TB) (*clientv3.Client, string) {
	t.Helper()
	e, err := cluster.StartEmbedded(cluster.EmbeddedConfig{
		Dir: t.TempDir(), ClientAddr: FreeAddr(t), PeerAddr: FreeAddr(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cli, err := cluster.Dial([]string{e.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli, e.Endpoint()
}

// Store starts an embedded etcd and returns a Store on it.
func Store(t testing.TB) *cluster.Store {
	cli, _ := Etcd(t)
	return cluster.NewStore(cli, "test")
}
