package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

// Instance types, as Pinot names them in instance names and tags.
const (
	TypeController = "CONTROLLER"
	TypeBroker     = "BROKER"
	TypeServer     = "SERVER"
)

// DefaultTenant is the tenant every instance and table belongs to unless
// configured otherwise.
const DefaultTenant = "DefaultTenant"

// Segment states: the targets of an assignment (Pinot's ideal state) and the
// states servers report (Pinot's external view).
const (
	StateOnline    = "ONLINE"
	StateConsuming = "CONSUMING"
	StateOffline   = "OFFLINE"
	StateError     = "ERROR"
	StateDropped   = "DROPPED"
)

// Instance is one process of the cluster, in the shape of Pinot's
// GET /instances/{name}. Its configuration lives under instances/ and stays
// until deleted; a live process also holds a key under live/ bound to its
// lease.
type Instance struct {
	// Name is Pinot-style: "Server_<host>_<port>", "Broker_<host>_<port>",
	// "Controller_<host>_<port>" with the instance's HTTP port.
	Name string `json:"instanceName"`
	Type string `json:"type"`
	Host string `json:"hostName"`
	// Port is the HTTP port: the controller's REST API, the broker's query
	// API, the server's admin API.
	Port int `json:"port"`
	// GrpcPort is the server's query-fragment port (-1 when none).
	GrpcPort int `json:"grpcPort"`
	// Tags are tenant tags: "<tenant>_OFFLINE" and "<tenant>_REALTIME" on
	// servers, "<tenant>_BROKER" on brokers.
	Tags []string `json:"tags"`
	// Enabled instances take new segments (servers) and queries (brokers).
	Enabled bool `json:"enabled"`
	// Draining servers give their segments to the others and take no new
	// ones; a drained server can be deleted.
	Draining bool `json:"draining,omitempty"`
	// StartTimeMs is set on the live/ key: when the process registered.
	StartTimeMs int64 `json:"startTimeMs,omitempty"`
}

// InstanceName builds Pinot's instance name for a type, host and port.
func InstanceName(typ, host string, port int) string {
	prefix := "Server"
	switch typ {
	case TypeBroker:
		prefix = "Broker"
	case TypeController:
		prefix = "Controller"
	}
	return prefix + "_" + host + "_" + strconv.Itoa(port)
}

