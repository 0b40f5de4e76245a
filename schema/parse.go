package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/schema/strictjson"
)

// The vocabulary of Pinot's schema JSON (Schema.java, FieldSpec.java and
// subclasses). Keys in the *Unimplemented lists are accepted and reported
// as warnings; any other key is an error.
var (
	topKeys               = []string{"schemaName", "enableColumnBasedNullHandling", "dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs", "timeFieldSpec", "complexFieldSpecs", "primaryKeyColumns"}
	topUnimplemented      = []string{"description", "tags"}
	fieldKeys             = []string{"name", "dataType", "fieldType", "singleValueField", "notNull", "maxLength", "defaultNullValue"}
	fieldUnimplemented    = []string{"description", "tags", "fieldId", "aliases", "metadata", "maxLengthExceedStrategy", "allowTrailingZeros", "transformFunction", "virtualColumnProvider"}
	dateTimeKeys          = []string{"format", "granularity"}
	dateTimeUnimplemented = []string{"sampleValue"}
	timeFieldKeys         = []string{"incomingGranularitySpec", "outgoingGranularitySpec"}
	granularitySpecKeys   = []string{"name", "dataType", "timeType", "timeUnitSize", "timeunitSize", "timeFormat"}
	// Pinot data types Tannin does not store.
	unsupportedTypes = []string{"UUID", "MAP", "LIST", "STRUCT", "OPEN_STRUCT", "VECTOR", "UNKNOWN"}
	// For suggestions on a misspelled type.
	allTypeNames = []string{"INT", "LONG", "FLOAT", "DOUBLE", "BIG_DECIMAL", "BOOLEAN", "TIMESTAMP", "STRING", "JSON", "BYTES", "UUID", "MAP", "LIST", "STRUCT", "OPEN_STRUCT"}
)

// Parse decodes Apache Pinot's schema JSON strictly and validates the
// result (see Validate). An unknown key anywhere is an error naming its
// path and the nearest known key; a key of Pinot's vocabulary that Tannin
// does not implement yet is ignored and reported in the returned warnings,
// as is the legacy timeFieldSpec, which is read as a date-time field.
// Missing default null values get Pinot's defaults (DefaultNullValue).
// Every error matches ErrInvalid.
func Parse(data []byte) (*Schema, []string, error) {
	root, err := strictjson.Parse(data)
	if err != nil {
		return nil, nil, invalidf("schema: %w", err)
	}
	var d decoder
	s, err := d.schema(root)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	return s, d.warnings, nil
}

type decoder struct {
	warnings []string
}

