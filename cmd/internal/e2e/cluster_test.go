package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/startreedata/pinot-client-go/pinot"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/difftest"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
)

const (
	table       = "txns"
	tableTyped  = "txns_OFFLINE"
	rows        = 200_000
	numSegments = 8
)

const tableJSON = `{
  "tableName": "txns",
  "tableType": "OFFLINE",
  "segmentsConfig": {"timeColumnName": "creationTimestamp", "replication": "2"},
  "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
  "tableIndexConfig": {"invertedIndexColumns": ["userID", "campaign"], "rangeIndexColumns": ["price"], "bloomFilterColumns": ["productName"]},
  "metadata": {}
}`

// node is one role process and where it answers.
type node struct {
	p    *proc
	url  string // HTTP base URL
	addr string // host:port of the HTTP API
}

type testCluster struct {
	t           *testing.T
	bins        *binaries
	dir         string
	common      []string
	controllers []*node
	servers     []*node
	brokers     []*node
}

func (c *testCluster) startServer(i int) *node {
	admin, grpc := clustertest.FreePort(c.t), clustertest.FreePort(c.t)
	name := fmt.Sprintf("server%d", i)
	args := append(append([]string{}, c.common...), "-admin-port", strconv.Itoa(admin), "-grpc-port", strconv.Itoa(grpc),
		"-data-dir", filepath.Join(c.dir, name))
	n := &node{p: startProc(c.t, c.dir, name, c.bins.path("server"), args...), addr: "127.0.0.1:" + strconv.Itoa(admin)}
	n.url = "http://" + n.addr
	return n
}

func (c *testCluster) startHTTPRole(bin, name string, extra ...string) *node {
	port := clustertest.FreePort(c.t)
	args := append(append(append([]string{}, c.common...), "-port", strconv.Itoa(port)), extra...)
	n := &node{p: startProc(c.t, c.dir, name, c.bins.path(bin), args...), addr: "127.0.0.1:" + strconv.Itoa(port)}
	n.url = "http://" + n.addr
	return n
}

