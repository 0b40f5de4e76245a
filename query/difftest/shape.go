package difftest

import (
	"fmt"
	"strconv"
	"strings"
)

// shape is what the harness needs to know about a query's text to compare
// its results: the table, the select list, the ORDER BY keys and the
// LIMIT/OFFSET window. It is found by a small tokenizer that tracks
// parentheses and quotes, not by a full parser, so that the harness does
// not depend on the parser it tests.
type shape struct {
	Table    string // FROM table as written, unquoted; "" when absent
	Distinct bool
	Items    []selectItem
	GroupBy  bool
	OrderBy  []orderItem
	Limit    int64 // -1 when absent
	Offset   int64
}

type selectItem struct {
	Expr  string // expression text as written
	Alias string // unquoted alias, "" when none
}

type orderItem struct {
	Expr string
	Desc bool
}

type token struct {
	kind  tokKind
	text  string // as written
	start int    // byte offset in the query
	end   int
	depth int // parenthesis depth before the token
}

type tokKind uint8

const (
	tokWord   tokKind = iota // keyword or unquoted identifier
	tokQuoted                // "identifier"
	tokString                // 'literal'
	tokNumber
	tokPunct
)

// tokenize splits q into tokens, skipping whitespace and comments.
func tokenize(q string) ([]token, error) {
	var toks []token
	depth := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			j := i + 1
			for {
				if j >= len(q) {
					return nil, fmt.Errorf("unterminated %c quote at offset %d", c, i)
				}
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote escapes itself
						j += 2
						continue
					}
					break
				}
				j++
			}
			k := tokString
			if c == '"' {
				k = tokQuoted
			}
			toks = append(toks, token{kind: k, text: q[i : j+1], start: i, end: j + 1, depth: depth})
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(q) && (isWordByte(q[j]) || q[j] >= '0' && q[j] <= '9' || q[j] == '$') {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: q[i:j], start: i, end: j, depth: depth})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'e' || q[j] == 'E' ||
				(q[j] == '-' || q[j] == '+') && (q[j-1] == 'e' || q[j-1] == 'E')) {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: q[i:j], start: i, end: j, depth: depth})
			i = j
		default:
			if c == ')' {
				depth--
			}
			toks = append(toks, token{kind: tokPunct, text: q[i : i+1], start: i, end: i + 1, depth: depth})
			if c == '(' {
				depth++
			}
			i++
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced parentheses")
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func (t token) is(word string) bool {
	return t.kind == tokWord && t.depth == 0 && strings.EqualFold(t.text, word)
}

// splitStatements separates Pinot's leading "SET k = v;" statements from
// the query. It returns the query text without them.
func splitStatements(q string) (sets []string, query string, err error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, "", err
	}
	start := 0
	for i := 0; i < len(toks); {
		if !toks[i].is("SET") {
			break
		}
		j := i
		for j < len(toks) && !(toks[j].kind == tokPunct && toks[j].text == ";") {
			j++
		}
		if j == len(toks) {
			return nil, "", fmt.Errorf("SET statement without ';'")
		}
		sets = append(sets, strings.TrimSpace(q[toks[i].start:toks[j].start]))
		start = toks[j].end
		i = j + 1
	}
	return sets, strings.TrimSpace(q[start:]), nil
}

// stripPinotSyntax removes what only Pinot accepts from a query so that
// DuckDB can run it: "SET k = v;" prefixes and a trailing OPTION(...).
func stripPinotSyntax(q string) (string, error) {
	_, q, err := splitStatements(q)
	if err != nil {
		return "", err
	}
	toks, err := tokenize(q)
	if err != nil {
		return "", err
	}
	for i, t := range toks {
		if t.is("OPTION") && i+1 < len(toks) && toks[i+1].text == "(" {
			return strings.TrimSpace(q[:t.start]), nil
		}
	}
	return q, nil
}

// scanShape finds the shape of a single-table SELECT.
func scanShape(q string) (shape, error) {
	sh := shape{Limit: -1}
	q, err := stripPinotSyntax(q)
	if err != nil {
		return sh, err
	}
	toks, err := tokenize(q)
	if err != nil {
		return sh, err
	}
	if len(toks) == 0 || !toks[0].is("SELECT") {
		return sh, fmt.Errorf("not a SELECT")
	}
	// Clause boundaries at depth 0.
	clause := func(i int) string {
		t := toks[i]
		if t.kind != tokWord || t.depth != 0 {
			return ""
		}
		switch u := strings.ToUpper(t.text); u {
		case "FROM", "WHERE", "HAVING", "LIMIT", "OFFSET":
			return u
		case "GROUP", "ORDER":
			if i+1 < len(toks) && toks[i+1].is("BY") {
				return u
			}
		}
		return ""
	}
	// Select list: from after SELECT [DISTINCT] to FROM.
	i := 1
	if i < len(toks) && toks[i].is("DISTINCT") {
		sh.Distinct = true
		i++
	}
	itemStart := i
	for i < len(toks) && clause(i) == "" {
		i++
	}
	sh.Items = splitItems(q, toks[itemStart:i], func(s string, ts []token) selectItem {
		return parseSelectItem(q, ts)
	})
	for i < len(toks) {
		c := clause(i)
		switch c {
		case "FROM":
			if i+1 < len(toks) {
				sh.Table = unquoteIdent(toks[i+1].text)
			}
			i++
		case "GROUP":
			sh.GroupBy = true
			i += 2
		case "ORDER":
			i += 2
			j := i
			for j < len(toks) && clause(j) == "" {
				j++
			}
			sh.OrderBy = splitItems(q, toks[i:j], func(s string, ts []token) orderItem {
				return parseOrderItem(q, ts)
			})
			i = j
		case "LIMIT":
			n, next, err := limitNumber(toks, i+1)
			if err != nil {
				return sh, err
			}
			// LIMIT offset, count (MySQL/Calcite form).
			if next < len(toks) && toks[next].text == "," {
				m, next2, err := limitNumber(toks, next+1)
				if err != nil {
					return sh, err
				}
				sh.Offset, n, next = n, m, next2
			}
			sh.Limit = n
			i = next
		case "OFFSET":
			n, next, err := limitNumber(toks, i+1)
			if err != nil {
				return sh, err
			}
			sh.Offset = n
			i = next
		default:
			i++
		}
	}
	return sh, nil
}

