// Command tannin-bench runs the benchmark of internal/bench: Tannin against
// DuckDB on the same generated clickstream rows. DuckDB is linked here, not
// into the tannin binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/tannin-db/tannin/internal/bench"
)

func main() {
	cfg := bench.DefaultConfig()
	flag.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows in the benchmark table")
	flag.IntVar(&cfg.RowsPerSegment, "rows-per-segment", cfg.RowsPerSegment, "rows per segment")
	flag.StringVar(&cfg.Dir, "dir", cfg.Dir, "cache directory for segments and the DuckDB file")
	flag.IntVar(&cfg.Runs, "runs", cfg.Runs, "timed runs per query (median reported)")
	flag.IntVar(&cfg.Threads, "threads", cfg.Threads, "threads for both engines")
	only := flag.String("only", "", "comma-separated query names (default all)")
	md := flag.Bool("markdown", false, "print the result table as markdown for docs/benchmarks.md")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tannin-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "tannin-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tannin-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	bench.PrintSummary(os.Stdout, rep, *md)
}
