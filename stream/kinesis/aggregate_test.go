package kinesis

import (
	"bytes"
	"crypto/md5"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// subRec is one user record for buildAggregate.
type subRec struct {
	key  string
	data string
}

// buildAggregate encodes records as the KPL does: magic, AggregatedRecord
// (partition key table, then records with a tag and an explicit hash key
// index, which the reader must skip), MD5 of the body.
func buildAggregate(recs ...subRec) []byte {
	var body []byte
	keyIdx := map[string]uint64{}
	for _, r := range recs {
		if _, ok := keyIdx[r.key]; !ok {
			keyIdx[r.key] = uint64(len(keyIdx))
			body = protowire.AppendTag(body, 1, protowire.BytesType)
			body = protowire.AppendString(body, r.key)
		}
	}
	body = protowire.AppendTag(body, 2, protowire.BytesType)
	body = protowire.AppendString(body, "12345")
	for _, r := range recs {
		var rec []byte
		rec = protowire.AppendTag(rec, 1, protowire.VarintType)
		rec = protowire.AppendVarint(rec, keyIdx[r.key])
		rec = protowire.AppendTag(rec, 2, protowire.VarintType)
		rec = protowire.AppendVarint(rec, 0)
		rec = protowire.AppendTag(rec, 3, protowire.BytesType)
		rec = protowire.AppendString(rec, r.data)
		var tag []byte
		tag = protowire.AppendTag(tag, 1, protowire.BytesType)
		tag = protowire.AppendString(tag, "source")
		rec = protowire.AppendTag(rec, 4, protowire.BytesType)
		rec = protowire.AppendBytes(rec, tag)
		body = protowire.AppendTag(body, 3, protowire.BytesType)
		body = protowire.AppendBytes(body, rec)
	}
	return seal(body)
}

// seal frames a body: magic, body, MD5.
func seal(body []byte) []byte {
	sum := md5.Sum(body)
	out := append(append([]byte{}, kplMagic...), body...)
	return append(out, sum[:]...)
}

func TestDecodeAggregate(t *testing.T) {
	recs := []subRec{{"a", "one"}, {"b", "two"}, {"a", ""}, {"c", strings.Repeat("x", 300)}}
	data := buildAggregate(recs...)
	if !isAggregate(data) {
		t.Fatal("isAggregate = false")
	}
	var d deaggregator
	got, err := d.decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("decoded %d records, want %d", len(got), len(recs))
	}
	for i, r := range recs {
		if got[i].key != r.key || string(got[i].data) != r.data {
			t.Fatalf("record %d: %q %q, want %q %q", i, got[i].key, got[i].data, r.key, r.data)
		}
	}
	// The scratch is reused: a second decode must not keep old records.
	got, err = d.decode(buildAggregate(subRec{"z", "only"}))
	if err != nil || len(got) != 1 || got[0].key != "z" {
		t.Fatalf("second decode: %+v, %v", got, err)
	}
}

// TestDecodeKeyTableAfterRecords: protobuf fields may come in any order.
func TestDecodeKeyTableAfterRecords(t *testing.T) {
	var rec, body []byte
	rec = protowire.AppendTag(rec, 3, protowire.BytesType)
	rec = protowire.AppendString(rec, "d")
	rec = protowire.AppendTag(rec, 1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 1)
	body = protowire.AppendTag(body, 3, protowire.BytesType)
	body = protowire.AppendBytes(body, rec)
	for _, k := range []string{"k0", "k1"} {
		body = protowire.AppendTag(body, 1, protowire.BytesType)
		body = protowire.AppendString(body, k)
	}
	var d deaggregator
	got, err := d.decode(seal(body))
	if err != nil || len(got) != 1 || got[0].key != "k1" || string(got[0].data) != "d" {
		t.Fatalf("decode: %+v, %v", got, err)
	}
}

func TestDecodeCorruptAggregate(t *testing.T) {
	good := buildAggregate(subRec{"a", "one"}, subRec{"b", "two"})
	flipped := bytes.Clone(good)
	flipped[len(kplMagic)+3] ^= 0xff

	var noKey, badIdx, truncated []byte
	{
		var rec []byte
		rec = protowire.AppendTag(rec, 3, protowire.BytesType)
		rec = protowire.AppendString(rec, "d")
		noKey = protowire.AppendTag(noKey, 1, protowire.BytesType)
		noKey = protowire.AppendString(noKey, "k")
		noKey = protowire.AppendTag(noKey, 3, protowire.BytesType)
		noKey = protowire.AppendBytes(noKey, rec)
	}
	{
		var rec []byte
		rec = protowire.AppendTag(rec, 1, protowire.VarintType)
		rec = protowire.AppendVarint(rec, 5)
		rec = protowire.AppendTag(rec, 3, protowire.BytesType)
		rec = protowire.AppendString(rec, "d")
		badIdx = protowire.AppendTag(badIdx, 1, protowire.BytesType)
		badIdx = protowire.AppendString(badIdx, "k")
		badIdx = protowire.AppendTag(badIdx, 3, protowire.BytesType)
		badIdx = protowire.AppendBytes(badIdx, rec)
	}
	truncated = protowire.AppendTag(truncated, 1, protowire.BytesType)
	truncated = protowire.AppendVarint(truncated, 50)
	truncated = append(truncated, "short"...)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"bad checksum", flipped, "checksum"},
		{"too short", append(append([]byte{}, kplMagic...), 1, 2, 3), "shorter than magic and checksum"},
		{"record without key index", seal(noKey), "no partition_key_index"},
		{"key index out of range", seal(badIdx), "partition key index 5, table has 1"},
		{"truncated field", seal(truncated), "aggregate partition key 0"},
	} {
		var d deaggregator
		_, err := d.decode(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	if isAggregate([]byte(`{"json":1}`)) || isAggregate(kplMagic[:3]) {
		t.Error("isAggregate accepted a plain record")
	}
}

// FuzzDecodeAggregate: no input panics, and every decoded record's data
// lies inside the input.
func FuzzDecodeAggregate(f *testing.F) {
	f.Add(buildAggregate(subRec{"a", "one"}, subRec{"b", "two"}))
	f.Add(seal(nil))
	f.Add(seal([]byte{0x1a, 0x02, 0x08, 0x00}))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d deaggregator
		for _, data := range [][]byte{body, seal(body)} {
			recs, err := d.decode(data)
			if err != nil {
				continue
			}
			for _, r := range recs {
				if len(r.data) > len(data) {
					t.Fatalf("record of %d bytes from %d", len(r.data), len(data))
				}
			}
		}
	})
}
