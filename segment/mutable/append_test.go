package mutable

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/tableconfig"
)

// TestAppendBatch decodes JSON records, some of them bad or filtered out,
// and appends the batches: the segment holds exactly the good rows, as
// batch ingestion would have written them.
func TestAppendBatch(t *testing.T) {
	const rows = 5000
	ds := datagen.WebTransactions{}
	sch := ds.Schema()
	var buf bytes.Buffer
	if err := datagen.WriteTransactionsJSON(&buf, 3, rows, datagen.RawOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	tr, err := decode.NewTransformer(sch, &tableconfig.IngestionConfig{FilterFunction: "campaign = 'NONE'"})
	if err != nil {
		t.Fatal(err)
	}
	seg, err := New(txConfig(sch, rows))
	if err != nil {
		t.Fatal(err)
	}
	b, err := decode.NewBatch(sch, 512)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Check(b); err != nil {
		t.Fatal(err)
	}
	dec := decode.NewJSONDecoder(b)
	flush := func() {
		tr.Apply(b)
		if err := seg.Append(b); err != nil {
			t.Fatal(err)
		}
		b.Reset()
	}
	bad := 0
	var kept [][]byte
	for i, l := range lines {
		if i%97 == 5 {
			l = []byte(`{"userID": "u1", "price": "not a number"}`)
		}
		if err := dec.Decode(int64(i), l); err != nil {
			bad++
		} else if !bytes.Contains(l, []byte(`"campaign":"NONE"`)) {
			kept = append(kept, l)
		}
		if b.Full() {
			flush()
		}
	}
	flush()
	if bad == 0 || len(kept) == len(lines)-bad {
		t.Fatalf("the input has %d bad and %d filtered rows; want some of each", bad, len(lines)-bad-len(kept))
	}
	if seg.NumDocs() != len(kept) {
		t.Fatalf("%d rows, want %d", seg.NumDocs(), len(kept))
	}
	if seg.EstimatedSizeBytes() <= int64(len(kept))*4 {
		t.Errorf("estimated size %d bytes for %d rows", seg.EstimatedSizeBytes(), len(kept))
	}
	// The same good rows, decoded alone, give the same answers.
	ref, err := New(txConfig(sch, rows))
	if err != nil {
		t.Fatal(err)
	}
	b, err = decode.NewBatch(sch, len(kept))
	if err != nil {
		t.Fatal(err)
	}
	dec = decode.NewJSONDecoder(b)
	for i, l := range kept {
		if err := dec.Decode(int64(i), l); err != nil {
			t.Fatal(err)
		}
	}
	if err := ref.Append(b); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT campaign, COUNT(*), SUM(price), MIN(creationTimestamp) FROM transactions GROUP BY campaign ORDER BY campaign",
		"SELECT userID, productName FROM transactions ORDER BY creationTimestamp, userID LIMIT 20",
	} {
		if got, want := query(t, seg.Snapshot(), sch, q), query(t, ref.Snapshot(), sch, q); !sameRows(got, want) {
			t.Errorf("%s\n got %s\nwant %s", q, fmtRows(got), fmtRows(want))
		}
	}
	// A batch that does not fit is refused whole.
	small, err := New(txConfig(sch, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := small.Append(b); !errors.Is(err, ErrFull) || small.NumDocs() != 0 {
		t.Errorf("append of %d rows to a 10-row segment: %v, %d rows held", b.Len(), err, small.NumDocs())
	}
}
