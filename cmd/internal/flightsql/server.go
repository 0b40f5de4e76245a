package flightsql

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
)

// Backend is what the server needs of a broker: run a statement, plan one
// without running it, and list the tables.
type Backend interface {
	// Query runs one SQL statement with query options under ctx (whose
	// end cancels it) and returns its whole result. A failure carries
	// Pinot's error code through a QueryErrorCode() int method; a partial
	// answer (servers or segments missing) is an error, never a result.
	// With authentication on, Query refuses (code 180) a table the
	// principal ctx carries may not read: tickets and prepared handles
	// come back from the client, so the check at run time is Query's.
	Query(ctx context.Context, sql string, options map[string]string) (*exec.Result, error)
	// Describe plans a statement against the current schemas without
	// running it: the raw name of the table it reads and an empty result
	// with the columns and types the statement answers with.
	Describe(ctx context.Context, sql string) (table string, empty *exec.Result, err error)
	// Tables lists the tables a query can name, by raw name, with their
	// schemas, sorted by name.
	Tables(ctx context.Context) []Table
}

// Table is one queryable table.
type Table struct {
	// Name is the raw table name (no _OFFLINE / _REALTIME).
	Name   string
	Schema *schema.Schema
}

// Authenticator is the authentication seam. With none configured every
// call is open.
type Authenticator interface {
	// Authenticate checks the value of a call's authorization header
	// ("Basic <base64 user:password>" or "Bearer <token>"; "" when the
	// call has none) and returns ctx carrying the principal. An error
	// answers the call with Unauthenticated and the error's message, which
	// must never hold a secret.
	Authenticate(ctx context.Context, authorization string) (context.Context, error)
	// IssueToken returns a bearer token for the principal ctx carries; the
	// Handshake answers Basic credentials with it as the header
	// `authorization: Bearer <token>`, which the ADBC driver and arrow-go's
	// AuthenticateBasicToken send on every later call.
	IssueToken(ctx context.Context) (string, error)
	// CanRead reports whether the principal ctx carries may read table
	// (raw name): the catalog lists only such tables, and a statement over
	// another is PermissionDenied before it runs.
	CanRead(ctx context.Context, table string) bool
}

// Config configures a Server.
type Config struct {
	Backend Backend
	// Auth authenticates calls; nil leaves the endpoint open.
	Auth Authenticator
	// BatchRows bounds the rows of one streamed record batch (default
	// DefaultBatchRows).
	BatchRows int
	// Version is the server version GetSqlInfo reports.
	Version string
	// MaxMessageBytes bounds one received gRPC message (parameter
	// batches); default 16 MiB.
	MaxMessageBytes int
	Log             *slog.Logger
}

// DefaultBatchRows is the default row bound of a record batch: large
// enough that the per-batch overhead vanishes, small enough that a big
// result starts flowing at once.
const DefaultBatchRows = 4096

// Server is a Flight SQL server over a Backend. It holds no per-query
// state: statement tickets and prepared-statement handles carry the SQL
// (and the bound parameters), so any broker can answer them and nothing
// has to expire.
type Server struct {
	flightsql.BaseServer
	cfg  Config
	mem  memory.Allocator
	log  *slog.Logger
	grpc *grpc.Server
	// known are the SqlInfo ids registered.
	known map[uint32]bool
}

// New returns a server ready to Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("flightsql: no backend")
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 16 << 20
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, mem: memory.DefaultAllocator, log: cfg.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.Alloc = s.mem
	if err := s.registerSqlInfo(); err != nil {
		return nil, err
	}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(cfg.MaxMessageBytes)}
	if cfg.Auth != nil {
		opts = append(opts, grpc.ChainUnaryInterceptor(s.authUnary), grpc.ChainStreamInterceptor(s.authStream))
	}
	s.grpc = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.grpc, flightsql.NewFlightServerWithAllocator(s, s.mem))
	return s, nil
}

// Serve answers on ln until Stop.
func (s *Server) Serve(ln net.Listener) error {
	err := s.grpc.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Stop stops accepting calls and waits for those in flight until ctx
// ends, then cuts them off.
func (s *Server) Stop(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
	}
}

// options are the query options of every Flight SQL statement: Arrow has
// nulls, so NULL cells are always kept as nulls.
var options = map[string]string{"enablenullhandling": "true"}

// statementHandle is what a statement ticket or a prepared-statement
// handle carries: the SQL, and once parameters are bound, one statement
// per parameter row with the values rendered as literals.
type statementHandle struct {
	SQL string `json:"sql"`
	// Table is the table the statement reads, for the result's column
	// metadata.
	Table string   `json:"table,omitempty"`
	Bound []string `json:"bound,omitempty"`
	// IsBound distinguishes a binding of zero rows from none.
	IsBound bool `json:"isBound,omitempty"`
}

