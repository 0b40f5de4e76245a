package loadbench

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestConn checks the lean client against net/http's server: a
// Content-Length answer, a chunked one, an error status, a server that
// closes, and that one connection carries many requests.
func TestConn(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Basic abc" || r.URL.Path != "/query/sql" {
			http.Error(w, "bad request line or headers", http.StatusBadRequest)
			return
		}
		switch string(body) {
		case `{"sql":"small"}`:
			w.Write([]byte(`{"rows":[]}`))
		case `{"sql":"chunked"}`:
			w.Write([]byte(big[:50_000]))
			w.(http.Flusher).Flush()
			w.Write([]byte(big[50_000:]))
		case `{"sql":"fail"}`:
			http.Error(w, "nope", http.StatusInternalServerError)
		case `{"sql":"close"}`:
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		default:
			http.Error(w, "unexpected body "+string(body), http.StatusBadRequest)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host, err := brokerHost(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{addr: host}
	defer c.close()
	ctx := context.Background()
	do := func(sql string) (string, error) {
		b, err := c.do(ctx, queryRequest(host, "Basic abc", sql), 5*time.Second)
		return string(b), err
	}
	for range 3 {
		if b, err := do("small"); err != nil || b != `{"rows":[]}` {
			t.Fatalf("small: %q, %v", b, err)
		}
		if b, err := do("chunked"); err != nil || b != big {
			t.Fatalf("chunked: %d bytes, %v", len(b), err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 6 requests, want 1", n)
	}
	if b, err := do("fail"); err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(b, "nope") {
		t.Errorf("fail: %q, %v; want HTTP 500 with the body", b, err)
	}
	if b, err := do("close"); err != nil || b != "bye" || c.c != nil {
		t.Errorf("close: %q, %v, connection kept %v", b, err, c.c != nil)
	}
	if b, err := do("small"); err != nil || b != `{"rows":[]}` {
		t.Fatalf("after close: %q, %v", b, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after the server closed one, want 2", n)
	}
}

// TestConnMalformed checks that a response that is not HTTP is an error
// naming what was wrong, not a hang or a success.
func TestConnMalformed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	replies := []string{
		"SMTP ready\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	}
	go func() {
		for _, r := range replies {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			nc.Read(buf)
			nc.Write([]byte(r))
			nc.Close()
		}
	}()
	want := []string{"status line", "header line", "neither Content-Length nor chunked", "chunk size"}
	for i, w := range want {
		c := &conn{addr: ln.Addr().String()}
		_, err := c.do(context.Background(), queryRequest(c.addr, "", "q"), 5*time.Second)
		if !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), w) {
			t.Errorf("reply %d: %v, want a malformed-response error naming %q", i, err, w)
		}
		c.close()
	}
}
