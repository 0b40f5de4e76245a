package cluster_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tannin-db/tannin/cmd/internal/cluster"
	"github.com/tannin-db/tannin/cmd/internal/cluster/clustertest"
)

// TestJobs checks the job records: one job in progress per target across
// controllers, a holder whose controller is gone replaced, the claim
// released when the job ends (and only by its own job), records readable
// by id, and old finished records pruned.
func TestJobs(t *testing.T) {
	ctx := testCtx(t)
	st := clustertest.Store(t)
	alive := map[string]bool{"Controller_a_1": true, "Controller_b_1": true}
	live := func(name string) bool { return alive[name] }
	job := func(id, ctl string, startMs int64) *cluster.Job {
		return &cluster.Job{ID: id, Type: "TABLE_REBALANCE", Target: "t_OFFLINE", Tables: []string{"t_OFFLINE"},
			Controller: ctl, StartMs: startMs, Status: cluster.JobInProgress}
	}

	j1 := job("j1", "Controller_a_1", 1)
	if running, err := st.StartJob(ctx, j1, live); err != nil || running != nil {
		t.Fatalf("first job: running %v, %v", running, err)
	}
	// Another controller asks for the same target: the first job runs.
	running, err := st.StartJob(ctx, job("j2", "Controller_b_1", 2), live)
	if err != nil || running == nil || running.ID != "j1" || running.Controller != "Controller_a_1" {
		t.Fatalf("second job on the target: running %+v, %v; want j1", running, err)
	}
	if _, err := st.GetJob(ctx, "j2"); !errors.Is(err, cluster.ErrNotFound) {
		t.Errorf("the refused job was recorded: %v", err)
	}
	// Another target is free.
	other := job("j3", "Controller_b_1", 3)
	other.Target = "u_OFFLINE"
	if running, err := st.StartJob(ctx, other, live); err != nil || running != nil {
		t.Fatalf("job on another target: running %v, %v", running, err)
	}

	// Progress is written as it goes; the record is what any controller reads.
	j1.Progress = []byte(`{"moved":1}`)
	if err := st.PutJob(ctx, j1); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetJob(ctx, "j1")
	if err != nil || got.Status != cluster.JobInProgress || string(got.Progress) != `{"moved":1}` || got.Tables[0] != "t_OFFLINE" {
		t.Fatalf("GetJob(j1) = %+v, %v", got, err)
	}

	// The first controller dies mid-job: the next job takes the target over.
	delete(alive, "Controller_a_1")
	j4 := job("j4", "Controller_b_1", 4)
	if running, err := st.StartJob(ctx, j4, live); err != nil || running != nil {
		t.Fatalf("job after the holder's controller died: running %v, %v", running, err)
	}
	// The dead controller's job record ending late does not free j4's claim.
	j1.Status, j1.EndMs = "ABORTED", 5
	if err := st.PutJob(ctx, j1); err != nil {
		t.Fatal(err)
	}
	if running, err := st.StartJob(ctx, job("j5", "Controller_b_1", 6), live); err != nil || running == nil || running.ID != "j4" {
		t.Fatalf("after the old holder ended: running %+v, %v; want j4 still holding", running, err)
	}
	// j4 ends: the target is free again.
	j4.Status, j4.EndMs = "DONE", 7
	if err := st.PutJob(ctx, j4); err != nil {
		t.Fatal(err)
	}
	if running, err := st.StartJob(ctx, job("j6", "Controller_b_1", 8), live); err != nil || running != nil {
		t.Fatalf("job after j4 ended: running %v, %v", running, err)
	}

	if _, err := st.GetJob(ctx, "nope"); !errors.Is(err, cluster.ErrNotFound) {
		t.Errorf("GetJob(nope): %v, want ErrNotFound", err)
	}

	// Finished records beyond MaxJobs go, oldest first; running ones stay.
	for i := range cluster.MaxJobs + 10 {
		j := job(fmt.Sprintf("done-%03d", i), "Controller_b_1", int64(100+i))
		j.Target, j.Status = fmt.Sprintf("x%d_OFFLINE", i), "DONE"
		if err := st.PutJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.GetJob(ctx, "j6"); err != nil {
		t.Errorf("the running job j6 was pruned: %v", err)
	}
	if _, err := st.GetJob(ctx, fmt.Sprintf("done-%03d", cluster.MaxJobs+9)); err != nil {
		t.Errorf("the newest finished job was pruned: %v", err)
	}
	if _, err := st.GetJob(ctx, "j1"); !errors.Is(err, cluster.ErrNotFound) {
		t.Errorf("the oldest finished job j1 was kept: %v", err)
	}
}
