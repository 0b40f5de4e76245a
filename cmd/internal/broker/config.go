package broker

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/flightsql"
	"github.com/tannin-db/tannin/cmd/internal/node"
)

// Config is the broker's own configuration; node.Config locates the
// cluster.
type Config struct {
	// Port is the query API's HTTP port (Pinot's broker default, 8099); 0
	// binds any free port.
	Port int
	// Timeout bounds every query; a request's timeoutMs option can only
	// shorten it.
	Timeout time.Duration
	// Tags are the broker's tenant tags ("<tenant>_BROKER").
	Tags []string
	// HedgeAfter is how long a server may take before the broker sends its
	// segments to another replica as well, keeping whichever answers first;
	// 0 means half of the query's timeout, a negative value never hedges.
	HedgeAfter time.Duration
	// EnableNullHandling is the default of the enableNullHandling query
	// option: with it off, NULL result cells are rendered as Pinot renders
	// them without null handling (the column's default null value).
	EnableNullHandling bool
	// MaxMessageBytes bounds one gRPC message from a server.
	MaxMessageBytes int
	// ShutdownTimeout bounds the draining of HTTP requests in flight at
	// shutdown.
	ShutdownTimeout time.Duration
	// MaxConcurrentQueries bounds the queries the broker works on at once;
	// the others wait in arrival order, their wait counting against their
	// timeout. 0 means 64 per CPU: a broker mostly waits on servers, and
	// a low bound would cap a large cluster at the broker.
	MaxConcurrentQueries int
	// FlightPort is the Arrow Flight SQL port (8815, the port Flight SQL
	// examples use); 0 binds any free port, a negative value turns the
	// endpoint off. Left at 8815 while Port is 0, it is any free port too,
	// so that brokers on free ports (tests) do not contend for 8815.
	FlightPort int
	// FlightAuth authenticates Flight SQL calls; nil leaves them open. Not
	// a flag.
	FlightAuth flightsql.Authenticator

	// Now is the clock (time.Now when nil). Not a flag.
	Now func() time.Time
}

// DefaultConfig returns Pinot's defaults.
func DefaultConfig() Config {
	return Config{
		Port:            8099,
		Timeout:         10 * time.Second,
		Tags:            []string{cluster.BrokerTag(cluster.DefaultTenant)},
		MaxMessageBytes: 256 << 20,
		ShutdownTimeout: 5 * time.Second,
		FlightPort:      DefaultFlightPort,
	}
}

// RegisterFlags adds the broker's flags to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Port, "port", c.Port, "query API HTTP port (0: any free port)")
	fs.Func("timeout-ms", fmt.Sprintf("query timeout in milliseconds; the timeoutMs query option can only shorten it (default %d)", c.Timeout.Milliseconds()), func(s string) error {
		var ms int64
		if _, err := fmt.Sscan(s, &ms); err != nil || ms <= 0 {
			return fmt.Errorf("want a positive number of milliseconds, got %q", s)
		}
		c.Timeout = time.Duration(ms) * time.Millisecond
		return nil
	})
	fs.Func("tags", "comma-separated tenant tags (default "+strings.Join(c.Tags, ",")+")", func(s string) error {
		c.Tags = node.SplitList(s)
		return nil
	})
	fs.DurationVar(&c.HedgeAfter, "hedge-after", c.HedgeAfter, "send a slow server's segments to another replica after this long (0: half the query's timeout; negative: never)")
	fs.BoolVar(&c.EnableNullHandling, "enable-null-handling", c.EnableNullHandling, "default of the enableNullHandling query option")
	fs.IntVar(&c.MaxMessageBytes, "max-message-bytes", c.MaxMessageBytes, "largest gRPC response accepted from a server, in bytes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time given to queries in flight at shutdown")
	fs.IntVar(&c.FlightPort, "flight-port", c.FlightPort, "Arrow Flight SQL port (0: any free port, as is the default when -port is 0; negative: off)")
	fs.IntVar(&c.MaxConcurrentQueries, "max-concurrent-queries", c.MaxConcurrentQueries,
		"queries worked on at once, the rest queued first come, first served; 0 means 64 per CPU")
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("-port %d: want 0..65535", c.Port)
	}
	if c.FlightPort > 65535 {
		return fmt.Errorf("-flight-port %d: want 0..65535, or negative for off", c.FlightPort)
	}
	if c.MaxConcurrentQueries < 0 {
		return fmt.Errorf("-max-concurrent-queries %d: want 0 (64 per CPU) or more", c.MaxConcurrentQueries)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("-timeout-ms %d: must be positive", c.Timeout.Milliseconds())
	}
	if len(c.Tags) == 0 {
		return errors.New("-tags: at least one tag is needed (e.g. DefaultTenant_BROKER)")
	}
	for _, t := range c.Tags {
		if !strings.HasSuffix(t, "_BROKER") {
			return fmt.Errorf("-tags %q: a broker tag ends in _BROKER", t)
		}
	}
	if c.MaxMessageBytes <= 0 {
		return fmt.Errorf("-max-message-bytes %d: must be positive", c.MaxMessageBytes)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("-shutdown-timeout %v: must be positive", c.ShutdownTimeout)
	}
	return nil
}
