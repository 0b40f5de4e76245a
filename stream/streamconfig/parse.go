package streamconfig

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// Pinot's class names Tannin maps to its own implementations.
const (
	kinesisFactory   = "org.apache.pinot.plugin.stream.kinesis.KinesisConsumerFactory"
	kinesisOffsets   = "org.apache.pinot.plugin.stream.kinesis.KinesisMsgOffsetFactory"
	jsonDecoder      = "org.apache.pinot.plugin.inputformat.json.JSONMessageDecoder"
	kafkaJSONDecoder = "org.apache.pinot.plugin.stream.kafka.KafkaJSONMessageDecoder"
	csvDecoder       = "org.apache.pinot.plugin.inputformat.csv.CSVMessageDecoder"
)

// Suffixes of stream.<type>.<suffix> keys (StreamConfigProperties.java).
var (
	typedImplemented = []string{"topic.name", "consumer.factory.class.name", "consumer.prop.auto.offset.reset",
		"decoder.class.name", "fetch.timeout.millis", "connection.timeout.millis", "idle.timeout.millis"}
	// typedAccepted are known to Pinot and ignored by Tannin, with a
	// warning unless the value is harmless (see warnTyped).
	typedAccepted = []string{"consumer.type", "hlc.group.id", "partition.offset.factory.class.name", "metadata.populate"}
	localOnly     = []string{"dir"}
)

// Unprefixed keys.
var (
	kinesisKeys = []string{"region", "shardIteratorType", "maxRecordsToFetch", "endpoint", "accessKey", "secretKey",
		"requests_per_second_limit", "iamRoleBasedAccessEnabled", "roleArn", "roleSessionName", "externalId",
		"sessionDurationSeconds", "asyncSessionUpdateEnabled"}
	genericImplemented = []string{"streamType",
		"realtime.segment.flush.threshold.rows", "realtime.segment.flush.threshold.size",
		"realtime.segment.flush.threshold.size.llc", "realtime.segment.flush.threshold.segment.rows",
		"realtime.segment.flush.threshold.time", "realtime.segment.flush.threshold.time.llc",
		"realtime.segment.flush.threshold.segment.size", "realtime.segment.flush.desired.size",
		"realtime.segment.flush.autotune.initialRows", "realtime.segment.flush.threshold.variance.fraction",
		"realtime.segment.commit.timeoutSeconds", "realtime.segment.serverUploadToDeepStore",
		"topic.consumption.rate.limit", "partition.consumption.rate.limit"}
	genericAccepted = []string{"metadata.populate", "realtime.segment.pauseless.download.timeoutSeconds",
		"realtime.segment.offsetAutoReset.enable", "realtime.segment.offsetAutoReset.offsetThreshold",
		"realtime.segment.offsetAutoReset.timeThresholdSeconds", "realtime.segment.isBackfillTopic"}
)

// CSV decoder props (CSVMessageDecoder.java).
var (
	csvImplemented = []string{"header", "delimiter", "multiValueDelimiter", "nullStringValue"}
	csvAccepted    = []string{"fileFormat", "commentMarker", "escapeCharacter", "skipHeader", "ignoreEmptyLines",
		"ignoreSurroundingSpaces", "quoteCharacter", "quoteMode", "recordSeparator"}
)

var iteratorTypes = []string{"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"}

type parser struct {
	m     map[string]string
	where string
	typ   Type
	c     *Config
}

func (p *parser) errf(key, format string, args ...any) error {
	return &invalidError{msg: p.where + ": " + key + ": " + fmt.Sprintf(format, args...)}
}

func (p *parser) warnf(format string, args ...any) {
	p.c.Warnings = append(p.c.Warnings, p.where+": "+fmt.Sprintf(format, args...))
}

// prefixed is stream.<type>.<suffix>.
func (p *parser) prefixed(suffix string) string { return "stream." + string(p.typ) + "." + suffix }

