package tableconfig

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/schema/strictjson"
)

// offline builds an OFFLINE config document; extra members are added to the
// top-level object and may replace the three required sections.
func offline(extra string) string {
	return config("OFFLINE", extra)
}

func config(typ, extra string) string {
	base := map[string]string{
		"segmentsConfig":   `{"replication": "1"}`,
		"tenants":          `{}`,
		"tableIndexConfig": `{}`,
	}
	var b strings.Builder
	b.WriteString(`{"tableName": "t", "tableType": "` + typ + `"`)
	for _, k := range []string{"segmentsConfig", "tenants", "tableIndexConfig"} {
		if !strings.Contains(extra, `"`+k+`"`) {
			b.WriteString(`, "` + k + `": ` + base[k])
		}
	}
	if extra != "" {
		b.WriteString(", " + extra)
	}
	b.WriteString("}")
	return b.String()
}

const kinesisStream = `"ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{"streamType": "kinesis", "stream.kinesis.topic.name": "s", "region": "us-east-1", "maxRecordsToFetch": 10000}]}}`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"malformed JSON", "{\n  \"tableName\": \"t\",\n  \"tableType\": OFFLINE\n}", `table config: malformed JSON at line 3, column 16: unexpected 'O', expecting a value`},
		{"unknown top-level key", offline(`"tablename": "x"`), `table config: unknown field "tablename" at top level; did you mean "tableName"?`},
		{"unknown key in segmentsConfig", offline(`"segmentsConfig": {"replicaton": "2"}`),
			`table config: unknown field "replicaton" at segmentsConfig; did you mean "replication"?`},
		{"unknown key in tableIndexConfig", offline(`"tableIndexConfig": {"invertedIndexColumn": ["a"]}`),
			`table config: unknown field "invertedIndexColumn" at tableIndexConfig; did you mean "invertedIndexColumns"?`},
		{"misplaced key", offline(`"tableIndexConfig": {"columnPartitionMap": {}}`),
			`table config: unknown field "columnPartitionMap" at tableIndexConfig; it belongs in tableIndexConfig.segmentPartitionConfig`},
		{"misplaced key, top level", offline(`"segmentsConfig": {"tableType": "OFFLINE"}`),
			`table config: unknown field "tableType" at segmentsConfig; it belongs at the top level`},
		{"misplaced key, array element", offline(`"ingestionConfig": {"transformFunction": "f(x)"}`),
			`table config: unknown field "transformFunction" at ingestionConfig; it belongs in the elements of ingestionConfig.transformConfigs`},
		{"misplaced top-level key", offline(`"timeColumnName": "ts"`),
			`table config: unknown field "timeColumnName" at top level; it belongs in segmentsConfig`},
		{"unknown key in a field config", offline(`"fieldConfigList": [{"name": "a", "encoding": "RAW"}]`),
			`table config: unknown field "encoding" at fieldConfigList[0]; did you mean "encodingType"?`},
		{"unknown index id", offline(`"fieldConfigList": [{"name": "a", "indexes": {"inverse": {}}}]`),
			`table config: unknown field "inverse" at fieldConfigList[0].indexes; did you mean "inverted"?`},
		{"unknown key in a transform", offline(`"ingestionConfig": {"transformConfigs": [{"column": "a", "transformFunction": "f(b)"}]}`),
			`table config: unknown field "column" at ingestionConfig.transformConfigs[0]; did you mean "columnName"?`},
		{"unknown key in a filter", offline(`"ingestionConfig": {"filterConfig": {"expr": "x"}}`), `table config: unknown field "expr" at ingestionConfig.filterConfig`},
		{"unknown key in a stream ingestion config", offline(`"ingestionConfig": {"streamIngestionConfig": {"streamConfigMap": []}}`),
			`table config: unknown field "streamConfigMap" at ingestionConfig.streamIngestionConfig; did you mean "streamConfigMaps"?`},
		{"unknown key in a column partition", offline(`"tableIndexConfig": {"segmentPartitionConfig": {"columnPartitionMap": {"a.b": {"functionName": "Murmur", "numPartition": 2}}}}`),
			`table config: unknown field "numPartition" at tableIndexConfig.segmentPartitionConfig.columnPartitionMap["a.b"]; did you mean "numPartitions"?`},
		{"missing tableName", `{"tableType": "OFFLINE"}`, "table config: missing tableName"},
		{"missing tableType", `{"tableName": "t"}`, "table config: missing tableType"},
		{"bad tableType", `{"tableName": "t", "tableType": "HYBRID"}`, `table config: tableType "HYBRID" must be OFFLINE or REALTIME`},
		{"suffix of the other type", `{"tableName": "t_REALTIME", "tableType": "OFFLINE"}`,
			`table config: tableName "t_REALTIME" has the type suffix of another table type than tableType OFFLINE`},
		{"only a suffix", `{"tableName": "_OFFLINE", "tableType": "OFFLINE"}`, `table config: tableName "_OFFLINE" is only a type suffix`},
		{"double underscore", `{"tableName": "a__b", "tableType": "OFFLINE"}`, `table config: tableName "a__b" cannot contain a double underscore`},
		{"missing segmentsConfig", `{"tableName": "t", "tableType": "OFFLINE", "tenants": {}, "tableIndexConfig": {}}`, "table config: missing segmentsConfig"},
		{"missing tenants", `{"tableName": "t", "tableType": "OFFLINE", "segmentsConfig": {}, "tableIndexConfig": {}}`, "table config: missing tenants"},
		{"missing tableIndexConfig", `{"tableName": "t", "tableType": "OFFLINE", "segmentsConfig": {}, "tenants": {}}`, "table config: missing tableIndexConfig"},
		{"segmentsConfig not an object", offline(`"segmentsConfig": []`), "table config: segmentsConfig: expected an object, got array"},
		{"replication not a number", offline(`"segmentsConfig": {"replication": "two"}`), `table config: segmentsConfig.replication: expected a 32-bit integer, got string "two"`},
		{"replication zero", offline(`"segmentsConfig": {"replication": 0}`), `table config "t_OFFLINE": replication 0 must be at least 1`},
		{"bad retention unit", offline(`"segmentsConfig": {"retentionTimeUnit": "DAY", "retentionTimeValue": "3"}`),
			`table config: segmentsConfig.retentionTimeUnit: unknown time unit "DAY"; did you mean "DAYS"?`},
		{"negative retention", offline(`"segmentsConfig": {"retentionTimeUnit": "DAYS", "retentionTimeValue": "-3"}`),
			`table config: segmentsConfig.retentionTimeValue -3 must be positive`},
		{"retention value alone", offline(`"segmentsConfig": {"retentionTimeValue": "3"}`),
			`table config "t_OFFLINE": segmentsConfig.retentionTimeUnit and retentionTimeValue must be set together`},
		{"bad push type", offline(`"segmentsConfig": {"segmentPushType": "UPSERT"}`), `table config: segmentsConfig.segmentPushType "UPSERT" must be APPEND or REFRESH`},
		{"two sorted columns", offline(`"tableIndexConfig": {"sortedColumn": ["a", "b"]}`),
			`table config: tableIndexConfig.sortedColumn lists 2 columns ["a" "b"]; a table has at most one sorted column`},
		{"bad load mode", offline(`"tableIndexConfig": {"loadMode": "DISK"}`), `table config: tableIndexConfig.loadMode "DISK" must be MMAP or HEAP`},
		{"empty index column", offline(`"tableIndexConfig": {"invertedIndexColumns": ["a", ""]}`), `table config: tableIndexConfig.invertedIndexColumns[1]: empty column name`},
		{"index columns not strings", offline(`"tableIndexConfig": {"rangeIndexColumns": [1]}`), `table config: tableIndexConfig.rangeIndexColumns[0]: expected a string, got number 1`},
		{"partition map missing", offline(`"tableIndexConfig": {"segmentPartitionConfig": {}}`), `table config: tableIndexConfig.segmentPartitionConfig: missing columnPartitionMap`},
		{"bad partition function", offline(`"tableIndexConfig": {"segmentPartitionConfig": {"columnPartitionMap": {"a": {"functionName": "Murmer", "numPartitions": 4}}}}`),
			`table config: tableIndexConfig.segmentPartitionConfig.columnPartitionMap.a.functionName: unknown partition function "Murmer"; did you mean "Murmur"?`},
		{"zero partitions", offline(`"tableIndexConfig": {"segmentPartitionConfig": {"columnPartitionMap": {"a": {"functionName": "Modulo", "numPartitions": 0}}}}`),
			`table config: tableIndexConfig.segmentPartitionConfig.columnPartitionMap.a.numPartitions must be a positive integer`},
		{"no-dictionary inverted", offline(`"tableIndexConfig": {"noDictionaryColumns": ["a"], "invertedIndexColumns": ["a"]}`),
			`table config "t_OFFLINE": column "a" has no dictionary, which an inverted index needs`},
		{"no-dictionary sorted", offline(`"tableIndexConfig": {"sortedColumn": ["a"]}, "fieldConfigList": [{"name": "a", "encodingType": "RAW"}]`),
			`table config "t_OFFLINE": sorted column "a" has no dictionary, which a sorted index needs`},
		{"REALTIME without stream", config("REALTIME", ""),
			`table config "t_REALTIME": a REALTIME table needs a stream config in ingestionConfig.streamIngestionConfig.streamConfigMaps`},
		{"stream without streamType", config("REALTIME", `"ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{"region": "x"}]}}`),
			`table config "t_REALTIME": stream config 0 has no streamType`},
		{"stream config with a null", config("REALTIME", `"ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{"streamType": null}]}}`),
			`table config: ingestionConfig.streamIngestionConfig.streamConfigMaps[0].streamType: expected a string, got null`},
		{"stream config with an object", config("REALTIME", `"ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{"streamType": {}}]}}`),
			`table config: ingestionConfig.streamIngestionConfig.streamConfigMaps[0].streamType: expected a string, number or boolean, got object`},
		{"both stream sections", config("REALTIME", `"tableIndexConfig": {"streamConfigs": {"streamType": "kafka"}}, `+kinesisStream),
			`table config: tableIndexConfig.streamConfigs and ingestionConfig.streamIngestionConfig cannot both be set; keep the latter`},
		{"transform without function", offline(`"ingestionConfig": {"transformConfigs": [{"columnName": "a"}]}`),
			`table config: ingestionConfig.transformConfigs[0]: a transform needs a columnName and a transformFunction`},
		{"field config without name", offline(`"fieldConfigList": [{"encodingType": "RAW"}]`), `table config: fieldConfigList[0]: missing name`},
		{"bad encoding", offline(`"fieldConfigList": [{"name": "a", "encodingType": "PLAIN"}]`), `table config: fieldConfigList[0].encodingType "PLAIN" must be RAW or DICTIONARY`},
		{"bad codec", offline(`"fieldConfigList": [{"name": "a", "encodingType": "RAW", "compressionCodec": "ZSTD"}]`),
			`table config: fieldConfigList[0].compressionCodec: unknown codec "ZSTD"`},
		{"bad index type", offline(`"fieldConfigList": [{"name": "a", "indexTypes": ["INVERTD"]}]`),
			`table config: fieldConfigList[0].indexTypes: unknown index type "INVERTD"; did you mean "INVERTED"?`},
		{"bloom is not an index type", offline(`"fieldConfigList": [{"name": "a", "indexType": "BLOOM"}]`),
			`table config: fieldConfigList[0].indexTypes: unknown index type "BLOOM"`},
		{"index entry not an object", offline(`"fieldConfigList": [{"name": "a", "indexes": {"inverted": true}}]`),
			`table config: fieldConfigList[0].indexes.inverted: expected an object, got boolean true`},
		{"dictionary disabled but DICTIONARY", offline(`"fieldConfigList": [{"name": "a", "encodingType": "DICTIONARY", "indexes": {"dictionary": {"disabled": true}}}]`),
			`table config: fieldConfigList[0].indexes.dictionary disables the dictionary of column "a", whose encodingType is DICTIONARY`},
		{"second sorted column from a field config", offline(`"tableIndexConfig": {"sortedColumn": ["a"]}, "fieldConfigList": [{"name": "b", "indexTypes": ["SORTED"]}]`),
			`table config: fieldConfigList sorts column "b" but tableIndexConfig.sortedColumn is "a"; a table has at most one sorted column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v\nwant error: %s", c, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("error does not match ErrInvalid")
			}
		})
	}
}

func TestParseErrorTypes(t *testing.T) {
	_, _, err := Parse([]byte(offline(`"segmentsConfig": {"replicaton": "2"}`)))
	var u *strictjson.UnknownFieldError
	if !errors.As(err, &u) || u.Path != "segmentsConfig" || u.Suggestion != "replication" {
		t.Errorf("UnknownFieldError: %v", err)
	}
	_, _, err = Parse([]byte("{"))
	var se *strictjson.SyntaxError
	if !errors.As(err, &se) || se.Line != 1 || se.Column != 2 {
		t.Errorf("SyntaxError: %v", err)
	}
}

func TestTableNames(t *testing.T) {
	for in, want := range map[string]string{
		"clicks": "clicks", "clicks_OFFLINE": "clicks", "clicks_REALTIME": "clicks", "clicks_offline": "clicks_offline",
		"a_OFFLINE_REALTIME": "a_OFFLINE", "": "",
	} {
		if got := RawTableName(in); got != want {
			t.Errorf("RawTableName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct{ name, typ, raw, withType string }{
		{"webTransactions", "OFFLINE", "webTransactions", "webTransactions_OFFLINE"},
		{"webTransactions_OFFLINE", "OFFLINE", "webTransactions", "webTransactions_OFFLINE"},
		{"clicks", "realtime", "clicks", "clicks_REALTIME"},
		{"clicks_REALTIME", "REALTIME", "clicks", "clicks_REALTIME"},
	} {
		in := `{"tableName": "` + tt.name + `", "tableType": "` + tt.typ + `", "segmentsConfig": {}, "tenants": {}, "tableIndexConfig": {}, ` + kinesisStream + `}`
		c, _, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if c.TableName != tt.raw || c.TableNameWithType() != tt.withType {
			t.Errorf("%s/%s: raw %q, with type %q", tt.name, tt.typ, c.TableName, c.TableNameWithType())
		}
	}
}

func TestSegmentsConfig(t *testing.T) {
	tests := []struct {
		typ, segments string
		want          SegmentsConfig
		warnings      []string
	}{
		{"OFFLINE", `{}`, SegmentsConfig{Replication: 1}, nil},
		{"OFFLINE", `{"replication": "3", "retentionTimeUnit": "days", "retentionTimeValue": "30", "segmentPushType": "refresh", "timeColumnName": "ts"}`,
			SegmentsConfig{TimeColumnName: "ts", RetentionTimeUnit: "DAYS", RetentionTimeValue: 30, Replication: 3, SegmentPushType: "REFRESH"}, nil},
		{"OFFLINE", `{"replication": 2, "retentionTimeUnit": "HOURS", "retentionTimeValue": 12}`,
			SegmentsConfig{RetentionTimeUnit: "HOURS", RetentionTimeValue: 12, Replication: 2}, nil},
		{"OFFLINE", `{"replication": "2", "replicasPerPartition": "5"}`, SegmentsConfig{Replication: 2},
			[]string{"segmentsConfig.replicasPerPartition applies to REALTIME tables only; ignored"}},
		{"REALTIME", `{"replication": "2", "replicasPerPartition": "5"}`, SegmentsConfig{Replication: 5}, nil},
		{"REALTIME", `{"replicasPerPartition": 4}`, SegmentsConfig{Replication: 4}, nil},
		{"OFFLINE", `{"timeType": "DAYS", "segmentPushFrequency": "daily", "completionConfig": {"completionMode": "DOWNLOAD"}, "minimizeDataMovement": false}`,
			SegmentsConfig{Replication: 1}, []string{
				"segmentsConfig.timeType is not implemented yet; ignored",
				"segmentsConfig.segmentPushFrequency is not implemented yet; ignored",
				"segmentsConfig.completionConfig is not implemented yet; ignored",
			}},
	}
	for _, tt := range tests {
		extra := `"segmentsConfig": ` + tt.segments
		if tt.typ == "REALTIME" {
			extra += ", " + kinesisStream
		}
		c, warnings, err := Parse([]byte(config(tt.typ, extra)))
		if err != nil {
			t.Errorf("%s: %v", tt.segments, err)
			continue
		}
		if c.Segments != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.segments, c.Segments, tt.want)
		}
		if !reflect.DeepEqual(warnings, tt.warnings) {
			t.Errorf("%s: warnings %q, want %q", tt.segments, warnings, tt.warnings)
		}
	}
}

func TestIndexConfigAndFolding(t *testing.T) {
	in := offline(`
	  "tableIndexConfig": {
	    "loadMode": "heap",
	    "invertedIndexColumns": ["a", "b", "a"],
	    "sortedColumn": "s",
	    "rangeIndexColumns": ["r"],
	    "bloomFilterColumns": ["bl"],
	    "bloomFilterConfigs": {"bc": {"fpp": 0.01}},
	    "jsonIndexColumns": ["j"],
	    "nullHandlingEnabled": "true",
	    "rangeIndexVersion": 2,
	    "segmentPartitionConfig": {"columnPartitionMap": {"p": {"functionName": "murmur", "numPartitions": "8", "functionConfig": {"seed": "9"}}}}
	  },
	  "fieldConfigList": [
	    {"name": "raw", "encodingType": "RAW", "compressionCodec": "zstandard"},
	    {"name": "b", "indexTypes": ["INVERTED", "range"]},
	    {"name": "txt", "encodingType": "RAW", "indexType": "TEXT"},
	    {"name": "c", "indexes": {"inverted": {"enabled": "true"}, "bloom": {}, "json": {"maxLevels": 2}, "fst": {"disabled": true}}},
	    {"name": "nd", "indexes": {"dictionary": {"disabled": true}}},
	    {"name": "kept", "encodingType": "RAW", "indexes": {"dictionary": {}}},
	    {"name": "needs", "encodingType": "RAW", "indexTypes": ["INVERTED"]},
	    {"name": "a", "indexes": {"inverted": {"disabled": true}}},
	    {"name": "off", "indexes": {"range": {"enabled": false}}},
	    {"name": "r", "indexTypes": ["RANGE"], "indexes": {"range": {"disabled": true}}}
	  ]`)
	c, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := IndexConfig{
		InvertedIndexColumns: []string{"b", "c", "needs"},
		SortedColumn:         "s",
		RangeIndexColumns:    []string{"b"},
		BloomFilterColumns:   []string{"bl", "bc", "c"},
		NoDictionaryColumns:  []string{"raw", "txt", "nd"},
		JSONIndexColumns:     []string{"j", "c"},
		LoadMode:             "HEAP",
		NullHandlingEnabled:  true,
		Partitioning:         map[string]ColumnPartition{"p": {FunctionName: "murmur", NumPartitions: 8}},
	}
	if !reflect.DeepEqual(c.Index, want) {
		t.Errorf("Index:\n got %+v\nwant %+v", c.Index, want)
	}
	wantFC := []FieldConfig{
		{Name: "raw", EncodingType: "RAW", CompressionCodec: "ZSTANDARD"},
		{Name: "b", IndexTypes: []string{"INVERTED", "RANGE"}},
		{Name: "txt", EncodingType: "RAW", IndexTypes: []string{"TEXT"}},
		{Name: "c", IndexTypes: []string{"BLOOM", "INVERTED", "JSON"}},
		{Name: "nd", EncodingType: "RAW"},
		{Name: "kept", EncodingType: "RAW"},
		{Name: "needs", EncodingType: "RAW", IndexTypes: []string{"INVERTED"}},
		{Name: "a"},
		{Name: "off"},
		{Name: "r"},
	}
	if !reflect.DeepEqual(c.FieldConfigList, wantFC) {
		t.Errorf("FieldConfigList:\n got %+v\nwant %+v", c.FieldConfigList, wantFC)
	}
	wantUnimpl := map[string]string{
		"tableIndexConfig.bloomFilterConfigs":                                         `{"bc":{"fpp":0.01}}`,
		"tableIndexConfig.rangeIndexVersion":                                          `2`,
		"tableIndexConfig.segmentPartitionConfig.columnPartitionMap.p.functionConfig": `{"seed":"9"}`,
		"fieldConfigList[3].indexes.json":                                             `{"maxLevels":2}`,
		"fieldConfigList[3].indexes.fst":                                              `{"disabled":true}`,
		"fieldConfigList[5].indexes.dictionary":                                       `{}`,
	}
	gotUnimpl := map[string]string{}
	for k, v := range c.Unimplemented {
		gotUnimpl[k] = string(v)
	}
	if !reflect.DeepEqual(gotUnimpl, wantUnimpl) {
		t.Errorf("Unimplemented:\n got %v\nwant %v", gotUnimpl, wantUnimpl)
	}
	wantWarnings := []string{
		`tableIndexConfig.segmentPartitionConfig.columnPartitionMap.p.functionConfig is not implemented yet; ignored`,
		`tableIndexConfig.bloomFilterConfigs: the options are not implemented yet; ignored (the columns get the index)`,
		`fieldConfigList[2] (column "txt"): the TEXT index is not implemented yet; ignored`,
		`fieldConfigList[3].indexes.json (column "c"): the options are not implemented yet; ignored (the column gets the index)`,
		`fieldConfigList[6] (column "needs"): encodingType RAW keeps the dictionary its index needs, as Pinot does; Tannin also dictionary-encodes the forward index`,
	}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}
	roundTrip(t, c)
}

func TestIngestionConfig(t *testing.T) {
	in := config("REALTIME", `
	  "ingestionConfig": {
	    "transformConfigs": [
	      {"columnName": "ts", "transformFunction": "fromEpochSeconds(event_s)"},
	      {"columnName": "day", "transformFunction": "toDateTime(ts, 'yyyy-MM-dd')"}
	    ],
	    "filterConfig": {"filterFunction": "equals(device, 'bot')"},
	    "continueOnError": true,
	    "segmentTimeValueCheck": true,
	    "rowTimeValueCheck": true,
	    "streamIngestionConfig": {
	      "streamConfigMaps": [{
	        "streamType": "kinesis",
	        "stream.kinesis.topic.name": "clicks-stream",
	        "region": "us-east-1",
	        "shardIteratorType": "TRIM_HORIZON",
	        "maxRecordsToFetch": 10000,
	        "realtime.segment.serverUploadToDeepStore": true
	      }],
	      "pauselessConsumptionEnabled": true,
	      "columnMajorSegmentBuilderEnabled": true
	    }
	  }`)
	c, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := IngestionConfig{
		Transforms: []TransformConfig{
			{ColumnName: "ts", TransformFunction: "fromEpochSeconds(event_s)"},
			{ColumnName: "day", TransformFunction: "toDateTime(ts, 'yyyy-MM-dd')"},
		},
		FilterFunction: "equals(device, 'bot')",
		StreamConfigs: []map[string]string{{
			"streamType": "kinesis", "stream.kinesis.topic.name": "clicks-stream", "region": "us-east-1",
			"shardIteratorType": "TRIM_HORIZON", "maxRecordsToFetch": "10000", "realtime.segment.serverUploadToDeepStore": "true",
		}},
		ContinueOnError: true,
	}
	if !reflect.DeepEqual(c.Ingestion, want) {
		t.Errorf("Ingestion:\n got %+v\nwant %+v", c.Ingestion, want)
	}
	wantWarnings := []string{
		"ingestionConfig.streamIngestionConfig.pauselessConsumptionEnabled is not implemented yet; ignored",
		"ingestionConfig.rowTimeValueCheck is not implemented yet; ignored",
	}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Errorf("warnings %q, want %q", warnings, wantWarnings)
	}
	roundTrip(t, c)
}

func TestLegacyStreamConfigs(t *testing.T) {
	in := config("REALTIME", `"tableIndexConfig": {"streamConfigs": {"streamType": "kafka", "stream.kafka.topic.name": "t", "realtime.segment.flush.threshold.rows": 0}}`)
	c, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{{"streamType": "kafka", "stream.kafka.topic.name": "t", "realtime.segment.flush.threshold.rows": "0"}}
	if !reflect.DeepEqual(c.Ingestion.StreamConfigs, want) || len(warnings) != 0 {
		t.Errorf("StreamConfigs %v, warnings %q", c.Ingestion.StreamConfigs, warnings)
	}
	out := roundTrip(t, c)
	if !strings.Contains(string(out), `"streamConfigMaps"`) || strings.Contains(string(out), `"streamConfigs"`) {
		t.Errorf("legacy streamConfigs should be written as streamConfigMaps:\n%s", out)
	}
}

// TestUnimplementedVerbatim checks that Pinot's features Tannin lacks are
// reported, kept byte-for-byte (compacted) and written back in place.
func TestUnimplementedVerbatim(t *testing.T) {
	in := config("REALTIME", `
	  "tenants": {"broker": "b", "server": "s", "tagOverrideConfig": {"realtimeConsuming": "s_REALTIME"}},
	  "tableIndexConfig": {
	    "invertedIndexColumns": ["country"],
	    "starTreeIndexConfigs": [{"dimensionsSplitOrder": ["country"], "functionColumnPairs": ["COUNT__*", "SUM__clicks"], "maxLeafRecords": 10000}],
	    "aggregateMetrics": false
	  },
	  "routing": {"segmentPrunerTypes": ["partition", "time"], "instanceSelectorType": "strictReplicaGroup"},
	  "upsertConfig": {"mode": "FULL", "comparisonColumns": ["ts"], "metadataTTL": 86400},
	  "query": {"timeoutMs": 1000},
	  "metadata": {"customConfigs": {}},
	  `+kinesisStream)
	c, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{
		"tenants.tagOverrideConfig is not implemented yet; ignored",
		"tableIndexConfig.starTreeIndexConfigs is not implemented yet; ignored",
		"routing is not implemented yet; ignored",
		"upsertConfig is not implemented yet; ignored",
		"query is not implemented yet; ignored",
	}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}
	wantUnimpl := map[string]string{
		"tenants.tagOverrideConfig":             `{"realtimeConsuming":"s_REALTIME"}`,
		"tableIndexConfig.starTreeIndexConfigs": `[{"dimensionsSplitOrder":["country"],"functionColumnPairs":["COUNT__*","SUM__clicks"],"maxLeafRecords":10000}]`,
		"tableIndexConfig.aggregateMetrics":     `false`,
		"routing":                               `{"segmentPrunerTypes":["partition","time"],"instanceSelectorType":"strictReplicaGroup"}`,
		"upsertConfig":                          `{"mode":"FULL","comparisonColumns":["ts"],"metadataTTL":86400}`,
		"query":                                 `{"timeoutMs":1000}`,
		"metadata":                              `{"customConfigs":{}}`,
	}
	gotUnimpl := map[string]string{}
	for k, v := range c.Unimplemented {
		gotUnimpl[k] = string(v)
	}
	if !reflect.DeepEqual(gotUnimpl, wantUnimpl) {
		t.Errorf("Unimplemented:\n got %v\nwant %v", gotUnimpl, wantUnimpl)
	}
	if c.Tenants != (TenantsConfig{Broker: "b", Server: "s"}) {
		t.Errorf("tenants %+v", c.Tenants)
	}
	out := roundTrip(t, c)
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	upsert, _ := json.Marshal(doc["upsertConfig"])
	if string(upsert) != `{"comparisonColumns":["ts"],"metadataTTL":86400,"mode":"FULL"}` {
		t.Errorf("upsertConfig written back as %s", upsert)
	}
	st := doc["tableIndexConfig"].(map[string]any)["starTreeIndexConfigs"]
	if st == nil {
		t.Errorf("starTreeIndexConfigs missing from output:\n%s", out)
	}
}

func TestMarshalJSON(t *testing.T) {
	in := `{
	  "tableName": "clicks",
	  "tableType": "REALTIME",
	  "segmentsConfig": {"timeColumnName": "ts", "replication": 2, "retentionTimeUnit": "DAYS", "retentionTimeValue": 30},
	  "tenants": {},
	  "tableIndexConfig": {"invertedIndexColumns": ["country"], "sortedColumn": ["userId"], "segmentPartitionConfig": {"columnPartitionMap": {"userId": {"functionName": "Murmur", "numPartitions": 8}}}},
	  "fieldConfigList": [{"name": "userId", "indexes": {"bloom": {}}}],
	  "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [{"streamType": "kinesis", "region": "us-east-1"}]}},
	  "routing": {"instanceSelectorType": "strictReplicaGroup"}
	}`
	c, _, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "tableName": "clicks_REALTIME",
  "tableType": "REALTIME",
  "segmentsConfig": {
    "timeColumnName": "ts",
    "retentionTimeUnit": "DAYS",
    "retentionTimeValue": "30",
    "replication": "2"
  },
  "tenants": {
    "broker": "DefaultTenant",
    "server": "DefaultTenant"
  },
  "tableIndexConfig": {
    "loadMode": "MMAP",
    "sortedColumn": [
      "userId"
    ],
    "invertedIndexColumns": [
      "country"
    ],
    "bloomFilterColumns": [
      "userId"
    ],
    "segmentPartitionConfig": {
      "columnPartitionMap": {
        "userId": {
          "functionName": "Murmur",
          "numPartitions": 8
        }
      }
    }
  },
  "fieldConfigList": [
    {
      "name": "userId",
      "indexes": {
        "bloom": {}
      }
    }
  ],
  "ingestionConfig": {
    "streamIngestionConfig": {
      "streamConfigMaps": [
        {
          "region": "us-east-1",
          "streamType": "kinesis"
        }
      ]
    }
  },
  "routing": {
    "instanceSelectorType": "strictReplicaGroup"
  }
}
`
	if string(out) != want {
		t.Errorf("MarshalJSON:\n%s\nwant:\n%s", out, want)
	}
}

