// Tests of the deployment files. No container engine or Kubernetes cluster
// runs here, so they check what can be checked without one:
//
//   - every YAML document of compose.yaml and k8s/*.yaml decodes strictly
//     into the subset of the Compose and Kubernetes schemas these files use
//     (a misspelt field is an error), and the structure that matters holds:
//     probes on /health on declared ports, binaries the image builds,
//     volumes that exist, selectors that select, ports on 127.0.0.1 only;
//   - the Dockerfile builds the binaries the files run, from packages that
//     exist and that .dockerignore keeps in the build context;
//   - the binaries, built as the Dockerfile builds them, accept exactly the
//     flags the files pass (-validate), and the compose services and the
//     Kubernetes pods, started as local processes with their own commands
//     (addresses, ports and volume paths mapped onto this machine), become
//     healthy and form one cluster (run_test.go).
package deploy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// image is the image every service and pod runs (kustomization.yaml's
// images entry and compose.yaml's default agree on it).
const image = "tannin:dev"

// binDir is where the Dockerfile installs the binaries.
const binDir = "/usr/local/bin/"

// dockerfile is what the tests need of deploy/Dockerfile.
type dockerfile struct {
	// args are the ARG defaults declared before the first FROM.
	args map[string]string
	// stages in order; the last is the image.
	stages []stage
	// packages are the `go build` package paths ("./cmd/server").
	packages []string
	// buildEnv is the environment the go build command sets.
	buildEnv map[string]string
}

type stage struct {
	from, name   string
	instructions []instruction
}

type instruction struct {
	cmd  string // upper case: RUN, COPY, ...
	args string
}

// readDockerfile parses deploy/Dockerfile: continuation lines joined,
// comments dropped, instructions grouped by stage.
func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := dockerfile{args: map[string]string{}, buildEnv: map[string]string{}}
	var logical []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued line: %q", cur.String())
	}
	for _, l := range logical {
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		switch {
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			st := stage{}
			for _, w := range f {
				if !strings.HasPrefix(w, "--") {
					st.from = w
					break
				}
			}
			if i := slices.Index(f, "AS"); i >= 0 && i+1 < len(f) {
				st.name = f[i+1]
			}
			df.stages = append(df.stages, st)
		case len(df.stages) == 0:
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
			}
			k, v, _ := strings.Cut(in.args, "=")
			df.args[k] = v
		default:
			st := &df.stages[len(df.stages)-1]
			st.instructions = append(st.instructions, in)
		}
	}
	for _, st := range df.stages {
		for _, in := range st.instructions {
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			if df.packages != nil {
				t.Fatal("Dockerfile: more than one go build")
			}
			pre, post, _ := strings.Cut(in.args, "go build")
			for _, w := range strings.Fields(pre) {
				if k, v, ok := strings.Cut(w, "="); ok && !strings.HasPrefix(k, "--") {
					df.buildEnv[k] = v
				}
			}
			for _, w := range strings.Fields(post) {
				if strings.HasPrefix(w, "./") {
					df.packages = append(df.packages, w)
				}
			}
		}
	}
	if len(df.packages) == 0 {
		t.Fatal("Dockerfile: no go build of ./... packages")
	}
	return df
}

// binaries are the names of the binaries the image holds, by package.
func (df dockerfile) binaries() map[string]string {
	out := map[string]string{}
	for _, p := range df.packages {
		out[path.Base(p)] = p
	}
	return out
}

// resolve expands ${NAME} with the ARG defaults.
func (df dockerfile) resolve(s string) string {
	return os.Expand(s, func(k string) string { return df.args[k] })
}

func TestDockerfile(t *testing.T) {
	df := readDockerfile(t)
	if len(df.stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a final stage", len(df.stages))
	}

	// The builder's Go is the one go.mod asks for.
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	builder := df.resolve(df.stages[0].from)
	if want := "golang:" + string(m[1]); builder != want && !strings.HasPrefix(builder, want+".") {
		t.Errorf("builder image %q, want %s (go.mod says go %s)", builder, want, m[1])
	}

	// Static, pure-Go builds of main packages that exist.
	if got := df.buildEnv["CGO_ENABLED"]; got != "0" {
		t.Errorf("go build runs with CGO_ENABLED=%q, want 0", got)
	}
	for _, p := range df.packages {
		if !isMainPackage(t, filepath.Join(repoRoot, p)) {
			t.Errorf("Dockerfile builds %s: not a main package in this repository", p)
		}
	}
	for _, want := range []string{"tannin", "controller", "broker", "server", "healthcheck"} {
		if _, ok := df.binaries()[want]; !ok {
			t.Errorf("Dockerfile does not build %s", want)
		}
	}

	// The final stage: the binaries in binDir, a numeric non-root user,
	// the ports the compose services and pods listen on.
	final := df.stages[len(df.stages)-1]
	var user string
	var exposed []string
	copiesBinaries := false
	for _, in := range final.instructions {
		switch in.cmd {
		case "USER":
			user = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) >= 2 && f[len(f)-2] == "/out/" && f[len(f)-1] == binDir {
				copiesBinaries = true
			}
		}
	}
	if !copiesBinaries {
		t.Errorf("final stage does not copy /out/ to %s", binDir)
	}
	uid, _, _ := strings.Cut(user, ":")
	if !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(uid) {
		t.Errorf("final stage USER %q: want a numeric non-root user (Kubernetes' runAsNonRoot can verify only a number)", user)
	}
	for _, p := range listenedPorts(t) {
		if !slices.Contains(exposed, p) {
			t.Errorf("port %s is listened on but not EXPOSEd (EXPOSE %v)", p, exposed)
		}
	}
}

