package segment

import (
	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tannin-db/tannin/schema"
)

// Segment is a read-only view of one segment's rows.
type Segment interface {
	Name() string
	// NumDocs is the number of rows; document ids are 0..NumDocs()-1.
	NumDocs() int
	// Column returns the column with the schema's exact name, or nil.
	Column(name string) Column
	// Meta describes the whole segment.
	Meta() *Meta
}

// Meta is the segment-level metadata the broker and controller prune and
// account by. It is also stored in cluster metadata.
type Meta struct {
	Name       string `json:"segmentName"`
	Table      string `json:"tableName"`
	NumDocs    int    `json:"totalDocs"`
	TimeColumn string `json:"timeColumn,omitempty"`
	// StartTime and EndTime bound the time column in epoch millis (valid
	// when TimeColumn is set and the segment has rows).
	StartTime int64 `json:"startTimeMs,omitempty"`
	EndTime   int64 `json:"endTimeMs,omitempty"`
	// PartitionID is -1 when the segment is not partitioned.
	PartitionID int    `json:"partitionId"`
	CreatedMs   int64  `json:"creationTimeMs"`
	CRC         uint32 `json:"crc"`
	SizeBytes   int64  `json:"sizeBytes"`
	// StartOffset and EndOffset are stream positions for realtime segments.
	StartOffset string        `json:"startOffset,omitempty"`
	EndOffset   string        `json:"endOffset,omitempty"`
	Columns     []*ColumnMeta `json:"columns"`
}

// Bound is a column's minimum or maximum value in its storage family: Int
// for schema.StorageInt64, Float for StorageFloat64, Str for StorageString
// and StorageBytes.
type Bound struct {
	Int   int64   `json:"i,omitempty"`
	Float float64 `json:"f,omitempty"`
	Str   string  `json:"s,omitempty"`
}

// ColumnMeta describes one column of a segment.
type ColumnMeta struct {
	Name          string          `json:"name"`
	DataType      schema.DataType `json:"dataType"`
	SingleValue   bool            `json:"singleValue"`
	HasDictionary bool            `json:"hasDictionary"`
	// Cardinality is the number of distinct non-null values (dictionary
	// size for dictionary columns, an exact count for raw ones).
	Cardinality int `json:"cardinality"`
	// Sorted reports that values never decrease with the document id.
	Sorted bool `json:"sorted"`
	// NullCount is the number of documents whose value is null.
	NullCount int `json:"nullCount"`
	// Min and Max are valid when the column has at least one non-null value.
	Min Bound `json:"min"`
	Max Bound `json:"max"`
	// BitWidth is the width of a packed dictionary id.
	BitWidth int `json:"bitWidth,omitempty"`
	// MaxValuesPerDoc and TotalValues describe multi-value columns.
	MaxValuesPerDoc int `json:"maxValuesPerDoc,omitempty"`
	TotalValues     int `json:"totalValues,omitempty"`
	// Which indexes the column carries.
	HasInverted bool `json:"invertedIndex,omitempty"`
	HasRange    bool `json:"rangeIndex,omitempty"`
	HasBloom    bool `json:"bloomFilter,omitempty"`
}

// Column reads one column. Every method that takes docs expects ascending
// document ids and fills dst[:len(docs)]; an implementation detects a
// contiguous run (docs[n-1]-docs[0] == n-1) and takes its sequential path.
// A null document reads as the column's default null value; Nulls says
// which documents are null.
type Column interface {
	Meta() *ColumnMeta
	// Dictionary is nil for a raw (no-dictionary) column.
	Dictionary() *Dictionary
	// DictIDs reads the dictionary ids of single-value docs.
	DictIDs(docs []uint32, dst []uint32)
	// Int64s, Float64s and Strings read single-value values of the
	// column's storage family (Strings also serves BYTES, as raw bytes in a
	// string), through the dictionary or from the raw forward index.
	Int64s(docs []uint32, dst []int64)
	Float64s(docs []uint32, dst []float64)
	Strings(docs []uint32, dst []string)
	// MVDictIDs appends the dictionary ids of one multi-value doc to dst.
	MVDictIDs(doc uint32, dst []uint32) []uint32
	// Nulls is nil when no document is null. The caller must not modify it.
	Nulls() *roaring.Bitmap
	// Index accessors return nil when the column lacks the index.
	Inverted() InvertedIndex
	SortedIndex() SortedIndex
	RangeIndex() RangeIndex
	Bloom() BloomFilter
}

// InvertedIndex maps a dictionary id to the documents holding that value.
type InvertedIndex interface {
	// Docs returns the documents whose value has dictionary id id. The
	// bitmap may share memory with the segment: the caller must not modify it.
	Docs(id uint32) *roaring.Bitmap
}

// SortedIndex serves a column whose values never decrease with the doc id:
// each dictionary id covers one contiguous run of documents.
type SortedIndex interface {
	// DocRange returns the documents [start, end) with dictionary id id.
	DocRange(id uint32) (start, end uint32)
}

// RangeIndex answers range predicates without scanning the forward index.
// Bounds are inclusive. For dictionary columns it works in dictionary-id
// space (the dictionary is sorted, so a value range is an id range); for raw
// numeric columns on values.
type RangeIndex interface {
	DocsForIDRange(lo, hi uint32) *roaring.Bitmap
	DocsForInt64Range(lo, hi int64) *roaring.Bitmap
	DocsForFloat64Range(lo, hi float64) *roaring.Bitmap
}

// BloomFilter tells that a value is certainly absent from a column.
type BloomFilter interface {
	MayContainInt64(v int64) bool
	MayContainFloat64(v float64) bool
	MayContainString(v string) bool
}
