package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tannin-db/tannin/deploy"
)

// The binaries, built once per test run as the Dockerfile builds them.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binaries builds the Dockerfile's packages with CGO_ENABLED=0 and returns
// the directory holding them.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the deployment's binaries; not in -short mode")
	}
	df := readDockerfile(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tannin-deploy-bin-")
		if buildErr != nil {
			return
		}
		args := append([]string{"build", "-o", buildDir + "/"}, df.packages...)
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("CGO_ENABLED=0 go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// A unit is one process of the deployment (a compose service or a pod),
// mapped onto this machine: each container port becomes a free loopback
// port, each volume a directory, each address another unit's loopback port.
type unit struct {
	name  string
	argv  []string    // as the files give it, variables substituted
	ports map[int]int // container port -> local port
	dirs  []localMount
	// hosts are the names other units reach this one by (besides the
	// addresses of the host table).
	hosts []string
}

// localMount maps a mount path onto a local directory.
type localMount struct{ path, dir string }

// target is what an address names: a unit and how the address's port maps
// onto the unit's container ports (a Service's port onto its targetPort).
type target struct {
	u     *unit
	ports map[int]int // addressed port -> container port
}

// localEnv maps the deployment onto this machine.
type localEnv struct {
	dir   string
	bin   string
	hosts map[string]target
	ips   int          // pod IPs handed out
	used  map[int]bool // local ports handed out
}

func newLocalEnv(t *testing.T) *localEnv {
	return &localEnv{dir: t.TempDir(), bin: binaries(t), hosts: map[string]target{}, used: map[int]bool{}}
}

// freePort returns a loopback port that is free now and that this
// environment has not handed out before (the kernel may offer a port again
// once its probe listener closes, before the unit it went to binds it).
func (e *localEnv) freePort(t *testing.T) int {
	t.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !e.used[p] {
			e.used[p] = true
			return p
		}
	}
}

// newUnit allocates local ports for the container ports.
func (e *localEnv) newUnit(t *testing.T, name string, argv []string, ports []int) *unit {
	u := &unit{name: name, argv: argv, ports: map[int]int{}}
	for _, p := range ports {
		u.ports[p] = e.freePort(t)
	}
	return u
}

// mount maps a container path of u onto a local directory, shared by every
// unit that mounts the same key.
func (e *localEnv) mount(t *testing.T, u *unit, key, mountPath string) {
	dir := filepath.Join(e.dir, "volumes", key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u.dirs = append(u.dirs, localMount{path: mountPath, dir: dir})
}

var hostPortRE = regexp.MustCompile(`([A-Za-z0-9][A-Za-z0-9.-]*):(\d+)`)

// localArgv rewrites u's command line for this machine: the binary from the
// build, paths onto the mounted directories, addresses onto loopback ports,
// the unit's own names and 0.0.0.0 onto 127.0.0.1. Flag names stay as
// they are: that is what the test is about.
func (e *localEnv) localArgv(t *testing.T, u *unit) []string {
	t.Helper()
	out := []string{filepath.Join(e.bin, path.Base(u.argv[0]))}
	for _, a := range u.argv[1:] {
		name, v, ok := argValue(a)
		if !ok {
			out = append(out, a) // tannin's subcommand
			continue
		}
		prefix := a[:len(a)-len(v)]
		out = append(out, prefix+e.localValue(t, u, name, v))
	}
	return out
}

func (e *localEnv) localValue(t *testing.T, u *unit, flag, v string) string {
	t.Helper()
	if p, ok := pathOf("-x=" + v); ok {
		var mounts []string
		for _, d := range u.dirs {
			mounts = append(mounts, d.path)
		}
		m := underMount(p, mounts)
		if m == "" {
			t.Fatalf("%s: -%s=%s: path on no volume", u.name, flag, v)
		}
		for _, d := range u.dirs {
			if d.path == m {
				local := filepath.Join(d.dir, strings.TrimPrefix(p, m))
				return strings.Replace(v, p, local, 1)
			}
		}
	}
	own := func(port int) int {
		lp, ok := u.ports[port]
		if !ok {
			t.Fatalf("%s: -%s=%s: port %d is not one of its container ports %v", u.name, flag, v, port, u.ports)
		}
		return lp
	}
	if slices.Contains(u.hosts, v) || v == "0.0.0.0" {
		return "127.0.0.1"
	}
	if strings.HasSuffix(flag, "port") {
		p, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s: -%s=%s: not a port", u.name, flag, v)
		}
		return strconv.Itoa(own(p))
	}
	v = hostPortRE.ReplaceAllStringFunc(v, func(hp string) string {
		m := hostPortRE.FindStringSubmatch(hp)
		port, _ := strconv.Atoi(m[2])
		switch host := m[1]; {
		case host == "0.0.0.0" || host == "127.0.0.1" || host == "localhost" || slices.Contains(u.hosts, host):
			return fmt.Sprintf("127.0.0.1:%d", own(port))
		default:
			tg, ok := e.hosts[host]
			if !ok {
				t.Fatalf("%s: -%s: address %s names no service of the deployment", u.name, flag, hp)
			}
			cp, ok := tg.ports[port]
			if !ok {
				t.Fatalf("%s: -%s: %s has no port %d", u.name, flag, host, port)
			}
			return fmt.Sprintf("127.0.0.1:%d", tg.u.ports[cp])
		}
	})
	for h := range e.hosts {
		if regexp.MustCompile(`(^|[^A-Za-z0-9.-])` + regexp.QuoteMeta(h) + `($|[^A-Za-z0-9.-])`).MatchString(v) {
			t.Fatalf("%s: -%s=%s names %s without a port", u.name, flag, v, h)
		}
	}
	return v
}

// proc is a started unit.
type proc struct {
	u    *unit
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// tail is the end of the output, for failure messages.
func (s *syncBuffer) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b.Bytes()
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func (e *localEnv) start(t *testing.T, u *unit) *proc {
	t.Helper()
	argv := e.localArgv(t, u)
	p := &proc{u: u, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", u.name, err)
	}
	t.Logf("started %s: %s", u.name, strings.Join(argv, " "))
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitFor polls check until it succeeds; it fails the test when the
// process exits first or after timeout.
func (p *proc) waitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before %s: %v\n%s", p.u.name, p.err, what, err, p.out.tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s after %v: %v\n%s", p.u.name, what, timeout, err, p.out.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM, as Docker and the kubelet do, and expects a clean
// exit within the grace period.
func (p *proc) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("stop %s: %v", p.u.name, err)
		return
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exited with %v after SIGTERM\n%s", p.u.name, p.err, p.out.tail())
		}
	case <-time.After(grace):
		t.Errorf("%s still runs %v after SIGTERM\n%s", p.u.name, grace, p.out.tail())
	}
}

