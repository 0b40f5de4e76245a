package cluster

import (
	"fmt"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// EmbeddedConfig configures an etcd server inside this process.
type EmbeddedConfig struct {
	// Dir holds etcd's data; a restart with the same Dir keeps everything.
	Dir string
	// ClientAddr and PeerAddr are host:port to listen on (port 0 is not
	// allowed: etcd advertises what it listens on).
	ClientAddr, PeerAddr string
	// Name is the member name.
	Name string
	// LogLevel is etcd's own log level (debug, info, warn, error); ""
	// silences etcd's logging, which inside another process is noise
	// (errors still surface through Err and StartEmbedded's result).
	LogLevel string
}

// Embedded is a running single-member etcd server.
type Embedded struct {
	etcd     *embed.Etcd
	endpoint string
}

// StartEmbedded starts a single-member etcd and waits until it serves.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	ec := embed.NewConfig()
	ec.Dir = cfg.Dir
	ec.Name = cfg.Name
	if ec.Name == "" {
		ec.Name = "tannin"
	}
	cu, err := url.Parse("http://" + cfg.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd client address %q: %w", cfg.ClientAddr, err)
	}
	pu, err := url.Parse("http://" + cfg.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd peer address %q: %w", cfg.PeerAddr, err)
	}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	if cfg.LogLevel != "" {
		ec.LogLevel = cfg.LogLevel
	} else {
		ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(nopLogger())
	}
	// Keep history bounded: watches that fall behind reload (Cache).
	ec.AutoCompactionMode = "revision"
	ec.AutoCompactionRetention = "10000"
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("start etcd in %s: %w", cfg.Dir, err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("start etcd in %s: not ready after 60s", cfg.Dir)
	}
	return &Embedded{etcd: e, endpoint: cu.String()}, nil
}

// Endpoint is the client URL.
func (e *Embedded) Endpoint() string { return e.endpoint }

// Err reports a fatal server error.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the server.
func (e *Embedded) Close() { e.etcd.Close() }

// Dial connects a client to endpoints.
func Dial(endpoints []string) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		// Quiet the client's own logging; errors reach callers.
		Logger: nopLogger(),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	return cli, nil
}
