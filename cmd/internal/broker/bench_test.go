package broker

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkBrokerHTTP measures a selective group-by through the whole
// broker: HTTP, parse, route, prune, gRPC to the (in-process) servers,
// reduce, JSON. The servers' engine time is included; the segments are
// small, so this is mostly the broker's and the RPC's overhead.
func BenchmarkBrokerHTTP(b *testing.B) {
	tc := newTestCluster(b, DefaultConfig())
	body, _ := json.Marshal(map[string]string{
		"sql":          "SELECT campaign, COUNT(*), SUM(revenue) FROM events WHERE userID = 3 AND ts >= 1700000000000 GROUP BY campaign ORDER BY campaign",
		"queryOptions": "groupByMode=sql;responseFormat=sql",
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := tc.url + "/query/sql"
	b.ReportAllocs()
	start := time.Now()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(out, []byte(`"exceptions":[]`)) {
				b.Errorf("query failed: %s", out)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
}

// BenchmarkResponseJSON encodes a 100-row group-by answer.
func BenchmarkResponseJSON(b *testing.B) {
	res := allTypesResult()
	row := res.Rows[0]
	for len(res.Rows) < 100 {
		res.Rows = append(res.Rows, row)
	}
	r := &response{Result: res, NullHandling: true, RequestID: "1", BrokerID: "Broker_h_1"}
	buf := r.appendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = r.appendJSON(buf[:0])
	}
}
