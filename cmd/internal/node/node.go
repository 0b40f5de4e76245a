// Package node holds what every role process shares: the flags that locate
// the cluster (etcd endpoints, cluster name, deep store, advertised host)
// and the dependencies built from them (etcd client, metadata store and
// cache, deep store, logger).
package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/deepstore/localfs"
	"github.com/tannin-db/tannin/deepstore/s3"
	"github.com/tannin-db/tannin/realtime/completion"
	"github.com/tannin-db/tannin/realtime/completionhttp"
	"github.com/tannin-db/tannin/stream/streams"
)

// Config locates the cluster.
type Config struct {
	// EtcdEndpoints are etcd client URLs, comma-separated on the command line.
	EtcdEndpoints []string
	ClusterName   string
	// DeepStore is the deep store's URI: file:///path or
	// s3://bucket/prefix?region=&endpoint=&pathStyle= (see deepstore/s3).
	DeepStore string
	// Host is the address other processes reach this one at; ListenHost is
	// what it binds (defaults to Host).
	Host       string
	ListenHost string
	// AuthEnabled turns on authentication and per-table permissions on
	// the controller and broker APIs (cmd/internal/auth); AuthUsersFile
	// is a Pinot-shaped users JSON created in etcd at start where absent.
	AuthEnabled   bool
	AuthUsersFile string
}

// DefaultConfig is a single-machine cluster.
func DefaultConfig() Config {
	return Config{
		EtcdEndpoints: []string{"http://127.0.0.1:2379"},
		ClusterName:   "tannin",
		DeepStore:     "file:///var/lib/tannin/deepstore",
		Host:          "127.0.0.1",
	}
}

// RegisterFlags adds the shared flags to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Func("etcd-endpoints", "comma-separated etcd client URLs (default "+strings.Join(c.EtcdEndpoints, ",")+")", func(s string) error {
		c.EtcdEndpoints = strings.Split(s, ",")
		return nil
	})
	fs.StringVar(&c.ClusterName, "cluster-name", c.ClusterName, "cluster name: the etcd key prefix /tannin/<name>/")
	fs.StringVar(&c.DeepStore, "deep-store", c.DeepStore, "deep store URI: file:///dir or s3://bucket/prefix?region=R&endpoint=URL&pathStyle=true (S3 credentials from the AWS default chain)")
	fs.StringVar(&c.Host, "host", c.Host, "host name or address other processes reach this one at")
	fs.StringVar(&c.ListenHost, "listen-host", c.ListenHost, "address to bind (default: -host)")
	fs.BoolVar(&c.AuthEnabled, "auth-enabled", c.AuthEnabled, "require authentication (HTTP Basic or bearer tokens) and per-table permissions on the controller and broker")
	fs.StringVar(&c.AuthUsersFile, "auth-users-file", c.AuthUsersFile, "`file` of Pinot user configs (JSON array, or GET /users's object) created in etcd at start unless present; plain passwords are hashed on load")
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.EtcdEndpoints) == 0 || c.EtcdEndpoints[0] == "" {
		return errors.New("-etcd-endpoints: at least one endpoint is needed")
	}
	if c.ClusterName == "" || strings.ContainsAny(c.ClusterName, "/ ") {
		return fmt.Errorf("-cluster-name %q: must be non-empty without '/' or spaces", c.ClusterName)
	}
	if c.Host == "" {
		return errors.New("-host: must be set")
	}
	if _, err := url.Parse(c.DeepStore); err != nil {
		return fmt.Errorf("-deep-store %q: %w", c.DeepStore, err)
	}
	if c.AuthUsersFile != "" {
		if !c.AuthEnabled {
			return errors.New("-auth-users-file: needs -auth-enabled")
		}
		data, err := os.ReadFile(c.AuthUsersFile)
		if err != nil {
			return fmt.Errorf("-auth-users-file: %w", err)
		}
		if _, err := auth.ParseUsersFile(data); err != nil {
			return fmt.Errorf("-auth-users-file %s: %w", c.AuthUsersFile, err)
		}
	}
	return nil
}

// Bind is the host to listen on.
func (c *Config) Bind() string {
	if c.ListenHost != "" {
		return c.ListenHost
	}
	return c.Host
}

