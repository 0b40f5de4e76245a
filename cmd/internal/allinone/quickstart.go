package allinone

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/ingest/batch"
	"github.com/tannin-db/tannin/internal/cli"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream/localstream"
	"github.com/tannin-db/tannin/stream/streams"
	"github.com/tannin-db/tannin/tableconfig"
)

// QuickstartCommand is `tannin quickstart`.
func QuickstartCommand() cli.Command {
	return cli.Command{
		Name: "quickstart", Args: "[--dir DIR] [--rows N] [--interactive] [port flags]",
		Summary: "run a whole cluster in this process with the web-transactions demo table",
		Run:     runQuickstart,
	}
}

const quickstartHelp = `Start embedded etcd, a controller, a broker and a server in this process
(Apache Pinot's ports: controller 9000, broker 8099, server 8097/8090),
create the web-transactions demo table (deploy/quickstart), load it with
generated rows through segment upload, run example queries, and serve until
Ctrl-C. A second run with the same --dir keeps every table and row.`

// demoQueries show the engine's paths on the demo table.
var demoQueries = []string{
	"SELECT COUNT(*), SUM(price), AVG(price) FROM webTransactions",
	"SELECT campaign, COUNT(*) AS orders, SUM(price) AS revenue FROM webTransactions GROUP BY campaign ORDER BY revenue DESC LIMIT 10",
	"SELECT department, COUNT(*) AS orders FROM webTransactions WHERE userID = '42' AND campaign <> 'NONE' GROUP BY department ORDER BY orders DESC LIMIT 5",
	"SELECT productName, price FROM webTransactions WHERE price BETWEEN 149 AND 150 ORDER BY price DESC, productName LIMIT 5",
}

