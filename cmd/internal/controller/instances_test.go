package controller

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

func TestInstancesAndTenants(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	s1 := e.server(7201)
	b1 := e.fakeInstance(cluster.TypeBroker, 7299, []string{"DefaultTenant_BROKER"}, false)
	e.waitFor(10*time.Second, "controller live", func(s *cluster.Snapshot) bool { return s.IsLive(c.Name()) })

	var list struct{ Instances []string }
	must(t, 200, "GET", c.url+"/instances", nil, &list)
	want := []string{b1.name, c.Name(), s1.name}
	slices.Sort(want)
	if !reflect.DeepEqual(list.Instances, want) {
		t.Errorf("GET /instances = %v, want %v", list.Instances, want)
	}
	must(t, 200, "GET", c.url+"/instances?tag=DefaultTenant_BROKER", nil, &list)
	if !reflect.DeepEqual(list.Instances, []string{b1.name}) {
		t.Errorf("GET /instances?tag= = %v", list.Instances)
	}
	must(t, 200, "GET", c.url+"/liveinstances", nil, &list)
	if !reflect.DeepEqual(list.Instances, want) {
		t.Errorf("GET /liveinstances = %v, want %v", list.Instances, want)
	}

	var in instanceJSON
	must(t, 200, "GET", c.url+"/instances/"+s1.name, nil, &in)
	if in.InstanceName != s1.name || in.HostName != "127.0.0.1" || in.Port != "7201" || in.GrpcPort != 7202 ||
		in.AdminPort != 7201 || !in.Enabled || !in.Live || in.Type != cluster.TypeServer || len(in.Tags) != 2 {
		t.Errorf("GET /instances/%s = %+v", s1.name, in)
	}
	if status, _ := call(t, "GET", c.url+"/instances/Server_nope_1", "", nil); status != 404 {
		t.Errorf("GET of an unknown instance: status %d", status)
	}

	var tenants map[string][]string
	must(t, 200, "GET", c.url+"/tenants", nil, &tenants)
	if !reflect.DeepEqual(tenants, map[string][]string{"SERVER_TENANTS": {"DefaultTenant"}, "BROKER_TENANTS": {"DefaultTenant"}}) {
		t.Errorf("GET /tenants = %v", tenants)
	}
	var tenant map[string]any
	must(t, 200, "GET", c.url+"/tenants/DefaultTenant", nil, &tenant)
	if fmt.Sprint(tenant["ServerInstances"]) != "["+s1.name+"]" || fmt.Sprint(tenant["BrokerInstances"]) != "["+b1.name+"]" || tenant["tenantName"] != "DefaultTenant" {
		t.Errorf("GET /tenants/DefaultTenant = %v", tenant)
	}
	var servers map[string]any
	must(t, 200, "GET", c.url+"/tenants/DefaultTenant?type=server&tableType=offline", nil, &servers)
	if fmt.Sprint(servers["OfflineServerInstances"]) != "["+s1.name+"]" || servers["RealtimeServerInstances"] != nil || servers["BrokerInstances"] != nil {
		t.Errorf("GET /tenants/DefaultTenant?type=server&tableType=offline = %v", servers)
	}
	if status, _ := call(t, "GET", c.url+"/tenants/Nobody", "", nil); status != 404 {
		t.Errorf("GET of an unknown tenant: status %d", status)
	}

	// Tags and states.
	var ok success
	must(t, 200, "PUT", c.url+"/instances/"+s1.name+"/updateTags?tags=Gold_OFFLINE,%20Gold_REALTIME", nil, &ok)
	if ok.Status != "Updated tags: [Gold_OFFLINE, Gold_REALTIME] for instance: "+s1.name {
		t.Errorf("updateTags answered %+v", ok)
	}
	must(t, 200, "GET", c.url+"/instances/"+s1.name, nil, &in)
	if !reflect.DeepEqual(in.Tags, []string{"Gold_OFFLINE", "Gold_REALTIME"}) {
		t.Errorf("tags after updateTags: %v", in.Tags)
	}
	status, body := call(t, "PUT", c.url+"/instances/"+s1.name+"/updateTags", "", nil)
	if status != 400 {
		t.Errorf("updateTags without tags: status %d", status)
	}
	wantError(t, 400, body, "Must provide tags")
	must(t, 200, "PUT", c.url+"/instances/"+s1.name+"/state?state=disable", nil, nil)
	if s := e.deps.Cache.Snapshot(); s.Instances[s1.name].Enabled {
		t.Errorf("instance still enabled after state=disable")
	}
	must(t, 200, "PUT", c.url+"/instances/"+s1.name+"/state?state=enable", nil, nil)
	if s := e.deps.Cache.Snapshot(); !s.Instances[s1.name].Enabled {
		t.Errorf("instance not enabled after state=enable")
	}
	status, body = call(t, "PUT", c.url+"/instances/"+s1.name+"/state?state=sleep", "", nil)
	if status != 400 {
		t.Errorf("state=sleep: status %d", status)
	}
	wantError(t, 400, body, "sleep")
	status, body = call(t, "PUT", c.url+"/instances/"+b1.name+"/state?state=drain", "", nil)
	if status != 400 {
		t.Errorf("draining a broker: status %d", status)
	}
	wantError(t, 400, body, "not a server")
	if status, _ := call(t, "PUT", c.url+"/instances/Server_nope_1/state?state=enable", "", nil); status != 404 {
		t.Errorf("state of an unknown instance: status %d", status)
	}
}

func TestDropInstanceRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	s1, s2 := e.server(7301), e.server(7302)
	addWebTable(t, c.url, nil)
	data := buildSegment(t, webSchema(t), "webTransactions", "seg", "creationTimestamp", 10, 1_700_000_000_000)
	if status, body := upload(t, c.url+"/v2/segments", "seg.tseg", data); status != 200 {
		t.Fatalf("upload: %d %s", status, body)
	}
	holder := s1
	if a := e.deps.Cache.Snapshot().Assign[web]["seg"]; a.Instances[s2.name] != "" {
		holder = s2
	}
	idle := s1
	if holder == s1 {
		idle = s2
	}

	drop := func(name string) (int, []byte) { return call(t, "DELETE", c.url+"/instances/"+name, "", nil) }
	status, body := drop(holder.name)
	if status != 409 {
		t.Fatalf("drop of a live server: status %d: %s", status, body)
	}
	wantError(t, 409, body, "Failed to drop instance", "is still live")

	holder.stop()
	idle.stop()
	e.waitFor(10*time.Second, "servers gone", func(s *cluster.Snapshot) bool {
		return !s.IsLive(holder.name) && !s.IsLive(idle.name)
	})
	status, body = drop(holder.name)
	if status != 409 {
		t.Fatalf("drop of a server holding a segment: status %d: %s", status, body)
	}
	wantError(t, 409, body, "exists in ideal state for "+web)

	status, body = drop(idle.name)
	if status != 409 {
		t.Fatalf("drop of a tagged server: status %d: %s", status, body)
	}
	wantError(t, 409, body, "still carries tags", "DefaultTenant_OFFLINE")

	must(t, 200, "PUT", c.url+"/instances/"+idle.name+"/updateTags?tags=", nil, nil)
	var ok success
	must(t, 200, "DELETE", c.url+"/instances/"+idle.name, nil, &ok)
	if ok.Status != "Successfully dropped instance" {
		t.Errorf("DELETE answered %+v", ok)
	}
	if status, _ := call(t, "GET", c.url+"/instances/"+idle.name, "", nil); status != 404 {
		t.Errorf("GET after DELETE: status %d", status)
	}
	status, body = drop(idle.name)
	if status != 404 {
		t.Errorf("second DELETE: status %d", status)
	}
	wantError(t, 404, body, idle.name)
}