func parse(m map[string]string, where string) (*Config, error) {
	p := &parser{m: m, where: where, c: &Config{}}
	t, ok := m["streamType"]
	if !ok || t == "" {
		return nil, &invalidError{msg: where + ": streamType is missing; supported: " + supportedTypes()}
	}
	switch Type(strings.ToLower(t)) {
	case Kinesis, Local:
		p.typ = Type(strings.ToLower(t))
	default:
		return nil, p.errf("streamType", "%q is not supported; supported: %s", t, supportedTypes())
	}
	p.c.Type = p.typ
	if err := p.checkKeys(); err != nil {
		return nil, err
	}
	steps := []func() error{p.topic, p.factory, p.decoder, p.timeouts, p.flush, p.limits, p.kinesis, p.local, p.start}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	slices.Sort(p.c.Warnings)
	return p.c, nil
}

// known lists every key of the stream's type, for suggestions.
func (p *parser) known() []string {
	var out []string
	for _, s := range slices.Concat(typedImplemented, typedAccepted) {
		out = append(out, p.prefixed(s))
	}
	out = append(out, p.prefixed("decoder.prop."))
	if p.typ == Local {
		out = append(out, p.prefixed("dir"))
	} else {
		out = append(out, kinesisKeys...)
	}
	return slices.Concat(out, genericImplemented, genericAccepted)
}

// checkKeys rejects keys Pinot does not know and warns about those Tannin
// ignores; it visits keys in sorted order so the first error is stable.
func (p *parser) checkKeys() error {
	prefix := "stream." + string(p.typ) + "."
	for _, k := range slices.Sorted(mapKeys(p.m)) {
		switch {
		case strings.HasPrefix(k, prefix):
			suffix := k[len(prefix):]
			switch {
			case slices.Contains(typedImplemented, suffix):
			case slices.Contains(typedAccepted, suffix):
				p.warnTyped(k, suffix)
			case strings.HasPrefix(suffix, "decoder.prop."):
			case strings.HasPrefix(suffix, "consumer.prop."):
				p.warnf("%s is a Kafka consumer property in Pinot; a %s stream ignores it", k, p.typ)
			case p.typ == Local && slices.Contains(localOnly, suffix):
			default:
				return p.unknown(k)
			}
		case strings.HasPrefix(k, "stream."):
			other, _, _ := strings.Cut(k[len("stream."):], ".")
			return p.errf(k, "is a key of streamType %s, but streamType is %s; keys of this stream start with %s", other, p.typ, prefix)
		case slices.Contains(kinesisKeys, k):
			if p.typ != Kinesis {
				return p.errf(k, "is a Kinesis key, but streamType is %s", p.typ)
			}
		case slices.Contains(genericImplemented, k):
		case slices.Contains(genericAccepted, k):
			if !(k == "realtime.segment.offsetAutoReset.enable" && strings.EqualFold(p.m[k], "false")) {
				p.warnf("%s is not implemented yet and is ignored", k)
			}
		default:
			return p.unknown(k)
		}
	}
	return nil
}

func (p *parser) warnTyped(key, suffix string) {
	v := p.m[key]
	switch suffix {
	case "consumer.type":
		// Only the low-level consumer exists, in Pinot too.
		if !strings.EqualFold(v, "lowlevel") && !strings.EqualFold(v, "simple") {
			p.warnf("%s is deprecated and ignored (every stream is consumed per partition)", key)
		}
	case "partition.offset.factory.class.name":
		if v != kinesisOffsets || p.typ != Kinesis {
			p.warnf("%s %q is ignored: offsets are the stream's own", key, v)
		}
	default:
		p.warnf("%s is not implemented yet and is ignored", key)
	}
}

