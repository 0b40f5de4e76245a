package fn

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Arithmetic as functions, with Pinot's typing: add, sub and mult of two
// whole numbers (INT, LONG, TIMESTAMP) are LONG, otherwise DOUBLE; div is
// always DOUBLE; mod keeps the wider operand type (INT % INT is INT); abs
// keeps its operand's type; the math functions return DOUBLE. BIG_DECIMAL
// operands are computed in DOUBLE (Pinot computes in BigDecimal).

func arithSpecs() []*spec {
	return []*spec{
		{names: []string{"add", "plus"}, min: 2, max: 2, bind: bindArith('+')},
		{names: []string{"sub", "minus"}, min: 2, max: 2, bind: bindArith('-')},
		{names: []string{"mult", "times"}, min: 2, max: 2, bind: bindArith('*')},
		{names: []string{"div", "divide"}, min: 2, max: 3, bind: bindDiv},
		{names: []string{"mod"}, min: 2, max: 2, bind: bindMod},
		{names: []string{"power", "pow"}, min: 2, max: 2, bind: bindArith('^')},
		{names: []string{"abs"}, min: 1, max: 1, bind: bindAbs},
		{names: []string{"ceil", "ceiling"}, min: 1, max: 1, bind: bindMath(math.Ceil)},
		{names: []string{"floor"}, min: 1, max: 1, bind: bindMath(math.Floor)},
		{names: []string{"sqrt"}, min: 1, max: 1, bind: bindMath(math.Sqrt)},
		{names: []string{"exp"}, min: 1, max: 1, bind: bindMath(math.Exp)},
		{names: []string{"ln", "log"}, min: 1, max: 1, bind: bindMath(math.Log)},
		{names: []string{"log10"}, min: 1, max: 1, bind: bindMath(math.Log10)},
		{names: []string{"log2"}, min: 1, max: 1, bind: bindMath(math.Log2)},
		{names: []string{"sign"}, min: 1, max: 1, bind: bindMath(signum)},
		{names: []string{"round", "rounddecimal"}, min: 1, max: 2, bind: bindRound(true)},
		{names: []string{"truncate", "trunc"}, min: 1, max: 2, bind: bindRound(false)},
		{names: []string{"greatest"}, min: 1, max: -1, nullAware: true, bind: bindExtreme(true)},
		{names: []string{"least"}, min: 1, max: -1, nullAware: true, bind: bindExtreme(false)},
	}
}

type num interface{ ~int64 | ~float64 }

func signum(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 and NaN as Java's Math.signum
}

// numbers gives a numeric argument vector's values: I64 or F64 directly,
// BIG_DECIMAL parsed into a pooled scratch slice.
type numbers struct {
	kind schema.Storage // StorageInt64 or StorageFloat64
	i    []int64
	f    []float64
}

type scratchPool struct{ p sync.Pool }

func newScratchPool() *scratchPool {
	return &scratchPool{p: sync.Pool{New: func() any {
		s := make([]float64, vec.BatchSize)
		return &s
	}}}
}

func (sp *scratchPool) get(n int) *[]float64 {
	s := sp.p.Get().(*[]float64)
	if cap(*s) < n {
		*s = make([]float64, n)
	}
	*s = (*s)[:n]
	return s
}

func (sp *scratchPool) put(s *[]float64) { sp.p.Put(s) }

// numbersOf reads v's first n values. A BIG_DECIMAL vector is parsed into
// *tmp (taken from sp); the caller returns it to the pool.
func numbersOf(v *vec.Vector, n int, nulls []bool, sp *scratchPool, tmp **[]float64) (numbers, error) {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return numbers{kind: schema.StorageInt64, i: v.I64[:n]}, nil
	case schema.StorageFloat64:
		return numbers{kind: schema.StorageFloat64, f: v.F64[:n]}, nil
	}
	s := sp.get(n)
	*tmp = s
	f := *s
	for i := 0; i < n; i++ {
		if v.Str[i] == "" || (nulls != nil && nulls[i]) {
			f[i] = 0
			continue
		}
		x, err := strconv.ParseFloat(v.Str[i], 64)
		if err != nil {
			return numbers{}, fmt.Errorf("parse BIG_DECIMAL %q: %w", v.Str[i], err)
		}
		f[i] = x
	}
	return numbers{kind: schema.StorageFloat64, f: f}, nil
}

