// Package bitmap writes and opens roaring bitmaps in the portable
// serialization (https://github.com/RoaringBitmap/RoaringFormatSpec) that
// the segment format stores for null bitmaps, inverted indexes and range
// index slices.
//
// A Writer serializes an ascending doc-id list directly, picking array,
// bitmap or run containers by size, without building a roaring.Bitmap per
// list: an inverted index over a high-cardinality column writes a million
// small bitmaps, and building each as an object would dominate segment
// build time. Open decodes in place (roaring's FromBuffer) and validates
// the result, so that a corrupt section cannot yield doc ids outside the
// segment.
package bitmap
