// Command server runs a Tannin server: it hosts the segments assigned to it
// (downloaded from the deep store, memory-mapped) and answers query
// fragments over gRPC (port 8090; admin HTTP on 8097).
package main

import (
	"os"

	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/cmd/internal/server"
)

func main() {
	cfg := server.DefaultConfig()
	os.Exit(node.Main(node.RoleSpec{
		Name:     "server",
		Flags:    cfg.RegisterFlags,
		Validate: cfg.Validate,
		Start: func(nc node.Config, deps *node.Deps) (node.Role, error) {
			return server.New(cfg, nc, deps)
		},
	}, os.Args[1:], os.Stderr))
}
