package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// statusBody is the part of GET /rebalanceStatus/{jobId} tests read.
type statusBody struct {
	TableRebalanceProgressStats struct {
		Status                        string
		CompletionStatusMsg           string
		RebalanceProgressStatsOverall progressStats
	}
	TableRebalanceContext struct{ JobID string }
	JobType               string
}

// waitJob polls a job's status until it is no longer IN_PROGRESS.
func waitJob(t *testing.T, url, id string) statusBody {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st statusBody
		must(t, 200, "GET", url+"/rebalanceStatus/"+id, nil, &st)
		if st.TableRebalanceContext.JobID != id {
			t.Fatalf("status of job %s names job %q", id, st.TableRebalanceContext.JobID)
		}
		if st.TableRebalanceProgressStats.Status != statusInProgress {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still in progress after 20s: %+v", id, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func loads(s *cluster.Snapshot, table string) map[string]int {
	out := map[string]int{}
	for _, a := range s.Assign[table] {
		for server := range a.Instances {
			out[server]++
		}
	}
	return out
}

// servingThroughout checks that every segment keeps a live replica that
// reports it ONLINE in every snapshot until stop is closed.
func (e *env) servingThroughout(table string, stop <-chan struct{}) <-chan string {
	out := make(chan string, 1)
	go func() {
		defer close(out)
		for {
			snap, ch := e.deps.Cache.Current()
			for seg := range snap.Segments[table] {
				serving := false
				for server, st := range snap.View[table][seg] {
					a := snap.Assign[table][seg]
					if st.State == cluster.StateOnline && snap.IsLive(server) && a != nil && a.Instances[server] != "" {
						serving = true
					}
				}
				if !serving {
					out <- fmt.Sprintf("segment %s had no serving replica at revision %d", seg, snap.Rev)
					return
				}
			}
			select {
			case <-stop:
				return
			case <-ch:
			}
		}
	}()
	return out
}

func TestRebalanceAndDrain(t *testing.T) {
	e := newEnv(t)
	c := e.start(testConfig())
	// A second controller answers for the jobs the first runs (behind a
	// load balancer a client polls whichever it reaches).
	c2 := e.start(testConfig())
	s1, s2 := e.server(7601), e.server(7602)
	addWebTable(t, c.url, nil)
	sc := webSchema(t)
	for i := range 6 {
		name := fmt.Sprintf("seg_%d", i)
		data := buildSegment(t, sc, "webTransactions", name, "creationTimestamp", 10, 1_700_000_000_000)
		if status, body := upload(t, c.url+"/v2/segments", name+segmentExt, data); status != 200 {
			t.Fatalf("upload %s: %d %s", name, status, body)
		}
	}
	e.waitFor(10*time.Second, "segments ONLINE", func(s *cluster.Snapshot) bool { return len(s.View[web]) == 6 })
	if l := loads(e.deps.Cache.Snapshot(), web); l[s1.name] != 3 || l[s2.name] != 3 {
		t.Fatalf("loads after upload: %v", l)
	}

	// Balanced already.
	var res rebalanceResult
	must(t, 200, "POST", c.url+"/tables/webTransactions/rebalance?type=OFFLINE", nil, &res)
	if res.Status != statusNoOp {
		t.Errorf("rebalance of a balanced table: %+v", res)
	}
	if st := waitJob(t, c.url, res.JobID); st.TableRebalanceProgressStats.Status != statusNoOp {
		t.Errorf("status of a NO_OP rebalance: %+v", st)
	}

	// A third server: the dry run plans 2 moves and changes nothing.
	s3 := e.server(7603)
	must(t, 200, "POST", c.url+"/tables/webTransactions/rebalance?type=OFFLINE&dryRun=true", nil, &res)
	if res.Status != statusDone || res.Description != "Dry-run mode" || len(res.Moves) != 2 || res.Summary == nil ||
		res.Summary.SegmentInfo.TotalSegmentsToBeMoved != 2 || len(res.Summary.ServerInfo.ServersGettingNewSegments) != 1 ||
		len(res.SegmentAssignment) != 6 {
		t.Fatalf("dry run: %+v", res)
	}
	if l := loads(e.deps.Cache.Snapshot(), web); l[s3.name] != 0 {
		t.Fatalf("the dry run moved segments: %v", l)
	}

	// While another controller runs a job on the table, this one starts
	// none: one job per target across controllers.
	ctx := t.Context()
	held := &cluster.Job{ID: "held-elsewhere", Type: jobTableRebalance, Target: web, Controller: c2.Name(),
		StartMs: time.Now().UnixMilli(), Status: statusInProgress}
	if running, err := e.deps.Store.StartJob(ctx, held, func(string) bool { return true }); err != nil || running != nil {
		t.Fatalf("record a job for the other controller: %v, %v", running, err)
	}
	status, body := call(t, "POST", c.url+"/tables/webTransactions/rebalance?type=OFFLINE", "", nil)
	if status != 409 {
		t.Errorf("rebalance while %s runs one: status %d", c2.Name(), status)
	}
	wantError(t, 409, body, "held-elsewhere is already in progress")
	held.Status, held.EndMs = statusDone, time.Now().UnixMilli()
	if err := e.deps.Store.PutJob(ctx, held); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	outage := e.servingThroughout(web, stop)
	must(t, 200, "POST", c.url+"/tables/webTransactions/rebalance?type=OFFLINE", nil, &res)
	if res.Status != statusInProgress || res.JobID == "" {
		t.Fatalf("rebalance: %+v", res)
	}
	st := waitJob(t, c.url, res.JobID)
	if st.TableRebalanceProgressStats.Status != statusDone || st.JobType != jobTableRebalance {
		t.Fatalf("rebalance job ended %+v", st)
	}
	if p := st.TableRebalanceProgressStats.RebalanceProgressStatsOverall; p.TotalSegmentsToBeAdded != 2 || p.TotalRemainingSegmentsToBeAdded != 0 || p.TotalRemainingSegmentsToBeDeleted != 0 {
		t.Errorf("progress after the job: %+v", p)
	}
	if st2 := waitJob(t, c2.url, res.JobID); st2.TableRebalanceProgressStats.Status != statusDone ||
		st2.TableRebalanceProgressStats.RebalanceProgressStatsOverall != st.TableRebalanceProgressStats.RebalanceProgressStatsOverall ||
		st2.JobType != jobTableRebalance {
		t.Errorf("the other controller reports the job as %+v, want %+v", st2, st)
	}
	snap := e.deps.Cache.Snapshot()
	if l := loads(snap, web); l[s1.name] != 2 || l[s2.name] != 2 || l[s3.name] != 2 {
		t.Fatalf("loads after rebalance: %v", l)
	}
	must(t, 200, "POST", c.url+"/tables/webTransactions/rebalance", nil, &res)
	if res.Status != statusNoOp {
		t.Errorf("second rebalance: %+v", res)
	}

	// Drain the third server: its segments go back to the others; it
	// cannot be dropped while it lives.
	var drain map[string]string
	must(t, 200, "PUT", c.url+"/instances/"+s3.name+"/state?state=drain", nil, &drain)
	if drain["jobId"] == "" {
		t.Fatalf("drain answered %v", drain)
	}
	st = waitJob(t, c2.url, drain["jobId"])
	if st.TableRebalanceProgressStats.Status != statusDone || st.JobType != jobInstanceDrain {
		t.Fatalf("drain job ended %+v (asked of the other controller)", st)
	}
	close(stop)
	if msg, bad := <-outage; bad {
		t.Errorf("during rebalance and drain: %s", msg)
	}
	snap = e.deps.Cache.Snapshot()
	if l := loads(snap, web); l[s3.name] != 0 || l[s1.name]+l[s2.name] != 6 {
		t.Fatalf("loads after drain: %v", l)
	}
	if in := snap.Instances[s3.name]; !in.Draining {
		t.Errorf("drained server not marked draining: %+v", in)
	}
	// A new segment does not land on the draining server.
	data := buildSegment(t, sc, "webTransactions", "seg_new", "creationTimestamp", 10, 1_700_000_000_000)
	if status, body := upload(t, c.url+"/v2/segments", "seg_new.tseg", data); status != 200 {
		t.Fatalf("upload: %d %s", status, body)
	}
	if a := e.deps.Cache.Snapshot().Assign[web]["seg_new"]; a.Instances[s3.name] != "" {
		t.Errorf("new segment placed on the draining server: %v", a.Instances)
	}
	status, body = call(t, "DELETE", c.url+"/instances/"+s3.name, "", nil)
	if status != 409 {
		t.Errorf("drop of the live drained server: status %d", status)
	}
	wantError(t, 409, body, "still live")

	// A job whose controller died mid-way reads ABORTED, from any controller.
	orphan := &cluster.Job{ID: "orphan", Type: jobTableRebalance, Target: "other_OFFLINE", Controller: "Controller_gone_9000",
		StartMs: time.Now().UnixMilli(), Status: statusInProgress}
	if _, err := e.deps.Store.StartJob(ctx, orphan, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	var ost statusBody
	must(t, 200, "GET", c2.url+"/rebalanceStatus/orphan", nil, &ost)
	if ost.TableRebalanceProgressStats.Status != statusAborted ||
		!strings.Contains(ost.TableRebalanceProgressStats.CompletionStatusMsg, "Controller_gone_9000") {
		t.Errorf("status of a job whose controller is gone: %+v", ost)
	}

	// Unknown job, unknown table.
	if status, _ := call(t, "GET", c.url+"/rebalanceStatus/nope", "", nil); status != 404 {
		t.Errorf("status of an unknown job: %d", status)
	}
	if status, _ := call(t, "POST", c.url+"/tables/nope/rebalance?type=OFFLINE", "", nil); status != 404 {
		t.Errorf("rebalance of an unknown table: %d", status)
	}
}
