package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/assign"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// Pinot's RebalanceResult statuses.
const (
	statusNoOp       = "NO_OP"
	statusDone       = "DONE"
	statusFailed     = "FAILED"
	statusInProgress = cluster.JobInProgress
	statusAborted    = "ABORTED"
)

// Job types, as Pinot's controller jobs name them.
const (
	jobTableRebalance = "TABLE_REBALANCE"
	jobInstanceDrain  = "INSTANCE_DRAIN"
)

// job is a rebalance or a drain carried out in the background by this
// controller. Its record in etcd (cluster.Job) is what every controller
// answers GET /rebalanceStatus from and what keeps two controllers from
// running jobs on one target; the controller running a job also keeps it
// here, to report live progress from its plans.
type job struct {
	id     string
	kind   string
	target string // table name with type, or instance name
	plans  []*assign.Plan
	start  time.Time

	mu     sync.Mutex
	status string
	msg    string
	end    time.Time
}

func (j *job) state() (status, msg string, end time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status, j.msg, j.end
}

func (j *job) finish(status, msg string, at time.Time) {
	j.mu.Lock()
	j.status, j.msg, j.end = status, msg, at
	j.mu.Unlock()
}

// jobs registers the jobs this controller ran, by id, keeping the latest
// maxJobs. Which job may run on a target is decided in etcd
// (cluster.Store.StartJob), not here.
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*job
	order []string
}

const maxJobs = 256

func newJobs() *jobs { return &jobs{byID: map[string]*job{}} }

func (js *jobs) get(id string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.byID[id]
}

// add registers j.
func (js *jobs) add(j *job) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.byID[j.id] = j
	js.order = append(js.order, j.id)
	for len(js.order) > maxJobs {
		old := js.byID[js.order[0]]
		if st, _, _ := old.state(); st == statusInProgress {
			break
		}
		delete(js.byID, js.order[0])
		js.order = js.order[1:]
	}
}

func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// startJob records a job on target in etcd and runs the plans in the
// background, one after the other. If a job already runs on target (on
// any controller) it starts nothing and returns that job's id.
func (c *Controller) startJob(ctx context.Context, kind, target string, plans []*assign.Plan) (j *job, running string, err error) {
	j = &job{id: newJobID(), kind: kind, target: target, plans: plans, start: c.cfg.now(), status: statusInProgress}
	holder, err := c.deps.Store.StartJob(ctx, c.jobRecordWithProgress(j), c.controllerLive)
	switch {
	case err != nil:
		return nil, "", errorf(http.StatusServiceUnavailable, "record the job: %w", err)
	case holder != nil:
		return nil, holder.ID, nil
	}
	c.jobs.add(j)
	c.bgWG.Add(1)
	go func() {
		defer c.bgWG.Done()
		ctx, cancel := context.WithTimeout(c.bg, c.cfg.MoveTimeout)
		defer cancel()
		log := c.log.With("job", j.id, "kind", kind, "target", target)
		log.Info("job started", "plans", len(plans))
		defer c.recordJob(j, log)
		for _, p := range plans {
			if err := assign.Execute(ctx, c.deps.Store, c.deps.Cache, p, log); err != nil {
				status := statusFailed
				if c.bg.Err() != nil {
					status = statusAborted
				}
				log.Warn("job ended", "status", status, "table", p.Table, "err", err)
				j.finish(status, fmt.Sprintf("table %s: %v", p.Table, err), c.cfg.now())
				return
			}
		}
		log.Info("job done")
		j.finish(statusDone, "Success with status: "+statusDone, c.cfg.now())
	}()
	return j, "", nil
}

// finishedJob records a rebalance that ended at once (NO_OP, or FAILED
// to plan), so that polling its job id answers like any other job.
func (c *Controller) finishedJob(id, table, status, msg string) {
	now := c.cfg.now()
	j := &job{id: id, kind: jobTableRebalance, target: table, start: now, end: now, status: status, msg: msg}
	c.jobs.add(j)
	c.recordJob(j, c.log.With("job", id))
}