func encodeHandle(h *statementHandle) []byte {
	b, err := json.Marshal(h)
	if err != nil {
		panic("BUG: encode statement handle: " + err.Error())
	}
	return b
}

func decodeHandle(b []byte) (*statementHandle, error) {
	var h statementHandle
	if err := json.Unmarshal(b, &h); err != nil || h.SQL == "" {
		return nil, status.Error(codes.InvalidArgument, "invalid statement handle: not one this server issued")
	}
	return &h, nil
}

// statements returns the statements a handle runs.
func (h *statementHandle) statements() ([]string, error) {
	if h.IsBound {
		return h.Bound, nil
	}
	if n := len(parseTemplate(h.SQL).holes); n > 0 {
		return nil, status.Errorf(codes.InvalidArgument, "the prepared statement has %d parameter(s): bind them before executing", n)
	}
	return []string{h.SQL}, nil
}

// describe plans sql, checks that the caller may read its table and
// returns the result schema.
func (s *Server) describe(ctx context.Context, sql string) (*arrow.Schema, string, error) {
	table, empty, err := s.cfg.Backend.Describe(ctx, sql)
	if err != nil {
		return nil, "", toStatus(ctx, err)
	}
	if err := s.authorize(ctx, table); err != nil {
		return nil, "", err
	}
	return resultSchema(empty, table), table, nil
}

func (s *Server) authorize(ctx context.Context, table string) error {
	if s.cfg.Auth == nil || table == "" || s.cfg.Auth.CanRead(ctx, table) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "permission denied: no READ access to table %q", table)
}

func flightInfo(desc *flight.FlightDescriptor, sch *arrow.Schema, ticket []byte, mem memory.Allocator) *flight.FlightInfo {
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(sch, mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}},
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
}

// GetFlightInfoStatement plans the query (errors surface here, before any
// data moves) and returns a ticket holding the SQL; DoGet runs it.
func (s *Server) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	sch, table, err := s.describe(ctx, cmd.GetQuery())
	if err != nil {
		return nil, err
	}
	ticket, err := flightsql.CreateStatementQueryTicket(encodeHandle(&statementHandle{SQL: cmd.GetQuery(), Table: table}))
	if err != nil {
		return nil, status.Errorf(codes.Internal, "create ticket: %v", err)
	}
	return flightInfo(desc, sch, ticket, s.mem), nil
}

// GetSchemaStatement plans the query and returns its result schema.
func (s *Server) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	sch, _, err := s.describe(ctx, cmd.GetQuery())
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(sch, s.mem)}, nil
}

// DoGetStatement runs the ticket's statement and streams its result.
func (s *Server) DoGetStatement(ctx context.Context, t flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h, err := decodeHandle(t.GetStatementHandle())
	if err != nil {
		return nil, nil, err
	}
	return s.run(ctx, []string{h.SQL}, h.Table)
}

// run executes statements (one per bound parameter row) and streams their
// results, in order, as record batches of at most BatchRows rows.
func (s *Server) run(ctx context.Context, stmts []string, table string) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	if len(stmts) == 0 {
		return nil, nil, status.Error(codes.InvalidArgument, "the parameter binding has no rows: nothing to execute")
	}
	results := make([]*exec.Result, 0, len(stmts))
	for _, q := range stmts {
		// A ticket is no credential: Query checks the caller's access to
		// the table itself (see Backend).
		res, err := s.cfg.Backend.Query(ctx, q, options)
		if err != nil {
			return nil, nil, toStatus(ctx, err)
		}
		results = append(results, res)
	}
	sch := resultSchema(results[0], table)
	for i, r := range results[1:] {
		if got := resultSchema(r, table); !got.Equal(sch) {
			return nil, nil, status.Errorf(codes.Internal, "parameter row %d answered with schema %s, row 1 with %s", i+2, got, sch)
		}
	}
	ch := make(chan flight.StreamChunk)
	go func() {
		defer close(ch)
		for _, res := range results {
			for _, r := range batchRanges(len(res.Rows), s.cfg.BatchRows) {
				rec, err := buildBatch(s.mem, sch, res, r[0], r[1])
				if err != nil {
					err = status.Errorf(codes.Internal, "encode result: %v", err)
				}
				select {
				case ch <- flight.StreamChunk{Data: rec, Err: err}:
				case <-ctx.Done():
					if rec != nil {
						rec.Release()
					}
					return
				}
				if err != nil {
					return
				}
			}
		}
	}()
	return sch, ch, nil
}

