package fn

import (
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Arg describes one argument of a call at bind time: its type and, when
// the argument is a constant (a literal or a folded expression), its value.
type Arg struct {
	Type  schema.DataType
	Const *Const // nil when the argument varies by row
}

// Const is a constant value in the storage family of its type; Null marks
// the SQL NULL literal.
type Const struct {
	Null  bool
	Int   int64
	Float float64
	Str   string
}

// Func is a bound scalar function: its result type is known and Eval fills
// out for n rows from argument vectors (constant arguments arrive as vectors
// too, filled with the constant). Eval resets out to the result type and
// length n. A null in any argument makes the row's result null unless the
// function says otherwise (COALESCE, CASE-like functions).
type Func struct {
	Name string
	Type schema.DataType
	Eval func(args []*vec.Vector, n int, out *vec.Vector) error
}
