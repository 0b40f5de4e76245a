package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/memseg"
)

// testSchema is a small web-transactions-like table with a nullable
// column and a column of every storage family.
func testSchema() *schema.Schema {
	return &schema.Schema{Name: "tx", Fields: []schema.FieldSpec{
		{Name: "userID", DataType: schema.TypeString, SingleValue: true},
		{Name: "campaign", DataType: schema.TypeString, SingleValue: true},
		{Name: "qty", DataType: schema.TypeInt, SingleValue: true, FieldType: schema.FieldMetric},
		{Name: "price", DataType: schema.TypeDouble, SingleValue: true, FieldType: schema.FieldMetric},
		{Name: "discount", DataType: schema.TypeDouble, SingleValue: true, FieldType: schema.FieldMetric},
		{Name: "ts", DataType: schema.TypeLong, SingleValue: true, FieldType: schema.FieldDateTime, Format: "1:MILLISECONDS:EPOCH"},
	}}
}

type txRow struct {
	user, campaign string
	qty            int64
	price          float64
	discount       float64
	discountNull   bool
	ts             int64
}

func genRows(seed uint64, n int) []txRow {
	r := rand.New(rand.NewPCG(seed, 1))
	campaigns := []string{"BlackFriday", "10Percent", "NONE"}
	rows := make([]txRow, n)
	for i := range rows {
		rows[i] = txRow{
			user:     fmt.Sprint(1 + r.IntN(100)),
			campaign: campaigns[r.IntN(3)],
			qty:      int64(r.IntN(10)),
			price:    float64(1000+r.IntN(14000)) / 100,
			discount: float64(r.IntN(50)),
			ts:       1_730_000_000_000 + int64(i)*60_000,
		}
		rows[i].discountNull = r.IntN(10) == 0
	}
	return rows
}

func buffers(s *schema.Schema, rows []txRow) []*segment.ColumnBuffer {
	bufs := make([]*segment.ColumnBuffer, len(s.Fields))
	for i := range s.Fields {
		bufs[i] = segment.NewColumnBuffer(&s.Fields[i])
	}
	for d, r := range rows {
		bufs[0].Strs = append(bufs[0].Strs, r.user)
		bufs[1].Strs = append(bufs[1].Strs, r.campaign)
		bufs[2].Ints = append(bufs[2].Ints, r.qty)
		bufs[3].Floats = append(bufs[3].Floats, r.price)
		if r.discountNull {
			bufs[4].Floats = append(bufs[4].Floats, 0)
			bufs[4].Nulls.Add(uint32(d))
		} else {
			bufs[4].Floats = append(bufs[4].Floats, r.discount)
		}
		bufs[5].Ints = append(bufs[5].Ints, r.ts)
	}
	return bufs
}

// testTable splits rows over several segments; indexed chooses whether
// the segments carry inverted and sorted indexes.
func testTable(t testing.TB, rows []txRow, segs int, indexed bool) *Table {
	t.Helper()
	s := testSchema()
	tbl := &Table{Name: "tx", Schema: s}
	per := (len(rows) + segs - 1) / segs
	for i := 0; i < len(rows); i += per {
		end := min(len(rows), i+per)
		opts := memseg.Options{}
		if indexed {
			opts = memseg.Options{Inverted: map[string]bool{"userID": true, "campaign": true, "qty": true}, Sorted: true}
		}
		seg, err := memseg.New(fmt.Sprintf("tx_%d", i/per), buffers(s, rows[i:end]), opts)
		if err != nil {
			t.Fatal(err)
		}
		tbl.Segments = append(tbl.Segments, seg)
	}
	return tbl
}

