package fn

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// spec describes one function: its names (the first is the canonical one,
// shown in Func.Name), its arity and how to bind it.
type spec struct {
	names []string
	min   int
	max   int // -1: variadic
	// nullAware functions see null constant arguments themselves; the others
	// return an all-null result when a constant argument is NULL.
	nullAware bool
	bind      func(c *call) (*Func, error)
}

// call is one Bind in progress.
type call struct {
	name string // as called, lower-cased
	args []Arg
	now  func() time.Time
}

// Binder binds functions with an injected clock (now(), ago()). The zero
// value uses time.Now.
type Binder struct {
	Now func() time.Time
}

// Bind resolves a function by name (case-insensitive, underscores ignored)
// and argument types, checks them and returns the bound function. now() and
// ago() read the wall clock once, at bind time.
func Bind(name string, args []Arg) (*Func, error) {
	return Binder{}.Bind(name, args)
}

// Bind is the package-level Bind with b's clock.
func (b Binder) Bind(name string, args []Arg) (*Func, error) {
	lname := strings.ToLower(name)
	s := registry().byKey[canonical(lname)]
	if s == nil {
		if near := nearest(lname); near != "" {
			return nil, fmt.Errorf("unknown function %q (did you mean %q?)", name, near)
		}
		return nil, fmt.Errorf("unknown function %q", name)
	}
	c := &call{name: lname, args: args, now: b.Now}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.arity(s.min, s.max); err != nil {
		return nil, err
	}
	f, err := s.bind(c)
	if err != nil {
		return nil, err
	}
	if f.Name == "" {
		f.Name = s.names[0]
	}
	f.Eval = guard(f.Name, args, f.Eval)
	if !s.nullAware {
		for _, a := range args {
			if a.Const != nil && a.Const.Null {
				return allNull(f.Name, f.Type), nil
			}
		}
	}
	return f, nil
}

// Names returns the names Bind accepts, lower-cased and sorted (aliases
// included; underscores are optional in all of them).
func Names() []string {
	r := registry()
	out := make([]string, len(r.names))
	copy(out, r.names)
	return out
}

// IsKnown reports whether name is a function Bind knows.
func IsKnown(name string) bool {
	return registry().byKey[canonical(strings.ToLower(name))] != nil
}

func canonical(lname string) string {
	if strings.IndexByte(lname, '_') < 0 {
		return lname
	}
	return strings.ReplaceAll(lname, "_", "")
}

type table struct {
	byKey map[string]*spec
	names []string
}

var registry = sync.OnceValue(func() *table {
	t := &table{byKey: map[string]*spec{}}
	for _, group := range [][]*spec{arithSpecs(), stringSpecs(), castSpecs(), timeSpecs(), jsonSpecs()} {
		for _, s := range group {
			for _, n := range s.names {
				k := canonical(n)
				if prev := t.byKey[k]; prev != nil && prev != s {
					panic("BUG: function name registered twice: " + n)
				}
				t.byKey[k] = s
				t.names = append(t.names, n)
			}
		}
	}
	sort.Strings(t.names)
	return t
})

