package sql

import (
	"strings"
	"sync"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/parser"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/sem/tree"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/types"
	"github.com/cockroachdb/errors"
)

// Parse parses one query in Pinot's SQL dialect: any number of leading
// `SET key = value;` statements, then one SELECT (optionally behind EXPLAIN
// PLAN FOR) with optionally a legacy `OPTION(key=value, ...)` clause
// (usually last), then optionally `;`. The returned Options map is never
// nil. Errors are *Error values.
//
// Queries that differ only in their literals share one parse: see
// shapecache.go.
func Parse(sql string) (stmt *Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			stmt, err = nil, errorf("BUG: parser panicked on this input: %v", r)
		}
	}()
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	return parseCached(sql, toks)
}

// parseTokens is Parse without the shape cache.
func parseTokens(sql string, toks []token) (*Statement, error) {
	stmts := splitStatements(toks)
	if len(stmts) == 0 {
		return nil, errorf("empty query")
	}
	st := &Statement{Options: map[string]string{}}
	query := stmts[len(stmts)-1]
	for i, s := range stmts[:len(stmts)-1] {
		if s[0].id != lexbase.SET {
			return nil, errorAt(sql, stmts[i+1][0].pos,
				"unsupported: multiple statements (only SET statements may come before the query)")
		}
		k, v, err := parseSet(sql, s)
		if err != nil {
			return nil, err
		}
		st.Options[k] = v
	}
	if query[0].id == lexbase.SET {
		return nil, errorAt(sql, query[len(query)-1].end, "no query after the SET statements")
	}

	query, st.Explain = stripExplain(query)
	if len(query) == 0 {
		return nil, errorAt(sql, len(sql), "no query after EXPLAIN PLAN FOR")
	}
	query, edits, opts, err := stripOption(sql, query)
	if err != nil {
		return nil, err
	}
	for k, v := range opts {
		if _, ok := st.Options[k]; !ok { // SET wins over OPTION
			st.Options[k] = v
		}
	}

	edits = limitEdits(sql, query, edits)
	edits = castTypeEdits(query, edits)
	edits = quoteEdits(sql, query, edits)
	rw := rewrite(sql, query[0].pos, query[len(query)-1].end, "", edits)
	ast, err := parseOne(sql, query, &rw)
	if err != nil {
		return nil, err
	}
	c := converter{sql: sql, toks: query, names: newNameCase(sql, query)}
	sel, explain, err := c.statement(ast)
	if err != nil {
		return nil, err
	}
	st.Select = sel
	st.Explain = st.Explain || explain
	return st, nil
}

// ParseExpr parses one scalar expression, as found in ingestion transforms
// (`fromEpochSeconds(ts_s)`) and filter functions (`equals(device, 'bot')`).
// Errors are *Error values.
func ParseExpr(expr string) (e Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, errorf("BUG: parser panicked on this expression: %v", r)
		}
	}()
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errorf("empty expression")
	}
	for _, t := range toks {
		if t.id == ';' {
			return nil, errorAt(expr, t.pos, `unexpected ";" in an expression`)
		}
	}
	edits := castTypeEdits(toks, nil)
	edits = quoteEdits(expr, toks, edits)
	rw := rewrite(expr, toks[0].pos, toks[len(toks)-1].end, "SELECT ", edits)
	ast, err := parseOne(expr, toks, &rw)
	if err != nil {
		return nil, err
	}
	sel, ok := ast.(*tree.Select)
	if !ok {
		return nil, errorf("not a scalar expression: %q", expr)
	}
	sc, ok := sel.Select.(*tree.SelectClause)
	if !ok || sel.With != nil || len(sel.OrderBy) > 0 || sel.Limit != nil || len(sel.Locking) > 0 ||
		len(sc.From.Tables) > 0 || sc.Where != nil || len(sc.GroupBy) > 0 || sc.Having != nil ||
		len(sc.Window) > 0 || sc.Distinct || len(sc.DistinctOn) > 0 || len(sc.Exprs) != 1 || sc.Exprs[0].As != "" {
		return nil, errorf("not a single scalar expression: %q", expr)
	}
	c := converter{sql: expr, toks: toks, names: newNameCase(expr, toks)}
	return c.expr(sc.Exprs[0].Expr)
}

// splitStatements splits tokens at each `;`, dropping empty statements.
func splitStatements(toks []token) [][]token {
	var out [][]token
	start := 0
	for i, t := range toks {
		if t.id == ';' {
			if i > start {
				out = append(out, toks[start:i])
			}
			start = i + 1
		}
	}
	if start < len(toks) {
		out = append(out, toks[start:])
	}
	return out
}