// jobRecord is j's etcd record as it stands, without its progress.
func (c *Controller) jobRecord(j *job) *cluster.Job {
	status, msg, end := j.state()
	rec := &cluster.Job{ID: j.id, Type: j.kind, Target: j.target, Tables: jobTables(j.plans), Controller: c.name,
		StartMs: j.start.UnixMilli(), Status: status, Message: msg}
	if !end.IsZero() {
		rec.EndMs = end.UnixMilli()
	}
	return rec
}

// jobRecordWithProgress is jobRecord with the progress other controllers
// report.
func (c *Controller) jobRecordWithProgress(j *job) *cluster.Job {
	rec := c.jobRecord(j)
	if len(j.plans) > 0 {
		rec.Progress, _ = json.Marshal(progress(c.deps.Cache.Snapshot(), j.plans))
	}
	return rec
}

// recordJob writes j's record, also while the controller shuts down (an
// aborted job is recorded as such).
func (c *Controller) recordJob(j *job, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.deps.Store.PutJob(ctx, c.jobRecordWithProgress(j)); err != nil {
		log.Warn("record job", "err", err)
	}
}

// controllerLive reports whether the named controller is registered (its
// lease alive): a job is only in progress while its controller lives.
func (c *Controller) controllerLive(name string) bool {
	return name == c.name || c.deps.Cache.Snapshot().IsLive(name)
}

func jobTables(plans []*assign.Plan) []string {
	tables := make([]string, 0, len(plans))
	for _, p := range plans {
		tables = append(tables, p.Table)
	}
	sort.Strings(tables)
	return tables
}

// rebalanceResult is Pinot's RebalanceResult.
type rebalanceResult struct {
	JobID             string                       `json:"jobId"`
	Status            string                       `json:"status"`
	Description       string                       `json:"description"`
	Summary           *rebalanceSummary            `json:"rebalanceSummaryResult,omitempty"`
	SegmentAssignment map[string]map[string]string `json:"segmentAssignment,omitempty"`
	// Moves is Tannin's list of segment moves of the plan.
	Moves []assign.Move `json:"moves,omitempty"`
}

// rebalanceSummary is the part of Pinot's RebalanceSummaryResult that a
// plan determines.
type rebalanceSummary struct {
	ServerInfo  serverInfo  `json:"serverInfo"`
	SegmentInfo segmentInfo `json:"segmentInfo"`
}

type changeInfo struct {
	ValueBeforeRebalance        int `json:"valueBeforeRebalance"`
	ExpectedValueAfterRebalance int `json:"expectedValueAfterRebalance"`
}

type serverChange struct {
	ServerStatus                 string   `json:"serverStatus"`
	TotalSegmentsAfterRebalance  int      `json:"totalSegmentsAfterRebalance"`
	TotalSegmentsBeforeRebalance int      `json:"totalSegmentsBeforeRebalance"`
	SegmentsAdded                int      `json:"segmentsAdded"`
	SegmentsDeleted              int      `json:"segmentsDeleted"`
	SegmentsUnchanged            int      `json:"segmentsUnchanged"`
	TagList                      []string `json:"tagList"`
}

type serverInfo struct {
	NumServersGettingNewSegments int                      `json:"numServersGettingNewSegments"`
	NumServers                   changeInfo               `json:"numServers"`
	ServersAdded                 []string                 `json:"serversAdded"`
	ServersRemoved               []string                 `json:"serversRemoved"`
	ServersUnchanged             []string                 `json:"serversUnchanged"`
	ServersGettingNewSegments    []string                 `json:"serversGettingNewSegments"`
	ServerSegmentChangeInfo      map[string]*serverChange `json:"serverSegmentChangeInfo"`
}