func (d *decoder) warnf(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

// unimplemented warns about each key of obj in keys that carries a
// setting; column names the field spec obj belongs to, if any.
func (d *decoder) unimplemented(obj *strictjson.Value, path, column string, keys []string) {
	for _, m := range obj.Members {
		for _, k := range keys {
			if m.Key == k && !m.Value.IsEmpty() {
				where := strictjson.JoinKey(path, k)
				if column != "" {
					where += fmt.Sprintf(" (column %q)", column)
				}
				hint := ""
				if k == "transformFunction" {
					hint = " (use the table config's ingestionConfig.transformConfigs)"
				}
				d.warnf("%s is not implemented yet; ignored%s", where, hint)
			}
		}
	}
}

func objectAt(v *strictjson.Value, path string) error {
	ok, err := v.AsObject(path)
	if err != nil {
		return invalidf("schema: %w", err)
	}
	if !ok {
		return invalidf("schema: %s: expected an object, got null", strictjson.Where(path))
	}
	return nil
}

func (d *decoder) schema(root *strictjson.Value) (*Schema, error) {
	if err := objectAt(root, ""); err != nil {
		return nil, err
	}
	if err := strictjson.CheckKeys(root, "", topKeys, topUnimplemented); err != nil {
		return nil, invalidf("schema: %w", err)
	}
	s := &Schema{}
	var err error
	if s.Name, err = root.Get("schemaName").AsString("schemaName"); err != nil {
		return nil, invalidf("schema: %w", err)
	}
	if s.Name == "" {
		return nil, invalidf("schema: missing schemaName")
	}
	if s.EnableColumnBasedNullHandling, err = root.Get("enableColumnBasedNullHandling").AsBool("enableColumnBasedNullHandling"); err != nil {
		return nil, invalidf("schema: %w", err)
	}
	sections := []struct {
		key string
		ft  FieldType
	}{{"dimensionFieldSpecs", FieldDimension}, {"metricFieldSpecs", FieldMetric}}
	for _, sec := range sections {
		elems, err := root.Get(sec.key).AsArray(sec.key)
		if err != nil {
			return nil, invalidf("schema: %w", err)
		}
		for i, e := range elems {
			f, err := d.field(e, strictjson.Index(sec.key, i), sec.ft)
			if err != nil {
				return nil, err
			}
			s.Fields = append(s.Fields, f)
		}
	}
	if tf := root.Get("timeFieldSpec"); !tf.IsNull() {
		f, err := d.timeField(tf, "timeFieldSpec")
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, f)
	}
	elems, err := root.Get("dateTimeFieldSpecs").AsArray("dateTimeFieldSpecs")
	if err != nil {
		return nil, invalidf("schema: %w", err)
	}
	for i, e := range elems {
		f, err := d.field(e, strictjson.Index("dateTimeFieldSpecs", i), FieldDateTime)
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, f)
	}
	complexes, err := root.Get("complexFieldSpecs").AsArray("complexFieldSpecs")
	if err != nil {
		return nil, invalidf("schema: %w", err)
	}
	for i, e := range complexes {
		path := strictjson.Index("complexFieldSpecs", i)
		name, _ := e.Get("name").AsString(path)
		dt, _ := e.Get("dataType").AsString(path)
		if name == "" {
			return nil, invalidf("schema: %s: complex columns are not supported", path)
		}
		return nil, invalidf("schema: column %q: complex data type %q is not supported", name, dt)
	}
	if s.PrimaryKeyColumns, err = root.Get("primaryKeyColumns").AsStrings("primaryKeyColumns"); err != nil {
		return nil, invalidf("schema: %w", err)
	}
	if len(s.PrimaryKeyColumns) == 0 {
		s.PrimaryKeyColumns = nil
	}
	d.unimplemented(root, "", "", topUnimplemented)
	return s, nil
}

// dataType parses a column's dataType, naming the column in errors.
func dataType(v *strictjson.Value, path, column string) (DataType, error) {
	text, err := v.AsString(strictjson.JoinKey(path, "dataType"))
	if err != nil {
		return TypeInvalid, invalidf("schema: %w", err)
	}
	if text == "" {
		return TypeInvalid, invalidf("schema: column %q: missing dataType", column)
	}
	dt, perr := ParseDataType(text)
	if perr == nil {
		return dt, nil
	}
	u := strings.ToUpper(strings.TrimSpace(text))
	for _, t := range unsupportedTypes {
		if u == t {
			return TypeInvalid, invalidf("schema: column %q: data type %s is not supported", column, u)
		}
	}
	msg := fmt.Sprintf("schema: column %q: unknown data type %q", column, text)
	if n := strictjson.Nearest(text, allTypeNames); n != "" {
		msg += fmt.Sprintf("; did you mean %q?", n)
	}
	return TypeInvalid, invalidf("%s", msg)
}

// field decodes one element of dimensionFieldSpecs, metricFieldSpecs or
// dateTimeFieldSpecs.
func (d *decoder) field(v *strictjson.Value, path string, ft FieldType) (FieldSpec, error) {
	if err := objectAt(v, path); err != nil {
		return FieldSpec{}, err
	}
	known := [][]string{fieldKeys, fieldUnimplemented}
	if ft == FieldDateTime {
		known = append(known, dateTimeKeys, dateTimeUnimplemented)
	}
	if err := strictjson.CheckKeys(v, path, known...); err != nil {
		return FieldSpec{}, invalidf("schema: %w", err)
	}
	name, err := v.Get("name").AsString(strictjson.JoinKey(path, "name"))
	if err != nil {
		return FieldSpec{}, invalidf("schema: %w", err)
	}
	if name == "" {
		return FieldSpec{}, invalidf("schema: %s: empty column name", path)
	}
	dt, err := dataType(v.Get("dataType"), path, name)
	if err != nil {
		return FieldSpec{}, err
	}
	f := FieldSpec{Name: name, FieldType: ft, DataType: dt}
	if err := d.common(v, path, &f); err != nil {
		return FieldSpec{}, err
	}
	if ft == FieldDateTime {
		if f.Format, err = v.Get("format").AsString(strictjson.JoinKey(path, "format")); err != nil {
			return FieldSpec{}, invalidf("schema: %w", err)
		}
		if f.Granularity, err = v.Get("granularity").AsString(strictjson.JoinKey(path, "granularity")); err != nil {
			return FieldSpec{}, invalidf("schema: %w", err)
		}
		if dt == TypeTimestamp {
			// Pinot forces the format of a TIMESTAMP column (DateTimeFieldSpec).
			if f.Format != "" && f.Format != "TIMESTAMP" && f.Format != "1:MILLISECONDS:TIMESTAMP" {
				d.warnf("%s %q of TIMESTAMP column %q is replaced by TIMESTAMP, as Pinot does", strictjson.JoinKey(path, "format"), f.Format, name)
			}
			f.Format = "TIMESTAMP"
		}
		d.unimplemented(v, path, name, dateTimeUnimplemented)
	}
	return f, nil
}

