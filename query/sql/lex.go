package sql

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/lexbase"
	"github.com/cockroachdb/cockroachdb-parser/pkg/sql/scanner"
)

// This file works on tokens from CockroachDB's own scanner. Nothing here
// parses SQL: it finds the Pinot framing the grammar does not know (SET
// prefixes, OPTION suffix, EXPLAIN PLAN FOR, LIMIT offset,count), and
// rewrites the text so that the parser keeps the written case of unquoted
// identifiers. Every rewrite is recorded so that a position reported by the
// parser maps back to the user's text.

// token is one lexical token of the input.
type token struct {
	id       int32
	pos, end int    // byte offsets in the input
	str      string // the scanner's value: normalized identifier, unescaped string
}

// symType carries one token out of the scanner (it implements
// scanner.ScanSymType).
type symType struct {
	id    int32
	pos   int32
	str   string
	union any
}

func (s *symType) ID() int32                 { return s.id }
func (s *symType) SetID(id int32)            { s.id = id }
func (s *symType) Pos() int32                { return s.pos }
func (s *symType) SetPos(p int32)            { s.pos = p }
func (s *symType) Str() string               { return s.str }
func (s *symType) SetStr(v string)           { s.str = v }
func (s *symType) UnionVal() interface{}     { return s.union }
func (s *symType) SetUnionVal(v interface{}) { s.union = v }

// tokenize splits sql into tokens. A lexical error (an unterminated string,
// say) is returned with its position.
func tokenize(sql string) ([]token, error) {
	var sc scanner.SQLScanner
	sc.Init(sql)
	// About one token per five bytes of SQL: one allocation rather than
	// a chain of growths, on a path every query takes twice.
	toks := make([]token, 0, len(sql)/5+8)
	var lval symType
	for {
		sc.Scan(&lval)
		switch lval.id {
		case 0:
			return toks, nil
		case lexbase.ERROR:
			return nil, errorAt(sql, int(lval.pos), "lexical error: %s", lval.str)
		}
		toks = append(toks, token{id: lval.id, pos: int(lval.pos), end: sc.Pos(), str: lval.str})
	}
}

// isWord reports whether t is an identifier or keyword written without
// quotes.
func isWord(sql string, t token) bool {
	if t.id != lexbase.IDENT && lexbase.GetKeywordID(t.str) == lexbase.IDENT {
		return false // a literal, operator or punctuation
	}
	src := sql[t.pos:t.end]
	if src == "" || !lexbase.IsIdentStart(int(src[0])) {
		return false
	}
	for i := 0; i < len(src); i++ {
		if !lexbase.IsIdentMiddle(int(src[i])) {
			return false // e.g. U&"..." escapes
		}
	}
	return true
}

// isQuotedIdent reports whether t is a double-quoted identifier.
func isQuotedIdent(sql string, t token) bool {
	return t.id == lexbase.IDENT && sql[t.pos] == '"'
}

// edit replaces sql[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// segment maps a stretch of rewritten text back to the input: copied text
// maps byte for byte, replaced text maps to the start of what it replaced.
type segment struct {
	newStart, newEnd int
	origStart        int
	copied           bool
}

// rewritten is a piece of the input after edits, with the map back.
type rewritten struct {
	text     string
	segs     []segment
	origEnd  int // input offset of the end of the piece
	prefixed int // bytes of text added in front (e.g. "SELECT ")
}

// rewrite applies edits (inside [lo, hi), not overlapping) to sql[lo:hi],
// after prefix.
func rewrite(sql string, lo, hi int, prefix string, edits []edit) rewritten {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	b.Grow(len(prefix) + hi - lo + 2*len(edits))
	b.WriteString(prefix)
	r := rewritten{origEnd: hi, prefixed: len(prefix)}
	cur := lo
	cp := func(from, to int) {
		if to > from {
			r.segs = append(r.segs, segment{newStart: b.Len(), newEnd: b.Len() + to - from, origStart: from, copied: true})
			b.WriteString(sql[from:to])
		}
	}
	for _, e := range edits {
		if e.start < cur {
			continue // overlaps the previous edit; keep the first
		}
		cp(cur, e.start)
		r.segs = append(r.segs, segment{newStart: b.Len(), newEnd: b.Len() + len(e.repl), origStart: e.start})
		b.WriteString(e.repl)
		cur = e.end
	}
	cp(cur, hi)
	r.text = b.String()
	return r
}

