package tableconfig

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/schema/strictjson"
)

// Parse decodes Apache Pinot's table config JSON strictly and checks it
// (Validate with no schema).
//
// An unknown key anywhere is an error naming its path and the nearest known
// key. A key of Pinot's vocabulary that Tannin does not implement yet
// (upsertConfig, routing, tableIndexConfig.starTreeIndexConfigs, ...) is
// kept verbatim in Unimplemented under its path and reported as a warning,
// unless it is left at Pinot's default. fieldConfigList's index choices
// are folded into Index: encodingType RAW adds a no-dictionary column,
// indexTypes and indexes add to the index lists, and an index marked
// {"disabled": true} removes the column from the list. The deprecated
// tableIndexConfig.streamConfigs becomes Ingestion.StreamConfigs. Every
// error matches ErrInvalid.
func Parse(data []byte) (*TableConfig, []string, error) {
	root, err := strictjson.Parse(data)
	if err != nil {
		return nil, nil, invalidf("table config: %w", err)
	}
	d := decoder{c: &TableConfig{Unimplemented: map[string][]byte{}}}
	if err := d.table(root); err != nil {
		return nil, nil, err
	}
	if len(d.c.Unimplemented) == 0 {
		d.c.Unimplemented = nil
	}
	if err := d.c.Validate(nil); err != nil {
		return nil, nil, err
	}
	return d.c, d.warnings, nil
}

type decoder struct {
	c        *TableConfig
	warnings []string
	// disabled lists index entries {"disabled": true} of fieldConfigList,
	// applied after every list is known.
	disabled []disabledIndex
}

type disabledIndex struct {
	kind   string // INVERTED, RANGE, JSON or BLOOM
	column string
}

func (d *decoder) warnf(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return invalidf("table config: %w", err)
}

// object checks that v is an object; ok is false for null.
func object(v *strictjson.Value, path string) (ok bool, err error) {
	ok, err = v.AsObject(path)
	return ok, wrap(err)
}

// keep stores the members of obj named in keys into Unimplemented and warns
// about those that carry a setting.
func (d *decoder) keep(obj *strictjson.Value, path string, keys []string) {
	for _, m := range obj.Members {
		if m.Value.IsNull() || !slices.Contains(keys, m.Key) {
			continue
		}
		p := strictjson.JoinKey(path, m.Key)
		d.c.Unimplemented[p] = m.Value.Compact()
		if m.Value.IsEmpty() || isDefault(p, m.Value) {
			continue
		}
		d.warnf("%s is not implemented yet; ignored", p)
	}
}

func isDefault(path string, v *strictjson.Value) bool {
	def, ok := unimplementedDefault(path)
	if !ok {
		return false
	}
	text, _, err := v.AsText(path)
	if err != nil {
		return false
	}
	if a, err := strconv.ParseFloat(text, 64); err == nil {
		b, _ := strconv.ParseFloat(def, 64)
		return a == b
	}
	return strings.EqualFold(text, def)
}

// checkKeys is strictjson.CheckKeys, except that an unknown key that is a
// key of another section gets a hint naming that section instead of a
// suggested spelling: the exact key is the better evidence.
func checkKeys(obj *strictjson.Value, path string, known ...[]string) error {
	err := strictjson.CheckKeys(obj, path, known...)
	var u *strictjson.UnknownFieldError
	if errors.As(err, &u) {
		for _, sec := range sections() {
			if sec.path != path && slices.Contains(sec.keys, u.Key) {
				u.Suggestion = ""
				switch {
				case sec.path == "":
					u.Hint = "it belongs at the top level"
				case strings.HasSuffix(sec.path, "[]"):
					u.Hint = "it belongs in the elements of " + strings.TrimSuffix(sec.path, "[]")
				default:
					u.Hint = "it belongs in " + sec.path
				}
				break
			}
		}
	}
	return err
}

