package schema

import (
	"encoding/json"
	"fmt"

	"github.com/tannin-db/tannin/schema/strictjson"
)

func jsonNumber(s string) json.RawMessage { return json.RawMessage(s) }

// MarshalJSON writes the schema as Pinot's schema JSON, as Pinot's
// Schema.toJsonObject does: fields grouped into dimensionFieldSpecs,
// metricFieldSpecs and dateTimeFieldSpecs, keys left at their default
// omitted, defaultNullValue written only when it differs from Pinot's.
// For a schema from Parse, Parse(MarshalJSON()) gives it back unchanged.
func (s *Schema) MarshalJSON() ([]byte, error) {
	root := &strictjson.Obj{}
	root.Set("schemaName", s.Name)
	root.Set("enableColumnBasedNullHandling", s.EnableColumnBasedNullHandling)
	sections := []struct {
		key string
		ft  FieldType
	}{{"dimensionFieldSpecs", FieldDimension}, {"metricFieldSpecs", FieldMetric}, {"dateTimeFieldSpecs", FieldDateTime}}
	for _, sec := range sections {
		var specs []any
		for i := range s.Fields {
			f := &s.Fields[i]
			if f.FieldType != sec.ft {
				continue
			}
			o, err := fieldJSON(f)
			if err != nil {
				return nil, fmt.Errorf("marshal schema %q: %w", s.Name, err)
			}
			specs = append(specs, o)
		}
		if len(specs) > 0 {
			root.Set(sec.key, specs)
		}
	}
	if len(s.PrimaryKeyColumns) > 0 {
		root.Set("primaryKeyColumns", s.PrimaryKeyColumns)
	}
	return strictjson.Marshal(root)
}

func fieldJSON(f *FieldSpec) (*strictjson.Obj, error) {
	o := &strictjson.Obj{}
	o.Set("name", f.Name)
	o.Set("dataType", f.DataType.String())
	o.Set("fieldType", f.FieldType.String())
	if !f.SingleValue {
		o.Set("singleValueField", false)
	}
	if f.NotNull {
		o.Set("notNull", true)
	}
	if f.MaxLength != 0 {
		o.Set("maxLength", f.MaxLength)
	}
	if !isDefaultNull(f) {
		v, err := nullValueJSON(f.DataType, f.DefaultNull)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		o.Set("defaultNullValue", v)
	}
	if f.FieldType == FieldDateTime {
		o.Set("format", f.Format)
		o.Set("granularity", f.Granularity)
	}
	return o, nil
}

// isDefaultNull reports whether f's null value is Pinot's default. Only
// the storage families' types are compared, so that a wrong type (say a
// []byte) reaches nullValueJSON's error instead of panicking here.
func isDefaultNull(f *FieldSpec) bool {
	switch v := f.DefaultNull.(type) {
	case int64, float64, string:
		return v == DefaultNullValue(f.FieldType, f.DataType)
	}
	return false
}