func (p *parser) unknown(key string) error {
	if near := strictjson.Nearest(key, p.known()); near != "" {
		return p.errf(key, "unknown key; did you mean %q?", near)
	}
	return p.errf(key, "unknown key for a %s stream", p.typ)
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (p *parser) topic() error {
	key := p.prefixed("topic.name")
	v, ok := p.m[key]
	if !ok || strings.TrimSpace(v) == "" {
		return &invalidError{msg: fmt.Sprintf("%s: %s is missing: the name of the %s stream", p.where, key, p.typ)}
	}
	p.c.Topic = v
	return nil
}

func (p *parser) factory() error {
	key := p.prefixed("consumer.factory.class.name")
	v, ok := p.m[key]
	if !ok {
		return nil
	}
	if p.typ == Kinesis && v == kinesisFactory {
		return nil
	}
	if p.typ == Kinesis {
		return p.errf(key, "%q is not supported; a kinesis stream takes %s (or no factory)", v, kinesisFactory)
	}
	return p.errf(key, "%q is not supported; a local stream takes no consumer factory", v)
}

func (p *parser) decoder() error {
	key := p.prefixed("decoder.class.name")
	d := &p.c.Decoder
	d.Class = p.m[key]
	switch {
	case d.Class == "" || strings.EqualFold(d.Class, "json") || d.Class == jsonDecoder || d.Class == kafkaJSONDecoder:
		d.Format = JSON
	case strings.EqualFold(d.Class, "csv") || d.Class == csvDecoder:
		d.Format = CSV
	default:
		return p.errf(key, "%q is not supported; supported: %s (or json), %s (or csv)", d.Class, jsonDecoder, csvDecoder)
	}
	prefix := p.prefixed("decoder.prop.")
	for k, v := range p.m {
		if strings.HasPrefix(k, prefix) {
			if d.Props == nil {
				d.Props = map[string]string{}
			}
			d.Props[k[len(prefix):]] = v
		}
	}
	if d.Format == JSON {
		for _, k := range slices.Sorted(mapKeys(d.Props)) {
			p.warnf("%s%s is ignored: the JSON decoder takes no properties", prefix, k)
		}
		return nil
	}
	for _, k := range slices.Sorted(mapKeys(d.Props)) {
		switch {
		case slices.Contains(csvImplemented, k):
		case slices.Contains(csvAccepted, k):
			p.warnf("%s%s is not implemented yet and is ignored", prefix, k)
		default:
			if near := strictjson.Nearest(k, slices.Concat(csvImplemented, csvAccepted)); near != "" {
				return p.errf(prefix+k, "unknown CSV decoder property; did you mean %q?", prefix+near)
			}
			return p.errf(prefix+k, "unknown CSV decoder property; known: %s", strings.Join(slices.Concat(csvImplemented, csvAccepted), ", "))
		}
	}
	char := func(name string, def byte) (byte, error) {
		v, ok := d.Props[name]
		if !ok {
			return def, nil
		}
		if v == `\t` {
			return '\t', nil
		}
		if len(v) != 1 {
			return 0, p.errf(prefix+name, "%q must be one character", v)
		}
		return v[0], nil
	}
	var err error
	if d.CSV.Delimiter, err = char("delimiter", ','); err != nil {
		return err
	}
	if d.CSV.MultiValueDelimiter, err = char("multiValueDelimiter", ';'); err != nil {
		return err
	}
	d.CSV.NullValue = d.Props["nullStringValue"]
	header, ok := d.Props["header"]
	if !ok || strings.TrimSpace(header) == "" {
		return p.errf(prefix+"header", "is missing: a CSV stream's records carry no header line, so name the columns, e.g. \"id%cprice%cts\"", d.CSV.Delimiter, d.CSV.Delimiter)
	}
	for i, name := range strings.Split(header, string(d.CSV.Delimiter)) {
		name = strings.TrimSpace(name)
		if name == "" {
			return p.errf(prefix+"header", "%q: column %d has no name", header, i+1)
		}
		if slices.Contains(d.CSVHeader, name) {
			return p.errf(prefix+"header", "%q: column %q appears twice", header, name)
		}
		d.CSVHeader = append(d.CSVHeader, name)
	}
	return nil
}

// millis reads a key holding a positive number of milliseconds.
func (p *parser) millis(key string, def time.Duration) (time.Duration, error) {
	v, ok := p.m[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, p.errf(key, "%q is not a positive number of milliseconds", v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func (p *parser) timeouts() (err error) {
	if p.c.FetchTimeout, err = p.millis(p.prefixed("fetch.timeout.millis"), DefaultFetchTimeout); err != nil {
		return err
	}
	if p.c.ConnectionTimeout, err = p.millis(p.prefixed("connection.timeout.millis"), DefaultConnectionTimeout); err != nil {
		return err
	}
	p.c.IdleTimeout, err = p.millis(p.prefixed("idle.timeout.millis"), DefaultIdleTimeout)
	return err
}

// first returns the first of keys that is set.
func (p *parser) first(keys ...string) (key, value string, ok bool) {
	for _, k := range keys {
		if v, ok := p.m[k]; ok {
			return k, v, true
		}
	}
	return "", "", false
}

func (p *parser) int(key, v string, min int, what string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, p.errf(key, "%q is not a whole number", v)
	}
	if n < min {
		return 0, p.errf(key, "%d: %s", n, what)
	}
	return n, nil
}

func (p *parser) flush() error {
	f := &p.c.Flush
	rows := -1
	if k, v, ok := p.first("realtime.segment.flush.threshold.rows", "realtime.segment.flush.threshold.size", "realtime.segment.flush.threshold.size.llc"); ok {
		n, err := p.int(k, v, 0, "the row threshold must be 0 (size-based) or more")
		if err != nil {
			return err
		}
		rows = n
	}
	segmentRows := -1
	if v, ok := p.m["realtime.segment.flush.threshold.segment.rows"]; ok {
		n, err := p.int("realtime.segment.flush.threshold.segment.rows", v, 1, "the row threshold must be at least 1")
		if err != nil {
			return err
		}
		segmentRows = n
	}
	size := int64(-1)
	if k, v, ok := p.first("realtime.segment.flush.threshold.segment.size", "realtime.segment.flush.desired.size"); ok {
		n, err := ParseDataSize(v)
		if err != nil || n <= 0 {
			return p.errf(k, "%q is not a size like 200M or 1.5G", v)
		}
		size = n
	}
	f.AutotuneInitialRows = DefaultAutotuneInitialRows
	if v, ok := p.m["realtime.segment.flush.autotune.initialRows"]; ok {
		n, err := p.int("realtime.segment.flush.autotune.initialRows", v, 1, "the initial row count must be at least 1")
		if err != nil {
			return err
		}
		f.AutotuneInitialRows = n
	}
	if v, ok := p.m["realtime.segment.flush.threshold.variance.fraction"]; ok {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || x < 0 || x >= 0.5 {
			return p.errf("realtime.segment.flush.threshold.variance.fraction", "%q is not a fraction from 0 up to 0.5", v)
		}
		f.VarianceFraction = x
	}
	// Pinot's precedence (FlushThresholdUpdateManager).
	switch {
	case rows > 0:
		f.Rows, f.RowsSharedByPartitions = rows, true
	case segmentRows > 0:
		f.Rows = segmentRows
	case rows == 0 || size > 0:
		f.SizeBased = true
	default:
		f.Rows = DefaultFlushRows
	}
	f.SegmentSize = DefaultFlushSegmentSize
	if size > 0 {
		f.SegmentSize = size
	}
	f.Time = DefaultFlushTime
	if k, v, ok := p.first("realtime.segment.flush.threshold.time", "realtime.segment.flush.threshold.time.llc"); ok {
		d, err := ParsePeriod(v)
		if err != nil {
			return p.errf(k, "%q is not a period like 6h or 30m", v)
		}
		if d <= 0 {
			return p.errf(k, "%q: the time threshold must be more than 0", v)
		}
		f.Time = d
	}
	if v, ok := p.m["realtime.segment.commit.timeoutSeconds"]; ok {
		n, err := p.int("realtime.segment.commit.timeoutSeconds", v, 1, "the commit timeout must be at least 1 second")
		if err != nil {
			return err
		}
		p.c.CommitTimeout = time.Duration(n) * time.Second
	}
	if v, ok := p.m["realtime.segment.serverUploadToDeepStore"]; ok {
		b, err := p.bool("realtime.segment.serverUploadToDeepStore", v)
		if err != nil {
			return err
		}
		p.c.ServerUploadToDeepStore = &b
	}
	return nil
}

func (p *parser) bool(key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.errf(key, "%q is not true or false", v)
}

func (p *parser) rate(key string) (float64, bool, error) {
	v, ok := p.m[key]
	if !ok {
		return 0, false, nil
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || x <= 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false, p.errf(key, "%q is not a rate above 0", v)
	}
	return x, true, nil
}

func (p *parser) limits() (err error) {
	if p.c.TopicRateLimit, _, err = p.rate("topic.consumption.rate.limit"); err != nil {
		return err
	}
	p.c.PartitionRateLimit, _, err = p.rate("partition.consumption.rate.limit")
	return err
}

func (p *parser) kinesis() error {
	if p.typ != Kinesis {
		return nil
	}
	k := &KinesisConfig{MaxRecordsToFetch: DefaultMaxRecordsToFetch, RequestsPerSecond: DefaultRequestsPerSecond}
	p.c.Kinesis = k
	k.Region = strings.TrimSpace(p.m["region"])
	if k.Region == "" {
		return &invalidError{msg: p.where + ": region is missing: a kinesis stream needs its AWS region, e.g. us-east-1"}
	}
	if v, ok := p.m["endpoint"]; ok {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return p.errf("endpoint", "%q is not an http or https URL like http://localhost:4567", v)
		}
		k.Endpoint = v
	}
	k.AccessKey, k.SecretKey = p.m["accessKey"], p.m["secretKey"]
	if (k.AccessKey == "") != (k.SecretKey == "") {
		missing := "secretKey"
		if k.AccessKey == "" {
			missing = "accessKey"
		}
		return p.errf(missing, "is missing: accessKey and secretKey go together (leave both out for the AWS default credential chain)")
	}
	if v, ok := p.m["maxRecordsToFetch"]; ok {
		n, err := p.int("maxRecordsToFetch", v, 1, "must be from 1 to 10000 (Kinesis's GetRecords limit)")
		if err != nil {
			return err
		}
		if n > 10000 {
			return p.errf("maxRecordsToFetch", "%d: must be from 1 to 10000 (Kinesis's GetRecords limit)", n)
		}
		k.MaxRecordsToFetch = n
	}
	if x, ok, err := p.rate("requests_per_second_limit"); err != nil {
		return err
	} else if ok {
		k.RequestsPerSecond = x
	}
	if v, ok := p.m["shardIteratorType"]; ok {
		t := strings.ToUpper(strings.TrimSpace(v))
		if !slices.Contains(iteratorTypes, t) {
			return p.errf("shardIteratorType", "%q is not one of %s", v, strings.Join(iteratorTypes, ", "))
		}
		k.ShardIteratorType = t
	}
	return p.role(k)
}

func (p *parser) role(k *KinesisConfig) error {
	enabled := false
	if v, ok := p.m["iamRoleBasedAccessEnabled"]; ok {
		b, err := p.bool("iamRoleBasedAccessEnabled", v)
		if err != nil {
			return err
		}
		enabled = b
	}
	if !enabled {
		for _, key := range []string{"roleArn", "roleSessionName", "externalId", "sessionDurationSeconds", "asyncSessionUpdateEnabled"} {
			if _, ok := p.m[key]; ok {
				p.warnf("%s is ignored: iamRoleBasedAccessEnabled is not true", key)
			}
		}
		return nil
	}
	r := &IAMRole{RoleARN: p.m["roleArn"], SessionName: p.m["roleSessionName"], ExternalID: p.m["externalId"],
		SessionDuration: DefaultSessionDuration, AsyncSessionUpdate: true}
	if !strings.HasPrefix(r.RoleARN, "arn:") {
		return p.errf("roleArn", "%q is not a role ARN like arn:aws:iam::123456789012:role/pinot (iamRoleBasedAccessEnabled is true)", r.RoleARN)
	}
	if v, ok := p.m["sessionDurationSeconds"]; ok {
		n, err := p.int("sessionDurationSeconds", v, 900, "AWS sessions last from 900 to 43200 seconds")
		if err != nil {
			return err
		}
		if n > 43200 {
			return p.errf("sessionDurationSeconds", "%d: AWS sessions last from 900 to 43200 seconds", n)
		}
		r.SessionDuration = time.Duration(n) * time.Second
	}
	if v, ok := p.m["asyncSessionUpdateEnabled"]; ok {
		b, err := p.bool("asyncSessionUpdateEnabled", v)
		if err != nil {
			return err
		}
		r.AsyncSessionUpdate = b
	}
	k.Role = r
	return nil
}

func (p *parser) local() error {
	if p.typ != Local {
		return nil
	}
	p.c.Local = &LocalConfig{Dir: p.m[p.prefixed("dir")]}
	return nil
}

// start resolves StartPosition from shardIteratorType and
// auto.offset.reset; see the package comment.
func (p *parser) start() error {
	const latest = "LATEST"
	iter := ""
	if p.c.Kinesis != nil {
		iter = p.c.Kinesis.ShardIteratorType
	}
	resetKey := p.prefixed("consumer.prop.auto.offset.reset")
	reset, hasReset := p.m[resetKey]
	var fromReset StartPosition
	if hasReset {
		v := strings.TrimSpace(reset)
		switch {
		case strings.EqualFold(v, "smallest"):
			fromReset.Kind = Earliest
		case strings.EqualFold(v, "largest"):
			fromReset.Kind = Latest
		default:
			if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
				fromReset = StartPosition{Kind: AtTimestamp, TimestampMs: ts.UnixMilli()}
			} else if d, err := parsePeriodOnly(v); err == nil && d > 0 {
				fromReset = StartPosition{Kind: AtTimestamp, Ago: d}
			} else {
				return p.errf(resetKey, "%q is not smallest, largest, a period like 2d or 4h30m, or a timestamp like 2024-05-01T00:00:00Z", reset)
			}
		}
	}
	conflict := func() error {
		return p.errf("shardIteratorType", "%s contradicts %s %q; keep one of them", iter, resetKey, reset)
	}
	switch iter {
	case "TRIM_HORIZON":
		if hasReset && fromReset.Kind != Earliest {
			return conflict()
		}
		p.c.Start = StartPosition{Kind: Earliest}
	case latest:
		if hasReset && fromReset.Kind != Latest {
			return conflict()
		}
		p.c.Start = StartPosition{Kind: Latest}
	case "AT_TIMESTAMP":
		if !hasReset || fromReset.Kind != AtTimestamp {
			return p.errf("shardIteratorType", "AT_TIMESTAMP needs %s set to a timestamp like 2024-05-01T00:00:00Z or a period like 2d", resetKey)
		}
		p.c.Start = fromReset
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		p.c.Start = StartPosition{Kind: Earliest}
		if hasReset {
			p.c.Start = fromReset
		}
	default:
		p.c.Start = StartPosition{Kind: Latest}
		if hasReset {
			p.c.Start = fromReset
		}
	}
	return nil
}

// ParsePeriod reads Pinot's period strings: days, hours, minutes and
// seconds in that order, each optional, e.g. "6h", "30m", "1d2h30m",
// "90s" (units in either case); or, as older Pinot configs have it, a
// plain number of milliseconds.
func ParsePeriod(s string) (time.Duration, error) {
	if d, err := parsePeriodOnly(s); err == nil {
		return d, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Millisecond, nil
	}
	return 0, fmt.Errorf("%q is not a period like 6h or 30m", s)
}

func parsePeriodOnly(s string) (time.Duration, error) {
	units := []struct {
		c byte
		d time.Duration
	}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}
	rest := strings.ToLower(s)
	if rest == "" {
		return 0, fmt.Errorf("empty period")
	}
	var total time.Duration
	u := 0
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 9 {
			return 0, fmt.Errorf("%q is not a period", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		for u < len(units) && units[u].c != rest[i] {
			u++
		}
		if u == len(units) {
			return 0, fmt.Errorf("%q is not a period", s)
		}
		total += time.Duration(n) * units[u].d
		u++
		rest = rest[i+1:]
	}
	return total, nil
}

// ParseDataSize reads Pinot's data sizes: a number with an optional binary
// unit K, M, G, T or P and an optional B, in either case: "200M", "1.5G",
// "40B", "1024".
func ParseDataSize(s string) (int64, error) {
	bad := fmt.Errorf("%q is not a size like 200M or 1.5G", s)
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimSuffix(v, "B")
	mult := 1.0
	if v != "" {
		if i := strings.IndexByte("KMGTP", v[len(v)-1]); i >= 0 {
			mult = math.Pow(1024, float64(i+1))
			v = v[:len(v)-1]
		}
	}
	if v == "" || v[0] == '.' || v[len(v)-1] == '.' || strings.Count(v, ".") > 1 || strings.TrimLeft(v, "0123456789.") != "" {
		return 0, bad
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x*mult > math.MaxInt64/2 {
		return 0, bad
	}
	return int64(x * mult), nil
}
