package difftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tannin-db/tannin/internal/datagen"
	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
	"github.com/tannin-db/tannin/segment/immutable"
	"github.com/tannin-db/tannin/segment/memseg"
)

// TableConfig chooses a Tannin table's time column and indexes, so that a
// corpus exercises every index path.
type TableConfig struct {
	TimeColumn   string
	SortedColumn string
	Inverted     []string
	Range        []string
	Bloom        []string
	NoDictionary []string
}

// Backend chooses how Tannin segments are built.
type Backend uint8

const (
	// Immutable builds sealed segment files (segment/immutable) with every
	// configured index, and memory-maps them: what servers query.
	Immutable Backend = iota
	// Memseg builds the in-memory reference segments (segment/memseg):
	// dictionary columns, inverted and sorted indexes only. A query that
	// fails on Immutable but passes on Memseg points at the segment format.
	Memseg
	// Mutable appends the rows to consuming segments (segment/mutable) in
	// uneven batches, queries a snapshot of them, and appends more rows
	// with new values after the snapshot was taken, which the snapshot
	// must not see: unsorted dictionaries, realtime inverted indexes,
	// prefix isolation.
	Mutable
)

func (b Backend) String() string {
	switch b {
	case Memseg:
		return "memseg"
	case Mutable:
		return "mutable"
	}
	return "immutable"
}

// ParseBackend parses a Backend's name.
func ParseBackend(s string) (Backend, error) {
	switch s {
	case "immutable":
		return Immutable, nil
	case "memseg":
		return Memseg, nil
	case "mutable":
		return Mutable, nil
	}
	return 0, fmt.Errorf("unknown segment backend %q (known: immutable, memseg, mutable)", s)
}

// Tannin holds the tables of the engine under test.
type Tannin struct {
	// Partials, when above 1, makes Query answer the distributed way:
	// the table's segments dealt round-robin to that many pseudo-servers,
	// each running exec.Execute, its Partial encoded and decoded, and
	// exec.Reduce merging them, as a broker would. Otherwise Query runs
	// in one process (exec.Query).
	Partials int

	dir     string
	backend Backend
	tables  map[string]*tanninTable // by lower-cased name
	closers []io.Closer
}

type tanninTable struct {
	table *exec.Table
	cfg   TableConfig
}

// NewTannin returns an engine whose segments backend builds, files under
// dir.
func NewTannin(dir string, backend Backend) *Tannin {
	return &Tannin{dir: dir, backend: backend, tables: map[string]*tanninTable{}}
}

// CreateTable declares a table; its rows arrive through AddSegment.
func (t *Tannin) CreateTable(name string, s *schema.Schema, cfg TableConfig) error {
	key := strings.ToLower(name)
	if _, ok := t.tables[key]; ok {
		return fmt.Errorf("create table %q: exists", name)
	}
	for _, group := range [][]string{{cfg.TimeColumn, cfg.SortedColumn}, cfg.Inverted, cfg.Range, cfg.Bloom, cfg.NoDictionary} {
		for _, c := range group {
			if c != "" && s.Field(c) == nil {
				return fmt.Errorf("create table %q: index column %q is not in the schema", name, c)
			}
		}
	}
	t.tables[key] = &tanninTable{table: &exec.Table{Name: name, Schema: s}, cfg: cfg}
	return nil
}

// Table returns the named table, or nil.
func (t *Tannin) Table(name string) *exec.Table {
	if tt := t.tables[strings.ToLower(name)]; tt != nil {
		return tt.table
	}
	return nil
}

// AddSegment builds one segment of table from a batch of rows. The
// buffers are not modified.
func (t *Tannin) AddSegment(table string, cols []*segment.ColumnBuffer) error {
	tt := t.tables[strings.ToLower(table)]
	if tt == nil {
		return fmt.Errorf("add segment to %q: no such table", table)
	}
	name := fmt.Sprintf("%s_%d", tt.table.Name, len(tt.table.Segments))
	var seg segment.Segment
	var err error
	switch t.backend {
	case Memseg:
		seg, err = buildMemseg(name, tt, cols)
	case Mutable:
		seg, err = buildMutable(name, tt, cols)
	default:
		seg, err = t.buildImmutable(name, tt, cols)
	}
	if err != nil {
		return fmt.Errorf("add segment %q: %w", name, err)
	}
	if c, ok := seg.(io.Closer); ok {
		t.closers = append(t.closers, c)
	}
	tt.table.Segments = append(tt.table.Segments, seg)
	return nil
}

