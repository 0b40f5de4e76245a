package controller

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/cmd/internal/auth"
	"github.com/tannin-db/tannin/cmd/internal/cluster"
)

// This file is Pinot's user management REST API
// (PinotAccessControlUserRestletResource) and its /auth endpoints
// (PinotControllerAuthResource), plus POST /auth/token for bearer tokens.
// Who may call what is in access.go.

// maxUserBytes bounds a user config document.
const maxUserBytes = 64 << 10

// initAuth builds the controller's authenticator when authentication is
// on (deps.AuthSecret set).
func (c *Controller) initAuth() error {
	if c.deps.AuthSecret == nil {
		return nil
	}
	cache := c.deps.Cache
	a, err := auth.New(auth.Config{Secret: c.deps.AuthSecret, Component: auth.Controller,
		Users: func() map[string]*auth.User { return cache.Snapshot().Users },
		Guard: c.cfg.AuthGuard, Now: c.cfg.Now})
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	c.auth = a
	return nil
}

// userRoutes registers the /users and /auth routes.
func (c *Controller) userRoutes(h func(string, func(http.ResponseWriter, *http.Request) error)) {
	h("GET /auth/info", c.authInfo)
	h("GET /auth/verify", c.authVerify)
	h("POST /auth/token", c.authToken)
	h("GET /users", c.listUsers)
	h("POST /users", c.addUser)
	h("GET /users/{username}", c.getUser)
	h("PUT /users/{username}", c.updateUser)
	h("DELETE /users/{username}", c.deleteUser)
}

// authInfo is Pinot's GET /auth/info: the login workflow the console
// follows.
func (c *Controller) authInfo(w http.ResponseWriter, r *http.Request) error {
	wf := "NONE"
	if c.auth != nil {
		wf = "BASIC"
	}
	return writeJSON(w, http.StatusOK, map[string]string{"workflow": wf})
}

// authVerify is Pinot's GET /auth/verify: 200 and true when the
// Authorization header is valid (always, with authentication off), else
// 401. With ?tableName= it also checks ?accessType= (READ by default;
// CREATE, UPDATE and DELETE are WRITE) on that table: 403 when missing.
func (c *Controller) authVerify(w http.ResponseWriter, r *http.Request) error {
	if c.auth == nil {
		return writeJSON(w, http.StatusOK, true)
	}
	u := c.auth.Check(w, r, auth.Controller, c.authFailed)
	if u == nil {
		return nil
	}
	if t := r.URL.Query().Get("tableName"); t != "" {
		a := auth.Read
		switch at := strings.ToUpper(r.URL.Query().Get("accessType")); at {
		case "", "READ":
		case "CREATE", "UPDATE", "DELETE":
			a = auth.Write
		default:
			return errorf(http.StatusBadRequest, "accessType %q: want READ, CREATE, UPDATE or DELETE", at)
		}
		if msg := tableAccess(u, a, t); msg != "" {
			return errorf(http.StatusForbidden, "%s", msg)
		}
	}
	return writeJSON(w, http.StatusOK, true)
}

// tokenResponse is POST /auth/token's answer.
type tokenResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresAt int64  `json:"expiresAt"` // Unix ms
	Username  string `json:"username"`
	Component string `json:"component"`
}

// authToken issues a bearer token for Basic credentials. ?component=BROKER
// issues one for the broker (and Flight SQL): the credentials are then
// checked against the user's BROKER record.
func (c *Controller) authToken(w http.ResponseWriter, r *http.Request) error {
	if c.auth == nil {
		return errorf(http.StatusBadRequest, "authentication is off: there are no tokens to issue")
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Basic") {
		auth.Unauthorized(w, r, "POST /auth/token needs Basic credentials (a token cannot renew itself)", c.authFailed)
		return nil
	}
	comp := auth.Controller
	if s := r.URL.Query().Get("component"); s != "" {
		cc, err := auth.ParseComponent(s)
		if err != nil {
			return errorf(http.StatusBadRequest, "%v", err)
		}
		comp = cc
	}
	u := auth.UserFrom(r.Context())
	if comp != auth.Controller {
		if u = c.auth.Check(w, r, comp, c.authFailed); u == nil {
			return nil
		}
	}
	tok, exp, err := c.auth.IssueToken(u)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, tokenResponse{Token: tok, TokenType: "Bearer", ExpiresAt: exp.UnixMilli(),
		Username: u.Name, Component: string(u.Component)})
}

// listUsers is GET /users: {"users": {"<name>_<COMPONENT>": config}},
// passwords as their bcrypt hashes, as Pinot answers.
func (c *Controller) listUsers(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"users": c.deps.Cache.Snapshot().UserConfigs})
}

// componentParam reads the required ?component= of a user route.
func componentParam(r *http.Request) (auth.Component, error) {
	s := r.URL.Query().Get("component")
	if s == "" {
		return "", errorf(http.StatusBadRequest, "query parameter component is required: CONTROLLER, BROKER or SERVER")
	}
	c, err := auth.ParseComponent(s)
	if err != nil {
		return "", errorf(http.StatusBadRequest, "%v", err)
	}
	return c, nil
}

