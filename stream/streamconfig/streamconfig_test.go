package streamconfig

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/tableconfig"
)

func loadTable(t *testing.T, path string) *tableconfig.TableConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := tableconfig.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := tc.Validate(nil); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tc
}

// TestRealPinotKinesisConfigs reads real Pinot Kinesis table configs as a
// user would post them.
func TestRealPinotKinesisConfigs(t *testing.T) {
	for _, tc := range []struct {
		path     string
		topic    string
		start    StartKind
		rows     int
		sizeMode bool
		flush    time.Duration
		check    func(t *testing.T, c *Config)
	}{
		{
			path:  "../../schema/testdata/pinot/stream/pullRequestMergedEvents/pullRequestMergedEvents_kinesis_realtime_table_config.json",
			topic: "pullRequestMergedEvents", start: Earliest, rows: 100000, flush: 12 * time.Hour,
			check: func(t *testing.T, c *Config) {
				k := c.Kinesis
				if k.Region != "us-east-1" || k.Endpoint != "http://localhost:4566" || k.AccessKey != "access" || k.SecretKey != "secret" {
					t.Errorf("kinesis: %+v", k)
				}
			},
		},
		{
			path: "testdata/pinot-docs-kinesis.json", topic: "my-kinesis-stream", start: Earliest, rows: 1000000, flush: 6 * time.Hour,
			check: func(t *testing.T, c *Config) {
				if c.FetchTimeout != 30*time.Second || c.Decoder.Format != JSON || c.Kinesis.ShardIteratorType != "AFTER_SEQUENCE_NUMBER" {
					t.Errorf("config: %+v", c)
				}
			},
		},
		{
			path: "testdata/pinot-compat-kinesis.json", topic: "clicks-stream", start: Earliest, sizeMode: true, flush: 6 * time.Hour,
			check: func(t *testing.T, c *Config) {
				if c.Flush.SegmentSize != 200<<20 || c.Kinesis.RequestsPerSecond != 1 || c.Kinesis.MaxRecordsToFetch != 10000 {
					t.Errorf("config: %+v %+v", c.Flush, c.Kinesis)
				}
				if c.ServerUploadToDeepStore == nil || !*c.ServerUploadToDeepStore {
					t.Errorf("serverUploadToDeepStore: %v", c.ServerUploadToDeepStore)
				}
			},
		},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			table := loadTable(t, tc.path)
			warnings, err := Validate(table)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			c, err := Parse(table.Ingestion.StreamConfigs[0])
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(warnings, c.Warnings) && len(warnings)+len(c.Warnings) > 0 {
				t.Errorf("Validate's warnings %q differ from Parse's %q", warnings, c.Warnings)
			}
			if c.Type != Kinesis || c.Topic != tc.topic || c.Start.Kind != tc.start || c.Flush.Rows != tc.rows ||
				c.Flush.SizeBased != tc.sizeMode || c.Flush.Time != tc.flush || c.Decoder.Format != JSON {
				t.Errorf("got %+v (flush %+v, start %+v)", c, c.Flush, c.Start)
			}
			tc.check(t, c)
		})
	}
}

func TestKafkaConfigsAreRefused(t *testing.T) {
	paths, err := filepath.Glob("../../schema/testdata/pinot/stream/*/*_realtime_table_config.json")
	if err != nil || len(paths) < 5 {
		t.Fatalf("Pinot's stream examples: %v, %d files", err, len(paths))
	}
	for _, path := range paths {
		if strings.Contains(path, "kinesis") || strings.Contains(path, "upsertJsonMeetupRsvp") {
			continue // the kinesis one passes above; upsertJsonMeetupRsvp is rejected by tableconfig
		}
		table := loadTable(t, path)
		_, err := Validate(table)
		want := `table config "` + table.TableNameWithType() + `": streamConfigs: streamType: "kafka" is not supported; supported: kinesis, local`
		if err == nil || err.Error() != want || !errors.Is(err, tableconfig.ErrInvalid) {
			t.Errorf("%s: %v, want %q matching tableconfig.ErrInvalid", path, err, want)
		}
	}
}

func base() map[string]string {
	return map[string]string{
		"streamType":                "kinesis",
		"stream.kinesis.topic.name": "clicks",
		"region":                    "us-east-1",
	}
}

