package decode

import (
	"bytes"
	"testing"

	"github.com/tannin-db/tannin/internal/datagen"
)

const webTxSchema = `{
  "schemaName": "transactions",
  "dimensionFieldSpecs": [
    {"name": "userID", "dataType": "STRING"},
    {"name": "productName", "dataType": "STRING"},
    {"name": "color", "dataType": "STRING"},
    {"name": "department", "dataType": "STRING"},
    {"name": "product", "dataType": "STRING"},
    {"name": "campaign", "dataType": "STRING"}
  ],
  "metricFieldSpecs": [{"name": "price", "dataType": "DOUBLE"}],
  "dateTimeFieldSpecs": [
    {"name": "creationTimestamp", "dataType": "LONG", "format": "1:MILLISECONDS:EPOCH", "granularity": "1:MILLISECONDS"}
  ]
}`

// BenchmarkDecode measures decoding web-transactions records held in
// memory into batches: the decoder alone, without I/O or segment building.
func BenchmarkDecode(b *testing.B) {
	const rows = 100_000
	s := mustSchema(b, webTxSchema)
	var jsonBuf, csvBuf bytes.Buffer
	if err := datagen.WriteTransactionsJSON(&jsonBuf, 1, rows, datagen.RawOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := datagen.WriteTransactionsCSV(&csvBuf, 1, rows, datagen.RawOptions{}); err != nil {
		b.Fatal(err)
	}
	split := func(buf []byte) [][]byte {
		lines := bytes.Split(bytes.TrimSuffix(buf, []byte("\n")), []byte("\n"))
		return lines
	}
	jsonLines := split(jsonBuf.Bytes())
	csvLines := split(csvBuf.Bytes())
	header := []string{"userID", "productName", "color", "department", "product", "campaign", "price", "creationTimestamp"}

	for _, format := range []string{"json", "csv"} {
		b.Run("format="+format, func(b *testing.B) {
			batch, err := NewBatch(s, DefaultBatchSize)
			if err != nil {
				b.Fatal(err)
			}
			lines := jsonLines
			dec := NewJSONDecoder(batch).Decode
			if format == "csv" {
				lines = csvLines[1:]
				dec = NewCSVDecoder(batch, header, CSVOptions{}).Decode
			}
			var size int64
			for _, l := range lines {
				size += int64(len(l)) + 1
			}
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k, l := range lines {
					if batch.Full() {
						batch.Reset()
					}
					if err := dec(int64(k), l); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
