package auth

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// GuardConfig sets how the brute-force guard slows a client address that
// keeps sending wrong credentials. Zero fields take the defaults.
type GuardConfig struct {
	// FreeFailures are answered at once (default 3): a mistyped password
	// costs nothing.
	FreeFailures int
	// Each further failure waits BaseDelay, doubling per failure up to
	// MaxDelay, before its 401 (defaults 250 ms, 4 s).
	BaseDelay, MaxDelay time.Duration
	// LockAfter failures in a row lock the address out for LockFor: every
	// request gets 429 with Retry-After, and each failure after the lock
	// renews it (defaults 10, 5 min).
	LockAfter int
	LockFor   time.Duration
	// Forget drops an address's failures after this long without one
	// (default 15 min).
	Forget time.Duration
	// MaxClients bounds the addresses remembered (default 10,000); the
	// least recently failing one is forgotten first.
	MaxClients int
}

func (c *GuardConfig) defaults() {
	if c.FreeFailures <= 0 {
		c.FreeFailures = 3
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = 250 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 4 * time.Second
	}
	if c.LockAfter <= 0 {
		c.LockAfter = 10
	}
	if c.LockFor <= 0 {
		c.LockFor = 5 * time.Minute
	}
	if c.Forget <= 0 {
		c.Forget = 15 * time.Minute
	}
	if c.MaxClients <= 0 {
		c.MaxClients = 10_000
	}
}

// Guard counts authentication failures per client address. It is safe for
// concurrent use; while no address has failed, its checks cost one atomic
// load.
type Guard struct {
	cfg GuardConfig
	now func() time.Time

	mu  sync.Mutex
	m   map[string]*list.Element
	lru *list.List // of *guardEntry, most recent failure first
	n   atomic.Int64
}

type guardEntry struct {
	client      string
	failures    int
	last        time.Time
	lockedUntil time.Time
}

// NewGuard returns a guard reading time from now (time.Now when nil).
func NewGuard(cfg GuardConfig, now func() time.Time) *Guard {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	return &Guard{cfg: cfg, now: now, m: map[string]*list.Element{}, lru: list.New()}
}

// Blocked returns how long client stays locked out (0 when it is not).
func (g *Guard) Blocked(client string) time.Duration {
	if g.n.Load() == 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	el := g.m[client]
	if el == nil {
		return 0
	}
	if d := el.Value.(*guardEntry).lockedUntil.Sub(g.now()); d > 0 {
		return d
	}
	return 0
}

// Failure records a failed attempt of client and returns how long to wait
// before answering it, or, when the address is now locked out, for how
// long (then delay is 0 and the answer is 429).
func (g *Guard) Failure(client string) (delay, locked time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var e *guardEntry
	if el := g.m[client]; el != nil {
		e = el.Value.(*guardEntry)
		g.lru.MoveToFront(el)
		if now.Sub(e.last) > g.cfg.Forget && !now.Before(e.lockedUntil) {
			e.failures = 0
		}
	} else {
		e = &guardEntry{client: client}
		g.m[client] = g.lru.PushFront(e)
		for g.lru.Len() > g.cfg.MaxClients {
			old := g.lru.Back()
			g.lru.Remove(old)
			delete(g.m, old.Value.(*guardEntry).client)
		}
		g.n.Store(int64(g.lru.Len()))
	}
	e.failures++
	e.last = now
	if e.failures >= g.cfg.LockAfter {
		e.lockedUntil = now.Add(g.cfg.LockFor)
		return 0, g.cfg.LockFor
	}
	extra := e.failures - g.cfg.FreeFailures
	if extra <= 0 {
		return 0, 0
	}
	d := g.cfg.BaseDelay
	for i := 1; i < extra && d < g.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, g.cfg.MaxDelay), 0
}

// Success forgets client's failures.
func (g *Guard) Success(client string) {
	if g.n.Load() == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if el := g.m[client]; el != nil {
		g.lru.Remove(el)
		delete(g.m, client)
		g.n.Store(int64(g.lru.Len()))
	}
}

// Len is the number of addresses remembered.
func (g *Guard) Len() int { return int(g.n.Load()) }

// ClientAddr is the guard's key for a request's remote address: the IP
// without the port, and for IPv6 its /64 network, which one client
// usually holds whole. Forwarded-for headers are ignored: a client sets
// them freely.
func ClientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