func bindArith(op byte) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needNumeric(0); err != nil {
			return nil, err
		}
		if err := c.needNumeric(1); err != nil {
			return nil, err
		}
		if op != '^' && isIntType(c.typ(0)) && isIntType(c.typ(1)) {
			return &Func{Type: schema.TypeLong, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
				nulls := begin(out, schema.TypeLong, n, args)
				arithInts(op, args[0].I64[:n], args[1].I64[:n], out.I64[:n])
				zeroNulls(out, nulls)
				return nil
			}}, nil
		}
		return floatBinary(c, op, nil), nil
	}
}

// floatBinary is a DOUBLE-valued binary operation over any two numeric
// vectors; def, when set, is div's default for a zero divisor.
func floatBinary(c *call, op byte, def *float64) *Func {
	sp := newScratchPool()
	name := c.name
	return &Func{Type: schema.TypeDouble, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeDouble, n, args)
		var ta, tb *[]float64
		defer func() {
			if ta != nil {
				sp.put(ta)
			}
			if tb != nil {
				sp.put(tb)
			}
		}()
		a, err := numbersOf(args[0], n, nulls, sp, &ta)
		if err != nil {
			return fmt.Errorf("evaluate %s: %w", name, err)
		}
		b, err := numbersOf(args[1], n, nulls, sp, &tb)
		if err != nil {
			return fmt.Errorf("evaluate %s: %w", name, err)
		}
		o := out.F64[:n]
		switch {
		case a.kind == schema.StorageInt64 && b.kind == schema.StorageInt64:
			arithFloats(op, a.i, b.i, o)
		case a.kind == schema.StorageInt64:
			arithFloats(op, a.i, b.f, o)
		case b.kind == schema.StorageInt64:
			arithFloats(op, a.f, b.i, o)
		default:
			arithFloats(op, a.f, b.f, o)
		}
		if def != nil {
			d := *def
			switch b.kind {
			case schema.StorageInt64:
				for i, x := range b.i {
					if x == 0 {
						o[i] = d
					}
				}
			default:
				for i, x := range b.f {
					if x == 0 {
						o[i] = d
					}
				}
			}
		}
		zeroNulls(out, nulls)
		return nil
	}}
}

func arithInts(op byte, a, b, o []int64) {
	b = b[:len(a)]
	o = o[:len(a)]
	switch op {
	case '+':
		for i := range a {
			o[i] = a[i] + b[i]
		}
	case '-':
		for i := range a {
			o[i] = a[i] - b[i]
		}
	case '*':
		for i := range a {
			o[i] = a[i] * b[i]
		}
	}
}

func arithFloats[A, B num](op byte, a []A, b []B, o []float64) {
	b = b[:len(a)]
	o = o[:len(a)]
	switch op {
	case '+':
		for i := range a {
			o[i] = float64(a[i]) + float64(b[i])
		}
	case '-':
		for i := range a {
			o[i] = float64(a[i]) - float64(b[i])
		}
	case '*':
		for i := range a {
			o[i] = float64(a[i]) * float64(b[i])
		}
	case '/':
		for i := range a {
			o[i] = float64(a[i]) / float64(b[i])
		}
	case '%':
		for i := range a {
			o[i] = math.Mod(float64(a[i]), float64(b[i]))
		}
	case '^':
		for i := range a {
			o[i] = math.Pow(float64(a[i]), float64(b[i]))
		}
	}
}

func bindDiv(c *call) (*Func, error) {
	if err := c.needNumeric(0); err != nil {
		return nil, err
	}
	if err := c.needNumeric(1); err != nil {
		return nil, err
	}
	if len(c.args) == 3 {
		a := c.args[2]
		if a.Const == nil || !isNumType(a.Type) {
			return nil, c.errorf("argument 3 (default) must be a numeric constant")
		}
		d := a.Const.Float
		if a.Type.Storage() == schema.StorageInt64 {
			d = float64(a.Const.Int)
		}
		return floatBinary(c, '/', &d), nil
	}
	return floatBinary(c, '/', nil), nil
}

// errDivByZero is an integer division or modulo by zero.
var errDivByZero = errors.New("division by zero")

