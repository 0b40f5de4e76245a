package tableconfig

// TableType is OFFLINE (batch segments) or REALTIME (stream-consumed).
type TableType string

const (
	Offline  TableType = "OFFLINE"
	Realtime TableType = "REALTIME"
)

// TableConfig is Pinot's table config, with the fields Tannin implements.
// Fields of Pinot's vocabulary that Tannin does not implement yet are kept
// verbatim in Unimplemented (JSON path -> raw JSON) and reported as warnings
// by Parse, so that a config round-trips without loss.
type TableConfig struct {
	TableName       string
	TableType       TableType
	Segments        SegmentsConfig
	Tenants         TenantsConfig
	Index           IndexConfig
	Ingestion       IngestionConfig
	FieldConfigList []FieldConfig
	// Unimplemented holds accepted-but-not-implemented parts of the JSON by
	// their dotted path, e.g. "upsertConfig" or "tableIndexConfig.starTreeIndexConfigs".
	Unimplemented map[string][]byte
}

// SegmentsConfig is Pinot's segmentsConfig.
type SegmentsConfig struct {
	TimeColumnName     string
	RetentionTimeUnit  string // DAYS, HOURS, ... ("" when unset)
	RetentionTimeValue int    // 0 when unset
	Replication        int    // from "replication" (or legacy "replicasPerPartition"); default 1
	SegmentPushType    string
}

// TenantsConfig is Pinot's tenants section.
type TenantsConfig struct {
	Broker string // default "DefaultTenant"
	Server string // default "DefaultTenant"
}

// IndexConfig is Pinot's tableIndexConfig plus the index choices of
// fieldConfigList folded in (encodingType RAW adds to NoDictionaryColumns,
// indexTypes/indexes add to the per-index lists).
type IndexConfig struct {
	InvertedIndexColumns []string
	SortedColumn         string // Pinot's list holds at most one
	RangeIndexColumns    []string
	BloomFilterColumns   []string
	NoDictionaryColumns  []string
	JSONIndexColumns     []string
	LoadMode             string // MMAP (default) or HEAP
	NullHandlingEnabled  bool
	// PartitionColumn and its function, from segmentPartitionConfig.
	Partitioning map[string]ColumnPartition
}

// ColumnPartition is one entry of segmentPartitionConfig.columnPartitionMap.
type ColumnPartition struct {
	FunctionName  string // Murmur, Modulo, HashCode, ByteArray
	NumPartitions int
}

// IngestionConfig is Pinot's ingestionConfig.
type IngestionConfig struct {
	Transforms []TransformConfig
	// FilterFunction drops the rows for which it is true ("" when none).
	FilterFunction string
	// StreamConfigs holds ingestionConfig.streamIngestionConfig.streamConfigMaps,
	// or the deprecated tableIndexConfig.streamConfigs as a one-element list.
	StreamConfigs   []map[string]string
	ContinueOnError bool
}

// TransformConfig derives a column from an expression over input fields.
type TransformConfig struct {
	ColumnName        string
	TransformFunction string
}

// FieldConfig is one entry of fieldConfigList.
type FieldConfig struct {
	Name             string
	EncodingType     string // RAW or DICTIONARY
	IndexTypes       []string
	CompressionCodec string
}
