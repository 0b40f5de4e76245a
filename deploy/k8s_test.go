package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The subset of the Kubernetes API that deploy/k8s uses, field names as in
// the API reference. Decoding is strict: a field outside this subset is an
// error, so a misspelt field fails here rather than in kubectl apply. A
// manifest that needs a new field adds it here, spelt as the API spells it.

type objectMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type k8sObject struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       yaml.Node  `yaml:"spec"`
}

// intOrString is the API's IntOrString: a port number or a port name.
type intOrString struct {
	num   int
	str   string
	isStr bool
}

func (v *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number or a name", n.Line)
	}
	if n.Tag == "!!int" {
		i, err := strconv.Atoi(n.Value)
		v.num = i
		return err
	}
	v.str, v.isStr = n.Value, true
	return nil
}

func (v intOrString) String() string {
	if v.isStr {
		return v.str
	}
	return strconv.Itoa(v.num)
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type serviceSpec struct {
	Type                     string            `yaml:"type"`
	ClusterIP                string            `yaml:"clusterIP"`
	PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
	Selector                 map[string]string `yaml:"selector"`
	Ports                    []servicePort     `yaml:"ports"`
}

type servicePort struct {
	Name       string      `yaml:"name"`
	Port       int         `yaml:"port"`
	TargetPort intOrString `yaml:"targetPort"`
	Protocol   string      `yaml:"protocol"`
}

type pvcSpec struct {
	AccessModes      []string `yaml:"accessModes"`
	StorageClassName *string  `yaml:"storageClassName"`
	Resources        struct {
		Requests map[string]string `yaml:"requests"`
	} `yaml:"resources"`
}

type pvcTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     pvcSpec    `yaml:"spec"`
}

