package controller

import (
	"net/http"
	"sort"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// instanceInfo is Pinot's InstanceInfo, what clients discover brokers by.
type instanceInfo struct {
	InstanceName string `json:"instanceName"`
	Host         string `json:"host"`
	Port         int    `json:"port"`
	GrpcPort     int    `json:"grpcPort"`
}

// brokerState reads ?state= (ONLINE: live, enabled brokers only; OFFLINE:
// the others; none: all).
func brokerState(r *http.Request) (string, error) {
	s := strings.ToUpper(r.URL.Query().Get("state"))
	if s != "" && s != "ONLINE" && s != "OFFLINE" {
		return "", errorf(http.StatusBadRequest, "state %q: want ONLINE or OFFLINE", r.URL.Query().Get("state"))
	}
	return s, nil
}

// brokersOf lists the brokers of a broker tenant in the given state.
func brokersOf(snap *cluster.Snapshot, tenant, state string) []instanceInfo {
	tag := cluster.BrokerTag(tenant)
	out := []instanceInfo{}
	for name, in := range snap.Instances {
		if in.Type != cluster.TypeBroker || !in.HasTag(tag) {
			continue
		}
		online := snap.IsLive(name) && in.Enabled
		if (state == "ONLINE" && !online) || (state == "OFFLINE" && online) {
			continue
		}
		out = append(out, instanceInfo{InstanceName: name, Host: in.Host, Port: in.Port, GrpcPort: in.GrpcPort})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InstanceName < out[j].InstanceName })
	return out
}

// tableBrokerTenant is the broker tenant of a table with type.
func tableBrokerTenant(snap *cluster.Snapshot, table string) string {
	if t := snap.Tables[table]; t != nil && t.Config.Tenants.Broker != "" {
		return t.Config.Tenants.Broker
	}
	return cluster.DefaultTenant
}

// rawTableBrokers maps every raw table name to its brokers: those of the
// broker tenant of its OFFLINE table, else of its REALTIME one.
func rawTableBrokers(snap *cluster.Snapshot, state string) map[string][]instanceInfo {
	out := map[string][]instanceInfo{}
	for _, t := range sortedKeys(snap.Tables) {
		raw := cluster.RawTableName(t)
		if _, done := out[raw]; done {
			continue
		}
		out[raw] = brokersOf(snap, tableBrokerTenant(snap, existingTables(snap, raw, "")[0]), state)
	}
	return out
}

func names(infos []instanceInfo) []string {
	out := make([]string, len(infos))
	for i, in := range infos {
		out[i] = in.InstanceName
	}
	return out
}

func namesMap(m map[string][]instanceInfo) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = names(v)
	}
	return out
}

func tenantsBrokers(snap *cluster.Snapshot, state string) map[string][]instanceInfo {
	_, tenants := tenantsOf(snap)
	out := make(map[string][]instanceInfo, len(tenants))
	for _, t := range tenants {
		out[t] = brokersOf(snap, t, state)
	}
	return out
}

// tablesToBrokers is GET [/v2]/brokers/tables?state=: raw table name to
// brokers, for every table (pinot-client-go's controller-based broker
// selector polls the v2 form with state=ONLINE).
func (c *Controller) tablesToBrokers(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		state, err := brokerState(r)
		if err != nil {
			return err
		}
		m := rawTableBrokers(c.deps.Cache.Snapshot(), state)
		if v2 {
			return writeJSON(w, http.StatusOK, m)
		}
		return writeJSON(w, http.StatusOK, namesMap(m))
	}
}

// tableBrokers is GET [/v2]/brokers/tables/{t}?type=&state=.
func (c *Controller) tableBrokers(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		state, err := brokerState(r)
		if err != nil {
			return err
		}
		typ, err := tableTypeParam(r)
		if err != nil {
			return err
		}
		snap := c.deps.Cache.Snapshot()
		name := r.PathValue("table")
		ts := existingTables(snap, name, typ)
		if len(ts) == 0 {
			return errorf(http.StatusNotFound, "Table '%s' not found.", name)
		}
		infos := brokersOf(snap, tableBrokerTenant(snap, ts[0]), state)
		if v2 {
			return writeJSON(w, http.StatusOK, infos)
		}
		return writeJSON(w, http.StatusOK, names(infos))
	}
}

// tenantBrokers is GET [/v2]/brokers/tenants/{tenant}?state=.
func (c *Controller) tenantBrokers(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		state, err := brokerState(r)
		if err != nil {
			return err
		}
		snap := c.deps.Cache.Snapshot()
		tenant := r.PathValue("tenant")
		_, tenants := tenantsOf(snap)
		if !contains(tenants, tenant) {
			return errorf(http.StatusNotFound, "Tenant '%s' not found.", tenant)
		}
		infos := brokersOf(snap, tenant, state)
		if v2 {
			return writeJSON(w, http.StatusOK, infos)
		}
		return writeJSON(w, http.StatusOK, names(infos))
	}
}

// tenantsToBrokers is GET [/v2]/brokers/tenants?state=.
func (c *Controller) tenantsToBrokers(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		state, err := brokerState(r)
		if err != nil {
			return err
		}
		m := tenantsBrokers(c.deps.Cache.Snapshot(), state)
		if v2 {
			return writeJSON(w, http.StatusOK, m)
		}
		return writeJSON(w, http.StatusOK, namesMap(m))
	}
}

// brokersMapping is GET [/v2]/brokers?state=: {"tenants":…, "tables":…}.
func (c *Controller) brokersMapping(v2 bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		state, err := brokerState(r)
		if err != nil {
			return err
		}
		snap := c.deps.Cache.Snapshot()
		tenants, tables := tenantsBrokers(snap, state), rawTableBrokers(snap, state)
		if v2 {
			return writeJSON(w, http.StatusOK, map[string]map[string][]instanceInfo{"tenants": tenants, "tables": tables})
		}
		return writeJSON(w, http.StatusOK, map[string]map[string][]string{"tenants": namesMap(tenants), "tables": namesMap(tables)})
	}
}

// liveBrokers is GET /tables/livebrokers[?tables=a,b]: table name with
// type to its live brokers; tables without one are left out, as Pinot
// does (the Java client and JDBC driver discover brokers here).
func (c *Controller) liveBrokers(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	var want map[string]bool
	if v := r.URL.Query()["tables"]; len(v) > 0 {
		want = map[string]bool{}
		for _, s := range v {
			for _, t := range strings.Split(s, ",") {
				if t = strings.TrimSpace(t); t != "" {
					want[t] = true
				}
			}
		}
	}
	out := map[string][]instanceInfo{}
	for t := range snap.Tables {
		if want != nil && !want[t] && !want[cluster.RawTableName(t)] {
			continue
		}
		if infos := brokersOf(snap, tableBrokerTenant(snap, t), "ONLINE"); len(infos) > 0 {
			out[t] = infos
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
