package loadbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/allinone"
	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/restclient"
	"github.com/tannin-db/tannin/deploy"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/stream/localstream"
	"github.com/tannin-db/tannin/stream/streams"
)

// FreshnessReport is how long events take from the stream to answers.
type FreshnessReport struct {
	Events        int
	Background    int // events per second produced meanwhile
	Source        string
	P50, P99, Max time.Duration
}

// FreshnessConfig sizes a freshness run.
type FreshnessConfig struct {
	// Dir holds the cluster's data.
	Dir string
	// Events is the number of probe events; Rate the background load in
	// events per second.
	Events, Rate int
	// KinesisEndpoint, when set, runs the table on a Kinesis stream there
	// (kinesalite, say) instead of the in-process local stream.
	KinesisEndpoint string
	Log             *slog.Logger
}

// Freshness measures, for each probe event, the time from its write to
// the stream returning to the first broker answer that counts it: a
// REALTIME table in the all-in-one cluster, a background load, and for each
// probe a unique user id polled with COUNT(*) through POST /query/sql.
func Freshness(ctx context.Context, cfg FreshnessConfig) (*FreshnessReport, error) {
	rb, err := startRealtime(ctx, cfg.Dir, cfg.KinesisEndpoint, cfg.Log)
	if err != nil {
		return nil, err
	}
	defer rb.close()
	put := func(ctx context.Context, key string, data []byte) error {
		return rb.put(ctx, []allinone.Event{{Key: key, Data: data}})
	}
	c, source := rb.c, rb.source

	bctx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	live := datagen.WebTransactions{}.NewLive(7)
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var tx datagen.Transaction
		for {
			select {
			case <-bctx.Done():
				return
			case now := <-t.C:
				for range cfg.Rate / 100 {
					live.Next(&tx, now.UnixMilli())
					put(bctx, tx.UserID, datagen.AppendTransactionJSON(nil, &tx, datagen.RawOptions{}))
				}
			}
		}
	}()

	hc := brokerClient(c)
	var lat []time.Duration
	var tx datagen.Transaction
	for i := range cfg.Events {
		live.Next(&tx, time.Now().UnixMilli())
		tx.UserID = "probe-" + strconv.Itoa(i)
		q, _ := json.Marshal(map[string]string{"sql": "SELECT COUNT(*) FROM webEvents WHERE userID = '" + tx.UserID + "'"})
		if err := put(ctx, tx.UserID, datagen.AppendTransactionJSON(nil, &tx, datagen.RawOptions{})); err != nil {
			return nil, err
		}
		start := time.Now()
		for {
			n, err := countOf(hc, c.BrokerURL, q)
			if err != nil {
				return nil, err
			}
			if n == 1 {
				break
			}
			if time.Since(start) > 30*time.Second {
				return nil, fmt.Errorf("event %s not visible after 30 s", tx.UserID)
			}
		}
		lat = append(lat, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
	slices.Sort(lat)
	return &FreshnessReport{Events: cfg.Events, Background: cfg.Rate, Source: source,
		P50: lat[len(lat)/2], P99: lat[len(lat)*99/100], Max: lat[len(lat)-1]}, nil
}

// brokerClient is an HTTP client sending the cluster's credentials.
func brokerClient(c *allinone.Cluster) *http.Client {
	hc := &http.Client{Timeout: 10 * time.Second}
	if c.Authorization != "" {
		hc.Transport = auth.Transport(nil, c.Authorization)
	}
	return hc
}

// countOf runs a COUNT(*) query and returns its single value.
func countOf(hc *http.Client, brokerURL string, body []byte) (int64, error) {
	resp, err := hc.Post(brokerURL+"/query/sql", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var r struct {
		ResultTable *struct {
			Rows [][]json.Number `json:"rows"`
		} `json:"resultTable"`
		Exceptions []struct {
			Message string `json:"message"`
		} `json:"exceptions"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return 0, fmt.Errorf("broker answer %.200s: %w", data, err)
	}
	if len(r.Exceptions) > 0 {
		return 0, fmt.Errorf("query error: %s", r.Exceptions[0].Message)
	}
	if r.ResultTable == nil || len(r.ResultTable.Rows) != 1 || len(r.ResultTable.Rows[0]) != 1 {
		return 0, fmt.Errorf("broker answer %.200s: not one count", data)
	}
	return r.ResultTable.Rows[0][0].Int64()
}

// PrintFreshness writes the report.
func PrintFreshness(w io.Writer, r *FreshnessReport) {
	fmt.Fprintf(w, "freshness: %d probe events through %s with %d events/s of background load: write → counted by the broker p50 %s, p99 %s, max %s\n",
		r.Events, r.Source, r.Background, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
}

// realtimeBench is an all-in-one cluster with the webEvents REALTIME table
// on a local stream or a Kinesis stream, and a way to write to it.
type realtimeBench struct {
	c      *allinone.Cluster
	put    func(ctx context.Context, evs []allinone.Event) error
	source string
	close  func()
}

func startRealtime(ctx context.Context, dir, kinesisEndpoint string, log *slog.Logger) (rb *realtimeBench, err error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ccfg := allinone.DefaultConfig()
	ccfg.Dir = filepath.Join(dir, "realtime")
	os.RemoveAll(ccfg.Dir)
	ccfg.EtcdPort, ccfg.EtcdPeerPort, ccfg.ControllerPort, ccfg.BrokerPort, ccfg.ServerAdminPort, ccfg.ServerQueryPort = 0, 0, 0, 0, 0, 0
	rb = &realtimeBench{source: "a local stream", close: func() {}}
	tableJSON := deploy.StreamingTableConfig
	if kinesisEndpoint != "" {
		kp, err := allinone.NewKinesisProducer(ctx, kinesisEndpoint, "webEvents", 4)
		if err != nil {
			return nil, err
		}
		if tableJSON, err = allinone.KinesisTableConfig(kinesisEndpoint); err != nil {
			return nil, err
		}
		rb.put, rb.source = kp.Put, "Kinesis at "+kinesisEndpoint
	} else {
		ccfg.LocalStreams = &streams.Local{}
		s, err := localstream.Open(filepath.Join(ccfg.Dir, "stream"), localstream.Options{Partitions: 4})
		if err != nil {
			return nil, err
		}
		ccfg.LocalStreams.Register("webEvents", s)
		rb.put = func(_ context.Context, evs []allinone.Event) error {
			for _, e := range evs {
				if _, _, err := s.Produce(e.Key, e.Data); err != nil {
					return err
				}
			}
			return nil
		}
		rb.close = func() { s.Close() }
	}
	c, err := allinone.Start(ctx, ccfg, log)
	if err != nil {
		rb.close()
		return nil, err
	}
	rb.c = c
	closeStream := rb.close
	rb.close = func() { c.Stop(); closeStream() }
	defer func() {
		if err != nil {
			rb.close()
		}
	}()
	// The table's consuming segments need a live server.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := c.Cache().WaitFor(wctx, func(s *cluster.Snapshot) bool {
		return len(s.LiveInstances(cluster.TypeServer, "")) > 0
	}); err != nil {
		return nil, fmt.Errorf("no live server: %w", err)
	}
	rc := restclient.New(c.ControllerURL, c.BrokerURL)
	rc.Authorization = c.Authorization
	if err := rc.AddSchema(ctx, deploy.StreamingSchema); err != nil {
		return nil, err
	}
	if err := rc.AddTable(ctx, tableJSON); err != nil {
		return nil, err
	}
	return rb, nil
}

// ThroughputReport is a sustained-ingestion run's outcome.
type ThroughputReport struct {
	Events int
	Source string
	// Produce is how long writing every event took; Visible how long until
	// the broker counted them all, from the first write.
	Produce, Visible time.Duration
}

// Throughput writes events events as fast as the stream takes them (4
// writers, 500 per write) and measures how long until COUNT(*) through the
// broker counts them all: sustained ingestion end to end.
func Throughput(ctx context.Context, dir, kinesisEndpoint string, events int, log *slog.Logger) (*ThroughputReport, error) {
	rb, err := startRealtime(ctx, dir, kinesisEndpoint, log)
	if err != nil {
		return nil, err
	}
	defer rb.close()
	const writers, batch = 4, 500
	start := time.Now()
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			live := datagen.WebTransactions{}.NewLive(uint64(w))
			var tx datagen.Transaction
			for sent := w * batch; sent < events; sent += writers * batch {
				evs := make([]allinone.Event, min(batch, events-sent))
				for i := range evs {
					live.Next(&tx, time.Now().UnixMilli())
					evs[i] = allinone.Event{Key: tx.UserID, Data: datagen.AppendTransactionJSON(nil, &tx, datagen.RawOptions{})}
				}
				if err := rb.put(ctx, evs); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	rep := &ThroughputReport{Events: events, Source: rb.source, Produce: time.Since(start)}
	hc := brokerClient(rb.c)
	q, _ := json.Marshal(map[string]string{"sql": "SELECT COUNT(*) FROM webEvents"})
	for {
		n, err := countOf(hc, rb.c.BrokerURL, q)
		if err != nil {
			return nil, err
		}
		if n == int64(events) {
			break
		}
		if n > int64(events) {
			return nil, fmt.Errorf("COUNT(*) = %d, more than the %d events written", n, events)
		}
		if time.Since(start) > 10*time.Minute {
			return nil, fmt.Errorf("only %d of %d events counted after 10 minutes", n, events)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep.Visible = time.Since(start)
	return rep, nil
}
