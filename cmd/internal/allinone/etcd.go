package allinone

import (
	"context"
	"flag"
	"fmt"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/internal/cli"
)

// EtcdCommand is `tannin etcd`: a single-member etcd server (the real etcd
// server library) as its own process, for tests and small deployments that
// have no etcd of their own.
func EtcdCommand() cli.Command {
	return cli.Command{
		Name: "etcd", Args: "--data-dir DIR [--listen-client ADDR] [--listen-peer ADDR]",
		Summary: "run a single-member etcd server for a Tannin cluster",
		Run:     runEtcd,
	}
}

func runEtcd(ctx context.Context, env *cli.Env, args []string) error {
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("data-dir", "", "etcd data `directory` (required)")
	client := fs.String("listen-client", "127.0.0.1:2379", "client `address`")
	peer := fs.String("listen-peer", "127.0.0.1:2380", "peer `address`")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &cli.UsageError{Msg: err.Error()}
	}
	if *dir == "" {
		return &cli.UsageError{Msg: "--data-dir is required"}
	}
	e, err := cluster.StartEmbedded(cluster.EmbeddedConfig{Dir: *dir, ClientAddr: *client, PeerAddr: *peer, LogLevel: "warn"})
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(env.Stdout, "etcd serving at %s\n", e.Endpoint())
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.Err():
		return err
	}
}
