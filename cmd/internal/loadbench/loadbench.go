// Package loadbench measures the cluster's query path under concurrent
// load: a selective user-facing query (one user's orders in a time range,
// grouped by campaign) sent through the broker's REST endpoint by 1, 8 and
// 64 clients, reporting throughput and latency percentiles, next to the
// same query run by the engine in-process on the same segments (the
// broker's overhead). It runs an all-in-one cluster (allinone) on loopback.
package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/allinone"
	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

// Config sizes the benchmark.
type Config struct {
	Rows, RowsPerSegment int
	// Clients lists the concurrency levels.
	Clients []int
	// Duration is how long each level runs.
	Duration time.Duration
	// Dir caches the generated segments between runs.
	Dir string
	Log *slog.Logger
	// CPUProfile, when set, receives a CPU profile of the measured levels;
	// MemProfile an allocation profile (allocations made while measuring).
	CPUProfile, MemProfile string
}

// DefaultConfig is the benchmark: 10M rows, 1/8/64 clients.
func DefaultConfig() Config {
	return Config{Rows: 10_000_000, RowsPerSegment: 1_000_000, Clients: []int{1, 8, 64},
		Duration: 10 * time.Second, Dir: filepath.Join(".cache", "loadbench")}
}

// Level is one concurrency level's outcome.
type Level struct {
	Clients  int
	Queries  int64
	Errors   int64
	QPS      float64
	P50, P99 time.Duration
	// CPU is the process's CPU time (client, broker and server together)
	// per query: unlike QPS, it holds when other work shares the machine.
	CPU time.Duration
}

// Report is the whole run's outcome.
type Report struct {
	Rows, Segments int
	Query          string
	// Engine is the in-process engine's median latency for the same
	// queries (one at a time).
	EngineP50 time.Duration
	Levels    []Level
}

const table = "webTransactions"

// queryFor is the benchmark query for one user.
func queryFor(user string, lo, hi int64) string {
	return fmt.Sprintf("SELECT campaign, COUNT(*) AS orders, SUM(price) AS revenue FROM webTransactions "+
		"WHERE userID = '%s' AND creationTimestamp BETWEEN %d AND %d GROUP BY campaign ORDER BY revenue DESC LIMIT 10", user, lo, hi)
}