type workloadSpec struct {
	Replicas *int          `yaml:"replicas"`
	Selector labelSelector `yaml:"selector"`
	Template podTemplate   `yaml:"template"`
	// Deployment
	Strategy *struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"`
	// StatefulSet
	ServiceName          string        `yaml:"serviceName"`
	PodManagementPolicy  string        `yaml:"podManagementPolicy"`
	VolumeClaimTemplates []pvcTemplate `yaml:"volumeClaimTemplates"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	AutomountServiceAccountToken  *bool `yaml:"automountServiceAccountToken"`
	EnableServiceLinks            *bool `yaml:"enableServiceLinks"`
	TerminationGracePeriodSeconds *int  `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot        *bool  `yaml:"runAsNonRoot"`
		RunAsUser           *int64 `yaml:"runAsUser"`
		RunAsGroup          *int64 `yaml:"runAsGroup"`
		FSGroup             *int64 `yaml:"fsGroup"`
		FSGroupChangePolicy string `yaml:"fsGroupChangePolicy"`
		SeccompProfile      *struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	TopologySpreadConstraints []struct {
		MaxSkew           int           `yaml:"maxSkew"`
		TopologyKey       string        `yaml:"topologyKey"`
		WhenUnsatisfiable string        `yaml:"whenUnsatisfiable"`
		LabelSelector     labelSelector `yaml:"labelSelector"`
	} `yaml:"topologySpreadConstraints"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"persistentVolumeClaim"`
		EmptyDir *struct {
			Medium    string `yaml:"medium"`
			SizeLimit string `yaml:"sizeLimit"`
		} `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	StartupProbe   *probe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             *struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
	SuccessThreshold    int `yaml:"successThreshold"`
}

type pdbSpec struct {
	MinAvailable   *intOrString  `yaml:"minAvailable"`
	MaxUnavailable *intOrString  `yaml:"maxUnavailable"`
	Selector       labelSelector `yaml:"selector"`
}

type kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Resources  []string `yaml:"resources"`
	Images     []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// object is one decoded manifest document.
type object struct {
	file string
	meta k8sObject
	spec any // *serviceSpec, *workloadSpec, *pvcSpec or *pdbSpec
}

func (o object) String() string { return o.file + ": " + o.meta.Kind + " " + o.meta.Metadata.Name }

// apiVersions are the kinds deploy/k8s may use.
var apiVersions = map[string]string{
	"Service":               "v1",
	"PersistentVolumeClaim": "v1",
	"Deployment":            "apps/v1",
	"StatefulSet":           "apps/v1",
	"PodDisruptionBudget":   "policy/v1",
}

// decodeStrict decodes YAML into v, rejecting unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// loadManifests decodes every document of k8s/*.yaml but the
// kustomization.
func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	for _, f := range files {
		if path.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			raw, err := yaml.Marshal(&doc)
			if err != nil {
				t.Fatal(err)
			}
			o := object{file: f}
			if err := decodeStrict(raw, &o.meta); err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			if want, ok := apiVersions[o.meta.Kind]; !ok || o.meta.APIVersion != want {
				t.Fatalf("%s: document %d: %s %s: want one of %v with its apiVersion", f, i, o.meta.APIVersion, o.meta.Kind, apiVersions)
			}
			switch o.meta.Kind {
			case "Service":
				o.spec = &serviceSpec{}
			case "PersistentVolumeClaim":
				o.spec = &pvcSpec{}
			case "Deployment", "StatefulSet":
				o.spec = &workloadSpec{}
			case "PodDisruptionBudget":
				o.spec = &pdbSpec{}
			}
			spec, err := yaml.Marshal(&o.meta.Spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeStrict(spec, o.spec); err != nil {
				t.Fatalf("%s: spec: %v", o, err)
			}
			if o.meta.Metadata.Name == "" {
				t.Fatalf("%s: document %d has no name", f, i)
			}
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		t.Fatal("no manifests in k8s/")
	}
	return out
}

// workload is a Deployment or StatefulSet.
type workload struct {
	object
	*workloadSpec
	pod podTemplate
}

func workloads(objs []object) []workload {
	var out []workload
	for _, o := range objs {
		if ws, ok := o.spec.(*workloadSpec); ok {
			out = append(out, workload{object: o, workloadSpec: ws, pod: ws.Template})
		}
	}
	return out
}

func services(objs []object) map[string]*serviceSpec {
	out := map[string]*serviceSpec{}
	for _, o := range objs {
		if s, ok := o.spec.(*serviceSpec); ok {
			out[o.meta.Metadata.Name] = s
		}
	}
	return out
}

func claims(objs []object) map[string]*pvcSpec {
	out := map[string]*pvcSpec{}
	for _, o := range objs {
		if s, ok := o.spec.(*pvcSpec); ok {
			out[o.meta.Metadata.Name] = s
		}
	}
	return out
}

// selects reports whether a selector picks pods with labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// containerPort resolves a probe's or a service's target port in c.
func containerPort(c container, p intOrString) (int, bool) {
	for _, cp := range c.Ports {
		if (p.isStr && cp.Name == p.str) || (!p.isStr && cp.ContainerPort == p.num) {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func TestKustomization(t *testing.T) {
	data, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := decodeStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s", k.APIVersion, k.Kind)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	var want []string
	for _, f := range files {
		if b := path.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml lists %v, the directory holds %v", got, want)
	}
	if len(k.Images) != 1 || k.Images[0].Name+":"+k.Images[0].NewTag != image || k.Images[0].NewName == "" {
		t.Errorf("kustomization.yaml images %+v: want one entry that sets %s", k.Images, image)
	}
}

// livenessPaths are each role's liveness endpoint: the server's never
// waits for its segments, etcd's ignores alarms a restart would not cure.
var livenessPaths = map[string]string{
	"controller": "/health",
	"broker":     "/health",
	"server":     "/health/liveness",
	"etcd":       "/livez",
}

// wantReplicas are the replicas the brief asks for, by role.
var wantReplicas = map[string]int{"etcd": 1, "controller": 2, "broker": 2, "server": 3}

func TestManifestWorkloads(t *testing.T) {
	objs := loadManifests(t)
	bins := readDockerfile(t).binaries()
	pvcs := claims(objs)
	roles := map[string]int{}
	for _, w := range workloads(objs) {
		t.Run(w.meta.Metadata.Name, func(t *testing.T) {
			checkWorkload(t, w, bins, pvcs, roles)
		})
	}
	for role, n := range wantReplicas {
		if roles[role] != n {
			t.Errorf("%d %s replicas, want %d", roles[role], role, n)
		}
	}
}

func checkWorkload(t *testing.T, w workload, bins map[string]string, pvcs map[string]*pvcSpec, roles map[string]int) {
	if !selects(w.Selector.MatchLabels, w.pod.Metadata.Labels) {
		t.Errorf("selector %v does not select the pod labels %v", w.Selector.MatchLabels, w.pod.Metadata.Labels)
	}
	ps := w.pod.Spec
	sc := ps.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("pod securityContext: want runAsNonRoot and a non-zero runAsUser")
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("pod mounts a service account token it never uses")
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(ps.Containers))
	}
	c := ps.Containers[0]
	argv := append(slices.Clone(c.Command), c.Args...)
	checkArgv(t, "container "+c.Name, argv, bins)
	role := roleOf(argv)
	replicas := 1
	if w.Replicas != nil {
		replicas = *w.Replicas
	}
	roles[role] += replicas
	if c.Image != image {
		t.Errorf("image %q, want %q", c.Image, image)
	}

	// Probes: readiness on /health, liveness on the role's endpoint, both
	// on a declared port.
	wantLive, ok := livenessPaths[role]
	if !ok {
		t.Errorf("role %q has no liveness endpoint in livenessPaths", role)
	}
	for _, p := range []struct {
		kind, want string
		probe      *probe
	}{{"readinessProbe", "/health", c.ReadinessProbe}, {"livenessProbe", wantLive, c.LivenessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s httpGet", p.kind)
			continue
		}
		if p.probe.HTTPGet.Path != p.want {
			t.Errorf("%s on %s, want %s", p.kind, p.probe.HTTPGet.Path, p.want)
		}
		if _, ok := containerPort(c, p.probe.HTTPGet.Port); !ok {
			t.Errorf("%s port %s is not a declared containerPort", p.kind, p.probe.HTTPGet.Port)
		}
	}

	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("no %s request", r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Errorf("no memory limit")
	}
	csc := c.SecurityContext
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL")
	}

	// $(VAR) references name variables of env.
	env := map[string]bool{}
	for _, e := range c.Env {
		env[e.Name] = true
		if e.ValueFrom != nil && (e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath == "") {
			t.Errorf("env %s: valueFrom without fieldRef", e.Name)
		}
	}
	for _, a := range argv {
		for _, m := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(a, -1) {
			if !env[m[1]] {
				t.Errorf("argument %q refers to $(%s), which env does not define", a, m[1])
			}
		}
	}

	// Volumes: every mount names a volume or a claim template; every
	// volume is mounted; claims exist; paths in flags lie on a mount (the
	// root file system is read-only).
	vols := map[string]bool{}
	for _, v := range ps.Volumes {
		vols[v.Name] = true
		switch {
		case v.PersistentVolumeClaim != nil:
			if pvcs[v.PersistentVolumeClaim.ClaimName] == nil {
				t.Errorf("volume %s: claim %q is not defined", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		case v.EmptyDir == nil:
			t.Errorf("volume %s: neither a claim nor an emptyDir", v.Name)
		}
	}
	for _, vct := range w.VolumeClaimTemplates {
		vols[vct.Metadata.Name] = true
		if len(vct.Spec.AccessModes) == 0 || vct.Spec.Resources.Requests["storage"] == "" {
			t.Errorf("volumeClaimTemplate %s: want access modes and a storage request", vct.Metadata.Name)
		}
	}
	var mounts []string
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("volumeMount %s: no such volume", m.Name)
		}
		mounted[m.Name] = true
		mounts = append(mounts, m.MountPath)
	}
	for v := range vols {
		if !mounted[v] {
			t.Errorf("volume %s is never mounted", v)
		}
	}
	if !slices.Contains(mounts, "/tmp") {
		t.Errorf("no volume on /tmp: the root file system is read-only")
	}
	for _, a := range argv[1:] {
		if p, ok := pathOf(a); ok && underMount(p, mounts) == "" {
			t.Errorf("argument %q names %s, on no volume of the read-only root file system (mounts %v)", a, p, mounts)
		}
	}
}

// pathOf returns the absolute path a flag's value names: /path or
// file:///path.
func pathOf(arg string) (string, bool) {
	_, v, ok := argValue(arg)
	if !ok {
		return "", false
	}
	v = strings.TrimPrefix(v, "file://")
	if !strings.HasPrefix(v, "/") {
		return "", false
	}
	return path.Clean(v), true
}

// underMount returns the mount path p lies under, "" if none.
func underMount(p string, mounts []string) string {
	best := ""
	for _, m := range mounts {
		if (p == m || strings.HasPrefix(p, strings.TrimSuffix(m, "/")+"/")) && len(m) > len(best) {
			best = m
		}
	}
	return best
}

func TestManifestServices(t *testing.T) {
	objs := loadManifests(t)
	ws := workloads(objs)
	svcs := services(objs)
	for name, s := range svcs {
		var picked []workload
		for _, w := range ws {
			if selects(s.Selector, w.pod.Metadata.Labels) {
				picked = append(picked, w)
			}
		}
		if len(picked) != 1 {
			t.Errorf("service %s selects %d workloads, want 1", name, len(picked))
			continue
		}
		c := picked[0].pod.Spec.Containers[0]
		for _, p := range s.Ports {
			if _, ok := containerPort(c, p.TargetPort); !ok {
				t.Errorf("service %s port %s: target port %s is not a containerPort of %s", name, p.Name, p.TargetPort, picked[0])
			}
		}
	}
	for _, w := range ws {
		if w.meta.Kind != "StatefulSet" {
			continue
		}
		s := svcs[w.ServiceName]
		switch {
		case s == nil:
			t.Errorf("%s: serviceName %q: no such service", w, w.ServiceName)
		case s.ClusterIP != "None":
			t.Errorf("%s: service %s is not headless", w, w.ServiceName)
		case !selects(s.Selector, w.pod.Metadata.Labels):
			t.Errorf("%s: service %s does not select its pods", w, w.ServiceName)
		case !s.PublishNotReadyAddresses:
			t.Errorf("%s: service %s: brokers must resolve servers that are still loading (publishNotReadyAddresses)", w, w.ServiceName)
		}
	}
	for _, o := range objs {
		pdb, ok := o.spec.(*pdbSpec)
		if !ok {
			continue
		}
		n := 0
		for _, w := range ws {
			if selects(pdb.Selector.MatchLabels, w.pod.Metadata.Labels) {
				n++
			}
		}
		if n != 1 || (pdb.MinAvailable == nil) == (pdb.MaxUnavailable == nil) {
			t.Errorf("%s selects %d workloads (want 1) or does not set exactly one of minAvailable, maxUnavailable", o, n)
		}
	}
}

// TestManifestAddresses checks the addresses the pods pass each other:
// http://<service>:<port> names a service and one of its ports, a
// StatefulSet's -host its headless service.
func TestManifestAddresses(t *testing.T) {
	objs := loadManifests(t)
	svcs := services(objs)
	n := 0
	for _, w := range workloads(objs) {
		for _, a := range w.pod.Spec.Containers[0].Args {
			for _, m := range regexp.MustCompile(`://([a-z0-9-]+):(\d+)`).FindAllStringSubmatch(a, -1) {
				n++
				s := svcs[m[1]]
				if s == nil {
					t.Errorf("%s: %q: no service %s", w, a, m[1])
					continue
				}
				if !slices.ContainsFunc(s.Ports, func(p servicePort) bool { return strconv.Itoa(p.Port) == m[2] }) {
					t.Errorf("%s: %q: service %s has no port %s", w, a, m[1], m[2])
				}
			}
			if name, v, _ := argValue(a); name == "host" && w.meta.Kind == "StatefulSet" {
				if want := "$(POD_NAME)." + w.ServiceName; v != want {
					t.Errorf("%s: -host=%s, want the pod's stable name %s", w, v, want)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no pod names another's address")
	}
}

