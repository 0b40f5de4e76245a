package deploy_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The subset of the Compose specification that compose.yaml uses, decoded
// strictly like the Kubernetes manifests; top-level x- extension fields
// (YAML anchors for the shared parts) are allowed.

type composeFile struct {
	Name       string                     `yaml:"name"`
	Services   map[string]*composeService `yaml:"services"`
	Volumes    map[string]*composeVolume  `yaml:"volumes"`
	Extensions map[string]any             `yaml:",inline"`
}

type composeVolume struct {
	Driver string `yaml:"driver"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	ReadOnly        bool     `yaml:"read_only"`
	Tmpfs           []string `yaml:"tmpfs"`
	Restart         string   `yaml:"restart"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Command         []string `yaml:"command"`
	Expose          []string `yaml:"expose"`
	Ports           []string `yaml:"ports"`
	Volumes         []string `yaml:"volumes"`
	DependsOn       map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

// mounts are the service's volume mounts (named volume -> path) and tmpfs
// paths (name "").
func (s *composeService) mounts() []composeMount {
	var out []composeMount
	for _, v := range s.Volumes {
		name, p, _ := strings.Cut(v, ":")
		out = append(out, composeMount{volume: name, path: p})
	}
	for _, p := range s.Tmpfs {
		out = append(out, composeMount{path: p})
	}
	return out
}

type composeMount struct{ volume, path string }

// interpolate resolves ${VAR:-default} as Compose does with VAR unset.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}`).ReplaceAllString(s, "$1")
}

func loadCompose(t *testing.T) *composeFile {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := decodeStrict(data, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for k := range f.Extensions {
		if !strings.HasPrefix(k, "x-") {
			t.Fatalf("compose.yaml: unknown top-level field %q", k)
		}
	}
	if len(f.Services) == 0 {
		t.Fatal("compose.yaml: no services")
	}
	for _, s := range f.Services {
		s.Image = interpolate(s.Image)
	}
	return &f
}

// startOrder orders the services so that each comes after what it
// depends on.
func startOrder(t *testing.T, f *composeFile) []string {
	t.Helper()
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, chain []string)
	visit = func(name string, chain []string) {
		switch state[name] {
		case 1:
			t.Fatalf("compose.yaml: depends_on cycle %v", append(chain, name))
		case 2:
			return
		}
		state[name] = 1
		for _, dep := range keys(f.Services[name].DependsOn) {
			if f.Services[dep] == nil {
				t.Fatalf("compose.yaml: %s depends on %s: no such service", name, dep)
			}
			visit(dep, append(chain, name))
		}
		state[name] = 2
		order = append(order, name)
	}
	for _, name := range keys(f.Services) {
		visit(name, nil)
	}
	return order
}

// healthURL is the URL a service's healthcheck probes.
func healthURL(s *composeService) (string, bool) {
	hc := s.Healthcheck
	if hc == nil || len(hc.Test) != 3 || hc.Test[0] != "CMD" || hc.Test[1] != binDir+"healthcheck" {
		return "", false
	}
	return hc.Test[2], true
}

