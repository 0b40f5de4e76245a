package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// ErrInvalid marks a user config that does not parse or validate; the
// message says which field and why, never the password.
var ErrInvalid = errors.New("invalid user config")

// Component is the role a user record authenticates against: Pinot keeps
// one record per user and component, so "admin" of the controller and
// "admin" of the broker are two records with their own password.
type Component string

// Components Tannin serves. Pinot also has MINION, which Tannin has no role
// for.
const (
	Controller Component = "CONTROLLER"
	Broker     Component = "BROKER"
	Server     Component = "SERVER"
)

// Components lists the valid components in Pinot's order.
var Components = []Component{Controller, Broker, Server}

// ParseComponent accepts a component name in any case, as Pinot does.
func ParseComponent(s string) (Component, error) {
	c := Component(strings.ToUpper(strings.TrimSpace(s)))
	if slices.Contains(Components, c) {
		return c, nil
	}
	if s == "" {
		return "", fmt.Errorf("%w: component is missing; want CONTROLLER, BROKER or SERVER", ErrInvalid)
	}
	return "", fmt.Errorf("%w: component %q; want CONTROLLER, BROKER or SERVER", ErrInvalid, s)
}

// Role is Pinot's RoleType.
type Role string

// Roles: ADMIN may do everything; USER what its permissions and tables
// allow.
const (
	Admin     Role = "ADMIN"
	PlainUser Role = "USER"
)

// Access is what a request does to a table. Pinot's CREATE, UPDATE and
// DELETE permissions all grant Write.
type Access uint8

// Access kinds.
const (
	Read Access = iota
	Write
)

func (a Access) String() string {
	if a == Write {
		return "WRITE"
	}
	return "READ"
}

// Pinot's AccessType values, the vocabulary of "permissions".
var permissionNames = []string{"READ", "CREATE", "UPDATE", "DELETE"}

// allTables is Pinot's marker for "every table" in a user's tables list.
const allTables = "ALL"

