package tableconfig

import (
	"slices"
	"strings"

	"github.com/tannin-db/tannin/schema"
)

// Validate checks the config on its own and, when s is not nil, against
// the table's schema:
//   - a raw table name and a table type; replication of at least 1;
//     retentionTimeUnit and retentionTimeValue set together;
//   - no column both without a dictionary and with an inverted index or
//     sorted (both need dictionary ids, as in Pinot);
//   - a REALTIME table has a stream config, each with a streamType;
//   - with a schema: every column an index, field config, partition or
//     transform names exists; the sorted column is single-value; a JSON
//     index is on a single-value JSON or STRING column; the time column is
//     a date-time field.
//
// Every error matches ErrInvalid.
func (c *TableConfig) Validate(s *schema.Schema) error {
	if c.TableName == "" {
		return invalidf("table config: empty table name")
	}
	if c.TableType != Offline && c.TableType != Realtime {
		return invalidf("table config %q: table type %q must be OFFLINE or REALTIME", c.TableName, c.TableType)
	}
	name := c.TableNameWithType()
	if c.Segments.Replication < 1 {
		return invalidf("table config %q: replication %d must be at least 1", name, c.Segments.Replication)
	}
	if (c.Segments.RetentionTimeUnit == "") != (c.Segments.RetentionTimeValue == 0) {
		return invalidf("table config %q: segmentsConfig.retentionTimeUnit and retentionTimeValue must be set together", name)
	}
	x := &c.Index
	for _, col := range x.NoDictionaryColumns {
		if slices.Contains(x.InvertedIndexColumns, col) {
			return invalidf("table config %q: column %q has no dictionary, which an inverted index needs", name, col)
		}
		if x.SortedColumn == col {
			return invalidf("table config %q: sorted column %q has no dictionary, which a sorted index needs", name, col)
		}
	}
	if c.TableType == Realtime && len(c.Ingestion.StreamConfigs) == 0 {
		return invalidf("table config %q: a REALTIME table needs a stream config in ingestionConfig.streamIngestionConfig.streamConfigMaps", name)
	}
	for i, m := range c.Ingestion.StreamConfigs {
		if m["streamType"] == "" {
			return invalidf("table config %q: stream config %d has no streamType", name, i)
		}
	}
	if s == nil {
		return nil
	}
	return c.validateColumns(name, s)
}

func (c *TableConfig) validateColumns(name string, s *schema.Schema) error {
	x := &c.Index
	checks := []struct {
		what string
		cols []string
	}{
		{"inverted index", x.InvertedIndexColumns},
		{"range index", x.RangeIndexColumns},
		{"bloom filter", x.BloomFilterColumns},
		{"no-dictionary", x.NoDictionaryColumns},
		{"JSON index", x.JSONIndexColumns},
	}
	if x.SortedColumn != "" {
		checks = append(checks, struct {
			what string
			cols []string
		}{"sorted", []string{x.SortedColumn}})
	}
	partitioned := make([]string, 0, len(x.Partitioning))
	for col := range x.Partitioning {
		partitioned = append(partitioned, col)
	}
	slices.Sort(partitioned)
	fieldConfigs := make([]string, 0, len(c.FieldConfigList))
	for _, fc := range c.FieldConfigList {
		fieldConfigs = append(fieldConfigs, fc.Name)
	}
	transforms := make([]string, 0, len(c.Ingestion.Transforms))
	for _, t := range c.Ingestion.Transforms {
		transforms = append(transforms, t.ColumnName)
	}
	checks = append(checks, []struct {
		what string
		cols []string
	}{{"partition", partitioned}, {"field config", fieldConfigs}, {"transform", transforms}}...)
	for _, ch := range checks {
		for _, col := range ch.cols {
			if s.Field(col) == nil {
				return invalidf("table config %q: %s column %q is not in schema %q", name, ch.what, col, s.Name)
			}
		}
	}
	if x.SortedColumn != "" && !s.Field(x.SortedColumn).SingleValue {
		return invalidf("table config %q: sorted column %q is multi-value", name, x.SortedColumn)
	}
	for _, col := range x.JSONIndexColumns {
		f := s.Field(col)
		if !f.SingleValue || (f.DataType != schema.TypeJSON && f.DataType != schema.TypeString) {
			return invalidf("table config %q: JSON index column %q must be a single-value JSON or STRING column, not %s", name, col, describe(f))
		}
	}
	if tc := c.Segments.TimeColumnName; tc != "" {
		f := s.Field(tc)
		if f == nil {
			return invalidf("table config %q: time column %q is not in schema %q", name, tc, s.Name)
		}
		if f.FieldType != schema.FieldDateTime {
			return invalidf("table config %q: time column %q is a %s column, not a date-time column", name, tc, strings.ToLower(f.FieldType.String()))
		}
	}
	return nil
}

func describe(f *schema.FieldSpec) string {
	if f.SingleValue {
		return f.DataType.String()
	}
	return "multi-value " + f.DataType.String()
}
