package broker

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tannin-db/tannin/cmd/internal/metrics"
)

// brokerMetrics are the broker's Prometheus series.
type brokerMetrics struct {
	reg *prometheus.Registry
	// queries counts answered queries by table ("" before a table was
	// resolved); errors by table and Pinot error code.
	queries  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	partials *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	waiting  prometheus.Gauge
	inFlight prometheus.Gauge
}

func newBrokerMetrics(slots int) *brokerMetrics {
	m := &brokerMetrics{
		reg: metrics.NewRegistry(),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_broker_queries_total", Help: "Queries answered, by table.",
		}, []string{"table"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_broker_query_errors_total", Help: "Queries answered with an exception, by table and Pinot error code.",
		}, []string{"table", "code"}),
		partials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_broker_partial_results_total", Help: "Queries answered with partialResult true, by table.",
		}, []string{"table"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tannin_broker_query_latency_seconds", Help: "Time from request to answer, by table.",
			Buckets: metrics.LatencyBuckets,
		}, []string{"table"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tannin_broker_queries_waiting", Help: "Queries waiting for one of the broker's query slots.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tannin_broker_queries_in_flight", Help: "Queries being worked on.",
		}),
	}
	slotsGauge := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tannin_broker_query_slots", Help: "Queries the broker works on at once (-max-concurrent-queries).",
	})
	slotsGauge.Set(float64(slots))
	m.reg.MustRegister(m.queries, m.errors, m.partials, m.latency, m.waiting, m.inFlight, slotsGauge)
	return m
}

// observe records one answered query.
func (m *brokerMetrics) observe(resp *response, seconds float64) {
	table := ""
	if len(resp.TablesQueried) > 0 {
		table = resp.TablesQueried[0]
	}
	m.queries.WithLabelValues(table).Inc()
	m.latency.WithLabelValues(table).Observe(seconds)
	if len(resp.Exceptions) > 0 {
		m.errors.WithLabelValues(table, strconv.Itoa(resp.Exceptions[0].Code)).Inc()
	}
	if resp.partial() {
		m.partials.WithLabelValues(table).Inc()
	}
}
