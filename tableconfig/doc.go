// Package tableconfig decodes Apache Pinot's table config JSON strictly and
// validates it against a schema.
//
// # Decoding
//
//	c, warnings, err := tableconfig.Parse(data)
//	if err == nil {
//		err = c.Validate(s) // s from schema.Parse
//	}
//
// Parse accepts the JSON Pinot's controller accepts at POST /tables and
// decodes what Tannin implements into TableConfig: the raw table name (a
// "_OFFLINE"/"_REALTIME" suffix matching tableType is stripped; see
// RawTableName and TableNameWithType), segmentsConfig (Pinot's string
// numbers such as "replication": "3" are read as numbers), tenants,
// tableIndexConfig, fieldConfigList and ingestionConfig.
//
// Three rules keep Pinot's configs working unchanged while catching typos:
//
//   - an unknown key anywhere is an error naming its path and the nearest
//     known key, or the section where it belongs:
//
//     table config: unknown field "replicaton" at segmentsConfig; did you mean "replication"?
//     table config: unknown field "columnPartitionMap" at tableIndexConfig; it belongs in tableIndexConfig.segmentPartitionConfig
//
//   - a key of Pinot's vocabulary that Tannin does not implement yet
//     (upsertConfig, routing, tableIndexConfig.starTreeIndexConfigs, a text
//     index, ...) is kept verbatim in TableConfig.Unimplemented under its
//     path and reported as a warning, unless it is left at Pinot's default;
//
//   - MarshalJSON writes the config back as Pinot's JSON, with the
//     Unimplemented parts at their paths, so that Parse(MarshalJSON(c))
//     gives c back and nothing a user wrote is lost.
//
// # Folding
//
// Pinot spreads index choices over several places; Parse folds them into
// IndexConfig's lists. fieldConfigList entries with encodingType RAW add
// no-dictionary columns (unless, as in Pinot, the entry configures a
// dictionary or an index that needs one), indexTypes and indexes add to the
// inverted, range, JSON and bloom lists and may name the sorted column, and
// an index marked {"disabled": true} removes the column from its list. The
// columns of bloomFilterConfigs and jsonIndexConfigs get their index too.
// The deprecated tableIndexConfig.streamConfigs becomes
// Ingestion.StreamConfigs, as ingestionConfig.streamIngestionConfig
// .streamConfigMaps would; stream config values are strings, as in Pinot.
//
// Errors of Parse and Validate match ErrInvalid.
package tableconfig