// parseSet parses a `SET key = value` statement into an option.
func parseSet(sql string, toks []token) (key, value string, err error) {
	rw := rewrite(sql, toks[0].pos, toks[len(toks)-1].end, "", quoteEdits(sql, toks, nil))
	ast, err := parseOne(sql, toks, &rw)
	if err != nil {
		return "", "", err
	}
	set, ok := ast.(*tree.SetVar)
	if !ok || set.Name == "" {
		return "", "", errorAt(sql, toks[0].pos, "unsupported: %s statement (want SET key = value)", ast.StatementTag())
	}
	key = strings.ToLower(set.Name)
	if len(set.Values) != 1 {
		return "", "", errorAt(sql, toks[0].pos, "SET %s: want exactly one value", key)
	}
	switch v := set.Values[0].(type) {
	case *tree.StrVal:
		value = v.RawString()
	case *tree.NumVal:
		value = tree.AsString(v)
	case *tree.DBool:
		value = tree.AsString(v)
	case *tree.UnresolvedName:
		if v.NumParts != 1 || v.Star {
			return "", "", errorAt(sql, toks[0].pos, "SET %s: the value must be a literal or a name", key)
		}
		value = newNameCase(sql, toks).name(v.Parts[0])
	default:
		return "", "", errorAt(sql, toks[0].pos, "SET %s: the value must be a literal or a name", key)
	}
	return key, value, nil
}

// stripExplain removes a leading EXPLAIN PLAN FOR (also Pinot's EXPLAIN
// IMPLEMENTATION PLAN FOR and EXPLAIN PLAN WITHOUT IMPLEMENTATION FOR).
// A plain `EXPLAIN <query>` is left to the grammar, which knows it.
func stripExplain(toks []token) ([]token, bool) {
	if len(toks) < 3 || toks[0].id != lexbase.EXPLAIN {
		return toks, false
	}
	if toks[1].id != lexbase.PLAN && toks[1].str != "implementation" {
		return toks, false
	}
	for i := 1; i < len(toks) && i < 8; i++ {
		if toks[i].id == lexbase.FOR {
			return toks[i+1:], true
		}
	}
	return toks, false
}

// stripOption removes Pinot's legacy OPTION(k=v, k2=v2) clauses, found
// outside parentheses anywhere in the query (usually at its end; the JDBC
// driver may append a LIMIT after it). It returns the remaining tokens, the
// edits that blank out clauses inside the query, and the options, keys
// lower-cased.
func stripOption(sql string, toks []token) ([]token, []edit, map[string]string, error) {
	var (
		kept  []token
		blank []edit
		opts  map[string]string
	)
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.id {
		case '(':
			depth++
		case ')':
			depth--
		case lexbase.OPTION:
			if depth != 0 || i+1 >= len(toks) || toks[i+1].id != '(' {
				break
			}
			closing := -1
			for j, d := i+1, 0; j < len(toks) && closing < 0; j++ {
				switch toks[j].id {
				case '(':
					d++
				case ')':
					if d--; d == 0 {
						closing = j
					}
				}
			}
			if closing < 0 {
				break // unbalanced: leave it to the parser's error
			}
			if opts == nil {
				opts = map[string]string{}
			}
			if err := optionEntries(sql, toks[i+1:closing+1], opts); err != nil {
				return nil, nil, nil, err
			}
			blank = append(blank, edit{start: t.pos, end: toks[closing].end, repl: " "})
			i = closing
			continue
		}
		kept = append(kept, t)
	}
	if opts != nil && len(kept) == 0 {
		return nil, nil, nil, errorAt(sql, toks[0].pos, "no query around OPTION(...)")
	}
	// Clauses before the first or after the last kept token fall outside
	// the rewritten range and need no edit.
	var inner []edit
	for _, e := range blank {
		if e.start > kept[0].pos && e.end < kept[len(kept)-1].end {
			inner = append(inner, e)
		}
	}
	return kept, inner, opts, nil
}

// optionEntries reads the key=value entries of one OPTION(...) clause,
// parenthesized tokens included.
func optionEntries(sql string, paren []token, opts map[string]string) error {
	inner := paren[1 : len(paren)-1]
	start, depth := 0, 0
	for i := 0; i <= len(inner); i++ {
		if i < len(inner) {
			switch inner[i].id {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth != 0 {
					continue
				}
			default:
				continue
			}
		}
		k, v, err := optionEntry(sql, inner[start:i], paren[0])
		if err != nil {
			return err
		}
		opts[k] = v
		start = i + 1
	}
	return nil
}