type segmentInfo struct {
	TotalSegmentsToBeMoved             int        `json:"totalSegmentsToBeMoved"`
	TotalSegmentsToBeDeleted           int        `json:"totalSegmentsToBeDeleted"`
	MaxSegmentsAddedToASingleServer    int        `json:"maxSegmentsAddedToASingleServer"`
	EstimatedAverageSegmentSizeInBytes int64      `json:"estimatedAverageSegmentSizeInBytes"`
	TotalEstimatedDataToBeMovedInBytes int64      `json:"totalEstimatedDataToBeMovedInBytes"`
	ReplicationFactor                  changeInfo `json:"replicationFactor"`
	NumSegmentsInSingleReplica         changeInfo `json:"numSegmentsInSingleReplica"`
	NumSegmentsAcrossAllReplicas       changeInfo `json:"numSegmentsAcrossAllReplicas"`
}

// summarize computes Pinot's rebalance summary of a plan.
func summarize(snap *cluster.Snapshot, p *assign.Plan) *rebalanceSummary {
	perServer := func(a map[string][]string) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for seg, servers := range a {
			for _, s := range servers {
				if out[s] == nil {
					out[s] = map[string]bool{}
				}
				out[s][seg] = true
			}
		}
		return out
	}
	before, after := perServer(p.Current), perServer(p.Target)
	servers := map[string]bool{}
	for s := range before {
		servers[s] = true
	}
	for s := range after {
		servers[s] = true
	}
	si := serverInfo{
		NumServers:                changeInfo{len(before), len(after)},
		ServersAdded:              []string{},
		ServersRemoved:            []string{},
		ServersUnchanged:          []string{},
		ServersGettingNewSegments: []string{},
		ServerSegmentChangeInfo:   map[string]*serverChange{},
	}
	var seg segmentInfo
	for _, s := range sortedKeys(servers) {
		ch := &serverChange{TotalSegmentsBeforeRebalance: len(before[s]), TotalSegmentsAfterRebalance: len(after[s]), TagList: []string{}}
		for x := range after[s] {
			if before[s][x] {
				ch.SegmentsUnchanged++
			} else {
				ch.SegmentsAdded++
			}
		}
		ch.SegmentsDeleted = len(before[s]) - ch.SegmentsUnchanged
		switch {
		case len(before[s]) == 0:
			ch.ServerStatus = "ADDED"
			si.ServersAdded = append(si.ServersAdded, s)
		case len(after[s]) == 0:
			ch.ServerStatus = "REMOVED"
			si.ServersRemoved = append(si.ServersRemoved, s)
		default:
			ch.ServerStatus = "UNCHANGED"
			si.ServersUnchanged = append(si.ServersUnchanged, s)
		}
		if in := snap.Instances[s]; in != nil {
			ch.TagList = append(ch.TagList, in.Tags...)
		}
		if ch.SegmentsAdded > 0 {
			si.ServersGettingNewSegments = append(si.ServersGettingNewSegments, s)
			seg.TotalSegmentsToBeMoved += ch.SegmentsAdded
			seg.MaxSegmentsAddedToASingleServer = max(seg.MaxSegmentsAddedToASingleServer, ch.SegmentsAdded)
		}
		seg.TotalSegmentsToBeDeleted += ch.SegmentsDeleted
		si.ServerSegmentChangeInfo[s] = ch
	}
	si.NumServersGettingNewSegments = len(si.ServersGettingNewSegments)
	var size int64
	recs := snap.Segments[p.Table]
	for _, r := range recs {
		size += r.Meta.SizeBytes
	}
	if len(recs) > 0 {
		seg.EstimatedAverageSegmentSizeInBytes = size / int64(len(recs))
	}
	seg.TotalEstimatedDataToBeMovedInBytes = seg.EstimatedAverageSegmentSizeInBytes * int64(seg.TotalSegmentsToBeMoved)
	replicas := func(a map[string][]string) (rf, total int) {
		for _, servers := range a {
			rf = max(rf, len(servers))
			total += len(servers)
		}
		return rf, total
	}
	rfBefore, totalBefore := replicas(p.Current)
	rfAfter, totalAfter := replicas(p.Target)
	seg.ReplicationFactor = changeInfo{rfBefore, rfAfter}
	seg.NumSegmentsInSingleReplica = changeInfo{len(p.Current), len(p.Target)}
	seg.NumSegmentsAcrossAllReplicas = changeInfo{totalBefore, totalAfter}
	return &rebalanceSummary{ServerInfo: si, SegmentInfo: seg}
}