// getUser is GET /users/{username}?component=: {"<name>_<COMPONENT>":
// config}. Pinot answers a missing user with null; Tannin with 404.
func (c *Controller) getUser(w http.ResponseWriter, r *http.Request) error {
	comp, err := componentParam(r)
	if err != nil {
		return err
	}
	key := auth.Key(r.PathValue("username"), comp)
	cfg := c.deps.Cache.Snapshot().UserConfigs[key]
	if cfg == nil {
		return errorf(http.StatusNotFound, "User %s does not exist", key)
	}
	return writeJSON(w, http.StatusOK, map[string]*auth.UserConfig{key: cfg})
}

func readUser(w http.ResponseWriter, r *http.Request) (*auth.UserConfig, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUserBytes))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "read user config: %v", err)
	}
	u, err := auth.ParseUserConfig(body)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return u, nil
}

// addUser is POST /users: the password in the body is plain and stored
// hashed.
func (c *Controller) addUser(w http.ResponseWriter, r *http.Request) error {
	u, err := readUser(w, r)
	if err != nil {
		return err
	}
	if err := u.HashConfig(false); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	ctx := r.Context()
	if err := c.deps.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, cluster.ErrExists) {
			return errorf(http.StatusConflict, "User %s already exists", u.Key())
		}
		return fmt.Errorf("add user %s: %w", u.Key(), err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("user added", "user", u.Key(), "role", u.Role)
	return ok(w, "User %s has been successfully added!", u.Key())
}

// updateUser is PUT /users/{username}?component=&passwordChanged=. With
// passwordChanged=true the body's password is plain and is hashed. Without
// it Pinot stores the body's password as is, expecting the hash it
// answered on GET; Tannin keeps a hash as is, keeps the stored one when
// the password is empty, and hashes anything else rather than store a
// plain password.
func (c *Controller) updateUser(w http.ResponseWriter, r *http.Request) error {
	comp, err := componentParam(r)
	if err != nil {
		return err
	}
	key := auth.Key(r.PathValue("username"), comp)
	changed := false
	if s := r.URL.Query().Get("passwordChanged"); s != "" {
		if changed, err = strconv.ParseBool(s); err != nil {
			return errorf(http.StatusBadRequest, "passwordChanged %q: want true or false", s)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUserBytes))
	if err != nil {
		return errorf(http.StatusBadRequest, "read user config: %v", err)
	}
	snap := c.deps.Cache.Snapshot()
	old := snap.UserConfigs[key]
	if old == nil {
		return errorf(http.StatusNotFound, "Request user %s does not exist", key)
	}
	u, err := auth.DecodeUserConfig(body)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if u.Password == "" && !changed {
		u.Password = old.Password
	}
	if err := u.Validate(); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if u.Key() != key {
		return errorf(http.StatusBadRequest, "Request user %s does not match %s in the Request body", key, u.Key())
	}
	if err := u.HashConfig(!changed); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if old.Role == string(auth.Admin) && u.Role != string(auth.Admin) {
		if err := c.keepAnAdmin(snap, key); err != nil {
			return err
		}
	}
	ctx := r.Context()
	if err := c.deps.Store.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "Request user %s does not exist", key)
		}
		return fmt.Errorf("update user %s: %w", key, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("user updated", "user", key, "role", u.Role, "passwordChanged", changed || u.Password != old.Password)
	return ok(w, "User config update for %s", key)
}

// deleteUser is DELETE /users/{username}?component=.
func (c *Controller) deleteUser(w http.ResponseWriter, r *http.Request) error {
	comp, err := componentParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("username")
	key := auth.Key(name, comp)
	snap := c.deps.Cache.Snapshot()
	if old := snap.UserConfigs[key]; old != nil && old.Role == string(auth.Admin) {
		if err := c.keepAnAdmin(snap, key); err != nil {
			return err
		}
	}
	ctx := r.Context()
	if err := c.deps.Store.DeleteUser(ctx, name, comp); err != nil {
		if errors.Is(err, cluster.ErrNotFound) {
			return errorf(http.StatusNotFound, "User %s does not exists", key)
		}
		return fmt.Errorf("delete user %s: %w", key, err)
	}
	if _, err := c.deps.Cache.Sync(ctx); err != nil {
		return err
	}
	c.log.Info("user deleted", "user", key)
	return ok(w, "User: %s has been successfully deleted", key)
}

// keepAnAdmin refuses to remove the last CONTROLLER admin while
// authentication is on: nobody could manage users any more.
func (c *Controller) keepAnAdmin(snap *cluster.Snapshot, key string) error {
	if c.auth == nil || !strings.HasSuffix(key, "_"+string(auth.Controller)) {
		return nil
	}
	for k, u := range snap.UserConfigs {
		if k != key && u.Component == string(auth.Controller) && u.Role == string(auth.Admin) {
			return nil
		}
	}
	return errorf(http.StatusConflict, "%s is the last CONTROLLER ADMIN: add another admin first", key)
}
