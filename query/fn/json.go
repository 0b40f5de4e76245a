package fn

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/jp"
	"github.com/ohler55/ojg/oj"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// JSON functions evaluate a JsonPath (Goessner / Jayway syntax, compiled
// once with ojg's jp) over each row's document. Each row's document is
// parsed (allocation per row is unavoidable there; the parser and its maps
// are reused within a batch). Objects rendered back to text have their keys
// sorted (Pinot keeps document order).

func jsonSpecs() []*spec {
	return []*spec{
		{names: []string{"jsonextractscalar", "json_extract_scalar"}, min: 3, max: 4, nullAware: true, bind: bindJSONExtractScalar},
		{names: []string{"jsonpathstring"}, min: 2, max: 3, nullAware: true, bind: bindJSONPath(schema.TypeString)},
		{names: []string{"jsonpathlong"}, min: 2, max: 3, nullAware: true, bind: bindJSONPath(schema.TypeLong)},
		{names: []string{"jsonpathdouble"}, min: 2, max: 3, nullAware: true, bind: bindJSONPath(schema.TypeDouble)},
		{names: []string{"jsonextractkey", "json_extract_key"}, min: 2, max: 2, bind: bindJSONExtractKey},
	}
}

// jsonPath is a compiled path; definite paths (only names and indexes)
// select one value, others a list, as in Jayway.
type jsonPath struct {
	src      string
	x        jp.Expr
	definite bool
}

func compileJSONPath(c *call, i int) (*jsonPath, error) {
	src, err := c.constString(i, "JSON path")
	if err != nil {
		return nil, err
	}
	x, err := jp.ParseString(src)
	if err != nil {
		return nil, c.errorf("invalid JSON path %q: %v", src, err)
	}
	p := &jsonPath{src: src, x: x, definite: true}
	for _, f := range x {
		switch f.(type) {
		case jp.Root, jp.At, jp.Child, jp.Nth, jp.Bracket:
		default:
			p.definite = false
		}
	}
	return p, nil
}

// jsonReader parses documents and evaluates a path; one per Eval.
type jsonReader struct {
	p    oj.Parser
	path *jsonPath
}

// read returns the value at the path in doc and whether there is one (a
// JSON null, a missing key or a malformed document are none).
func (r *jsonReader) read(doc string) (any, bool) {
	if doc == "" {
		return nil, false
	}
	data, err := r.p.Parse(unsafe.Slice(unsafe.StringData(doc), len(doc)))
	if err != nil {
		return nil, false
	}
	if r.path.definite {
		v, ok := r.path.x.FirstFound(data)
		if !ok || v == nil {
			return nil, false
		}
		return v, true
	}
	vs := r.path.x.Get(data)
	if len(vs) == 0 {
		return nil, false
	}
	return vs, true
}

func jsonText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		if t {
			return "true"
		}
		return "false"
	case json.Number:
		return string(t)
	}
	return oj.JSON(v, &ojg.Options{Sort: true})
}

func jsonLong(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case float64:
		return javaF64ToI64(t), true
	case bool:
		return b2i(t), true
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, true
		}
		f, err := t.Float64()
		return javaF64ToI64(f), err == nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		return i, err == nil
	}
	return 0, false
}

func jsonDouble(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case bool:
		return float64(b2i(t)), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	}
	return 0, false
}

// jsonConvert converts a found value to the storage of t.
func jsonConvert(v any, t schema.DataType) (i int64, f float64, s string, ok bool) {
	switch t {
	case schema.TypeInt:
		x, ok := jsonLong(v)
		return int64(int32(x)), 0, "", ok
	case schema.TypeLong:
		x, ok := jsonLong(v)
		return x, 0, "", ok
	case schema.TypeFloat:
		x, ok := jsonDouble(v)
		return 0, float64(float32(x)), "", ok
	case schema.TypeDouble:
		x, ok := jsonDouble(v)
		return 0, x, "", ok
	case schema.TypeBoolean:
		switch b := v.(type) {
		case bool:
			return b2i(b), 0, "", true
		case string:
			return b2i(strings.EqualFold(b, "true") || b == "1"), 0, "", true
		}
		x, ok := jsonDouble(v)
		return b2i(x != 0), 0, "", ok
	case schema.TypeTimestamp:
		if str, isStr := v.(string); isStr {
			ms, ok := parseTimestamp(str)
			return ms, 0, "", ok
		}
		x, ok := jsonLong(v)
		return x, 0, "", ok
	case schema.TypeBigDecimal:
		switch x := v.(type) {
		case string:
			t := strings.TrimSpace(x)
			return 0, 0, t, isDecimal(t)
		case int64, float64, json.Number:
			return 0, 0, jsonText(x), true
		}
		return 0, 0, "", false
	case schema.TypeBytes:
		str, isStr := v.(string)
		if !isStr {
			return 0, 0, "", false
		}
		b, err := base64.StdEncoding.DecodeString(str)
		return 0, 0, string(b), err == nil
	}
	return 0, 0, jsonText(v), true
}

