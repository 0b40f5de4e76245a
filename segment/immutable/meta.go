package immutable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// fileMeta is the metadata section's JSON (segment/FORMAT.md, section 2):
// segment.Meta with type names spelled out and bounds as base64 of their
// canonical text, so that NaN, infinities and non-UTF-8 bytes survive.
type fileMeta struct {
	Name        string       `json:"segmentName"`
	Table       string       `json:"tableName"`
	NumDocs     int          `json:"totalDocs"`
	TimeColumn  string       `json:"timeColumn"`
	StartTime   int64        `json:"startTimeMs"`
	EndTime     int64        `json:"endTimeMs"`
	PartitionID int          `json:"partitionId"`
	CreatedMs   int64        `json:"creationTimeMs"`
	StartOffset string       `json:"startOffset"`
	EndOffset   string       `json:"endOffset"`
	Columns     []fileColumn `json:"columns"`
}

type fileColumn struct {
	Name            string `json:"name"`
	DataType        string `json:"dataType"`
	SingleValue     bool   `json:"singleValue"`
	HasDictionary   bool   `json:"hasDictionary"`
	Cardinality     int    `json:"cardinality"`
	Sorted          bool   `json:"sorted"`
	NullCount       int    `json:"nullCount"`
	Min             []byte `json:"min"`
	Max             []byte `json:"max"`
	BitWidth        int    `json:"bitWidth"`
	MaxValuesPerDoc int    `json:"maxValuesPerDoc"`
	TotalValues     int    `json:"totalValues"`
	HasInverted     bool   `json:"invertedIndex"`
	HasRange        bool   `json:"rangeIndex"`
	HasBloom        bool   `json:"bloomFilter"`
}

func boundText(t schema.DataType, b segment.Bound) []byte {
	switch t.Storage() {
	case schema.StorageInt64:
		return strconv.AppendInt(nil, b.Int, 10)
	case schema.StorageFloat64:
		return strconv.AppendFloat(nil, b.Float, 'g', -1, 64)
	}
	return []byte(b.Str)
}

func parseBound(t schema.DataType, text []byte) (segment.Bound, error) {
	switch t.Storage() {
	case schema.StorageInt64:
		v, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return segment.Bound{}, fmt.Errorf("bound %q: %w", text, err)
		}
		return segment.Bound{Int: v}, nil
	case schema.StorageFloat64:
		v, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return segment.Bound{}, fmt.Errorf("bound %q: %w", text, err)
		}
		return segment.Bound{Float: v}, nil
	}
	return segment.Bound{Str: string(text)}, nil
}

func marshalMeta(m *segment.Meta) ([]byte, error) {
	fm := fileMeta{
		Name: m.Name, Table: m.Table, NumDocs: m.NumDocs, TimeColumn: m.TimeColumn,
		StartTime: m.StartTime, EndTime: m.EndTime, PartitionID: m.PartitionID,
		CreatedMs: m.CreatedMs, StartOffset: m.StartOffset, EndOffset: m.EndOffset,
		Columns: make([]fileColumn, len(m.Columns)),
	}
	for i, c := range m.Columns {
		fc := fileColumn{
			Name: c.Name, DataType: c.DataType.String(), SingleValue: c.SingleValue,
			HasDictionary: c.HasDictionary, Cardinality: c.Cardinality, Sorted: c.Sorted,
			NullCount: c.NullCount, BitWidth: c.BitWidth, MaxValuesPerDoc: c.MaxValuesPerDoc,
			TotalValues: c.TotalValues, HasInverted: c.HasInverted, HasRange: c.HasRange,
			HasBloom: c.HasBloom, Min: []byte{}, Max: []byte{},
		}
		if m.NumDocs > 0 {
			fc.Min = boundText(c.DataType, c.Min)
			fc.Max = boundText(c.DataType, c.Max)
		}
		fm.Columns[i] = fc
	}
	return json.Marshal(&fm)
}

