// Package bloom is the per-column bloom filter of sealed segments: a
// bits-and-blooms/bloom/v3 filter over the canonical bytes of the column's
// distinct values (int64 and float64 as 8 little-endian bytes, float64
// after canonicalising -0 and NaN, strings and bytes as they are), sized
// for the column's cardinality at a false-positive probability of 0.05 by
// default. A broker or server prunes a segment for an equality predicate
// when MayContain says the value is absent.
//
// The section body is m and k and the filter's words (segment/FORMAT.md,
// section 11); Open views the words in place when the mapping is aligned.
//
//	f := bloom.New(bloom.Int64, card, 0.05)
//	f.AddInt64(v) ...
//	body := f.Append(nil)
//	g, err := bloom.Open(body, bloom.Int64)
//	g.MayContainInt64(v)
package bloom
