// Package rangeindex answers value-range predicates from a value-sorted
// permutation of the doc ids.
//
// Each document has an unsigned key: its dictionary id for a dictionary
// column, or its value's ordered key for a raw numeric column
// (segment/FORMAT.md, section 5). The index stores the keys in ascending
// order (frame-of-reference bit-packed) and, beside them, the doc ids in
// that order. A range [lo, hi] is two binary searches over the sorted keys,
// which delimit one run of positions, and the doc ids in that run are the
// answer: the cost is O(log n + matching docs), or O(n/64 + non-matching
// docs) when more than half the docs match, never a scan of the forward
// index. (A bit-sliced index, Pinot's current design, costs O(w * n/64)
// whatever the selectivity.)
//
//	body, dw, kw := b.Append(nil, ids, keyOfID)       // build
//	ix, err := rangeindex.Open(body, dw, kw, numDocs)  // open
//	docs := ix.Range(lo, hi)                           // query, keys inclusive
package rangeindex
