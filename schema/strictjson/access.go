package strictjson

import (
	"fmt"
	"strconv"
	"strings"
)

// TypeError is a value of the wrong JSON type for its field.
type TypeError struct {
	Path string
	Want string
	Got  Kind
	// Text is the offending scalar's text, when there is one.
	Text string
}

func (e *TypeError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("%s: expected %s, got %s %s", Where(e.Path), e.Want, e.Got, e.Text)
	}
	return fmt.Sprintf("%s: expected %s, got %s", Where(e.Path), e.Want, e.Got)
}

func typeErr(v *Value, path, want string) error {
	e := &TypeError{Path: path, Want: want, Got: v.Kind}
	switch v.Kind {
	case String:
		e.Text = strconv.Quote(v.Str)
	case Number, Bool:
		e.Text = string(v.Raw)
	}
	return e
}

// AsObject checks that v is an object (null counts as absent: ok is false).
func (v *Value) AsObject(path string) (ok bool, err error) {
	if v.IsNull() {
		return false, nil
	}
	if v.Kind != Object {
		return false, typeErr(v, path, "an object")
	}
	return true, nil
}

// AsArray returns the elements of an array; null gives none.
func (v *Value) AsArray(path string) ([]*Value, error) {
	if v.IsNull() {
		return nil, nil
	}
	if v.Kind != Array {
		return nil, typeErr(v, path, "an array")
	}
	return v.Elems, nil
}

// AsString returns a string value; null gives "".
func (v *Value) AsString(path string) (string, error) {
	if v.IsNull() {
		return "", nil
	}
	if v.Kind != String {
		return "", typeErr(v, path, "a string")
	}
	return v.Str, nil
}

// AsText returns a scalar as text, the way Jackson fills a String field:
// a string as is, a number as its literal, a boolean as true or false.
// Null gives "" and ok false.
func (v *Value) AsText(path string) (text string, ok bool, err error) {
	switch {
	case v.IsNull():
		return "", false, nil
	case v.Kind == String:
		return v.Str, true, nil
	case v.Kind == Number:
		return v.Num, true, nil
	case v.Kind == Bool:
		return strconv.FormatBool(v.Bool), true, nil
	}
	return "", false, typeErr(v, path, "a string, number or boolean")
}

// AsBool returns a boolean, also accepting the strings "true" and "false"
// (any case) as Jackson does. Null gives false.
func (v *Value) AsBool(path string) (bool, error) {
	switch {
	case v.IsNull():
		return false, nil
	case v.Kind == Bool:
		return v.Bool, nil
	case v.Kind == String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, typeErr(v, path, "a boolean")
}

// AsInt returns an integer given as a number or as a numeric string (Pinot
// sends "replication": "3"). ok is false for null.
func (v *Value) AsInt(path string) (n int, ok bool, err error) {
	var text string
	switch {
	case v.IsNull():
		return 0, false, nil
	case v.Kind == Number:
		text = v.Num
	case v.Kind == String:
		text = strings.TrimSpace(v.Str)
	default:
		return 0, false, typeErr(v, path, "an integer")
	}
	i, perr := strconv.ParseInt(text, 10, 32)
	if perr != nil {
		return 0, false, typeErr(v, path, "a 32-bit integer")
	}
	return int(i), true, nil
}

// AsStrings returns an array of strings; null gives nil.
func (v *Value) AsStrings(path string) ([]string, error) {
	elems, err := v.AsArray(path)
	if err != nil || elems == nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		if e.Kind != String {
			return nil, typeErr(e, Index(path, i), "a string")
		}
		out = append(out, e.Str)
	}
	return out, nil
}

// AsStringMap returns an object whose values are scalars, each converted to
// text as AsText does (Pinot's Map<String, String> fields). Null gives nil;
// a null member value is an error, since the map cannot hold it.
func (v *Value) AsStringMap(path string) (map[string]string, error) {
	ok, err := v.AsObject(path)
	if err != nil || !ok {
		return nil, err
	}
	out := make(map[string]string, len(v.Members))
	for _, m := range v.Members {
		p := JoinKey(path, m.Key)
		if m.Value.Kind == Null {
			return nil, typeErr(m.Value, p, "a string")
		}
		t, _, err := m.Value.AsText(p)
		if err != nil {
			return nil, err
		}
		out[m.Key] = t
	}
	return out, nil
}

// IsEmpty reports whether v carries no setting: null, false, "", 0, an empty
// array, or an object whose members are all empty. Decoders use it to stay
// quiet about unimplemented keys left at their zero value.
func (v *Value) IsEmpty() bool {
	switch {
	case v.IsNull():
		return true
	case v.Kind == Bool:
		return !v.Bool
	case v.Kind == String:
		return v.Str == ""
	case v.Kind == Number:
		f, err := strconv.ParseFloat(v.Num, 64)
		return err == nil && f == 0
	case v.Kind == Array:
		return len(v.Elems) == 0
	case v.Kind == Object:
		for _, m := range v.Members {
			if !m.Value.IsEmpty() {
				return false
			}
		}
		return true
	}
	return false
}