// UserConfig is Pinot's user JSON (UserConfig): what POST /users takes and
// GET /users returns, and the value stored in etcd. Password holds the
// plain password in a request and the bcrypt hash everywhere else.
type UserConfig struct {
	Username      string   `json:"username"`
	Password      string   `json:"password"`
	Component     string   `json:"component"`
	Role          string   `json:"role"`
	Tables        []string `json:"tables,omitempty"`
	ExcludeTables []string `json:"excludeTables,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
}

var userKeys = []string{"username", "password", "component", "role", "tables", "excludeTables", "permissions"}

// Key is the name of a user record: Pinot's usernameWithComponent,
// "<username>_<COMPONENT>", which is also its etcd key below users/.
func Key(username string, c Component) string { return username + "_" + string(c) }

// Key returns the record's name.
func (u *UserConfig) Key() string { return Key(u.Username, Component(u.Component)) }

// ParseUserConfig decodes and validates a user JSON strictly: an unknown
// field is an error naming it; component, role and permissions are
// accepted in any case and stored upper-case, as Pinot does.
func ParseUserConfig(data []byte) (*UserConfig, error) {
	u, err := DecodeUserConfig(data)
	if err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

// DecodeUserConfig decodes a user JSON strictly without validating its
// values: a caller can fill in what the document may leave out (the
// stored password of an update) before Validate.
func DecodeUserConfig(data []byte) (*UserConfig, error) {
	v, err := strictjson.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return decodeUser(v, "")
}

func userFromValue(v *strictjson.Value, path string) (*UserConfig, error) {
	u, err := decodeUser(v, path)
	if err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

func decodeUser(v *strictjson.Value, path string) (*UserConfig, error) {
	if ok, err := v.AsObject(path); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%s: expected an object, got null", strictjson.Where(path))
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := strictjson.CheckKeys(v, path, userKeys); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	u := &UserConfig{}
	str := func(key string, dst *string) error {
		s, err := v.Get(key).AsString(strictjson.JoinKey(path, key))
		*dst = s
		return err
	}
	strs := func(key string, dst *[]string) error {
		s, err := v.Get(key).AsStrings(strictjson.JoinKey(path, key))
		*dst = s
		return err
	}
	// The password's type error must not quote its value.
	if p := v.Get("password"); !p.IsNull() {
		if p.Kind != strictjson.String {
			return nil, fmt.Errorf("%w: %s: expected a string, got %s", ErrInvalid, strictjson.Where(strictjson.JoinKey(path, "password")), p.Kind)
		}
		u.Password = p.Str
	}
	for _, err := range []error{
		str("username", &u.Username), str("component", &u.Component), str("role", &u.Role),
		strs("tables", &u.Tables), strs("excludeTables", &u.ExcludeTables), strs("permissions", &u.Permissions),
	} {
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	return u, nil
}

// Validate checks the fields and normalizes the case of component, role
// and permissions.
func (u *UserConfig) Validate() error {
	if err := ValidUsername(u.Username); err != nil {
		return err
	}
	if u.Password == "" {
		return fmt.Errorf("%w: user %q: password is missing", ErrInvalid, u.Username)
	}
	c, err := ParseComponent(u.Component)
	if err != nil {
		return fmt.Errorf("user %q: %w", u.Username, err)
	}
	u.Component = string(c)
	switch r := Role(strings.ToUpper(strings.TrimSpace(u.Role))); r {
	case Admin, PlainUser:
		u.Role = string(r)
	case "":
		return fmt.Errorf("%w: user %q: role is missing; want ADMIN or USER", ErrInvalid, u.Username)
	default:
		return fmt.Errorf("%w: user %q: role %q; want ADMIN or USER", ErrInvalid, u.Username, u.Role)
	}
	for i, p := range u.Permissions {
		up := strings.ToUpper(strings.TrimSpace(p))
		if !slices.Contains(permissionNames, up) {
			return fmt.Errorf("%w: user %q: permissions[%d] %q; want READ, CREATE, UPDATE or DELETE", ErrInvalid, u.Username, i, p)
		}
		u.Permissions[i] = up
	}
	for _, list := range [][]string{u.Tables, u.ExcludeTables} {
		for i, t := range list {
			if t = strings.TrimSpace(t); t == "" {
				return fmt.Errorf("%w: user %q: empty table name in its table lists", ErrInvalid, u.Username)
			}
			list[i] = t
		}
	}
	return nil
}

// ValidUsername checks a user name: Pinot refuses '.' and spaces; Tannin
// also refuses '/' and control characters, since the name is part of an
// etcd key, and ':' since Basic credentials split on it.
func ValidUsername(name string) error {
	if name == "" {
		return fmt.Errorf("%w: username is missing", ErrInvalid)
	}
	if len(name) > 128 {
		return fmt.Errorf("%w: username %.20q...: longer than 128 bytes", ErrInvalid, name)
	}
	for _, r := range name {
		if r == '.' || r == '/' || r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%w: username %q: contains %q ('.', '/', ':' and spaces are not allowed)", ErrInvalid, name, r)
		}
	}
	return nil
}

// bcryptCost is the work factor of new password hashes (about 50 ms on
// the build machine): Pinot's BcryptUtils default.
const bcryptCost = bcrypt.DefaultCost

// HashPassword returns the bcrypt hash of a plain password.
func HashPassword(plain string) (string, error) {
	if len(plain) > 72 {
		// bcrypt ignores bytes past 72; refusing is better than silently
		// accepting any password that shares the first 72 bytes.
		return "", fmt.Errorf("%w: password longer than 72 bytes", ErrInvalid)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(plain), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// IsHash reports whether s is a bcrypt hash ("$2a$10$..."), as stored.
func IsHash(s string) bool {
	if !strings.HasPrefix(s, "$2") {
		return false
	}
	_, err := bcrypt.Cost([]byte(s))
	return err == nil
}

// HashConfig replaces u's plain password by its bcrypt hash; a password
// that is already a hash is kept when keepHash is true (a users file or a
// GET-edit-PUT round trip carries the stored hash).
func (u *UserConfig) HashConfig(keepHash bool) error {
	if keepHash && IsHash(u.Password) {
		return nil
	}
	h, err := HashPassword(u.Password)
	if err != nil {
		return fmt.Errorf("user %q: %w", u.Username, err)
	}
	u.Password = h
	return nil
}

// User is an authenticated principal: a stored user record compiled for
// fast permission checks. Users are immutable; a changed record becomes a
// new *User, which is how cached credentials notice the change.
type User struct {
	Name      string
	Component Component
	Role      Role
	// internal marks the cluster's own processes (InternalCredential).
	internal bool
	// all is true when tables is empty or holds "ALL".
	all     bool
	tables  map[string]bool // lower-case names as listed (raw or with type)
	exclude map[string]bool
	read    bool
	write   bool
	// hash is the bcrypt hash; fp its SHA-256, bound into tokens.
	hash []byte
	fp   [32]byte
}

// NewUser compiles a stored config (password already hashed).
func NewUser(cfg *UserConfig) (*User, error) {
	c := *cfg
	c.Permissions = slices.Clone(cfg.Permissions)
	c.Tables, c.ExcludeTables = slices.Clone(cfg.Tables), slices.Clone(cfg.ExcludeTables)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !IsHash(c.Password) {
		return nil, fmt.Errorf("%w: user %q: stored password is not a bcrypt hash", ErrInvalid, c.Username)
	}
	u := &User{Name: c.Username, Component: Component(c.Component), Role: Role(c.Role), hash: []byte(c.Password)}
	u.fp = fingerprint(u.hash)
	u.all = len(c.Tables) == 0
	u.tables = map[string]bool{}
	for _, t := range c.Tables {
		if strings.EqualFold(t, allTables) {
			u.all = true
		}
		u.tables[strings.ToLower(t)] = true
	}
	u.exclude = map[string]bool{}
	for _, t := range c.ExcludeTables {
		u.exclude[strings.ToLower(t)] = true
	}
	for _, p := range c.Permissions {
		if p == "READ" {
			u.read = true
		} else {
			u.write = true
		}
	}
	return u, nil
}

// ParseStoredUser decodes a user record as stored in etcd.
func ParseStoredUser(data []byte) (*User, *UserConfig, error) {
	cfg, err := ParseUserConfig(data)
	if err != nil {
		return nil, nil, err
	}
	u, err := NewUser(cfg)
	if err != nil {
		return nil, nil, err
	}
	return u, cfg, nil
}

// IsAdmin reports whether the user may do everything.
func (u *User) IsAdmin() bool { return u != nil && (u.Role == Admin || u.internal) }

// IsInternal reports whether the principal is one of the cluster's own
// processes.
func (u *User) IsInternal() bool { return u != nil && u.internal }

// CanRead reports whether the user may query table (a raw name or a name
// with type).
func (u *User) CanRead(table string) bool { return u.Can(table, Read) }

// CanWrite reports whether the user may change table: its config, schema
// and segments.
func (u *User) CanWrite(table string) bool { return u.Can(table, Write) }

// Can reports whether the user has access a to table. A listed name with a
// type ("events_OFFLINE") covers that table only; a raw name covers both
// types, and so does an exclusion.
func (u *User) Can(table string, a Access) bool {
	if u == nil {
		return false
	}
	if u.IsAdmin() {
		return true
	}
	if (a == Read && !u.read) || (a == Write && !u.write) {
		return false
	}
	lt := strings.ToLower(table)
	raw := rawName(lt)
	if u.exclude[lt] || u.exclude[raw] {
		return false
	}
	return u.all || u.tables[lt] || u.tables[raw]
}

// CanAll reports whether the user has access a to every table, present
// and future.
func (u *User) CanAll(a Access) bool {
	if u.IsAdmin() {
		return true
	}
	if u == nil || !u.all || len(u.exclude) > 0 {
		return false
	}
	return (a == Read && u.read) || (a == Write && u.write)
}

// rawName strips a lower-case _offline or _realtime suffix.
func rawName(lower string) string {
	for _, suf := range []string{"_offline", "_realtime"} {
		if strings.HasSuffix(lower, suf) {
			return strings.TrimSuffix(lower, suf)
		}
	}
	return lower
}

func (u *User) String() string {
	if u == nil {
		return "<nobody>"
	}
	return Key(u.Name, u.Component)
}
