// Command controller runs a Tannin controller: the cluster's metadata in
// etcd, schema/table/segment REST API (Apache Pinot's paths, port 9000),
// segment assignment, rebalance and retention.
package main

import (
	"os"

	"github.com/tannin-db/tannin/cmd/internal/controller"
	"github.com/tannin-db/tannin/cmd/internal/node"
)

func main() {
	cfg := controller.DefaultConfig()
	os.Exit(node.Main(node.RoleSpec{
		Name:     "controller",
		Flags:    cfg.RegisterFlags,
		Validate: cfg.Validate,
		Start: func(nc node.Config, deps *node.Deps) (node.Role, error) {
			return controller.New(cfg, nc, deps)
		},
	}, os.Args[1:], os.Stderr))
}
