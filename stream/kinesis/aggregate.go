package kinesis

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// kplMagic starts every KPL-aggregated record (see doc.go).
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

const md5Len = md5.Size

// userRecord is one record inside an aggregate; data aliases the
// aggregate's bytes.
type userRecord struct {
	key  string
	data []byte
}

// deaggregator splits KPL aggregates, reusing its scratch slices from one
// record to the next.
type deaggregator struct {
	keys    []string
	keyIdx  []uint64
	records []userRecord
}

// isAggregate reports whether data claims to be a KPL aggregate.
func isAggregate(data []byte) bool {
	return len(data) >= len(kplMagic) && bytes.Equal(data[:len(kplMagic)], kplMagic)
}

// decode splits an aggregate (isAggregate(data) is true) into its user
// records. The result is valid until the next decode. An error says why
// the aggregate is corrupt; the caller then delivers data whole.
func (d *deaggregator) decode(data []byte) ([]userRecord, error) {
	if len(data) < len(kplMagic)+md5Len {
		return nil, fmt.Errorf("aggregate of %d bytes: shorter than magic and checksum", len(data))
	}
	body := data[len(kplMagic) : len(data)-md5Len]
	sum := md5.Sum(body)
	if !bytes.Equal(sum[:], data[len(data)-md5Len:]) {
		return nil, errors.New("aggregate checksum mismatch")
	}
	d.keys, d.keyIdx, d.records = d.keys[:0], d.keyIdx[:0], d.records[:0]
	b := body
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("aggregate at byte %d: %w", len(body)-len(b), protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("aggregate partition key %d: %w", len(d.keys), protowire.ParseError(n))
			}
			d.keys = append(d.keys, string(v))
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("aggregate record %d: %w", len(d.records), protowire.ParseError(n))
			}
			idx, data, err := decodeUserRecord(v)
			if err != nil {
				return nil, fmt.Errorf("aggregate record %d: %w", len(d.records), err)
			}
			d.keyIdx = append(d.keyIdx, idx)
			d.records = append(d.records, userRecord{data: data})
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("aggregate field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	// The key table may follow the records on the wire, so keys are
	// resolved only after the whole body is read.
	for i, idx := range d.keyIdx {
		if idx >= uint64(len(d.keys)) {
			return nil, fmt.Errorf("aggregate record %d: partition key index %d, table has %d", i, idx, len(d.keys))
		}
		d.records[i].key = d.keys[idx]
	}
	return d.records, nil
}

// decodeUserRecord reads one AggregatedRecord.Record: its partition key
// index and data, both required.
func decodeUserRecord(b []byte) (keyIdx uint64, data []byte, err error) {
	var haveKey, haveData bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			keyIdx, n = protowire.ConsumeVarint(b)
			haveKey = true
		case num == 3 && typ == protowire.BytesType:
			data, n = protowire.ConsumeBytes(b)
			haveData = true
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return 0, nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	if !haveKey {
		return 0, nil, errors.New("no partition_key_index")
	}
	if !haveData {
		return 0, nil, errors.New("no data")
	}
	return keyIdx, data, nil
}
