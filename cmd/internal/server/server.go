package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/proto/querypb"
)

// maxMessageBytes bounds gRPC messages both ways: the partial of a big
// group-by can be large.
const maxMessageBytes = 256 << 20

// Server is the server role: it hosts the segments assigned to it and
// answers query fragments over them.
type Server struct {
	cfg  Config
	nc   node.Config
	deps *node.Deps
	log  *slog.Logger

	httpLn, grpcLn net.Listener
	httpSrv        *http.Server
	grpcSrv        *grpc.Server
	query          *queryService
	name           string

	// segs exists from New on; its context is replaced when Run starts.
	segs       *manager
	rt         *realtime
	metrics    *serverMetrics
	registered atomic.Bool
	runOnce    sync.Once
}

// New validates cfg, creates the data directory and binds the admin HTTP
// and query gRPC listeners. It does not register in etcd: Run does.
func New(cfg Config, nc node.Config, deps *node.Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create -data-dir %q: %w", cfg.DataDir, err)
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	httpLn, err := net.Listen("tcp", net.JoinHostPort(nc.Bind(), strconv.Itoa(cfg.AdminPort)))
	if err != nil {
		return nil, fmt.Errorf("listen on -admin-port %d: %w", cfg.AdminPort, err)
	}
	grpcLn, err := net.Listen("tcp", net.JoinHostPort(nc.Bind(), strconv.Itoa(cfg.GRPCPort)))
	if err != nil {
		httpLn.Close()
		return nil, fmt.Errorf("listen on -grpc-port %d: %w", cfg.GRPCPort, err)
	}
	port := httpLn.Addr().(*net.TCPAddr).Port
	name := cluster.InstanceName(cluster.TypeServer, nc.Host, port)
	s := &Server{
		cfg: cfg, nc: nc, log: log.With("instance", name),
		httpLn: httpLn, grpcLn: grpcLn, name: name,
	}
	s.metrics = newServerMetrics(s)
	// The server's own view of the deep store counts its operations.
	d := *deps
	d.DeepStore = metrics.DeepStore(deps.DeepStore, s.metrics.reg, "server")
	s.deps = &d
	deps = s.deps
	// The manager gets its context in Run; until then nothing kicks it.
	s.segs = newManager(context.Background(), cfg.DataDir, deps.DeepStore, s.log, name, cfg.LoadParallelism)
	s.rt = newRealtime(s)
	slots := cfg.MaxConcurrentQueries
	if slots == 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	s.query = &queryService{s: s, slots: make(chan struct{}, slots)}
	s.grpcSrv = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
		// Brokers keep their connections alive with pings.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		// Reused handler goroutines keep the stack the SQL parser grew;
		// a fresh goroutine per call would grow it again every query.
		grpc.NumStreamWorkers(uint32(4*runtime.GOMAXPROCS(0))),
	)
	querypb.RegisterQueryServer(s.grpcSrv, s.query)
	s.httpSrv = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// HTTPAddr is the admin API's bound host:port.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// GRPCAddr is the query service's bound host:port.
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// InstanceName is the name the server registers under (and assignments
// name): Server_<host>_<admin port>.
func (s *Server) InstanceName() string { return s.name }

// Ready reports whether the server registered and finished loading (or
// failing) the segments assigned to it when it started.
func (s *Server) Ready() bool { return s.registered.Load() && s.segs.Ready() }

// Run registers the server, serves until ctx ends and then shuts down:
// loads stop, the lease is revoked (the live key and every reported
// segment state go at once), in-flight queries drain for up to
// ShutdownTimeout, and segments are closed; local files stay for the next
// start. It returns nil after a clean shutdown. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	err := errors.New("server: Run called twice")
	s.runOnce.Do(func() { err = s.run(ctx) })
	return err
}