// origOffset maps an offset in r.text back to an offset in the input.
func (r *rewritten) origOffset(off int) int {
	for _, s := range r.segs {
		if off < s.newEnd {
			if off < s.newStart {
				return s.origStart
			}
			if s.copied {
				return s.origStart + off - s.newStart
			}
			return s.origStart
		}
	}
	return r.origEnd
}

// quoteEdits rewrites every unquoted identifier the scanner would fold to
// lower case into its quoted form, so the parser keeps it as written
// (Pinot's column names are case-sensitive in results: SELECT userID names
// the column "userID").
func quoteEdits(sql string, toks []token, edits []edit) []edit {
	for _, t := range toks {
		if t.id != lexbase.IDENT || !isWord(sql, t) {
			continue
		}
		if src := sql[t.pos:t.end]; src != t.str {
			edits = append(edits, edit{start: t.pos, end: t.end, repl: `"` + src + `"`})
		}
	}
	return edits
}

// castTypeEdits rewrites FLOAT as a cast target to REAL: PostgreSQL reads a
// bare FLOAT as FLOAT8, Pinot as a 32-bit FLOAT.
func castTypeEdits(toks []token, edits []edit) []edit {
	var castParens []bool // per open parenthesis: was it CAST's?
	for i, t := range toks {
		switch t.id {
		case '(':
			castParens = append(castParens, i > 0 && toks[i-1].id == lexbase.CAST)
		case ')':
			if n := len(castParens); n > 0 {
				castParens = castParens[:n-1]
			}
		case lexbase.FLOAT:
			if i == 0 || (i+1 < len(toks) && toks[i+1].id == '(') {
				continue
			}
			prev := toks[i-1].id
			inCast := len(castParens) > 0 && castParens[len(castParens)-1]
			if prev == lexbase.TYPECAST || (prev == lexbase.AS && inCast) {
				edits = append(edits, edit{start: t.pos, end: t.end, repl: "REAL"})
			}
		}
	}
	return edits
}

// nameCase recovers the written case of identifiers that are also keywords
// (name, value, year, ...): the scanner folds those to lower case before
// the grammar decides whether they are keywords or names, so they cannot be
// quoted in advance. A folded name takes the written spelling when the
// statement spells that word one way only and never quotes it.
type nameCase struct {
	spelling map[string]string // folded -> written; "" when ambiguous
	quoted   map[string]bool
}

func newNameCase(sql string, toks []token) nameCase {
	nc := nameCase{spelling: map[string]string{}, quoted: map[string]bool{}}
	for _, t := range toks {
		switch {
		case isQuotedIdent(sql, t):
			nc.quoted[t.str] = true
		case t.id != lexbase.IDENT && isWord(sql, t):
			src := sql[t.pos:t.end]
			if prev, ok := nc.spelling[t.str]; !ok {
				nc.spelling[t.str] = src
			} else if prev != src {
				nc.spelling[t.str] = ""
			}
		}
	}
	return nc
}

// name returns n as written.
func (nc nameCase) name(n string) string {
	if sp := nc.spelling[n]; sp != "" && !nc.quoted[n] {
		return sp
	}
	return n
}

// lineCol turns a byte offset into a 1-based line and a 1-based column
// counted in characters.
func lineCol(sql string, off int) (line, col int) {
	if off > len(sql) {
		off = len(sql)
	}
	line = 1 + strings.Count(sql[:off], "\n")
	start := strings.LastIndexByte(sql[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(sql[start:off])
}