func with(kv ...string) map[string]string {
	m := base()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestDefaults(t *testing.T) {
	c, err := Parse(base())
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Type: Kinesis, Topic: "clicks",
		Decoder: DecoderConfig{Format: JSON},
		Start:   StartPosition{Kind: Latest},
		Flush: FlushConfig{Rows: DefaultFlushRows, SegmentSize: DefaultFlushSegmentSize,
			AutotuneInitialRows: DefaultAutotuneInitialRows, Time: 6 * time.Hour},
		Kinesis:           &KinesisConfig{Region: "us-east-1", MaxRecordsToFetch: 10000, RequestsPerSecond: 1},
		FetchTimeout:      5 * time.Second,
		ConnectionTimeout: 30 * time.Second,
		IdleTimeout:       3 * time.Minute,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    map[string]string
		want string
	}{
		{"no streamType", with("streamType", "<delete>"), `streamConfigs: streamType is missing; supported: kinesis, local`},
		{"kafka", map[string]string{"streamType": "kafka", "stream.kafka.topic.name": "t"}, `streamConfigs: streamType: "kafka" is not supported; supported: kinesis, local`},
		{"no topic", with("stream.kinesis.topic.name", "<delete>"), `streamConfigs: stream.kinesis.topic.name is missing: the name of the kinesis stream`},
		{"no region", with("region", "<delete>"), `streamConfigs: region is missing: a kinesis stream needs its AWS region, e.g. us-east-1`},
		{"bad period", with("realtime.segment.flush.threshold.time", "6x"), `streamConfigs: realtime.segment.flush.threshold.time: "6x" is not a period like 6h or 30m`},
		{"periods in the wrong order", with("realtime.segment.flush.threshold.time", "30m6h"), `streamConfigs: realtime.segment.flush.threshold.time: "30m6h" is not a period like 6h or 30m`},
		{"zero period", with("realtime.segment.flush.threshold.time", "0h"), `streamConfigs: realtime.segment.flush.threshold.time: "0h": the time threshold must be more than 0`},
		{"bad rows", with("realtime.segment.flush.threshold.rows", "1e6"), `streamConfigs: realtime.segment.flush.threshold.rows: "1e6" is not a whole number`},
		{"negative legacy rows", with("realtime.segment.flush.threshold.size", "-5"), `streamConfigs: realtime.segment.flush.threshold.size: -5: the row threshold must be 0 (size-based) or more`},
		{"bad size", with("realtime.segment.flush.threshold.segment.size", "200MiB"), `streamConfigs: realtime.segment.flush.threshold.segment.size: "200MiB" is not a size like 200M or 1.5G`},
		{"typo under stream.kinesis", with("stream.kinesis.topic.nmae", "x"), `streamConfigs: stream.kinesis.topic.nmae: unknown key; did you mean "stream.kinesis.topic.name"?`},
		{"typo in a decoder key", with("stream.kinesis.decoder.clas.name", "x"), `streamConfigs: stream.kinesis.decoder.clas.name: unknown key; did you mean "stream.kinesis.decoder.class.name"?`},
		{"typo unprefixed", with("regoin", "x"), `streamConfigs: regoin: unknown key; did you mean "region"?`},
		{"typo in a flush key", with("realtime.segment.flush.treshold.rows", "5"), `streamConfigs: realtime.segment.flush.treshold.rows: unknown key; did you mean "realtime.segment.flush.threshold.rows"?`},
		{"unrelated key", with("colour", "blue"), `streamConfigs: colour: unknown key for a kinesis stream`},
		{"kafka key in a kinesis config", with("stream.kafka.broker.list", "localhost:9092"), `streamConfigs: stream.kafka.broker.list: is a key of streamType kafka, but streamType is kinesis; keys of this stream start with stream.kinesis.`},
		{"kinesis key in a local config", map[string]string{"streamType": "local", "stream.local.topic.name": "t", "region": "x"}, `streamConfigs: region: is a Kinesis key, but streamType is local`},
		{"avro decoder", with("stream.kinesis.decoder.class.name", "org.apache.pinot.plugin.inputformat.avro.SimpleAvroMessageDecoder"),
			`streamConfigs: stream.kinesis.decoder.class.name: "org.apache.pinot.plugin.inputformat.avro.SimpleAvroMessageDecoder" is not supported; supported: org.apache.pinot.plugin.inputformat.json.JSONMessageDecoder (or json), org.apache.pinot.plugin.inputformat.csv.CSVMessageDecoder (or csv)`},
		{"kafka factory", with("stream.kinesis.consumer.factory.class.name", "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory"),
			`streamConfigs: stream.kinesis.consumer.factory.class.name: "org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory" is not supported; a kinesis stream takes org.apache.pinot.plugin.stream.kinesis.KinesisConsumerFactory (or no factory)`},
		{"iterator type", with("shardIteratorType", "OLDEST"), `streamConfigs: shardIteratorType: "OLDEST" is not one of TRIM_HORIZON, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER`},
		{"AT_TIMESTAMP without a time", with("shardIteratorType", "AT_TIMESTAMP"), `streamConfigs: shardIteratorType: AT_TIMESTAMP needs stream.kinesis.consumer.prop.auto.offset.reset set to a timestamp like 2024-05-01T00:00:00Z or a period like 2d`},
		{"contradiction", with("shardIteratorType", "TRIM_HORIZON", "stream.kinesis.consumer.prop.auto.offset.reset", "largest"),
			`streamConfigs: shardIteratorType: TRIM_HORIZON contradicts stream.kinesis.consumer.prop.auto.offset.reset "largest"; keep one of them`},
		{"bad offset reset", with("stream.kinesis.consumer.prop.auto.offset.reset", "earliest"),
			`streamConfigs: stream.kinesis.consumer.prop.auto.offset.reset: "earliest" is not smallest, largest, a period like 2d or 4h30m, or a timestamp like 2024-05-01T00:00:00Z`},
		{"too many records", with("maxRecordsToFetch", "20000"), `streamConfigs: maxRecordsToFetch: 20000: must be from 1 to 10000 (Kinesis's GetRecords limit)`},
		{"zero rps", with("requests_per_second_limit", "0"), `streamConfigs: requests_per_second_limit: "0" is not a rate above 0`},
		{"endpoint", with("endpoint", "localhost:4567"), `streamConfigs: endpoint: "localhost:4567" is not an http or https URL like http://localhost:4567`},
		{"half credentials", with("accessKey", "AKIA"), `streamConfigs: secretKey: is missing: accessKey and secretKey go together (leave both out for the AWS default credential chain)`},
		{"role without arn", with("iamRoleBasedAccessEnabled", "true"), `streamConfigs: roleArn: "" is not a role ARN like arn:aws:iam::123456789012:role/pinot (iamRoleBasedAccessEnabled is true)`},
		{"bad bool", with("realtime.segment.serverUploadToDeepStore", "yes"), `streamConfigs: realtime.segment.serverUploadToDeepStore: "yes" is not true or false`},
		{"fetch timeout", with("stream.kinesis.fetch.timeout.millis", "soon"), `streamConfigs: stream.kinesis.fetch.timeout.millis: "soon" is not a positive number of milliseconds`},
		{"csv without header", with("stream.kinesis.decoder.class.name", "org.apache.pinot.plugin.inputformat.csv.CSVMessageDecoder"),
			`streamConfigs: stream.kinesis.decoder.prop.header: is missing: a CSV stream's records carry no header line, so name the columns, e.g. "id,price,ts"`},
		{"csv prop typo", with("stream.kinesis.decoder.class.name", "csv", "stream.kinesis.decoder.prop.delimeter", ";"),
			`streamConfigs: stream.kinesis.decoder.prop.delimeter: unknown CSV decoder property; did you mean "stream.kinesis.decoder.prop.delimiter"?`},
		{"csv long delimiter", with("stream.kinesis.decoder.class.name", "csv", "stream.kinesis.decoder.prop.delimiter", "::"),
			`streamConfigs: stream.kinesis.decoder.prop.delimiter: "::" must be one character`},
		{"csv duplicate column", with("stream.kinesis.decoder.class.name", "csv", "stream.kinesis.decoder.prop.header", "a,b,a"),
			`streamConfigs: stream.kinesis.decoder.prop.header: "a,b,a": column "a" appears twice`},
		{"variance", with("realtime.segment.flush.threshold.variance.fraction", "0.5"), `streamConfigs: realtime.segment.flush.threshold.variance.fraction: "0.5" is not a fraction from 0 up to 0.5`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.m)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestStartPosition(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	reset := "stream.kinesis.consumer.prop.auto.offset.reset"
	for _, tc := range []struct {
		kv   []string
		want stream.Offset
	}{
		{nil, stream.AtTime(now.UnixMilli())},
		{[]string{"shardIteratorType", "TRIM_HORIZON"}, stream.Start},
		{[]string{"shardIteratorType", "trim_horizon", reset, "smallest"}, stream.Start},
		{[]string{"shardIteratorType", "LATEST"}, stream.AtTime(now.UnixMilli())},
		{[]string{"shardIteratorType", "LATEST", reset, "LARGEST"}, stream.AtTime(now.UnixMilli())},
		{[]string{"shardIteratorType", "AT_TIMESTAMP", reset, "2024-05-01T00:00:00Z"}, stream.AtTime(ts)},
		{[]string{"shardIteratorType", "AT_TIMESTAMP", reset, "2024-05-01T02:00:00.250+02:00"}, stream.AtTime(ts + 250)},
		{[]string{"shardIteratorType", "AT_TIMESTAMP", reset, "2d"}, stream.AtTime(now.Add(-48 * time.Hour).UnixMilli())},
		{[]string{reset, "4h30m"}, stream.AtTime(now.Add(-270 * time.Minute).UnixMilli())},
		{[]string{reset, "smallest"}, stream.Start},
		{[]string{"shardIteratorType", "AFTER_SEQUENCE_NUMBER"}, stream.Start},
		{[]string{"shardIteratorType", "AT_SEQUENCE_NUMBER", reset, "largest"}, stream.AtTime(now.UnixMilli())},
	} {
		c, err := Parse(with(tc.kv...))
		if err != nil {
			t.Fatalf("%q: %v", tc.kv, err)
		}
		if got := c.Start.Offset(now); got != tc.want {
			t.Errorf("%q: start %q (%+v), want %q", tc.kv, got, c.Start, tc.want)
		}
	}
}

func TestFlushPrecedence(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want FlushConfig
	}{
		{[]string{"realtime.segment.flush.threshold.rows", "0"},
			FlushConfig{SizeBased: true, SegmentSize: 200 << 20, AutotuneInitialRows: 100000, Time: 6 * time.Hour}},
		{[]string{"realtime.segment.flush.threshold.rows", "0", "realtime.segment.flush.threshold.segment.size", "1.5G", "realtime.segment.flush.autotune.initialRows", "5000"},
			FlushConfig{SizeBased: true, SegmentSize: 3 << 29, AutotuneInitialRows: 5000, Time: 6 * time.Hour}},
		{[]string{"realtime.segment.flush.threshold.segment.size", "100M"},
			FlushConfig{SizeBased: true, SegmentSize: 100 << 20, AutotuneInitialRows: 100000, Time: 6 * time.Hour}},
		{[]string{"realtime.segment.flush.threshold.size", "250000", "realtime.segment.flush.threshold.time", "3600000"},
			FlushConfig{Rows: 250000, RowsSharedByPartitions: true, SegmentSize: 200 << 20, AutotuneInitialRows: 100000, Time: time.Hour}},
		{[]string{"realtime.segment.flush.threshold.segment.rows", "70000", "realtime.segment.flush.threshold.time", "1d2h30m"},
			FlushConfig{Rows: 70000, SegmentSize: 200 << 20, AutotuneInitialRows: 100000, Time: 26*time.Hour + 30*time.Minute}},
		{[]string{"realtime.segment.flush.threshold.rows", "10", "realtime.segment.flush.threshold.segment.rows", "70000"},
			FlushConfig{Rows: 10, RowsSharedByPartitions: true, SegmentSize: 200 << 20, AutotuneInitialRows: 100000, Time: 6 * time.Hour}},
	} {
		c, err := Parse(with(tc.kv...))
		if err != nil {
			t.Fatalf("%q: %v", tc.kv, err)
		}
		if c.Flush != tc.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.kv, c.Flush, tc.want)
		}
	}
}