// HasTag reports whether the instance carries tag.
func (in *Instance) HasTag(tag string) bool {
	for _, t := range in.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// ServerTag is the tag servers of tenant carry for tables of type typ
// ("OFFLINE" or "REALTIME").
func ServerTag(tenant, typ string) string { return tenant + "_" + typ }

// BrokerTag is the tag of tenant's brokers.
func BrokerTag(tenant string) string { return tenant + "_BROKER" }

// Segment is one sealed (or, with the realtime issue, consuming) segment's
// record: its metadata for pruning and bookkeeping, and where the file is.
type Segment struct {
	Table string // table name with type
	Meta  *segment.Meta
	// DownloadURI is where servers fetch the file: the deep store's URI of
	// the segment's key.
	DownloadURI string
	// Key is the segment's key in the deep store.
	Key        string
	PushTimeMs int64
	// Status is "DONE" for sealed segments ("IN_PROGRESS" while consuming).
	Status string
	// Partition is the stream partition a realtime segment consumes
	// ("shardId-000000000003"); its LLC name carries only the partition
	// group id.
	Partition string
	// EndOfPartition marks a realtime segment committed at the end of a
	// closed partition (a Kinesis parent shard after a split or merge):
	// no segment follows it, and the partition's children may start.
	EndOfPartition bool
	// FlushRows is a consuming segment's row threshold (Pinot's
	// segment.flush.threshold.size), decided by the controller when it
	// opens the segment so that every replica stops at the same row count
	// (autotuned per segment for size-based tables, realtime/flushsize);
	// a committed segment keeps the one it was consumed under. 0 in
	// records written before thresholds were recorded: the table's stream
	// config decides.
	FlushRows int
}

// segmentJSON is Segment's stored form; the metadata uses the segment
// file's own encoding so that bounds survive exactly.
type segmentJSON struct {
	Table       string          `json:"tableNameWithType"`
	Name        string          `json:"segmentName"`
	CRC         uint32          `json:"crc"`
	SizeBytes   int64           `json:"sizeBytes"`
	DownloadURI string          `json:"downloadUri"`
	Key         string          `json:"deepStoreKey"`
	PushTimeMs  int64           `json:"pushTimeMs"`
	Status      string          `json:"status"`
	Partition   string          `json:"streamPartition,omitempty"`
	EndOfPart   bool            `json:"endOfPartition,omitempty"`
	FlushRows   int             `json:"flushThresholdRows,omitempty"`
	Meta        json.RawMessage `json:"metadata"`
}

// MarshalJSON encodes the segment record.
func (s *Segment) MarshalJSON() ([]byte, error) {
	meta, err := immutable.MarshalMeta(s.Meta)
	if err != nil {
		return nil, err
	}
	return json.Marshal(&segmentJSON{
		Table: s.Table, Name: s.Meta.Name, CRC: s.Meta.CRC, SizeBytes: s.Meta.SizeBytes,
		DownloadURI: s.DownloadURI, Key: s.Key, PushTimeMs: s.PushTimeMs, Status: s.Status,
		Partition: s.Partition, EndOfPart: s.EndOfPartition, FlushRows: s.FlushRows, Meta: meta,
	})
}

// UnmarshalJSON decodes what MarshalJSON produced.
func (s *Segment) UnmarshalJSON(data []byte) error {
	var j segmentJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m, err := immutable.UnmarshalMeta(j.Meta)
	if err != nil {
		return fmt.Errorf("segment %q metadata: %w", j.Name, err)
	}
	m.CRC, m.SizeBytes = j.CRC, j.SizeBytes
	*s = Segment{Table: j.Table, Meta: m, DownloadURI: j.DownloadURI, Key: j.Key,
		PushTimeMs: j.PushTimeMs, Status: j.Status, Partition: j.Partition, EndOfPartition: j.EndOfPart, FlushRows: j.FlushRows}
	return nil
}

// Assignment is one segment's ideal state: the servers that should host it
// and the state each should reach (ONLINE for sealed segments).
type Assignment struct {
	Instances map[string]string `json:"instances"`
	// Rev is the etcd modification revision the assignment was read at, for
	// compare-and-swap updates; 0 for a new assignment.
	Rev int64 `json:"-"`
}

// Replicas returns the assigned instance names in sorted order.
func (a *Assignment) Replicas() []string {
	out := make([]string, 0, len(a.Instances))
	for name := range a.Instances {
		out = append(out, name)
	}
	sortStrings(out)
	return out
}

// SegmentState is what a server reports for one of its segments (Pinot's
// external view entry). It lives under the server's lease, so a dead
// server's segments drop out of routing on their own.
type SegmentState struct {
	State string `json:"state"`
	// Message says why a segment is in ERROR.
	Message string `json:"message,omitempty"`
}

// Table is a table config together with the schema it was validated with.
type Table struct {
	Config *tableconfig.TableConfig
	Raw    []byte
}

// Schema is a schema as stored.
type Schema struct {
	Schema *schema.Schema
	Raw    []byte
}

// RawTableName strips a _OFFLINE or _REALTIME suffix.
func RawTableName(name string) string {
	for _, suf := range []string{"_OFFLINE", "_REALTIME"} {
		if strings.HasSuffix(name, suf) {
			return strings.TrimSuffix(name, suf)
		}
	}
	return name
}

// TableType returns "OFFLINE" or "REALTIME" from a name with type, or "".
func TableType(nameWithType string) string {
	switch {
	case strings.HasSuffix(nameWithType, "_OFFLINE"):
		return "OFFLINE"
	case strings.HasSuffix(nameWithType, "_REALTIME"):
		return "REALTIME"
	}
	return ""
}