func (d *decoder) table(root *strictjson.Value) error {
	if ok, err := object(root, ""); err != nil || !ok {
		if err == nil {
			err = invalidf("table config: top level: expected an object, got null")
		}
		return err
	}
	if err := checkKeys(root, "", topKeys, topUnimplemented); err != nil {
		return wrap(err)
	}
	typ, err := root.Get("tableType").AsString("tableType")
	if err != nil {
		return wrap(err)
	}
	if typ == "" {
		return invalidf("table config: missing tableType")
	}
	t, ok := ParseTableType(typ)
	if !ok {
		return invalidf("table config: tableType %q must be OFFLINE or REALTIME", typ)
	}
	d.c.TableType = t
	name, err := root.Get("tableName").AsString("tableName")
	if err != nil {
		return wrap(err)
	}
	if name == "" {
		return invalidf("table config: missing tableName")
	}
	raw := RawTableName(name)
	if raw != name && name != raw+"_"+string(t) {
		return invalidf("table config: tableName %q has the type suffix of another table type than tableType %s", name, t)
	}
	if raw == "" {
		return invalidf("table config: tableName %q is only a type suffix", name)
	}
	if strings.Contains(raw, "__") {
		return invalidf("table config: tableName %q cannot contain a double underscore", name)
	}
	d.c.TableName = raw

	// Pinot requires these three sections, even when empty.
	for _, k := range []string{"segmentsConfig", "tenants", "tableIndexConfig"} {
		if root.Get(k).IsNull() {
			return invalidf("table config: missing %s", k)
		}
	}
	if err := d.segments(root.Get("segmentsConfig"), "segmentsConfig"); err != nil {
		return err
	}
	if err := d.tenants(root.Get("tenants"), "tenants"); err != nil {
		return err
	}
	legacyStreams, err := d.index(root.Get("tableIndexConfig"), "tableIndexConfig")
	if err != nil {
		return err
	}
	if err := d.ingestion(root.Get("ingestionConfig"), "ingestionConfig"); err != nil {
		return err
	}
	if legacyStreams != nil {
		if len(d.c.Ingestion.StreamConfigs) > 0 {
			return invalidf("table config: tableIndexConfig.streamConfigs and ingestionConfig.streamIngestionConfig cannot both be set; keep the latter")
		}
		d.c.Ingestion.StreamConfigs = []map[string]string{legacyStreams}
	}
	if err := d.fieldConfigs(root.Get("fieldConfigList"), "fieldConfigList"); err != nil {
		return err
	}
	d.keep(root, "", topUnimplemented)
	return nil
}

func (d *decoder) segments(v *strictjson.Value, path string) error {
	if ok, err := object(v, path); err != nil || !ok {
		return err
	}
	if err := checkKeys(v, path, segmentsKeys, segmentsUnimplemented); err != nil {
		return wrap(err)
	}
	s := &d.c.Segments
	var err error
	if s.TimeColumnName, err = v.Get("timeColumnName").AsString(path + ".timeColumnName"); err != nil {
		return wrap(err)
	}
	unit, err := v.Get("retentionTimeUnit").AsString(path + ".retentionTimeUnit")
	if err != nil {
		return wrap(err)
	}
	if unit != "" {
		// Pinot's RetentionManager upper-cases the unit before valueOf.
		u, err := schema.ParseTimeUnit(strings.ToUpper(unit))
		if err != nil {
			return invalidf("table config: %s.retentionTimeUnit: %w", path, err)
		}
		s.RetentionTimeUnit = u.String()
	}
	n, ok, err := v.Get("retentionTimeValue").AsInt(path + ".retentionTimeValue")
	if err != nil {
		return wrap(err)
	}
	if ok {
		if n <= 0 {
			return invalidf("table config: %s.retentionTimeValue %d must be positive", path, n)
		}
		s.RetentionTimeValue = n
	}
	s.Replication = 1
	repl, hasRepl, err := v.Get("replication").AsInt(path + ".replication")
	if err != nil {
		return wrap(err)
	}
	perPartition, hasPerPartition, err := v.Get("replicasPerPartition").AsInt(path + ".replicasPerPartition")
	if err != nil {
		return wrap(err)
	}
	switch {
	case hasPerPartition && d.c.TableType == Realtime:
		// TableConfig.getReplication: replicasPerPartition wins on REALTIME.
		s.Replication = perPartition
	case hasRepl:
		s.Replication = repl
	}
	if hasPerPartition && d.c.TableType == Offline {
		d.warnf("%s.replicasPerPartition applies to REALTIME tables only; ignored", path)
	}
	push, err := v.Get("segmentPushType").AsString(path + ".segmentPushType")
	if err != nil {
		return wrap(err)
	}
	if push != "" {
		p := strings.ToUpper(push)
		if p != "APPEND" && p != "REFRESH" {
			return invalidf("table config: %s.segmentPushType %q must be APPEND or REFRESH", path, push)
		}
		s.SegmentPushType = p
	}
	d.keep(v, path, segmentsUnimplemented)
	return nil
}

