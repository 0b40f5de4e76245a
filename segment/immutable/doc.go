// Package immutable builds sealed segments and reads them through a memory
// mapping. The file format is specified in segment/FORMAT.md.
//
// # Building
//
// Build takes one segment.ColumnBuffer per column (all with the same
// number of documents) and writes a single file:
//
//	meta, err := immutable.Build(path, immutable.BuildConfig{
//		SegmentName: "orders_0", TableName: "orders", Schema: sch,
//		TimeColumn: "ts", SortedColumn: "restaurant_id",
//		InvertedColumns: []string{"status"}, RangeColumns: []string{"price"},
//		BloomColumns: []string{"order_id"}, PartitionID: -1,
//	}, buffers)
//
// Each dictionary column gets a sorted dictionary and bit-packed ids (or,
// when its ids never decrease, only the runs of each id: its sorted
// index); each no-dictionary column gets compressed chunks. When
// SortedColumn is set the rows are first reordered by that column (stable,
// null docs last). Statistics (min, max, cardinality, null count,
// sortedness) and the time range land in the metadata. The file is
// written to path+".tmp", synced and renamed, so a reader never sees a
// partial segment. A process that seals segments one after another keeps
// a Builder, whose scratch space (a few times the largest column) then
// survives from build to build.
//
// # Reading
//
// Open maps the file and validates all of it before returning (see
// FORMAT.md, "Integrity", for why at open): a corrupt file yields an error
// naming the segment and the section, e.g.
//
//	open segment "orders_0": column "price" forward index: checksum mismatch
//
// and never a panic. The returned *Segment implements segment.Segment;
// column reads are batch-at-a-time, take a sequential path for contiguous
// doc ids (unpacking 64 ids per unrolled step) and a gather path otherwise,
// and are safe for concurrent use: nothing is shared and mutable except a
// small cache of decompressed raw chunks behind atomic pointers.
// Dictionary strings, string values and index bitmaps point into the
// mapping, so Close only when no reader holds anything from the segment.
//
// # Testing
//
// Besides round trips of every type and index against the input, the
// tests corrupt every section and check the error names it, forge sections
// behind valid CRCs, and fuzz Open:
//
//	go test -fuzz FuzzOpen -fuzztime 60s -fuzzminimizetime 50x ./segment/immutable
//
// (the seed segment is ~20 KB; without a bound on minimization the fuzzer
// spends its time minimizing each new input instead of fuzzing).
package immutable
