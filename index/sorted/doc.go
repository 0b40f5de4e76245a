// Package sorted is the sorted index of a single-value dictionary column
// whose ids never decrease with the doc id: each id covers one contiguous
// run of documents, so the index is the run starts, one u32 per id plus
// one (segment/FORMAT.md, forward index encoding 2). It is also the
// column's forward index: a doc's id is found by binary search, and a
// sequential read walks the runs.
//
//	body := sorted.AppendRuns(nil, ids, card)
//	runs, err := sorted.Open(body, card, numDocs)
//	start, end := runs.DocRange(id)   // docs [start, end)
//	runs.IDs(docs, dst)               // forward read, ascending docs
package sorted