func (d *decoder) tenants(v *strictjson.Value, path string) error {
	d.c.Tenants = TenantsConfig{Broker: "DefaultTenant", Server: "DefaultTenant"}
	if ok, err := object(v, path); err != nil || !ok {
		return err
	}
	if err := checkKeys(v, path, tenantsKeys, tenantsUnimplemented); err != nil {
		return wrap(err)
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"broker", &d.c.Tenants.Broker}, {"server", &d.c.Tenants.Server}} {
		s, err := v.Get(f.key).AsString(path + "." + f.key)
		if err != nil {
			return wrap(err)
		}
		if s != "" {
			*f.dst = s
		}
	}
	d.keep(v, path, tenantsUnimplemented)
	return nil
}

// columns reads a list of column names, rejecting empty names.
func columns(v *strictjson.Value, path string) ([]string, error) {
	cols, err := v.AsStrings(path)
	if err != nil {
		return nil, wrap(err)
	}
	for i, c := range cols {
		if c == "" {
			return nil, invalidf("table config: %s: empty column name", strictjson.Index(path, i))
		}
	}
	return cols, nil
}

// addUnique appends the columns of add missing from list.
func addUnique(list []string, add ...string) []string {
	for _, c := range add {
		if !slices.Contains(list, c) {
			list = append(list, c)
		}
	}
	return list
}

// index decodes tableIndexConfig and returns the deprecated streamConfigs.
func (d *decoder) index(v *strictjson.Value, path string) (map[string]string, error) {
	x := &d.c.Index
	x.LoadMode = "MMAP"
	if ok, err := object(v, path); err != nil || !ok {
		return nil, err
	}
	if err := checkKeys(v, path, indexKeys, indexPartlyImplemented, indexUnimplemented); err != nil {
		return nil, wrap(err)
	}
	lists := []struct {
		key string
		dst *[]string
	}{
		{"invertedIndexColumns", &x.InvertedIndexColumns},
		{"rangeIndexColumns", &x.RangeIndexColumns},
		{"bloomFilterColumns", &x.BloomFilterColumns},
		{"noDictionaryColumns", &x.NoDictionaryColumns},
		{"jsonIndexColumns", &x.JSONIndexColumns},
	}
	for _, l := range lists {
		cols, err := columns(v.Get(l.key), path+"."+l.key)
		if err != nil {
			return nil, err
		}
		*l.dst = addUnique(nil, cols...)
	}
	if sv := v.Get("sortedColumn"); !sv.IsNull() {
		var sorted []string
		if sv.Kind == strictjson.String {
			sorted = []string{sv.Str}
		} else {
			var err error
			if sorted, err = columns(sv, path+".sortedColumn"); err != nil {
				return nil, err
			}
		}
		switch {
		case len(sorted) > 1:
			return nil, invalidf("table config: %s.sortedColumn lists %d columns %q; a table has at most one sorted column", path, len(sorted), sorted)
		case len(sorted) == 1:
			x.SortedColumn = sorted[0]
		}
	}
	mode, err := v.Get("loadMode").AsString(path + ".loadMode")
	if err != nil {
		return nil, wrap(err)
	}
	if mode != "" {
		m := strings.ToUpper(mode)
		if m != "MMAP" && m != "HEAP" {
			return nil, invalidf("table config: %s.loadMode %q must be MMAP or HEAP", path, mode)
		}
		x.LoadMode = m
	}
	if x.NullHandlingEnabled, err = v.Get("nullHandlingEnabled").AsBool(path + ".nullHandlingEnabled"); err != nil {
		return nil, wrap(err)
	}
	if err := d.partitioning(v.Get("segmentPartitionConfig"), path+".segmentPartitionConfig"); err != nil {
		return nil, err
	}
	// bloomFilterConfigs and jsonIndexConfigs: {column: options}.
	for _, p := range []struct {
		key string
		dst *[]string
	}{{"bloomFilterConfigs", &x.BloomFilterColumns}, {"jsonIndexConfigs", &x.JSONIndexColumns}} {
		cv := v.Get(p.key)
		ok, err := object(cv, path+"."+p.key)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, m := range cv.Members {
			*p.dst = addUnique(*p.dst, m.Key)
		}
		d.c.Unimplemented[path+"."+p.key] = cv.Compact()
		if len(cv.Members) > 0 {
			d.warnf("%s.%s: the options are not implemented yet; ignored (the columns get the index)", path, p.key)
		}
	}
	d.keep(v, path, indexUnimplemented)
	streams, err := v.Get("streamConfigs").AsStringMap(path + ".streamConfigs")
	if err != nil {
		return nil, wrap(err)
	}
	if len(streams) == 0 {
		streams = nil
	}
	return streams, nil
}

