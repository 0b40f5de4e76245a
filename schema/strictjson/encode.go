package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Obj is a JSON object under construction that keeps keys in insertion
// order. Values may be nil, bool, string, int, int64, float64 (finite),
// []string, []any, *Obj or json.RawMessage.
type Obj struct {
	keys []string
	vals []any
}

// Set sets key to v, keeping the key's position if it exists.
func (o *Obj) Set(key string, v any) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

// Get returns the value of key, or nil.
func (o *Obj) Get(key string) any {
	for i, k := range o.keys {
		if k == key {
			return o.vals[i]
		}
	}
	return nil
}

// Len is the number of keys.
func (o *Obj) Len() int { return len(o.keys) }

// SetPath sets the value at path (see SplitPath) to raw, creating the
// objects on the way. Array steps must address existing elements.
func (o *Obj) SetPath(path string, raw json.RawMessage) error {
	steps, err := SplitPath(path)
	if err != nil {
		return err
	}
	if len(steps) == 0 || steps[0].IsIndex {
		return fmt.Errorf("set path %q: must start with a key", path)
	}
	var cur any = o
	for i, st := range steps {
		last := i == len(steps)-1
		switch c := cur.(type) {
		case *Obj:
			if st.IsIndex {
				return fmt.Errorf("set path %q: step %d indexes an object", path, i)
			}
			if last {
				c.Set(st.Key, raw)
				return nil
			}
			next := c.Get(st.Key)
			if next == nil {
				if steps[i+1].IsIndex {
					return fmt.Errorf("set path %q: no array at %q", path, st.Key)
				}
				n := &Obj{}
				c.Set(st.Key, n)
				next = n
			}
			cur = next
		case []any:
			if !st.IsIndex || st.Index >= len(c) {
				return fmt.Errorf("set path %q: step %d is not an element of the array", path, i)
			}
			if last {
				c[st.Index] = raw
				return nil
			}
			cur = c[st.Index]
		default:
			return fmt.Errorf("set path %q: step %d goes through a %T", path, i, cur)
		}
	}
	return nil
}

// Marshal renders v (a value of a type Obj accepts) as indented JSON.
func Marshal(v any) ([]byte, error) {
	var compact bytes.Buffer
	if err := encode(&compact, v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("indent JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func encode(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeString(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("encode JSON: %v is not a JSON number", x)
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case json.RawMessage:
		if err := json.Compact(b, x); err != nil {
			return fmt.Errorf("encode JSON: raw value: %w", err)
		}
	case []string:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encode(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *Obj:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := encode(b, x.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("encode JSON: unsupported type %T", v)
	}
	return nil
}

// writeString writes s as a JSON string without HTML escaping, so that
// expressions such as "a < b" stay readable.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