func limitNumber(toks []token, i int) (int64, int, error) {
	if i >= len(toks) || toks[i].kind != tokNumber {
		return 0, i, fmt.Errorf("LIMIT/OFFSET without a number")
	}
	n, err := strconv.ParseInt(toks[i].text, 10, 64)
	if err != nil {
		return 0, i, fmt.Errorf("LIMIT/OFFSET %q: %w", toks[i].text, err)
	}
	i++
	if i < len(toks) && (toks[i].is("ROWS") || toks[i].is("ROW")) {
		i++
	}
	return n, i, nil
}

// splitItems splits a comma-separated list at depth 0.
func splitItems[T any](q string, toks []token, f func(string, []token) T) []T {
	var out []T
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i == len(toks) || toks[i].depth == 0 && toks[i].kind == tokPunct && toks[i].text == "," {
			if i > start {
				ts := toks[start:i]
				out = append(out, f(q[ts[0].start:ts[len(ts)-1].end], ts))
			}
			start = i + 1
		}
	}
	return out
}

func parseSelectItem(q string, ts []token) selectItem {
	n := len(ts)
	// expr AS alias | expr alias (an identifier after a complete expression).
	if n >= 3 && ts[n-2].is("AS") && (ts[n-1].kind == tokWord || ts[n-1].kind == tokQuoted) {
		return selectItem{Expr: q[ts[0].start:ts[n-3].end], Alias: unquoteIdent(ts[n-1].text)}
	}
	if n >= 2 && (ts[n-1].kind == tokWord || ts[n-1].kind == tokQuoted) && ts[n-1].depth == 0 && !isOperatorWord(ts[n-1].text) {
		prev := ts[n-2]
		if prev.kind != tokPunct || prev.text == ")" {
			if prev.kind == tokPunct || prev.kind == tokWord && !isOperatorWord(prev.text) || prev.kind == tokQuoted || prev.kind == tokString || prev.kind == tokNumber {
				return selectItem{Expr: q[ts[0].start:prev.end], Alias: unquoteIdent(ts[n-1].text)}
			}
		}
	}
	return selectItem{Expr: q[ts[0].start:ts[n-1].end]}
}

// isOperatorWord reports keywords that end or continue an expression, so
// that "CASE ... END" or "x IS NULL" is not read as an alias.
func isOperatorWord(w string) bool {
	switch strings.ToUpper(w) {
	case "END", "NULL", "TRUE", "FALSE", "AND", "OR", "NOT", "IS", "IN", "LIKE", "BETWEEN", "ELSE", "THEN", "WHEN", "CASE", "DISTINCT", "ILIKE", "ESCAPE":
		return true
	}
	return false
}

func parseOrderItem(q string, ts []token) orderItem {
	o := orderItem{}
	n := len(ts)
	// Trailing NULLS FIRST|LAST, then ASC|DESC.
	if n >= 2 && ts[n-2].is("NULLS") {
		n -= 2
	}
	if n >= 1 && (ts[n-1].is("ASC") || ts[n-1].is("DESC")) {
		o.Desc = ts[n-1].is("DESC")
		n--
	}
	if n == 0 {
		return o
	}
	o.Expr = q[ts[0].start:ts[n-1].end]
	return o
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// normExpr canonicalizes expression text for matching an ORDER BY key to
// a select item: case, whitespace and identifier quotes do not matter, and
// neither does a table qualifier on a bare column.
func normExpr(s string) string {
	toks, err := tokenize(s)
	if err != nil {
		return strings.ToLower(strings.Join(strings.Fields(s), ""))
	}
	var b strings.Builder
	for i, t := range toks {
		// Drop "qualifier." before a name.
		if (t.kind == tokWord || t.kind == tokQuoted) && i+1 < len(toks) && toks[i+1].text == "." {
			continue
		}
		if t.text == "." && i > 0 && (toks[i-1].kind == tokWord || toks[i-1].kind == tokQuoted) {
			continue
		}
		switch t.kind {
		case tokQuoted:
			b.WriteString(strings.ToLower(unquoteIdent(t.text)))
		case tokString:
			b.WriteString(t.text)
		default:
			b.WriteString(strings.ToLower(t.text))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// orderKeyColumns maps each ORDER BY key to the 0-based result column it
// sorts by, or -1 when the key is not in the select list.
func (sh *shape) orderKeyColumns() []int {
	keys := make([]int, len(sh.OrderBy))
	for k, o := range sh.OrderBy {
		keys[k] = -1
		e := strings.TrimSpace(o.Expr)
		if n, err := strconv.Atoi(e); err == nil {
			if n >= 1 && n <= len(sh.Items) {
				keys[k] = n - 1
			}
			continue
		}
		ne := normExpr(e)
		for i, it := range sh.Items {
			if it.Alias != "" && strings.EqualFold(unquoteIdent(e), it.Alias) {
				keys[k] = i
				break
			}
		}
		if keys[k] >= 0 {
			continue
		}
		for i, it := range sh.Items {
			if normExpr(it.Expr) == ne {
				keys[k] = i
				break
			}
		}
	}
	return keys
}
