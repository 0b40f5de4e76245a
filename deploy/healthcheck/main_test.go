package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.Write([]byte("OK"))
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		case "/loading":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("server loading its segments"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/health"
	l.Close()

	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		message string // in the output
	}{
		{"healthy", []string{srv.URL + "/health"}, 0, "OK"},
		{"every URL healthy", []string{srv.URL + "/health", srv.URL + "/health"}, 0, "OK"},
		{"503", []string{srv.URL + "/loading"}, 1, "503 Service Unavailable: server loading its segments"},
		{"one of two unhealthy", []string{srv.URL + "/health", srv.URL + "/nope"}, 1, "404"},
		{"nothing listens", []string{closed}, 1, "connection refused"},
		{"too slow", []string{"-timeout=100ms", srv.URL + "/slow"}, 1, "Timeout"},
		{"bad URL", []string{"::"}, 1, "missing protocol scheme"},
		{"no URL", nil, 2, "usage"},
		{"bad timeout", []string{"-timeout=0s", srv.URL + "/health"}, 2, "usage"},
		{"unknown flag", []string{"-x", srv.URL}, 2, "not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(tc.args, &out, &out); code != tc.code {
				t.Errorf("run(%q) = %d, want %d; output:\n%s", tc.args, code, tc.code, out.String())
			}
			if !strings.Contains(out.String(), tc.message) {
				t.Errorf("run(%q) printed %q, want it to mention %q", tc.args, out.String(), tc.message)
			}
		})
	}
}
