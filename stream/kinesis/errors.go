package kinesis

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errClass is what Fetch does about an error.
type errClass uint8

const (
	errOther     errClass = iota
	errThrottled          // back off, then try again
	errExpired            // get a new iterator from the last offset
	errNotFound           // stream.ErrUnknownPartition
	errTrimmed            // stream.ErrOffsetExpired
)

// classify sorts an SDK error by its API error code (the JSON __type),
// which covers both the modeled exceptions and ones the model lacks, such
// as TrimmedDataAccessException.
func classify(err error) errClass {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "LimitExceededException",
			"KMSThrottlingException", "ThrottlingException", "Throttling":
			return errThrottled
		case "ExpiredIteratorException":
			return errExpired
		case "ResourceNotFoundException":
			return errNotFound
		case "TrimmedDataAccessException":
			return errTrimmed
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests {
		return errThrottled
	}
	return errOther
}

// newRetryer is the SDK retryer: a few attempts on connection errors, 5xx
// and request timeouts, never on throttling (Fetch backs off itself, across
// calls, without blocking longer than MaxWait), and without the SDK's retry
// quota, which would turn a burst of retries into errors of its own.
func newRetryer() func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.RateLimiter = ratelimit.None
			o.Retryables = []retry.IsErrorRetryable{
				retry.NoRetryCanceledError{},
				retry.RetryableError{},
				retry.RetryableConnectionError{},
				retry.RetryableHTTPStatusCode{Codes: retry.DefaultRetryableHTTPStatusCodes},
				retry.RetryableErrorCode{Codes: retry.DefaultRetryableErrorCodes},
			}
		})
	}
}

// backoff is the wait after the n-th throttle in a row (n >= 1): uniform
// in [d/2, d] with d = min(max, base·2^(n-1)). The jitter spreads replicas
// that were throttled together; the floor of d/2 keeps the growth.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