// TestManifestDeepStore checks that the controllers and the servers share
// one ReadWriteMany claim at the -deep-store path.
func TestManifestDeepStore(t *testing.T) {
	objs := loadManifests(t)
	pvcs := claims(objs)
	users := map[string]string{} // role -> claim
	for _, w := range workloads(objs) {
		c := w.pod.Spec.Containers[0]
		role := roleOf(append(slices.Clone(c.Command), c.Args...))
		if role != "controller" && role != "server" {
			continue
		}
		var dir string
		for _, a := range c.Args {
			if name, _, _ := argValue(a); name == "deep-store" {
				dir, _ = pathOf(a)
			}
		}
		for _, m := range c.VolumeMounts {
			if m.MountPath != dir {
				continue
			}
			for _, v := range w.pod.Spec.Volumes {
				if v.Name == m.Name && v.PersistentVolumeClaim != nil {
					users[role] = v.PersistentVolumeClaim.ClaimName
				}
			}
		}
	}
	if users["controller"] == "" || users["controller"] != users["server"] {
		t.Fatalf("deep store claims by role %v: want the controllers and servers on one claim", users)
	}
	if pvc := pvcs[users["server"]]; !slices.Equal(pvc.AccessModes, []string{"ReadWriteMany"}) {
		t.Errorf("deep store claim %s: access modes %v, want ReadWriteMany", users["server"], pvc.AccessModes)
	}
}