// common decodes the keys every field spec shares, once Name, FieldType
// and DataType are known.
func (d *decoder) common(v *strictjson.Value, path string, f *FieldSpec) error {
	var err error
	if ftv := v.Get("fieldType"); !ftv.IsNull() {
		text, err := ftv.AsString(strictjson.JoinKey(path, "fieldType"))
		if err != nil {
			return invalidf("schema: %w", err)
		}
		want := f.FieldType.String()
		if path == "timeFieldSpec" {
			want = "TIME"
		}
		if !strings.EqualFold(text, want) {
			return invalidf("schema: column %q: fieldType %q does not match its place in %s (%s)", f.Name, text, path, want)
		}
	}
	f.SingleValue = true
	if sv := v.Get("singleValueField"); !sv.IsNull() {
		if f.SingleValue, err = sv.AsBool(strictjson.JoinKey(path, "singleValueField")); err != nil {
			return invalidf("schema: %w", err)
		}
	}
	if f.NotNull, err = v.Get("notNull").AsBool(strictjson.JoinKey(path, "notNull")); err != nil {
		return invalidf("schema: %w", err)
	}
	n, ok, err := v.Get("maxLength").AsInt(strictjson.JoinKey(path, "maxLength"))
	if err != nil {
		return invalidf("schema: %w", err)
	}
	if ok {
		if n <= 0 {
			return invalidf("schema: column %q: maxLength %d must be positive", f.Name, n)
		}
		f.MaxLength = n
	}
	f.DefaultNull = DefaultNullValue(f.FieldType, f.DataType)
	if dv := v.Get("defaultNullValue"); !dv.IsNull() {
		var text string
		switch dv.Kind {
		case strictjson.String:
			text = dv.Str
		case strictjson.Number:
			text = dv.Num
		case strictjson.Bool:
			text = strconv.FormatBool(dv.Bool)
		default:
			if f.DataType != TypeJSON {
				return invalidf("schema: column %q: defaultNullValue must be a scalar, got %s", f.Name, dv.Kind)
			}
			text = string(dv.Compact())
		}
		if f.DefaultNull, err = ParseNullValue(f.DataType, text); err != nil {
			return invalidf("schema: column %q: bad defaultNullValue for %v: %w", f.Name, f.DataType, err)
		}
	}
	d.unimplemented(v, path, f.Name, fieldUnimplemented)
	return nil
}

// granularitySpec is a legacy TimeGranularitySpec.
type granularitySpec struct {
	name       string
	dataType   DataType
	unit       TimeUnit
	size       int
	timeFormat string
}