// Deps are a role's connections to the cluster.
type Deps struct {
	Etcd      *clientv3.Client
	Store     *cluster.Store
	Cache     *cluster.Cache
	DeepStore deepstore.Store
	Log       *slog.Logger
	// LocalStreams are the in-process streams realtime tables of type
	// "local" read (the quickstart's demo stream); nil elsewhere.
	LocalStreams *streams.Local
	// Completion is how a server's partition consumers reach the
	// controller leader's segment completion protocol
	// (completionhttp.Client in a cluster; an in-process one in tests).
	// A server without it does not consume realtime tables.
	Completion completion.Controller
	// AuthSecret is the cluster secret when authentication is on, nil
	// when off (see Authenticator).
	AuthSecret []byte
}

// Authenticator returns the authenticator of a role's component, or nil
// when authentication is off.
func (d *Deps) Authenticator(c auth.Component) (*auth.Authenticator, error) {
	if d.AuthSecret == nil {
		return nil, nil
	}
	cache := d.Cache
	return auth.New(auth.Config{Secret: d.AuthSecret, Component: c,
		Users: func() map[string]*auth.User { return cache.Snapshot().Users }})
}

// Connect dials etcd, loads the metadata cache (kept current until ctx
// ends) and opens the deep store. Close the Etcd client when done.
func Connect(ctx context.Context, c Config, log *slog.Logger) (*Deps, error) {
	ds, err := OpenDeepStore(c.DeepStore)
	if err != nil {
		return nil, err
	}
	cli, err := cluster.Dial(c.EtcdEndpoints)
	if err != nil {
		return nil, err
	}
	store := cluster.NewStore(cli, c.ClusterName)
	cache, err := cluster.NewCache(ctx, store, log)
	if err != nil {
		cli.Close()
		return nil, err
	}
	deps := &Deps{Etcd: cli, Store: store, Cache: cache, DeepStore: ds, Log: log}
	var copt completionhttp.Options
	if c.AuthEnabled {
		if err := deps.setUpAuth(ctx, c); err != nil {
			cli.Close()
			return nil, err
		}
		// Servers call the controller's completion endpoints as cluster
		// members.
		copt.HTTP = &http.Client{Transport: auth.Transport(nil, auth.InternalCredential(deps.AuthSecret))}
	}
	deps.Completion = completionhttp.NewClient(ControllerLeaders(cache), copt)
	return deps, nil
}

// setUpAuth reads (or creates) the cluster secret and creates the users
// of the users file that do not exist yet.
func (d *Deps) setUpAuth(ctx context.Context, c Config) error {
	secret, err := d.Store.AuthSecret(ctx)
	if err != nil {
		return err
	}
	d.AuthSecret = secret
	if c.AuthUsersFile == "" {
		return nil
	}
	users, err := auth.LoadUsersFile(c.AuthUsersFile)
	if err != nil {
		return err
	}
	created, err := d.Store.EnsureUsers(ctx, users)
	if err != nil {
		return err
	}
	if len(created) > 0 {
		d.Log.Info("created users from the users file", "file", c.AuthUsersFile, "users", strings.Join(created, ","))
	}
	return nil
}

// OpenDeepStore opens the deep store a URI names.
func OpenDeepStore(uri string) (deepstore.Store, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("deep store %q: %w", uri, err)
	}
	switch u.Scheme {
	case "file", "":
		if u.Path == "" {
			return nil, fmt.Errorf("deep store %q: no directory", uri)
		}
		return localfs.New(u.Path)
	case "s3":
		// Open checks the bucket and credentials, so a misconfigured
		// node fails at start rather than at its first segment commit.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := s3.Open(ctx, uri)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("deep store %q: unknown scheme %q (want file:// or s3://)", uri, u.Scheme)
}

// SplitList splits a comma-separated flag value, trimming spaces and
// dropping empty items (tenant tags).
func SplitList(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// ControllerLeaders finds the leading controller's REST base URL in the
// cluster metadata: the election says who leads, its live record where it
// listens (as /cluster/info does).
func ControllerLeaders(cache *cluster.Cache) completionhttp.Leaders {
	return completionhttp.LeaderFunc(func(ctx context.Context) (string, error) {
		snap := cache.Snapshot()
		if snap.Leader == "" {
			return "", errors.New("no controller leads the cluster")
		}
		in := snap.Live[snap.Leader]
		if in == nil {
			return "", fmt.Errorf("leading controller %s is not live", snap.Leader)
		}
		return "http://" + net.JoinHostPort(in.Host, strconv.Itoa(in.Port)), nil
	})
}
