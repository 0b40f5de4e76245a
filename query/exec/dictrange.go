package exec

import (
	"math"
	"sort"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// sortedRange answers a comparison between a column and constants on a
// sorted dictionary by binary search, without touching every value:
// col op k, k op col, col BETWEEN a AND b and col IN (k, …).
func sortedRange(e sql.Expr, col segment.Column, dict *segment.Dictionary) (*idSet, bool) {
	if dict.Type == schema.TypeBigDecimal {
		return nil, false // decimal text does not sort numerically
	}
	n := uint32(dict.Len())
	switch x := e.(type) {
	case *sql.Binary:
		op := x.Op
		k, ok := literalOf(x.R)
		if _, isCol := x.L.(*sql.ColumnRef); !isCol || !ok {
			k, ok = literalOf(x.L)
			if _, isCol := x.R.(*sql.ColumnRef); !isCol || !ok {
				return nil, false
			}
			op = flip(op)
		}
		cmp, ok := constComparer(col, dict, k)
		if !ok {
			return nil, false
		}
		// ge(v) is the first id whose value is >= k; gt(v) the first > k.
		ge := uint32(sort.Search(int(n), func(i int) bool { return cmp(i) >= 0 }))
		gt := uint32(sort.Search(int(n), func(i int) bool { return cmp(i) > 0 }))
		switch op {
		case sql.OpEq:
			return rangeSet(ge, gt), true
		case sql.OpGe:
			return rangeSet(ge, n), true
		case sql.OpGt:
			return rangeSet(gt, n), true
		case sql.OpLe:
			return rangeSet(0, gt), true
		case sql.OpLt:
			return rangeSet(0, ge), true
		case sql.OpNe:
			s := &idSet{bits: make([]bool, n), count: int(n - (gt - ge))}
			for i := range s.bits {
				s.bits[i] = uint32(i) < ge || uint32(i) >= gt
			}
			return s, true
		}
	case *sql.Between:
		if x.Not {
			return nil, false
		}
		if _, isCol := x.X.(*sql.ColumnRef); !isCol {
			return nil, false
		}
		lo, ok1 := literalOf(x.Lo)
		hi, ok2 := literalOf(x.Hi)
		if !ok1 || !ok2 {
			return nil, false
		}
		cl, ok1 := constComparer(col, dict, lo)
		ch, ok2 := constComparer(col, dict, hi)
		if !ok1 || !ok2 {
			return nil, false
		}
		a := uint32(sort.Search(int(n), func(i int) bool { return cl(i) >= 0 }))
		b := uint32(sort.Search(int(n), func(i int) bool { return ch(i) > 0 }))
		return rangeSet(a, max(a, b)), true
	case *sql.In:
		if x.Not {
			return nil, false
		}
		if _, isCol := x.X.(*sql.ColumnRef); !isCol {
			return nil, false
		}
		var ids []uint32
		for _, it := range x.List {
			k, ok := literalOf(it)
			if !ok {
				return nil, false
			}
			cmp, ok := constComparer(col, dict, k)
			if !ok {
				return nil, false
			}
			id := sort.Search(int(n), func(i int) bool { return cmp(i) >= 0 })
			if id < int(n) && cmp(id) == 0 {
				ids = append(ids, uint32(id))
			}
		}
		s := &idSet{bits: make([]bool, n)}
		for _, id := range ids {
			if !s.bits[id] {
				s.bits[id] = true
				s.count++
			}
		}
		return s, true
	}
	return nil, false
}

func rangeSet(lo, hi uint32) *idSet {
	if hi < lo {
		hi = lo
	}
	return &idSet{isRange: true, lo: lo, hi: hi, count: int(hi - lo)}
}

func flip(op sql.BinaryOp) sql.BinaryOp {
	switch op {
	case sql.OpLt:
		return sql.OpGt
	case sql.OpLe:
		return sql.OpGe
	case sql.OpGt:
		return sql.OpLt
	case sql.OpGe:
		return sql.OpLe
	}
	return op
}

// literalOf returns the constant of a literal, or of a negated number.
func literalOf(e sql.Expr) (*sql.Literal, bool) {
	switch x := e.(type) {
	case *sql.Literal:
		return x, x.Kind != sql.LitNull
	case *sql.Unary:
		if l, ok := x.X.(*sql.Literal); ok && x.Op == sql.OpNeg {
			switch l.Kind {
			case sql.LitInt:
				return &sql.Literal{Kind: sql.LitInt, Int: -l.Int}, true
			case sql.LitFloat:
				return &sql.Literal{Kind: sql.LitFloat, Float: -l.Float}, true
			}
		}
	}
	return nil, false
}

// constComparer returns cmp(id) = sign(dict[id] - k) after converting k to
// the column's type, or false when they are not comparable that way.
func constComparer(col segment.Column, dict *segment.Dictionary, l *sql.Literal) (func(int) int, bool) {
	cn := &colNode{t: dict.Type}
	_, r, kind, err := unifyForCompare(cn, newConstNode(l))
	if err != nil {
		return nil, false
	}
	k := r.(*constNode)
	if k.val.Null {
		return nil, false
	}
	switch kind {
	case schema.StorageInt64:
		if dict.Type.Storage() != schema.StorageInt64 || k.t.Storage() != schema.StorageInt64 {
			return nil, false
		}
		v := k.val.Int
		return func(i int) int { return cmp3(dict.Ints[i], v) }, true
	case schema.StorageFloat64:
		var v float64
		switch k.t.Storage() {
		case schema.StorageInt64:
			v = float64(k.val.Int)
		case schema.StorageFloat64:
			v = k.val.Float
		default:
			return nil, false
		}
		switch dict.Type.Storage() {
		case schema.StorageInt64:
			return func(i int) int { return cmp3(float64(dict.Ints[i]), v) }, true
		case schema.StorageFloat64:
			return func(i int) int { return cmp3(dict.Floats[i], v) }, true
		}
	case schema.StorageString:
		if s := k.t.Storage(); s != schema.StorageString && s != schema.StorageBytes {
			return nil, false
		}
		v := k.val.Str
		return func(i int) int { return cmp3(dict.Strs[i], v) }, true
	}
	return nil, false
}

func cmp3[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// unsortedLookup answers col = k and col IN (k, …) on an unsorted
// dictionary (a consuming segment's, in insertion order) by looking each
// constant up in the dictionary's hash index, where otherwise every
// dictionary value would be evaluated.
func unsortedLookup(e sql.Expr, dict *segment.Dictionary) (*idSet, bool) {
	if dict.Type == schema.TypeBigDecimal {
		return nil, false // equal decimals may differ in text
	}
	var lits []*sql.Literal
	switch x := e.(type) {
	case *sql.Binary:
		if x.Op != sql.OpEq {
			return nil, false
		}
		k, ok := literalOf(x.R)
		if _, isCol := x.L.(*sql.ColumnRef); !isCol || !ok {
			k, ok = literalOf(x.L)
			if _, isCol := x.R.(*sql.ColumnRef); !isCol || !ok {
				return nil, false
			}
		}
		lits = append(lits, k)
	case *sql.In:
		if _, isCol := x.X.(*sql.ColumnRef); x.Not || !isCol {
			return nil, false
		}
		for _, it := range x.List {
			k, ok := literalOf(it)
			if !ok {
				return nil, false
			}
			lits = append(lits, k)
		}
	default:
		return nil, false
	}
	var ids []uint32
	for _, k := range lits {
		id, found, ok := findConst(dict, k)
		if !ok {
			return nil, false
		}
		if found {
			ids = append(ids, id)
		}
	}
	switch len(ids) {
	case 0:
		return rangeSet(0, 0), true
	case 1:
		return rangeSet(ids[0], ids[0]+1), true
	}
	s := &idSet{bits: make([]bool, dict.Len())}
	for _, id := range ids {
		if !s.bits[id] {
			s.bits[id] = true
			s.count++
		}
	}
	return s, true
}

// findConst looks the constant up in dict after converting it as the
// comparison would. ok is false when the comparison is not plain
// equality of the dictionary's values.
func findConst(dict *segment.Dictionary, l *sql.Literal) (id uint32, found, ok bool) {
	cn := &colNode{t: dict.Type}
	_, r, kind, err := unifyForCompare(cn, newConstNode(l))
	if err != nil {
		return 0, false, false
	}
	k := r.(*constNode)
	if k.val.Null {
		return 0, false, false
	}
	ds, ks := dict.Type.Storage(), k.t.Storage()
	switch kind {
	case schema.StorageInt64:
		if ds == schema.StorageInt64 && ks == schema.StorageInt64 {
			id, found = dict.FindInt64(k.val.Int)
			return id, found, true
		}
	case schema.StorageFloat64:
		var v float64
		switch ks {
		case schema.StorageInt64:
			v = float64(k.val.Int)
		case schema.StorageFloat64:
			v = k.val.Float
		default:
			return 0, false, false
		}
		switch ds {
		case schema.StorageFloat64:
			id, found = dict.FindFloat64(v)
			return id, found, true
		case schema.StorageInt64:
			if v != math.Trunc(v) {
				return 0, false, true // no integer equals it
			}
			if math.Abs(v) >= 1<<53 {
				return 0, false, false // several integers convert to v
			}
			id, found = dict.FindInt64(int64(v))
			return id, found, true
		}
	case schema.StorageString:
		if ds == schema.StorageString && ks == schema.StorageString {
			id, found = dict.FindString(k.val.Str)
			return id, found, true
		}
	}
	return 0, false, false
}
