package server

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/node"
)

// Config is the server role's configuration. Ports follow Apache Pinot's
// defaults; port 0 binds any free port.
type Config struct {
	// AdminPort serves the admin HTTP API (/health, /tables/...).
	AdminPort int
	// GRPCPort serves query fragments (querypb.Query).
	GRPCPort int
	// DataDir holds local copies of the segments:
	// <DataDir>/<tableNameWithType>/<segment>.tseg.
	DataDir string
	// Tags are the tenant tags the instance registers with the first time
	// it starts (the stored instance config wins afterwards).
	Tags []string
	// LoadParallelism bounds the segments downloaded and opened at once.
	LoadParallelism int
	// ShutdownTimeout bounds the drain of in-flight requests on shutdown.
	ShutdownTimeout time.Duration
	// MaxConcurrentQueries bounds the query fragments executing at once;
	// the others wait their turn in arrival order (Pinot's first-come,
	// first-served scheduler). 0 means one per CPU.
	MaxConcurrentQueries int
	// RealtimeMaxRecordBytes skips longer stream records as oversized
	// (0: consumer.DefaultMaxRecordBytes, 1 MiB, Kinesis's largest).
	RealtimeMaxRecordBytes int
}

// DefaultConfig returns Pinot's server defaults.
func DefaultConfig() Config {
	return Config{
		AdminPort:       8097,
		GRPCPort:        8090,
		DataDir:         "/var/lib/tannin/server",
		Tags:            []string{"DefaultTenant_OFFLINE", "DefaultTenant_REALTIME"},
		LoadParallelism: 2,
		ShutdownTimeout: 5 * time.Second,
	}
}

// RegisterFlags adds the server's flags to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.AdminPort, "admin-port", c.AdminPort, "admin HTTP port (health, tables); 0 picks a free port")
	fs.IntVar(&c.GRPCPort, "grpc-port", c.GRPCPort, "query gRPC port; 0 picks a free port")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of the local segment copies")
	fs.Func("tags", "comma-separated tenant tags for a new instance (default "+strings.Join(c.Tags, ",")+")", func(s string) error {
		c.Tags = node.SplitList(s)
		return nil
	})
	fs.IntVar(&c.LoadParallelism, "load-parallelism", c.LoadParallelism, "segments downloaded and opened at once")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long shutdown waits for in-flight requests")
	fs.IntVar(&c.MaxConcurrentQueries, "max-concurrent-queries", c.MaxConcurrentQueries,
		"query fragments executing at once, the rest queued first come, first served; 0 means one per CPU")
	fs.IntVar(&c.RealtimeMaxRecordBytes, "realtime-max-record-bytes", c.RealtimeMaxRecordBytes,
		"stream records longer than this are skipped and counted as oversized; 0 means 1 MiB")
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	for _, p := range []struct {
		flag string
		port int
	}{{"-admin-port", c.AdminPort}, {"-grpc-port", c.GRPCPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%s %d: must be in 0..65535", p.flag, p.port)
		}
	}
	if c.AdminPort != 0 && c.AdminPort == c.GRPCPort {
		return fmt.Errorf("-admin-port and -grpc-port: both are %d", c.AdminPort)
	}
	if c.DataDir == "" {
		return errors.New("-data-dir: must be set")
	}
	if len(c.Tags) == 0 {
		return errors.New("-tags: at least one tenant tag is needed")
	}
	for _, t := range c.Tags {
		if t == "" || strings.ContainsAny(t, " /,") {
			return fmt.Errorf("-tags: tag %q must be non-empty without spaces, '/' or ','", t)
		}
	}
	if c.LoadParallelism < 1 {
		return fmt.Errorf("-load-parallelism %d: must be at least 1", c.LoadParallelism)
	}
	if c.MaxConcurrentQueries < 0 {
		return fmt.Errorf("-max-concurrent-queries %d: must be 0 (one per CPU) or more", c.MaxConcurrentQueries)
	}
	if c.RealtimeMaxRecordBytes < 0 {
		return fmt.Errorf("-realtime-max-record-bytes %d: must be 0 (1 MiB) or more", c.RealtimeMaxRecordBytes)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("-shutdown-timeout %v: must be positive", c.ShutdownTimeout)
	}
	return nil
}
