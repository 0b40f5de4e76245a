package difftest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Duck is the reference engine: an in-memory DuckDB database.
type Duck struct {
	connector *duckdb.Connector
	db        *sql.DB
}

// OpenDuck opens an empty in-memory DuckDB. Every connection orders NULLs
// last for ascending and first for descending keys, as PostgreSQL and
// Pinot do (DuckDB's own default is NULLS LAST for both).
func OpenDuck() (*Duck, error) {
	c, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		for _, q := range []string{
			"SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
			"SET TimeZone = 'UTC'",
		} {
			if _, err := execer.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("duckdb %q: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return &Duck{connector: c, db: sql.OpenDB(c)}, nil
}

// Close releases the database.
func (d *Duck) Close() error {
	return errors.Join(d.db.Close(), d.connector.Close())
}

// Exec runs a statement that returns no rows.
func (d *Duck) Exec(ctx context.Context, q string) error {
	if _, err := d.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("duckdb exec %q: %w", q, err)
	}
	return nil
}

// duckType is the DuckDB column type holding a Tannin type with the same
// values: FLOAT widens to DOUBLE because Tannin computes in float64.
func duckType(f *schema.FieldSpec) string {
	var t string
	switch f.DataType {
	case schema.TypeInt:
		t = "INTEGER"
	case schema.TypeLong:
		t = "BIGINT"
	case schema.TypeFloat, schema.TypeDouble:
		t = "DOUBLE"
	case schema.TypeBoolean:
		t = "BOOLEAN"
	case schema.TypeTimestamp:
		t = "TIMESTAMP"
	case schema.TypeBytes:
		t = "BLOB"
	default:
		t = "VARCHAR"
	}
	if !f.SingleValue {
		t += "[]"
	}
	return t
}

// quoteIdent quotes a name for DuckDB.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// CreateTable creates table for the fields of s.
func (d *Duck) CreateTable(ctx context.Context, table string, s *schema.Schema) error {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", quoteIdent(table))
	for i := range s.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		f := &s.Fields[i]
		fmt.Fprintf(&b, "%s %s", quoteIdent(f.Name), duckType(f))
	}
	b.WriteString(")")
	return d.Exec(ctx, b.String())
}

// Append adds one batch of rows to table through DuckDB's appender. cols
// must be in the table's column order. Null rows append SQL NULL.
func (d *Duck) Append(ctx context.Context, table string, cols []*segment.ColumnBuffer) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckdb append to %s: %w", table, err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("duckdb appender for %s: %w", table, err)
		}
		n := 0
		if len(cols) > 0 {
			n = cols[0].Len()
		}
		row := make([]driver.Value, len(cols))
		for i := range n {
			for c, b := range cols {
				row[c] = duckValue(b, i)
			}
			if err := a.AppendRow(row...); err != nil {
				a.Close()
				return fmt.Errorf("duckdb append row %d to %s: %w", i, table, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("duckdb append to %s: %w", table, err)
		}
		return nil
	})
}

func duckValue(b *segment.ColumnBuffer, i int) driver.Value {
	if b.Nulls != nil && b.Nulls.Contains(uint32(i)) {
		return nil
	}
	t := b.Spec.DataType
	if !b.Spec.SingleValue {
		lo, hi := b.Offsets[i], b.Offsets[i+1]
		switch t.Storage() {
		case schema.StorageInt64:
			out := make([]any, 0, hi-lo)
			for _, v := range b.Ints[lo:hi] {
				out = append(out, scalarInt(t, v))
			}
			return out
		case schema.StorageFloat64:
			out := make([]any, 0, hi-lo)
			for _, v := range b.Floats[lo:hi] {
				out = append(out, v)
			}
			return out
		default:
			out := make([]any, 0, hi-lo)
			for _, v := range b.Strs[lo:hi] {
				out = append(out, v)
			}
			return out
		}
	}
	switch t.Storage() {
	case schema.StorageInt64:
		return scalarInt(t, b.Ints[i])
	case schema.StorageFloat64:
		return b.Floats[i]
	case schema.StorageBytes:
		return []byte(b.Strs[i])
	default:
		return b.Strs[i]
	}
}

func scalarInt(t schema.DataType, v int64) any {
	switch t {
	case schema.TypeInt:
		return int32(v)
	case schema.TypeBoolean:
		return v != 0
	case schema.TypeTimestamp:
		return time.UnixMilli(v).UTC()
	}
	return v
}

// Query runs q and returns its rows normalized.
func (d *Duck) Query(ctx context.Context, q string) (*Rows, error) {
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := &Rows{Columns: names}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make([]any, len(vals))
		for i, v := range vals {
			r[i] = normalize(v)
		}
		out.Rows = append(out.Rows, r)
	}
	return out, rows.Err()
}