func TestCompose(t *testing.T) {
	f := loadCompose(t)
	bins := readDockerfile(t).binaries()
	order := startOrder(t, f)

	roles := map[string]int{}
	builds := 0
	usedVolumes := map[string]bool{}
	hostPorts := map[string]string{}
	for _, name := range order {
		s := f.Services[name]
		where := "service " + name
		checkArgv(t, where, s.Command, bins)
		if len(s.Command) == 0 {
			continue
		}
		role := roleOf(s.Command)
		roles[role]++
		if s.Image != image {
			t.Errorf("%s: image %q, want %q", where, s.Image, image)
		}
		if s.Build != nil {
			builds++
			ctx := filepath.Join(".", s.Build.Context)
			if _, err := os.Stat(filepath.Join(ctx, "go.mod")); err != nil {
				t.Errorf("%s: build context %s is not the module root: %v", where, s.Build.Context, err)
			}
			if got, _ := filepath.Abs(filepath.Join(ctx, s.Build.Dockerfile)); got != mustAbs(t, "Dockerfile") {
				t.Errorf("%s: builds %s, want deploy/Dockerfile", where, s.Build.Dockerfile)
			}
		}
		if !s.ReadOnly || !slices.Contains(s.Tmpfs, "/tmp") {
			t.Errorf("%s: want read_only with a tmpfs on /tmp", where)
		}

		// Published ports: loopback only, of a port the service listens on.
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if len(parts) != 3 || parts[0] != "127.0.0.1" {
				t.Errorf("%s: port %q: publish as 127.0.0.1:HOST:CONTAINER", where, p)
				continue
			}
			if !slices.Contains(s.Expose, parts[2]) {
				t.Errorf("%s: port %q: container port %s is not in expose %v", where, p, parts[2], s.Expose)
			}
			if other, dup := hostPorts[parts[1]]; dup {
				t.Errorf("%s: host port %s is published by %s too", where, parts[1], other)
			}
			hostPorts[parts[1]] = name
		}

		// Volumes exist; paths in flags lie on a mount (read_only).
		var paths []string
		for _, m := range s.mounts() {
			paths = append(paths, m.path)
			if m.volume == "" {
				continue
			}
			if _, ok := f.Volumes[m.volume]; !ok {
				t.Errorf("%s: volume %q is not declared under volumes", where, m.volume)
			}
			usedVolumes[m.volume] = true
		}
		for _, a := range s.Command[1:] {
			if p, ok := pathOf(a); ok && underMount(p, paths) == "" {
				t.Errorf("%s: argument %q names %s, on no volume or tmpfs of the read-only container (mounts %v)", where, a, p, paths)
			}
		}

		// Dependencies: healthy ones have a health check; every role waits
		// for a healthy etcd.
		for dep, d := range s.DependsOn {
			switch d.Condition {
			case "service_healthy":
				if f.Services[dep].Healthcheck == nil {
					t.Errorf("%s: waits for %s to be healthy, which has no healthcheck", where, dep)
				}
			case "service_started", "service_completed_successfully":
			default:
				t.Errorf("%s: depends_on %s: condition %q", where, dep, d.Condition)
			}
		}
		if role != "etcd" && s.DependsOn["etcd"].Condition != "service_healthy" {
			t.Errorf("%s: does not wait for a healthy etcd", where)
		}

		// The health check: the image's healthcheck binary on /health of a
		// port the service listens on.
		u, ok := healthURL(s)
		m := regexp.MustCompile(`^http://127\.0\.0\.1:(\d+)/health$`).FindStringSubmatch(u)
		if !ok || m == nil {
			t.Errorf("%s: healthcheck %v: want [CMD %shealthcheck http://127.0.0.1:PORT/health]", where, s.Healthcheck, binDir)
		} else if !slices.Contains(s.Expose, m[1]) {
			t.Errorf("%s: healthcheck port %s is not in expose %v", where, m[1], s.Expose)
		}

		// Addresses of other services name an exposed port; -host is the
		// service's own name, which the others resolve.
		for _, a := range s.Command[1:] {
			for _, m := range regexp.MustCompile(`://([a-z0-9-]+):(\d+)`).FindAllStringSubmatch(a, -1) {
				if o := f.Services[m[1]]; o == nil || !slices.Contains(o.Expose, m[2]) {
					t.Errorf("%s: %q: no service %s exposing %s", where, a, m[1], m[2])
				}
			}
			if flag, v, _ := argValue(a); flag == "host" && v != name {
				t.Errorf("%s: -host=%s, want the service name %s", where, v, name)
			}
		}
	}
	if builds != 1 {
		t.Errorf("%d services build the image, want 1 (the others run it)", builds)
	}
	for v := range f.Volumes {
		if !usedVolumes[v] {
			t.Errorf("volume %s is declared but never mounted", v)
		}
	}
	if want := map[string]int{"etcd": 1, "controller": 1, "broker": 1, "server": 2}; !maps.Equal(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
}

// TestComposeDeepStore checks that the controller and the servers share one
// named volume at the -deep-store path.
func TestComposeDeepStore(t *testing.T) {
	f := loadCompose(t)
	vols := map[string]string{}
	for name, s := range f.Services {
		role := roleOf(s.Command)
		if role != "controller" && role != "server" {
			continue
		}
		var dir string
		for _, a := range s.Command {
			if flag, _, _ := argValue(a); flag == "deep-store" {
				dir, _ = pathOf(a)
			}
		}
		for _, m := range s.mounts() {
			if m.path == dir && m.volume != "" {
				vols[name] = m.volume
			}
		}
		if vols[name] == "" {
			t.Errorf("service %s: no named volume at its deep store %q", name, dir)
		}
	}
	if len(vols) != 3 {
		t.Fatalf("deep store volumes %v: want the controller and both servers", vols)
	}
	for name, v := range vols {
		if v != vols["controller"] {
			t.Errorf("service %s keeps its deep store on %s, the controller on %s", name, v, vols["controller"])
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
