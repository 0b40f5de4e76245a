package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tannin-db/tannin/cmd/internal/auth"
)

// Key prefixes of authentication (KEYS.md, "Users and the cluster secret").
const (
	prefixUsers = "users/"
	keySecret   = "auth/secret"
)

// secretJSON is the stored cluster secret.
type secretJSON struct {
	HMACKey   []byte `json:"hmacKey"` // base64 in JSON
	CreatedMs int64  `json:"createdMs"`
}

// AuthSecret returns the cluster secret, creating it on first use: 32
// random bytes that key bearer tokens and the internal credential. Every
// process that calls it gets the same bytes, whoever created them.
func (s *Store) AuthSecret(ctx context.Context) ([]byte, error) {
	key := s.key(keySecret)
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate cluster secret: %w", err)
	}
	val, err := json.Marshal(secretJSON{HMACKey: fresh, CreatedMs: time.Now().UnixMilli()})
	if err != nil {
		return nil, err
	}
	existing, err := s.createOrGet(ctx, key, val)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errors.New("cluster secret: deleted while being read")
	case err != nil:
		return nil, fmt.Errorf("cluster secret: %w", err)
	case existing == nil:
		return fresh, nil
	}
	var stored secretJSON
	if err := json.Unmarshal(existing, &stored); err != nil || len(stored.HMACKey) < 16 {
		return nil, fmt.Errorf("cluster secret at %s does not decode to at least 16 bytes", key)
	}
	return stored.HMACKey, nil
}

func (s *Store) userKey(username string, c auth.Component) string {
	return s.key(prefixUsers, auth.Key(username, c))
}

// encodeUser checks that a record holds a password hash, never a plain
// password, and encodes it.
func encodeUser(cfg *auth.UserConfig) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !auth.IsHash(cfg.Password) {
		return nil, fmt.Errorf("BUG: user %s: refusing to store a password that is not a bcrypt hash", cfg.Key())
	}
	return json.Marshal(cfg)
}

// CreateUser stores a new user record (password hashed); ErrExists if the
// user already has a record for that component.
func (s *Store) CreateUser(ctx context.Context, cfg *auth.UserConfig) error {
	val, err := encodeUser(cfg)
	if err != nil {
		return err
	}
	return s.create(ctx, s.userKey(cfg.Username, auth.Component(cfg.Component)), val)
}

// UpdateUser replaces an existing user record; ErrNotFound if there is
// none.
func (s *Store) UpdateUser(ctx context.Context, cfg *auth.UserConfig) error {
	val, err := encodeUser(cfg)
	if err != nil {
		return err
	}
	return s.update(ctx, s.userKey(cfg.Username, auth.Component(cfg.Component)), val)
}

// DeleteUser removes a user record; ErrNotFound if there is none.
func (s *Store) DeleteUser(ctx context.Context, username string, c auth.Component) error {
	return s.del(ctx, s.userKey(username, c))
}

// EnsureUsers creates the records that do not exist yet and leaves the
// others alone (bootstrap from a users file or the quickstart's admin): a
// password changed through the REST API survives restarts. It returns the
// keys it created.
func (s *Store) EnsureUsers(ctx context.Context, users []*auth.UserConfig) ([]string, error) {
	var created []string
	for _, u := range users {
		err := s.CreateUser(ctx, u)
		switch {
		case err == nil:
			created = append(created, u.Key())
		case errors.Is(err, ErrExists):
		default:
			return created, fmt.Errorf("create user %s: %w", u.Key(), err)
		}
	}
	return created, nil
}

// applyUser folds a change of users/<name>_<COMPONENT> into the snapshot.
// A record that does not decode is dropped and logged by key only: the
// value holds a password hash.
func (b *snapshotBuilder) applyUser(rel string, val []byte) {
	b.top("users")
	s := b.s
	key := rel[len(prefixUsers):]
	if val == nil {
		delete(s.Users, key)
		delete(s.UserConfigs, key)
		return
	}
	u, cfg, err := auth.ParseStoredUser(val)
	if err == nil && cfg.Key() != key {
		err = fmt.Errorf("record names user %s", cfg.Key())
	}
	if err != nil {
		b.log.Error("stored user does not decode; ignoring it", "user", key, "err", err)
		delete(s.Users, key)
		delete(s.UserConfigs, key)
		return
	}
	s.Users[key] = u
	s.UserConfigs[key] = cfg
}
