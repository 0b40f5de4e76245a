package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors of Store's writes.
var (
	// ErrExists: a create found the object already there.
	ErrExists = errors.New("already exists")
	// ErrNotFound: the object is not there.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object changed since it was read; reread and retry.
	ErrConflict = errors.New("changed concurrently")
)

// Key prefixes below the cluster prefix (KEYS.md).
const (
	prefixSchemas   = "schemas/"
	prefixTables    = "tables/"
	prefixSegments  = "segments/"
	prefixAssign    = "assign/"
	prefixInstances = "instances/"
	prefixLive      = "live/"
	prefixView      = "view/"
	prefixElection  = "election/controller"
)

// Store reads and writes the cluster's metadata in etcd.
type Store struct {
	cli    *clientv3.Client
	prefix string
}

// NewStore returns a Store for cluster name on cli.
func NewStore(cli *clientv3.Client, cluster string) *Store {
	return &Store{cli: cli, prefix: "/tannin/" + cluster + "/"}
}

// Client is the etcd client underneath.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix is the cluster's key prefix.
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, "") }

func (s *Store) create(ctx context.Context, key string, val []byte) error {
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrExists
	}
	return nil
}

// createOrGet stores val at key unless the key exists, in one
// transaction, and returns the value already there (nil when val was
// stored). ErrNotFound if the key was there but deleted before it could be
// read.
func (s *Store) createOrGet(ctx context.Context, key string, val []byte) ([]byte, error) {
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return nil, err
	}
	if resp.Succeeded {
		return nil, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return nil, ErrNotFound
	}
	return kvs[0].Value, nil
}

// update overwrites an existing key.
func (s *Store) update(ctx context.Context, key string, val []byte) error {
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrNotFound
	}
	return nil
}

func (s *Store) get(ctx context.Context, key string) ([]byte, error) {
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, ErrNotFound
	}
	return resp.Kvs[0].Value, nil
}

func (s *Store) del(ctx context.Context, key string) error {
	resp, err := s.cli.Delete(ctx, key)
	if err != nil {
		return err
	}
	if resp.Deleted == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateSchema stores a new schema; ErrExists if the name is taken.
func (s *Store) CreateSchema(ctx context.Context, name string, raw []byte) error {
	return s.create(ctx, s.key(prefixSchemas, name), raw)
}

// UpdateSchema replaces an existing schema; ErrNotFound if there is none.
func (s *Store) UpdateSchema(ctx context.Context, name string, raw []byte) error {
	return s.update(ctx, s.key(prefixSchemas, name), raw)
}

// DeleteSchema removes a schema; ErrNotFound if there is none.
func (s *Store) DeleteSchema(ctx context.Context, name string) error {
	return s.del(ctx, s.key(prefixSchemas, name))
}

// CreateTable stores a new table config under its name with type.
func (s *Store) CreateTable(ctx context.Context, nameWithType string, raw []byte) error {
	return s.create(ctx, s.key(prefixTables, nameWithType), raw)
}

// UpdateTable replaces an existing table config.
func (s *Store) UpdateTable(ctx context.Context, nameWithType string, raw []byte) error {
	return s.update(ctx, s.key(prefixTables, nameWithType), raw)
}

// DeleteTable removes a table config with all its segment records and
// assignments in one transaction.
func (s *Store) DeleteTable(ctx context.Context, nameWithType string) error {
	key := s.key(prefixTables, nameWithType)
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(
			clientv3.OpDelete(key),
			clientv3.OpDelete(s.key(prefixSegments, nameWithType, "/"), clientv3.WithPrefix()),
			clientv3.OpDelete(s.key(prefixAssign, nameWithType, "/"), clientv3.WithPrefix()),
		).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrNotFound
	}
	return nil
}