// httpOK answers nil when GET url returns 200.
func httpOK(url string) error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

func getJSON(url string, v any) error {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// clusterView is what the controller reports of the cluster.
type clusterView struct {
	Info struct {
		ClusterName string `json:"clusterName"`
		Leader      string `json:"leader"`
		Instance    string `json:"instance"`
		IsLeader    bool   `json:"isLeader"`
	}
	Live []string
}

func readCluster(controllerURL string) (clusterView, error) {
	var v clusterView
	if err := getJSON(controllerURL+"/cluster/info", &v.Info); err != nil {
		return v, err
	}
	var live struct {
		Instances []string `json:"instances"`
	}
	err := getJSON(controllerURL+"/liveinstances", &live)
	v.Live = live.Instances
	slices.Sort(v.Live)
	return v, err
}

// instanceName is the name a role registers under: Pinot's
// <Type>_<host>_<port>, the port being the HTTP (admin) one.
func instanceName(u *unit) string {
	role := roleOf(u.argv)
	var port int
	for _, a := range u.argv {
		if flag, v, _ := argValue(a); flag == "port" || flag == "admin-port" {
			port, _ = strconv.Atoi(v)
		}
	}
	typ := map[string]string{"controller": "Controller", "broker": "Broker", "server": "Server"}[role]
	return fmt.Sprintf("%s_127.0.0.1_%d", typ, u.ports[port])
}

// TestValidateFlags runs every role's command line from the compose file
// and the manifests with -validate: the binaries accept exactly the flags
// the files pass. (etcd has no -validate; the cluster tests run it.)
func TestValidateFlags(t *testing.T) {
	ce := newLocalEnv(t)
	_, byName := composeUnits(t, ce, loadCompose(t))
	ke := newLocalEnv(t)
	var units []*unit
	for _, name := range keys(byName) {
		units = append(units, byName[name])
	}
	for _, p := range k8sPods(t, ke, loadManifests(t), 1) {
		units = append(units, p.u)
	}
	tested := 0
	for _, u := range units {
		if roleOf(u.argv) == "etcd" {
			continue
		}
		e := ce
		if _, ok := byName[u.name]; !ok {
			e = ke
		}
		argv := e.localArgv(t, u)
		for _, tc := range []struct {
			name  string
			extra []string
			code  int
		}{
			{"the files' flags", []string{"-validate"}, 0},
			{"an unknown flag", []string{"-no-such-flag=1", "-validate"}, 2},
		} {
			var out bytes.Buffer
			cmd := exec.Command(argv[0], append(slices.Clone(argv[1:]), tc.extra...)...)
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("%s, %s: %s exited %d, want %d\n%s", u.name, tc.name, strings.Join(cmd.Args, " "), code, tc.code, out.String())
			}
			if tc.code == 0 && !strings.Contains(out.String(), "flags are valid") {
				t.Errorf("%s: -validate printed %q", u.name, out.String())
			}
		}
		tested++
	}
	if tested != 7 {
		t.Errorf("validated %d command lines, want 7: the 4 of the compose roles, the 3 of the pods' roles", tested)
	}
}