func TestMarshalErrors(t *testing.T) {
	c := &TableConfig{TableName: "t", TableType: Offline, Segments: SegmentsConfig{Replication: 1},
		Unimplemented: map[string][]byte{"fieldConfigList[3].x": []byte(`1`)}}
	if _, err := c.MarshalJSON(); err == nil || !strings.Contains(err.Error(), `marshal table config "t_OFFLINE": set path "fieldConfigList[3].x"`) {
		t.Errorf("bad path: %v", err)
	}
	c.Unimplemented = map[string][]byte{"tableName": []byte(`"x"`)}
	if _, err := c.MarshalJSON(); err == nil || err.Error() != `marshal table config "t_OFFLINE": unimplemented part "tableName" overwrites an implemented key` {
		t.Errorf("overwrite: %v", err)
	}
}

func testSchema(t *testing.T) *schema.Schema {
	t.Helper()
	s, _, err := schema.Parse([]byte(`{
	  "schemaName": "t",
	  "dimensionFieldSpecs": [
	    {"name": "a", "dataType": "STRING"},
	    {"name": "tags", "dataType": "STRING", "singleValueField": false},
	    {"name": "j", "dataType": "JSON"},
	    {"name": "n", "dataType": "INT"}
	  ],
	  "metricFieldSpecs": [{"name": "m", "dataType": "DOUBLE"}],
	  "dateTimeFieldSpecs": [{"name": "ts", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateAgainstSchema(t *testing.T) {
	s := testSchema(t)
	tests := []struct {
		name, extra, want string
	}{
		{"ok", `"segmentsConfig": {"timeColumnName": "TS"}, "tableIndexConfig": {"invertedIndexColumns": ["A"], "sortedColumn": ["n"], "jsonIndexColumns": ["j", "a"]}`, ""},
		{"inverted", `"tableIndexConfig": {"invertedIndexColumns": ["a", "x"]}`, `table config "t_OFFLINE": inverted index column "x" is not in schema "t"`},
		{"range", `"tableIndexConfig": {"rangeIndexColumns": ["x"]}`, `table config "t_OFFLINE": range index column "x" is not in schema "t"`},
		{"bloom", `"tableIndexConfig": {"bloomFilterColumns": ["x"]}`, `table config "t_OFFLINE": bloom filter column "x" is not in schema "t"`},
		{"no-dictionary", `"tableIndexConfig": {"noDictionaryColumns": ["x"]}`, `table config "t_OFFLINE": no-dictionary column "x" is not in schema "t"`},
		{"json", `"tableIndexConfig": {"jsonIndexColumns": ["x"]}`, `table config "t_OFFLINE": JSON index column "x" is not in schema "t"`},
		{"sorted", `"tableIndexConfig": {"sortedColumn": ["x"]}`, `table config "t_OFFLINE": sorted column "x" is not in schema "t"`},
		{"partition", `"tableIndexConfig": {"segmentPartitionConfig": {"columnPartitionMap": {"x": {"functionName": "Modulo", "numPartitions": 2}}}}`,
			`table config "t_OFFLINE": partition column "x" is not in schema "t"`},
		{"field config", `"fieldConfigList": [{"name": "x"}]`, `table config "t_OFFLINE": field config column "x" is not in schema "t"`},
		{"transform", `"ingestionConfig": {"transformConfigs": [{"columnName": "x", "transformFunction": "lower(a)"}]}`,
			`table config "t_OFFLINE": transform column "x" is not in schema "t"`},
		{"sorted multi-value", `"tableIndexConfig": {"sortedColumn": ["tags"]}`, `table config "t_OFFLINE": sorted column "tags" is multi-value`},
		{"json on INT", `"tableIndexConfig": {"jsonIndexColumns": ["n"]}`, `table config "t_OFFLINE": JSON index column "n" must be a single-value JSON or STRING column, not INT`},
		{"json on MV", `"tableIndexConfig": {"jsonIndexColumns": ["tags"]}`, `table config "t_OFFLINE": JSON index column "tags" must be a single-value JSON or STRING column, not multi-value STRING`},
		{"time column missing", `"segmentsConfig": {"timeColumnName": "when"}`, `table config "t_OFFLINE": time column "when" is not in schema "t"`},
		{"time column not date-time", `"segmentsConfig": {"timeColumnName": "m"}`, `table config "t_OFFLINE": time column "m" is a metric column, not a date-time column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Parse([]byte(offline(tt.extra)))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate(s)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Error("error does not match ErrInvalid")
			}
		})
	}
}