// nearest returns the known name closest to name, if it is close enough to
// be a plausible typo.
func nearest(lname string) string {
	key := canonical(lname)
	best, bestD := "", 1<<30
	for _, n := range registry().names {
		d := editDistance(key, canonical(n))
		if d < bestD {
			best, bestD = n, d
		}
	}
	limit := 1 + len(key)/4
	if limit > 3 {
		limit = 3
	}
	if bestD <= limit {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ---- bind-time checks ----

func (c *call) errorf(format string, a ...any) error {
	return fmt.Errorf("function %s: %s", c.name, fmt.Sprintf(format, a...))
}

func (c *call) wrap(err error) error {
	return fmt.Errorf("function %s: %w", c.name, err)
}

func (c *call) arity(lo, hi int) error {
	n := len(c.args)
	if n >= lo && (hi < 0 || n <= hi) {
		return nil
	}
	var want string
	switch {
	case hi < 0:
		want = fmt.Sprintf("at least %d %s", lo, plural(lo))
	case lo == hi:
		want = fmt.Sprintf("%d %s", lo, plural(lo))
	case hi == lo+1:
		want = fmt.Sprintf("%d or %d arguments", lo, hi)
	default:
		want = fmt.Sprintf("%d to %d arguments", lo, hi)
	}
	return c.errorf("expected %s, got %d", want, n)
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

func (c *call) isNullConst(i int) bool {
	return c.args[i].Const != nil && c.args[i].Const.Null
}

func (c *call) typ(i int) schema.DataType { return c.args[i].Type }

func isStringType(t schema.DataType) bool {
	return t == schema.TypeString || t == schema.TypeJSON
}

func isIntType(t schema.DataType) bool {
	return t == schema.TypeInt || t == schema.TypeLong || t == schema.TypeTimestamp
}

func isNumType(t schema.DataType) bool {
	switch t {
	case schema.TypeInt, schema.TypeLong, schema.TypeFloat, schema.TypeDouble, schema.TypeBigDecimal, schema.TypeTimestamp:
		return true
	}
	return false
}

func (c *call) needString(i int) error {
	if c.isNullConst(i) || isStringType(c.typ(i)) {
		return nil
	}
	return c.errorf("argument %d must be a string, got %s", i+1, c.typ(i))
}

func (c *call) needStrings(from int) error {
	for i := from; i < len(c.args); i++ {
		if err := c.needString(i); err != nil {
			return err
		}
	}
	return nil
}

func (c *call) needNumeric(i int) error {
	if c.isNullConst(i) || isNumType(c.typ(i)) {
		return nil
	}
	return c.errorf("argument %d must be numeric, got %s", i+1, c.typ(i))
}

func (c *call) needInteger(i int) error {
	t := c.typ(i)
	if c.isNullConst(i) || t == schema.TypeInt || t == schema.TypeLong || t == schema.TypeFloat || t == schema.TypeDouble {
		return nil
	}
	return c.errorf("argument %d must be an integer, got %s", i+1, t)
}

func (c *call) needTime(i int) error {
	if c.isNullConst(i) || isIntType(c.typ(i)) {
		return nil
	}
	return c.errorf("argument %d must be a TIMESTAMP or epoch millis (LONG), got %s", i+1, c.typ(i))
}

// constString returns the value of constant string argument i.
func (c *call) constString(i int, what string) (string, error) {
	a := c.args[i]
	if a.Const == nil || !(isStringType(a.Type) || a.Const.Null) {
		return "", c.errorf("argument %d (%s) must be a constant string", i+1, what)
	}
	return a.Const.Str, nil
}

// constInt returns the value of constant integer argument i.
func (c *call) constInt(i int, what string) (int64, error) {
	a := c.args[i]
	if a.Const == nil {
		return 0, c.errorf("argument %d (%s) must be a constant integer", i+1, what)
	}
	switch a.Type.Storage() {
	case schema.StorageInt64:
		return a.Const.Int, nil
	case schema.StorageFloat64:
		return int64(a.Const.Float), nil
	}
	if a.Const.Null {
		return 0, nil
	}
	return 0, c.errorf("argument %d (%s) must be a constant integer, got %s", i+1, what, a.Type)
}

// ---- eval helpers ----

// allNull is the function whose every row is null (a NULL constant
// argument of a null-propagating function).
func allNull(name string, t schema.DataType) *Func {
	return &Func{Name: name, Type: t, Eval: func(_ []*vec.Vector, n int, out *vec.Vector) error {
		nb := out.Nulls
		out.Reset(t, n)
		setZero(out, n)
		out.Nulls = fillBools(nb, n, true)
		return nil
	}}
}

func setZero(v *vec.Vector, n int) {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		clear(v.I64[:n])
	case schema.StorageFloat64:
		clear(v.F64[:n])
	default:
		clear(v.Str[:n])
	}
}

func fillBools(buf []bool, n int, val bool) []bool {
	if cap(buf) >= n {
		buf = buf[:n]
	} else {
		buf = make([]bool, n, max(n, vec.BatchSize))
	}
	for i := range buf {
		buf[i] = val
	}
	return buf
}

// begin resets out to type t and length n and returns the union of the
// arguments' null masks (nil when no row is null), stored in out.Nulls and
// built in the capacity out.Nulls had before.
func begin(out *vec.Vector, t schema.DataType, n int, args []*vec.Vector) []bool {
	buf := out.Nulls
	out.Reset(t, n)
	var nulls []bool
	for _, a := range args {
		if a.Nulls == nil {
			continue
		}
		if nulls == nil {
			nulls = fillBools(buf, n, false)
		}
		an := a.Nulls[:n]
		for i, isNull := range an {
			if isNull {
				nulls[i] = true
			}
		}
	}
	out.Nulls = nulls
	return nulls
}

// zeroNulls writes zero values into out's null rows.
func zeroNulls(out *vec.Vector, nulls []bool) {
	if nulls == nil {
		return
	}
	switch out.Type.Storage() {
	case schema.StorageInt64:
		o := out.I64[:len(nulls)]
		for i, isNull := range nulls {
			if isNull {
				o[i] = 0
			}
		}
	case schema.StorageFloat64:
		o := out.F64[:len(nulls)]
		for i, isNull := range nulls {
			if isNull {
				o[i] = 0
			}
		}
	default:
		o := out.Str[:len(nulls)]
		for i, isNull := range nulls {
			if isNull {
				o[i] = ""
			}
		}
	}
}

// nullMask marks rows null as a kernel discovers them, reusing the null
// slice capacity the output had before Reset.
type nullMask struct {
	out *vec.Vector
	buf []bool
	n   int
}

func (m *nullMask) set(i int) {
	if m.out.Nulls == nil {
		m.out.Nulls = fillBools(m.buf, m.n, false)
		m.buf = nil
	}
	m.out.Nulls[i] = true
}

// beginMask is begin for kernels that also produce nulls of their own.
func beginMask(out *vec.Vector, t schema.DataType, n int, args []*vec.Vector) ([]bool, nullMask) {
	buf := out.Nulls
	nulls := begin(out, t, n, args)
	if nulls != nil {
		buf = nil
	}
	return nulls, nullMask{out: out, buf: buf, n: n}
}

// errArgs is returned by kernels handed vectors that do not match the bound
// types; it means the caller broke the Eval contract.
var errArgs = errors.New("argument vector does not match the bound type")

// guard checks the Eval contract (argument count and lengths) once per
// batch, so that a planner bug is an error rather than a panic.
func guard(name string, bound []Arg, eval func([]*vec.Vector, int, *vec.Vector) error) func([]*vec.Vector, int, *vec.Vector) error {
	storage := make([]schema.Storage, len(bound))
	check := make([]bool, len(bound))
	for i, a := range bound {
		storage[i] = a.Type.Storage()
		check[i] = a.Type != schema.TypeInvalid && !(a.Const != nil && a.Const.Null)
	}
	return func(args []*vec.Vector, n int, out *vec.Vector) error {
		if len(args) != len(storage) {
			return fmt.Errorf("evaluate %s: %w: got %d argument vectors, bound with %d", name, errArgs, len(args), len(storage))
		}
		for i, a := range args {
			if !check[i] {
				continue
			}
			if family(a.Type.Storage()) != family(storage[i]) {
				return fmt.Errorf("evaluate %s: %w: argument %d is %s, bound as %s", name, errArgs, i+1, a.Type, bound[i].Type)
			}
			if a.Len() < n || (a.Nulls != nil && len(a.Nulls) < n) {
				return fmt.Errorf("evaluate %s: %w: argument %d has %d rows, batch has %d", name, errArgs, i+1, a.Len(), n)
			}
			if storageLen(a) != a.Len() {
				return fmt.Errorf("evaluate %s: argument %d: multi-value arguments are not supported", name, i+1)
			}
		}
		return eval(args, n, out)
	}
}

// storageLen is the length of a vector's value slice: its row count for a
// single-value vector.
func storageLen(v *vec.Vector) int {
	switch v.Type.Storage() {
	case schema.StorageInt64:
		return len(v.I64)
	case schema.StorageFloat64:
		return len(v.F64)
	}
	return len(v.Str)
}

// family folds BYTES into the string family: both live in Vector.Str.
func family(s schema.Storage) schema.Storage {
	if s == schema.StorageBytes {
		return schema.StorageString
	}
	return s
}