func granularitySpecAt(v *strictjson.Value, path string) (granularitySpec, error) {
	var g granularitySpec
	if err := objectAt(v, path); err != nil {
		return g, err
	}
	if err := strictjson.CheckKeys(v, path, granularitySpecKeys); err != nil {
		return g, invalidf("schema: %w", err)
	}
	var err error
	if g.name, err = v.Get("name").AsString(strictjson.JoinKey(path, "name")); err != nil {
		return g, invalidf("schema: %w", err)
	}
	if g.name == "" {
		return g, invalidf("schema: %s: empty column name", path)
	}
	if g.dataType, err = dataType(v.Get("dataType"), path, g.name); err != nil {
		return g, err
	}
	unit, err := v.Get("timeType").AsString(strictjson.JoinKey(path, "timeType"))
	if err != nil {
		return g, invalidf("schema: %w", err)
	}
	if unit == "" {
		return g, invalidf("schema: column %q: %s has no timeType", g.name, path)
	}
	if g.unit, err = ParseTimeUnit(unit); err != nil {
		return g, invalidf("schema: column %q: %s.timeType: %w", g.name, path, err)
	}
	g.size = 1
	for _, k := range []string{"timeUnitSize", "timeunitSize"} {
		n, ok, err := v.Get(k).AsInt(strictjson.JoinKey(path, k))
		if err != nil {
			return g, invalidf("schema: %w", err)
		}
		if ok {
			if n <= 0 {
				return g, invalidf("schema: column %q: %s.%s %d must be positive", g.name, path, k, n)
			}
			g.size = n
		}
	}
	if g.timeFormat, err = v.Get("timeFormat").AsString(strictjson.JoinKey(path, "timeFormat")); err != nil {
		return g, invalidf("schema: %w", err)
	}
	if g.timeFormat == "" {
		g.timeFormat = "EPOCH"
	}
	if g.timeFormat != "EPOCH" && !strings.HasPrefix(g.timeFormat, "SIMPLE_DATE_FORMAT:") {
		return g, invalidf("schema: column %q: %s.timeFormat %q must be EPOCH or SIMPLE_DATE_FORMAT:<pattern>", g.name, path, g.timeFormat)
	}
	return g, nil
}

// format returns the date-time format equivalent to the spec, as Pinot's
// Schema.convertToDateTimeFieldSpec builds it.
func (g granularitySpec) format() string {
	if g.timeFormat == "EPOCH" {
		return fmt.Sprintf("%d:%v:EPOCH", g.size, g.unit)
	}
	return fmt.Sprintf("%d:%v:SIMPLE_DATE_FORMAT:%s", g.size, g.unit, strings.TrimPrefix(g.timeFormat, "SIMPLE_DATE_FORMAT:"))
}

// timeField reads the legacy timeFieldSpec as a date-time field.
func (d *decoder) timeField(v *strictjson.Value, path string) (FieldSpec, error) {
	if err := objectAt(v, path); err != nil {
		return FieldSpec{}, err
	}
	if err := strictjson.CheckKeys(v, path, timeFieldKeys, fieldKeys, fieldUnimplemented); err != nil {
		return FieldSpec{}, invalidf("schema: %w", err)
	}
	in, err := granularitySpecAt(v.Get("incomingGranularitySpec"), path+".incomingGranularitySpec")
	if err != nil {
		return FieldSpec{}, err
	}
	out := in
	if ov := v.Get("outgoingGranularitySpec"); !ov.IsNull() {
		if out, err = granularitySpecAt(ov, path+".outgoingGranularitySpec"); err != nil {
			return FieldSpec{}, err
		}
	}
	// Pinot ignores name and dataType on the time field itself; a value
	// that contradicts the granularity spec is surely a mistake.
	if n, _ := v.Get("name").AsString(path); n != "" && n != out.name {
		return FieldSpec{}, invalidf("schema: %s.name %q differs from its granularity spec's name %q", path, n, out.name)
	}
	if t, _ := v.Get("dataType").AsString(path); t != "" {
		if dt, err := ParseDataType(t); err != nil || dt != out.dataType {
			return FieldSpec{}, invalidf("schema: %s.dataType %q differs from its granularity spec's dataType %v", path, t, out.dataType)
		}
	}
	f := FieldSpec{Name: out.name, FieldType: FieldDateTime, DataType: out.dataType}
	if err := d.common(v, path, &f); err != nil {
		return FieldSpec{}, err
	}
	f.Format = out.format()
	f.Granularity = fmt.Sprintf("%d:%v", out.size, out.unit)
	if out.dataType == TypeTimestamp {
		f.Format = "TIMESTAMP"
	}
	d.warnf("%s is deprecated; read as date-time column %q with format %q and granularity %q", path, f.Name, f.Format, f.Granularity)
	if in != out {
		d.warnf("%s: converting incomingGranularitySpec %q to outgoingGranularitySpec %q is not implemented yet; ignored (derive %q in ingestionConfig.transformConfigs)", path, in.format(), out.format(), f.Name)
	}
	return f, nil
}
