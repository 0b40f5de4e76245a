package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tannin-db/tannin/cmd/internal/metrics"
	"github.com/tannin-db/tannin/realtime/consuminginfo"
)

// serverMetrics are the server's Prometheus series: query fragments as
// they run, and the rest read at scrape time (segment states, partition
// consumers).
type serverMetrics struct {
	reg       *prometheus.Registry
	fragments *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
}

func newServerMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{
		reg: metrics.NewRegistry(),
		fragments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_server_query_fragments_total", Help: "Query fragments executed, by table.",
		}, []string{"table"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_server_query_fragment_errors_total", Help: "Query fragments that failed, by table.",
		}, []string{"table"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tannin_server_query_fragment_seconds", Help: "Query fragment latency, queueing included, by table.",
			Buckets: metrics.LatencyBuckets,
		}, []string{"table"}),
	}
	m.reg.MustRegister(m.fragments, m.errors, m.latency, &serverCollector{s: s})
	return m
}

var (
	descSegments = prometheus.NewDesc("tannin_server_segments",
		"Segments this server holds, by table and state (ONLINE, CONSUMING, ERROR).", []string{"table", "state"}, nil)
	descRows = prometheus.NewDesc("tannin_server_rows_consumed_total",
		"Rows a partition consumer appended since it started.", []string{"table", "partition"}, nil)
	descBad = prometheus.NewDesc("tannin_server_bad_records_total",
		"Stream records skipped, by reason.", []string{"table", "partition", "reason"}, nil)
	descRate = prometheus.NewDesc("tannin_server_partition_rows_per_second",
		"Recent ingestion rate of a partition's consuming segment.", []string{"table", "partition"}, nil)
	descDelay = prometheus.NewDesc("tannin_server_partition_ingestion_delay_ms",
		"Now minus the arrival time of the last record consumed (absent when unknown).", []string{"table", "partition"}, nil)
	descLag = prometheus.NewDesc("tannin_server_partition_lag_ms",
		"How far behind the partition's newest record the consumer is, as the stream reports it (absent when unknown).", []string{"table", "partition"}, nil)
	descState = prometheus.NewDesc("tannin_server_partition_consumer_state",
		"1 for a partition consumer's current state (CONSUMING, HOLDING, COMMITTING, STOPPED, ...): a stopped partition reads as stopped, not as missing.",
		[]string{"table", "partition", "state"}, nil)
)

type serverCollector struct{ s *Server }

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSegments, descRows, descBad, descRate, descDelay, descLag, descState} {
		ch <- d
	}
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	snap := s.deps.Cache.Snapshot()
	for table, view := range snap.View {
		byState := map[string]int{}
		for _, servers := range view {
			if st, ok := servers[s.name]; ok {
				byState[st.State]++
			}
		}
		for st, n := range byState {
			ch <- prometheus.MustNewConstMetric(descSegments, prometheus.GaugeValue, float64(n), table, st)
		}
	}
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	for table, t := range s.rt.tables {
		for part, rp := range t.parts {
			cnt := rp.p.Counters()
			ch <- prometheus.MustNewConstMetric(descRows, prometheus.CounterValue, float64(cnt.Rows), table, part)
			for reason, n := range cnt.Bad {
				ch <- prometheus.MustNewConstMetric(descBad, prometheus.CounterValue, float64(n), table, part, reason)
			}
			stats := rp.p.Stats()
			if len(stats) == 0 {
				continue
			}
			cur := stats[len(stats)-1] // the newest segment: the one consuming
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, 1, table, part, cur.State)
			ch <- prometheus.MustNewConstMetric(descRate, prometheus.GaugeValue, cur.RowsPerSec, table, part)
			if cur.IngestionDelayMs != consuminginfo.Unknown {
				ch <- prometheus.MustNewConstMetric(descDelay, prometheus.GaugeValue, float64(cur.IngestionDelayMs), table, part)
			}
			if cur.LagMs != consuminginfo.Unknown {
				ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(cur.LagMs), table, part)
			}
		}
	}
}
