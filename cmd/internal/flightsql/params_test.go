package flightsql

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
)

func TestTemplateHoles(t *testing.T) {
	for _, tc := range []struct {
		sql     string
		columns []string
		table   string
	}{
		{`SELECT a FROM t WHERE a = ?`, []string{"a"}, "t"},
		{`SELECT a FROM "My T" WHERE "Col X" >= ? AND b <> ?`, []string{"Col X", "b"}, "My T"},
		{`SELECT '?' , "?" FROM db.t -- ?` + "\n" + `WHERE /* ? /* ? */ ? */ c IN (1, ?, ?)`, []string{"c", "c"}, "t"},
		{`SELECT a FROM t WHERE c NOT IN (?) AND d BETWEEN ? AND ? LIMIT ?`, []string{"c", "d", "d", ""}, "t"},
		{`SELECT a FROM t WHERE s = 'it''s ?' AND e = E'\'?' AND $$?$$ = x AND f(a) = ?`, []string{""}, "t"},
	} {
		tmpl := parseTemplate(tc.sql)
		if !reflect.DeepEqual(tmpl.columns, tc.columns) || tmpl.table != tc.table {
			t.Errorf("%s: columns %q table %q, want %q %q", tc.sql, tmpl.columns, tmpl.table, tc.columns, tc.table)
		}
	}
}

func TestBindRendersTypedLiterals(t *testing.T) {
	mem := memory.DefaultAllocator
	build := func(b array.Builder) arrow.Array { defer b.Release(); return b.NewArray() }
	i := array.NewInt64Builder(mem)
	i.Append(-5)
	f := array.NewFloat64Builder(mem)
	f.Append(2)
	s := array.NewStringBuilder(mem)
	s.Append(`a'b\`)
	bo := array.NewBooleanBuilder(mem)
	bo.Append(true)
	by := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	by.Append([]byte{0x0a, 0xff})
	ts := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Second})
	ts.Append(1_700_000_000)
	n := array.NewInt32Builder(mem)
	n.AppendNull()
	cols := []arrow.Array{build(i), build(f), build(s), build(bo), build(by), build(ts), build(n)}
	rec := params(t, cols...)
	tmpl := parseTemplate(`SELECT x FROM t WHERE a-? = 1 AND b = ? AND c = ? AND d = ? AND e = ? AND g > ? AND h = ?`)
	got, err := tmpl.bind(rec, 0, make([]schema.DataType, 7))
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT x FROM t WHERE a- (-5)  = 1 AND b =  2.0  AND c =  'a''b\'  AND d =  TRUE  AND e =  '0aff'  AND g >  1700000000000  AND h =  NULL `
	if got != want {
		t.Fatalf("bound\n got %s\nwant %s", got, want)
	}
	st, err := sql.Parse(got)
	if err != nil {
		t.Fatalf("bound statement does not parse: %v", err)
	}
	if !strings.Contains(st.String(), `'a''b\'`) {
		t.Errorf("string literal changed: %s", st)
	}
	// Typed columns refuse other families, naming the parameter.
	want2 := []schema.DataType{schema.TypeLong, schema.TypeString, 0, 0, 0, 0, 0}
	if _, err := tmpl.bind(rec, 0, want2); err == nil || !strings.Contains(err.Error(), "parameter 2 (float64) compared with column \"b\" (STRING)") {
		t.Errorf("type mismatch error: %v", err)
	}
}

func TestLikePatterns(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"%", "", true}, {"a%", "abc", true}, {"a_c", "abc", true}, {"a_c", "abbc", false},
		{`a\_c`, "a_c", true}, {`a\_c`, "abc", false}, {"%b%", "abc", true}, {"abc", "ABC", false},
	} {
		if got := patternMatches(&tc.p, tc.s); got != tc.ok {
			t.Errorf("%q LIKE %q = %v", tc.s, tc.p, got)
		}
	}
}