// Run generates (or reuses) the segments, starts a cluster, loads the
// table and measures.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	sch := datagen.WebTransactions{}.Schema()
	sch.Name = table
	segDir := filepath.Join(cfg.Dir, fmt.Sprintf("segments-%d", cfg.Rows))
	paths, users, lo, hi, err := segments(cfg, segDir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Rows: cfg.Rows, Segments: len(paths), Query: queryFor("<user>", lo, hi)}

	// The engine alone, on the same files.
	var segs []segment.Segment
	for _, p := range paths {
		s, err := immutable.Open(p)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		segs = append(segs, s)
	}
	et := &exec.Table{Name: table, Schema: sch, Segments: segs}
	var lat []time.Duration
	for i := range 2000 {
		q := queryFor(users[i%len(users)], lo, hi)
		start := time.Now()
		if _, err := exec.Query(ctx, et, q); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	rep.EngineP50 = lat[len(lat)/2]

	// The cluster.
	ccfg := allinone.DefaultConfig()
	ccfg.Dir = filepath.Join(cfg.Dir, "cluster")
	os.RemoveAll(ccfg.Dir)
	ccfg.EtcdPort, ccfg.EtcdPeerPort, ccfg.ControllerPort, ccfg.BrokerPort, ccfg.ServerAdminPort, ccfg.ServerQueryPort = 0, 0, 0, 0, 0, 0
	c, err := allinone.Start(ctx, ccfg, log)
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	rc := restclient.New(c.ControllerURL, c.BrokerURL)
	rc.Authorization = c.Authorization
	schemaJSON, err := json.Marshal(sch)
	if err != nil {
		return nil, err
	}
	if err := rc.AddSchema(ctx, schemaJSON); err != nil {
		return nil, err
	}
	tableJSON := `{"tableName":"webTransactions","tableType":"OFFLINE","segmentsConfig":{"timeColumnName":"creationTimestamp","replication":"1"},` +
		`"tenants":{},"tableIndexConfig":{"invertedIndexColumns":["userID"],"rangeIndexColumns":["creationTimestamp"]},"metadata":{}}`
	if err := rc.AddTable(ctx, []byte(tableJSON)); err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := rc.UploadSegment(ctx, table, "OFFLINE", p); err != nil {
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := c.Cache().WaitFor(wctx, func(s *cluster.Snapshot) bool {
		segs := s.Segments[table+"_OFFLINE"]
		if len(segs) != len(paths) {
			return false
		}
		for name := range segs {
			if len(s.View[table+"_OFFLINE"][name]) == 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return nil, fmt.Errorf("segments did not load: %w", err)
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.MemProfile != "" {
		runtime.GC()
		defer func() {
			if f, err := os.Create(cfg.MemProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	for _, n := range cfg.Clients {
		l, err := runLevel(ctx, c.BrokerURL, queryAuth(ccfg), n, cfg.Duration, users, lo, hi)
		if err != nil {
			return nil, err
		}
		rep.Levels = append(rep.Levels, *l)
	}
	return rep, nil
}

// segments builds the table's segments into dir unless they are there,
// and returns their paths, a sample of user ids and the time range the
// queries cover (the middle half of the data's range).
func segments(cfg Config, dir string) (paths, users []string, lo, hi int64, err error) {
	sch := datagen.WebTransactions{}.Schema()
	sch.Name = table
	done := filepath.Join(dir, "complete")
	if _, statErr := os.Stat(done); statErr != nil {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, 0, 0, err
		}
		var b immutable.Builder
		defer b.Close()
		i := 0
		err = datagen.WebTransactions{}.Generate(11, cfg.Rows, cfg.RowsPerSegment, func(cols []*segment.ColumnBuffer) error {
			name := fmt.Sprintf("%s_%d", table, i)
			i++
			_, err := b.Build(filepath.Join(dir, name+".tseg"), immutable.BuildConfig{
				SegmentName: name, TableName: table, Schema: sch, TimeColumn: "creationTimestamp",
				InvertedColumns: []string{"userID"}, RangeColumns: []string{"creationTimestamp"}, PartitionID: -1,
			}, cols)
			return err
		})
		if err != nil {
			return nil, nil, 0, 0, err
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return nil, nil, 0, 0, err
		}
	}
	paths, err = filepath.Glob(filepath.Join(dir, "*.tseg"))
	if err != nil || len(paths) == 0 {
		return nil, nil, 0, 0, fmt.Errorf("no segments in %s", dir)
	}
	// Users and the time range come from the first segment.
	s, err := immutable.Open(paths[0])
	if err != nil {
		return nil, nil, 0, 0, err
	}
	defer s.Close()
	m := s.Meta()
	span := m.EndTime - m.StartTime
	lo, hi = m.StartTime+span/4, m.EndTime-span/4
	col := s.Column("userID")
	d := col.Dictionary()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		// A copy: the dictionary's strings live in the mapping Close ends.
		users = append(users, strings.Clone(d.Strs[rng.IntN(len(d.Strs))]))
	}
	return paths, users, lo, hi, nil
}

// queryAuth is what the benchmark's clients send: Basic admin/admin, as
// Pinot's JDBC driver and pinot-client-go send Basic with every query, so
// the measured path includes the broker's check of cached credentials.
func queryAuth(cfg allinone.Config) string {
	if !cfg.Auth {
		return ""
	}
	return auth.BasicHeader(allinone.AdminUser, allinone.AdminPassword)
}

func runLevel(ctx context.Context, brokerURL, authz string, clients int, d time.Duration, users []string, lo, hi int64) (*Level, error) {
	host, err := brokerHost(brokerURL)
	if err != nil {
		return nil, err
	}
	reqs := make([][]byte, len(users))
	for i, u := range users {
		reqs[i] = queryRequest(host, authz, queryFor(u, lo, hi))
	}
	var queries, errs atomic.Int64
	lats := make([][]time.Duration, clients)
	deadline := time.Now().Add(d)
	// Warm the connections and caches first.
	warm := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	start := time.Now()
	var firstErr atomic.Value
	var sent atomic.Int64
	cpu0 := cpuTime()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			c := &conn{addr: host}
			defer c.close()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req := reqs[rng.IntN(len(reqs))]
				t0 := time.Now()
				err := check(c.do(ctx, req, 10*time.Second))
				el := time.Since(t0)
				sent.Add(1)
				if t0.Before(warm) {
					continue
				}
				queries.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				lats[w] = append(lats[w], el)
			}
		}()
	}
	wg.Wait()
	cpu := cpuTime() - cpu0
	elapsed := time.Since(start) - time.Second
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%d clients: no query succeeded: %v", clients, firstErr.Load())
	}
	slices.Sort(all)
	return &Level{
		Clients: clients, Queries: queries.Load(), Errors: errs.Load(),
		QPS: float64(len(all)) / elapsed.Seconds(),
		P50: all[len(all)/2], P99: all[len(all)*99/100],
		CPU: cpu / time.Duration(max(sent.Load(), 1)),
	}, nil
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// check turns an answer with exceptions into an error too.
func check(body []byte, err error) error {
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte(`"errorCode"`)) {
		return fmt.Errorf("query error: %.200s", body)
	}
	return nil
}

// Print writes the report as a markdown table.
func Print(w io.Writer, r *Report) {
	fmt.Fprintf(w, "%d rows in %d segments; query: %s\n\n", r.Rows, r.Segments, r.Query)
	fmt.Fprintf(w, "engine in-process, one query at a time: p50 %s\n\n", r.EngineP50.Round(time.Microsecond))
	fmt.Fprintln(w, "| clients | queries | errors | QPS | p50 | p99 | broker overhead at p50 | CPU per query |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range r.Levels {
		fmt.Fprintf(w, "| %d | %d | %d | %.0f | %s | %s | %s | %s |\n", l.Clients, l.Queries, l.Errors, l.QPS,
			l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond), (l.P50 - r.EngineP50).Round(time.Microsecond),
			l.CPU.Round(time.Microsecond))
	}
}