func targetAssignment(p *assign.Plan) map[string]map[string]string {
	out := make(map[string]map[string]string, len(p.Target))
	for seg, servers := range p.Target {
		m := make(map[string]string, len(servers))
		for _, s := range servers {
			m[s] = cluster.StateOnline
		}
		out[seg] = m
	}
	return out
}

// rebalance is POST /tables/{t}/rebalance?type=&dryRun=.
func (c *Controller) rebalance(w http.ResponseWriter, r *http.Request) error {
	snap := c.deps.Cache.Snapshot()
	typ, err := tableTypeParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("table")
	ts := existingTables(snap, name, typ)
	switch {
	case len(ts) == 0:
		return errorf(http.StatusNotFound, "Table %s does not exist", name)
	case len(ts) > 1:
		return errorf(http.StatusBadRequest, "table %s has both types: pass ?type=OFFLINE or ?type=REALTIME", name)
	}
	table := ts[0]
	dryRun, err := queryBool(r, "dryRun", false)
	if err != nil {
		return err
	}
	cfg := snap.Tables[table].Config
	tag := cluster.ServerTag(cfg.Tenants.Server, cluster.TableType(table))
	plan, err := assign.Rebalance(snap, table, tag, cfg.Segments.Replication)
	if err != nil {
		res := rebalanceResult{
			JobID: newJobID(), Status: statusFailed,
			Description: fmt.Sprintf("Caught exception while calculating target assignment: %v", err),
		}
		if !dryRun {
			c.finishedJob(res.JobID, table, res.Status, res.Description)
		}
		return writeJSON(w, http.StatusOK, res)
	}
	res := rebalanceResult{
		JobID: newJobID(), Summary: summarize(snap, plan),
		SegmentAssignment: targetAssignment(plan), Moves: plan.Moves,
	}
	switch {
	case len(plan.Moves) == 0:
		res.Status, res.Description = statusNoOp, "Table is already balanced"
		if !dryRun {
			c.finishedJob(res.JobID, table, res.Status, res.Description)
		}
	case dryRun:
		res.Status, res.Description = statusDone, "Dry-run mode"
	default:
		j, running, err := c.startJob(r.Context(), jobTableRebalance, table, []*assign.Plan{plan})
		if err != nil {
			return err
		}
		if running != "" {
			return errorf(http.StatusConflict, "Rebalance job %s is already in progress for table %s", running, table)
		}
		res.JobID, res.Status, res.Description = j.id, statusInProgress, "In progress, check controller logs for updates"
		c.log.Info("rebalance started", "table", table, "job", j.id, "moves", len(plan.Moves))
	}
	return writeJSON(w, http.StatusOK, res)
}

// progressStats is Pinot's RebalanceProgressStats, computed from the
// current assignment and external view against the job's targets.
type progressStats struct {
	TotalSegmentsToBeAdded                 int     `json:"totalSegmentsToBeAdded"`
	TotalSegmentsToBeDeleted               int     `json:"totalSegmentsToBeDeleted"`
	TotalRemainingSegmentsToBeAdded        int     `json:"totalRemainingSegmentsToBeAdded"`
	TotalRemainingSegmentsToBeDeleted      int     `json:"totalRemainingSegmentsToBeDeleted"`
	TotalRemainingSegmentsToConverge       int     `json:"totalRemainingSegmentsToConverge"`
	PercentageRemainingSegmentsToBeAdded   float64 `json:"percentageRemainingSegmentsToBeAdded"`
	PercentageRemainingSegmentsToBeDeleted float64 `json:"percentageRemainingSegmentsToBeDeleted"`
}