// CreatePreparedStatement parses the statement's `?` parameters and
// returns a handle holding the SQL, the parameter schema (types from the
// columns the parameters are compared with) and, when the statement plans
// with placeholder values, the result schema.
func (s *Server) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	q := req.GetQuery()
	if strings.TrimSpace(q) == "" {
		return res, status.Error(codes.InvalidArgument, "empty statement")
	}
	tmpl := parseTemplate(q)
	want := s.holeTypes(ctx, tmpl)
	sch, table, err := s.describe(ctx, tmpl.withPlaceholders(want))
	if err != nil {
		if len(tmpl.holes) == 0 || status.Code(err) == codes.PermissionDenied || status.Code(err) == codes.NotFound {
			return res, err
		}
		// A parameter where a placeholder value does not plan (LIMIT ?):
		// the result schema is known only once parameters are bound.
		sch = nil
	}
	res.Handle = encodeHandle(&statementHandle{SQL: q, Table: table})
	res.DatasetSchema = sch
	res.ParameterSchema = paramSchema(tmpl, want)
	isUpdate := false
	res.IsUpdate = &isUpdate
	return res, nil
}

// holeTypes looks up the type of the column each parameter is compared
// with (TypeInvalid where unknown).
func (s *Server) holeTypes(ctx context.Context, t *template) []schema.DataType {
	want := make([]schema.DataType, len(t.holes))
	if len(t.holes) == 0 || t.table == "" {
		return want
	}
	tb, ok := s.findTable(ctx, t.table)
	if !ok || tb.Schema == nil {
		return want
	}
	sc := tb.Schema
	for i, col := range t.columns {
		if col == "" {
			continue
		}
		if f := sc.Field(col); f != nil {
			want[i] = f.DataType
		}
	}
	return want
}

// ClosePreparedStatement has nothing to free: handles are stateless.
func (s *Server) ClosePreparedStatement(_ context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	_, err := decodeHandle(req.GetPreparedStatementHandle())
	return err
}

// DoPutPreparedStatementQuery binds parameter batches: every row becomes
// one statement with its values rendered as typed literals; the returned
// handle carries them.
func (s *Server) DoPutPreparedStatementQuery(ctx context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	h, err := decodeHandle(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	tmpl := parseTemplate(h.SQL)
	want := s.holeTypes(ctx, tmpl)
	bound := []string{}
	rows := 0
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			rows++
			if rows > maxBoundRows {
				return nil, status.Errorf(codes.InvalidArgument, "parameter binding: more than %d rows", maxBoundRows)
			}
			q, err := tmpl.bind(rec, r, want)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "parameter row %d: %v", rows, err)
			}
			bound = append(bound, q)
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "read parameter batches: %v", err)
	}
	return encodeHandle(&statementHandle{SQL: h.SQL, Table: h.Table, Bound: bound, IsBound: true}), nil
}

// GetFlightInfoPreparedStatement plans the prepared (and bound) statement;
// the ticket is the command itself, handle included.
func (s *Server) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	sch, err := s.preparedSchema(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return flightInfo(desc, sch, desc.Cmd, s.mem), nil
}

// GetSchemaPreparedStatement returns the prepared statement's result
// schema.
func (s *Server) GetSchemaPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	sch, err := s.preparedSchema(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(sch, s.mem)}, nil
}

func (s *Server) preparedSchema(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, error) {
	h, err := decodeHandle(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	stmts, err := h.statements()
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return nil, status.Error(codes.InvalidArgument, "the parameter binding has no rows: nothing to execute")
	}
	sch, _, err := s.describe(ctx, stmts[0])
	return sch, err
}

// DoGetPreparedStatement runs the prepared statement, once per bound
// parameter row.
func (s *Server) DoGetPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h, err := decodeHandle(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, nil, err
	}
	stmts, err := h.statements()
	if err != nil {
		return nil, nil, err
	}
	return s.run(ctx, stmts, h.Table)
}

// DoPutCommandStatementUpdate refuses: Tannin's SQL is read-only.
func (s *Server) DoPutCommandStatementUpdate(context.Context, flightsql.StatementUpdate) (int64, error) {
	return 0, status.Error(codes.InvalidArgument, "Tannin answers SELECT statements only: updates go through ingestion")
}

// DoPutPreparedStatementUpdate refuses: Tannin's SQL is read-only.
func (s *Server) DoPutPreparedStatementUpdate(context.Context, flightsql.PreparedStatementUpdate, flight.MessageReader) (int64, error) {
	return 0, status.Error(codes.InvalidArgument, "Tannin answers SELECT statements only: updates go through ingestion")
}

// oneBatch streams a single record batch.
func oneBatch(rec arrow.RecordBatch) <-chan flight.StreamChunk {
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: rec}
	close(ch)
	return ch
}

// buildRecord builds a record batch of sch with fill appending the rows.
func (s *Server) buildRecord(sch *arrow.Schema, fill func(b *array.RecordBuilder) error) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(s.mem, sch)
	defer b.Release()
	if err := fill(b); err != nil {
		return nil, err
	}
	return b.NewRecordBatch(), nil
}