func setConverted(out *vec.Vector, i int, iv int64, fv float64, sv string) {
	switch out.Type.Storage() {
	case schema.StorageInt64:
		out.I64[i] = iv
	case schema.StorageFloat64:
		out.F64[i] = fv
	default:
		out.Str[i] = sv
	}
}

func jsonDocArg(c *call) error {
	if c.isNullConst(0) || isStringType(c.typ(0)) || c.typ(0) == schema.TypeBytes {
		return nil
	}
	return c.errorf("argument 1 must be a JSON string, got %s", c.typ(0))
}

// bindJSONExtractScalar is jsonExtractScalar(json, path, resultType[,
// default]): without a default a row whose path does not resolve is an
// error (as in Pinot); a NULL default makes it null.
func bindJSONExtractScalar(c *call) (*Func, error) {
	if err := jsonDocArg(c); err != nil {
		return nil, err
	}
	path, err := compileJSONPath(c, 1)
	if err != nil {
		return nil, err
	}
	ts, err := c.constString(2, "result type")
	if err != nil {
		return nil, err
	}
	rt, perr := schema.ParseDataType(ts)
	if perr != nil {
		return nil, c.errorf("unsupported result type %q (known: INT, LONG, FLOAT, DOUBLE, BIG_DECIMAL, BOOLEAN, TIMESTAMP, STRING, JSON, BYTES)", ts)
	}
	hasDef, defNull := false, false
	var di int64
	var df float64
	var ds string
	if len(c.args) == 4 {
		hasDef = true
		a := c.args[3]
		switch {
		case a.Const == nil:
			return nil, c.errorf("argument 4 (default) must be a constant")
		case a.Const.Null:
			defNull = true
		default:
			var v any
			switch a.Type.Storage() {
			case schema.StorageInt64:
				v = a.Const.Int
			case schema.StorageFloat64:
				v = a.Const.Float
			default:
				v = a.Const.Str
			}
			var ok bool
			if di, df, ds, ok = jsonConvert(v, rt); !ok {
				return nil, c.errorf("default %v is not a %s", v, rt)
			}
		}
	}
	name := c.name
	return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls, mask := beginMask(out, rt, n, args[:1])
		r := jsonReader{path: path}
		r.p.Reuse = true
		in := args[0].Str[:n]
		for i, doc := range in {
			if nulls != nil && nulls[i] {
				continue
			}
			v, ok := r.read(doc)
			var iv int64
			var fv float64
			var sv string
			if ok {
				iv, fv, sv, ok = jsonConvert(v, rt)
			}
			if !ok {
				switch {
				case !hasDef:
					return fmt.Errorf("evaluate %s: cannot resolve JSON path %q to %s on document %.80q; consider setting a default value", name, path.src, rt, doc)
				case defNull:
					mask.set(i)
					continue
				}
				iv, fv, sv = di, df, ds
			}
			setConverted(out, i, iv, fv, sv)
		}
		zeroNulls(out, out.Nulls)
		return nil
	}}, nil
}

