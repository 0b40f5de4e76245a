package tableconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// MarshalJSON writes the config as Pinot's table config JSON: tableName
// with its type suffix as Pinot stores it, numbers Pinot keeps as strings
// (replication, retentionTimeValue) as strings, the stream configs in
// ingestionConfig.streamIngestionConfig.streamConfigMaps, field configs'
// index kinds in indexTypes (or indexes, for bloom and for kinds with
// options), and every Unimplemented part verbatim at its path. For a config
// from Parse, Parse(MarshalJSON()) gives it back unchanged.
func (c *TableConfig) MarshalJSON() ([]byte, error) {
	root := &strictjson.Obj{}
	root.Set("tableName", c.TableNameWithType())
	root.Set("tableType", string(c.TableType))

	seg := &strictjson.Obj{}
	if c.Segments.TimeColumnName != "" {
		seg.Set("timeColumnName", c.Segments.TimeColumnName)
	}
	if c.Segments.RetentionTimeUnit != "" {
		seg.Set("retentionTimeUnit", c.Segments.RetentionTimeUnit)
	}
	if c.Segments.RetentionTimeValue != 0 {
		seg.Set("retentionTimeValue", strconv.Itoa(c.Segments.RetentionTimeValue))
	}
	seg.Set("replication", strconv.Itoa(c.Segments.Replication))
	if c.Segments.SegmentPushType != "" {
		seg.Set("segmentPushType", c.Segments.SegmentPushType)
	}
	root.Set("segmentsConfig", seg)

	ten := &strictjson.Obj{}
	ten.Set("broker", c.Tenants.Broker)
	ten.Set("server", c.Tenants.Server)
	root.Set("tenants", ten)

	root.Set("tableIndexConfig", c.indexJSON())

	if len(c.FieldConfigList) > 0 {
		fcs := make([]any, len(c.FieldConfigList))
		for i := range c.FieldConfigList {
			fcs[i] = c.fieldConfigJSON(i)
		}
		root.Set("fieldConfigList", fcs)
	}
	if ing := c.ingestionJSON(); ing.Len() > 0 {
		root.Set("ingestionConfig", ing)
	}

	paths := make([]string, 0, len(c.Unimplemented))
	for p := range c.Unimplemented {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if root.Get(p) != nil && !strings.ContainsAny(p, ".[") {
			return nil, fmt.Errorf("marshal table config %q: unimplemented part %q overwrites an implemented key", c.TableNameWithType(), p)
		}
		if err := root.SetPath(p, json.RawMessage(c.Unimplemented[p])); err != nil {
			return nil, fmt.Errorf("marshal table config %q: %w", c.TableNameWithType(), err)
		}
	}
	return strictjson.Marshal(root)
}

func (c *TableConfig) indexJSON() *strictjson.Obj {
	x := &c.Index
	o := &strictjson.Obj{}
	if x.LoadMode != "" {
		o.Set("loadMode", x.LoadMode)
	}
	lists := []struct {
		key  string
		cols []string
	}{
		{"invertedIndexColumns", x.InvertedIndexColumns},
		{"rangeIndexColumns", x.RangeIndexColumns},
		{"bloomFilterColumns", x.BloomFilterColumns},
		{"noDictionaryColumns", x.NoDictionaryColumns},
		{"jsonIndexColumns", x.JSONIndexColumns},
	}
	if x.SortedColumn != "" {
		o.Set("sortedColumn", []string{x.SortedColumn})
	}
	for _, l := range lists {
		if len(l.cols) > 0 {
			o.Set(l.key, l.cols)
		}
	}
	if x.NullHandlingEnabled {
		o.Set("nullHandlingEnabled", true)
	}
	if len(x.Partitioning) > 0 {
		cols := make([]string, 0, len(x.Partitioning))
		for col := range x.Partitioning {
			cols = append(cols, col)
		}
		slices.Sort(cols)
		m := &strictjson.Obj{}
		for _, col := range cols {
			p := x.Partitioning[col]
			e := &strictjson.Obj{}
			e.Set("functionName", p.FunctionName)
			e.Set("numPartitions", p.NumPartitions)
			m.Set(col, e)
		}
		pc := &strictjson.Obj{}
		pc.Set("columnPartitionMap", m)
		o.Set("segmentPartitionConfig", pc)
	}
	return o
}

func (c *TableConfig) fieldConfigJSON(i int) *strictjson.Obj {
	fc := &c.FieldConfigList[i]
	prefix := strictjson.Index("fieldConfigList", i) + ".indexes"
	o := &strictjson.Obj{}
	o.Set("name", fc.Name)
	if fc.EncodingType != "" {
		o.Set("encodingType", fc.EncodingType)
	}
	var types []string
	indexes := &strictjson.Obj{}
	for _, k := range fc.IndexTypes {
		id := strings.ToLower(k)
		_, hasOptions := c.Unimplemented[strictjson.JoinKey(prefix, id)]
		switch {
		case hasOptions:
			// Written back from Unimplemented into "indexes".
		case slices.Contains(pinotIndexTypes, k):
			types = append(types, k)
		default:
			indexes.Set(id, &strictjson.Obj{})
		}
	}
	if len(types) > 0 {
		o.Set("indexTypes", types)
	}
	if indexes.Len() > 0 {
		o.Set("indexes", indexes)
	}
	if fc.CompressionCodec != "" {
		o.Set("compressionCodec", fc.CompressionCodec)
	}
	return o
}

func (c *TableConfig) ingestionJSON() *strictjson.Obj {
	in := &c.Ingestion
	o := &strictjson.Obj{}
	if len(in.Transforms) > 0 {
		ts := make([]any, len(in.Transforms))
		for i, t := range in.Transforms {
			e := &strictjson.Obj{}
			e.Set("columnName", t.ColumnName)
			e.Set("transformFunction", t.TransformFunction)
			ts[i] = e
		}
		o.Set("transformConfigs", ts)
	}
	if in.FilterFunction != "" {
		f := &strictjson.Obj{}
		f.Set("filterFunction", in.FilterFunction)
		o.Set("filterConfig", f)
	}
	if len(in.StreamConfigs) > 0 {
		maps := make([]any, len(in.StreamConfigs))
		for i, m := range in.StreamConfigs {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			e := &strictjson.Obj{}
			for _, k := range keys {
				e.Set(k, m[k])
			}
			maps[i] = e
		}
		s := &strictjson.Obj{}
		s.Set("streamConfigMaps", maps)
		o.Set("streamIngestionConfig", s)
	}
	if in.ContinueOnError {
		o.Set("continueOnError", true)
	}
	return o
}
