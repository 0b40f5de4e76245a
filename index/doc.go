// Package index groups the secondary indexes of sealed segments, one
// package each: bitmap (roaring serialization shared by the others),
// inverted (a bitmap of docs per dictionary id), sorted (the doc range of
// each id of a sorted column, as runs or as change bits), rangeindex (doc
// ids sorted by value, answering value ranges exactly in O(log n +
// matches)), and bloom (a bloom filter over a column's canonical value
// bytes).
//
// Each package writes its section body append-style from columnar input
// and reads it in place from the segment's memory mapping, validating
// every offset first; byte layouts are in segment/FORMAT.md. Each has a
// naive reference implementation in its tests, and its tests compare the
// two on generated data.
package index
