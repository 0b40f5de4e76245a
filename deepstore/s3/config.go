package s3

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// Multipart limits of the S3 API: every part but the last is at least
// 5 MiB, and an upload has at most 10,000 parts.
const (
	MinPartSize = 5 << 20
	maxParts    = 10_000
)

// Config locates a bucket and a key prefix in it and says how to reach
// it. Credentials are either both static keys or neither, in which case
// the SDK's default chain (environment, shared config files, web
// identity, instance roles) supplies them.
type Config struct {
	Bucket string
	// Prefix is prepended to every key with a "/"; empty stores keys at
	// the bucket's root. No leading or trailing slash.
	Prefix string
	// Region is the bucket's region; empty takes the default chain's
	// (AWS_REGION, shared config) and, failing that, us-east-1.
	Region string
	// Endpoint is a custom http(s) base URL for S3-compatible stores
	// (MinIO, Ceph, ...); empty means AWS.
	Endpoint string
	// PathStyle addresses buckets as endpoint/bucket/key rather than
	// bucket.endpoint/key; most S3-compatible stores need it.
	PathStyle bool

	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// PartSize is the size of multipart upload parts and the largest
	// object sent in a single PutObject. At most Concurrency+1 buffers of
	// this size are held per Put.
	PartSize int64
	// Concurrency is the number of parts of one Put in flight at once.
	Concurrency int

	// Log receives warnings that do not fail an operation, such as an
	// abort of a failed multipart upload that did not go through. Nil
	// discards them.
	Log *slog.Logger
}

// DefaultConfig has the upload defaults and no bucket.
func DefaultConfig() Config {
	return Config{PartSize: 16 << 20, Concurrency: 4}
}

// Validate checks the configuration; the error names the field.
func (c *Config) Validate() error {
	if err := checkBucket(c.Bucket); err != nil {
		return err
	}
	if c.Prefix != "" {
		if strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") || strings.Contains(c.Prefix, "//") {
			return fmt.Errorf("s3 config: prefix %q must be relative, without a leading, trailing or double slash", c.Prefix)
		}
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil {
			return fmt.Errorf("s3 config: endpoint %q must be an http:// or https:// URL with a host: %w", c.Endpoint, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3 config: endpoint %q must be an http:// or https:// URL with a host", c.Endpoint)
		}
		if u.User != nil {
			return fmt.Errorf("s3 config: endpoint must not carry credentials; use the environment or static keys")
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return errors.New("s3 config: set both the access key id and the secret access key, or neither for the default credential chain")
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		return errors.New("s3 config: a session token needs static keys")
	}
	if c.PartSize < MinPartSize {
		return fmt.Errorf("s3 config: part size %d is below S3's minimum of %d bytes", c.PartSize, MinPartSize)
	}
	if c.Concurrency < 1 {
		return fmt.Errorf("s3 config: concurrency %d must be at least 1", c.Concurrency)
	}
	return nil
}

// checkBucket applies S3's naming rules for new buckets (3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit), so a typo fails here rather than as a signature or
// DNS error at the first request.
func checkBucket(b string) error {
	if b == "" {
		return errors.New("s3 config: no bucket")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("s3 config: bucket %q must be 3 to 63 characters long", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && c != '.' && c != '-' {
			return fmt.Errorf("s3 config: bucket %q: character %q is not a lowercase letter, digit, '.' or '-'", b, c)
		}
		if !alnum && (i == 0 || i == len(b)-1) {
			return fmt.Errorf("s3 config: bucket %q must start and end with a letter or digit", b)
		}
	}
	return nil
}

// ParseURI reads the deep-store URI form
//
//	s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:9000&pathStyle=true
//
// on top of DefaultConfig. Query parameters: region, endpoint,
// pathStyle (a Go bool), partSize (bytes) and concurrency; any other is an
// error. Credentials never go in the URI (it is logged and stored in
// metadata): they come from the default chain.
func ParseURI(uri string) (Config, error) {
	c := DefaultConfig()
	u, err := url.Parse(uri)
	if err != nil {
		return c, fmt.Errorf("s3 uri: %w", err)
	}
	if u.Scheme != "s3" {
		return c, fmt.Errorf("s3 uri %q: scheme %q, want s3", redact(u), u.Scheme)
	}
	if u.User != nil {
		return c, fmt.Errorf("s3 uri %q: credentials must not be in the URI; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use another source of the default credential chain", redact(u))
	}
	if u.Opaque != "" {
		return c, fmt.Errorf("s3 uri %q: want s3://bucket/prefix", uri)
	}
	c.Bucket = u.Host
	c.Prefix = strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")
	for name, vals := range u.Query() {
		if len(vals) != 1 {
			return c, fmt.Errorf("s3 uri %q: parameter %q given %d times", uri, name, len(vals))
		}
		v := vals[0]
		switch name {
		case "region":
			c.Region = v
		case "endpoint":
			c.Endpoint = v
		case "pathStyle":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("s3 uri %q: pathStyle %q is not a boolean", uri, v)
			}
			c.PathStyle = b
		case "partSize":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return c, fmt.Errorf("s3 uri %q: partSize %q is not a byte count", uri, v)
			}
			c.PartSize = n
		case "concurrency":
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("s3 uri %q: concurrency %q is not an integer", uri, v)
			}
			c.Concurrency = n
		default:
			return c, fmt.Errorf("s3 uri %q: unknown parameter %q (want region, endpoint, pathStyle, partSize, concurrency)", uri, name)
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("s3 uri %q: %w", uri, err)
	}
	return c, nil
}

// redact drops any user information from u for error messages.
func redact(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}
