// Command broker runs a Tannin broker: Apache Pinot's query API on port
// 8099, routing from etcd, scatter-gather to servers over gRPC, reduce.
package main

import (
	"os"

	"github.com/tannin-db/tannin/cmd/internal/broker"
	"github.com/tannin-db/tannin/cmd/internal/node"
)

func main() {
	cfg := broker.DefaultConfig()
	os.Exit(node.Main(node.RoleSpec{
		Name:     "broker",
		Flags:    cfg.RegisterFlags,
		Validate: cfg.Validate,
		Start: func(nc node.Config, deps *node.Deps) (node.Role, error) {
			return broker.New(cfg, nc, deps)
		},
	}, os.Args[1:], os.Stderr))
}
