package sql

// This file is the engine's own syntax tree: what Parse produces from the
// parser's much larger tree. Names are as written (unresolved; the planner
// resolves them case-insensitively against the schema); function names are
// lower-cased.

// Statement is one parsed query with its options.
type Statement struct {
	Select *Select
	// Explain is set for EXPLAIN PLAN FOR <query>.
	Explain bool
	// Options are query options from SET k = v; prefixes and an OPTION(...)
	// suffix, keys lower-cased. SET wins over OPTION for the same key.
	Options map[string]string
}

// Select is a single-table SELECT.
type Select struct {
	Distinct bool
	Items    []SelectItem
	From     TableRef
	Where    Expr // nil when absent
	GroupBy  []Expr
	Having   Expr
	OrderBy  []OrderItem
	Limit    int64 // -1 when absent
	Offset   int64
}

// TableRef names the queried table and its alias, if any.
type TableRef struct {
	Name  string
	Alias string
}

// SelectItem is one projection; Star items expand to every column.
type SelectItem struct {
	Expr  Expr
	Alias string // "" when none was written
}

// OrderItem is one ORDER BY key. NullsFirst is nil when not written (the
// default is NULLS LAST for ASC and NULLS FIRST for DESC, as in PostgreSQL,
// DuckDB and Pinot).
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst *bool
}

// Expr is a node of a scalar or aggregate expression.
type Expr interface {
	// String renders the expression as SQL, used to name result columns the
	// way Pinot does (e.g. "sum(price)").
	String() string
	exprNode()
}

// ColumnRef is a possibly qualified column name ("t"."price").
type ColumnRef struct {
	Table string
	Name  string
}

// Star is * or t.* in a select list, or the argument of COUNT(*).
type Star struct{ Table string }

// LitKind tells which field of a Literal holds its value.
type LitKind uint8

const (
	LitNull LitKind = iota
	LitInt
	LitFloat
	LitString
	LitBool
)

// Literal is a constant. Typed literals (DATE '2024-01-01', TIMESTAMP '…')
// arrive as a Cast of a string literal.
type Literal struct {
	Kind  LitKind
	Int   int64
	Float float64
	Str   string
	Bool  bool
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

const (
	OpNeg UnaryOp = iota
	OpNot
)

// Unary is -x or NOT x.
type Unary struct {
	Op UnaryOp
	X  Expr
}

// BinaryOp is an infix operator.
type BinaryOp uint8

const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpAnd
	OpOr
	OpConcat // ||
)

// Binary is x op y.
type Binary struct {
	Op   BinaryOp
	L, R Expr
}

// Func is a function call, scalar or aggregate: COUNT(*) has Star set;
// COUNT(DISTINCT x) has Distinct set; agg(x) FILTER (WHERE c) has Filter.
// EXTRACT(field FROM x) arrives as Func{Name: "extract", Args: [Literal
// string field, x]}; SUBSTRING(x FROM a FOR b) as substring(x, a, b);
// TRIM, POSITION and the like likewise in call form.
type Func struct {
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
	Filter   Expr
}

// When is one WHEN cond THEN result arm of a CASE.
type When struct {
	Cond, Result Expr
}

// Case is CASE [operand] WHEN … THEN … [ELSE …] END. Operand is nil for a
// searched CASE; Else is nil when absent (NULL).
type Case struct {
	Operand Expr
	Whens   []When
	Else    Expr
}

// Cast is CAST(x AS type) or x::type. Type is the upper-cased target as
// written, normalized to Pinot's names where a synonym exists: INT
// (INTEGER, INT4, SMALLINT), LONG (BIGINT, INT8), FLOAT (REAL, FLOAT4),
// DOUBLE (DOUBLE PRECISION, FLOAT8, DECIMAL, NUMERIC), STRING (VARCHAR,
// TEXT, CHAR), BOOLEAN, TIMESTAMP, DATE, BYTES, JSON.
type Cast struct {
	X    Expr
	Type string
}

// In is x [NOT] IN (list).
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
}

// Like is x [NOT] LIKE pattern, or ILIKE when CaseInsensitive.
type Like struct {
	X, Pattern      Expr
	Not             bool
	CaseInsensitive bool
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

func (*ColumnRef) exprNode() {}
func (*Star) exprNode()      {}
func (*Literal) exprNode()   {}
func (*Unary) exprNode()     {}
func (*Binary) exprNode()    {}
func (*Func) exprNode()      {}
func (*Case) exprNode()      {}
func (*Cast) exprNode()      {}
func (*In) exprNode()        {}
func (*Between) exprNode()   {}
func (*Like) exprNode()      {}
func (*IsNull) exprNode()    {}
