// Package auth authenticates requests to Tannin's controller, broker and
// Flight SQL endpoints and decides what a principal may do, in the shape of
// Apache Pinot's basic-auth access control (ZkBasicAuthAccessControl).
//
// # Users
//
// A user record is Pinot's UserConfig JSON:
//
//	{"username": "analyst", "password": "...", "component": "BROKER",
//	 "role": "USER", "tables": ["events"], "permissions": ["READ"]}
//
// There is one record per user name and component (CONTROLLER, BROKER,
// SERVER), named "<username>_<COMPONENT>" (Key); a controller checks
// CONTROLLER records, a broker BROKER records. Role ADMIN may do
// everything. Role USER has per-table access: "permissions" READ grants
// Read, any of CREATE/UPDATE/DELETE grants Write; "tables" empty or
// holding "ALL" means every table, "excludeTables" are taken out. A table
// listed by raw name covers its OFFLINE and REALTIME tables. Passwords are
// stored as bcrypt hashes (HashPassword); the records live in etcd
// (cluster/users.go) and reach every process through the metadata watch.
// ParseUserConfig decodes the JSON strictly; NewUser compiles a stored
// record into a *User, whose CanRead / CanWrite / IsAdmin answer in a map
// lookup.
//
// # Credentials
//
// An Authenticator checks an Authorization header value:
//
//   - Basic user:password — a bcrypt check (tens of milliseconds), then
//     remembered in a bounded cache keyed by an HMAC of the header, so a
//     client that sends Basic with every query pays bcrypt once. A cached
//     entry holds the *User it verified; when the user's record changes,
//     the snapshot holds a new *User and the entry no longer matches.
//   - Bearer tn1.… — a self-verifying token (token.go): HMAC-SHA256 under
//     the cluster secret over the component, user, expiry and a
//     fingerprint of the user's password hash. Any controller or broker
//     verifies it without shared sessions; a password change revokes it.
//   - Bearer tni.… — the cluster-internal credential (InternalCredential),
//     derived from the cluster secret: whatever can read etcd is a member
//     of the cluster. Servers send it on the segment completion calls.
//
// Check wraps this for HTTP: 401 with `WWW-Authenticate: Basic
// realm="Tannin"`, and a Guard that slows an address that keeps failing
// (growing delay, then 429 with Retry-After) and forgets it on success.
//
// Authorization is the caller's: a handler takes the principal from the
// request context (WithUser, UserFrom) and asks CanRead(table) or
// CanWrite(table); the broker does so after resolving a query's table and
// before planning it.
//
// Nothing here logs, and no error message carries a password, a hash or a
// token.
package auth