// hostsOf registers the addresses that name u with the local environment.
// A unit registers under its own names with its container ports.
func (e *localEnv) hostsOf(u *unit) {
	id := map[int]int{}
	for p := range u.ports {
		id[p] = p
	}
	for _, h := range u.hosts {
		if _, taken := e.hosts[h]; !taken {
			e.hosts[h] = target{u: u, ports: id}
		}
	}
}

// composeUnit maps a compose service.
func (e *localEnv) composeUnit(t *testing.T, name string, s *composeService) *unit {
	var ports []int
	for _, p := range s.Expose {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("service %s: expose %q", name, p)
		}
		ports = append(ports, n)
	}
	u := e.newUnit(t, name, s.Command, ports)
	u.hosts = []string{name}
	for i, m := range s.mounts() {
		key := "compose/" + m.volume
		if m.volume == "" {
			key = fmt.Sprintf("compose/%s-tmpfs-%d", name, i)
		}
		e.mount(t, u, key, m.path)
	}
	return u
}

// podUnit maps replica i of a workload: variables from the downward API,
// claims shared by claim name, claim templates and emptyDirs per pod.
func (e *localEnv) podUnit(t *testing.T, w workload, i int) *unit {
	c := w.pod.Spec.Containers[0]
	pod := fmt.Sprintf("%s-%d", w.meta.Metadata.Name, i)
	e.ips++
	ip := fmt.Sprintf("10.244.0.%d", e.ips) // what the downward API would give
	vars := map[string]string{}
	for _, ev := range c.Env {
		switch {
		case ev.ValueFrom == nil:
			vars[ev.Name] = ev.Value
		case ev.ValueFrom.FieldRef.FieldPath == "metadata.name":
			vars[ev.Name] = pod
		case ev.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			vars[ev.Name] = "tannin"
		case ev.ValueFrom.FieldRef.FieldPath == "status.podIP":
			vars[ev.Name] = ip
		default:
			t.Fatalf("%s: env %s: no local value for fieldPath %s", w, ev.Name, ev.ValueFrom.FieldRef.FieldPath)
		}
	}
	var argv []string
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		argv = append(argv, regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(a, func(ref string) string {
			return vars[ref[2:len(ref)-1]]
		}))
	}
	var ports []int
	for _, p := range c.Ports {
		ports = append(ports, p.ContainerPort)
	}
	u := e.newUnit(t, pod, argv, ports)
	u.hosts = []string{ip}
	if w.meta.Kind == "StatefulSet" {
		u.hosts = append(u.hosts, pod+"."+w.ServiceName)
	}
	templates := map[string]bool{}
	for _, vct := range w.VolumeClaimTemplates {
		templates[vct.Metadata.Name] = true
	}
	for _, m := range c.VolumeMounts {
		key := "pods/" + pod + "/" + m.Name
		if templates[m.Name] {
			key = "claims/" + m.Name + "-" + pod
		}
		for _, v := range w.pod.Spec.Volumes {
			if v.Name == m.Name && v.PersistentVolumeClaim != nil {
				key = "claims/" + v.PersistentVolumeClaim.ClaimName
			}
		}
		e.mount(t, u, key, m.MountPath)
	}
	return u
}

