package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/deepstore"
	"github.com/tannin-db/tannin/schema"
)

const web = "webTransactions_OFFLINE"

// readDeep reads a deep-store object.
func readDeep(t *testing.T, e *env, key string) ([]byte, error) {
	t.Helper()
	rc, err := e.deps.DeepStore.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestUploadAssignDelete(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	servers := []*fakeInstance{e.server(7001), e.server(7002), e.server(7003)}
	addWebTable(t, c.url, setSegmentsConfig("replication", "2"))
	sc := webSchema(t)

	// Six segments: three as raw .tseg files with the table named in the
	// query, three as tar.gz (Pinot's push format) named by the segment.
	files := map[string][]byte{}
	for i := range 6 {
		name := fmt.Sprintf("webTransactions_%d", i)
		data := buildSegment(t, sc, "webTransactions", name, "creationTimestamp", 50+i, 1_700_000_000_000+int64(i)*86_400_000)
		files[name] = data
		var status int
		var body []byte
		if i%2 == 0 {
			status, body = upload(t, c.url+"/v2/segments?tableName=webTransactions&tableType=OFFLINE", name+segmentExt, data)
		} else {
			status, body = upload(t, c.url+"/segments", name+".tar.gz", tarGz(t, map[string][]byte{name + segmentExt: data}))
		}
		if status != 200 {
			t.Fatalf("upload %s: status %d: %s", name, status, body)
		}
		if want := `{"status":"Successfully uploaded segment: ` + name + ` of table: ` + web + `"}`; string(body) != want {
			t.Errorf("upload answered %s, want %s", body, want)
		}
	}

	snap := e.deps.Cache.Snapshot()
	if n := len(snap.Segments[web]); n != 6 {
		t.Fatalf("%d segment records, want 6", n)
	}
	load := map[string]int{}
	for name, data := range files {
		rec := snap.Segments[web][name]
		if rec == nil {
			t.Fatalf("no record of %s", name)
		}
		if rec.Key != web+"/"+name+segmentExt || rec.DownloadURI != e.deps.DeepStore.URI(rec.Key) || rec.Status != "DONE" {
			t.Errorf("record of %s: key %q, uri %q, status %q", name, rec.Key, rec.DownloadURI, rec.Status)
		}
		if rec.Meta.SizeBytes != int64(len(data)) || rec.Meta.NumDocs == 0 || rec.Meta.TimeColumn != "creationTimestamp" {
			t.Errorf("record of %s: meta %+v", name, rec.Meta)
		}
		stored, err := readDeep(t, e, rec.Key)
		if err != nil || !bytes.Equal(stored, data) {
			t.Errorf("deep store holds %d bytes for %s (%v), want the %d uploaded", len(stored), name, err, len(data))
		}
		a := snap.Assign[web][name]
		if a == nil || len(a.Instances) != 2 {
			t.Fatalf("assignment of %s: %+v, want 2 replicas", name, a)
		}
		for s, st := range a.Instances {
			if st != cluster.StateOnline {
				t.Errorf("assignment of %s: %s → %s", name, s, st)
			}
			load[s]++
		}
	}
	for _, s := range servers {
		if load[s.name] != 4 {
			t.Errorf("server %s holds %d segments, want 4 (12 replicas over 3 servers): %v", s.name, load[s.name], load)
		}
	}

	// The segment views.
	var list []map[string][]string
	must(t, 200, "GET", c.url+"/segments/webTransactions", nil, &list)
	if len(list) != 1 || len(list[0]["OFFLINE"]) != 6 || list[0]["OFFLINE"][0] != "webTransactions_0" {
		t.Errorf("GET /segments = %v", list)
	}
	var ideal tableView
	must(t, 200, "GET", c.url+"/tables/webTransactions/idealstate", nil, &ideal)
	if len(ideal.Offline) != 6 || ideal.Realtime != nil {
		t.Errorf("idealstate = %+v", ideal)
	}
	e.waitFor(10*time.Second, "every replica ONLINE", func(s *cluster.Snapshot) bool {
		n := 0
		for _, servers := range s.View[web] {
			n += len(servers)
		}
		return n == 12
	})
	var ev tableView
	must(t, 200, "GET", c.url+"/tables/webTransactions/externalview", nil, &ev)
	if len(ev.Offline) != 6 || len(ev.Offline["webTransactions_0"]) != 2 {
		t.Errorf("externalview = %+v", ev)
	}
	var servMap []struct {
		TableName                string
		ServerToSegmentsCountMap map[string]int
	}
	must(t, 200, "GET", c.url+"/segments/webTransactions/servers", nil, &servMap)
	if len(servMap) != 1 || servMap[0].TableName != web || servMap[0].ServerToSegmentsCountMap[servers[0].name] != 4 {
		t.Errorf("GET /segments/t/servers = %+v", servMap)
	}
	var md map[string]any
	must(t, 200, "GET", c.url+"/segments/webTransactions/webTransactions_1/metadata?columns=price", nil, &md)
	if md["segment.total.docs"] != "51" || md["segment.start.time"] != "1700086400000" || md["segment.download.url"] == "" || md["columns"] == nil {
		t.Errorf("segment metadata = %v", md)
	}
	var size tableSizeDetails
	must(t, 200, "GET", c.url+"/tables/webTransactions/size", nil, &size)
	var total int64
	for _, d := range files {
		total += int64(len(d))
	}
	if size.OfflineSegments == nil || size.EstimatedSizeInBytes != 2*total || size.ReportedSizeInBytes != 2*total {
		t.Errorf("size = %+v, want estimated and reported %d", size, 2*total)
	}
	got := must(t, 200, "GET", c.url+"/segments/webTransactions/webTransactions_2", nil, nil)
	if !bytes.Equal(got, files["webTransactions_2"]) {
		t.Errorf("download gave %d bytes, want the %d uploaded", len(got), len(files["webTransactions_2"]))
	}

	// A re-upload replaces file and record; the assignment stays.
	before := snap.Assign[web]["webTransactions_3"]
	data := buildSegment(t, sc, "webTransactions", "webTransactions_3", "creationTimestamp", 99, 1_700_000_000_000)
	if status, body := upload(t, c.url+"/v2/segments", "x.tseg", data); status != 200 {
		t.Fatalf("re-upload: status %d: %s", status, body)
	}
	snap = e.deps.Cache.Snapshot()
	rec := snap.Segments[web]["webTransactions_3"]
	if rec.Meta.NumDocs != 99 || rec.Meta.CRC == snap.Segments[web]["webTransactions_2"].Meta.CRC {
		t.Errorf("after re-upload the record says %d docs", rec.Meta.NumDocs)
	}
	if stored, _ := readDeep(t, e, rec.Key); !bytes.Equal(stored, data) {
		t.Errorf("after re-upload the deep store holds the old file")
	}
	if after := snap.Assign[web]["webTransactions_3"]; after.Rev != before.Rev || fmt.Sprint(after.Replicas()) != fmt.Sprint(before.Replicas()) {
		t.Errorf("re-upload changed the assignment from %v@%d to %v@%d", before.Replicas(), before.Rev, after.Replicas(), after.Rev)
	}

	// Delete: record and assignment, then the file.
	var del success
	must(t, 200, "DELETE", c.url+"/segments/webTransactions/webTransactions_4", nil, &del)
	if del.Status != "Segment deleted" {
		t.Errorf("DELETE answered %+v", del)
	}
	snap = e.deps.Cache.Snapshot()
	if snap.Segments[web]["webTransactions_4"] != nil || snap.Assign[web]["webTransactions_4"] != nil {
		t.Errorf("segment record or assignment left after DELETE")
	}
	if _, err := readDeep(t, e, web+"/webTransactions_4"+segmentExt); !errors.Is(err, deepstore.ErrNotFound) {
		t.Errorf("deep-store file after DELETE: %v", err)
	}
	if status, _ := call(t, "DELETE", c.url+"/segments/webTransactions/webTransactions_4", "", nil); status != 404 {
		t.Errorf("second DELETE: status %d, want 404", status)
	}
	must(t, 200, "DELETE", c.url+"/segments/webTransactions?type=OFFLINE&segments=webTransactions_0,webTransactions_1", nil, &del)
	if del.Status != "Deleted segments: [webTransactions_0, webTransactions_1] from table: "+web {
		t.Errorf("DELETE /segments/t?segments= answered %+v", del)
	}

	// Deleting the table removes its records and files.
	must(t, 200, "DELETE", c.url+"/tables/webTransactions", nil, nil)
	snap = e.deps.Cache.Snapshot()
	if len(snap.Segments[web]) != 0 || len(snap.Assign[web]) != 0 {
		t.Errorf("records left after DELETE /tables: %d, %d", len(snap.Segments[web]), len(snap.Assign[web]))
	}
	if keys, err := e.deps.DeepStore.List(context.Background(), web+"/"); err != nil || len(keys) != 0 {
		t.Errorf("deep-store files left after DELETE /tables: %v %v", keys, err)
	}
}

func TestUploadErrors(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	cfg.MaxUploadBytes = 1 << 20
	c := e.start(cfg)
	e.server(7101)
	addWebTable(t, c.url, nil)
	sc := webSchema(t)
	good := buildSegment(t, sc, "webTransactions", "good", "creationTimestamp", 20, 1_700_000_000_000)

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff

	// Segments of other schemas: a column's type changed, a column added,
	// a column missing, a multi-value column where the schema has one value.
	variant := func(edit func(*schema.Schema)) []byte {
		s2, _, err := schema.Parse([]byte(strings.TrimSpace(string(mustJSON(t, sc)))))
		if err != nil {
			t.Fatal(err)
		}
		edit(s2)
		return buildSegment(t, s2, "webTransactions", "variant", "creationTimestamp", 10, 1_700_000_000_000)
	}
	retyped := variant(func(s *schema.Schema) { s.Field("price").DataType = schema.TypeFloat })
	extra := variant(func(s *schema.Schema) {
		s.Fields = append(s.Fields, schema.FieldSpec{Name: "extra", DataType: schema.TypeInt, SingleValue: true, DefaultNull: int64(0)})
	})
	missing := variant(func(s *schema.Schema) {
		for i, f := range s.Fields {
			if f.Name == "color" {
				s.Fields = append(s.Fields[:i], s.Fields[i+1:]...)
				break
			}
		}
	})
	multi := variant(func(s *schema.Schema) { s.Field("campaign").SingleValue = false })
	big := bytes.Repeat([]byte("x"), 2<<20)

	tests := []struct {
		name, query, filename string
		data                  []byte
		status                int
		fragments             []string
	}{
		{"corrupt byte", "", "good.tseg", flipped, 400, []string{"invalid segment file", "good"}},
		{"truncated", "", "good.tseg", good[:len(good)-9], 400, []string{"invalid segment file"}},
		{"not a segment", "", "a.tseg", []byte("hello, world, this is not a segment file at all"), 400, []string{"invalid segment file"}},
		{"column type", "", "v.tseg", retyped, 400, []string{`"price"`, "FLOAT", "DOUBLE"}},
		{"extra column", "", "v.tseg", extra, 400, []string{`"extra"`, "not in the schema"}},
		{"missing column", "", "v.tseg", missing, 400, []string{`"color"`, "missing"}},
		{"multi-value", "", "v.tseg", multi, 400, []string{`"campaign"`, "multi-value"}},
		{"unknown table", "?tableName=nope", "good.tseg", good, 400, []string{"nope_OFFLINE"}},
		{"type mismatch", "?tableName=webTransactions_REALTIME&tableType=OFFLINE", "good.tseg", good, 400, []string{"does not match"}},
		{"bad type", "?tableType=HYBRID", "good.tseg", good, 400, []string{"HYBRID"}},
		{"two in a tar", "", "s.tar.gz", tarGz(t, map[string][]byte{"a.tseg": good, "b.tseg": good}), 400, []string{"more than one"}},
		{"none in a tar", "", "s.tar.gz", tarGz(t, map[string][]byte{"metadata.properties": []byte("x")}), 400, []string{"no segment file"}},
		{"too large", "", "big.tseg", big, 413, []string{"too large"}},
		{"too large in a tar", "", "big.tar.gz", tarGz(t, map[string][]byte{"big.tseg": big}), 413, []string{"too large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := upload(t, c.url+"/v2/segments"+tt.query, tt.filename, tt.data)
			t.Logf("%d %s", status, body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			wantError(t, tt.status, body, tt.fragments...)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		status, body := call(t, "POST", c.url+"/segments", "application/octet-stream", bytes.NewReader(good))
		if status != 400 {
			t.Fatalf("status %d: %s", status, body)
		}
		wantError(t, 400, body, "multipart")
	})
	if n := len(e.deps.Cache.Snapshot().Segments[web]); n != 0 {
		t.Errorf("%d segments recorded by failed uploads", n)
	}

	// No server carries the table's tenant tag: 503, nothing stored.
	must(t, 200, "PUT", c.url+"/tables/webTransactions", mustJSONEdit(t, c.url, func(m map[string]any) {
		m["tenants"] = map[string]any{"broker": "DefaultTenant", "server": "Elsewhere"}
	}), nil)
	status, body := upload(t, c.url+"/v2/segments", "good.tseg", good)
	if status != 503 {
		t.Fatalf("upload without servers: status %d: %s", status, body)
	}
	wantError(t, 503, body, "Elsewhere_OFFLINE")
	if keys, _ := e.deps.DeepStore.List(context.Background(), ""); len(keys) != 0 {
		t.Errorf("deep store holds %v after failed uploads", keys)
	}
}

func mustJSON(t *testing.T, sc *schema.Schema) []byte {
	t.Helper()
	b, err := sc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustJSONEdit reads the web table's config, edits it and returns it.
func mustJSONEdit(t *testing.T, url string, edit func(map[string]any)) []byte {
	t.Helper()
	var got map[string]map[string]any
	must(t, 200, "GET", url+"/tables/webTransactions", nil, &got)
	m := got["OFFLINE"]
	edit(m)
	return jsonMarshal(t, m)
}