func progress(snap *cluster.Snapshot, plans []*assign.Plan) progressStats {
	var ps progressStats
	for _, p := range plans {
		for _, m := range p.Moves {
			var current []string
			if a := snap.Assign[p.Table][m.Segment]; a != nil {
				current = a.Replicas()
			}
			for _, s := range m.To {
				if !slices.Contains(m.From, s) {
					ps.TotalSegmentsToBeAdded++
					if !slices.Contains(current, s) {
						ps.TotalRemainingSegmentsToBeAdded++
					}
				}
			}
			for _, s := range m.From {
				if !slices.Contains(m.To, s) {
					ps.TotalSegmentsToBeDeleted++
					if slices.Contains(current, s) {
						ps.TotalRemainingSegmentsToBeDeleted++
					}
				}
			}
			for _, s := range m.To {
				if st, ok := snap.View[p.Table][m.Segment][s]; !ok || st.State != cluster.StateOnline {
					ps.TotalRemainingSegmentsToConverge++
					break
				}
			}
		}
	}
	if ps.TotalSegmentsToBeAdded > 0 {
		ps.PercentageRemainingSegmentsToBeAdded = 100 * float64(ps.TotalRemainingSegmentsToBeAdded) / float64(ps.TotalSegmentsToBeAdded)
	}
	if ps.TotalSegmentsToBeDeleted > 0 {
		ps.PercentageRemainingSegmentsToBeDeleted = 100 * float64(ps.TotalRemainingSegmentsToBeDeleted) / float64(ps.TotalSegmentsToBeDeleted)
	}
	return ps
}

// rebalanceStatus is GET /rebalanceStatus/{jobId}, in the shape of Pinot's
// ServerRebalanceJobStatusResponse; it serves drain jobs too. The
// controller running the job reports its live progress; any other reads
// the job's record, where a job whose controller is gone reads ABORTED.
func (c *Controller) rebalanceStatus(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("jobId")
	var rec *cluster.Job
	var ps progressStats
	if j := c.jobs.get(id); j != nil {
		rec, ps = c.jobRecord(j), progress(c.deps.Cache.Snapshot(), j.plans)
	} else {
		var err error
		rec, err = c.deps.Store.GetJob(r.Context(), id)
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Failed to find controller job id: %s", id)
		}
		if err != nil {
			return errorf(http.StatusServiceUnavailable, "read job %s: %w", id, err)
		}
		if rec.Status == statusInProgress && !c.controllerLive(rec.Controller) {
			rec.Status = statusAborted
			rec.Message = fmt.Sprintf("Controller %s, which ran the job, is no longer live", rec.Controller)
		}
		if len(rec.Progress) > 0 {
			if err := json.Unmarshal(rec.Progress, &ps); err != nil {
				return errorf(http.StatusInternalServerError, "job %s: progress: %w", id, err)
			}
		}
	}
	start := time.UnixMilli(rec.StartMs)
	elapsed := c.cfg.now().Sub(start)
	var finish int64
	if rec.EndMs != 0 {
		elapsed = time.UnixMilli(rec.EndMs).Sub(start)
		finish = int64(elapsed / time.Second)
	}
	msg := rec.Message
	if msg == "" {
		msg = "In progress, check controller task status for the progress"
	}
	tables := rec.Tables
	if tables == nil {
		tables = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"timeElapsedSinceStartInSeconds": int64(elapsed / time.Second),
		"tableRebalanceProgressStats": map[string]any{
			"status":                            rec.Status,
			"startTimeMs":                       rec.StartMs,
			"timeToFinishInSeconds":             finish,
			"completionStatusMsg":               msg,
			"rebalanceProgressStatsOverall":     ps,
			"rebalanceProgressStatsCurrentStep": ps,
		},
		"tableRebalanceContext": map[string]any{
			"jobId": rec.ID, "originalJobId": rec.ID, "attemptId": 1,
		},
		"jobType":    rec.Type,
		"target":     rec.Target,
		"tables":     tables,
		"controller": rec.Controller,
	})
}
