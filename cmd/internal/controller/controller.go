package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"context"
	"errors"
	"fmt"
	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/node"
)

// Controller is the controller role: the REST API over the cluster
// metadata, and, while it leads, the periodic tasks.
type Controller struct {
	cfg  Config
	nc   node.Config
	deps *node.Deps
	log  *slog.Logger

	ln   net.Listener
	srv  *http.Server
	name string
	port int

	jobs    *jobs
	uploads uploadLocks
	leading atomic.Bool
	// retentionRuns counts the retention passes this controller made.
	retentionRuns atomic.Int64

	// bg is the context of background work (rebalance and drain jobs);
	// Run cancels it at shutdown and waits for bgWG.
	bg     context.Context
	bgStop context.CancelFunc
	bgWG   sync.WaitGroup

	// rt is the state of realtime tables: their open streams, the
	// leader's completion FSMs and validation task (realtime.go).
	rt realtimeState

	mu  sync.Mutex
	reg *cluster.Registration

	metrics *prometheus.Registry
	// auth checks credentials and route rules (access.go); nil when
	// authentication is off.
	auth *auth.Authenticator
}

// New binds the REST API's listener; Run serves it. deps must hold a
// Store, a Cache, a DeepStore and a Log.
func New(cfg Config, nc node.Config, deps *node.Deps) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("controller config: %w", err)
	}
	if deps == nil || deps.Store == nil || deps.Cache == nil || deps.DeepStore == nil {
		return nil, errors.New("controller: missing cluster dependencies (store, cache, deep store)")
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Version == "" {
		cfg.Version = buildVersion()
	}
	addr := net.JoinHostPort(nc.Bind(), strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("controller: listen on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	name := cluster.InstanceName(cluster.TypeController, nc.Host, port)
	bg, stop := context.WithCancel(context.Background())
	c := &Controller{
		cfg: cfg, nc: nc, log: log.With("instance", name),
		ln: ln, name: name, port: port,
		jobs: newJobs(), bg: bg, bgStop: stop,
	}
	c.metrics = c.newMetrics()
	// The controller's own view of the deep store counts its operations.
	d := *deps
	d.DeepStore = metrics.DeepStore(deps.DeepStore, c.metrics, "controller")
	c.deps = &d
	c.rt.val.kick = make(chan struct{}, 1)
	if err := c.initAuth(); err != nil {
		ln.Close()
		return nil, err
	}
	c.srv = &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
	return c, nil
}

// HTTPAddr is the host:port the REST API is bound to.
func (c *Controller) HTTPAddr() string { return c.ln.Addr().String() }

// Name is the controller's instance name, Controller_<host>_<port>.
func (c *Controller) Name() string { return c.name }

// IsLeader reports whether this controller currently leads.
func (c *Controller) IsLeader() bool { return c.leading.Load() }

// Run registers the controller, campaigns for leadership and serves the
// REST API until ctx ends; then it drains requests in flight, stops the
// background jobs, revokes its lease and returns nil.
func (c *Controller) Run(ctx context.Context) error {
	serveErr := make(chan error, 1)
	go func() {
		err := c.srv.Serve(c.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		serveErr <- err
	}()
	memberDone := make(chan struct{})
	mctx, stopMember := context.WithCancel(ctx)
	go func() {
		defer close(memberDone)
		c.member(mctx)
	}()
	c.log.Info("controller serving", "addr", c.HTTPAddr())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if err != nil {
			err = fmt.Errorf("controller %s: serve: %w", c.name, err)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.ShutdownTimeout)
	if serr := c.srv.Shutdown(sctx); serr != nil {
		c.log.Warn("http shutdown", "err", serr)
		_ = c.srv.Close()
	}
	cancel()
	c.bgStop()
	c.bgWG.Wait()
	stopMember()
	<-memberDone
	c.log.Info("controller stopped")
	return err
}

// member keeps the controller registered and campaigning until ctx ends
// (cluster.StayRegistered).
func (c *Controller) member(ctx context.Context) {
	cluster.StayRegistered(ctx, c.deps.Store, c.instance, c.log, func(ctx context.Context, reg *cluster.Registration) {
		c.mu.Lock()
		c.reg = reg
		c.mu.Unlock()
		c.campaignAndLead(ctx, reg)
		c.mu.Lock()
		c.reg = nil
		c.mu.Unlock()
	})
}

func (c *Controller) instance() *cluster.Instance {
	return &cluster.Instance{
		Name: c.name, Type: cluster.TypeController, Host: c.nc.Host, Port: c.port,
		GrpcPort: -1, Tags: []string{}, Enabled: true,
	}
}

// campaignAndLead waits for leadership and runs the leader's tasks while it
// lasts: until ctx ends or the registration's lease is lost.
func (c *Controller) campaignAndLead(ctx context.Context, reg *cluster.Registration) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-reg.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	for {
		_, err := cluster.Campaign(lctx, reg)
		if err == nil {
			break
		}
		if lctx.Err() != nil {
			return
		}
		c.log.Warn("campaign for leadership", "err", err)
		sleep(lctx, time.Second)
	}
	select {
	case <-reg.Done():
		return
	default:
	}
	c.leading.Store(true)
	c.log.Info("controller leads")
	c.lead(lctx)
	c.leading.Store(false)
	c.log.Info("controller no longer leads")
}

// lead runs the leader's periodic tasks until ctx ends.
func (c *Controller) lead(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.validateLoop(ctx)
	}()
	defer wg.Wait()
	t := time.NewTicker(c.cfg.RetentionInterval)
	defer t.Stop()
	for {
		c.retentionRuns.Add(1)
		if _, err := c.enforceRetention(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