func mustQuery(t testing.TB, tbl *Table, q string) *Result {
	t.Helper()
	res, err := Query(context.Background(), tbl, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func TestAggregatesMatchReference(t *testing.T) {
	rows := genRows(1, 5000)
	tbl := testTable(t, rows, 4, true)

	var count, qtySum int64
	var priceSum float64
	perCampaign := map[string]int64{}
	var discSum float64
	var discN int64
	for _, r := range rows {
		if r.user == "7" || r.qty > 5 {
			count++
			qtySum += r.qty
			priceSum += r.price
		}
		perCampaign[r.campaign]++
		if !r.discountNull {
			discSum += r.discount
			discN++
		}
	}
	res := mustQuery(t, tbl, "SELECT COUNT(*), SUM(qty), SUM(price) FROM tx WHERE userID = '7' OR qty > 5")
	if got := res.Rows[0]; got[0] != count || got[1] != float64(qtySum) || !near(got[2].(float64), priceSum) {
		t.Errorf("filtered aggregates = %v, want [%d %d %v]", got, count, qtySum, priceSum)
	}
	if res.Columns[0] != "count(*)" {
		t.Errorf("column name %q, want count(*)", res.Columns[0])
	}
	res = mustQuery(t, tbl, "SELECT campaign, COUNT(*) AS n FROM tx GROUP BY campaign ORDER BY n DESC LIMIT 10")
	if len(res.Rows) != len(perCampaign) {
		t.Fatalf("got %d groups, want %d", len(res.Rows), len(perCampaign))
	}
	for i, r := range res.Rows {
		if r[1] != perCampaign[r[0].(string)] {
			t.Errorf("campaign %v: count %v, want %d", r[0], r[1], perCampaign[r[0].(string)])
		}
		if i > 0 && res.Rows[i-1][1].(int64) < r[1].(int64) {
			t.Errorf("not ordered by count desc: %v", res.Rows)
		}
	}
	res = mustQuery(t, tbl, "SELECT AVG(discount), COUNT(discount) FROM tx")
	if got := res.Rows[0]; !near(got[0].(float64), discSum/float64(discN)) || got[1] != discN {
		t.Errorf("null-skipping aggregates = %v, want [%v %d]", got, discSum/float64(discN), discN)
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(1, a, -a, b, -b)
}

// TestIndexedAndScannedPathsAgree runs every query on the same rows with
// and without indexes: the access path must never change an answer.
func TestIndexedAndScannedPathsAgree(t *testing.T) {
	rows := genRows(2, 8000)
	plain := testTable(t, rows, 3, false)
	indexed := testTable(t, rows, 3, true)
	queries := []string{
		"SELECT COUNT(*) FROM tx WHERE userID = '42'",
		"SELECT COUNT(*) FROM tx WHERE userID IN ('1', '2', '99') AND campaign <> 'NONE'",
		"SELECT COUNT(*) FROM tx WHERE NOT (campaign = 'NONE' OR qty < 3)",
		"SELECT COUNT(*) FROM tx WHERE qty BETWEEN 2 AND 4",
		"SELECT COUNT(*) FROM tx WHERE ts >= 1730000600000 AND ts < 1730001200000",
		"SELECT COUNT(*) FROM tx WHERE userID LIKE '1%'",
		"SELECT COUNT(*) FROM tx WHERE discount > 10",
		"SELECT COUNT(*) FROM tx WHERE discount IS NULL",
		"SELECT COUNT(*) FROM tx WHERE NOT (discount > 10)",
		"SELECT COUNT(*) FROM tx WHERE discount IS NOT NULL AND campaign = 'BlackFriday'",
		"SELECT userID, SUM(price) FROM tx WHERE qty > 7 GROUP BY userID ORDER BY userID LIMIT 200",
		"SELECT campaign, qty, MIN(price), MAX(price), COUNT(*) FROM tx GROUP BY campaign, qty ORDER BY campaign, qty LIMIT 100",
		"SELECT userID, price FROM tx WHERE campaign = '10Percent' ORDER BY price DESC, userID LIMIT 15",
		"SELECT DISTINCT campaign FROM tx ORDER BY campaign",
		"SELECT qty % 3, COUNT(*) FROM tx GROUP BY qty % 3 ORDER BY 1",
	}
	for _, q := range queries {
		a := mustQuery(t, plain, q)
		b := mustQuery(t, indexed, q)
		if !reflect.DeepEqual(a.Rows, b.Rows) {
			t.Errorf("%s:\n  scan:    %v\n  indexed: %v", q, head(a.Rows), head(b.Rows))
		}
	}
}

func head(rows [][]any) [][]any {
	if len(rows) > 5 {
		return rows[:5]
	}
	return rows
}

func TestGroupByModes(t *testing.T) {
	rows := genRows(3, 3000)
	tbl := testTable(t, rows, 2, false)
	want := map[string]int64{}
	for _, r := range rows {
		want[fmt.Sprintf("%s|%s|%d", r.user, r.campaign, r.ts-r.ts%3_600_000)]++
	}
	// Dictionary keys with a small product take the dense path; adding an
	// expression key takes the packed path.
	res := mustQuery(t, tbl, "SELECT userID, campaign, ts - ts % 3600000, COUNT(*) FROM tx GROUP BY userID, campaign, ts - ts % 3600000 LIMIT 100000")
	if len(res.Rows) != len(want) {
		t.Fatalf("got %d groups, want %d", len(res.Rows), len(want))
	}
	for _, r := range res.Rows {
		k := fmt.Sprintf("%s|%s|%d", r[0], r[1], r[2])
		if r[3] != want[k] {
			t.Errorf("group %s: %v, want %d", k, r[3], want[k])
		}
	}
}

func TestSelectionOrderAndLimit(t *testing.T) {
	rows := genRows(4, 2000)
	tbl := testTable(t, rows, 5, true)
	sorted := append([]txRow(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].price != sorted[j].price {
			return sorted[i].price > sorted[j].price
		}
		return sorted[i].ts < sorted[j].ts
	})
	res := mustQuery(t, tbl, "SELECT price, ts FROM tx ORDER BY price DESC, ts LIMIT 7 OFFSET 3")
	if len(res.Rows) != 7 {
		t.Fatalf("got %d rows, want 7", len(res.Rows))
	}
	for i, r := range res.Rows {
		w := sorted[i+3]
		if r[0] != w.price || r[1] != w.ts {
			t.Errorf("row %d = %v, want [%v %v]", i, r, w.price, w.ts)
		}
	}
	// Pinot's default limit.
	res = mustQuery(t, tbl, "SELECT userID FROM tx")
	if len(res.Rows) != DefaultLimit {
		t.Errorf("default limit: got %d rows, want %d", len(res.Rows), DefaultLimit)
	}
}

func TestNumGroupsLimit(t *testing.T) {
	tbl := testTable(t, genRows(5, 1000), 1, false)
	res := mustQuery(t, tbl, "SET numGroupsLimit = 5; SELECT ts, COUNT(*) FROM tx GROUP BY ts LIMIT 1000")
	if !res.Stats.NumGroupsLimitReached || len(res.Rows) != 5 {
		t.Errorf("numGroupsLimit=5: limitReached=%v rows=%d", res.Stats.NumGroupsLimitReached, len(res.Rows))
	}
}

// TestNumGroupsLimitKeepsCounting: once the limit stops new groups, the
// groups already made go on aggregating, whatever the key's addressing.
func TestNumGroupsLimitKeepsCounting(t *testing.T) {
	tbl := testTable(t, genRows(5, 3000), 1, false)
	for _, key := range []string{"userID", "userID, campaign"} {
		full := mustQuery(t, tbl, "SELECT "+key+", COUNT(*), SUM(qty) FROM tx GROUP BY "+key+" LIMIT 100000")
		want := map[string]string{}
		n := strings.Count(key, ",") + 1
		for _, r := range full.Rows {
			want[fmt.Sprint(r[:n])] = fmt.Sprint(r[n:])
		}
		res := mustQuery(t, tbl, "SET numGroupsLimit = 3; SELECT "+key+", COUNT(*), SUM(qty) FROM tx GROUP BY "+key+" LIMIT 100000")
		if !res.Stats.NumGroupsLimitReached || len(res.Rows) != 3 || len(full.Rows) <= 3 {
			t.Fatalf("GROUP BY %s: limitReached=%v rows=%d of %d", key, res.Stats.NumGroupsLimitReached, len(res.Rows), len(full.Rows))
		}
		for _, r := range res.Rows {
			if got := fmt.Sprint(r[n:]); got != want[fmt.Sprint(r[:n])] {
				t.Errorf("GROUP BY %s: group %v = %s under the limit, %s without", key, r[:n], got, want[fmt.Sprint(r[:n])])
			}
		}
	}
}

func TestQueryErrors(t *testing.T) {
	tbl := testTable(t, genRows(6, 100), 1, false)
	cases := []struct{ q, want string }{
		{"SELECT nope FROM tx", `unknown column "nope"`},
		{"SELECT * FROM other", `unknown table "other"`},
		{"SELECT userID, COUNT(*) FROM tx", `"userID" must appear in the GROUP BY`},
		{"SELECT SUM(userID) FROM tx", "argument must be numeric"},
		{"SELECT COUNT(*) FROM tx WHERE SUM(qty) > 1", "not allowed in WHERE"},
		{"SELECT userID FROM tx WHERE price = 'abc'", "abc"},
		{"SELECT t.userID FROM tx AS x", `unknown table or alias "t"`},
		{"SELECT COUNT(*) FROM tx GROUP BY 3", "position 3 is not in the select list"},
	}
	for _, c := range cases {
		_, err := Query(context.Background(), tbl, c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.q, err, c.want)
		}
	}
}

func TestPruneByMinMax(t *testing.T) {
	rows := genRows(7, 4000)
	tbl := testTable(t, rows, 4, false)
	// ts grows with the row number, so a narrow time range touches one
	// segment.
	res := mustQuery(t, tbl, "SELECT COUNT(*) FROM tx WHERE ts BETWEEN 1730000000000 AND 1730000060000")
	if res.Rows[0][0] != int64(2) {
		t.Errorf("count = %v, want 2", res.Rows[0][0])
	}
	if res.Stats.NumSegmentsProcessed != 1 || res.Stats.NumSegmentsQueried != 4 {
		t.Errorf("segments processed %d of %d, want 1 of 4", res.Stats.NumSegmentsProcessed, res.Stats.NumSegmentsQueried)
	}
}

func BenchmarkGroupByDense(b *testing.B) {
	tbl := testTable(b, genRows(8, 1_000_000), 2, false)
	q := "SELECT campaign, userID, SUM(price), COUNT(*) FROM tx GROUP BY campaign, userID LIMIT 1000"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		mustQuery(b, tbl, q)
	}
	b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkFilteredSum(b *testing.B) {
	tbl := testTable(b, genRows(9, 1_000_000), 2, false)
	q := "SELECT SUM(price) FROM tx WHERE qty > 4 AND campaign = 'NONE'"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		mustQuery(b, tbl, q)
	}
	b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestMultiValueColumn(t *testing.T) {
	s := &schema.Schema{Name: "mv", Fields: []schema.FieldSpec{
		{Name: "id", DataType: schema.TypeLong, SingleValue: true},
		{Name: "tags", DataType: schema.TypeString, SingleValue: false},
	}}
	ids := segment.NewColumnBuffer(&s.Fields[0])
	tags := segment.NewColumnBuffer(&s.Fields[1])
	docs := [][]string{{"a", "b"}, {"c"}, {}, {"b", "d", "a"}}
	for i, d := range docs {
		ids.Ints = append(ids.Ints, int64(i))
		tags.Strs = append(tags.Strs, d...)
		tags.Offsets = append(tags.Offsets, uint32(len(tags.Strs)))
	}
	seg, err := memseg.New("mv_0", []*segment.ColumnBuffer{ids, tags}, memseg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{Name: "mv", Schema: s, Segments: []segment.Segment{seg}}
	res := mustQuery(t, tbl, "SELECT id, tags FROM mv WHERE tags = 'a' ORDER BY id")
	want := [][]any{{int64(0), []string{"a", "b"}}, {int64(3), []string{"b", "d", "a"}}}
	if !reflect.DeepEqual(res.Rows, want) || !res.MultiValue[1] {
		t.Errorf("rows %v (multiValue %v), want %v", res.Rows, res.MultiValue, want)
	}
	res = mustQuery(t, tbl, "SELECT COUNT(*) FROM mv WHERE tags IN ('c', 'd') OR tags LIKE 'z%'")
	if res.Rows[0][0] != int64(2) {
		t.Errorf("count = %v, want 2", res.Rows[0][0])
	}
	if _, err := Query(context.Background(), tbl, "SELECT UPPER(tags) FROM mv"); err == nil || !strings.Contains(err.Error(), "multi-value") {
		t.Errorf("UPPER(tags): error %v, want a multi-value error", err)
	}
}

func TestPinotComparisonFunctions(t *testing.T) {
	tbl := testTable(t, genRows(10, 500), 1, false)
	a := mustQuery(t, tbl, "SELECT COUNT(*) FROM tx WHERE equals(campaign, 'NONE') AND greaterThan(qty, 3)")
	b := mustQuery(t, tbl, "SELECT COUNT(*) FROM tx WHERE campaign = 'NONE' AND qty > 3")
	if !reflect.DeepEqual(a.Rows, b.Rows) {
		t.Errorf("equals/greaterThan gave %v, operators %v", a.Rows, b.Rows)
	}
}

// TestDerivedGroupKeys checks keys that are functions of other keys: they
// must not change the groups, only add columns.
func TestDerivedGroupKeys(t *testing.T) {
	tbl := testTable(t, genRows(11, 3000), 3, false)
	a := mustQuery(t, tbl, "SELECT qty, qty * 2 + 1, COUNT(*), SUM(price) FROM tx GROUP BY qty, qty * 2 + 1 ORDER BY qty LIMIT 100")
	b := mustQuery(t, tbl, "SELECT qty, COUNT(*), SUM(price) FROM tx GROUP BY qty ORDER BY qty LIMIT 100")
	if len(a.Rows) != len(b.Rows) {
		t.Fatalf("derived key changed the groups: %d vs %d", len(a.Rows), len(b.Rows))
	}
	for i := range a.Rows {
		if a.Rows[i][0] != b.Rows[i][0] || a.Rows[i][1] != a.Rows[i][0].(int64)*2+1 || a.Rows[i][2] != b.Rows[i][1] {
			t.Errorf("row %d: %v vs %v", i, a.Rows[i], b.Rows[i])
		}
	}
}
