// Command tannin is Tannin's command-line tool: the all-in-one quickstart
// cluster, a standalone etcd, batch ingestion of files into segments,
// queries over segment files, segment inspection. The commands live in
// internal/cli and cmd/internal/allinone; this main only wires them.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"

	"github.com/tannin-db/tannin/cmd/internal/allinone"
	"github.com/tannin-db/tannin/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StderrIsTerminal: isTerminal(os.Stderr),
		StdinIsTerminal:  isTerminal(os.Stdin),
		Version:          version(),
	}
	cmds := append([]cli.Command{allinone.QuickstartCommand()}, cli.Commands()...)
	cmds = append(cmds, allinone.EtcdCommand())
	code := cli.Main(ctx, env, os.Args[1:], cmds)
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
