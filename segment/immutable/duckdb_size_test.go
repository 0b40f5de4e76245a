//go:build duckdb

package immutable

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tannin-db/tannin/schema"
)

// TestSizeVersusDuckDB writes the benchmark table to a segment and to a
// DuckDB database file and reports both sizes. Run with -tags duckdb
// (cgo; slow to link, so it stays out of the default test run).
func TestSizeVersusDuckDB(t *testing.T) {
	n := 1 << 20
	tbl := genTable(77, n, benchGens())
	dir := t.TempDir()
	m, err := Build(filepath.Join(dir, "seg"), benchConfig(), tbl.cols)
	if err != nil {
		t.Fatal(err)
	}

	dbPath := filepath.Join(dir, "duck.db")
	conn, err := duckdb.NewConnector(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var cols []string
	for _, c := range tbl.cols {
		typ := map[schema.DataType]string{schema.TypeInt: "INTEGER", schema.TypeLong: "BIGINT", schema.TypeFloat: "FLOAT",
			schema.TypeDouble: "DOUBLE", schema.TypeString: "VARCHAR", schema.TypeBoolean: "BOOLEAN", schema.TypeTimestamp: "BIGINT"}[c.Spec.DataType]
		if !c.Spec.SingleValue {
			typ += "[]"
		}
		cols = append(cols, fmt.Sprintf("%q %s", c.Spec.Name, typ))
	}
	if _, err := db.Exec("CREATE TABLE t (" + strings.Join(cols, ", ") + ")"); err != nil {
		t.Fatal(err)
	}
	raw, err := conn.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	app, err := duckdb.NewAppenderFromConn(raw, "", "t")
	if err != nil {
		t.Fatal(err)
	}
	row := make([]driver.Value, len(tbl.cols))
	for d := 0; d < n; d++ {
		for i, c := range tbl.cols {
			var v any
			if c.Nulls.Contains(uint32(d)) {
				row[i] = nil
				continue
			}
			if !c.Spec.SingleValue {
				var list []string
				for _, s := range c.Strs[c.Offsets[d]:c.Offsets[d+1]] {
					list = append(list, s)
				}
				row[i] = list
				continue
			}
			switch c.Spec.DataType {
			case schema.TypeInt:
				v = int32(c.Ints[d])
			case schema.TypeLong, schema.TypeTimestamp:
				v = c.Ints[d]
			case schema.TypeBoolean:
				v = c.Ints[d] != 0
			case schema.TypeFloat:
				v = float32(c.Floats[d])
			case schema.TypeDouble:
				v = c.Floats[d]
			default:
				v = c.Strs[d]
			}
			row[i] = v
		}
		if err := app.AppendRow(row...); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := db.Exec("CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows x %d columns: segment %.1f MB (%.1f bytes/row, with indexes), DuckDB %.1f MB (%.1f bytes/row)",
		n, len(tbl.cols), float64(m.SizeBytes)/1e6, float64(m.SizeBytes)/float64(n), float64(st.Size())/1e6, float64(st.Size())/float64(n))
	// The same table without indexes, for a like-for-like comparison.
	m2, err := Build(filepath.Join(dir, "seg2"), BuildConfig{SegmentName: "seg2", TimeColumn: "ts", PartitionID: -1}, tbl.cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("segment without indexes: %.1f MB (%.1f bytes/row)", float64(m2.SizeBytes)/1e6, float64(m2.SizeBytes)/float64(n))
}