func TestValidateStruct(t *testing.T) {
	c := &TableConfig{TableName: "t", TableType: Offline, Segments: SegmentsConfig{Replication: 1}}
	if err := c.Validate(nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mutate func(*TableConfig)
		want   string
	}{
		{func(c *TableConfig) { c.TableName = "" }, "table config: empty table name"},
		{func(c *TableConfig) { c.TableType = "HYBRID" }, `table config "t": table type "HYBRID" must be OFFLINE or REALTIME`},
		{func(c *TableConfig) { c.Segments.Replication = 0 }, `table config "t_OFFLINE": replication 0 must be at least 1`},
	} {
		c := &TableConfig{TableName: "t", TableType: Offline, Segments: SegmentsConfig{Replication: 1}}
		tt.mutate(c)
		if err := c.Validate(nil); err == nil || err.Error() != tt.want {
			t.Errorf("error %v, want %s", err, tt.want)
		}
	}
}

// roundTrip checks Parse(MarshalJSON(c)) == c and returns the JSON.
func roundTrip(t *testing.T, c *TableConfig) []byte {
	t.Helper()
	out, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	c2, _, err := Parse(out)
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Errorf("round trip differs:\n%+v\n%+v\n%s", c, c2, out)
	}
	return out
}

const examples = "../schema/testdata/pinot"

