package fn

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// in is a test argument: a column of values (nil = null) or a constant.
type in struct {
	t      schema.DataType
	vals   []any
	isCnst bool
}

func col(t schema.DataType, vals ...any) in { return in{t: t, vals: vals} }
func lit(t schema.DataType, v any) in       { return in{t: t, vals: []any{v}, isCnst: true} }
func slit(s string) in                      { return lit(schema.TypeString, s) }
func ilit(v int64) in                       { return lit(schema.TypeLong, v) }
func nullLit(t schema.DataType) in          { return in{t: t, vals: []any{nil}, isCnst: true} }

// fixedNow is the clock of tests: 2024-03-10T12:00:00Z.
var fixedNow = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

func setVal(v *vec.Vector, i int, x any) {
	if x == nil {
		v.SetNull(i)
		return
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		switch t := x.(type) {
		case int:
			v.I64[i] = int64(t)
		case int64:
			v.I64[i] = t
		case bool:
			v.I64[i] = b2i(t)
		default:
			panic(fmt.Sprintf("bad int value %T", x))
		}
	case schema.StorageFloat64:
		switch t := x.(type) {
		case float64:
			v.F64[i] = t
		case int:
			v.F64[i] = float64(t)
		default:
			panic(fmt.Sprintf("bad float value %T", x))
		}
	default:
		v.Str[i] = x.(string)
	}
}

func constOf(a in) *Const {
	x := a.vals[0]
	c := &Const{}
	switch t := x.(type) {
	case nil:
		c.Null = true
	case int:
		c.Int, c.Float = int64(t), float64(t)
	case int64:
		c.Int, c.Float = t, float64(t)
	case bool:
		c.Int = b2i(t)
	case float64:
		c.Float = t
	case string:
		c.Str = t
	}
	return c
}

// eval binds name over args and evaluates one batch.
func eval(name string, args ...in) (*vec.Vector, error) {
	n := 1
	for _, a := range args {
		if !a.isCnst {
			n = len(a.vals)
			break
		}
	}
	bargs := make([]Arg, len(args))
	vecs := make([]*vec.Vector, len(args))
	for k, a := range args {
		bargs[k] = Arg{Type: a.t}
		v := vec.New(a.t)
		v.Reset(a.t, n)
		if a.isCnst {
			bargs[k].Const = constOf(a)
			for i := 0; i < n; i++ {
				setVal(v, i, a.vals[0])
			}
		} else {
			for i, x := range a.vals {
				setVal(v, i, x)
			}
		}
		vecs[k] = v
	}
	f, err := Binder{Now: func() time.Time { return fixedNow }}.Bind(name, bargs)
	if err != nil {
		return nil, err
	}
	out := vec.New(schema.TypeInt)
	// dirty the output so that reuse is exercised
	out.Nulls = make([]bool, 3)
	if err := f.Eval(vecs, n, out); err != nil {
		return nil, err
	}
	if out.Type != f.Type {
		return nil, fmt.Errorf("out.Type %s, Func.Type %s", out.Type, f.Type)
	}
	if out.Len() != n {
		return nil, fmt.Errorf("out has %d rows, want %d", out.Len(), n)
	}
	return out, nil
}

func valueAt(v *vec.Vector, i int) any {
	if v.IsNull(i) {
		return nil
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return v.I64[i]
	case schema.StorageFloat64:
		return v.F64[i]
	}
	return v.Str[i]
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case int:
		g, ok := got.(int64)
		return ok && g == int64(w)
	case int64:
		g, ok := got.(int64)
		return ok && g == w
	case bool:
		g, ok := got.(int64)
		return ok && g == b2i(w)
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(w) {
			return math.IsNaN(g)
		}
		return g == w || math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	case string:
		g, ok := got.(string)
		return ok && g == w
	}
	return false
}

// fcase is one table row: a call, its expected type and values.
type fcase struct {
	name string
	fn   string
	args []in
	typ  schema.DataType
	want []any
	err  string // substring of the expected bind or eval error
}

func runCases(t *testing.T, cases []fcase) {
	t.Helper()
	for _, tc := range cases {
		label := tc.name
		if label == "" {
			label = tc.fn
		}
		t.Run(label, func(t *testing.T) {
			out, err := eval(tc.fn, tc.args...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%s: got error %v, want one containing %q", tc.fn, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.fn, err)
			}
			if tc.typ != schema.TypeInvalid && out.Type != tc.typ {
				t.Errorf("%s: type %s, want %s", tc.fn, out.Type, tc.typ)
			}
			if out.Len() != len(tc.want) {
				t.Fatalf("%s: %d rows, want %d", tc.fn, out.Len(), len(tc.want))
			}
			if out.Nulls != nil && len(out.Nulls) != out.Len() {
				t.Fatalf("%s: null mask has %d entries for %d rows", tc.fn, len(out.Nulls), out.Len())
			}
			for i, w := range tc.want {
				if g := valueAt(out, i); !sameValue(g, w) {
					t.Errorf("%s row %d: got %#v, want %#v", tc.fn, i, g, w)
				}
			}
			// null rows hold zero values
			for i := range tc.want {
				if out.IsNull(i) {
					switch out.Type.Storage() {
					case schema.StorageInt64:
						if out.I64[i] != 0 {
							t.Errorf("%s row %d: null row holds %d", tc.fn, i, out.I64[i])
						}
					case schema.StorageFloat64:
						if out.F64[i] != 0 {
							t.Errorf("%s row %d: null row holds %v", tc.fn, i, out.F64[i])
						}
					default:
						if out.Str[i] != "" {
							t.Errorf("%s row %d: null row holds %q", tc.fn, i, out.Str[i])
						}
					}
				}
			}
		})
	}
}

const (
	tInt    = schema.TypeInt
	tLong   = schema.TypeLong
	tFloat  = schema.TypeFloat
	tDouble = schema.TypeDouble
	tDec    = schema.TypeBigDecimal
	tBool   = schema.TypeBoolean
	tTS     = schema.TypeTimestamp
	tStr    = schema.TypeString
	tJSON   = schema.TypeJSON
	tBytes  = schema.TypeBytes
)

// ms returns epoch millis of a UTC date-time literal "2006-01-02 15:04:05.000".
func ms(s string) int64 {
	layout := "2006-01-02 15:04:05.000"
	if len(s) == 10 {
		layout = "2006-01-02"
	} else if len(s) == 19 {
		layout = "2006-01-02 15:04:05"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}
