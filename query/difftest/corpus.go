package difftest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kind tells a query record from an error record.
type Kind uint8

const (
	// KindQuery runs on Tannin and DuckDB and compares the results.
	KindQuery Kind = iota
	// KindError runs on Tannin only and expects an error.
	KindError
)

func (k Kind) String() string {
	if k == KindError {
		return "error"
	}
	return "query"
}

// Record is one test case of a corpus file.
type Record struct {
	File string // base name of the corpus file, without .test
	Line int    // line of the header
	ID   string
	Kind Kind
	// Table is the table the query runs against when its FROM clause does
	// not name a loaded table (for error records).
	Table string
	// SQL is the query in Tannin's (Pinot's) dialect.
	SQL string
	// DuckDB is the reference query; empty when SQL runs unchanged on
	// DuckDB once Pinot's SET prefixes and OPTION suffix are removed.
	DuckDB string
	// Error is the substring (case-insensitive) Tannin's error must hold.
	Error string
	Opts  Options
}

// Options tune how one query's results are compared.
type Options struct {
	// RelTol and AbsTol bound the difference of two numbers: they match
	// when |a-b| <= AbsTol or |a-b| <= RelTol*max(|a|,|b|). Defaults:
	// RelTol 1e-9 for floating-point values, exact integers, AbsTol 0.
	RelTol, AbsTol float64
	// ColTol overrides RelTol for single result columns (0-based).
	ColTol map[int]float64
	// CountOnly compares the column and row counts only (for queries whose
	// rows are legitimately undetermined, e.g. LIMIT without ORDER BY).
	CountOnly bool
	// Keys are the 0-based result columns the ORDER BY sorts by, when
	// they cannot be inferred from the query text; nil infers them.
	Keys []int
	// Unordered compares as multisets even when the query has ORDER BY.
	Unordered bool
}

// ParseCorpus reads the records of one corpus file. name labels errors
// and records (normally the file's base name without extension).
func ParseCorpus(name string, r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		recs   []Record
		cur    *Record
		part   int // 0 SQL, 1 DuckDB, 2 error text
		lines  [3][]string
		table  = "transactions"
		seen   = map[string]int{}
		lineNo int
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		cur.SQL = strings.TrimSpace(strings.Join(lines[0], "\n"))
		cur.DuckDB = strings.TrimSpace(strings.Join(lines[1], "\n"))
		cur.Error = strings.TrimSpace(strings.Join(lines[2], "\n"))
		switch {
		case cur.SQL == "":
			return fmt.Errorf("%s:%d: %s %s has no SQL", name, cur.Line, cur.Kind, cur.ID)
		case cur.Kind == KindError && cur.Error == "":
			return fmt.Errorf("%s:%d: error %s has no expected message after ----", name, cur.Line, cur.ID)
		}
		recs = append(recs, *cur)
		cur, part, lines = nil, 0, [3][]string{}
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if cur == nil {
			if trim == "" || strings.HasPrefix(trim, "#") {
				continue
			}
			f := strings.Fields(trim)
			switch f[0] {
			case "table":
				if len(f) != 2 {
					return nil, fmt.Errorf("%s:%d: want \"table <name>\"", name, lineNo)
				}
				table = f[1]
				continue
			case "query", "error":
			default:
				return nil, fmt.Errorf("%s:%d: want a \"query <id>\", \"error <id>\" or \"table <name>\" line, got %q", name, lineNo, trim)
			}
			if len(f) < 2 {
				return nil, fmt.Errorf("%s:%d: %s without an id", name, lineNo, f[0])
			}
			id := f[1]
			if prev, ok := seen[id]; ok {
				return nil, fmt.Errorf("%s:%d: duplicate id %q (first at line %d)", name, lineNo, id, prev)
			}
			seen[id] = lineNo
			cur = &Record{File: name, Line: lineNo, ID: id, Table: table}
			if f[0] == "error" {
				cur.Kind = KindError
				if len(f) > 2 {
					return nil, fmt.Errorf("%s:%d: error records take no options", name, lineNo)
				}
			}
			opts, err := parseOptions(f[2:])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s %s: %w", name, lineNo, f[0], id, err)
			}
			cur.Opts = opts
			continue
		}
		switch {
		case trim == "":
			if err := finish(); err != nil {
				return nil, err
			}
		case trim == "----duckdb":
			if cur.Kind != KindQuery || part != 0 {
				return nil, fmt.Errorf("%s:%d: ----duckdb belongs after the SQL of a query record", name, lineNo)
			}
			part = 1
		case trim == "----":
			if cur.Kind != KindError || part != 0 {
				return nil, fmt.Errorf("%s:%d: ---- belongs after the SQL of an error record", name, lineNo)
			}
			part = 2
		case strings.HasPrefix(trim, "#") && part == 0 && len(lines[0]) == 0:
			// A comment right under the header.
		default:
			lines[part] = append(lines[part], line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus %s: %w", name, err)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return recs, nil
}

func parseOptions(fields []string) (Options, error) {
	var o Options
	for _, f := range fields {
		k, v, hasValue := strings.Cut(f, "=")
		switch {
		case k == "tol" && hasValue:
			if col, tol, ok := strings.Cut(v, ":"); ok {
				c, err1 := strconv.Atoi(col)
				t, err2 := strconv.ParseFloat(tol, 64)
				if err1 != nil || err2 != nil || c < 1 || t < 0 {
					return o, fmt.Errorf("option %q: want tol=<column>:<relative tolerance>", f)
				}
				if o.ColTol == nil {
					o.ColTol = map[int]float64{}
				}
				o.ColTol[c-1] = t
				continue
			}
			t, err := strconv.ParseFloat(v, 64)
			if err != nil || t < 0 {
				return o, fmt.Errorf("option %q: want tol=<relative tolerance>", f)
			}
			o.RelTol = t
		case k == "abstol" && hasValue:
			t, err := strconv.ParseFloat(v, 64)
			if err != nil || t < 0 {
				return o, fmt.Errorf("option %q: want abstol=<absolute tolerance>", f)
			}
			o.AbsTol = t
		case k == "check" && v == "count":
			o.CountOnly = true
		case k == "keys" && hasValue:
			for _, s := range strings.Split(v, ",") {
				c, err := strconv.Atoi(s)
				if err != nil || c < 1 {
					return o, fmt.Errorf("option %q: want keys=<column>[,<column>...] (1-based)", f)
				}
				o.Keys = append(o.Keys, c-1)
			}
		case f == "unordered":
			o.Unordered = true
		default:
			return o, fmt.Errorf("unknown option %q (known: tol=, abstol=, check=count, keys=, unordered)", f)
		}
	}
	return o, nil
}

// LoadCorpus reads every *.test file of dir, in name order.
func LoadCorpus(dir string) ([]Record, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		return nil, fmt.Errorf("list corpus %s: %w", dir, err)
	}
	sort.Strings(paths)
	var all []Record
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open corpus file: %w", err)
		}
		recs, err := ParseCorpus(strings.TrimSuffix(filepath.Base(p), ".test"), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return all, nil
}

// ReferenceSQL is the query DuckDB runs for r.
func (r *Record) ReferenceSQL() (string, error) {
	if r.DuckDB != "" {
		return r.DuckDB, nil
	}
	return stripPinotSyntax(r.SQL)
}
