package exec

import (
	"fmt"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Scalar is a compiled scalar expression over named input columns, outside
// any segment: ingestion evaluates transformConfigs and filterConfig with
// it, a batch of decoded records at a time. A Scalar is not safe for
// concurrent use; compile one per goroutine.
type Scalar struct {
	node node
	b    *batch
	// Inputs are the input columns the expression reads, in the order Eval
	// expects their vectors.
	Inputs []string
	Type   schema.DataType
}

// CompileScalar parses expr (e.g. "fromEpochSeconds(ts_s)") and compiles
// it against the fields of input. Aggregates are rejected.
func CompileScalar(input *schema.Schema, expr string) (*Scalar, error) {
	e, err := sql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	if containsAggregate(e) {
		return nil, fmt.Errorf("expression %q: aggregate functions are not allowed", expr)
	}
	r := &resolver{schema: input, table: input.Name}
	if e, err = r.resolve(e, nil); err != nil {
		return nil, fmt.Errorf("expression %q: %w", expr, err)
	}
	c := newCompiler(input)
	n, err := c.compile(e)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", expr, err)
	}
	s := &Scalar{node: n, b: c.newBatch(nil), Inputs: c.colNames, Type: n.typ()}
	return s, nil
}

// Eval evaluates the expression for n rows; inputs[i] holds the values of
// Inputs[i]. The result is owned by the Scalar and valid until the next
// call.
func (s *Scalar) Eval(inputs []*vec.Vector, n int) (*vec.Vector, error) {
	if len(inputs) != len(s.Inputs) {
		return nil, fmt.Errorf("BUG: scalar expression wants %d inputs, got %d", len(s.Inputs), len(inputs))
	}
	s.b.n = n
	for i, v := range inputs {
		s.b.cols[i].v = v
		s.b.cols[i].loaded = true
	}
	return s.node.eval(s.b)
}