// Query runs sql on the named table (the default when the query's FROM
// names no loaded table), the distributed way when t.Partials > 1, turning
// a panic into an error so that one broken query does not end the whole
// run.
func (t *Tannin) Query(ctx context.Context, table, sql string) (rows *Rows, err error) {
	return t.QueryPartials(ctx, table, sql, t.Partials)
}

// QueryPartials is Query over the given number of pseudo-servers (one
// process when servers <= 1).
func (t *Tannin) QueryPartials(ctx context.Context, table, query string, servers int) (rows *Rows, err error) {
	tt := t.tables[strings.ToLower(table)]
	if tt == nil {
		return nil, fmt.Errorf("query: no table %q loaded", table)
	}
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("PANIC: %v", p)
		}
	}()
	var res *exec.Result
	if servers > 1 {
		res, err = scatterGather(ctx, tt.table, query, servers)
	} else {
		res, err = exec.Query(ctx, tt.table, query)
	}
	if err != nil {
		return nil, err
	}
	out := &Rows{Columns: res.Columns, Rows: make([][]any, len(res.Rows))}
	for i, r := range res.Rows {
		nr := make([]any, len(r))
		for j, v := range r {
			nr[j] = normalize(v)
		}
		out.Rows[i] = nr
	}
	return out, nil
}

// scatterGather answers query as a cluster would: tbl's segments dealt
// round-robin to servers (some may get none) that run concurrently, each
// server's Partial through the wire encoding, the broker's Reduce from
// the schema alone.
func scatterGather(ctx context.Context, tbl *exec.Table, query string, servers int) (*exec.Result, error) {
	st, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	parts := make([]*exec.Partial, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for s := range parts {
		sub := &exec.Table{Name: tbl.Name, Schema: tbl.Schema}
		for i := s; i < len(tbl.Segments); i += servers {
			sub.Segments = append(sub.Segments, tbl.Segments[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[s] = fmt.Errorf("PANIC: server %d: %v", s, p)
				}
			}()
			parts[s], errs[s] = serve(ctx, sub, st)
		}()
	}
	wg.Wait()
	// The first server's error, as one process would report it.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return exec.Reduce(ctx, tbl.Schema, tbl.Name, st, parts)
}

// serve is one pseudo-server: Execute, then the Partial as the broker
// receives it, through AppendBinary and UnmarshalPartial.
func serve(ctx context.Context, tbl *exec.Table, st *sql.Statement) (*exec.Partial, error) {
	p, err := exec.Execute(ctx, tbl, st)
	if err != nil {
		return nil, err
	}
	buf, err := p.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	return exec.UnmarshalPartial(buf)
}

// Close releases every segment.
func (t *Tannin) Close() error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c.Close())
	}
	t.closers = nil
	return errors.Join(errs...)
}

// buildImmutable writes a sealed segment file and opens it; the builder
// sorts the rows by the sorted column itself.
func (t *Tannin) buildImmutable(name string, tt *tanninTable, cols []*segment.ColumnBuffer) (segment.Segment, error) {
	cfg := immutable.BuildConfig{
		SegmentName:         name,
		TableName:           tt.table.Name,
		Schema:              tt.table.Schema,
		TimeColumn:          tt.cfg.TimeColumn,
		SortedColumn:        tt.cfg.SortedColumn,
		InvertedColumns:     tt.cfg.Inverted,
		RangeColumns:        tt.cfg.Range,
		BloomColumns:        tt.cfg.Bloom,
		NoDictionaryColumns: tt.cfg.NoDictionary,
		PartitionID:         -1,
	}
	path := filepath.Join(t.dir, name+".seg")
	if _, err := immutable.Build(path, cfg, cols); err != nil {
		return nil, err
	}
	return immutable.Open(path)
}

// buildMemseg builds an in-memory reference segment. It sorts a copy of
// the rows by the sorted column first, as the sealed builder would.
func buildMemseg(name string, tt *tanninTable, cols []*segment.ColumnBuffer) (segment.Segment, error) {
	if c := tt.cfg.SortedColumn; c != "" {
		cols = cloneBuffers(cols)
		if err := datagen.SortBy(cols, c); err != nil {
			return nil, err
		}
	}
	inv := map[string]bool{}
	for _, c := range tt.cfg.Inverted {
		inv[c] = true
	}
	return memseg.New(name, cols, memseg.Options{Inverted: inv, Sorted: tt.cfg.SortedColumn != ""})
}

// cloneBuffers copies the buffer structs (SortBy replaces their slices, it
// never writes into them, so the slices themselves may be shared).
func cloneBuffers(cols []*segment.ColumnBuffer) []*segment.ColumnBuffer {
	out := make([]*segment.ColumnBuffer, len(cols))
	for i, c := range cols {
		cp := *c
		out[i] = &cp
	}
	return out
}
