package broker

import (
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/tannin-db/tannin/proto/querypb"
)

// connPool keeps one gRPC client connection per server address, shared by
// all queries (a grpc.ClientConn multiplexes concurrent calls).
type connPool struct {
	opts []grpc.DialOption

	mu    sync.RWMutex
	conns map[string]*pooledConn
}

type pooledConn struct {
	cc     *grpc.ClientConn
	client querypb.QueryClient
}

func newConnPool(maxMsg int) *connPool {
	return &connPool{
		conns: map[string]*pooledConn{},
		opts: []grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
			// Pings only while calls are active, no more often than the
			// servers' keepalive policy allows.
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
			// A restarted server is back in routing within seconds, not
			// after gRPC's default two-minute backoff.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
				MinConnectTimeout: 2 * time.Second,
			}),
		},
	}
}

// client returns the query client of a server address, creating its
// connection on first use (connections are made lazily by gRPC, so a dead
// server fails the call, not this).
func (p *connPool) client(addr string) (querypb.QueryClient, error) {
	p.mu.RLock()
	pc := p.conns[addr]
	p.mu.RUnlock()
	if pc != nil {
		return pc.client, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc = p.conns[addr]; pc != nil {
		return pc.client, nil
	}
	cc, err := grpc.NewClient(addr, p.opts...)
	if err != nil {
		return nil, err
	}
	pc = &pooledConn{cc: cc, client: querypb.NewQueryClient(cc)}
	p.conns[addr] = pc
	return pc.client, nil
}

// retain closes the connections to addresses not in keep (servers that
// left the cluster).
func (p *connPool) retain(keep map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, pc := range p.conns {
		if !keep[addr] {
			pc.cc.Close()
			delete(p.conns, addr)
		}
	}
}

// size is the number of open connections.
func (p *connPool) size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.conns)
}

// close closes every connection.
func (p *connPool) close() { p.retain(nil) }
