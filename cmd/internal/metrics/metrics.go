// Package metrics gives every role its Prometheus registry and /metrics
// endpoint (github.com/prometheus/client_golang). Each role registers its
// own collectors on its own registry, so the all-in-one process still
// answers each role's /metrics with that role's series.
//
// Series are named tannin_<role>_<what>, with a table label where the
// number of tables bounds the series (never a segment or a user).
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves r in the Prometheus text (or OpenMetrics) format.
func Handler(r *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(r, promhttp.HandlerOpts{Registry: r, EnableOpenMetrics: true})
}

// LatencyBuckets are the histogram buckets of query latencies in seconds:
// 0.5 ms to 30 s.
var LatencyBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30}
