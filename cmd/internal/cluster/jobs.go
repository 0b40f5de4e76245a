package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Key prefixes of controller jobs (KEYS.md, "Controller jobs").
const (
	prefixJobs       = "jobs/"
	prefixActiveJobs = "jobs-active/"
)

// JobInProgress is the status of a job still running.
const JobInProgress = "IN_PROGRESS"

// MaxJobs is how many finished job records the store keeps: the latest by
// start time; older ones are deleted as new ones finish.
const MaxJobs = 256

// Job is a controller job's record (a rebalance or a drain), kept in etcd
// so that any controller answers for it (GET /rebalanceStatus/{jobId}
// behind a load balancer) and so that two controllers never run jobs on
// the same target at once.
type Job struct {
	ID     string   `json:"jobId"`
	Type   string   `json:"jobType"`
	Target string   `json:"target"` // table name with type, or instance name
	Tables []string `json:"tables,omitempty"`
	// Controller is the instance that runs (ran) the job: while it is in
	// progress the job lives only as long as that controller does.
	Controller string `json:"controller"`
	StartMs    int64  `json:"startTimeMs"`
	EndMs      int64  `json:"endTimeMs,omitempty"`
	Status     string `json:"status"`
	Message    string `json:"message,omitempty"`
	// Progress is the job's progress as its controller last wrote it
	// (the controller's API shape; opaque here).
	Progress json.RawMessage `json:"progress,omitempty"`
}

// StartJob records j as the job in progress on its target, in one
// transaction with the claim on the target (jobs-active/<target> → id).
// If another job holds the target and is still running (its record is
// IN_PROGRESS and live reports its controller alive), it returns that job
// and writes nothing; a holder whose controller is gone or whose record
// ended is replaced. ErrConflict (wrapped) if the claim changed while it
// was read, which a retry settles.
func (s *Store) StartJob(ctx context.Context, j *Job, live func(instance string) bool) (*Job, error) {
	val, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	claim := s.key(prefixActiveJobs, j.Target)
	resp, err := s.cli.Get(ctx, claim)
	if err != nil {
		return nil, fmt.Errorf("start job %s: %w", j.ID, err)
	}
	cmp := clientv3.Compare(clientv3.CreateRevision(claim), "=", 0)
	if len(resp.Kvs) > 0 {
		kv := resp.Kvs[0]
		holder, err := s.GetJob(ctx, string(kv.Value))
		switch {
		case err == nil && holder.Status == JobInProgress && live(holder.Controller):
			return holder, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("start job %s: read the job holding %s: %w", j.ID, j.Target, err)
		}
		// The holder ended, vanished or lost its controller: take over.
		cmp = clientv3.Compare(clientv3.ModRevision(claim), "=", kv.ModRevision)
	}
	txn, err := s.cli.Txn(ctx).If(cmp).Then(
		clientv3.OpPut(s.key(prefixJobs, j.ID), string(val)),
		clientv3.OpPut(claim, j.ID),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("start job %s: %w", j.ID, err)
	}
	if !txn.Succeeded {
		return nil, fmt.Errorf("start job %s: the claim on %s changed: %w", j.ID, j.Target, ErrConflict)
	}
	return nil, nil
}

// PutJob writes j's record as it stands (progress, or the outcome of a job
// that ended at once). A job no longer in progress releases its target if
// it holds it, and the oldest finished records beyond MaxJobs go.
func (s *Store) PutJob(ctx context.Context, j *Job) error {
	val, err := json.Marshal(j)
	if err != nil {
		return err
	}
	ops := []clientv3.Op{clientv3.OpPut(s.key(prefixJobs, j.ID), string(val))}
	if j.Status != JobInProgress {
		claim := s.key(prefixActiveJobs, j.Target)
		// Release the claim only if it is this job's: a job that ended
		// at once never held one, and a replaced holder must not free
		// its successor's.
		if _, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(claim), "=", j.ID)).
			Then(append(ops, clientv3.OpDelete(claim))...).Else(ops...).Commit(); err != nil {
			return fmt.Errorf("record job %s: %w", j.ID, err)
		}
		return s.pruneJobs(ctx)
	}
	if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("record job %s: %w", j.ID, err)
	}
	return nil
}

// GetJob reads a job's record; ErrNotFound if there is none.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	val, err := s.get(ctx, s.key(prefixJobs, id))
	if err != nil {
		return nil, err
	}
	var j Job
	if err := json.Unmarshal(val, &j); err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	return &j, nil
}

// pruneJobs deletes the oldest finished job records beyond MaxJobs.
func (s *Store) pruneJobs(ctx context.Context) error {
	resp, err := s.cli.Get(ctx, s.key(prefixJobs), clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	if len(resp.Kvs) <= MaxJobs {
		return nil
	}
	type rec struct {
		key     string
		startMs int64
		done    bool
	}
	recs := make([]rec, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var j Job
		// An undecodable record is old garbage: it goes first.
		err := json.Unmarshal(kv.Value, &j)
		recs = append(recs, rec{key: string(kv.Key), startMs: j.StartMs, done: err != nil || j.Status != JobInProgress})
	}
	sort.Slice(recs, func(a, b int) bool { return recs[a].startMs < recs[b].startMs })
	extra := len(recs) - MaxJobs
	for _, r := range recs {
		if extra == 0 {
			break
		}
		if !r.done {
			continue
		}
		if _, err := s.cli.Delete(ctx, r.key); err != nil {
			return fmt.Errorf("prune job %s: %w", r.key, err)
		}
		extra--
	}
	return nil
}
