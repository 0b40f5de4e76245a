package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tannin-db/tannin/cmd/internal/metrics"
)

// newMetrics returns the controller's registry: the cluster as the
// metadata describes it, read from the current snapshot at each scrape,
// the leader's realtime partition statuses, and the deep store's
// operations (registered by New when it wraps the store).
func (c *Controller) newMetrics() *prometheus.Registry {
	reg := metrics.NewRegistry()
	reg.MustRegister(&clusterCollector{c: c})
	return reg
}

var (
	descLeader = prometheus.NewDesc("tannin_controller_leader",
		"1 when this controller leads the cluster.", nil, nil)
	descTables = prometheus.NewDesc("tannin_controller_tables",
		"Tables in the cluster.", nil, nil)
	descSegments = prometheus.NewDesc("tannin_controller_segments",
		"Segments of a table by status (IN_PROGRESS: consuming; DONE or uploaded: sealed).", []string{"table", "status"}, nil)
	descReplicas = prometheus.NewDesc("tannin_controller_segment_replicas",
		"Segment replicas by the state their servers report (ONLINE, CONSUMING, ERROR, OFFLINE).", []string{"table", "state"}, nil)
	descInstances = prometheus.NewDesc("tannin_controller_live_instances",
		"Live instances by type.", []string{"type"}, nil)
	descPartitions = prometheus.NewDesc("tannin_controller_realtime_partitions",
		"Stream partitions of a realtime table by the leader's validation status (CONSUMING, WAITING_FOR_PARENTS, ENDED, REPAIRED, STUCK).",
		[]string{"table", "status"}, nil)
)

// clusterCollector reads the cluster metadata at scrape time: every
// controller reports the same cluster, the leader also its partitions.
type clusterCollector struct{ c *Controller }

func (cc *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLeader, descTables, descSegments, descReplicas, descInstances, descPartitions} {
		ch <- d
	}
}

func (cc *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	c := cc.c
	leader := 0.0
	if c.IsLeader() {
		leader = 1
	}
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, leader)
	s := c.deps.Cache.Snapshot()
	ch <- prometheus.MustNewConstMetric(descTables, prometheus.GaugeValue, float64(len(s.Tables)))
	for table, segs := range s.Segments {
		byStatus := map[string]int{}
		for _, seg := range segs {
			st := seg.Status
			if st == "" {
				st = "UPLOADED"
			}
			byStatus[st]++
		}
		for st, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(descSegments, prometheus.GaugeValue, float64(n), table, st)
		}
	}
	for table, view := range s.View {
		byState := map[string]int{}
		for _, servers := range view {
			for _, st := range servers {
				byState[st.State]++
			}
		}
		for st, n := range byState {
			ch <- prometheus.MustNewConstMetric(descReplicas, prometheus.GaugeValue, float64(n), table, st)
		}
	}
	byType := map[string]int{}
	for _, in := range s.Live {
		byType[in.Type]++
	}
	for t, n := range byType {
		ch <- prometheus.MustNewConstMetric(descInstances, prometheus.GaugeValue, float64(n), t)
	}
	c.rt.val.mu.Lock()
	defer c.rt.val.mu.Unlock()
	for table, parts := range c.rt.val.status {
		byStatus := map[string]int{}
		for _, p := range parts {
			byStatus[p.Status]++
		}
		for st, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(descPartitions, prometheus.GaugeValue, float64(n), table, st)
		}
	}
}
