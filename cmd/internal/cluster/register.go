package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// LeaseTTL is how long an instance's live key and segment states outlast
// the process: the time for a dead server to drop out of routing when no
// query notices first.
const LeaseTTL = 5 * time.Second

func sortInstances(s []*Instance) {
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
}

// Registration is a live instance: its lease keeps live/<name> and every
// segment state it reported. Close revokes the lease, so a clean shutdown
// drops the instance from routing at once.
type Registration struct {
	store   *Store
	session *concurrency.Session
	inst    *Instance
	log     *slog.Logger
}

// Register stores the instance's configuration if it has none yet, takes a
// lease and writes the live key under it. ctx bounds the registration
// itself; the lease is kept alive in the background until Close, which
// revokes it (so a clean shutdown drops the instance at once, even after
// ctx ended). If the lease is lost (etcd unreachable for longer than the
// TTL), Done is closed and the caller should register again.
func Register(ctx context.Context, store *Store, inst *Instance, log *slog.Logger) (*Registration, error) {
	stored, err := store.EnsureInstance(ctx, inst)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", inst.Name, err)
	}
	// The grant is bounded by ctx; the session that keeps the lease alive
	// is not, so that Close can still revoke it after ctx ended.
	lease, err := store.cli.Grant(ctx, int64(LeaseTTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("register %s: lease: %w", inst.Name, err)
	}
	sess, err := concurrency.NewSession(store.cli, concurrency.WithLease(lease.ID), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, fmt.Errorf("register %s: lease: %w", inst.Name, err)
	}
	live := *stored
	live.StartTimeMs = time.Now().UnixMilli()
	val, err := json.Marshal(&live)
	if err != nil {
		sess.Close()
		return nil, err
	}
	if _, err := store.cli.Put(ctx, store.key(prefixLive, inst.Name), string(val), clientv3.WithLease(sess.Lease())); err != nil {
		sess.Close()
		return nil, fmt.Errorf("register %s: %w", inst.Name, err)
	}
	return &Registration{store: store, session: sess, inst: stored, log: log}, nil
}

// Instance is the configuration the instance registered with.
func (r *Registration) Instance() *Instance { return r.inst }

// Done is closed when the lease is lost or revoked.
func (r *Registration) Done() <-chan struct{} { return r.session.Done() }

// Session is the lease's session, for campaigns bound to the same lease.
func (r *Registration) Session() *concurrency.Session { return r.session }

// SetState reports the instance's state of one segment.
func (r *Registration) SetState(ctx context.Context, table, segment string, st SegmentState) error {
	val, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	_, err = r.store.cli.Put(ctx, r.store.key(prefixView, table, "/", segment, "/", r.inst.Name), string(val),
		clientv3.WithLease(r.session.Lease()))
	return err
}

// ClearState withdraws the instance's state of one segment.
func (r *Registration) ClearState(ctx context.Context, table, segment string) error {
	_, err := r.store.cli.Delete(ctx, r.store.key(prefixView, table, "/", segment, "/", r.inst.Name))
	return err
}

// Close revokes the lease: the live key and every reported state go.
func (r *Registration) Close() error {
	return r.session.Close()
}

// Campaign blocks until this controller leads or ctx ends; the leadership
// lasts as long as the registration's lease. Resign hands it back.
func Campaign(ctx context.Context, reg *Registration) (*concurrency.Election, error) {
	e := concurrency.NewElection(reg.session, reg.store.key(prefixElection))
	if err := e.Campaign(ctx, reg.inst.Name); err != nil {
		return nil, err
	}
	return e, nil
}

// registerTimeout bounds one registration attempt, so that an unreachable
// etcd makes StayRegistered retry rather than hang.
const registerTimeout = 5 * time.Second

// StayRegistered keeps an instance registered until ctx ends. For each
// registration it calls hold, which must return once ctx ends or the lease
// is lost (reg.Done); then it revokes the lease and, unless ctx ended,
// registers again after a pause. inst is called before every attempt, so
// it may reflect the process's current state.
func StayRegistered(ctx context.Context, store *Store, inst func() *Instance, log *slog.Logger, hold func(ctx context.Context, reg *Registration)) {
	pause := 200 * time.Millisecond
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, registerTimeout)
		in := inst()
		reg, err := Register(rctx, store, in, log)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("register", "instance", in.Name, "err", err)
				sleepCtx(ctx, pause)
				pause = min(2*pause, 5*time.Second)
			}
			continue
		}
		pause = 200 * time.Millisecond
		hold(ctx, reg)
		if err := reg.Close(); err != nil {
			// A lost lease cannot be revoked; that is expected here.
			log.Debug("revoke lease", "instance", in.Name, "err", err)
		}
		if ctx.Err() == nil {
			log.Warn("lease lost; registering again", "instance", in.Name)
			sleepCtx(ctx, pause)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
