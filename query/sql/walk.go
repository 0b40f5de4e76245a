package sql

// Walk calls f for e and, depth-first, every node below it; f returns
// false to skip a node's children.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *Unary:
		Walk(e.X, f)
	case *Binary:
		Walk(e.L, f)
		Walk(e.R, f)
	case *Func:
		for _, a := range e.Args {
			Walk(a, f)
		}
		if e.Filter != nil {
			Walk(e.Filter, f)
		}
	case *Case:
		if e.Operand != nil {
			Walk(e.Operand, f)
		}
		for _, w := range e.Whens {
			Walk(w.Cond, f)
			Walk(w.Result, f)
		}
		if e.Else != nil {
			Walk(e.Else, f)
		}
	case *Cast:
		Walk(e.X, f)
	case *In:
		Walk(e.X, f)
		for _, x := range e.List {
			Walk(x, f)
		}
	case *Between:
		Walk(e.X, f)
		Walk(e.Lo, f)
		Walk(e.Hi, f)
	case *Like:
		Walk(e.X, f)
		Walk(e.Pattern, f)
	case *IsNull:
		Walk(e.X, f)
	}
}
