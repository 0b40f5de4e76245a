package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/ingest/batch"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

func quickstartCommand() Command {
	return Command{
		Name: "quickstart", Args: "[--dir DIR] [--rows N] [--interactive]",
		Summary: "demo: the web-transactions table with generated rows, example queries, a SQL prompt",
		Run:     runQuickstart,
	}
}

const quickstartSummary = `Generate web-transactions events as JSON lines, ingest them through the
demo table's config (deploy/quickstart: a time-string transform, inverted,
range and bloom indexes) into segments under DIR, run example queries, then
read SQL from standard input until EOF or \q. A second run with the same DIR
reuses its segments.`

// quickstartQueries show the engine's paths on the demo table.
var quickstartQueries = []string{
	"SELECT COUNT(*), SUM(price), AVG(price) FROM webTransactions",
	"SELECT campaign, COUNT(*) AS orders, SUM(price) AS revenue FROM webTransactions GROUP BY campaign ORDER BY revenue DESC LIMIT 10",
	"SELECT department, COUNT(*) AS orders FROM webTransactions WHERE userID = '42' AND campaign <> 'NONE' GROUP BY department ORDER BY orders DESC LIMIT 5",
	"SELECT DATETRUNC('day', creationTimestamp) AS day, COUNT(*) AS orders FROM webTransactions GROUP BY DATETRUNC('day', creationTimestamp) ORDER BY day LIMIT 5",
	"SELECT productName, price FROM webTransactions WHERE price BETWEEN 149 AND 150 ORDER BY price DESC, productName LIMIT 5",
}

func runQuickstart(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "quickstart", quickstartCommand().Args, quickstartSummary)
	dir := fs.String("dir", filepath.Join(".cache", "quickstart"), "data `directory`")
	rows := fs.Int("rows", 1_000_000, "generated `rows` (first run only)")
	interactive := fs.Bool("interactive", false, "read SQL from standard input even when it is not a terminal")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, warnings, err := schema.Parse(deploy.QuickstartSchema)
	if err != nil {
		return fmt.Errorf("quickstart schema: %w", err)
	}
	tc, tw, err := tableconfig.Parse(deploy.QuickstartTableConfig)
	if err != nil {
		return fmt.Errorf("quickstart table config: %w", err)
	}
	for _, w := range append(warnings, tw...) {
		fmt.Fprintln(env.Stderr, "warning:", w)
	}
	segDir := filepath.Join(*dir, "segments")
	if existing, _ := filepath.Glob(filepath.Join(segDir, "*"+batch.SegmentExt)); len(existing) == 0 {
		if err := quickstartIngest(ctx, env, s, tc, *dir, segDir, *rows); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "reusing %d segments in %s\n", len(existing), segDir)
	}
	segs, err := openSegments(segDir)
	if err != nil {
		return err
	}
	defer func() {
		for _, seg := range segs {
			seg.Close()
		}
	}()
	t := &exec.Table{Name: tc.TableName, Schema: s}
	for _, seg := range segs {
		t.Segments = append(t.Segments, seg)
	}
	fmt.Fprintf(env.Stdout, "\ntable %s: %d segments\n", t.Name, len(segs))
	for _, q := range quickstartQueries {
		if err := quickstartRun(ctx, env.Stdout, t, q); err != nil {
			return err
		}
	}
	if !env.StdinIsTerminal && !*interactive {
		fmt.Fprintf(env.Stdout, "\nquery it yourself: tannin quickstart --dir %s --interactive, or\n  tannin query --dir %s \"SELECT ...\"\n", *dir, segDir)
		return nil
	}
	return quickstartPrompt(ctx, env, t)
}

func quickstartIngest(ctx context.Context, env *Env, s *schema.Schema, tc *tableconfig.TableConfig, dir, segDir string, rows int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	events := filepath.Join(dir, "webTransactions.jsonl")
	f, err := os.Create(events)
	if err != nil {
		return err
	}
	// Raw events carry the time as text in creationTime; the table's
	// transform parses it into creationTimestamp.
	err = datagen.WriteTransactionsJSON(f, 1, rows, datagen.RawOptions{TimeAsString: true, TimeKey: "creationTime"})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write demo events: %w", err)
	}
	fmt.Fprintf(env.Stdout, "generated %d web-transactions events in %s\n", rows, events)
	cfg := batch.DefaultConfig()
	cfg.Schema, cfg.Table, cfg.Inputs, cfg.OutDir = s, tc, []string{events}, segDir
	cfg.RowsPerSegment = 250_000
	rep, err := batch.Ingest(ctx, cfg, nil)
	if err != nil {
		return fmt.Errorf("ingest demo events: %w", err)
	}
	fmt.Fprintf(env.Stdout, "ingested %d rows into %d segments in %s (%.0f rows/s)\n",
		rep.RowsWritten, len(rep.Segments), rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond())
	return nil
}

func quickstartRun(ctx context.Context, w io.Writer, t *exec.Table, q string) error {
	fmt.Fprintf(w, "\ntannin> %s\n", q)
	start := time.Now()
	res, err := exec.Query(ctx, t, q)
	if err != nil {
		return err
	}
	writeTableResult(w, res)
	fmt.Fprintln(w, statsLine(res, time.Since(start)))
	return nil
}

// quickstartPrompt reads one query per line; errors are printed, not fatal.
func quickstartPrompt(ctx context.Context, env *Env, t *exec.Table) error {
	fmt.Fprintln(env.Stdout, "\nEnter SQL, one query per line (\\q to quit).")
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for {
		fmt.Fprint(env.Stdout, "tannin> ")
		if !sc.Scan() {
			fmt.Fprintln(env.Stdout)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case line == `\q` || strings.EqualFold(line, "quit") || strings.EqualFold(line, "exit"):
			return nil
		}
		start := time.Now()
		res, err := exec.Query(ctx, t, line)
		if err != nil {
			fmt.Fprintln(env.Stdout, "error:", err)
			continue
		}
		writeTableResult(env.Stdout, res)
		fmt.Fprintln(env.Stdout, statsLine(res, time.Since(start)))
	}
}
