// Package allinone runs a whole Tannin cluster in one process: embedded
// etcd, a controller, a broker and a server talking gRPC and HTTP over
// loopback, with a local-filesystem deep store under one data directory.
// It is what `tannin quickstart` runs, the same code paths as a cluster of
// separate processes, and what `tannin etcd` uses to run etcd alone.
package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/broker"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/controller"
	"github.com/tannin-db/tannin/cmd/internal/node"
	"github.com/tannin-db/tannin/cmd/internal/server"
	"github.com/tannin-db/tannin/stream/streams"
)

// Config places the cluster's data and ports.
type Config struct {
	// Dir holds etcd's data (etcd/), the deep store (deepstore/) and the
	// server's local segments (server/).
	Dir  string
	Host string
	// Ports; 0 picks a free one.
	EtcdPort, EtcdPeerPort           int
	ControllerPort, BrokerPort       int
	ServerAdminPort, ServerQueryPort int
	// FlightPort is the broker's Arrow Flight SQL port (0: a free one,
	// also when left at 8815 with BrokerPort 0; negative: off).
	FlightPort int
	// LocalStreams are the in-process streams realtime tables of type
	// "local" read; register them before Start so that the server finds
	// them when it starts consuming. Nil: none.
	LocalStreams *streams.Local
	// Auth turns authentication on, with Users created at start where
	// absent (plain passwords are hashed; a password changed through the
	// REST API survives restarts).
	Auth  bool
	Users []auth.UserConfig
}

// The quickstart's administrator, for the controller and the broker.
const (
	AdminUser     = "admin"
	AdminPassword = "admin"
)

// DefaultUsers are admin/admin as ADMIN of the controller and the broker.
func DefaultUsers() []auth.UserConfig {
	var out []auth.UserConfig
	for _, c := range []auth.Component{auth.Controller, auth.Broker} {
		out = append(out, auth.UserConfig{Username: AdminUser, Password: AdminPassword, Component: string(c), Role: string(auth.Admin)})
	}
	return out
}

// DefaultConfig uses Apache Pinot's default ports.
func DefaultConfig() Config {
	return Config{
		Dir: filepath.Join(".cache", "quickstart"), Host: "127.0.0.1",
		EtcdPort: 2379, EtcdPeerPort: 2380,
		ControllerPort: 9000, BrokerPort: 8099, ServerAdminPort: 8097, ServerQueryPort: 8090,
		Auth: true, Users: DefaultUsers(),
		FlightPort: broker.DefaultFlightPort,
	}
}

