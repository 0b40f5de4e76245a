package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tannin-db/tannin/deepstore"
)

// DeepStore wraps a deep store so that its operations are counted and
// timed on reg: tannin_deepstore_operations_total{role,op,result} and
// tannin_deepstore_operation_seconds{role,op}. A Get is timed to its open;
// the bytes read are counted as they are read.
func DeepStore(s deepstore.Store, reg prometheus.Registerer, role string) deepstore.Store {
	labels := prometheus.Labels{"role": role}
	m := &instrumented{
		s: s,
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_deepstore_operations_total", Help: "Deep store operations by operation and result (ok, not_found, error).",
			ConstLabels: labels,
		}, []string{"op", "result"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tannin_deepstore_operation_seconds", Help: "Deep store operation latency by operation.",
			ConstLabels: labels, Buckets: LatencyBuckets,
		}, []string{"op"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tannin_deepstore_bytes_total", Help: "Bytes written to (put) and read from (get) the deep store.",
			ConstLabels: labels,
		}, []string{"direction"}),
	}
	reg.MustRegister(m.ops, m.seconds, m.bytes)
	return m
}

type instrumented struct {
	s       deepstore.Store
	ops     *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	bytes   *prometheus.CounterVec
}

func (m *instrumented) done(op string, start time.Time, err error) {
	result := "ok"
	switch {
	case errors.Is(err, deepstore.ErrNotFound):
		result = "not_found"
	case err != nil:
		result = "error"
	}
	m.ops.WithLabelValues(op, result).Inc()
	m.seconds.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (m *instrumented) Put(ctx context.Context, key string, r io.Reader) error {
	start := time.Now()
	err := m.s.Put(ctx, key, &counting{r: r, c: m.bytes.WithLabelValues("put")})
	m.done("put", start, err)
	return err
}

func (m *instrumented) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := m.s.Get(ctx, key)
	m.done("get", start, err)
	if err != nil {
		return nil, err
	}
	return readCloser{&counting{r: rc, c: m.bytes.WithLabelValues("get")}, rc}, nil
}

func (m *instrumented) Size(ctx context.Context, key string) (int64, error) {
	start := time.Now()
	n, err := m.s.Size(ctx, key)
	m.done("size", start, err)
	return n, err
}

func (m *instrumented) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := m.s.Delete(ctx, key)
	m.done("delete", start, err)
	return err
}

func (m *instrumented) List(ctx context.Context, prefix string) ([]string, error) {
	start := time.Now()
	keys, err := m.s.List(ctx, prefix)
	m.done("list", start, err)
	return keys, err
}

func (m *instrumented) URI(key string) string { return m.s.URI(key) }

// counting counts the bytes that pass through a reader.
type counting struct {
	r io.Reader
	c prometheus.Counter
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.c.Add(float64(n))
	return n, err
}

type readCloser struct {
	io.Reader
	io.Closer
}