func (d *decoder) partitioning(v *strictjson.Value, path string) error {
	if ok, err := object(v, path); err != nil || !ok {
		return err
	}
	if err := checkKeys(v, path, partitionConfigKeys); err != nil {
		return wrap(err)
	}
	mv := v.Get("columnPartitionMap")
	mpath := path + ".columnPartitionMap"
	ok, err := object(mv, mpath)
	if err != nil {
		return err
	}
	if !ok {
		return invalidf("table config: %s: missing columnPartitionMap", path)
	}
	for _, m := range mv.Members {
		cpath := strictjson.JoinKey(mpath, m.Key)
		if m.Key == "" {
			return invalidf("table config: %s: empty column name", mpath)
		}
		ok, err := object(m.Value, cpath)
		if err != nil {
			return err
		}
		if !ok {
			return invalidf("table config: %s: expected an object, got null", cpath)
		}
		if err := checkKeys(m.Value, cpath, columnPartitionKeys, columnPartitionUnimplemented); err != nil {
			return wrap(err)
		}
		fn, err := m.Value.Get("functionName").AsString(cpath + ".functionName")
		if err != nil {
			return wrap(err)
		}
		if fn == "" {
			return invalidf("table config: %s: missing functionName", cpath)
		}
		known := false
		for _, f := range partitionFunctions {
			if strings.EqualFold(f, fn) {
				known = true
			}
		}
		if !known {
			msg := fmt.Sprintf("table config: %s.functionName: unknown partition function %q", cpath, fn)
			if n := strictjson.Nearest(fn, partitionFunctions); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return invalidf("%s", msg)
		}
		n, ok, err := m.Value.Get("numPartitions").AsInt(cpath + ".numPartitions")
		if err != nil {
			return wrap(err)
		}
		if !ok || n <= 0 {
			return invalidf("table config: %s.numPartitions must be a positive integer", cpath)
		}
		if d.c.Index.Partitioning == nil {
			d.c.Index.Partitioning = make(map[string]ColumnPartition)
		}
		d.c.Index.Partitioning[m.Key] = ColumnPartition{FunctionName: fn, NumPartitions: n}
		d.keep(m.Value, cpath, columnPartitionUnimplemented)
	}
	return nil
}