// composeUnits maps every compose service; order is the start order.
func composeUnits(t *testing.T, e *localEnv, f *composeFile) ([]string, map[string]*unit) {
	order := startOrder(t, f)
	units := map[string]*unit{}
	for _, name := range order {
		units[name] = e.composeUnit(t, name, f.Services[name])
		e.hostsOf(units[name])
	}
	return order, units
}

// pod is a mapped replica of a workload.
type pod struct {
	u *unit
	c container
	w workload
}

// k8sPods maps up to maxReplicas pods of each workload, etcd first, and
// registers each Service as the address of the first pod it selects, at
// its target port.
func k8sPods(t *testing.T, e *localEnv, objs []object, maxReplicas int) []pod {
	var pods []pod
	for _, w := range workloads(objs) {
		n := 1
		if w.Replicas != nil {
			n = *w.Replicas
		}
		for i := range min(n, maxReplicas) {
			p := pod{u: e.podUnit(t, w, i), c: w.pod.Spec.Containers[0], w: w}
			e.hostsOf(p.u)
			pods = append(pods, p)
		}
	}
	for name, s := range services(objs) {
		for _, p := range pods {
			if !selects(s.Selector, p.w.pod.Metadata.Labels) {
				continue
			}
			ports := map[int]int{}
			for _, sp := range s.Ports {
				cp, _ := containerPort(p.c, sp.TargetPort)
				ports[sp.Port] = cp
			}
			e.hosts[name] = target{u: p.u, ports: ports}
			break
		}
	}
	slices.SortStableFunc(pods, func(a, b pod) int {
		ea, eb := roleOf(a.u.argv) == "etcd", roleOf(b.u.argv) == "etcd"
		switch {
		case ea && !eb:
			return -1
		case eb && !ea:
			return 1
		}
		return 0
	})
	return pods
}

