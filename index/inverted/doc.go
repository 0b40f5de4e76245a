// Package inverted is the inverted index of a dictionary-encoded column: for
// each dictionary id, the roaring bitmap of the documents holding it.
//
// The section body is a u32 offset table (one entry per id plus one) and
// the bitmaps back to back, each in the portable roaring serialization
// (segment/FORMAT.md, section 9). Open checks the offset table; Docs
// decodes one bitmap in place (no copy) and validates it before returning
// it, so that a forged section yields an error, not out-of-range doc ids.
//
//	body := inverted.AppendSV(nil, ids, card, &w)   // build
//	ix, err := inverted.Open(body, card, numDocs)   // open
//	docs, err := ix.Docs(id)                        // query
package inverted
