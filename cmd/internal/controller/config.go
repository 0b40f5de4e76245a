package controller

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/realtime/completion"
)

// Config is the controller's own configuration; node.Config locates the
// cluster.
type Config struct {
	// Port is the REST API's port (Pinot's controller default, 9000); 0
	// binds any free port.
	Port int
	// DataDir holds the temporary files of segment uploads ("" is the
	// system's temporary directory).
	DataDir string
	// MaxUploadBytes bounds one segment upload request.
	MaxUploadBytes int64
	// RetentionInterval is how often the leader deletes segments older
	// than their table's retention.
	RetentionInterval time.Duration
	// ValidationInterval is how often the leader's realtime validation
	// task starts partitions (children after a split or merge, new
	// shards) and repairs consuming segments that lost every replica.
	ValidationInterval time.Duration
	// ServerInfoTimeout bounds one server's answer to the fan-out of GET
	// /tables/{t}/consumingSegmentsInfo.
	ServerInfoTimeout time.Duration
	// MoveTimeout bounds a rebalance or drain job.
	MoveTimeout time.Duration
	// ShutdownTimeout bounds the draining of HTTP requests in flight at
	// shutdown.
	ShutdownTimeout time.Duration

	// Completion holds the segment completion protocol's timings
	// (completion.DefaultConfig: Pinot's). Not a flag.
	Completion completion.Config
	// Now is the clock (time.Now when nil); tests move it. Not a flag.
	Now func() time.Time
	// Version is reported by GET /version ("" reads the build info). Not a
	// flag.
	Version string
	// AuthGuard tunes the brute-force guard when authentication is on
	// (zero: auth.GuardConfig's defaults). Not a flag.
	AuthGuard auth.GuardConfig
}

// DefaultConfig returns Pinot's defaults.
func DefaultConfig() Config {
	return Config{
		Port:              9000,
		MaxUploadBytes:    4 << 30,
		RetentionInterval: 10 * time.Minute,
		// Pinot runs its RealtimeSegmentValidationManager hourly; a lost
		// partition is worth finding sooner.
		ValidationInterval: time.Minute,
		ServerInfoTimeout:  5 * time.Second,
		Completion:         completion.DefaultConfig(),
		MoveTimeout:        time.Hour,
		ShutdownTimeout:    5 * time.Second,
	}
}

// RegisterFlags adds the controller's flags to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Port, "port", c.Port, "REST API port (0: any free port)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for temporary upload files (default: the system temporary directory)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", c.MaxUploadBytes, "largest segment upload request accepted, in bytes")
	fs.DurationVar(&c.RetentionInterval, "retention-interval", c.RetentionInterval, "how often the leader deletes segments past their table's retention")
	fs.DurationVar(&c.ValidationInterval, "realtime-validation-interval", c.ValidationInterval, "how often the leader starts new or child stream partitions and repairs lost consuming segments")
	fs.DurationVar(&c.ServerInfoTimeout, "server-info-timeout", c.ServerInfoTimeout, "time limit of one server's answer to /tables/{t}/consumingSegmentsInfo")
	fs.DurationVar(&c.MoveTimeout, "move-timeout", c.MoveTimeout, "time limit of one rebalance or drain job")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time given to requests in flight at shutdown")
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("-port %d: must be within 0..65535", c.Port)
	}
	if c.MaxUploadBytes <= 0 {
		return fmt.Errorf("-max-upload-bytes %d: must be positive", c.MaxUploadBytes)
	}
	if c.RetentionInterval <= 0 {
		return fmt.Errorf("-retention-interval %v: must be positive", c.RetentionInterval)
	}
	if c.ValidationInterval <= 0 {
		return fmt.Errorf("-realtime-validation-interval %v: must be positive", c.ValidationInterval)
	}
	if c.ServerInfoTimeout <= 0 {
		return fmt.Errorf("-server-info-timeout %v: must be positive", c.ServerInfoTimeout)
	}
	if err := c.Completion.Validate(); err != nil {
		return err
	}
	if c.MoveTimeout <= 0 {
		return fmt.Errorf("-move-timeout %v: must be positive", c.MoveTimeout)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("-shutdown-timeout %v: must not be negative", c.ShutdownTimeout)
	}
	if c.DataDir != "" {
		st, err := os.Stat(c.DataDir)
		if err != nil {
			return fmt.Errorf("-data-dir %q: %w", c.DataDir, err)
		}
		if !st.IsDir() {
			return errors.New("-data-dir " + c.DataDir + ": not a directory")
		}
	}
	return nil
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
