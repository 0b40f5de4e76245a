package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/tableconfig"
)

// Snapshot is the whole cluster metadata at one etcd revision. It is
// immutable: the Cache publishes a new Snapshot per change, sharing the
// maps that did not change, so readers take one without locking and keep
// it as long as they like.
type Snapshot struct {
	Rev     int64
	Schemas map[string]*Schema
	// Tables, Segments, Assign and View are keyed by table name with type;
	// Segments and Assign then by segment name; View by segment, then server.
	Tables    map[string]*Table
	Segments  map[string]map[string]*Segment
	Assign    map[string]map[string]*Assignment
	View      map[string]map[string]map[string]SegmentState
	Instances map[string]*Instance
	Live      map[string]*Instance
	// Leader is the leading controller's instance name, "" when none.
	Leader string
	// Users are the user records by auth.Key ("<name>_<COMPONENT>"),
	// compiled for authentication; UserConfigs the same records as stored
	// (password hashes), for the /users API (users.go).
	Users       map[string]*auth.User
	UserConfigs map[string]*auth.UserConfig
	// candidates are the election keys: key → create revision and value.
	candidates map[string]candidate
}

type candidate struct {
	rev  int64
	name string
}

func emptySnapshot() *Snapshot {
	return &Snapshot{
		Schemas: map[string]*Schema{}, Tables: map[string]*Table{},
		Segments: map[string]map[string]*Segment{}, Assign: map[string]map[string]*Assignment{},
		View: map[string]map[string]map[string]SegmentState{}, Instances: map[string]*Instance{},
		Live: map[string]*Instance{}, candidates: map[string]candidate{},
		Users: map[string]*auth.User{}, UserConfigs: map[string]*auth.UserConfig{},
	}
}

// IsLive reports whether the instance holds a live registration.
func (s *Snapshot) IsLive(name string) bool { return s.Live[name] != nil }

// LiveInstances returns the live instances of type typ carrying tag (any
// tag when tag is ""), sorted by name.
func (s *Snapshot) LiveInstances(typ, tag string) []*Instance {
	var out []*Instance
	for name, in := range s.Live {
		cfg := s.Instances[name]
		if cfg == nil {
			cfg = in
		}
		if cfg.Type != typ || (tag != "" && !cfg.HasTag(tag)) {
			continue
		}
		out = append(out, cfg)
	}
	sortInstances(out)
	return out
}

// TableSchema returns the schema of a table (by name with type): the schema
// named like the raw table, Pinot's convention.
func (s *Snapshot) TableSchema(nameWithType string) *Schema {
	if s.Tables[nameWithType] == nil {
		return nil
	}
	return s.Schemas[RawTableName(nameWithType)]
}

// snapshotBuilder applies a batch of etcd events to a copy of a snapshot,
// cloning each map once, the first time the batch changes it.
type snapshotBuilder struct {
	s       *Snapshot
	log     *slog.Logger
	cloned  map[string]bool
	segs    map[string]bool
	assigns map[string]bool
	views   map[string]bool
}

