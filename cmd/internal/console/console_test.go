package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// serveMux is the console mounted as the controller mounts it, beside a
// REST route, behind a real HTTP server.
func serveMux(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tables/{table}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"OFFLINE":{}}`)
	})
	Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestIndexAndDeepLinks(t *testing.T) {
	srv := serveMux(t)
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/console/", "/console/query", "/console/tables/webTransactions", "/console/instances/Server_127.0.0.1_8098", "/console/login?next=%2Fquery"} {
		resp, body := get(t, srv.URL+p, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", p, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache (the page names the current assets)", p, cc)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", p)
		}
		want := `src="/console/assets/` + h.Version() + `/js/main.js"`
		if !strings.Contains(body, want) || strings.Contains(body, assetsMarker) {
			t.Errorf("GET %s: index does not load %s:\n%s", p, want, body)
		}
	}
	// The REST API keeps its paths: /tables/{t} is JSON, not the console.
	resp, body := get(t, srv.URL+"/tables/webTransactions", nil)
	if resp.Header.Get("Content-Type") != "application/json" || body != `{"OFFLINE":{}}` {
		t.Errorf("GET /tables/webTransactions answered %q %s", resp.Header.Get("Content-Type"), body)
	}
	// /console redirects to /console/.
	resp, _ = get(t, srv.URL+"/console", nil)
	if resp.Request.URL.Path != "/console/" || resp.StatusCode != 200 {
		t.Errorf("GET /console ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
}

func TestAssets(t *testing.T) {
	srv := serveMux(t)
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, index := get(t, srv.URL+"/", nil)
	base := "/console/assets/" + h.Version() + "/"
	want := map[string]string{
		"js/main.js":           "text/javascript; charset=utf-8",
		"js/api.js":            "text/javascript; charset=utf-8",
		"js/pages/query.js":    "text/javascript; charset=utf-8",
		"js/chart.js":          "text/javascript; charset=utf-8",
		"app.css":              "text/css; charset=utf-8",
		"favicon.svg":          "image/svg+xml",
		"js/pages/overview.js": "text/javascript; charset=utf-8",
	}
	for file, ct := range want {
		resp, body := get(t, srv.URL+base+file, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", file, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != ct {
			t.Errorf("GET %s: Content-Type %q, want %q", file, got, ct)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", file, cc)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: headers %v", file, resp.Header)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty", file)
		}
		// A revalidation with the ETag answers 304 without a body.
		r2, b2 := get(t, srv.URL+base+file, map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if r2.StatusCode != http.StatusNotModified || b2 != "" {
			t.Errorf("GET %s with If-None-Match: %d %q", file, r2.StatusCode, b2)
		}
	}
	// Every module main.js imports, and every file index.html names, is
	// served: follow the import graph from the page.
	seen := map[string]bool{}
	queue := []string{}
	for _, m := range regexp.MustCompile(`(?:src|href)="(/console/assets/[^"]+)"`).FindAllStringSubmatch(index, -1) {
		queue = append(queue, m[1])
	}
	importRE := regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^'"]*from\s+'(\.[^']+)'`)
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		resp, body := get(t, srv.URL+u, nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s (referenced by the console): status %d", u, resp.StatusCode)
			continue
		}
		if strings.HasSuffix(u, ".js") {
			dir := u[:strings.LastIndex(u, "/")+1]
			for _, m := range importRE.FindAllStringSubmatch(body, -1) {
				queue = append(queue, resolve(dir, m[1]))
			}
		}
	}
	if !seen[base+"js/pages/table.js"] || !seen[base+"js/router.js"] {
		t.Errorf("import graph from index.html misses modules: %v", seen)
	}
	// Every embedded file is reachable from the page: nothing dead ships.
	sub, _ := fs.Sub(embedded, "assets")
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "index.html" && !seen[base+p] {
			t.Errorf("embedded asset %s is not referenced by the console", p)
		}
		return err
	})
}

// resolve joins a relative module specifier to its importer's directory.
func resolve(dir, rel string) string {
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case ".":
		case "..":
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "/")
}

func TestNotFound(t *testing.T) {
	srv := serveMux(t)
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/console/assets/" + h.Version() + "/js/nope.js", // unknown file
		"/console/assets/" + h.Version() + "/",           // a directory
		"/console/assets/0123456789ab/js/main.js",        // another build's file
		"/console/assets/js/main.js",                     // no version
		"/console/app.js",                                // a file name outside assets
		"/favicon.ico",                                   // not the console's
	} {
		resp, body := get(t, srv.URL+p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404: %.80s", p, resp.StatusCode, body)
		}
		if strings.Contains(body, "<html") {
			t.Errorf("GET %s: answered the page instead of 404", p)
		}
	}
	// Only GET and HEAD.
	resp, err := http.Post(srv.URL+"/console/query", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/query: status %d, want 405", resp.StatusCode)
	}
	head, err := http.Head(srv.URL + "/console/assets/" + h.Version() + "/app.css")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 || head.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("HEAD app.css: %d %q", head.StatusCode, head.Header.Get("Content-Type"))
	}
}

func TestVersionFollowsContent(t *testing.T) {
	files := fstest.MapFS{
		"assets/index.html": {Data: []byte(`<script src="{{ASSETS}}/a.js"></script>`)},
		"assets/a.js":       {Data: []byte(`console.log(1)`)},
	}
	h1, err := newHandler(files)
	if err != nil {
		t.Fatal(err)
	}
	files["assets/a.js"] = &fstest.MapFile{Data: []byte(`console.log(2)`)}
	h2, err := newHandler(files)
	if err != nil {
		t.Fatal(err)
	}
	if h1.Version() == h2.Version() {
		t.Errorf("changed assets kept version %s", h1.Version())
	}
	// Broken asset trees are refused with the reason.
	for name, fsys := range map[string]fstest.MapFS{
		"index.html is missing":     {"assets/a.js": {Data: []byte("x")}},
		`no content type for ".md"`: {"assets/index.html": {Data: []byte("{{ASSETS}}")}, "assets/README.md": {Data: []byte("x")}},
		"does not reference":        {"assets/index.html": {Data: []byte("<p>")}},
	} {
		if _, err := newHandler(fsys); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("newHandler: error %v, want one saying %q", err, name)
		}
	}
}