func (d *decoder) ingestion(v *strictjson.Value, path string) error {
	if ok, err := object(v, path); err != nil || !ok {
		return err
	}
	if err := checkKeys(v, path, ingestionKeys, ingestionUnimplemented); err != nil {
		return wrap(err)
	}
	in := &d.c.Ingestion
	transforms, err := v.Get("transformConfigs").AsArray(path + ".transformConfigs")
	if err != nil {
		return wrap(err)
	}
	for i, tv := range transforms {
		tpath := strictjson.Index(path+".transformConfigs", i)
		if ok, err := object(tv, tpath); err != nil || !ok {
			if err == nil {
				err = invalidf("table config: %s: expected an object, got null", tpath)
			}
			return err
		}
		if err := checkKeys(tv, tpath, transformKeys); err != nil {
			return wrap(err)
		}
		var t TransformConfig
		if t.ColumnName, err = tv.Get("columnName").AsString(tpath + ".columnName"); err != nil {
			return wrap(err)
		}
		if t.TransformFunction, err = tv.Get("transformFunction").AsString(tpath + ".transformFunction"); err != nil {
			return wrap(err)
		}
		if t.ColumnName == "" || t.TransformFunction == "" {
			return invalidf("table config: %s: a transform needs a columnName and a transformFunction", tpath)
		}
		in.Transforms = append(in.Transforms, t)
	}
	if fv := v.Get("filterConfig"); !fv.IsNull() {
		fpath := path + ".filterConfig"
		if _, err := object(fv, fpath); err != nil {
			return err
		}
		if err := checkKeys(fv, fpath, filterKeys); err != nil {
			return wrap(err)
		}
		if in.FilterFunction, err = fv.Get("filterFunction").AsString(fpath + ".filterFunction"); err != nil {
			return wrap(err)
		}
	}
	if sv := v.Get("streamIngestionConfig"); !sv.IsNull() {
		spath := path + ".streamIngestionConfig"
		if _, err := object(sv, spath); err != nil {
			return err
		}
		if err := checkKeys(sv, spath, streamIngestionKeys, streamIngestionUnimplemented); err != nil {
			return wrap(err)
		}
		maps, err := sv.Get("streamConfigMaps").AsArray(spath + ".streamConfigMaps")
		if err != nil {
			return wrap(err)
		}
		for i, mv := range maps {
			mpath := strictjson.Index(spath+".streamConfigMaps", i)
			m, err := mv.AsStringMap(mpath)
			if err != nil {
				return wrap(err)
			}
			if m == nil {
				return invalidf("table config: %s: expected an object, got null", mpath)
			}
			in.StreamConfigs = append(in.StreamConfigs, m)
		}
		d.keep(sv, spath, streamIngestionUnimplemented)
	}
	if in.ContinueOnError, err = v.Get("continueOnError").AsBool(path + ".continueOnError"); err != nil {
		return wrap(err)
	}
	d.keep(v, path, ingestionUnimplemented)
	return nil
}

// indexKind maps an "indexes" id to its IndexTypes name.
func indexKind(id string) string {
	return strings.ToUpper(id)
}

