package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/flightsql"
	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"github.com/tannin-db/tannin/cmd/internal/node"
)

// maxBodyBytes bounds a query request's body.
const maxBodyBytes = 16 << 20

// Broker is the broker role: Pinot's query API over the cluster's servers.
type Broker struct {
	cfg  Config
	nc   node.Config
	deps *node.Deps
	log  *slog.Logger
	now  func() time.Time

	ln   net.Listener
	srv  *http.Server
	name string
	port int

	pool       *connPool
	routes     atomic.Pointer[routes]
	reqSeq     atomic.Uint64
	rot        atomic.Uint64
	registered atomic.Bool
	bufs       sync.Pool
	// admit holds one token per query being worked on; see
	// Config.MaxConcurrentQueries.
	admit   chan struct{}
	metrics *brokerMetrics
	// auth checks credentials (auth.go); nil when authentication is off.
	auth *auth.Authenticator

	// flight is the Flight SQL endpoint (flight.go); nil when off.
	flight   *flightsql.Server
	flightLn net.Listener
}

// New binds the broker's HTTP listener; Run registers it and serves.
func New(cfg Config, nc node.Config, deps *node.Deps) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr := net.JoinHostPort(nc.Bind(), strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	name := cluster.InstanceName(cluster.TypeBroker, nc.Host, port)
	b := &Broker{
		cfg: cfg, nc: nc, deps: deps, log: log.With("instance", name), now: cfg.Now,
		ln: ln, name: name, port: port, pool: newConnPool(cfg.MaxMessageBytes),
	}
	if b.now == nil {
		b.now = time.Now
	}
	slots := cfg.MaxConcurrentQueries
	if slots == 0 {
		slots = 64 * runtime.GOMAXPROCS(0)
	}
	b.admit = make(chan struct{}, slots)
	if err := b.initAuth(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.metrics = newBrokerMetrics(slots)
	b.srv = &http.Server{
		Handler:           b.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}
	if err := b.listenFlight(); err != nil {
		ln.Close()
		return nil, err
	}
	return b, nil
}

// HTTPAddr is the host:port the query API is bound to.
func (b *Broker) HTTPAddr() string { return b.ln.Addr().String() }

// Name is the broker's instance name, Broker_<host>_<port>.
func (b *Broker) Name() string { return b.name }

// Handler serves Pinot's broker query API and /health.
func (b *Broker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /query/sql", b.authenticated(b.handlePost))
	mux.HandleFunc("POST /query", b.authenticated(b.handlePost))
	mux.HandleFunc("GET /query/sql", b.authenticated(b.handleGet))
	mux.HandleFunc("GET /query", b.authenticated(b.handleGet))
	mux.HandleFunc("GET /health", b.handleHealth)
	mux.Handle("GET /metrics", metrics.Handler(b.metrics.reg))
	return mux
}

// Run registers the broker and serves until ctx ends; then it leaves the
// cluster (lease revoked), drains the queries in flight and returns nil.
func (b *Broker) Run(ctx context.Context) error {
	serveErr := make(chan error, 2)
	b.serveFlight(serveErr)
	go func() {
		err := b.srv.Serve(b.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		serveErr <- err
	}()
	mctx, stopMember := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b.member(mctx)
	}()
	go func() {
		defer wg.Done()
		b.pruneConns(mctx)
	}()
	b.log.Info("broker serving", "addr", b.HTTPAddr())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if err != nil {
			err = fmt.Errorf("broker %s: serve: %w", b.name, err)
		}
	}
	b.registered.Store(false)
	stopMember()
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	if serr := b.srv.Shutdown(sctx); serr != nil {
		b.log.Warn("http shutdown", "err", serr)
		_ = b.srv.Close()
	}
	b.stopFlight(sctx)
	cancel()
	b.pool.close()
	b.log.Info("broker stopped")
	return err
}