func newBuilder(old *Snapshot, log *slog.Logger) *snapshotBuilder {
	s := *old
	return &snapshotBuilder{s: &s, log: log, cloned: map[string]bool{},
		segs: map[string]bool{}, assigns: map[string]bool{}, views: map[string]bool{}}
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (b *snapshotBuilder) top(name string) {
	if b.cloned[name] {
		return
	}
	b.cloned[name] = true
	s := b.s
	switch name {
	case "schemas":
		s.Schemas = cloneMap(s.Schemas)
	case "tables":
		s.Tables = cloneMap(s.Tables)
	case "segments":
		s.Segments = cloneMap(s.Segments)
	case "assign":
		s.Assign = cloneMap(s.Assign)
	case "view":
		s.View = cloneMap(s.View)
	case "instances":
		s.Instances = cloneMap(s.Instances)
	case "live":
		s.Live = cloneMap(s.Live)
	case "election":
		s.candidates = cloneMap(s.candidates)
	case "users":
		s.Users, s.UserConfigs = cloneMap(s.Users), cloneMap(s.UserConfigs)
	}
}

// apply folds one key change (val nil for a delete) into the snapshot.
func (b *snapshotBuilder) apply(rel string, val []byte, createRev, modRev int64) {
	s := b.s
	del := val == nil
	switch {
	case strings.HasPrefix(rel, prefixSchemas):
		b.top("schemas")
		name := rel[len(prefixSchemas):]
		if del {
			delete(s.Schemas, name)
			return
		}
		sc, _, err := schema.Parse(val)
		if err != nil {
			b.log.Error("stored schema does not parse; ignoring it", "schema", name, "err", err)
			delete(s.Schemas, name)
			return
		}
		s.Schemas[name] = &Schema{Schema: sc, Raw: val}
	case strings.HasPrefix(rel, prefixTables):
		b.top("tables")
		name := rel[len(prefixTables):]
		if del {
			delete(s.Tables, name)
			return
		}
		cfg, _, err := tableconfig.Parse(val)
		if err != nil {
			b.log.Error("stored table config does not parse; ignoring it", "table", name, "err", err)
			delete(s.Tables, name)
			return
		}
		s.Tables[name] = &Table{Config: cfg, Raw: val}
	case strings.HasPrefix(rel, prefixSegments):
		table, seg, ok := strings.Cut(rel[len(prefixSegments):], "/")
		if !ok {
			return
		}
		b.top("segments")
		m := b.inner(s.Segments, b.segs, table)
		if del {
			delete(m, seg)
			return
		}
		var rec Segment
		if err := json.Unmarshal(val, &rec); err != nil {
			b.log.Error("stored segment record does not decode; ignoring it", "table", table, "segment", seg, "err", err)
			delete(m, seg)
			return
		}
		m[seg] = &rec
	case strings.HasPrefix(rel, prefixAssign):
		table, seg, ok := strings.Cut(rel[len(prefixAssign):], "/")
		if !ok {
			return
		}
		b.top("assign")
		m := innerMap(s.Assign, b.assigns, table)
		if del {
			delete(m, seg)
			return
		}
		var a Assignment
		if err := json.Unmarshal(val, &a); err != nil {
			b.log.Error("stored assignment does not decode; ignoring it", "table", table, "segment", seg, "err", err)
			delete(m, seg)
			return
		}
		a.Rev = modRev
		m[seg] = &a
	case strings.HasPrefix(rel, prefixView):
		parts := strings.SplitN(rel[len(prefixView):], "/", 3)
		if len(parts) != 3 {
			return
		}
		table, seg, server := parts[0], parts[1], parts[2]
		b.top("view")
		tm := innerMap(s.View, b.views, table)
		key := table + "/" + seg
		if !b.views[key] {
			b.views[key] = true
			tm[seg] = cloneMap(tm[seg])
		}
		if del {
			delete(tm[seg], server)
			if len(tm[seg]) == 0 {
				delete(tm, seg)
			}
			return
		}
		var st SegmentState
		if err := json.Unmarshal(val, &st); err != nil {
			b.log.Error("stored segment state does not decode; ignoring it", "table", table, "segment", seg, "err", err)
			delete(tm[seg], server)
			return
		}
		tm[seg][server] = st
	case strings.HasPrefix(rel, prefixInstances), strings.HasPrefix(rel, prefixLive):
		which, target := "instances", &s.Instances
		name := strings.TrimPrefix(rel, prefixInstances)
		if strings.HasPrefix(rel, prefixLive) {
			which, target, name = "live", &s.Live, rel[len(prefixLive):]
		}
		b.top(which)
		if del {
			delete(*target, name)
			return
		}
		var in Instance
		if err := json.Unmarshal(val, &in); err != nil {
			b.log.Error("stored instance does not decode; ignoring it", "instance", name, "err", err)
			delete(*target, name)
			return
		}
		(*target)[name] = &in
	case strings.HasPrefix(rel, prefixUsers):
		b.applyUser(rel, val)
	case strings.HasPrefix(rel, prefixElection):
		b.top("election")
		if del {
			delete(s.candidates, rel)
		} else {
			s.candidates[rel] = candidate{rev: createRev, name: string(val)}
		}
		s.Leader = ""
		var best int64
		for _, c := range s.candidates {
			if s.Leader == "" || c.rev < best {
				s.Leader, best = c.name, c.rev
			}
		}
	}
}

// inner returns the per-table map of m for table, cloned once per batch.
func (b *snapshotBuilder) inner(m map[string]map[string]*Segment, done map[string]bool, table string) map[string]*Segment {
	return innerMap(m, done, table)
}

func innerMap[V any](m map[string]map[string]V, done map[string]bool, table string) map[string]V {
	if !done[table] {
		done[table] = true
		m[table] = cloneMap(m[table])
	}
	return m[table]
}

// finish drops empty per-table maps and returns the snapshot.
func (b *snapshotBuilder) finish(rev int64) *Snapshot {
	s := b.s
	for t := range b.segs {
		if len(s.Segments[t]) == 0 {
			delete(s.Segments, t)
		}
	}
	for t := range b.assigns {
		if len(s.Assign[t]) == 0 {
			delete(s.Assign, t)
		}
	}
	for t := range s.View {
		if len(s.View[t]) == 0 {
			delete(s.View, t)
		}
	}
	s.Rev = rev
	return s
}

// Cache keeps an up-to-date Snapshot of the cluster metadata: it loads the
// whole prefix at one revision and then applies the watch's events in
// revision order.
type Cache struct {
	store *Store
	log   *slog.Logger

	mu      sync.Mutex
	snap    *Snapshot
	changed chan struct{}
}

// NewCache loads the current metadata and keeps it current until ctx ends.
func NewCache(ctx context.Context, store *Store, log *slog.Logger) (*Cache, error) {
	c := &Cache{store: store, log: log, changed: make(chan struct{})}
	snap, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	c.snap = snap
	go c.run(ctx)
	return c, nil
}

// Current returns the latest snapshot and a channel closed when a newer
// one is published.
func (c *Cache) Current() (*Snapshot, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap, c.changed
}

// Snapshot returns the latest snapshot.
func (c *Cache) Snapshot() *Snapshot {
	s, _ := c.Current()
	return s
}

// WaitFor waits until cond holds for the current snapshot or ctx ends.
func (c *Cache) WaitFor(ctx context.Context, cond func(*Snapshot) bool) (*Snapshot, error) {
	for {
		s, ch := c.Current()
		if cond(s) {
			return s, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
}

// WaitRev waits until the snapshot has caught up with revision rev, so a
// process sees its own writes.
func (c *Cache) WaitRev(ctx context.Context, rev int64) (*Snapshot, error) {
	return c.WaitFor(ctx, func(s *Snapshot) bool { return s.Rev >= rev })
}

// Sync waits until the snapshot has caught up with etcd's current
// revision, so that the caller sees everything written before the call, its
// own writes included.
func (c *Cache) Sync(ctx context.Context) (*Snapshot, error) {
	// A linearizable read returns the store's current revision.
	resp, err := c.store.cli.Get(ctx, c.store.prefix, clientv3.WithCountOnly())
	if err != nil {
		return nil, fmt.Errorf("read metadata revision: %w", err)
	}
	s, err := c.WaitRev(ctx, resp.Header.Revision)
	if err != nil {
		return nil, fmt.Errorf("wait for metadata cache to reach revision %d: %w", resp.Header.Revision, err)
	}
	return s, nil
}

func (c *Cache) publish(s *Snapshot) {
	c.mu.Lock()
	c.snap = s
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *Cache) load(ctx context.Context) (*Snapshot, error) {
	resp, err := c.store.cli.Get(ctx, c.store.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("load cluster metadata: %w", err)
	}
	b := newBuilder(emptySnapshot(), c.log)
	for _, kv := range resp.Kvs {
		b.apply(string(kv.Key[len(c.store.prefix):]), kv.Value, kv.CreateRevision, kv.ModRevision)
	}
	return b.finish(resp.Header.Revision), nil
}

func (c *Cache) run(ctx context.Context) {
	for ctx.Err() == nil {
		rev := c.Snapshot().Rev
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := c.store.cli.Watch(wctx, c.store.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		c.consume(ctx, wch)
		cancel()
		if ctx.Err() != nil {
			return
		}
		// The watch ended (compaction, lost leader, connection): reload
		// and watch again after a pause.
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		snap, err := c.load(ctx)
		if err != nil {
			c.log.Warn("reload cluster metadata", "err", err)
			continue
		}
		c.publish(snap)
	}
}

func (c *Cache) consume(ctx context.Context, wch clientv3.WatchChan) {
	for resp := range wch {
		if err := resp.Err(); err != nil {
			if ctx.Err() == nil {
				c.log.Warn("metadata watch ended", "err", err)
			}
			return
		}
		if len(resp.Events) == 0 {
			continue
		}
		b := newBuilder(c.Snapshot(), c.log)
		for _, ev := range resp.Events {
			var val []byte
			if ev.Type == mvccpb.PUT {
				val = ev.Kv.Value
				if val == nil {
					val = []byte{}
				}
			}
			b.apply(string(ev.Kv.Key[len(c.store.prefix):]), val, ev.Kv.CreateRevision, ev.Kv.ModRevision)
		}
		c.publish(b.finish(resp.Header.Revision))
	}
}