// PutSegment stores a segment record and its assignment in one
// transaction. With replace false the segment must be new (ErrExists
// otherwise); with replace true an existing record is overwritten (Pinot's
// refresh of a segment by upload) and the assignment is kept if asg is nil.
func (s *Store) PutSegment(ctx context.Context, seg *Segment, asg *Assignment, replace bool) error {
	val, err := json.Marshal(seg)
	if err != nil {
		return fmt.Errorf("encode segment %q: %w", seg.Meta.Name, err)
	}
	key := s.key(prefixSegments, seg.Table, "/", seg.Meta.Name)
	ops := []clientv3.Op{clientv3.OpPut(key, string(val))}
	if asg != nil {
		av, err := json.Marshal(asg)
		if err != nil {
			return err
		}
		ops = append(ops, clientv3.OpPut(s.key(prefixAssign, seg.Table, "/", seg.Meta.Name), string(av)))
	}
	txn := s.cli.Txn(ctx)
	if !replace {
		txn = txn.If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
	}
	resp, err := txn.Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrExists
	}
	return nil
}

// DeleteSegment removes a segment's record and assignment.
func (s *Store) DeleteSegment(ctx context.Context, table, name string) error {
	key := s.key(prefixSegments, table, "/", name)
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(clientv3.OpDelete(key), clientv3.OpDelete(s.key(prefixAssign, table, "/", name))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrNotFound
	}
	return nil
}

// AssignmentChange is one segment's new ideal state, conditional on the
// revision its old one was read at (Assignment.Rev; 0 means absent).
type AssignmentChange struct {
	Table, Segment string
	Assignment     *Assignment
}

// SetAssignments applies changes in one transaction, each conditional on
// its assignment's revision; ErrConflict if any changed meanwhile.
func (s *Store) SetAssignments(ctx context.Context, changes []AssignmentChange) error {
	if len(changes) == 0 {
		return nil
	}
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, c := range changes {
		key := s.key(prefixAssign, c.Table, "/", c.Segment)
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", c.Assignment.Rev))
		val, err := json.Marshal(c.Assignment)
		if err != nil {
			return err
		}
		ops = append(ops, clientv3.OpPut(key, string(val)))
	}
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return ErrConflict
	}
	return nil
}

// PutInstance creates or replaces an instance's configuration.
func (s *Store) PutInstance(ctx context.Context, in *Instance) error {
	val, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = s.cli.Put(ctx, s.key(prefixInstances, in.Name), string(val))
	return err
}

// EnsureInstance stores in as the instance's configuration unless one is
// already there, and returns the stored one: tags and flags set through the
// REST API survive restarts, while host and ports follow the process.
func (s *Store) EnsureInstance(ctx context.Context, in *Instance) (*Instance, error) {
	key := s.key(prefixInstances, in.Name)
	val, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	existing, err := s.createOrGet(ctx, key, val)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && existing == nil:
		return in, nil // stored now, or deleted meanwhile: in stands
	case err != nil:
		return nil, err
	}
	var stored Instance
	if err := json.Unmarshal(existing, &stored); err != nil {
		return nil, fmt.Errorf("instance %q: %w", in.Name, err)
	}
	stored.Host, stored.Port, stored.GrpcPort, stored.Type = in.Host, in.Port, in.GrpcPort, in.Type
	if err := s.PutInstance(ctx, &stored); err != nil {
		return nil, err
	}
	return &stored, nil
}

// DeleteInstance removes an instance's configuration.
func (s *Store) DeleteInstance(ctx context.Context, name string) error {
	return s.del(ctx, s.key(prefixInstances, name))
}

// GetInstance reads one instance's configuration.
func (s *Store) GetInstance(ctx context.Context, name string) (*Instance, error) {
	val, err := s.get(ctx, s.key(prefixInstances, name))
	if err != nil {
		return nil, err
	}
	var in Instance
	if err := json.Unmarshal(val, &in); err != nil {
		return nil, fmt.Errorf("instance %q: %w", name, err)
	}
	return &in, nil
}

func sortStrings(s []string) { sort.Strings(s) }
