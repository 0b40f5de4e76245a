package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bearer tokens are self-verifying, so that any controller or broker checks
// them without a session store:
//
//	tn1.<payload>.<mac>        both parts base64url without padding
//	payload = component byte len, component, user name, expiry (8 bytes, big endian, Unix ms)
//	mac     = HMAC-SHA256(cluster secret, "tannin-token-v1" || payload || SHA-256(bcrypt hash))
//
// The user's password hash enters the MAC but not the token: changing the
// password (or deleting the user) changes or removes the hash, and every
// token issued before stops verifying.
const tokenPrefix = "tn1."

const tokenDomain = "tannin-token-v1"

// internalPrefix starts the cluster-internal credential.
const internalPrefix = "tni."

// InternalName is the user name of the cluster's own processes.
const InternalName = "tannin-internal"

// Token errors (wrapped by ErrBadCredentials when authenticating).
var (
	errTokenMalformed = errors.New("malformed bearer token")
	errTokenExpired   = errors.New("bearer token expired")
	errTokenMAC       = errors.New("bearer token does not verify (wrong cluster, tampered, or the user's password changed)")
)

func fingerprint(hash []byte) [32]byte { return sha256.Sum256(hash) }

// IssueToken returns a bearer token for u valid until expires. Only users
// with a password hash get tokens (not the internal principal).
func IssueToken(secret []byte, u *User, expires time.Time) (string, error) {
	if u == nil || u.internal || len(u.hash) == 0 {
		return "", errors.New("issue token: no stored user")
	}
	payload := encodePayload(u.Component, u.Name, expires.UnixMilli())
	mac := tokenMAC(secret, payload, u.fp)
	enc := base64.RawURLEncoding
	return tokenPrefix + enc.EncodeToString(payload) + "." + enc.EncodeToString(mac), nil
}

func encodePayload(c Component, name string, expMs int64) []byte {
	b := make([]byte, 0, 1+len(c)+len(name)+8)
	b = append(b, byte(len(c)))
	b = append(b, c...)
	b = append(b, name...)
	return binary.BigEndian.AppendUint64(b, uint64(expMs))
}

func tokenMAC(secret, payload []byte, fp [32]byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenDomain))
	m.Write(payload)
	m.Write(fp[:])
	return m.Sum(nil)
}

// tokenClaims are a token's decoded payload, not yet verified.
type tokenClaims struct {
	component Component
	name      string
	expMs     int64
	payload   []byte
	mac       []byte
}

func parseToken(tok string) (*tokenClaims, error) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return nil, errTokenMalformed
	}
	p64, m64, ok := strings.Cut(rest, ".")
	if !ok || len(p64) > 512 {
		return nil, errTokenMalformed
	}
	enc := base64.RawURLEncoding
	payload, err := enc.DecodeString(p64)
	if err != nil {
		return nil, errTokenMalformed
	}
	mac, err := enc.DecodeString(m64)
	if err != nil || len(mac) != sha256.Size {
		return nil, errTokenMalformed
	}
	if len(payload) < 1+8 {
		return nil, errTokenMalformed
	}
	cl := int(payload[0])
	if len(payload) < 1+cl+8 {
		return nil, errTokenMalformed
	}
	name := string(payload[1+cl : len(payload)-8])
	if name == "" {
		return nil, errTokenMalformed
	}
	return &tokenClaims{
		component: Component(payload[1 : 1+cl]),
		name:      name,
		expMs:     int64(binary.BigEndian.Uint64(payload[len(payload)-8:])),
		payload:   payload, mac: mac,
	}, nil
}

// verify checks the claims against the user's current record.
func (c *tokenClaims) verify(secret []byte, u *User, now time.Time) error {
	if !hmac.Equal(c.mac, tokenMAC(secret, c.payload, u.fp)) {
		return errTokenMAC
	}
	if now.UnixMilli() >= c.expMs {
		return fmt.Errorf("%w at %s", errTokenExpired, time.UnixMilli(c.expMs).UTC().Format(time.RFC3339))
	}
	return nil
}

// InternalCredential is the Authorization header value the cluster's own
// processes send each other (a server's segment completion calls to the
// controller): derived from the cluster secret in etcd, so whatever can
// read etcd is trusted, and nothing else needs configuring.
func InternalCredential(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tannin-internal-v1"))
	return "Bearer " + internalPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