// TestComposeCluster starts the compose services as local processes, in
// depends_on order, waiting on their health checks (run with the image's
// healthcheck binary) as Compose does; then checks that they form one
// cluster and stop cleanly on SIGTERM.
func TestComposeCluster(t *testing.T) {
	e := newLocalEnv(t)
	f := loadCompose(t)
	order, units := composeUnits(t, e, f)
	healthy := func(name string) func() error {
		u := units[name]
		url, ok := healthURL(f.Services[name])
		if !ok {
			t.Fatalf("service %s: no healthcheck", name)
		}
		argv := []string{filepath.Join(e.bin, "healthcheck"), e.localValue(t, u, "healthcheck", url)}
		return func() error {
			out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, out)
			}
			return nil
		}
	}
	procs := map[string]*proc{}
	for _, name := range order {
		for dep, d := range f.Services[name].DependsOn {
			if d.Condition == "service_healthy" {
				procs[dep].waitFor(t, "healthy", 90*time.Second, healthy(dep))
			}
		}
		procs[name] = e.start(t, units[name])
	}
	for _, name := range order {
		procs[name].waitFor(t, "healthy", 90*time.Second, healthy(name))
	}

	var want []string
	var controller *unit
	for _, name := range order {
		u := units[name]
		switch roleOf(u.argv) {
		case "etcd":
			continue
		case "controller":
			controller = u
		}
		want = append(want, instanceName(u))
	}
	slices.Sort(want)
	curl := fmt.Sprintf("http://127.0.0.1:%d", controller.ports[9000])
	procs["controller"].waitFor(t, "showing every instance live", 30*time.Second, func() error {
		v, err := readCluster(curl)
		switch {
		case err != nil:
			return err
		case v.Info.ClusterName != "tannin" || !v.Info.IsLeader:
			return fmt.Errorf("cluster info %+v: want cluster tannin led by the only controller", v.Info)
		case !slices.Equal(v.Live, want):
			return fmt.Errorf("live instances %v, want %v", v.Live, want)
		}
		return nil
	})

	broker := units["broker"]
	burl := fmt.Sprintf("http://127.0.0.1:%d", broker.ports[8099])
	loadAndQuery(t, e, procs["broker"], curl, burl)

	for _, name := range slices.Backward(order) {
		procs[name].stop(t, 30*time.Second)
	}
}

