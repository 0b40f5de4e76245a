// Command tannin-loadbench measures the broker's query path under
// concurrent load (cmd/internal/loadbench): QPS, p50 and p99 at 1, 8 and
// 64 clients, and the broker's overhead against the in-process engine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/loadbench"
)

func main() {
	cfg := loadbench.DefaultConfig()
	flag.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows in the table")
	flag.IntVar(&cfg.RowsPerSegment, "rows-per-segment", cfg.RowsPerSegment, "rows per segment")
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "time per concurrency level")
	flag.StringVar(&cfg.Dir, "dir", cfg.Dir, "cache directory for the generated segments")
	clients := flag.String("clients", "1,8,64", "comma-separated concurrency levels")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured levels to this file")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the measured levels to this file")
	freshness := flag.Int("freshness", 0, "instead of the query load, measure the freshness of this many probe events through a REALTIME table")
	freshRate := flag.Int("freshness-background", 1000, "events per second produced alongside the freshness probes")
	throughput := flag.Int("throughput", 0, "instead of the query load, write this many events into a REALTIME table and time until all are counted")
	kinesisEndpoint := flag.String("kinesis-endpoint", "", "with -freshness or -throughput: run the table on a Kinesis-API stream at this URL (e.g. kinesalite) instead of a local stream")
	flag.Parse()
	cfg.CPUProfile, cfg.MemProfile = *cpuProfile, *memProfile
	cfg.Clients = nil
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "tannin-loadbench: -clients: bad level %q\n", s)
			os.Exit(2)
		}
		cfg.Clients = append(cfg.Clients, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *throughput > 0 {
		rep, err := loadbench.Throughput(ctx, cfg.Dir, *kinesisEndpoint, *throughput, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tannin-loadbench:", err)
			os.Exit(1)
		}
		fmt.Printf("throughput: %d events through %s: written in %s (%.0f/s), all counted by the broker after %s (%.0f/s)\n",
			rep.Events, rep.Source, rep.Produce.Round(time.Millisecond), float64(rep.Events)/rep.Produce.Seconds(),
			rep.Visible.Round(time.Millisecond), float64(rep.Events)/rep.Visible.Seconds())
		return
	}
	if *freshness > 0 {
		rep, err := loadbench.Freshness(ctx, loadbench.FreshnessConfig{Dir: cfg.Dir, Events: *freshness, Rate: *freshRate, KinesisEndpoint: *kinesisEndpoint})
		if err != nil {
			fmt.Fprintln(os.Stderr, "tannin-loadbench:", err)
			os.Exit(1)
		}
		loadbench.PrintFreshness(os.Stdout, rep)
		return
	}
	rep, err := loadbench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tannin-loadbench:", err)
		os.Exit(1)
	}
	loadbench.Print(os.Stdout, rep)
}