// listenedPorts are the container ports of every pod and compose service.
func listenedPorts(t *testing.T) []string {
	var out []string
	for _, w := range workloads(loadManifests(t)) {
		for _, c := range w.pod.Spec.Containers {
			for _, p := range c.Ports {
				out = append(out, fmt.Sprint(p.ContainerPort))
			}
		}
	}
	for _, s := range loadCompose(t).Services {
		out = append(out, s.Expose...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isMainPackage reports whether dir holds non-test Go files of package main.
func isMainPackage(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?m)^package main\b`).Match(data) {
			return true
		}
	}
	return false
}

// TestDockerignore checks that the build context keeps every file the
// image's go build reads: the Go files and embedded files of every package
// of this module that the binaries depend on, and go.mod and go.sum.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			t.Fatalf(".dockerignore: exception %q: this test does not model exceptions", l)
		}
		patterns = append(patterns, strings.TrimPrefix(path.Clean(l), "/"))
	}
	df := readDockerfile(t)
	args := append([]string{"list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}`}, df.packages...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		rel, err := filepath.Rel(root, f[0])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // another module's package
		}
		for _, name := range f[1:] {
			needed = append(needed, filepath.ToSlash(filepath.Join(rel, name)))
		}
	}
	if len(needed) < 10 {
		t.Fatalf("go list found only %v", needed)
	}
	for _, p := range needed {
		for _, pat := range patterns {
			if ignored(pat, p) {
				t.Errorf(".dockerignore pattern %q excludes %s, which the image build needs", pat, p)
			}
		}
	}
}

// ignored reports whether the .dockerignore pattern excludes the file p
// (slash-separated, relative to the context root): the pattern matches p or
// one of its parent directories; "**" matches any number of path elements.
func ignored(pattern, p string) bool {
	elems := strings.Split(p, "/")
	for i := 1; i <= len(elems); i++ {
		if matchElems(strings.Split(pattern, "/"), elems[:i]) {
			return true
		}
	}
	return false
}

func matchElems(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchElems(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], name[0])
	return err == nil && ok && matchElems(pat[1:], name[1:])
}

func TestIgnoredMatcher(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{".git", ".git/config", true},
		{".git", "cmd/.git", false},
		{"**/*.test", "query/exec/exec.test", true},
		{"**/*.test", "exec.test", true},
		{"**/*.test", "query/exec/exec.go", false},
		{"testdata", "testdata/queries/a.test", true},
		{"testdata", "segment/testdata/x", false},
		{"cmd/*/main.go", "cmd/server/main.go", true},
		{"deploy/k8s", "deploy/healthcheck/main.go", false},
	} {
		if got := ignored(tc.pattern, tc.path); got != tc.want {
			t.Errorf("ignored(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

// argValue splits "-name=value" (or "--name=value").
func argValue(arg string) (name, value string, ok bool) {
	if !strings.HasPrefix(arg, "-") {
		return "", "", false
	}
	name, value, ok = strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name, value, ok
}

// checkArgv checks a command line of the files: an absolute binary of the
// image, flags written -name=value (so that each value can be checked and
// mapped on its own), and for tannin only the etcd subcommand.
func checkArgv(t *testing.T, where string, argv []string, bins map[string]string) {
	t.Helper()
	if len(argv) == 0 {
		t.Errorf("%s: no command", where)
		return
	}
	bin, ok := strings.CutPrefix(argv[0], binDir)
	if _, built := bins[bin]; !ok || !built {
		t.Errorf("%s: command %q is not a binary the Dockerfile installs in %s (%v)", where, argv[0], binDir, keys(bins))
		return
	}
	rest := argv[1:]
	if bin == "tannin" {
		if len(rest) == 0 || rest[0] != "etcd" {
			t.Errorf("%s: tannin runs %v, want the etcd subcommand", where, rest)
			return
		}
		rest = rest[1:]
	}
	for _, a := range rest {
		if _, _, ok := argValue(a); !ok {
			t.Errorf("%s: argument %q: write flags as -name=value", where, a)
		}
	}
}

// roleOf names the role a command line runs: "controller", "broker",
// "server" or "etcd".
func roleOf(argv []string) string {
	bin := path.Base(argv[0])
	if bin == "tannin" && len(argv) > 1 {
		return argv[1]
	}
	return bin
}

func keys[M ~map[string]V, V any](m M) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
