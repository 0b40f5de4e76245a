package immutable

import (
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment/encoding"
)

func BenchmarkDictPerColumn(b *testing.B) {
	benchDictPerColumn(b, benchTable(1<<20))
}

// BenchmarkDictPerColumnInterned is BenchmarkDictPerColumn over strings
// interned the way an ingestion dictionary hands them over.
func BenchmarkDictPerColumnInterned(b *testing.B) {
	benchDictPerColumn(b, internTable(benchTable(1<<20)))
}

func benchDictPerColumn(b *testing.B, tbl *testTable) {
	var db encoding.DictBuilder
	ids := make([]uint32, 4<<20)
	var keys []uint64
	for _, c := range tbl.cols {
		b.Run(c.Spec.Name, func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				switch c.Spec.DataType.Storage() {
				case schema.StorageInt64:
					keys = encoding.AppendInt64Keys(keys[:0], c.Ints)
					db.Keys(keys, ids)
				case schema.StorageFloat64:
					db.Float64s(c.Floats, ids)
				default:
					db.Strings(c.Strs, ids)
				}
			}
			b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
