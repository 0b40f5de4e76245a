// Package layering guards the architecture: engine packages (segment,
// index, query, ingest, deepstore, stream, realtime, schema, tableconfig)
// never depend on etcd, net/http, gRPC or the role code under cmd/, so the
// engine stays embeddable and testable without a cluster (STYLE.md). The
// clients of external services (Kinesis) may use net/http's client.
package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

var engine = []string{"schema/...", "tableconfig/...", "segment/...", "index/...", "query/...", "ingest/...", "deepstore/...",
	"stream/...", "realtime/..."}

// forbidden are checked against the engine packages' own imports;
// transitive dependencies of third-party libraries (arrow-go's parquet
// reader pulls in net/http) are theirs to choose.
var forbidden = []string{
	"go.etcd.io/",
	"net/http",
	"google.golang.org/grpc",
	"github.com/tannin-db/tannin/cmd/",
}

// httpClients may import net/http: they speak to a service over HTTP.
var httpClients = []string{
	"github.com/tannin-db/tannin/stream/kinesis",
	"github.com/tannin-db/tannin/realtime/completionhttp", // the replicas' side of the commit protocol
}

// forbiddenDeps may not be reached even indirectly.
var forbiddenDeps = []string{"go.etcd.io/", "github.com/tannin-db/tannin/cmd/"}

func goList(t *testing.T, format string, deps bool) []string {
	t.Helper()
	args := []string{"list", "-f", format}
	if deps {
		args = append(args, "-deps")
	}
	for _, p := range engine {
		args = append(args, "github.com/tannin-db/tannin/"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestEngineDoesNotImportCluster(t *testing.T) {
	for _, line := range goList(t, `{{.ImportPath}}:{{join .Imports " "}}`, false) {
		pkg, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Fields(imports) {
			for _, f := range forbidden {
				if f == "net/http" && isHTTPClient(pkg) {
					continue
				}
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
	}
	for _, dep := range goList(t, "{{.ImportPath}}", true) {
		for _, f := range forbiddenDeps {
			if strings.HasPrefix(dep, f) {
				t.Errorf("an engine package depends on %s", dep)
			}
		}
	}
}

func isHTTPClient(pkg string) bool {
	for _, c := range httpClients {
		if pkg == c || strings.HasPrefix(pkg, c+"/") {
			return true
		}
	}
	return false
}
