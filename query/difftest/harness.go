package difftest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Harness runs records against Tannin and the DuckDB reference.
type Harness struct {
	Tannin *Tannin
	Duck   *Duck
	// Timeout bounds each engine's run of one query (default 60s).
	Timeout time.Duration
	// SingleToo: when Tannin answers the distributed way (Partials > 1),
	// each record also runs in one process, and both answers must pass.
	SingleToo bool
}

// Failure is a record that did not pass, with what each side returned.
type Failure struct {
	Record     *Record
	Reason     string
	Got, Want  *Rows
	DuckDBText string
}

func (f *Failure) Error() string {
	var b strings.Builder
	r := f.Record
	fmt.Fprintf(&b, "%s %s (%s.test:%d): %s\n", r.Kind, r.ID, r.File, r.Line, f.Reason)
	fmt.Fprintf(&b, "  tannin sql: %s\n", oneLine(r.SQL))
	if f.DuckDBText != "" {
		fmt.Fprintf(&b, "  duckdb sql: %s\n", oneLine(f.DuckDBText))
	}
	if f.Got != nil {
		b.WriteString("  tannin result:\n")
		b.WriteString(FormatRows(f.Got, 5))
	}
	if f.Want != nil {
		b.WriteString("  duckdb result:\n")
		b.WriteString(FormatRows(f.Want, 5))
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// aggregateCall finds a call of an aggregate function: a select item with
// one yields a single row without GROUP BY.
var aggregateCall = regexp.MustCompile(`(?i)\b((count|sum|min|max|avg)(mv)?|distinctcount\w*|distinctsum|distinctavg|percentile\w*|minmaxrange|mode|stddev\w*|variance|var_pop|var_samp|sumprecision|bool_and|bool_or|lastwithtime|firstwithtime)\s*\(`)

// Lint reports corpus mistakes in r that would make a comparison
// meaningless, before anything runs.
func Lint(r *Record) error {
	if r.Kind == KindError {
		return nil
	}
	sh, err := scanShape(r.SQL)
	if err != nil {
		return fmt.Errorf("scan tannin sql: %w", err)
	}
	if sh.Limit < 0 && (sh.GroupBy || sh.Distinct || !anyAggregate(sh.Items)) {
		return fmt.Errorf("no LIMIT: Pinot answers only 10 rows by default, write an explicit LIMIT")
	}
	if len(sh.OrderBy) > 0 && r.Opts.Keys == nil && !r.Opts.Unordered {
		for i, k := range sh.orderKeyColumns() {
			if k < 0 {
				return fmt.Errorf("ORDER BY key %q is not a select item: add keys=<columns> or unordered", sh.OrderBy[i].Expr)
			}
		}
	}
	if len(sh.OrderBy) == 0 && sh.Limit >= 0 && !r.Opts.CountOnly && !sh.GroupBy && !sh.Distinct && !anyAggregate(sh.Items) {
		return fmt.Errorf("LIMIT without ORDER BY picks arbitrary rows: add ORDER BY or check=count")
	}
	return nil
}

// anyAggregate reports an aggregate in the select list: without GROUP BY
// the query then answers one row (its other items must be constants).
func anyAggregate(items []selectItem) bool {
	for _, it := range items {
		if aggregateCall.MatchString(it.Expr) {
			return true
		}
	}
	return false
}

// Run executes one record and returns nil when it passes, else a *Failure.
func (h *Harness) Run(ctx context.Context, r *Record) error {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	fail := func(format string, args ...any) *Failure {
		return &Failure{Record: r, Reason: fmt.Sprintf(format, args...)}
	}
	if err := Lint(r); err != nil {
		return fail("corpus: %v", err)
	}
	table := r.Table
	if sh, err := scanShape(r.SQL); err == nil && h.Tannin.Table(sh.Table) != nil {
		table = sh.Table
	}
	modes := []int{h.Tannin.Partials}
	if h.SingleToo && h.Tannin.Partials > 1 {
		modes = append(modes, 1)
	}
	var ref string
	var want *Rows
	for _, servers := range modes {
		tctx, cancel := context.WithTimeout(ctx, timeout)
		got, terr := h.Tannin.QueryPartials(tctx, table, r.SQL, servers)
		cancel()
		mode := ""
		if len(modes) > 1 && servers <= 1 {
			mode = "(in one process) "
		} else if len(modes) > 1 {
			mode = fmt.Sprintf("(over %d servers) ", servers)
		}

		if r.Kind == KindError {
			switch {
			case terr == nil:
				f := fail("%ssucceeded, want an error containing %q", mode, r.Error)
				f.Got = got
				return f
			case !strings.Contains(strings.ToLower(terr.Error()), strings.ToLower(r.Error)):
				return fail("%serror %q does not contain %q", mode, terr.Error(), r.Error)
			}
			continue
		}

		if want == nil {
			var err error
			if ref, err = r.ReferenceSQL(); err != nil {
				return fail("corpus: derive the duckdb sql: %v", err)
			}
			dctx, cancel := context.WithTimeout(ctx, timeout)
			var derr error
			want, derr = h.Duck.Query(dctx, ref)
			cancel()
			if derr != nil {
				f := fail("corpus: duckdb rejects the reference query: %v", derr)
				f.DuckDBText = ref
				return f
			}
		}
		if terr != nil {
			f := fail("%stannin error: %v", mode, terr)
			f.DuckDBText, f.Want = ref, want
			return f
		}
		e, err := expectFor(r, len(want.Rows))
		if err != nil {
			return fail("corpus: %v", err)
		}
		if err := Compare(got, want, e); err != nil {
			return &Failure{Record: r, Reason: mode + "mismatch: " + err.Error(), Got: got, Want: want, DuckDBText: ref}
		}
	}
	return nil
}

// expectFor derives the comparison rules from the query text and options.
func expectFor(r *Record, wantRows int) (Expect, error) {
	e := Expect{Opts: r.Opts}
	sh, err := scanShape(r.SQL)
	if err != nil {
		return e, err
	}
	if len(sh.OrderBy) == 0 || r.Opts.Unordered {
		return e, nil
	}
	e.Ordered = true
	e.Keys = r.Opts.Keys
	if e.Keys == nil {
		e.Keys = sh.orderKeyColumns()
	}
	e.HeadCut = sh.Offset > 0
	e.TailCut = sh.Limit >= 0 && int64(wantRows) == sh.Limit
	return e, nil
}