func TestBrokerDiscovery(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	b1 := e.fakeInstance(cluster.TypeBroker, 7401, []string{"DefaultTenant_BROKER"}, false)
	b2 := e.fakeInstance(cluster.TypeBroker, 7402, []string{"DefaultTenant_BROKER"}, false)
	gold := e.fakeInstance(cluster.TypeBroker, 7403, []string{"Gold_BROKER"}, false)
	b2.stop() // registered once, not live any more
	e.waitFor(10*time.Second, b2.name+" gone", func(s *cluster.Snapshot) bool { return !s.IsLive(b2.name) })
	addWebTable(t, c.url, nil)
	must(t, 200, "POST", c.url+"/schemas", readTestdata(t, pinotExamples[0].schema), nil)
	tcfg := readTestdata(t, pinotExamples[0].table)
	var m map[string]any
	if err := json.Unmarshal(tcfg, &m); err != nil {
		t.Fatal(err)
	}
	m["tenants"] = map[string]any{"broker": "Gold", "server": "DefaultTenant"}
	must(t, 200, "POST", c.url+"/tables", jsonMarshal(t, m), nil)

	info := func(f *fakeInstance, port int) instanceInfo {
		return instanceInfo{InstanceName: f.name, Host: "127.0.0.1", Port: port, GrpcPort: port + 1}
	}
	// What pinot-client-go's controller-based broker selector reads.
	var online map[string][]instanceInfo
	must(t, 200, "GET", c.url+"/v2/brokers/tables?state=ONLINE", nil, &online)
	wantOnline := map[string][]instanceInfo{
		"webTransactions": {info(b1, 7401)},
		"baseballStats":   {info(gold, 7403)},
	}
	if !reflect.DeepEqual(online, wantOnline) {
		t.Errorf("GET /v2/brokers/tables?state=ONLINE = %+v, want %+v", online, wantOnline)
	}
	var all map[string][]instanceInfo
	must(t, 200, "GET", c.url+"/v2/brokers/tables", nil, &all)
	if len(all["webTransactions"]) != 2 {
		t.Errorf("GET /v2/brokers/tables = %+v, want both default brokers", all)
	}
	var offline map[string][]instanceInfo
	must(t, 200, "GET", c.url+"/v2/brokers/tables?state=OFFLINE", nil, &offline)
	if !reflect.DeepEqual(offline["webTransactions"], []instanceInfo{info(b2, 7402)}) {
		t.Errorf("GET /v2/brokers/tables?state=OFFLINE = %+v", offline)
	}

	// What the Java client and the JDBC driver read.
	var live map[string][]instanceInfo
	must(t, 200, "GET", c.url+"/tables/livebrokers", nil, &live)
	wantLive := map[string][]instanceInfo{
		web:                     {info(b1, 7401)},
		"baseballStats_OFFLINE": {info(gold, 7403)},
	}
	if !reflect.DeepEqual(live, wantLive) {
		t.Errorf("GET /tables/livebrokers = %+v, want %+v", live, wantLive)
	}
	var some map[string][]instanceInfo
	must(t, 200, "GET", c.url+"/tables/livebrokers?tables=baseballStats", nil, &some)
	if len(some) != 1 || some["baseballStats_OFFLINE"] == nil {
		t.Errorf("GET /tables/livebrokers?tables=baseballStats = %+v", some)
	}
	var tenantBrokers []instanceInfo
	must(t, 200, "GET", c.url+"/v2/brokers/tenants/DefaultTenant?state=ONLINE", nil, &tenantBrokers)
	if !reflect.DeepEqual(tenantBrokers, []instanceInfo{info(b1, 7401)}) {
		t.Errorf("GET /v2/brokers/tenants/DefaultTenant = %+v", tenantBrokers)
	}
	must(t, 200, "GET", c.url+"/v2/brokers/tables/baseballStats?state=ONLINE", nil, &tenantBrokers)
	if !reflect.DeepEqual(tenantBrokers, []instanceInfo{info(gold, 7403)}) {
		t.Errorf("GET /v2/brokers/tables/baseballStats = %+v", tenantBrokers)
	}
	var names map[string][]string
	must(t, 200, "GET", c.url+"/brokers/tables?state=ONLINE", nil, &names)
	if !reflect.DeepEqual(names, map[string][]string{"webTransactions": {b1.name}, "baseballStats": {gold.name}}) {
		t.Errorf("GET /brokers/tables = %v", names)
	}
	var mapping map[string]map[string][]string
	must(t, 200, "GET", c.url+"/brokers", nil, &mapping)
	if len(mapping["tenants"]["DefaultTenant"]) != 2 || len(mapping["tables"]["baseballStats"]) != 1 {
		t.Errorf("GET /brokers = %v", mapping)
	}
	for _, path := range []string{"/v2/brokers/tables/nope", "/v2/brokers/tenants/Nobody", "/brokers/tables/nope"} {
		status, body := call(t, "GET", c.url+path, "", nil)
		if status != 404 {
			t.Errorf("GET %s: status %d, want 404", path, status)
		}
		wantError(t, 404, body, "not found")
	}
	if status, _ := call(t, "GET", c.url+"/v2/brokers/tables?state=SOMETIMES", "", nil); status != 400 {
		t.Errorf("state=SOMETIMES: status %d, want 400", status)
	}
}