func (s *Server) run(ctx context.Context) error {
	mctx, stopLoads := context.WithCancel(ctx)
	defer stopLoads()
	s.segs.ctx = mctx

	httpErr := make(chan error, 1)
	grpcErr := make(chan error, 1)
	go func() { httpErr <- s.httpSrv.Serve(s.httpLn) }()
	go func() { grpcErr <- s.grpcSrv.Serve(s.grpcLn) }()

	reg, regCancel, err := s.register(ctx)
	if err != nil {
		// Only the end of ctx stops the retries.
		s.stopServing()
		return nil
	}
	s.segs.setReporter(reg)
	s.registered.Store(true)
	s.log.Info("server registered", "admin", s.HTTPAddr(), "grpc", s.GRPCAddr())

	var loops sync.WaitGroup
	s.rt.begin(mctx)
	loops.Add(2)
	go func() {
		defer loops.Done()
		s.rt.run(mctx)
	}()
	go func() {
		defer loops.Done()
		s.follow(mctx)
	}()

	var runErr error
serve:
	for {
		select {
		case <-ctx.Done():
			break serve
		case err := <-httpErr:
			runErr = fmt.Errorf("server admin HTTP: %w", err)
			break serve
		case err := <-grpcErr:
			runErr = fmt.Errorf("server query gRPC: %w", err)
			break serve
		case <-reg.Done():
			if ctx.Err() != nil {
				break serve
			}
			// etcd was unreachable for longer than the lease: the live key
			// and the reported states are gone. Register again and report
			// every segment again.
			s.log.Warn("server lease lost; registering again")
			s.registered.Store(false)
			regCancel()
			next, cancel, err := s.register(ctx)
			if err != nil {
				reg, regCancel = nil, func() {}
				break serve
			}
			reg, regCancel = next, cancel
			s.segs.setReporter(reg)
			s.registered.Store(true)
		}
	}

	// Shutdown: stop loading, leave routing, drain queries, close.
	s.registered.Store(false)
	stopLoads()
	loops.Wait()
	s.segs.wg.Wait()
	if reg != nil {
		if err := reg.Close(); err != nil {
			s.log.Warn("revoke server lease", "err", err)
		}
	}
	regCancel()
	s.stopServing()
	s.segs.closeAll()
	s.log.Info("server stopped")
	return runErr
}

// registerTimeout bounds one registration attempt.
const registerTimeout = cluster.LeaseTTL

// register registers the instance, retrying while etcd is unreachable; it
// fails only when ctx ends. The lease outlives ctx, so that shutdown can
// revoke it: the returned cancel ends it after Close.
func (s *Server) register(ctx context.Context) (*cluster.Registration, context.CancelFunc, error) {
	inst := &cluster.Instance{
		Name: s.name, Type: cluster.TypeServer, Host: s.nc.Host,
		Port: s.httpLn.Addr().(*net.TCPAddr).Port, GrpcPort: s.grpcLn.Addr().(*net.TCPAddr).Port,
		Tags: s.cfg.Tags, Enabled: true,
	}
	pause := 200 * time.Millisecond
	for {
		// An attempt is abandoned when ctx ends or etcd does not answer
		// in time.
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stopAbandon := context.AfterFunc(ctx, cancel)
		timer := time.AfterFunc(registerTimeout, cancel)
		reg, err := cluster.Register(rctx, s.deps.Store, inst, s.log)
		stopAbandon()
		timer.Stop()
		if err == nil {
			return reg, cancel, nil
		}
		cancel()
		s.log.Warn("register server", "err", err)
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("register %s: %w", s.name, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// follow reconciles the hosted segments with every new snapshot until ctx
// ends.
func (s *Server) follow(ctx context.Context) {
	// The segments to load before reporting ready are those assigned when
	// the server registered: catch up with etcd's revision first.
	if _, err := s.deps.Cache.Sync(ctx); err != nil && ctx.Err() != nil {
		return
	}
	snap, changed := s.deps.Cache.Current()
	s.segs.sweep(snap)
	for {
		s.segs.reconcile(snap)
		s.rt.reconcile(snap)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		snap, changed = s.deps.Cache.Current()
	}
}

// stopServing drains gRPC and HTTP within ShutdownTimeout, then closes
// what is left.
func (s *Server) stopServing() {
	done := make(chan struct{})
	go func() {
		s.grpcSrv.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("query drain timed out; cancelling the rest")
		s.grpcSrv.Stop()
		<-done
	}
	hctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.httpSrv.Shutdown(hctx); err != nil {
		s.httpSrv.Close()
	}
}
