package auth

import (
	"fmt"
	"os"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// ParseUsersFile decodes a users file: either a JSON array of Pinot user
// configs, or the object GET /users answers ({"users": {"<name>_<COMPONENT>":
// {...}}}), so that an export loads back. Passwords may be plain or bcrypt
// hashes; HashConfig(true) turns the plain ones into hashes.
func ParseUsersFile(data []byte) ([]*UserConfig, error) {
	v, err := strictjson.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var out []*UserConfig
	switch v.Kind {
	case strictjson.Array:
		for i, e := range v.Elems {
			u, err := userFromValue(e, strictjson.Index("", i))
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	case strictjson.Object:
		if err := strictjson.CheckKeys(v, "", []string{"users"}); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		users := v.Get("users")
		if ok, err := users.AsObject("users"); err != nil || !ok {
			return nil, fmt.Errorf("%w: users: expected an object of user configs by <name>_<COMPONENT>", ErrInvalid)
		}
		for _, m := range users.Members {
			path := strictjson.JoinKey("users", m.Key)
			u, err := userFromValue(m.Value, path)
			if err != nil {
				return nil, err
			}
			if u.Key() != m.Key {
				return nil, fmt.Errorf("%w: %s: key does not match the user's %q", ErrInvalid, strictjson.Where(path), u.Key())
			}
			out = append(out, u)
		}
	default:
		return nil, fmt.Errorf("%w: users file: expected an array of user configs or {\"users\": {...}}, got %s", ErrInvalid, v.Kind)
	}
	seen := map[string]bool{}
	for _, u := range out {
		if seen[u.Key()] {
			return nil, fmt.Errorf("%w: user %s appears twice", ErrInvalid, u.Key())
		}
		seen[u.Key()] = true
	}
	return out, nil
}

// LoadUsersFile reads and parses a users file and hashes its plain
// passwords.
func LoadUsersFile(path string) ([]*UserConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	users, err := ParseUsersFile(data)
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	for _, u := range users {
		if err := u.HashConfig(true); err != nil {
			return nil, fmt.Errorf("users file %s: %w", path, err)
		}
	}
	return users, nil
}