func TestCSVDecoder(t *testing.T) {
	c, err := Parse(with(
		"stream.kinesis.decoder.class.name", "org.apache.pinot.plugin.inputformat.csv.CSVMessageDecoder",
		"stream.kinesis.decoder.prop.header", "id|price|tags",
		"stream.kinesis.decoder.prop.delimiter", "|",
		"stream.kinesis.decoder.prop.multiValueDelimiter", ",",
		"stream.kinesis.decoder.prop.nullStringValue", `\N`,
		"stream.kinesis.decoder.prop.skipHeader", "false",
	))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Decoder
	if d.Format != CSV || !reflect.DeepEqual(d.CSVHeader, []string{"id", "price", "tags"}) ||
		d.CSV.Delimiter != '|' || d.CSV.MultiValueDelimiter != ',' || d.CSV.NullValue != `\N` {
		t.Fatalf("CSV decoder: %+v", d)
	}
	if want := []string{"streamConfigs: stream.kinesis.decoder.prop.skipHeader is not implemented yet and is ignored"}; !reflect.DeepEqual(c.Warnings, want) {
		t.Fatalf("warnings %q, want %q", c.Warnings, want)
	}
}

func TestWarningsAndAccepted(t *testing.T) {
	c, err := Parse(with(
		"stream.kinesis.consumer.type", "lowlevel",
		"stream.kinesis.hlc.group.id", "g",
		"stream.kinesis.consumer.prop.max.poll.records", "5",
		"metadata.populate", "true",
		"realtime.segment.offsetAutoReset.enable", "false",
		"roleArn", "arn:aws:iam::1:role/x",
		"stream.kinesis.decoder.prop.schema", "ignored",
		"topic.consumption.rate.limit", "1000.5",
		"realtime.segment.commit.timeoutSeconds", "120",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"streamConfigs: metadata.populate is not implemented yet and is ignored",
		"streamConfigs: roleArn is ignored: iamRoleBasedAccessEnabled is not true",
		"streamConfigs: stream.kinesis.consumer.prop.max.poll.records is a Kafka consumer property in Pinot; a kinesis stream ignores it",
		"streamConfigs: stream.kinesis.decoder.prop.schema is ignored: the JSON decoder takes no properties",
		"streamConfigs: stream.kinesis.hlc.group.id is not implemented yet and is ignored",
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Fatalf("warnings:\n got %q\nwant %q", c.Warnings, want)
	}
	if c.TopicRateLimit != 1000.5 || c.CommitTimeout != 2*time.Minute {
		t.Fatalf("rate %v commit timeout %v", c.TopicRateLimit, c.CommitTimeout)
	}
}

func TestIAMRole(t *testing.T) {
	c, err := Parse(with("iamRoleBasedAccessEnabled", "true", "roleArn", "arn:aws:iam::123456789012:role/pinot",
		"externalId", "ext", "sessionDurationSeconds", "3600", "asyncSessionUpdateEnabled", "false"))
	if err != nil {
		t.Fatal(err)
	}
	want := &IAMRole{RoleARN: "arn:aws:iam::123456789012:role/pinot", ExternalID: "ext", SessionDuration: time.Hour}
	if !reflect.DeepEqual(c.Kinesis.Role, want) {
		t.Fatalf("role %+v, want %+v", c.Kinesis.Role, want)
	}
}

func TestLocal(t *testing.T) {
	c, err := Parse(map[string]string{
		"streamType": "local", "stream.local.topic.name": "web-transactions", "stream.local.dir": "/tmp/s",
		"stream.local.consumer.prop.auto.offset.reset": "smallest",
		"realtime.segment.flush.threshold.rows":        "50000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != Local || c.Topic != "web-transactions" || c.Local.Dir != "/tmp/s" || c.Kinesis != nil ||
		c.Start.Offset(time.Now()) != stream.Start || c.Flush.Rows != 50000 {
		t.Fatalf("local config: %+v", c)
	}
}

func TestValidate(t *testing.T) {
	table := loadTable(t, "testdata/pinot-compat-kinesis.json")
	bad := maps.Clone(table.Ingestion.StreamConfigs[0])
	bad["realtime.segment.flush.threshold.time"] = "6x"
	table.Ingestion.StreamConfigs = append(table.Ingestion.StreamConfigs, bad)
	_, err := Validate(table)
	want := `table config "clicks_REALTIME": streamConfigs[1]: realtime.segment.flush.threshold.time: "6x" is not a period like 6h or 30m`
	if err == nil || err.Error() != want || !errors.Is(err, tableconfig.ErrInvalid) {
		t.Fatalf("Validate: %v, want %q", err, want)
	}
	table.TableType = tableconfig.Offline
	if _, err := Validate(table); err != nil {
		t.Fatalf("an OFFLINE table's configs are not checked: %v", err)
	}
}

func TestParsePeriodAndSize(t *testing.T) {
	for s, want := range map[string]time.Duration{"6h": 6 * time.Hour, "30m": 30 * time.Minute, "1d": 24 * time.Hour,
		"90s": 90 * time.Second, "4H30M": 270 * time.Minute, "1d1s": 24*time.Hour + time.Second, "21600000": 6 * time.Hour} {
		if got, err := ParsePeriod(s); err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "h", "6", "6hh", "6x", "-6h", "1h1d", "6h ", "1.5h"} {
		if s == "6" {
			continue // plain milliseconds, valid
		}
		if got, err := ParsePeriod(s); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", s, got)
		}
	}
	for s, want := range map[string]int64{"200M": 200 << 20, "200m": 200 << 20, "1.5G": 3 << 29, "40B": 40, "1024": 1024, "2KB": 2048, "1T": 1 << 40} {
		if got, err := ParseDataSize(s); err != nil || got != want {
			t.Errorf("ParseDataSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "M", "1.M", ".5M", "1..5M", "200MiB", "-1M", "1e3"} {
		if got, err := ParseDataSize(s); err == nil {
			t.Errorf("ParseDataSize(%q) = %d, want an error", s, got)
		}
	}
}