func (d *decoder) fieldConfigs(v *strictjson.Value, path string) error {
	elems, err := v.AsArray(path)
	if err != nil {
		return wrap(err)
	}
	keepDict := make([]bool, len(elems))
	for i, e := range elems {
		fc, keep, err := d.fieldConfig(e, strictjson.Index(path, i))
		if err != nil {
			return err
		}
		d.c.FieldConfigList = append(d.c.FieldConfigList, fc)
		keepDict[i] = keep
	}
	x := &d.c.Index
	for i, fc := range d.c.FieldConfigList {
		if fc.EncodingType == "RAW" {
			// As Pinot's DictionaryIndexType: RAW drops the dictionary
			// unless "indexes" configures one or an index needs it.
			needs := slices.ContainsFunc(fc.IndexTypes, func(k string) bool {
				return k == "INVERTED" || k == "SORTED" || k == "FST" || k == "IFST"
			})
			switch {
			case keepDict[i]:
			case needs:
				d.warnf("%s (column %q): encodingType RAW keeps the dictionary its index needs, as Pinot does; Tannin also dictionary-encodes the forward index", strictjson.Index(path, i), fc.Name)
			default:
				x.NoDictionaryColumns = addUnique(x.NoDictionaryColumns, fc.Name)
			}
		}
		for _, k := range fc.IndexTypes {
			switch k {
			case "INVERTED":
				x.InvertedIndexColumns = addUnique(x.InvertedIndexColumns, fc.Name)
			case "RANGE":
				x.RangeIndexColumns = addUnique(x.RangeIndexColumns, fc.Name)
			case "JSON":
				x.JSONIndexColumns = addUnique(x.JSONIndexColumns, fc.Name)
			case "BLOOM":
				x.BloomFilterColumns = addUnique(x.BloomFilterColumns, fc.Name)
			case "SORTED":
				if x.SortedColumn != "" && x.SortedColumn != fc.Name {
					return invalidf("table config: fieldConfigList sorts column %q but tableIndexConfig.sortedColumn is %q; a table has at most one sorted column", fc.Name, x.SortedColumn)
				}
				x.SortedColumn = fc.Name
			}
		}
	}
	for _, dis := range d.disabled {
		var list *[]string
		switch dis.kind {
		case "INVERTED":
			list = &x.InvertedIndexColumns
		case "RANGE":
			list = &x.RangeIndexColumns
		case "JSON":
			list = &x.JSONIndexColumns
		case "BLOOM":
			list = &x.BloomFilterColumns
		}
		*list = slices.DeleteFunc(*list, func(c string) bool { return c == dis.column })
		if len(*list) == 0 {
			*list = nil
		}
	}
	return nil
}

// fieldConfig decodes one element of fieldConfigList; keepDict reports an
// explicit dictionary entry in its "indexes".
func (d *decoder) fieldConfig(v *strictjson.Value, path string) (fc FieldConfig, keepDict bool, err error) {
	if ok, err := object(v, path); err != nil || !ok {
		if err == nil {
			err = invalidf("table config: %s: expected an object, got null", path)
		}
		return fc, false, err
	}
	if err := checkKeys(v, path, fieldConfigKeys, fieldConfigUnimplemented); err != nil {
		return fc, false, wrap(err)
	}
	if fc.Name, err = v.Get("name").AsString(path + ".name"); err != nil {
		return fc, false, wrap(err)
	}
	if fc.Name == "" {
		return fc, false, invalidf("table config: %s: missing name", path)
	}
	enc, err := v.Get("encodingType").AsString(path + ".encodingType")
	if err != nil {
		return fc, false, wrap(err)
	}
	if enc != "" {
		fc.EncodingType = strings.ToUpper(enc)
		if fc.EncodingType != "RAW" && fc.EncodingType != "DICTIONARY" {
			return fc, false, invalidf("table config: %s.encodingType %q must be RAW or DICTIONARY", path, enc)
		}
	}
	codec, err := v.Get("compressionCodec").AsString(path + ".compressionCodec")
	if err != nil {
		return fc, false, wrap(err)
	}
	if codec != "" {
		fc.CompressionCodec = strings.ToUpper(codec)
		if !slices.Contains(compressionCodecs, fc.CompressionCodec) {
			msg := fmt.Sprintf("table config: %s.compressionCodec: unknown codec %q", path, codec)
			if n := strictjson.Nearest(codec, compressionCodecs); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return fc, false, invalidf("%s", msg)
		}
	}
	// indexType (legacy, one) and indexTypes.
	var kinds []string
	if it := v.Get("indexType"); !it.IsNull() {
		s, err := it.AsString(path + ".indexType")
		if err != nil {
			return fc, false, wrap(err)
		}
		kinds = append(kinds, s)
	}
	types, err := v.Get("indexTypes").AsStrings(path + ".indexTypes")
	if err != nil {
		return fc, false, wrap(err)
	}
	kinds = append(kinds, types...)
	for i, k := range kinds {
		u := strings.ToUpper(k)
		if !slices.Contains(pinotIndexTypes, u) {
			msg := fmt.Sprintf("table config: %s.indexTypes: unknown index type %q", path, k)
			if n := strictjson.Nearest(k, pinotIndexTypes); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return fc, false, invalidf("%s", msg)
		}
		kinds[i] = u
	}
	more, keepDict, err := d.indexes(v.Get("indexes"), path+".indexes", &fc)
	if err != nil {
		return fc, false, err
	}
	kinds = append(kinds, more...)
	// An index the "indexes" object disables stays off even if indexTypes
	// names it.
	kinds = slices.DeleteFunc(kinds, func(k string) bool {
		return slices.Contains(d.disabled, disabledIndex{kind: k, column: fc.Name})
	})
	slices.Sort(kinds)
	fc.IndexTypes = slices.Compact(kinds)
	if len(fc.IndexTypes) == 0 {
		fc.IndexTypes = nil
	}
	for _, k := range fc.IndexTypes {
		switch k {
		case "INVERTED", "RANGE", "JSON", "BLOOM", "SORTED":
		default:
			d.warnf("%s (column %q): the %s index is not implemented yet; ignored", path, fc.Name, k)
		}
	}
	d.keep(v, path, fieldConfigUnimplemented)
	return fc, keepDict, nil
}