// member keeps the broker registered until ctx ends (cluster.StayRegistered);
// the broker answers /health with 200 only while registered.
func (b *Broker) member(ctx context.Context) {
	cluster.StayRegistered(ctx, b.deps.Store, b.instance, b.log, func(ctx context.Context, reg *cluster.Registration) {
		b.registered.Store(true)
		select {
		case <-ctx.Done():
		case <-reg.Done():
		}
		b.registered.Store(false)
	})
}

func (b *Broker) instance() *cluster.Instance {
	return &cluster.Instance{
		Name: b.name, Type: cluster.TypeBroker, Host: b.nc.Host, Port: b.port,
		GrpcPort: -1, Tags: append([]string(nil), b.cfg.Tags...), Enabled: true,
	}
}

// pruneConns closes the connections to servers that are no longer live,
// at every metadata change.
func (b *Broker) pruneConns(ctx context.Context) {
	for {
		s, changed := b.deps.Cache.Current()
		if b.pool.size() > 0 {
			keep := map[string]bool{}
			for _, in := range s.LiveInstances(cluster.TypeServer, "") {
				if live := s.Live[in.Name]; live != nil {
					keep[net.JoinHostPort(live.Host, strconv.Itoa(live.GrpcPort))] = true
				}
			}
			b.pool.retain(keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

func (b *Broker) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !b.registered.Load() || b.deps.Cache == nil || b.deps.Cache.Snapshot() == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "broker is not registered in the cluster")
		return
	}
	io.WriteString(w, "OK")
}

func (b *Broker) handlePost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		b.reply(w, r, b.failed(r, errorf(codeJSONParsing, "read request body: "+err.Error())))
		return
	}
	req, qe := parseBody(body)
	if qe != nil {
		b.reply(w, r, b.failed(r, qe))
		return
	}
	b.reply(w, r, b.query(r.Context(), req, r.Header.Get("X-Correlation-Id")))
}

func (b *Broker) handleGet(w http.ResponseWriter, r *http.Request) {
	req, qe := parseQuery(r.URL.Query())
	if qe != nil {
		b.reply(w, r, b.failed(r, qe))
		return
	}
	b.reply(w, r, b.query(r.Context(), req, r.Header.Get("X-Correlation-Id")))
}

// failed is the response to a request that never became a query.
func (b *Broker) failed(r *http.Request, qe *queryError) *response {
	resp := &response{Exceptions: []*queryError{qe}, RequestID: b.nextRequestID(), BrokerID: b.name}
	b.log.Info("bad query request", "request", resp.RequestID, "correlationId", r.Header.Get("X-Correlation-Id"),
		"code", qe.Code, "err", qe.Msg)
	return resp
}

func (b *Broker) nextRequestID() string {
	return strconv.FormatUint(b.reqSeq.Add(1), 10)
}

// reply writes the response: HTTP 200 with the exceptions in the body, as
// Pinot does, unless the client asks for HTTP statuses with
// Pinot-Use-Http-Status-For-Errors: true; X-Pinot-Error-Code carries the
// first exception's code (-1 when none).
func (b *Broker) reply(w http.ResponseWriter, r *http.Request, resp *response) {
	code := resp.errorCode()
	status := http.StatusOK
	if code != -1 && strings.EqualFold(strings.TrimSpace(r.Header.Get("Pinot-Use-Http-Status-For-Errors")), "true") {
		status = httpStatus(code)
	}
	if code == codeAccessDenied {
		// Pinot answers a refused table with 403 whatever the header.
		status = http.StatusForbidden
	}
	bp, _ := b.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	buf := resp.appendJSON((*bp)[:0])
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Pinot-Error-Code", strconv.Itoa(code))
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(status)
	if _, err := w.Write(buf); err != nil {
		b.log.Debug("write query response", "request", resp.RequestID, "err", err)
	}
	if cap(buf) <= 1<<20 {
		*bp = buf
		b.bufs.Put(bp)
	}
}
