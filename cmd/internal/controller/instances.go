package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/assign"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

func instanceNames(m map[string]*cluster.Instance, keep func(*cluster.Instance) bool) []string {
	out := []string{}
	for name, in := range m {
		if keep == nil || keep(in) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (c *Controller) listInstances(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	var keep func(*cluster.Instance) bool
	if r.URL.Query().Has("tag") {
		tag := r.URL.Query().Get("tag")
		keep = func(in *cluster.Instance) bool { return in.HasTag(tag) }
	}
	return writeJSON(w, http.StatusOK, map[string][]string{"instances": instanceNames(snap.Instances, keep)})
}

func (c *Controller) liveInstances(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	return writeJSON(w, http.StatusOK, map[string][]string{"instances": instanceNames(snap.Live, nil)})
}

// instanceJSON is Pinot's GET /instances/{name} answer, with Tannin's type,
// draining and live flags added.
type instanceJSON struct {
	InstanceName       string            `json:"instanceName"`
	HostName           string            `json:"hostName"`
	Enabled            bool              `json:"enabled"`
	Port               string            `json:"port"`
	Tags               []string          `json:"tags"`
	Pools              map[string]string `json:"pools"`
	GrpcPort           int               `json:"grpcPort"`
	AdminPort          int               `json:"adminPort"`
	QueryServicePort   int               `json:"queryServicePort"`
	QueryMailboxPort   int               `json:"queryMailboxPort"`
	ShutdownInProgress bool              `json:"shutdownInProgress"`
	SystemResourceInfo map[string]string `json:"systemResourceInfo"`
	Type               string            `json:"type"`
	Draining           bool              `json:"draining"`
	Live               bool              `json:"live"`
	StartTimeMs        int64             `json:"startTimeMs,omitempty"`
}

func (c *Controller) getInstance(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	snap := c.deps.Cache.Snapshot()
	in := snap.Instances[name]
	if in == nil {
		return errorf(http.StatusNotFound, "Instance %s not found", name)
	}
	out := instanceJSON{
		InstanceName: in.Name, HostName: in.Host, Enabled: in.Enabled, Port: strconv.Itoa(in.Port),
		Tags: in.Tags, GrpcPort: in.GrpcPort, AdminPort: -1, QueryServicePort: -1, QueryMailboxPort: -1,
		Type: in.Type, Draining: in.Draining, Live: snap.IsLive(name),
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if in.Type == cluster.TypeServer {
		out.AdminPort = in.Port
	}
	if live := snap.Live[name]; live != nil {
		out.StartTimeMs = live.StartTimeMs
	}
	return writeJSON(w, http.StatusOK, out)
}

// updateInstance reads an instance's configuration, changes it and
// writes it back, then waits for the cache to see it.
func (c *Controller) updateInstance(ctx context.Context, name string, change func(*cluster.Instance) error) (*cluster.Snapshot, error) {
	in, err := c.deps.Store.GetInstance(ctx, name)
	if errors.Is(err, cluster.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "Instance '%s' does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read instance %s: %w", name, err)
	}
	if err := change(in); err != nil {
		return nil, err
	}
	if err := c.deps.Store.PutInstance(ctx, in); err != nil {
		return nil, fmt.Errorf("update instance %s: %w", name, err)
	}
	return c.deps.Cache.Sync(ctx)
}

func (c *Controller) updateTags(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !r.URL.Query().Has("tags") {
		return errorf(http.StatusBadRequest, "Must provide tags to update")
	}
	tags := []string{}
	for _, t := range strings.Split(r.URL.Query().Get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" && !contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if _, err := c.updateInstance(r.Context(), name, func(in *cluster.Instance) error {
		in.Tags = tags
		return nil
	}); err != nil {
		return err
	}
	c.log.Info("instance tags updated", "instance", name, "tags", tags)
	return ok(w, "Updated tags: [%s] for instance: %s", strings.Join(tags, ", "), name)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// instanceState is PUT /instances/{name}/state?state=enable|disable|drain.
// Draining marks a server so that it takes no new segments, then moves its
// segments to the other servers in a background job (the answer carries
// the job's id for GET /rebalanceStatus/{jobId}).
func (c *Controller) instanceState(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	state := r.URL.Query().Get("state")
	ctx := r.Context()
	switch strings.ToLower(state) {
	case "enable":
		if _, err := c.updateInstance(ctx, name, func(in *cluster.Instance) error {
			in.Enabled, in.Draining = true, false
			return nil
		}); err != nil {
			return err
		}
	case "disable":
		if _, err := c.updateInstance(ctx, name, func(in *cluster.Instance) error {
			in.Enabled = false
			return nil
		}); err != nil {
			return err
		}
	case "drain":
		snap, err := c.updateInstance(ctx, name, func(in *cluster.Instance) error {
			if in.Type != cluster.TypeServer {
				return errorf(http.StatusBadRequest, "DRAIN state only applies to server instances. Instance '%s' is not a server.", name)
			}
			in.Draining = true
			return nil
		})
		if err != nil {
			return err
		}
		plans, err := assign.Drain(snap, name)
		if err != nil {
			return errorf(http.StatusServiceUnavailable, "drain instance %s: %w", name, err)
		}
		j, running, err := c.startJob(ctx, jobInstanceDrain, name, plans)
		if err != nil {
			return err
		}
		id := running // a drain of the instance already under way
		if j != nil {
			id = j.id
		}
		c.log.Info("instance draining", "instance", name, "job", id, "tables", len(plans))
		return writeJSON(w, http.StatusOK, map[string]string{
			"status": fmt.Sprintf("Request to %s instance '%s' is successful", state, name),
			"jobId":  id,
		})
	default:
		return errorf(http.StatusBadRequest, "Unknown state '%s'", state)
	}
	c.log.Info("instance state changed", "instance", name, "state", state)
	return ok(w, "Request to %s instance '%s' is successful", state, name)
}

// dropInstance is DELETE /instances/{name}. Like Pinot it refuses (409)
// while the instance is live or any assignment names it; it also refuses
// while the instance carries tags, so that scaling in takes its tags away
// first and no new segment lands on it meanwhile.
func (c *Controller) dropInstance(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	snap := c.deps.Cache.Snapshot()
	in := snap.Instances[name]
	if in == nil {
		return errorf(http.StatusNotFound, "Instance %s not found", name)
	}
	refuse := func(reason string, args ...any) error {
		return errorf(http.StatusConflict, "Failed to drop instance %s - %s", name, fmt.Sprintf(reason, args...))
	}
	if snap.IsLive(name) {
		return refuse("Instance %s is still live", name)
	}
	for _, t := range sortedKeys(snap.Assign) {
		for _, seg := range sortedKeys(snap.Assign[t]) {
			if _, ok := snap.Assign[t][seg].Instances[name]; ok {
				return refuse("Instance %s exists in ideal state for %s", name, t)
			}
		}
	}
	if len(in.Tags) > 0 {
		return refuse("Instance %s still carries tags [%s]; remove them first with PUT /instances/%s/updateTags?tags=", name, strings.Join(in.Tags, ", "), name)
	}
	ctx := r.Context()
	if err := c.deps.Store.DeleteInstance(ctx, name); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Instance %s not found", name)
		}
		return fmt.Errorf("drop instance %s: %w", name, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("instance dropped", "instance", name)
	return ok(w, "Successfully dropped instance")
}

// tenantsOf returns the tenants that instances' tags name: server tenants
// from "<t>_OFFLINE"/"<t>_REALTIME" tags, broker tenants from "<t>_BROKER".
func tenantsOf(snap *cluster.Snapshot) (servers, brokers []string) {
	s, b := map[string]bool{}, map[string]bool{}
	for _, in := range snap.Instances {
		for _, tag := range in.Tags {
			switch {
			case in.Type == cluster.TypeServer && strings.HasSuffix(tag, "_OFFLINE"):
				s[strings.TrimSuffix(tag, "_OFFLINE")] = true
			case in.Type == cluster.TypeServer && strings.HasSuffix(tag, "_REALTIME"):
				s[strings.TrimSuffix(tag, "_REALTIME")] = true
			case in.Type == cluster.TypeBroker && strings.HasSuffix(tag, "_BROKER"):
				b[strings.TrimSuffix(tag, "_BROKER")] = true
			}
		}
	}
	return sortedKeys(s), sortedKeys(b)
}

func (c *Controller) listTenants(w http.ResponseWriter, r *http.Request) error {
	servers, brokers := tenantsOf(c.deps.Cache.Snapshot())
	out := map[string][]string{}
	switch typ := strings.ToLower(r.URL.Query().Get("type")); typ {
	case "":
		out["SERVER_TENANTS"], out["BROKER_TENANTS"] = servers, brokers
	case "server":
		out["SERVER_TENANTS"] = servers
	case "broker":
		out["BROKER_TENANTS"] = brokers
	default:
		return errorf(http.StatusBadRequest, "Invalid tenant type: %s", typ)
	}
	return writeJSON(w, http.StatusOK, out)
}

// getTenant is GET /tenants/{t}[?type=server|broker&tableType=]: the
// tenant's instances.
func (c *Controller) getTenant(w http.ResponseWriter, r *http.Request) error {
	tenant := r.PathValue("tenant")
	snap := c.deps.Cache.Snapshot()
	q := r.URL.Query()
	withTag := func(tags ...string) []string {
		return instanceNames(snap.Instances, func(in *cluster.Instance) bool {
			for _, t := range tags {
				if in.HasTag(t) {
					return true
				}
			}
			return false
		})
	}
	out := map[string]any{"tenantName": tenant}
	switch typ := strings.ToLower(q.Get("type")); typ {
	case "":
		servers := withTag(cluster.ServerTag(tenant, "OFFLINE"), cluster.ServerTag(tenant, "REALTIME"))
		brokers := withTag(cluster.BrokerTag(tenant))
		if len(servers) == 0 && len(brokers) == 0 {
			return errorf(http.StatusNotFound, "Failed to find any instances for broker and server tenants: %s", tenant)
		}
		out["ServerInstances"], out["BrokerInstances"] = servers, brokers
	case "server":
		tt := strings.ToUpper(q.Get("tableType"))
		if tt != "" && tt != "OFFLINE" && tt != "REALTIME" {
			return errorf(http.StatusBadRequest, "Illegal table type: %s", q.Get("tableType"))
		}
		var all []string
		if tt == "" || tt == "OFFLINE" {
			off := withTag(cluster.ServerTag(tenant, "OFFLINE"))
			out["OfflineServerInstances"] = off
			all = append(all, off...)
		}
		if tt == "" || tt == "REALTIME" {
			rt := withTag(cluster.ServerTag(tenant, "REALTIME"))
			out["RealtimeServerInstances"] = rt
			all = append(all, rt...)
		}
		all = dedupSorted(all)
		if len(all) == 0 {
			return errorf(http.StatusNotFound, "Failed to find any instances for server tenant: %s", tenant)
		}
		out["ServerInstances"] = all
	case "broker":
		brokers := withTag(cluster.BrokerTag(tenant))
		if len(brokers) == 0 {
			return errorf(http.StatusNotFound, "Failed to find any instances for broker tenant: %s", tenant)
		}
		out["BrokerInstances"] = brokers
	default:
		return errorf(http.StatusBadRequest, "Invalid tenant type: %s", typ)
	}
	return writeJSON(w, http.StatusOK, out)
}

func dedupSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