// Cluster is a running all-in-one cluster.
type Cluster struct {
	ControllerURL, BrokerURL, ServerAdminURL, ServerQueryAddr, EtcdURL string
	// Authorization is the header value the process's own tools send
	// (the quickstart's demo queries): the cluster-internal credential,
	// which keeps working when an admin's password changes; "" when
	// authentication is off.
	Authorization string
	// FlightAddr is the broker's Flight SQL host:port, "" when off.
	FlightAddr string

	etcd   *cluster.Embedded
	deps   *node.Deps
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// Start starts etcd and the three roles and returns once they listen. The
// cluster runs until ctx ends or Stop.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Cluster, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	etcdAddr, err := hostPort(cfg.Host, cfg.EtcdPort)
	if err != nil {
		return nil, err
	}
	peerAddr, err := hostPort(cfg.Host, cfg.EtcdPeerPort)
	if err != nil {
		return nil, err
	}
	e, err := cluster.StartEmbedded(cluster.EmbeddedConfig{Dir: filepath.Join(abs, "etcd"), ClientAddr: etcdAddr, PeerAddr: peerAddr})
	if err != nil {
		return nil, err
	}
	nc := node.DefaultConfig()
	nc.EtcdEndpoints = []string{e.Endpoint()}
	nc.Host = cfg.Host
	nc.DeepStore = "file://" + filepath.Join(abs, "deepstore")
	nc.AuthEnabled = cfg.Auth
	ctx, cancel := context.WithCancel(ctx)
	c := &Cluster{etcd: e, cancel: cancel, EtcdURL: e.Endpoint()}
	deps, err := node.Connect(ctx, nc, log)
	if err != nil {
		cancel()
		e.Close()
		return nil, err
	}
	// Realtime tables of stream type "local" read the streams this
	// process registers (the quickstart's demo stream).
	deps.LocalStreams = cfg.LocalStreams
	if deps.LocalStreams == nil {
		deps.LocalStreams = &streams.Local{}
	}
	c.deps = deps
	if cfg.Auth {
		if err := c.ensureUsers(ctx, cfg.Users); err != nil {
			c.abort()
			return nil, err
		}
		c.Authorization = auth.InternalCredential(deps.AuthSecret)
	}

	ccfg := controller.DefaultConfig()
	ccfg.Port = cfg.ControllerPort
	ctl, err := controller.New(ccfg, nc, deps)
	if err != nil {
		c.abort()
		return nil, fmt.Errorf("controller: %w", err)
	}
	scfg := server.DefaultConfig()
	scfg.AdminPort, scfg.GRPCPort = cfg.ServerAdminPort, cfg.ServerQueryPort
	scfg.DataDir = filepath.Join(abs, "server")
	srv, err := server.New(scfg, nc, deps)
	if err != nil {
		c.abort()
		return nil, fmt.Errorf("server: %w", err)
	}
	bcfg := broker.DefaultConfig()
	bcfg.Port, bcfg.FlightPort = cfg.BrokerPort, cfg.FlightPort
	// Here the broker waits on a server that shares its CPUs, so it
	// admits fewer queries at once than a broker of its own would: a
	// first-come, first-served queue gives a shorter tail than the Go
	// scheduler interleaving many queries' steps.
	bcfg.MaxConcurrentQueries = 8 * runtime.GOMAXPROCS(0)
	brk, err := broker.New(bcfg, nc, deps)
	if err != nil {
		c.abort()
		return nil, fmt.Errorf("broker: %w", err)
	}
	c.ControllerURL = "http://" + ctl.HTTPAddr()
	c.BrokerURL = "http://" + brk.HTTPAddr()
	c.FlightAddr = brk.FlightAddr()
	c.ServerAdminURL = "http://" + srv.HTTPAddr()
	c.ServerQueryAddr = srv.GRPCAddr()
	for name, r := range map[string]node.Role{"controller": ctl, "server": srv, "broker": brk} {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if err := r.Run(ctx); err != nil {
				c.mu.Lock()
				c.errs = append(c.errs, fmt.Errorf("%s: %w", name, err))
				c.mu.Unlock()
				log.Error("role stopped", "role", name, "err", err)
				cancel()
			}
		}()
	}
	return c, nil
}

// ensureUsers creates the configured users that do not exist yet.
func (c *Cluster) ensureUsers(ctx context.Context, users []auth.UserConfig) error {
	snap := c.deps.Cache.Snapshot()
	var missing []*auth.UserConfig
	for _, u := range users {
		if err := u.Validate(); err != nil {
			return err
		}
		// Hashing costs tens of milliseconds: only for new users.
		if snap.UserConfigs[u.Key()] != nil {
			continue
		}
		if err := u.HashConfig(true); err != nil {
			return err
		}
		missing = append(missing, &u)
	}
	if _, err := c.deps.Store.EnsureUsers(ctx, missing); err != nil {
		return err
	}
	_, err := c.deps.Cache.Sync(ctx)
	return err
}

func hostPort(host string, port int) (string, error) {
	if port != 0 {
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Store is the cluster's metadata store.
func (c *Cluster) Store() *cluster.Store { return c.deps.Store }

// Cache is the cluster's metadata cache.
func (c *Cluster) Cache() *cluster.Cache { return c.deps.Cache }

func (c *Cluster) abort() {
	c.cancel()
	c.deps.Etcd.Close()
	c.etcd.Close()
}

// Stop shuts the roles down, then etcd, and returns the roles' errors.
func (c *Cluster) Stop() error {
	c.cancel()
	c.wg.Wait()
	c.deps.Etcd.Close()
	c.etcd.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.errs...)
}