func bindMod(c *call) (*Func, error) {
	if err := c.needNumeric(0); err != nil {
		return nil, err
	}
	if err := c.needNumeric(1); err != nil {
		return nil, err
	}
	t0, t1 := c.typ(0), c.typ(1)
	if isIntType(t0) && isIntType(t1) {
		rt := schema.TypeLong
		if t0 == schema.TypeInt && t1 == schema.TypeInt {
			rt = schema.TypeInt
		}
		name := c.name
		return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, rt, n, args)
			a, b, o := args[0].I64[:n], args[1].I64[:n], out.I64[:n]
			for i := range a {
				d := b[i]
				if d == 0 {
					if nulls != nil && nulls[i] {
						o[i] = 0
						continue
					}
					return fmt.Errorf("evaluate %s: %w", name, errDivByZero)
				}
				if d == -1 {
					o[i] = 0 // avoids MinInt64 % -1 trapping
					continue
				}
				o[i] = a[i] % d
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
	f := floatBinary(c, '%', nil)
	if (t0 == schema.TypeFloat || isIntType(t0)) && (t1 == schema.TypeFloat || isIntType(t1)) {
		f.Type = schema.TypeFloat
		eval := f.Eval
		f.Eval = func(args []*vec.Vector, n int, out *vec.Vector) error {
			if err := eval(args, n, out); err != nil {
				return err
			}
			out.Type = schema.TypeFloat
			for i, x := range out.F64[:n] {
				out.F64[i] = float64(float32(x))
			}
			return nil
		}
	}
	return f, nil
}

func bindAbs(c *call) (*Func, error) {
	if err := c.needNumeric(0); err != nil {
		return nil, err
	}
	t := c.typ(0)
	name := c.name
	switch t.Storage() {
	case schema.StorageInt64:
		return &Func{Type: t, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, t, n, args)
			in, o := args[0].I64[:n], out.I64[:n]
			limit := int64(math.MinInt64)
			if t == schema.TypeInt {
				limit = math.MinInt32
			}
			for i, x := range in {
				if x < 0 {
					if x == limit {
						return fmt.Errorf("evaluate %s: %s overflow", name, strings.ToLower(t.String()))
					}
					x = -x
				}
				o[i] = x
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	case schema.StorageFloat64:
		return &Func{Type: t, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, t, n, args)
			in, o := args[0].F64[:n], out.F64[:n]
			for i, x := range in {
				o[i] = math.Abs(x)
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
	// BIG_DECIMAL: exact, on the text.
	return &Func{Type: t, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, t, n, args)
		in, o := args[0].Str[:n], out.Str[:n]
		for i, s := range in {
			if len(s) > 0 && s[0] == '-' {
				s = s[1:]
			}
			o[i] = s
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

// bindMath binds a DOUBLE-valued function of one numeric argument.
func bindMath(f func(float64) float64) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needNumeric(0); err != nil {
			return nil, err
		}
		name := c.name
		return &Func{Type: schema.TypeDouble, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeDouble, n, args)
			o := out.F64[:n]
			if err := loadFloats(args[0], n, nulls, o); err != nil {
				return fmt.Errorf("evaluate %s: %w", name, err)
			}
			for i, x := range o {
				o[i] = f(x)
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

// loadFloats converts a numeric vector's first n values into o.
func loadFloats(v *vec.Vector, n int, nulls []bool, o []float64) error {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		for i, x := range v.I64[:n] {
			o[i] = float64(x)
		}
	case schema.StorageFloat64:
		copy(o, v.F64[:n])
	default:
		for i, s := range v.Str[:n] {
			if s == "" || (nulls != nil && nulls[i]) {
				o[i] = 0
				continue
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("parse BIG_DECIMAL %q: %w", s, err)
			}
			o[i] = x
		}
	}
	return nil
}

// bindRound binds round (half away from zero) or truncate (toward zero) to
// a decimal scale, on the shortest decimal form of the double as Java's
// BigDecimal.valueOf(double).setScale does.
func bindRound(halfUp bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needNumeric(0); err != nil {
			return nil, err
		}
		constScale, scaleConst := int64(0), true
		if len(c.args) == 2 {
			if err := c.needInteger(1); err != nil {
				return nil, err
			}
			if c.args[1].Const != nil {
				s, err := c.constInt(1, "scale")
				if err != nil {
					return nil, err
				}
				constScale = s
			} else {
				scaleConst = false
			}
		}
		name := c.name
		return &Func{Type: schema.TypeDouble, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeDouble, n, args)
			o := out.F64[:n]
			if err := loadFloats(args[0], n, nulls, o); err != nil {
				return fmt.Errorf("evaluate %s: %w", name, err)
			}
			if scaleConst {
				s := int(constScale)
				for i, x := range o {
					o[i] = roundScale(x, s, halfUp)
				}
			} else {
				sv := args[1]
				for i, x := range o {
					o[i] = roundScale(x, int(intAt(sv, i)), halfUp)
				}
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

// intAt reads row i of an integer-valued vector stored as I64 or F64.
func intAt(v *vec.Vector, i int) int64 {
	if v.Type.Storage() == schema.StorageFloat64 {
		return javaF64ToI64(v.F64[i])
	}
	return v.I64[i]
}

// roundScale rounds x to scale decimal places, half away from zero when
// halfUp, else toward zero, on x's shortest decimal representation.
func roundScale(x float64, scale int, halfUp bool) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	if scale == 0 {
		if halfUp {
			return math.Round(x) + 0 // +0 turns -0 into 0
		}
		return math.Trunc(x) + 0
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', -1, 64)
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	// b is d[.ddd]e±XX
	epos := 0
	for epos < len(b) && b[epos] != 'e' {
		epos++
	}
	exp, _ := strconv.Atoi(string(b[epos+1:]))
	var digits [24]byte
	nd := 0
	for _, ch := range b[:epos] {
		if ch != '.' {
			digits[nd] = ch
			nd++
		}
	}
	keep := exp + 1 + scale // digits kept before the rounding point
	if keep >= nd {
		return x
	}
	up := false
	if keep >= 0 && halfUp && digits[keep] >= '5' {
		up = true
	}
	if keep < 0 {
		return 0
	}
	var res [40]byte
	r := res[:0]
	if neg {
		r = append(r, '-')
	}
	kept := digits[:keep]
	if up {
		// increment the kept digits (may carry into a new leading 1)
		j := keep - 1
		for ; j >= 0 && kept[j] == '9'; j-- {
			kept[j] = '0'
		}
		if j < 0 {
			r = append(r, '1')
		} else {
			kept[j]++
		}
	} else if keep == 0 {
		return 0
	}
	r = append(r, kept...)
	if len(r) == 0 || (neg && len(r) == 1) {
		return 0
	}
	r = append(r, 'e')
	r = strconv.AppendInt(r, int64(-scale), 10)
	v, err := strconv.ParseFloat(string(r), 64)
	if err != nil {
		return x
	}
	return v + 0
}

// bindExtreme binds greatest (max) or least (min) over any number of
// arguments of one family; nulls are ignored, the row is null only when
// every argument is.
func bindExtreme(greatest bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		var rt schema.DataType
		mixed := false
		allInt, allFloat, allString := true, true, true
		skip := make([]bool, len(c.args))
		for i := range c.args {
			if c.isNullConst(i) {
				skip[i] = true
				continue
			}
			t := c.typ(i)
			allInt = allInt && isIntType(t)
			allFloat = allFloat && (isNumType(t) && t != schema.TypeBigDecimal)
			allString = allString && isStringType(t)
			switch {
			case rt == schema.TypeInvalid:
				rt = t
			case rt != t:
				mixed = true
			}
		}
		switch {
		case rt == schema.TypeInvalid:
			rt = schema.TypeLong // all NULL literals
		case !mixed && (allInt || allFloat || allString):
			// one type throughout
		case allInt:
			rt = schema.TypeLong
		case allFloat:
			rt = schema.TypeDouble
		case allString:
			rt = schema.TypeString
		default:
			return nil, c.errorf("arguments must all be numbers, all timestamps or all strings")
		}
		return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			buf := out.Nulls
			out.Reset(rt, n)
			isNull := fillBools(buf, n, true)
			for j, a := range args {
				if skip[j] {
					continue
				}
				var an []bool
				if a.Nulls != nil {
					an = a.Nulls[:n]
				}
				switch rt.Storage() {
				case schema.StorageInt64:
					extreme(a.I64[:n], an, out.I64[:n], isNull, greatest)
				case schema.StorageFloat64:
					if a.Type.Storage() == schema.StorageInt64 {
						extremeConv(a.I64[:n], an, out.F64[:n], isNull, greatest)
					} else {
						extreme(a.F64[:n], an, out.F64[:n], isNull, greatest)
					}
				default:
					extreme(a.Str[:n], an, out.Str[:n], isNull, greatest)
				}
			}
			any := false
			for _, b := range isNull {
				any = any || b
			}
			if any {
				out.Nulls = isNull
				zeroNulls(out, isNull)
			}
			return nil
		}}, nil
	}
}

func extreme[T int64 | float64 | string](in []T, inNull []bool, o []T, isNull []bool, greatest bool) {
	for i, v := range in {
		if inNull != nil && inNull[i] {
			continue
		}
		if isNull[i] || (greatest && v > o[i]) || (!greatest && v < o[i]) {
			o[i] = v
			isNull[i] = false
		}
	}
}

func extremeConv(in []int64, inNull []bool, o []float64, isNull []bool, greatest bool) {
	for i, x := range in {
		if inNull != nil && inNull[i] {
			continue
		}
		v := float64(x)
		if isNull[i] || (greatest && v > o[i]) || (!greatest && v < o[i]) {
			o[i] = v
			isNull[i] = false
		}
	}
}