// optionEntry splits one key=value of an OPTION clause. Values are taken as
// written, as Pinot does; a single quoted string is unquoted.
func optionEntry(sql string, entry []token, open token) (string, string, error) {
	eq := -1
	for i, t := range entry {
		if t.id == '=' {
			eq = i
			break
		}
	}
	if eq <= 0 || eq == len(entry)-1 {
		if len(entry) == 0 {
			return "", "", errorAt(sql, open.pos, "empty entry in OPTION(...): want key=value")
		}
		return "", "", errorAt(sql, entry[0].pos, "OPTION entry %q: want key=value",
			sql[entry[0].pos:entry[len(entry)-1].end])
	}
	text := func(ts []token) string {
		if len(ts) == 1 && (ts[0].id == lexbase.SCONST || isQuotedIdent(sql, ts[0])) {
			return ts[0].str
		}
		return sql[ts[0].pos:ts[len(ts)-1].end]
	}
	return strings.ToLower(text(entry[:eq])), text(entry[eq+1:]), nil
}

// limitEdits rewrites MySQL's `LIMIT offset, count` (which Pinot accepts)
// into `LIMIT count OFFSET offset`.
func limitEdits(sql string, toks []token, edits []edit) []edit {
	for i := 0; i+3 < len(toks); i++ {
		if toks[i].id == lexbase.LIMIT && toks[i+1].id == lexbase.ICONST && toks[i+2].id == ',' &&
			toks[i+3].id == lexbase.ICONST {
			off, cnt := toks[i+1], toks[i+3]
			edits = append(edits, edit{start: off.pos, end: cnt.end,
				repl: sql[cnt.pos:cnt.end] + " OFFSET " + sql[off.pos:off.end]})
		}
	}
	return edits
}

// parseOne runs CockroachDB's parser over one rewritten statement. A syntax
// error is located in the user's text.
// parsers holds cockroachdb parsers for reuse: a Parser is a large value
// (its yacc stack is inline), and making one per query zeroes it and grows
// the calling goroutine's stack every time, which a server answering
// thousands of queries a second pays for in CPU.
var parsers = sync.Pool{New: func() any { return new(parser.Parser) }}

func parseOne(sql string, toks []token, rw *rewritten) (tree.Statement, error) {
	p := parsers.Get().(*parser.Parser)
	stmts, err := p.ParseWithInt(rw.text, types.Int4)
	// The statements may live in the parser's buffers: take the AST out
	// before the parser goes back to the pool.
	var ast tree.Statement
	n := len(stmts)
	if err == nil && n == 1 {
		ast = stmts[0].AST
	}
	parsers.Put(p)
	if err != nil {
		return nil, syntaxError(sql, toks, rw, err)
	}
	if n != 1 {
		return nil, errorf("BUG: parser returned %d statements for one", n)
	}
	return ast, nil
}

// syntaxError turns the parser's error into an *Error at the offending
// token of the user's text. The parser marks the token with a caret under
// the statement in the error's detail.
func syntaxError(sql string, toks []token, rw *rewritten, err error) *Error {
	msg := err.Error()
	for _, d := range errors.GetAllDetails(err) {
		body, ok := strings.CutPrefix(d, "source SQL:\n")
		if !ok {
			continue
		}
		nl := strings.LastIndexByte(body, '\n')
		caret := strings.IndexByte(body[nl+1:], '^')
		if nl < 0 || caret < 0 {
			continue
		}
		off := strings.LastIndexByte(body[:nl], '\n') + 1 + caret
		orig := rw.origOffset(off)
		// Name the token as the user wrote it, not as rewritten.
		if rest, ok := strings.CutPrefix(msg, `at or near "`); ok {
			if i := strings.Index(rest, `"`); i >= 0 {
				for _, t := range toks {
					if t.pos == orig {
						msg = `at or near "` + sql[t.pos:t.end] + rest[i:]
						break
					}
				}
			}
		}
		return errorAt(sql, orig, "%s", pgStyle(msg))
	}
	return errorf("%s", pgStyle(msg))
}

// pgStyle words the parser's `at or near "x": syntax error` as PostgreSQL
// does: `syntax error at or near "x"`.
func pgStyle(msg string) string {
	rest, ok := strings.CutPrefix(msg, `at or near "`)
	if !ok {
		return msg
	}
	i := strings.LastIndex(rest, `": syntax error`)
	if i < 0 {
		return msg
	}
	return `syntax error at or near "` + rest[:i] + `"` + rest[i+len(`": syntax error`):]
}