// knownBad are Pinot examples that Pinot accepts only because it ignores
// unknown keys.
var knownBad = map[string]string{
	"stream/upsertJsonMeetupRsvp/upsertJsonMeetupRsvp_realtime_table_config.json": `table config: unknown field "columnPartitionMap" at tableIndexConfig; it belongs in tableIndexConfig.segmentPartitionConfig`,
}

// TestPinotExamples loads every table config of Apache Pinot's examples in
// ../schema/testdata/pinot unchanged: each parses (warnings allowed),
// validates against its schema and round-trips.
func TestPinotExamples(t *testing.T) {
	var files []string
	err := filepath.WalkDir(examples, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "_table_config.json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("found %d example configs", len(files))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(examples, f)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := Parse(data)
			if want, bad := knownBad[filepath.ToSlash(rel)]; bad {
				if err == nil || err.Error() != want {
					t.Fatalf("error %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c)
			s := exampleSchema(t, filepath.Dir(f))
			if err := c.Validate(s); err != nil {
				t.Error(err)
			}
		})
	}
}

// exampleSchema finds the schema beside a config, or one directory up.
func exampleSchema(t *testing.T, dir string) *schema.Schema {
	t.Helper()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		m, _ := filepath.Glob(filepath.Join(d, "*_schema.json"))
		if len(m) == 1 {
			data, err := os.ReadFile(m[0])
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := schema.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("no schema for %s", dir)
	return nil
}

// TestPinotExampleDetails pins what a few real configs decode to.
func TestPinotExampleDetails(t *testing.T) {
	load := func(p string) (*TableConfig, []string) {
		data, err := os.ReadFile(filepath.Join(examples, p))
		if err != nil {
			t.Fatal(err)
		}
		c, w, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return c, w
	}
	c, w := load("stream/pullRequestMergedEvents/pullRequestMergedEvents_kinesis_realtime_table_config.json")
	if c.TableType != Realtime || c.Segments.RetentionTimeValue != 60 || len(w) != 0 {
		t.Errorf("kinesis: %+v, warnings %q", c, w)
	}
	sc := c.Ingestion.StreamConfigs
	if len(sc) != 1 || sc[0]["streamType"] != "kinesis" || sc[0]["region"] != "us-east-1" || sc[0]["shardIteratorType"] != "TRIM_HORIZON" ||
		sc[0]["realtime.segment.flush.threshold.size"] != "100000" {
		t.Errorf("kinesis stream config %v", sc)
	}
	c, w = load("batch/airlineStats/airlineStats_offline_table_config.json")
	if !reflect.DeepEqual(c.Index.InvertedIndexColumns, []string{"ArrTimeBlk"}) {
		t.Errorf("airlineStats: inverted index from fieldConfigList.indexes: %v", c.Index.InvertedIndexColumns)
	}
	for _, p := range []string{"tableIndexConfig.starTreeIndexConfigs", "tierConfigs", "fieldConfigList[1].tierOverwrites", "fieldConfigList[0].timestampConfig", "tableSamplers"} {
		if _, ok := c.Unimplemented[p]; !ok {
			t.Errorf("airlineStats: %s not kept in Unimplemented", p)
		}
	}
	if !slicesContain(w, "tableIndexConfig.starTreeIndexConfigs is not implemented yet; ignored") {
		t.Errorf("airlineStats warnings %q", w)
	}
	c, _ = load("minions/stream/githubEvents/githubEvents_realtime_table_config.json")
	if len(c.Ingestion.StreamConfigs) != 1 || c.Ingestion.StreamConfigs[0]["streamType"] != "kafka" {
		t.Errorf("githubEvents legacy streamConfigs: %v", c.Ingestion.StreamConfigs)
	}
	c, _ = load("batch/githubComplexTypeEvents/githubComplexTypeEvents_offline_table_config.json")
	if len(c.Index.NoDictionaryColumns) != 0 || !reflect.DeepEqual(c.Index.InvertedIndexColumns, []string{"commits_url"}) {
		t.Errorf("githubComplexTypeEvents: RAW with an explicit dictionary keeps it: %+v", c.Index)
	}
}

func slicesContain(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestQuickstart checks deploy/quickstart's webTransactions table.
func TestQuickstart(t *testing.T) {
	sdata, err := os.ReadFile("../deploy/quickstart/webTransactions_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := schema.Parse(sdata)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../deploy/quickstart/webTransactions_offline_table_config.json")
	if err != nil {
		t.Fatal(err)
	}
	c, warnings, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if err := c.Validate(s); err != nil {
		t.Fatal(err)
	}
	want := &TableConfig{
		TableName: "webTransactions",
		TableType: Offline,
		Segments:  SegmentsConfig{TimeColumnName: "creationTimestamp", Replication: 1, SegmentPushType: "APPEND"},
		Tenants:   TenantsConfig{Broker: "DefaultTenant", Server: "DefaultTenant"},
		Index: IndexConfig{
			InvertedIndexColumns: []string{"userID", "campaign", "department"},
			RangeIndexColumns:    []string{"price"},
			BloomFilterColumns:   []string{"productName"},
			LoadMode:             "MMAP",
		},
		Ingestion: IngestionConfig{Transforms: []TransformConfig{
			{ColumnName: "creationTimestamp", TransformFunction: "FromDateTime(creationTime, 'yyyy-MM-dd HH:mm:ss')"},
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if c.TableNameWithType() != "webTransactions_OFFLINE" {
		t.Errorf("TableNameWithType %q", c.TableNameWithType())
	}
	roundTrip(t, c)
}

// FuzzParse checks that Parse never panics, that its errors match
// ErrInvalid, and that whatever it accepts round-trips.
func FuzzParse(f *testing.F) {
	for _, p := range []string{
		"stream/pullRequestMergedEvents/pullRequestMergedEvents_kinesis_realtime_table_config.json",
		"batch/airlineStats/airlineStats_offline_table_config.json",
		"stream/upsertMeetupRsvp/upsertMeetupRsvp_realtime_table_config.json",
	} {
		data, err := os.ReadFile(filepath.Join(examples, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(offline(`"fieldConfigList": [{"name": "a", "encodingType": "RAW", "indexes": {"dictionary": {}, "bloom": {"fpp": 0.1}, "text": {}}}]`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid: %v", err)
			}
			return
		}
		out, err := c.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a parsed config: %v", err)
		}
		c2, _, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip differs:\n%+v\n%+v\n%s", c, c2, out)
		}
	})
}