func runQuickstart(ctx context.Context, env *cli.Env, args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: tannin quickstart %s\n\n%s\n\nflags:\n", QuickstartCommand().Args, quickstartHelp)
		fs.PrintDefaults()
	}
	cfg := DefaultConfig()
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "data `directory` (etcd, deep store, server segments)")
	rows := fs.Int("rows", 1_000_000, "generated `rows` of the demo table (first run only)")
	interactive := fs.Bool("interactive", false, "read SQL from standard input even when it is not a terminal")
	demoOnly := fs.Bool("exit-after-demo", false, "stop after the example queries instead of serving until Ctrl-C")
	streamRate := fs.Int("stream-rate", 500, "events per second the streaming demo produces (0: no streaming demo)")
	kinesisEndpoint := fs.String("kinesis-endpoint", "", "run the streaming demo through the Kinesis-API stream at this `URL` (e.g. kinesalite's http://127.0.0.1:4567) instead of a local stream")
	fs.IntVar(&cfg.ControllerPort, "controller-port", cfg.ControllerPort, "controller HTTP port")
	fs.IntVar(&cfg.BrokerPort, "broker-port", cfg.BrokerPort, "broker HTTP port")
	fs.IntVar(&cfg.FlightPort, "flight-port", cfg.FlightPort, "broker Arrow Flight SQL port (negative: off)")
	fs.IntVar(&cfg.ServerAdminPort, "server-admin-port", cfg.ServerAdminPort, "server admin HTTP port")
	fs.IntVar(&cfg.ServerQueryPort, "server-grpc-port", cfg.ServerQueryPort, "server query gRPC port")
	fs.IntVar(&cfg.EtcdPort, "etcd-port", cfg.EtcdPort, "embedded etcd client port")
	fs.IntVar(&cfg.EtcdPeerPort, "etcd-peer-port", cfg.EtcdPeerPort, "embedded etcd peer port")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &cli.UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &cli.UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *streamRate < 0 {
		return &cli.UsageError{Msg: fmt.Sprintf("-stream-rate %d: want 0 or more events per second", *streamRate)}
	}
	var demoStream *localstream.Stream
	if *streamRate > 0 && *kinesisEndpoint == "" {
		cfg.LocalStreams = &streams.Local{}
		s, err := openDemoStream(cfg.Dir, cfg.LocalStreams)
		if err != nil {
			return err
		}
		demoStream = s
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(env.Stdout, "\nshutting down")
		if err := c.Stop(); err != nil {
			fmt.Fprintln(env.Stderr, "error:", err)
		}
	}()
	rc := restclient.New(c.ControllerURL, c.BrokerURL)
	rc.Authorization = c.Authorization
	if err := loadDemo(ctx, env.Stdout, c, rc, cfg.Dir, *rows); err != nil {
		return err
	}
	if *streamRate > 0 {
		stop, err := startStreamDemo(ctx, env.Stdout, c, rc, cfg.Dir, *streamRate, demoStream, *kinesisEndpoint)
		if err != nil {
			return err
		}
		defer stop()
	}
	printWelcome(env.Stdout, c, cfg.Dir, cfg.Auth)
	for _, q := range demoQueries {
		if err := runAndPrint(ctx, env.Stdout, rc, q); err != nil {
			return err
		}
	}
	if *streamRate > 0 {
		// The count grows query by query.
		for i := range 3 {
			if i > 0 {
				time.Sleep(time.Second)
			}
			if err := runAndPrint(ctx, env.Stdout, rc, streamingQuery); err != nil {
				return err
			}
		}
	}
	if *demoOnly {
		return nil
	}
	if env.StdinIsTerminal || *interactive {
		if err := prompt(ctx, env, rc); err != nil {
			return err
		}
		return nil
	}
	fmt.Fprintln(env.Stdout, "\nserving; press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

const demoTable = "webTransactions"

// streamingQuery shows the realtime table's freshness.
const streamingQuery = "SELECT COUNT(*) AS events, MAX(creationTimestamp) - MIN(creationTimestamp) AS spanMs, NOW() - MAX(creationTimestamp) AS behindMs FROM webEvents"

// loadDemo creates the demo table and uploads generated segments, unless
// the table already exists (a restart with the same data directory).
func loadDemo(ctx context.Context, w io.Writer, c *Cluster, rc *restclient.Client, dir string, rows int) error {
	sc, _, err := schema.Parse(deploy.QuickstartSchema)
	if err != nil {
		return fmt.Errorf("quickstart schema: %w", err)
	}
	tc, _, err := tableconfig.Parse(deploy.QuickstartTableConfig)
	if err != nil {
		return fmt.Errorf("quickstart table config: %w", err)
	}
	table := tc.TableNameWithType()
	if seg := c.Cache().Snapshot().Segments[table]; c.Cache().Snapshot().Tables[table] != nil && len(seg) > 0 {
		fmt.Fprintf(w, "table %s exists with %d segments; waiting for them to load\n", table, len(seg))
		return waitOnline(ctx, c, table)
	}
	if c.Cache().Snapshot().Schemas[sc.Name] == nil {
		if err := rc.AddSchema(ctx, deploy.QuickstartSchema); err != nil {
			return fmt.Errorf("add schema: %w", err)
		}
	}
	if c.Cache().Snapshot().Tables[table] == nil {
		if err := rc.AddTable(ctx, deploy.QuickstartTableConfig); err != nil {
			return fmt.Errorf("add table: %w", err)
		}
	}
	staging := filepath.Join(dir, "staging")
	defer os.RemoveAll(staging)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	events := filepath.Join(staging, "webTransactions.jsonl")
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
	bc := batch.DefaultConfig()
	bc.Schema, bc.Table, bc.Inputs, bc.OutDir = sc, tc, []string{events}, filepath.Join(staging, "segments")
	bc.RowsPerSegment = 250_000
	rep, err := batch.Ingest(ctx, bc, nil)
	if err != nil {
		return fmt.Errorf("ingest demo events: %w", err)
	}
	fmt.Fprintf(w, "generated %d web-transactions events into %d segments (%.0f rows/s)\n",
		rep.RowsWritten, len(rep.Segments), rep.RowsPerSecond())
	for _, s := range rep.Segments {
		if err := rc.UploadSegment(ctx, tc.TableName, string(tc.TableType), s.Path); err != nil {
			return fmt.Errorf("upload segment %s: %w", s.Name, err)
		}
	}
	fmt.Fprintf(w, "uploaded %d segments to the controller\n", len(rep.Segments))
	return waitOnline(ctx, c, table)
}

// waitOnline waits until every segment of table is ONLINE on a live server.
func waitOnline(ctx context.Context, c *Cluster, table string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err := c.Cache().WaitFor(ctx, func(s *cluster.Snapshot) bool {
		for seg := range s.Segments[table] {
			online := false
			for server, st := range s.View[table][seg] {
				online = online || (st.State == cluster.StateOnline && s.IsLive(server))
			}
			if !online {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("segments of %s did not come online: %w", table, err)
	}
	return nil
}

func printWelcome(w io.Writer, c *Cluster, dir string, authOn bool) {
	q, _ := json.Marshal(map[string]string{"sql": "SELECT campaign, COUNT(*) AS orders FROM webTransactions GROUP BY campaign ORDER BY orders DESC LIMIT 5"})
	fmt.Fprintf(w, `
Tannin is running (data in %s):
  console     %s/
  controller  %s   REST API: /schemas, /tables, /segments/%s, /instances
  broker      %s   SQL: POST /query/sql
  flight sql  grpc+tcp://%s   (Arrow Flight SQL: ADBC, JDBC, ODBC drivers)
  server      %s (admin), %s (gRPC)
  etcd        %s

%sTry:
  curl -s -X POST %s%s/query/sql -H 'Content-Type: application/json' \
    -d '%s'
`, dir, c.ControllerURL, c.ControllerURL, demoTable, c.BrokerURL, c.FlightAddr, c.ServerAdminURL, c.ServerQueryAddr, c.EtcdURL, login(authOn), curlUser(authOn), c.BrokerURL, q)
}

// login tells how to log in when authentication is on.
func login(authOn bool) string {
	if !authOn {
		return ""
	}
	return "Authentication is on: log in as " + AdminUser + "/" + AdminPassword +
		" (console, REST API, JDBC, Flight SQL); manage users with /users on the controller.\n\n"
}

func curlUser(authOn bool) string {
	if !authOn {
		return ""
	}
	return "-u " + AdminUser + ":" + AdminPassword + " "
}

func runAndPrint(ctx context.Context, w io.Writer, rc *restclient.Client, sql string) error {
	fmt.Fprintf(w, "\ntannin> %s\n", sql)
	start := time.Now()
	r, err := rc.Query(ctx, sql)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		fmt.Fprintln(w, err)
		return nil
	}
	printResponse(w, r, time.Since(start))
	return nil
}

func printResponse(w io.Writer, r *restclient.Response, elapsed time.Duration) {
	if r.ResultTable == nil {
		return
	}
	ds := r.ResultTable.DataSchema
	align := make([]bool, len(ds.ColumnNames))
	for i, t := range ds.ColumnDataTypes {
		switch t {
		case "INT", "LONG", "FLOAT", "DOUBLE", "BIG_DECIMAL":
			align[i] = true
		}
	}
	rows := make([][]string, len(r.ResultTable.Rows))
	for i, row := range r.ResultTable.Rows {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = cellText(v)
		}
		rows[i] = cells
	}
	cli.WriteTable(w, ds.ColumnNames, align, rows)
	partial := ""
	if r.PartialResult {
		partial = " PARTIAL RESULT"
	}
	fmt.Fprintf(w, "%d rows in %s (docs scanned %d of %d, servers %d/%d, segments queried %d, matched %d)%s\n",
		len(rows), elapsed.Round(time.Microsecond), r.NumDocsScanned, r.TotalDocs,
		r.NumServersResponded, r.NumServersQueried, r.NumSegmentsQueried, r.NumSegmentsMatched, partial)
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cellText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// prompt reads one query per line and runs it through the broker.
func prompt(ctx context.Context, env *cli.Env, rc *restclient.Client) error {
	fmt.Fprintln(env.Stdout, "\nEnter SQL, one query per line (\\q to quit; the cluster stops with the prompt).")
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for ctx.Err() == nil {
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
		if err := runAndPrint(ctx, env.Stdout, rc, line); err != nil {
			fmt.Fprintln(env.Stdout, "error:", err)
		}
	}
	return nil
}
