// Package strictjson is the strict JSON layer under Tannin's decoders of
// Apache Pinot's configuration formats (schema and table config).
//
// Pinot decodes its JSON with Jackson set to ignore unknown properties, so a
// misspelled key ("replicaton") is silently dropped and the table runs with a
// default. Tannin decodes the same documents strictly, which needs three
// things encoding/json does not give:
//
//   - Parse builds an ordered tree of *Value that keeps every value's exact
//     bytes and offset, so a syntax error is reported with its line and
//     column and an accepted-but-unimplemented part of a document can be kept
//     verbatim and written back unchanged;
//
//   - CheckKeys rejects an object key outside a known vocabulary with an error
//     naming the JSON path and the nearest known key by edit distance:
//
//     unknown field "dimensionFieldSpec" at top level; did you mean "dimensionFieldSpecs"?
//
//   - the As* accessors coerce scalars the way Jackson does for Pinot's
//     fields ("replication": "3" and "replication": 3 are the same), with
//     errors that name the path.
//
// For writing, Obj is an insertion-ordered JSON object; SetPath grafts a raw
// value back at a path such as
// `tableIndexConfig.segmentPartitionConfig.columnPartitionMap["a.b"].functionConfig`,
// and Marshal renders the tree with two-space indentation.
//
// Paths are dotted keys with [i] for array elements; a key that is not a
// plain identifier is written as ["key"] (JoinKey, Index, SplitPath).
package strictjson
