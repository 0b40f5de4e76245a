package broker

import (
	"slices"
	"testing"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/partition"
	"github.com/tannin-db/tannin/tableconfig"
)

func partSchema() *schema.Schema {
	return &schema.Schema{Name: "ev", Fields: []schema.FieldSpec{
		{Name: "userID", FieldType: schema.FieldDimension, DataType: schema.TypeLong, SingleValue: true},
		{Name: "city", FieldType: schema.FieldDimension, DataType: schema.TypeString, SingleValue: true},
		{Name: "small", FieldType: schema.FieldDimension, DataType: schema.TypeInt, SingleValue: true},
		{Name: "price", FieldType: schema.FieldMetric, DataType: schema.TypeDouble, SingleValue: true},
	}}
}

// partRoute is a table of six segments: partitions 0..3, one unpartitioned
// (-1) and one whose id is beyond the configured count (7).
func partRoute() *tableRoute {
	tr := &tableRoute{Table: "ev_OFFLINE", Schema: partSchema(), Servers: []routeServer{{Name: "s1", Addr: "x:1"}}}
	for i, id := range []int{0, 1, 2, 3, -1, 7} {
		tr.Segments = append(tr.Segments, routeSegment{Name: string(rune('a' + i)), Replicas: []int32{0},
			Meta: &segment.Meta{Name: string(rune('a' + i)), NumDocs: 10, PartitionID: id}})
	}
	return tr
}

func partConfig(col, fn string, n int) *tableconfig.TableConfig {
	return &tableconfig.TableConfig{Index: tableconfig.IndexConfig{
		Partitioning: map[string]tableconfig.ColumnPartition{col: {FunctionName: fn, NumPartitions: n}}}}
}

func part(t *testing.T, fn string, v string) int {
	t.Helper()
	f, err := partition.New(fn, 4)
	if err != nil {
		t.Fatal(err)
	}
	return f.Partition(v)
}

func TestPartitionPruning(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e", "f"}
	// keep returns the segments kept when only partitions ps may match: the
	// unpartitioned one and the out-of-range one always stay.
	keep := func(ps ...int) []string {
		out := []string{}
		for i, n := range []string{"a", "b", "c", "d"} {
			if slices.Contains(ps, i) {
				out = append(out, n)
			}
		}
		return append(out, "e", "f")
	}
	mCity := part(t, "Murmur", "paris")
	mCity2 := part(t, "Murmur", "oslo")
	for _, tc := range []struct {
		name  string
		cfg   *tableconfig.TableConfig
		where string
		want  []string
	}{
		{"modulo eq", partConfig("userID", "Modulo", 4), "userID = 42", keep(2)},
		{"literal first", partConfig("userID", "Modulo", 4), "42 = userID", keep(2)},
		{"negative", partConfig("userID", "Modulo", 4), "userID = -7", keep(1)},
		{"string literal on LONG", partConfig("userID", "Modulo", 4), "userID = '41'", keep(1)},
		{"case-insensitive column", partConfig("USERID", "modulo", 4), "userid = 43", keep(3)},
		{"in", partConfig("userID", "Modulo", 4), "userID IN (4, 9, 13)", keep(0, 1)},
		{"and with other column", partConfig("userID", "Modulo", 4), "city = 'x' AND userID = 6 AND price > 1", keep(2)},
		{"two conjuncts intersect", partConfig("userID", "Modulo", 4), "userID IN (1, 2) AND userID IN (2, 3)", keep(2)},
		{"contradiction prunes all partitions", partConfig("userID", "Modulo", 4), "userID = 1 AND userID = 2", keep()},
		{"murmur string", partConfig("city", "Murmur", 4), "city = 'paris'", keep(mCity)},
		{"murmur in", partConfig("city", "Murmur", 4), "city IN ('paris', 'oslo')", keep(mCity, mCity2)},
		{"murmur long form", partConfig("userID", "Murmur", 4), "userID = 42", keep(part(t, "Murmur", "42"))},
		{"or: no pruning", partConfig("userID", "Modulo", 4), "userID = 1 OR userID = 2", all},
		{"not in: no pruning", partConfig("userID", "Modulo", 4), "userID NOT IN (1)", all},
		{"range: no pruning", partConfig("userID", "Modulo", 4), "userID > 1", all},
		{"other column: no pruning", partConfig("userID", "Modulo", 4), "city = 'paris'", all},
		{"float literal on LONG: no pruning", partConfig("userID", "Modulo", 4), "userID = 1.5", all},
		{"int literal on STRING: no pruning", partConfig("city", "Murmur", 4), "city = 42", all},
		{"DOUBLE column: no pruning", partConfig("price", "Murmur", 4), "price = 1.5", all},
		{"INT overflow: no pruning", partConfig("small", "Modulo", 4), "small = 9999999999", all},
		{"in with one bad literal: no pruning", partConfig("userID", "Modulo", 4), "userID IN (1, 'x')", all},
		{"modulo of non-number: no pruning", partConfig("city", "Modulo", 4), "city = 'paris'", all},
		{"unknown function: no pruning", partConfig("userID", "Nope", 4), "userID = 1", all},
		{"unknown column: no pruning", partConfig("nope", "Modulo", 4), "userID = 1", all},
		{"no config", nil, "userID = 1", all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sql.Parse("SELECT COUNT(*) FROM ev WHERE " + tc.where)
			if err != nil {
				t.Fatal(err)
			}
			tr := partRoute()
			var pr segmentPruner
			if pp := newPartitionPruner(tc.cfg, tr.Schema, st.Select.Where); pp != nil {
				pr = pp
			}
			p := tr.plan(pr, 0)
			got := []string{}
			for _, i := range p.Segments {
				got = append(got, tr.Segments[i].Name)
			}
			if !slices.Equal(got, tc.want) || p.Pruned != len(all)-len(tc.want) {
				t.Errorf("kept %v pruned %d, want %v pruned %d", got, p.Pruned, tc.want, len(all)-len(tc.want))
			}
		})
	}
}

func TestPartitionPruningSkipsConsumingAndMultiColumn(t *testing.T) {
	st, err := sql.Parse("SELECT * FROM ev WHERE userID = 42")
	if err != nil {
		t.Fatal(err)
	}
	tr := partRoute()
	tr.Segments[0].Consuming = true // partition 0, would be pruned
	pp := newPartitionPruner(partConfig("userID", "Modulo", 4), tr.Schema, st.Select.Where)
	if p := tr.plan(pp, 0); p.Pruned != 2 || p.Segments[0] != 0 {
		t.Errorf("plan %+v: the consuming segment must be kept, partitions 1 and 3 pruned", p)
	}
	cfg := partConfig("userID", "Modulo", 4)
	cfg.Index.Partitioning["city"] = tableconfig.ColumnPartition{FunctionName: "Murmur", NumPartitions: 4}
	if pp := newPartitionPruner(cfg, tr.Schema, st.Select.Where); pp != nil {
		t.Errorf("two partition columns: segments carry one id, got pruner %v", pp.allowed)
	}
}

func TestPrunersCombine(t *testing.T) {
	m := &segment.Meta{PartitionID: 1}
	yes := &partitionPruner{allowed: []bool{true, false}}
	no := &partitionPruner{allowed: []bool{false, true}}
	if !(pruners{no, yes}).Prunes(m) || (pruners{no, no}).Prunes(m) || (pruners{}).Prunes(m) {
		t.Error("pruners must prune when any member prunes")
	}
}
