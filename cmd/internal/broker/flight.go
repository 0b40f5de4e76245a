package broker

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/flightsql"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
)

// This file is the broker's side of Arrow Flight SQL (package flightsql):
// RunSQL runs a statement through the same path as POST /query/sql
// (admission, timeout, routing, scatter-gather, reduce, metrics, logs),
// DescribeSQL plans one from the current schemas without running it, and
// Catalog lists the tables of the current snapshot.

// QueryError is a query answered with exceptions: Pinot's error code of
// the first one and the messages of all.
type QueryError struct {
	Code    int
	Message string
}

func (e *QueryError) Error() string { return e.Message }

// QueryErrorCode is Pinot's query error code (see errors.go).
func (e *QueryError) QueryErrorCode() int { return e.Code }

// RunSQL runs one SQL statement with query options (keys
// case-insensitive) under ctx, whose end cancels it, exactly as a query
// over HTTP runs. Any exception is an error, a *QueryError: a partial
// answer (segments without a replica, servers that did not respond) is
// never returned as a result.
func (b *Broker) RunSQL(ctx context.Context, sql string, options map[string]string) (*exec.Result, error) {
	req := &queryRequest{SQL: sql}
	if len(options) > 0 {
		req.Options = make(map[string]string, len(options))
		for k, v := range options {
			req.Options[strings.ToLower(k)] = v
		}
	}
	resp := b.query(ctx, req, "")
	if len(resp.Exceptions) > 0 {
		msgs := make([]string, len(resp.Exceptions))
		for i, e := range resp.Exceptions {
			msgs[i] = e.Msg
		}
		msg := strings.Join(msgs, "; ")
		if resp.Result != nil {
			msg = "partial result refused: " + msg
		}
		return nil, &QueryError{Code: resp.Exceptions[0].Code, Message: msg}
	}
	if resp.Result == nil {
		return nil, &QueryError{Code: codeInternal, Message: "BUG: query answered without a result or an exception"}
	}
	return resp.Result, nil
}

// DescribeSQL plans a statement against the current snapshot's schemas
// without running it: the raw name of the table it reads and an empty
// result with its columns and types. Errors are *QueryError, with the
// codes the query itself would fail with.
func (b *Broker) DescribeSQL(query string) (string, *exec.Result, error) {
	fail := func(err error) (string, *exec.Result, error) {
		qe := toQueryError(err)
		return "", nil, &QueryError{Code: qe.Code, Message: qe.Msg}
	}
	st, err := sql.Parse(query)
	if err != nil {
		return fail(err)
	}
	if st.Select == nil {
		return fail(errorf(codeSQLParsing, "only SELECT statements are supported"))
	}
	rs := b.currentRoutes()
	table, qe := resolveTable(rs.names, rs.snap.Tables, st.Select.From.Name)
	if qe != nil {
		return fail(qe)
	}
	raw := cluster.RawTableName(table)
	sc := rs.snap.TableSchema(table)
	if sc == nil || sc.Schema == nil {
		return fail(errorf(codeTableMissing, "schema of table "+strconv.Quote(table)+" does not exist"))
	}
	// Reduce of no partials plans from the schema alone and answers the
	// empty result: the columns and types without touching a server.
	res, err := exec.Reduce(context.Background(), sc.Schema, raw, st, nil)
	if err != nil {
		return fail(err)
	}
	res.Rows = nil
	return raw, res, nil
}

// Catalog lists the tables of the current snapshot by raw name (a table
// with both an OFFLINE and a REALTIME part once), with their schemas,
// sorted by name.
func (b *Broker) Catalog() []flightsql.Table {
	s := b.deps.Cache.Snapshot()
	seen := map[string]bool{}
	var out []flightsql.Table
	for name := range s.Tables {
		raw := cluster.RawTableName(name)
		if seen[raw] {
			continue
		}
		sc := s.TableSchema(name)
		if sc == nil || sc.Schema == nil {
			continue
		}
		seen[raw] = true
		out = append(out, flightsql.Table{Name: raw, Schema: sc.Schema})
	}
	slices.SortFunc(out, func(a, b flightsql.Table) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FlightAddr is the host:port the Flight SQL endpoint is bound to, "" when
// it is off.
func (b *Broker) FlightAddr() string {
	if b.flightLn == nil {
		return ""
	}
	return b.flightLn.Addr().String()
}

// DefaultFlightPort is the Flight SQL port of a broker on a fixed HTTP
// port.
const DefaultFlightPort = 8815

// flightBackend adapts the broker to flightsql.Backend.
type flightBackend struct{ b *Broker }

func (f flightBackend) Query(ctx context.Context, sql string, options map[string]string) (*exec.Result, error) {
	return f.b.RunSQL(ctx, sql, options)
}

func (f flightBackend) Describe(_ context.Context, sql string) (string, *exec.Result, error) {
	return f.b.DescribeSQL(sql)
}

func (f flightBackend) Tables(context.Context) []flightsql.Table { return f.b.Catalog() }

// listenFlight binds the Flight SQL listener (cfg.FlightPort; negative:
// off) and builds its server.
func (b *Broker) listenFlight() error {
	if b.cfg.FlightPort < 0 {
		return nil
	}
	fs, err := flightsql.New(flightsql.Config{
		Backend: flightBackend{b}, Auth: b.cfg.FlightAuth, Log: b.log.With("api", "flightsql"),
		MaxMessageBytes: b.cfg.MaxMessageBytes,
	})
	if err != nil {
		return err
	}
	port := b.cfg.FlightPort
	if b.cfg.Port == 0 && port == DefaultFlightPort {
		// A broker on any free HTTP port (tests, several brokers on one
		// host) takes any free Flight port too, unless told otherwise.
		port = 0
	}
	addr := net.JoinHostPort(b.nc.Bind(), strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("broker: listen for Flight SQL on %s: %w", addr, err)
	}
	b.flight, b.flightLn = fs, ln
	return nil
}

// serveFlight serves Flight SQL until stopFlight; a serve failure goes to
// errc.
func (b *Broker) serveFlight(errc chan<- error) {
	if b.flight == nil {
		return
	}
	go func() {
		if err := b.flight.Serve(b.flightLn); err != nil {
			errc <- fmt.Errorf("flight sql: %w", err)
		}
	}()
	b.log.Info("flight sql serving", "addr", b.FlightAddr())
}

// stopFlight lets the Flight SQL calls in flight finish until ctx ends.
func (b *Broker) stopFlight(ctx context.Context) {
	if b.flight != nil {
		b.flight.Stop(ctx)
	}
}