// loadAndQuery creates the quickstart table through the controller, builds
// segments of it with `tannin ingest`, uploads them (the controller puts
// them in the deep store volume), and queries them through the broker until
// both servers answer with every row: the servers found the segments in
// the volume they share with the controller.
func loadAndQuery(t *testing.T, e *localEnv, broker *proc, controllerURL, brokerURL string) {
	t.Helper()
	post := func(url, contentType string, body io.Reader) {
		t.Helper()
		resp, err := http.Post(url, contentType, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %s: %s", url, resp.Status, msg)
		}
	}
	post(controllerURL+"/schemas", "application/json", bytes.NewReader(deploy.QuickstartSchema))
	post(controllerURL+"/tables", "application/json", bytes.NewReader(deploy.QuickstartTableConfig))

	const rows, perSegment = 200, 50
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("userID,productName,color,department,product,campaign,price,creationTime\n")
	var sum float64
	for i := range rows {
		price := float64(i%40) + 0.5
		sum += price
		fmt.Fprintf(&csv, "u%d,p%d,red,d%d,q%d,c%d,%.1f,2024-05-01 10:%02d:%02d\n", i%7, i, i%3, i%5, i%4, price, i/60, i%60)
	}
	input := filepath.Join(dir, "rows.csv")
	schemaFile, tableFile := filepath.Join(dir, "schema.json"), filepath.Join(dir, "table.json")
	for f, data := range map[string][]byte{input: []byte(csv.String()), schemaFile: deploy.QuickstartSchema, tableFile: deploy.QuickstartTableConfig} {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	segDir := filepath.Join(dir, "segments")
	ingest := exec.Command(filepath.Join(e.bin, "tannin"), "ingest", "-schema="+schemaFile, "-table="+tableFile,
		"-out="+segDir, "-rows-per-segment="+strconv.Itoa(perSegment), input)
	if out, err := ingest.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(ingest.Args, " "), err, out)
	}
	segs, _ := filepath.Glob(filepath.Join(segDir, "*.tseg"))
	if len(segs) != rows/perSegment {
		t.Fatalf("tannin ingest wrote %d segments, want %d", len(segs), rows/perSegment)
	}
	for _, seg := range segs {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, err := mw.CreateFormFile(filepath.Base(seg), filepath.Base(seg))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
		mw.Close()
		post(controllerURL+"/v2/segments?tableName=webTransactions&tableType=OFFLINE", mw.FormDataContentType(), &body)
	}

	sql := `{"sql": "SELECT COUNT(*), SUM(price) FROM webTransactions"}`
	broker.waitFor(t, "answering over every row", 60*time.Second, func() error {
		resp, err := http.Post(brokerURL+"/query/sql", "application/json", strings.NewReader(sql))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r struct {
			ResultTable struct {
				Rows [][]float64 `json:"rows"`
			} `json:"resultTable"`
			Exceptions          []any `json:"exceptions"`
			NumServersResponded int   `json:"numServersResponded"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return fmt.Errorf("query: %s: %w", resp.Status, err)
		}
		got := r.ResultTable.Rows
		if len(r.Exceptions) > 0 || len(got) != 1 || len(got[0]) != 2 || got[0][0] != rows || got[0][1] != sum || r.NumServersResponded != 2 {
			return fmt.Errorf("query: %s: rows %v from %d servers, exceptions %v; want [[%d %v]] from 2 servers", resp.Status, got, r.NumServersResponded, r.Exceptions, rows, sum)
		}
		return nil
	})
}

// TestKubernetesCluster starts the manifests' pods as local processes (at
// most two replicas of each), etcd first as the other pods would wait for
// it in their restart loops; waits on their readiness probes and checks
// their liveness probes; checks that they form one cluster with one leading
// controller; and stops them with SIGTERM within their grace period.
func TestKubernetesCluster(t *testing.T) {
	e := newLocalEnv(t)
	pods := k8sPods(t, e, loadManifests(t), 2)
	probeURL := func(p pod, pr *probe) string {
		cp, ok := containerPort(p.c, pr.HTTPGet.Port)
		if !ok {
			t.Fatalf("%s: probe port %s", p.u.name, pr.HTTPGet.Port)
		}
		return fmt.Sprintf("http://127.0.0.1:%d%s", p.u.ports[cp], pr.HTTPGet.Path)
	}
	procs := make([]*proc, len(pods))
	for i, p := range pods {
		procs[i] = e.start(t, p.u)
		if roleOf(p.u.argv) == "etcd" {
			procs[i].waitFor(t, "ready", 90*time.Second, func() error { return httpOK(probeURL(p, p.c.ReadinessProbe)) })
		}
	}
	var want, controllers []string
	var leader *proc // a controller's process, to watch while polling
	for i, p := range pods {
		procs[i].waitFor(t, "ready", 90*time.Second, func() error { return httpOK(probeURL(p, p.c.ReadinessProbe)) })
		if err := httpOK(probeURL(p, p.c.LivenessProbe)); err != nil {
			t.Errorf("%s: liveness probe: %v", p.u.name, err)
		}
		switch roleOf(p.u.argv) {
		case "etcd":
			continue
		case "controller":
			controllers = append(controllers, fmt.Sprintf("http://127.0.0.1:%d", p.u.ports[9000]))
			leader = procs[i]
		}
		want = append(want, instanceName(p.u))
	}
	slices.Sort(want)
	if len(controllers) != 2 {
		t.Fatalf("%d controllers started, want 2", len(controllers))
	}
	leader.waitFor(t, "serving a cluster with one leader", 60*time.Second, func() error {
		leaders := map[string]bool{}
		n := 0
		for _, curl := range controllers {
			v, err := readCluster(curl)
			if err != nil {
				return err
			}
			if v.Info.ClusterName != "tannin" || !slices.Equal(v.Live, want) {
				return fmt.Errorf("controller %s: cluster %q, live %v, want tannin and %v", v.Info.Instance, v.Info.ClusterName, v.Live, want)
			}
			leaders[v.Info.Leader] = true
			if v.Info.IsLeader {
				n++
			}
		}
		if n != 1 || len(leaders) != 1 {
			return fmt.Errorf("%d controllers lead, they name %v as leader: want one", n, slices.Collect(maps.Keys(leaders)))
		}
		return nil
	})

	// Stop the roles together, as a rollout or node drain would, then etcd.
	var wg sync.WaitGroup
	for i, p := range pods {
		if roleOf(p.u.argv) == "etcd" {
			continue
		}
		grace := 30 * time.Second
		if g := p.w.pod.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		wg.Go(func() { procs[i].stop(t, grace) })
	}
	wg.Wait()
	procs[0].stop(t, 30*time.Second)
}