// indexes decodes a field config's "indexes" object and returns the index
// kinds it enables and whether it configures a dictionary.
func (d *decoder) indexes(v *strictjson.Value, path string, fc *FieldConfig) (kinds []string, keepDict bool, err error) {
	if ok, err := object(v, path); err != nil || !ok {
		return nil, false, err
	}
	if err := checkKeys(v, path, indexesIDs); err != nil {
		return nil, false, wrap(err)
	}
	for _, m := range v.Members {
		ipath := strictjson.JoinKey(path, m.Key)
		if m.Value.IsNull() {
			continue
		}
		if _, err := object(m.Value, ipath); err != nil {
			return nil, false, err
		}
		disabled, err := m.Value.Get("disabled").AsBool(ipath + ".disabled")
		if err != nil {
			return nil, false, wrap(err)
		}
		if ev := m.Value.Get("enabled"); !ev.IsNull() {
			// Pinot itself only reads "disabled"; "enabled": false is
			// taken at its word.
			enabled, err := ev.AsBool(ipath + ".enabled")
			if err != nil {
				return nil, false, wrap(err)
			}
			disabled = disabled || !enabled
		}
		options := slices.ContainsFunc(m.Value.Members, func(o strictjson.Member) bool {
			return o.Key != "disabled" && o.Key != "enabled"
		})
		raw := func() { d.c.Unimplemented[ipath] = m.Value.Compact() }
		switch m.Key {
		case "dictionary":
			if disabled {
				if fc.EncodingType == "DICTIONARY" {
					return nil, false, invalidf("table config: %s disables the dictionary of column %q, whose encodingType is DICTIONARY", ipath, fc.Name)
				}
				fc.EncodingType = "RAW"
			} else {
				// Kept so that the explicit entry survives a round trip:
				// it decides whether encodingType RAW drops the dictionary.
				keepDict = true
				raw()
			}
			if options {
				raw()
				d.warnf("%s (column %q): the options are not implemented yet; ignored", ipath, fc.Name)
			}
		case "forward", "null":
			raw()
			if !m.Value.IsEmpty() {
				d.warnf("%s (column %q) is not implemented yet; ignored", ipath, fc.Name)
			}
		case "inverted", "range", "json", "bloom":
			if disabled {
				d.disabled = append(d.disabled, disabledIndex{kind: indexKind(m.Key), column: fc.Name})
				continue
			}
			kinds = append(kinds, indexKind(m.Key))
			if options {
				raw()
				d.warnf("%s (column %q): the options are not implemented yet; ignored (the column gets the index)", ipath, fc.Name)
			}
		default: // indexes Tannin does not build
			if disabled {
				raw()
				continue
			}
			kinds = append(kinds, indexKind(m.Key))
			if options {
				raw()
			}
		}
	}
	return kinds, keepDict, nil
}
