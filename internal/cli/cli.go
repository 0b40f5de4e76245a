package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sort"
)

// Env is what a command may touch of its process: the standard streams,
// whether stderr is a terminal (progress bars), and the build's version.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StderrIsTerminal turns progress bars on.
	StderrIsTerminal bool
	// StdinIsTerminal makes quickstart offer its SQL prompt.
	StdinIsTerminal bool
	// Version is the build's version ("dev" when unknown).
	Version string
}

// Command is one subcommand: adding one is one function and one entry of
// the list given to Main.
type Command struct {
	Name string
	// Args is the synopsis after the name, e.g. "[flags] FILES...".
	Args    string
	Summary string
	// Run executes the command with the arguments after its name. A
	// *UsageError makes Main print the command's usage and exit with 2;
	// any other error exits with 1.
	Run func(ctx context.Context, env *Env, args []string) error
}

// UsageError reports bad command-line arguments.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// errSilent is returned by commands that already reported the failure.
var errSilent = errors.New("failed")

// Commands returns the engine's commands: ingest, query, dump-segment and
// version (help is always there). The cluster commands (quickstart, etcd)
// live in cmd/internal/allinone and are added by cmd/tannin.
func Commands() []Command {
	return []Command{
		ingestCommand(),
		queryCommand(),
		dumpCommand(),
		versionCommand(),
	}
}

// Main runs the command args[0] names and returns the process exit code:
// 0 on success, 1 when the command fails, 2 on a usage error.
func Main(ctx context.Context, env *Env, args []string, cmds []Command) int {
	if env.Version == "" {
		env.Version = "dev"
	}
	if len(args) == 0 {
		printHelp(env.Stderr, cmds)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if c := find(cmds, rest[0]); c != nil {
				return runCommand(ctx, env, c, []string{"-h"})
			}
			fmt.Fprintf(env.Stderr, "tannin: unknown command %q\n", rest[0])
			return 2
		}
		printHelp(env.Stdout, cmds)
		return 0
	}
	c := find(cmds, name)
	if c == nil {
		fmt.Fprintf(env.Stderr, "tannin: unknown command %q\n", name)
		if s := nearest(name, cmds); s != "" {
			fmt.Fprintf(env.Stderr, "did you mean %q?\n", s)
		}
		fmt.Fprintln(env.Stderr, "run 'tannin help' for the list of commands")
		return 2
	}
	return runCommand(ctx, env, c, rest)
}

func runCommand(ctx context.Context, env *Env, c *Command, args []string) int {
	err := c.Run(ctx, env, args)
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "tannin %s: %s\nusage: tannin %s %s\nrun 'tannin help %s' for the flags\n", c.Name, ue.Msg, c.Name, c.Args, c.Name)
		return 2
	case errors.Is(err, errSilent):
		return 1
	default:
		fmt.Fprintf(env.Stderr, "tannin %s: %v\n", c.Name, err)
		return 1
	}
}

func find(cmds []Command, name string) *Command {
	for i := range cmds {
		if cmds[i].Name == name {
			return &cmds[i]
		}
	}
	return nil
}

// nearest suggests a command name within two edits of name.
func nearest(name string, cmds []Command) string {
	best, bestD := "", 3
	for _, c := range cmds {
		if d := editDistance(name, c.Name); d < bestD {
			best, bestD = c.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func printHelp(w io.Writer, cmds []Command) {
	fmt.Fprintln(w, "tannin: a real-time distributed OLAP datastore, Apache Pinot compatible")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: tannin COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	sorted := append([]Command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	width := len("help")
	for _, c := range sorted {
		width = max(width, len(c.Name))
	}
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "show this list, or a command's flags: tannin help COMMAND")
}

// newFlags returns a flag set for a command whose usage lists its flags.
func newFlags(env *Env, c string, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: tannin %s %s\n\n%s\n\nflags:\n", c, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags that may come before, between or after the
// positional arguments, which it returns. "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &UsageError{Msg: err.Error()}
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		// Parsing stopped at a positional argument: keep it, go on.
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func versionCommand() Command {
	return Command{
		Name: "version", Summary: "print the version",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlags(env, "version", "", "Print tannin's version and the Go version it was built with.")
			if _, err := parseFlags(fs, args); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "tannin %s (%s %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
