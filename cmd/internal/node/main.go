package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Role is a started role process.
type Role interface {
	Run(ctx context.Context) error
	HTTPAddr() string
}

// RoleSpec describes one role for Main: its flags and how to start it.
type RoleSpec struct {
	Name string
	// Flags registers the role's own flags, Validate checks them, and
	// Start builds the role on the connected dependencies.
	Flags    func(fs *flag.FlagSet)
	Validate func() error
	Start    func(nc Config, deps *Deps) (Role, error)
}

// Main is the body of every role's main: parse flags, connect to the
// cluster, run the role until SIGINT/SIGTERM. It returns the exit code.
func Main(spec RoleSpec, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(spec.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	nc := DefaultConfig()
	nc.RegisterFlags(fs)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	validate := fs.Bool("validate", false, "check the flags and exit (0 when valid) without starting")
	spec.Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", spec.Name, fs.Arg(0))
		return 2
	}
	if err := nc.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", spec.Name, err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "%s: -log-level: %v\n", spec.Name, err)
		return 2
	}
	if err := spec.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", spec.Name, err)
		return 2
	}
	if *validate {
		fmt.Fprintf(stderr, "%s: flags are valid\n", spec.Name)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})).With("role", spec.Name)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := RunRole(ctx, spec, nc, log); err != nil {
		log.Error("exit", "err", err)
		return 1
	}
	return 0
}

// RunRole connects to the cluster and runs the role until ctx ends.
func RunRole(ctx context.Context, spec RoleSpec, nc Config, log *slog.Logger) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deps, err := Connect(cctx, nc, log)
	if err != nil {
		return err
	}
	defer deps.Etcd.Close()
	r, err := spec.Start(nc, deps)
	if err != nil {
		return err
	}
	log.Info("listening", "http", r.HTTPAddr())
	return r.Run(ctx)
}