// startCluster starts etcd and the role processes (all on 127.0.0.1, with
// binaries built into dir), waits until each answers /health, and returns
// the cluster with a metadata cache the test watches it through.
func startCluster(t *testing.T, ctx context.Context, dir, name, deepStore string, controllers, servers, brokers int) (*testCluster, *cluster.Cache) {
	t.Helper()
	c := &testCluster{t: t, dir: dir, bins: buildBinaries(t, filepath.Join(dir, "bin"))}
	etcdPort := clustertest.FreePort(t)
	etcd := startProc(t, dir, "etcd", c.bins.path("tannin"), "etcd", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client", "127.0.0.1:"+strconv.Itoa(etcdPort), "--listen-peer", "127.0.0.1:"+strconv.Itoa(clustertest.FreePort(t)))
	waitLine(t, etcd, "etcd serving", time.Minute)
	endpoint := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	c.common = []string{"-etcd-endpoints", endpoint, "-cluster-name", name, "-deep-store", deepStore,
		"-host", "127.0.0.1", "-log-level", "warn"}
	for i := range controllers {
		c.controllers = append(c.controllers, c.startHTTPRole("controller", fmt.Sprintf("controller%d", i)))
	}
	for i := range servers {
		c.servers = append(c.servers, c.startServer(i))
	}
	for i := range brokers {
		c.brokers = append(c.brokers, c.startHTTPRole("broker", fmt.Sprintf("broker%d", i), "-flight-port", "0"))
	}
	for _, n := range append(append(append([]*node{}, c.controllers...), c.servers...), c.brokers...) {
		waitHealthy(t, n.p, n.url+"/health", time.Minute)
	}
	cli, err := cluster.Dial([]string{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	cache, err := cluster.NewCache(ctx, cluster.NewStore(cli, name), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		t.Fatal(err)
	}
	return c, cache
}

// TestMultiProcessCluster runs etcd, 2 controllers, 3 servers and 2
// brokers as separate processes, loads a table with replication 2 and
// checks answers against DuckDB through both brokers with pinot-client-go
// while a server dies, the leading controller dies, and a fourth server
// joins and the table is rebalanced.
func TestMultiProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of OS processes; runs in `make test`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	dir := t.TempDir()
	c, cache := startCluster(t, ctx, dir, "e2e", "file://"+filepath.Join(dir, "deepstore"), 2, 3, 2)

	// Schema, table and segments; DuckDB gets the same rows.
	sch := datagen.WebTransactions{}.Schema()
	sch.Name = table
	schemaJSON, err := json.Marshal(sch)
	if err != nil {
		t.Fatal(err)
	}
	rc := restclient.New(c.controllers[0].url, c.brokers[0].url)
	if err := rc.AddSchema(ctx, schemaJSON); err != nil {
		t.Fatal(err)
	}
	if err := rc.AddTable(ctx, []byte(tableJSON)); err != nil {
		t.Fatal(err)
	}
	duck, err := difftest.OpenDuck()
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	if err := duck.CreateTable(ctx, table, sch); err != nil {
		t.Fatal(err)
	}
	segDir := filepath.Join(dir, "segments")
	if err := os.MkdirAll(segDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var someUser string
	err = datagen.WebTransactions{}.Generate(7, rows, rows/numSegments, func(cols []*segment.ColumnBuffer) error {
		if someUser == "" {
			someUser = cols[0].Strs[0]
		}
		p := buildSegment(t, segDir, fmt.Sprintf("txns_%d", len(paths)), sch, cols)
		paths = append(paths, p)
		return duck.Append(ctx, table, cols)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		ctl := restclient.New(c.controllers[i%2].url, "")
		if err := ctl.UploadSegment(ctx, table, "OFFLINE", p); err != nil {
			t.Fatalf("upload %s: %v", p, err)
		}
	}
	waitReplicated(t, ctx, cache, numSegments, 2)

	static, err := pinot.NewFromBrokerList([]string{c.brokers[0].addr})
	if err != nil {
		t.Fatal(err)
	}
	static2, err := pinot.NewFromBrokerList([]string{c.brokers[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	discovered, err := pinot.NewFromController(c.controllers[1].addr)
	if err != nil {
		t.Fatal(err)
	}
	queries := testQueries(someUser)
	t.Run("answers equal DuckDB's through both brokers", func(t *testing.T) {
		checkQueries(t, ctx, static, duck, queries)
		checkQueries(t, ctx, static2, duck, queries)
		if err := eventually(ctx, 10*time.Second, func() error { return tryQuery(discovered) }); err != nil {
			t.Fatalf("controller-based discovery: %v", err)
		}
		checkQueries(t, ctx, discovered, duck, queries)
	})

	t.Run("kill -9 a server: the other replicas answer", func(t *testing.T) {
		c.servers[0].p.kill(syscall.SIGKILL)
		checkQueries(t, ctx, static, duck, queries)
		checkQueries(t, ctx, static2, duck, queries)
		checkQueries(t, ctx, discovered, duck, queries)
	})

	t.Run("kill -9 the leading controller: the other takes over", func(t *testing.T) {
		leader := clusterLeader(t, c.controllers[0].url)
		var dead, alive *node
		for _, n := range c.controllers {
			if strings.HasSuffix(leader, "_"+strings.Split(n.addr, ":")[1]) {
				dead = n
			} else {
				alive = n
			}
		}
		if dead == nil || alive == nil {
			t.Fatalf("leader %q is neither controller", leader)
		}
		start := time.Now()
		dead.p.kill(syscall.SIGKILL)
		if err := eventually(ctx, 10*time.Second, func() error {
			if l := clusterLeader(t, alive.url); !strings.HasSuffix(l, "_"+strings.Split(alive.addr, ":")[1]) {
				return fmt.Errorf("leader is %q", l)
			}
			return nil
		}); err != nil {
			t.Fatalf("no takeover: %v", err)
		}
		takeover := time.Since(start)
		// An upload and a table change through the survivor.
		var extra string
		err := datagen.WebTransactions{}.Generate(8, 1000, 1000, func(cols []*segment.ColumnBuffer) error {
			extra = buildSegment(t, segDir, "txns_extra", sch, cols)
			return duck.Append(ctx, table, cols)
		})
		if err != nil {
			t.Fatal(err)
		}
		ctl := restclient.New(alive.url, "")
		if err := ctl.UploadSegment(ctx, table, "OFFLINE", extra); err != nil {
			t.Fatalf("upload after failover: %v", err)
		}
		changed := strings.Replace(tableJSON, `"metadata": {}`, `"metadata": {"customConfigs": {"owner": "e2e"}}`, 1)
		if err := ctl.Do(ctx, http.MethodPut, alive.url+"/tables/"+table, "application/json", strings.NewReader(changed), nil); err != nil {
			t.Fatalf("table change after failover: %v", err)
		}
		ready := time.Since(start)
		t.Logf("leader takeover after %v; upload and table change done %v after the kill", takeover.Round(time.Millisecond), ready.Round(time.Millisecond))
		if ready > 10*time.Second {
			t.Errorf("uploads and table changes worked again only after %v, want within 10s", ready)
		}
		c.controllers = []*node{alive}
		waitOnline(t, ctx, cache, numSegments+1)
		// Brokers follow etcd on their own watch: wait until each
		// connection's broker routes to the new segment.
		want := countAndSum(t, ctx, duck)
		for _, conn := range []*pinot.Connection{static, static2, discovered} {
			if err := eventually(ctx, 30*time.Second, func() error { return checkCountAndSum(conn, want) }); err != nil {
				t.Fatalf("the uploaded segment is not queried: %v", err)
			}
		}
		checkQueries(t, ctx, static, duck, queries)
	})

	t.Run("a fourth server and a rebalance: no client sees an error", func(t *testing.T) {
		s4 := c.startServer(3)
		waitHealthy(t, s4.p, s4.url+"/health", time.Minute)
		want := countAndSum(t, ctx, duck)
		var stop atomic.Bool
		var queriesRun, failures atomic.Int64
		var firstFailure sync.Once
		var failure string
		var wg sync.WaitGroup
		for _, conn := range []*pinot.Connection{static, static2, discovered} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					queriesRun.Add(1)
					if err := checkCountAndSum(conn, want); err != nil {
						failures.Add(1)
						firstFailure.Do(func() { failure = err.Error() })
					}
				}
			}()
		}
		var result struct {
			JobID  string `json:"jobId"`
			Status string `json:"status"`
		}
		ctl := restclient.New(c.controllers[0].url, "")
		err := ctl.Do(ctx, http.MethodPost, c.controllers[0].url+"/tables/"+table+"/rebalance?type=OFFLINE&dryRun=false", "", nil, &result)
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("rebalance: %v", err)
		}
		err = eventually(ctx, 2*time.Minute, func() error {
			var st map[string]any
			if err := ctl.Do(ctx, http.MethodGet, c.controllers[0].url+"/rebalanceStatus/"+result.JobID, "", nil, &st); err != nil {
				return err
			}
			status := fmt.Sprint(st["status"])
			if js, ok := st["tableRebalanceProgressStats"].(map[string]any); ok && status == "<nil>" {
				status = fmt.Sprint(js["status"])
			}
			if status == "DONE" || status == "NO_OP" {
				return nil
			}
			if status == "FAILED" {
				return fmt.Errorf("rebalance failed: %v", st)
			}
			return fmt.Errorf("rebalance status %v", status)
		})
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d queries during the rebalance, %d failed", queriesRun.Load(), failures.Load())
		if failures.Load() > 0 {
			t.Fatalf("%d of %d queries during the rebalance failed; first: %s", failures.Load(), queriesRun.Load(), failure)
		}
		snap := cache.Snapshot()
		onNew := 0
		for seg, a := range snap.Assign[tableTyped] {
			if _, ok := a.Instances[instanceOf(snap, s4)]; ok {
				onNew++
				if snap.View[tableTyped][seg][instanceOf(snap, s4)].State != cluster.StateOnline {
					t.Errorf("segment %s assigned to the new server but not ONLINE there", seg)
				}
			}
		}
		if onNew == 0 {
			t.Fatal("the rebalance moved no segment to the new server")
		}
		waitReplicated(t, ctx, cache, numSegments+1, 2)
		checkQueries(t, ctx, static, duck, queries)
		checkQueries(t, ctx, discovered, duck, queries)
	})
}

func instanceOf(s *cluster.Snapshot, n *node) string {
	port := strings.Split(n.addr, ":")[1]
	for name := range s.Live {
		if strings.HasPrefix(name, "Server_") && strings.HasSuffix(name, "_"+port) {
			return name
		}
	}
	return ""
}

func buildSegment(t *testing.T, dir, name string, sch *schema.Schema, cols []*segment.ColumnBuffer) string {
	t.Helper()
	path := filepath.Join(dir, name+".tseg")
	_, err := immutable.Build(path, immutable.BuildConfig{
		SegmentName: name, TableName: table, Schema: sch, TimeColumn: "creationTimestamp",
		InvertedColumns: []string{"userID", "campaign"}, RangeColumns: []string{"price"},
		BloomColumns: []string{"productName"}, PartitionID: -1,
	}, cols)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// waitReplicated waits until the table has n segments, each ONLINE on
// `replicas` live servers.
func waitReplicated(t *testing.T, ctx context.Context, cache *cluster.Cache, n, replicas int) {
	t.Helper()
	waitCond(t, ctx, cache, fmt.Sprintf("%d segments with %d ONLINE replicas", n, replicas), func(s *cluster.Snapshot) bool {
		return len(s.Segments[tableTyped]) == n && onlineReplicas(s) >= replicas
	})
}

// waitOnline waits until the table has n segments with a replica ONLINE.
func waitOnline(t *testing.T, ctx context.Context, cache *cluster.Cache, n int) {
	t.Helper()
	waitCond(t, ctx, cache, fmt.Sprintf("%d segments ONLINE", n), func(s *cluster.Snapshot) bool {
		return len(s.Segments[tableTyped]) == n && onlineReplicas(s) >= 1
	})
}

func waitCond(t *testing.T, ctx context.Context, cache *cluster.Cache, what string, cond func(*cluster.Snapshot) bool) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := cache.WaitFor(wctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// onlineReplicas is the fewest ONLINE live replicas any segment has.
func onlineReplicas(s *cluster.Snapshot) int {
	least := -1
	for seg := range s.Segments[tableTyped] {
		n := 0
		for server, st := range s.View[tableTyped][seg] {
			if st.State == cluster.StateOnline && s.IsLive(server) {
				n++
			}
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return max(least, 0)
}

func clusterLeader(t *testing.T, url string) string {
	t.Helper()
	var info struct {
		Leader string `json:"leader"`
	}
	rc := restclient.New(url, "")
	rc.HTTP.Timeout = 2 * time.Second
	if err := rc.Do(context.Background(), http.MethodGet, url+"/cluster/info", "", nil, &info); err != nil {
		return ""
	}
	return info.Leader
}

type testQuery struct {
	tannin, duck string
	ordered      bool
}

func testQueries(user string) []testQuery {
	return []testQuery{
		{tannin: "SELECT COUNT(*) FROM txns"},
		{tannin: "SELECT SUM(price), MIN(price), MAX(price), AVG(price) FROM txns"},
		{tannin: "SELECT campaign, COUNT(*) AS n, SUM(price) AS rev FROM txns GROUP BY campaign ORDER BY campaign LIMIT 100", ordered: true},
		{tannin: "SELECT department, COUNT(*) AS n FROM txns WHERE userID = '" + user + "' GROUP BY department ORDER BY department LIMIT 100", ordered: true},
		{tannin: "SELECT userID, SUM(price) AS s FROM txns GROUP BY userID HAVING COUNT(*) > 3 ORDER BY s DESC, userID LIMIT 20", ordered: true},
		{tannin: "SELECT productName, price, creationTimestamp FROM txns WHERE price > 100 ORDER BY creationTimestamp DESC, productName, price LIMIT 15", ordered: true},
		{tannin: "SELECT DISTINCTCOUNT(userID) FROM txns", duck: "SELECT COUNT(DISTINCT userID) FROM txns"},
		{tannin: "SELECT color, product, COUNT(*) AS n FROM txns WHERE price BETWEEN 10 AND 90 GROUP BY color, product ORDER BY n DESC, color, product LIMIT 10", ordered: true},
	}
}

func checkQueries(t *testing.T, ctx context.Context, conn *pinot.Connection, duck *difftest.Duck, queries []testQuery) {
	t.Helper()
	for _, q := range queries {
		got, err := runPinot(conn, q.tannin)
		if err != nil {
			t.Errorf("%s: %v", q.tannin, err)
			continue
		}
		dq := q.duck
		if dq == "" {
			dq = q.tannin
		}
		want, err := duck.Query(ctx, dq)
		if err != nil {
			t.Fatalf("duckdb %s: %v", dq, err)
		}
		if err := difftest.Compare(got, want, difftest.Expect{Ordered: q.ordered}); err != nil {
			t.Errorf("%s: %v\ngot:\n%s\nwant:\n%s", q.tannin, err, difftest.FormatRows(got, 5), difftest.FormatRows(want, 5))
		}
	}
}

// runPinot runs a query through pinot-client-go and converts the answer
// to the harness's values by the response's column types.
func runPinot(conn *pinot.Connection, sql string) (*difftest.Rows, error) {
	resp, err := conn.ExecuteSQL(table, sql)
	if err != nil {
		return nil, err
	}
	if len(resp.Exceptions) > 0 {
		return nil, fmt.Errorf("exception %d: %s", resp.Exceptions[0].ErrorCode, resp.Exceptions[0].Message)
	}
	if resp.ResultTable == nil {
		return nil, fmt.Errorf("no resultTable")
	}
	rt := resp.ResultTable
	out := &difftest.Rows{Columns: rt.DataSchema.ColumnNames}
	for i := 0; i < rt.GetRowCount(); i++ {
		row := make([]any, rt.GetColumnCount())
		for j := range row {
			if rt.Get(i, j) == nil {
				continue
			}
			switch rt.GetColumnDataType(j) {
			case "INT", "LONG", "TIMESTAMP":
				row[j] = rt.GetLong(i, j)
			case "FLOAT", "DOUBLE":
				row[j] = rt.GetDouble(i, j)
			default:
				row[j] = rt.GetString(i, j)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

func tryQuery(conn *pinot.Connection) error {
	_, err := runPinot(conn, "SELECT COUNT(*) FROM txns")
	return err
}

type countSum struct {
	count int64
	sum   float64
}

func countAndSum(t *testing.T, ctx context.Context, duck *difftest.Duck) countSum {
	r, err := duck.Query(ctx, "SELECT COUNT(*), SUM(price) FROM txns")
	if err != nil {
		t.Fatal(err)
	}
	return countSum{count: r.Rows[0][0].(int64), sum: r.Rows[0][1].(float64)}
}

func checkCountAndSum(conn *pinot.Connection, want countSum) error {
	resp, err := conn.ExecuteSQL(table, "SELECT COUNT(*), SUM(price) FROM txns")
	if err != nil {
		return err
	}
	if len(resp.Exceptions) > 0 {
		return fmt.Errorf("exception %d: %s", resp.Exceptions[0].ErrorCode, resp.Exceptions[0].Message)
	}
	rt := resp.ResultTable
	if rt == nil || rt.GetRowCount() != 1 {
		return fmt.Errorf("no result row")
	}
	if n, s := rt.GetLong(0, 0), rt.GetDouble(0, 1); n != want.count || !near(s, want.sum) {
		return fmt.Errorf("COUNT(*), SUM(price) = %d, %v; want %d, %v (partial %v)", n, s, want.count, want.sum, resp.NumServersResponded)
	}
	return nil
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(a, b, -a, -b)
}