// bindJSONPath binds jsonPathString / jsonPathLong / jsonPathDouble(json,
// path[, default]). Without a default a missing value is null (string),
// Long.MIN_VALUE (long) or NaN (double), as in Pinot; with one, missing
// values, malformed and null documents give the default.
func bindJSONPath(rt schema.DataType) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := jsonDocArg(c); err != nil {
			return nil, err
		}
		path, err := compileJSONPath(c, 1)
		if err != nil {
			return nil, err
		}
		hasDef := len(c.args) == 3
		if !hasDef && c.isNullConst(0) {
			return allNull(c.name, rt), nil
		}
		var di int64 = math.MinInt64
		df := math.NaN()
		var ds string
		defNull := rt == schema.TypeString && !hasDef
		if hasDef {
			a := c.args[2]
			switch {
			case a.Const == nil:
				return nil, c.errorf("argument 3 (default) must be a constant")
			case a.Const.Null:
				defNull = true
			default:
				var v any
				switch a.Type.Storage() {
				case schema.StorageInt64:
					v = a.Const.Int
				case schema.StorageFloat64:
					v = a.Const.Float
				default:
					v = a.Const.Str
				}
				var ok bool
				if di, df, ds, ok = jsonConvert(v, rt); !ok {
					return nil, c.errorf("default %v is not a %s", v, rt)
				}
			}
		}
		docNull := c.isNullConst(0)
		return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			buf := out.Nulls
			out.Reset(rt, n)
			mask := nullMask{out: out, buf: buf, n: n}
			r := jsonReader{path: path}
			r.p.Reuse = true
			src := args[0]
			for i := 0; i < n; i++ {
				if docNull || src.IsNull(i) {
					if !hasDef {
						mask.set(i)
						continue
					}
					if defNull {
						mask.set(i)
						continue
					}
					setConverted(out, i, di, df, ds)
					continue
				}
				v, ok := r.read(src.Str[i])
				var iv int64
				var fv float64
				var sv string
				if ok {
					iv, fv, sv, ok = jsonConvert(v, rt)
				}
				if !ok {
					if defNull {
						mask.set(i)
						continue
					}
					iv, fv, sv = di, df, ds
				}
				setConverted(out, i, iv, fv, sv)
			}
			zeroNulls(out, out.Nulls)
			return nil
		}}, nil
	}
}

// bindJSONExtractKey is jsonExtractKey(json, path): the paths of the values
// the path matches, in Jayway's bracket notation ("$['a']['b']", "$['l'][0]"),
// as a JSON array (Tannin has no multi-value results yet; Pinot returns a
// STRING_ARRAY).
func bindJSONExtractKey(c *call) (*Func, error) {
	if err := jsonDocArg(c); err != nil {
		return nil, err
	}
	path, err := compileJSONPath(c, 1)
	if err != nil {
		return nil, err
	}
	return &Func{Type: schema.TypeJSON, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeJSON, n, args)
		var p oj.Parser
		var b []byte
		for i, doc := range args[0].Str[:n] {
			if nulls != nil && nulls[i] {
				out.Str[i] = ""
				continue
			}
			b = append(b[:0], '[')
			if doc != "" {
				if data, err := p.Parse(unsafe.Slice(unsafe.StringData(doc), len(doc))); err == nil {
					locs := path.x.Locate(data, 0)
					// The parsed document's objects are Go maps, so the
					// paths come in random order: sort them (keys by name,
					// array elements by index) for a deterministic answer.
					slices.SortFunc(locs, comparePaths)
					for k, loc := range locs {
						if k > 0 {
							b = append(b, ',')
						}
						b = strconv.AppendQuote(b, bracketPath(loc))
					}
				}
			}
			b = append(b, ']')
			out.Str[i] = string(b)
		}
		return nil
	}}, nil
}

// comparePaths orders located paths fragment by fragment: object keys by
// name, array elements by index, a shorter path (a prefix) first.
func comparePaths(a, b jp.Expr) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, aChild := a[i].(jp.Child)
		cb, bChild := b[i].(jp.Child)
		na, aNth := a[i].(jp.Nth)
		nb, bNth := b[i].(jp.Nth)
		switch {
		case aChild && bChild:
			if c := strings.Compare(string(ca), string(cb)); c != 0 {
				return c
			}
		case aNth && bNth:
			if c := cmp.Compare(int(na), int(nb)); c != 0 {
				return c
			}
		case aChild != bChild:
			if aChild {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(len(a), len(b))
}

func bracketPath(x jp.Expr) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, f := range x {
		switch t := f.(type) {
		case jp.Child:
			b.WriteString("['")
			b.WriteString(strings.ReplaceAll(string(t), "'", `\'`))
			b.WriteString("']")
		case jp.Nth:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(t)))
			b.WriteByte(']')
		}
	}
	return b.String()
}
