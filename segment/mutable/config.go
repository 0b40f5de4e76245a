package mutable

import (
	"fmt"
	"math"
	"time"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/tableconfig"
)

// MaxCapacity bounds a consuming segment's rows: document ids are uint32
// and the sealed format takes at most MaxInt32 documents.
const MaxCapacity = math.MaxInt32

// Config describes one consuming segment.
type Config struct {
	// Name is the segment's name (Pinot's LLC name for realtime segments).
	Name  string
	Table string
	// Schema gives the columns, in order.
	Schema *schema.Schema
	// Capacity is the most rows the segment takes: the flush threshold in
	// rows. Storage grows in chunks up to it.
	Capacity int
	// TimeColumn's values give the segment's time range in epoch millis.
	TimeColumn string
	// InvertedColumns get a realtime inverted index.
	InvertedColumns []string
	// NoDictionaryColumns store raw values (single-value columns only; a
	// multi-value column keeps its dictionary, as in sealed segments).
	NoDictionaryColumns []string
	// PartitionID is the stream partition, -1 when not partitioned.
	PartitionID int
	// StartOffset is the stream position of the first row.
	StartOffset string
	// Now gives the creation time (time.Now when nil).
	Now func() time.Time
}

// ConfigFromTable fills a Config's columns and indexes from a table
// config: the time column, inverted and no-dictionary columns.
func ConfigFromTable(name string, s *schema.Schema, t *tableconfig.TableConfig, capacity int) Config {
	c := Config{Name: name, Schema: s, Capacity: capacity, PartitionID: -1}
	if t != nil {
		c.Table = t.TableName
		c.TimeColumn = t.Segments.TimeColumnName
		c.InvertedColumns = t.Index.InvertedIndexColumns
		c.NoDictionaryColumns = t.Index.NoDictionaryColumns
	}
	return c
}

// BuildConfig is the sealed build configuration matching c: the same
// name, table, time column, partition and start offset; the caller adds
// the sorted column, range and bloom indexes and the end offset.
func (c *Config) BuildConfig() immutable.BuildConfig {
	return immutable.BuildConfig{
		SegmentName: c.Name, TableName: c.Table, Schema: c.Schema, TimeColumn: c.TimeColumn,
		InvertedColumns: c.InvertedColumns, NoDictionaryColumns: c.NoDictionaryColumns,
		PartitionID: c.PartitionID, StartOffset: c.StartOffset, Now: c.Now,
	}
}

// Validate reports the first thing wrong with c.
func (c *Config) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("consuming segment: empty name")
	}
	if c.Schema == nil || len(c.Schema.Fields) == 0 {
		return fmt.Errorf("consuming segment %q: no schema columns", c.Name)
	}
	if c.Capacity <= 0 || c.Capacity > MaxCapacity {
		return fmt.Errorf("consuming segment %q: capacity %d rows is outside 1..%d", c.Name, c.Capacity, MaxCapacity)
	}
	for _, l := range []struct {
		what  string
		names []string
	}{
		{"inverted index", c.InvertedColumns}, {"no-dictionary", c.NoDictionaryColumns}, {"time", []string{c.TimeColumn}},
	} {
		for _, n := range l.names {
			if n != "" && c.Schema.Field(n) == nil {
				return fmt.Errorf("consuming segment %q: %s column %q is not in schema %q", c.Name, l.what, n, c.Schema.Name)
			}
		}
	}
	for _, n := range c.InvertedColumns {
		if f := c.Schema.Field(n); f.SingleValue && contains(c.NoDictionaryColumns, n) {
			return fmt.Errorf("consuming segment %q: column %q: an inverted index needs a dictionary (it is a no-dictionary column)", c.Name, n)
		}
	}
	if c.TimeColumn != "" && !c.Schema.Field(c.TimeColumn).SingleValue {
		return fmt.Errorf("consuming segment %q: time column %q is multi-value", c.Name, c.TimeColumn)
	}
	return nil
}

func contains(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}
