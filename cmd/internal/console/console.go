package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var embedded embed.FS

const (
	// Prefix is the path under which the console's pages live.
	Prefix = "/console/"
	// assetsPath is where the embedded files are served, followed by the
	// content version and the file's path.
	assetsPath = Prefix + "assets/"
	// assetsMarker is replaced in index.html with the versioned assets
	// URL.
	assetsMarker = "{{ASSETS}}"
)

// contentTypes are set from the file name, never sniffed, so that a
// browser given nosniff runs exactly the files meant as scripts.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// csp allows this origin only: the console loads nothing from elsewhere
// and calls only the controller that served it.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console. It is immutable once built and safe for
// concurrent use.
type Handler struct {
	version string
	index   asset
	files   map[string]asset // by path under assets/, e.g. "js/main.js"
}

// New builds the handler from the embedded files: it hashes them into the
// assets' version and prepares index.html.
func New() (*Handler, error) {
	return newHandler(embedded)
}

func newHandler(fsys fs.FS) (*Handler, error) {
	root, err := fs.Sub(fsys, "assets")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	files := map[string]asset{}
	sum := sha256.New()
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("console asset %s: no content type for %q files", p, path.Ext(p))
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return fmt.Errorf("console asset %s: %w", p, err)
		}
		h := sha256.Sum256(body)
		files[p] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(h[:8]) + `"`}
		// The walk is in lexical order, so the version is stable.
		fmt.Fprintf(sum, "%s\x00%d\x00", p, len(body))
		sum.Write(body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx, ok := files["index.html"]
	if !ok {
		return nil, fmt.Errorf("console assets: index.html is missing")
	}
	delete(files, "index.html")
	version := hex.EncodeToString(sum.Sum(nil)[:6])
	body := bytes.ReplaceAll(idx.body, []byte(assetsMarker), []byte(assetsPath+version))
	if bytes.Equal(body, idx.body) {
		return nil, fmt.Errorf("console assets: index.html does not reference %s", assetsMarker)
	}
	return &Handler{
		version: version,
		index:   asset{body: body, contentType: idx.contentType, etag: `"` + version + `"`},
		files:   files,
	}, nil
}

// Version is the assets' content hash, part of their URLs.
func (h *Handler) Version() string { return h.version }

// Mount registers the console's routes on mux: / and /console/... . It
// panics if the embedded assets are broken, which the package's tests
// rule out for every build.
func Mount(mux *http.ServeMux) {
	h, err := New()
	if err != nil {
		panic("BUG: " + err.Error())
	}
	mux.Handle("GET /{$}", h)
	mux.Handle("GET "+Prefix, h)
}

// ServeHTTP serves index.html at / and at any /console/ page path (the
// application's router shows the page), and the embedded files under
// /console/assets/{version}/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	switch {
	case strings.HasPrefix(p, assetsPath):
		rest := strings.TrimPrefix(p, assetsPath)
		version, file, _ := strings.Cut(rest, "/")
		a, ok := h.files[file]
		if !ok || version != h.version {
			// An unknown file, or a file of another build (a page loaded
			// before the controller was upgraded): reloading fixes the
			// latter.
			http.Error(w, fmt.Sprintf("console asset %s not found (this build serves %s%s/)", p, assetsPath, h.version), http.StatusNotFound)
			return
		}
		// The URL changes with the content: cache it for good.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		serve(w, r, a)
	case p == "/" || p == strings.TrimSuffix(Prefix, "/") || strings.HasPrefix(p, Prefix):
		if _, file := contentTypes[path.Ext(p)]; file || path.Ext(p) == ".map" {
			// A file name (a script, a style sheet, ...) outside the
			// assets is a broken link, not a page. Page paths may hold
			// dots: instance names do (Server_127.0.0.1_8098).
			http.Error(w, fmt.Sprintf("console file %s not found", p), http.StatusNotFound)
			return
		}
		// The page names the current assets: revalidate it every time.
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		serve(w, r, h.index)
	default:
		http.NotFound(w, r)
	}
}

// serve writes an asset, answering If-None-Match with 304 and HEAD with
// headers only (http.ServeContent).
func serve(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