// unmarshalMeta decodes and checks the metadata JSON strictly.
func unmarshalMeta(data []byte) (*segment.Meta, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fm fileMeta
	if err := dec.Decode(&fm); err != nil {
		return nil, corruptf("%v", err)
	}
	if dec.More() {
		return nil, corruptf("data after the JSON object")
	}
	if fm.NumDocs < 0 || fm.NumDocs > math.MaxInt32 {
		return nil, corruptf("totalDocs %d out of range", fm.NumDocs)
	}
	m := &segment.Meta{
		Name: fm.Name, Table: fm.Table, NumDocs: fm.NumDocs, TimeColumn: fm.TimeColumn,
		StartTime: fm.StartTime, EndTime: fm.EndTime, PartitionID: fm.PartitionID,
		CreatedMs: fm.CreatedMs, StartOffset: fm.StartOffset, EndOffset: fm.EndOffset,
		Columns: make([]*segment.ColumnMeta, len(fm.Columns)),
	}
	seen := make(map[string]bool, len(fm.Columns))
	for i, fc := range fm.Columns {
		if fc.Name == "" || seen[fc.Name] {
			return nil, corruptf("column %d has an empty or repeated name %q", i, fc.Name)
		}
		seen[fc.Name] = true
		t, err := schema.ParseDataType(fc.DataType)
		if err != nil {
			return nil, corruptf("column %q: %v", fc.Name, err)
		}
		c := &segment.ColumnMeta{
			Name: fc.Name, DataType: t, SingleValue: fc.SingleValue,
			HasDictionary: fc.HasDictionary, Cardinality: fc.Cardinality, Sorted: fc.Sorted,
			NullCount: fc.NullCount, BitWidth: fc.BitWidth, MaxValuesPerDoc: fc.MaxValuesPerDoc,
			TotalValues: fc.TotalValues, HasInverted: fc.HasInverted, HasRange: fc.HasRange,
			HasBloom: fc.HasBloom,
		}
		switch {
		case c.Cardinality < 0 || c.Cardinality > max(fm.NumDocs, c.TotalValues):
			return nil, corruptf("column %q: cardinality %d out of range", fc.Name, c.Cardinality)
		case c.NullCount < 0 || c.NullCount > fm.NumDocs:
			return nil, corruptf("column %q: null count %d out of range", fc.Name, c.NullCount)
		case c.BitWidth < 0 || c.BitWidth > 32:
			return nil, corruptf("column %q: bit width %d out of range", fc.Name, c.BitWidth)
		case c.TotalValues < 0 || c.MaxValuesPerDoc < 0 || c.TotalValues > math.MaxUint32:
			return nil, corruptf("column %q: value counts out of range", fc.Name)
		case !c.SingleValue && !c.HasDictionary:
			return nil, corruptf("column %q: multi-value column without a dictionary", fc.Name)
		}
		if fm.NumDocs > 0 {
			if c.Min, err = parseBound(t, fc.Min); err != nil {
				return nil, corruptf("column %q min: %v", fc.Name, err)
			}
			if c.Max, err = parseBound(t, fc.Max); err != nil {
				return nil, corruptf("column %q max: %v", fc.Name, err)
			}
		}
		m.Columns[i] = c
	}
	return m, nil
}

// MarshalMeta encodes m as the metadata JSON of segment/FORMAT.md (section
// 2), which keeps NaN, infinite and non-UTF-8 bounds exact. Cluster metadata
// stores segment metadata in this form so that brokers prune on the same
// bounds the file holds.
func MarshalMeta(m *segment.Meta) ([]byte, error) { return marshalMeta(m) }

// UnmarshalMeta decodes and checks what MarshalMeta produced. CRC and
// SizeBytes are not part of the encoding.
func UnmarshalMeta(data []byte) (*segment.Meta, error) { return unmarshalMeta(data) }
