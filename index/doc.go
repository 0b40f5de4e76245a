// Package index groups the secondary indexes of sealed segments, one
// package each: bitmap (roaring serialization shared by the others),
// inverted (a bitmap of docs per dictionary id), sorted (a doc range per
// dictionary id of a sorted column), rangeindex (bit-sliced bitmaps that
// answer value ranges exactly), and bloom (a bloom filter over a column's
// canonical value bytes).
//
// Each package writes its section body append-style from columnar input
// and reads it in place from the segment's memory mapping, validating
// every offset first; byte layouts are in segment/FORMAT.md. Each has a
// naive reference implementation in its tests, and its tests compare the
// two on generated data.
package index
