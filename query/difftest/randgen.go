package difftest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// GenColumn is a column the random query generator may use.
type GenColumn struct {
	Name     string
	Type     schema.DataType
	Nullable bool
	// Group marks low-cardinality columns, fit for GROUP BY and DISTINCT.
	Group bool
	// Measure marks numeric columns of modest magnitude, fit for SUM and
	// AVG (ids near 2^63 would overflow an integer sum).
	Measure bool
	// Values are constants that occur in the data, for predicates.
	Values []any
}

// GenTable is a table the random query generator may query.
type GenTable struct {
	Name    string
	Columns []GenColumn
	// Unique names a column with a distinct value per row, which makes any
	// ORDER BY a total order.
	Unique string
	// Time names the time column (TIMESTAMP, or LONG epoch millis), for
	// time-bucket group keys; "" for none.
	Time string
}

// NewGenTable describes table from its schema and a sample batch of its
// rows (constants are drawn from the sample).
func NewGenTable(name string, s *schema.Schema, sample []*segment.ColumnBuffer, unique string, group, measure []string) GenTable {
	t := GenTable{Name: name, Unique: unique}
	for _, f := range s.Fields {
		if f.FieldType == schema.FieldDateTime && f.SingleValue {
			t.Time = f.Name
		}
	}
	for i := range s.Fields {
		f := &s.Fields[i]
		if !f.SingleValue || f.DataType == schema.TypeBytes || f.DataType == schema.TypeJSON {
			continue
		}
		c := GenColumn{Name: f.Name, Type: f.DataType, Nullable: !f.NotNull,
			Group: slices.Contains(group, f.Name), Measure: slices.Contains(measure, f.Name)}
		b := sample[i]
		seen := map[any]bool{}
		for d := 0; d < b.Len() && len(c.Values) < 64; d += 1 + d/8 {
			if b.Nulls != nil && b.Nulls.Contains(uint32(d)) {
				continue
			}
			var v any
			switch f.DataType.Storage() {
			case schema.StorageInt64:
				v = b.Ints[d]
			case schema.StorageFloat64:
				v = b.Floats[d]
			default:
				v = b.Strs[d]
			}
			if !seen[v] {
				seen[v] = true
				c.Values = append(c.Values, v)
			}
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}

// RandomQueries generates n query records over tables from a fixed seed.
// Every query has a total order (ORDER BY the group keys or the table's
// unique column) or a single row, and an explicit LIMIT, so both engines
// must return identical rows.
func RandomQueries(seed uint64, n int, tables []GenTable) []Record {
	g := &qgen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	recs := make([]Record, 0, n)
	for i := range n {
		t := &tables[i%len(tables)]
		tq, dq := g.query(t)
		recs = append(recs, Record{
			File: "random", Line: i + 1, ID: fmt.Sprintf("r%03d", i+1), Kind: KindQuery,
			Table: t.Name, SQL: tq, DuckDB: dq,
		})
	}
	return recs
}

type qgen struct {
	r *rand.Rand
}

// sql2 accumulates a query in both dialects at once.
type sql2 struct{ t, d strings.Builder }

func (s *sql2) both(parts ...string) {
	for _, p := range parts {
		s.t.WriteString(p)
		s.d.WriteString(p)
	}
}

func (s *sql2) split(tannin, duck string) {
	s.t.WriteString(tannin)
	s.d.WriteString(duck)
}

func (g *qgen) pick(n int) int { return g.r.IntN(n) }

func (g *qgen) cols(t *GenTable, pred func(*GenColumn) bool) []*GenColumn {
	var out []*GenColumn
	for i := range t.Columns {
		if pred(&t.Columns[i]) {
			out = append(out, &t.Columns[i])
		}
	}
	return out
}

func (g *qgen) one(cs []*GenColumn) *GenColumn { return cs[g.pick(len(cs))] }

func (g *qgen) query(t *GenTable) (string, string) {
	switch k := g.pick(10); {
	case k < 4:
		return g.groupBy(t)
	case k < 6:
		return g.global(t)
	case k < 9:
		return g.selection(t)
	default:
		return g.distinct(t)
	}
}

func (g *qgen) where(s *sql2, t *GenTable) {
	if g.pick(5) == 0 {
		return
	}
	s.both(" WHERE ")
	g.filter(s, t, 0)
}

func (g *qgen) filter(s *sql2, t *GenTable, depth int) {
	switch k := g.pick(10); {
	case depth < 2 && k < 3:
		op := " AND "
		if k == 2 {
			op = " OR "
		}
		s.both("(")
		g.filter(s, t, depth+1)
		s.both(op)
		g.filter(s, t, depth+1)
		s.both(")")
	case depth < 2 && k == 3:
		s.both("NOT (")
		g.filter(s, t, depth+1)
		s.both(")")
	default:
		g.predicate(s, t)
	}
}

func (g *qgen) literal(c *GenColumn) string {
	if len(c.Values) == 0 {
		return "NULL"
	}
	return literal(c.Type, c.Values[g.pick(len(c.Values))])
}

func literal(t schema.DataType, v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int64:
		switch t {
		case schema.TypeBoolean:
			if v != 0 {
				return "TRUE"
			}
			return "FALSE"
		case schema.TypeTimestamp:
			return "TIMESTAMP '" + time.UnixMilli(v).UTC().Format("2006-01-02 15:04:05") + "'"
		}
		return strconv.FormatInt(v, 10)
	}
	return "NULL"
}

func (g *qgen) predicate(s *sql2, t *GenTable) {
	c := g.one(g.cols(t, func(c *GenColumn) bool { return len(c.Values) > 0 }))
	name := quoteIdent(c.Name)
	if g.pick(2) == 0 {
		name = c.Name
	}
	if c.Nullable && g.pick(6) == 0 {
		if g.pick(2) == 0 {
			s.both(name, " IS NULL")
		} else {
			s.both(name, " IS NOT NULL")
		}
		return
	}
	if c.Type == schema.TypeBoolean {
		s.both(name, " = ", g.literal(c))
		return
	}
	isString := c.Type.Storage() == schema.StorageString
	if g.pick(6) == 0 {
		g.exprPredicate(s, c, name, isString)
		return
	}
	switch k := g.pick(8); {
	case k == 0:
		s.both(name, " = ", g.literal(c))
	case k == 1:
		s.both(name, " <> ", g.literal(c))
	case k == 2:
		ops := []string{" < ", " <= ", " > ", " >= "}
		s.both(name, ops[g.pick(len(ops))], g.literal(c))
	case k == 3:
		a, b := c.Values[g.pick(len(c.Values))], c.Values[g.pick(len(c.Values))]
		if compareValues(a, b) > 0 {
			a, b = b, a
		}
		not := ""
		if g.pick(4) == 0 {
			not = "NOT "
		}
		s.both(name, " ", not, "BETWEEN ", literal(c.Type, a), " AND ", literal(c.Type, b))
	case k <= 5:
		not := ""
		if k == 5 {
			not = "NOT "
		}
		m := 1 + g.pick(4)
		lits := make([]string, m)
		for i := range lits {
			lits[i] = g.literal(c)
		}
		s.both(name, " ", not, "IN (", strings.Join(lits, ", "), ")")
	case isString:
		v, _ := c.Values[g.pick(len(c.Values))].(string)
		pat := v
		if r := []rune(v); len(r) > 3 {
			pat = string(r[:1+g.pick(len(r)-1)])
		}
		pat = strings.ReplaceAll(strings.ReplaceAll(pat, "%", ""), "_", "")
		if g.pick(3) == 0 {
			pat = "%" + pat
		}
		not := ""
		if g.pick(4) == 0 {
			not = "NOT "
		}
		s.both(name, " ", not, "LIKE ", literal(c.Type, pat+"%"))
	default:
		s.both(name, " >= ", g.literal(c))
	}
}

// exprPredicate compares an expression over c rather than c itself.
func (g *qgen) exprPredicate(s *sql2, c *GenColumn, name string, isString bool) {
	switch {
	case c.Nullable && g.pick(3) == 0:
		lit := g.literal(c)
		s.both("COALESCE(", name, ", ", lit, ") = ", lit)
	case isString && g.pick(2) == 0:
		s.both("LENGTH(", name, ") > ", strconv.Itoa(g.pick(30)))
	case isString:
		s.both("UPPER(", name, ") = UPPER(", g.literal(c), ")")
	case !c.Measure:
		// Arithmetic on ids near 2^63 would overflow.
		s.both(name, " >= ", g.literal(c))
	default:
		ops := []string{" + 1 > ", " * 2 <= ", " - 3 < "}
		s.both(name, ops[g.pick(len(ops))], g.literal(c))
	}
}

// aggregate writes one aggregate call over t.
func (g *qgen) aggregate(s *sql2, t *GenTable) {
	measures := g.cols(t, func(c *GenColumn) bool { return c.Measure })
	groups := g.cols(t, func(c *GenColumn) bool { return c.Group })
	switch k := g.pick(11); k {
	case 9:
		s.both("SUM(CASE WHEN ")
		g.predicate(s, t)
		s.both(" THEN 1 ELSE 0 END)")
	case 10:
		s.both("AVG(", g.one(measures).Name, " * 2)")
	case 0:
		s.both("COUNT(*)")
	case 1:
		s.both("COUNT(", g.one(g.cols(t, func(*GenColumn) bool { return true })).Name, ")")
	case 2, 3:
		fns := []string{"SUM", "MIN", "MAX", "AVG"}
		s.both(fns[g.pick(len(fns))], "(", g.one(measures).Name, ")")
	case 4:
		c := g.one(groups).Name
		s.split("DISTINCTCOUNT("+c+")", "count(DISTINCT "+c+")")
	case 5:
		s.both("COUNT(DISTINCT ", g.one(groups).Name, ")")
	case 6:
		s.both("SUM(", g.one(measures).Name, ") FILTER (WHERE ")
		g.predicate(s, t)
		s.both(")")
	case 7:
		s.both("COUNT(*) FILTER (WHERE ")
		g.predicate(s, t)
		s.both(")")
	default:
		fns := []string{"MIN", "MAX"}
		s.both(fns[g.pick(2)], "(", g.one(measures).Name, " * 2 + 1)")
	}
}

func (g *qgen) groupBy(t *GenTable) (string, string) {
	var s sql2
	groups := g.cols(t, func(c *GenColumn) bool { return c.Group })
	k := 1 + g.pick(2)
	var keys []string
	for _, i := range g.r.Perm(len(groups))[:k] {
		keys = append(keys, groups[i].Name)
	}
	// Sometimes the first key is a time bucket (an alias orders by it).
	groupKeys := slices.Clone(keys)
	if t.Time != "" && g.pick(5) == 0 {
		units := []string{"DAY", "HOUR", "WEEK"}
		u := units[g.pick(len(units))]
		var tk, dk string
		if c := g.col(t, t.Time); c != nil && c.Type == schema.TypeTimestamp {
			tk, dk = "DATETRUNC('"+u+"', "+t.Time+")", "date_trunc('"+strings.ToLower(u)+"', "+t.Time+")"
		} else {
			tk, dk = "DATETRUNC('"+u+"', "+t.Time+")", "epoch_ms(date_trunc('"+strings.ToLower(u)+"', epoch_ms("+t.Time+")))"
		}
		s.split("SELECT "+tk+" AS tb", "SELECT "+dk+" AS tb")
		if len(keys) > 0 {
			s.both(", ", strings.Join(keys, ", "))
		}
		keys = append([]string{"tb"}, keys...)
		groupKeys = append([]string{tk}, groupKeys...)
		nAgg := 1 + g.pick(3)
		for range nAgg {
			s.both(", ")
			g.aggregate(&s, t)
		}
		s.both(" FROM ", t.Name)
		g.where(&s, t)
		s.split(" GROUP BY "+strings.Join(groupKeys, ", "), " GROUP BY "+dk+func() string {
			if len(groupKeys) > 1 {
				return ", " + strings.Join(groupKeys[1:], ", ")
			}
			return ""
		}())
		return g.groupTail(&s, keys)
	}
	s.both("SELECT ", strings.Join(keys, ", "))
	nAgg := 1 + g.pick(3)
	for range nAgg {
		s.both(", ")
		g.aggregate(&s, t)
	}
	s.both(" FROM ", t.Name)
	g.where(&s, t)
	s.both(" GROUP BY ", strings.Join(keys, ", "))
	return g.groupTail(&s, keys)
}

// groupTail writes HAVING, ORDER BY and LIMIT of a group-by query whose
// select list starts with keys, then one or more aggregates.
func (g *qgen) groupTail(s *sql2, keys []string) (string, string) {
	if g.pick(4) == 0 {
		s.both(" HAVING COUNT(*) > ", strconv.Itoa(g.pick(50)))
	}
	// The group keys are unique per row: a total order.
	var order []string
	if g.pick(3) == 0 {
		order = append(order, strconv.Itoa(len(keys)+1)+" DESC")
	}
	for _, key := range keys {
		order = append(order, key+g.direction())
	}
	s.both(" ORDER BY ", strings.Join(order, ", "))
	g.limit(s)
	return s.t.String(), s.d.String()
}

func (g *qgen) col(t *GenTable, name string) *GenColumn {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

func (g *qgen) direction() string {
	switch g.pick(5) {
	case 0:
		return " DESC"
	case 1:
		return " ASC"
	case 2:
		return " DESC NULLS LAST"
	case 3:
		return " NULLS FIRST"
	}
	return ""
}

func (g *qgen) limit(s *sql2) {
	limits := []int{1, 5, 10, 25, 100, 1000}
	s.both(" LIMIT ", strconv.Itoa(limits[g.pick(len(limits))]))
	if g.pick(5) == 0 {
		s.both(" OFFSET ", strconv.Itoa(1+g.pick(20)))
	}
}

func (g *qgen) global(t *GenTable) (string, string) {
	var s sql2
	s.both("SELECT ")
	for i := range 1 + g.pick(4) {
		if i > 0 {
			s.both(", ")
		}
		g.aggregate(&s, t)
	}
	s.both(" FROM ", t.Name)
	g.where(&s, t)
	return s.t.String(), s.d.String()
}

func (g *qgen) selection(t *GenTable) (string, string) {
	var s sql2
	items := []string{t.Unique}
	others := g.cols(t, func(c *GenColumn) bool { return c.Name != t.Unique })
	for range 1 + g.pick(4) {
		c := g.one(others)
		item := c.Name
		if c.Measure && g.pick(4) == 0 {
			item += " + 1"
		}
		if !slices.Contains(items, item) {
			items = append(items, item)
		}
	}
	s.both("SELECT ", strings.Join(items, ", "), " FROM ", t.Name)
	g.where(&s, t)
	// The unique column first; the others break its ties, if any, so that
	// tied rows are identical.
	order := make([]string, len(items))
	for i, it := range items {
		order[i] = it + g.direction()
	}
	s.both(" ORDER BY ", strings.Join(order, ", "))
	g.limit(&s)
	return s.t.String(), s.d.String()
}

func (g *qgen) distinct(t *GenTable) (string, string) {
	var s sql2
	groups := g.cols(t, func(c *GenColumn) bool { return c.Group })
	k := 1 + g.pick(2)
	var keys []string
	for _, i := range g.r.Perm(len(groups))[:k] {
		keys = append(keys, groups[i].Name)
	}
	s.both("SELECT DISTINCT ", strings.Join(keys, ", "), " FROM ", t.Name)
	g.where(&s, t)
	order := make([]string, len(keys))
	for i, key := range keys {
		order[i] = key + g.direction()
	}
	s.both(" ORDER BY ", strings.Join(order, ", "))
	g.limit(&s)
	return s.t.String(), s.d.String()
}
