package flightsql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tannin-db/tannin/query/sql"
	"github.com/tannin-db/tannin/schema"
)

// Prepared statements take positional parameters written `?`. Binding
// never splices client text into the SQL: each bound value is rendered as
// one typed SQL literal of its Arrow type (a number, a single-quoted
// string with quotes doubled, TRUE/FALSE, NULL), so a value can only ever
// be a literal, whatever it contains. The `?` themselves are found by a
// scanner that knows the lexical structure the parser sees (strings,
// quoted identifiers, comments), so a `?` inside a string stays text.

// maxBoundRows bounds the rows of one parameter binding: each row runs the
// statement once.
const maxBoundRows = 1024

// token is one lexical element of a statement, as far as parameters care.
type token struct {
	kind tokenKind
	text string // identifiers: the name (unquoted); others: as written
	pos  int    // byte offset in the statement
}

type tokenKind uint8

const (
	tokWord   tokenKind = iota // identifier or keyword, unquoted
	tokQuoted                  // "quoted identifier"
	tokString                  // 'string' (any form)
	tokNumber
	tokHole // ?
	tokOp   // operator or punctuation
)

// template is a statement with its parameter holes.
type template struct {
	sql   string
	holes []int // byte offsets of the `?`s
	// columns[i] is the column hole i is compared with, "" when unknown;
	// table is the table after FROM, "" when none.
	columns []string
	table   string
}

// parseTemplate scans sql for parameter holes and, for each, the column
// it is compared with (`col = ?`, `col IN (?, ?)`, `col BETWEEN ? AND
// ?`), which gives the parameter its type.
func parseTemplate(sql string) *template {
	toks := scan(sql)
	t := &template{sql: sql}
	for i, tk := range toks {
		switch {
		case tk.kind == tokHole:
			t.holes = append(t.holes, tk.pos)
			t.columns = append(t.columns, holeColumn(toks, i))
		case t.table == "" && tk.kind == tokWord && strings.EqualFold(tk.text, "from"):
			t.table = qualifiedName(toks, i+1)
		}
	}
	return t
}

// qualifiedName returns the last part of the (possibly qualified) name
// starting at toks[i].
func qualifiedName(toks []token, i int) string {
	name := ""
	for i < len(toks) && (toks[i].kind == tokWord || toks[i].kind == tokQuoted) {
		name = toks[i].text
		if i+1 < len(toks) && toks[i+1].kind == tokOp && toks[i+1].text == "." {
			i += 2
			continue
		}
		break
	}
	return name
}

// columnBefore returns the column name ending just before toks[i], or "".
func columnBefore(toks []token, i int) string {
	if i < 0 || (toks[i].kind != tokWord && toks[i].kind != tokQuoted) {
		return ""
	}
	if toks[i].kind == tokWord && isKeyword(toks[i].text) {
		return ""
	}
	return toks[i].text
}

func isKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "and", "or", "not", "in", "between", "is", "null", "like", "where", "select", "from", "having", "on", "limit", "offset", "true", "false":
		return true
	}
	return false
}

func isComparison(op string) bool {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// holeColumn infers the column hole toks[i] is compared with.
func holeColumn(toks []token, i int) string {
	prev := func(k int) *token {
		if k < 0 {
			return nil
		}
		return &toks[k]
	}
	p := prev(i - 1)
	if p == nil {
		return ""
	}
	switch {
	case p.kind == tokOp && isComparison(p.text):
		return columnBefore(toks, i-2)
	case p.kind == tokWord && strings.EqualFold(p.text, "between"):
		return columnBefore(toks, i-2)
	case p.kind == tokWord && strings.EqualFold(p.text, "and"):
		// col BETWEEN x AND ?
		if q := prev(i - 3); q != nil && q.kind == tokWord && strings.EqualFold(q.text, "between") {
			return columnBefore(toks, i-4)
		}
	case p.kind == tokOp && (p.text == "(" || p.text == ","):
		// col [NOT] IN (a, ?, ...): walk back to the parenthesis.
		k := i - 1
		for k >= 0 && toks[k].kind == tokOp && toks[k].text == "," {
			if k-1 < 0 {
				return ""
			}
			switch toks[k-1].kind {
			case tokHole, tokNumber, tokString:
				k -= 2
			default:
				return ""
			}
		}
		if k < 0 || toks[k].kind != tokOp || toks[k].text != "(" {
			return ""
		}
		if q := prev(k - 1); q != nil && q.kind == tokWord && strings.EqualFold(q.text, "in") {
			c := k - 2
			if r := prev(c); r != nil && r.kind == tokWord && strings.EqualFold(r.text, "not") {
				c--
			}
			return columnBefore(toks, c)
		}
	}
	return ""
}

// scan splits sql into tokens. It follows the PostgreSQL lexical rules the
// parser uses for what can hide a `?`: 'strings' with ” doubling,
// E'strings' with backslash escapes, $tag$dollar strings$tag$, "quoted
// identifiers" with "" doubling, -- line comments and nested /* */
// comments. An unterminated string or comment ends the scan: the parser
// reports it.
func scan(sql string) []token {
	var toks []token
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			depth := 0
			for i < n {
				if sql[i] == '/' && i+1 < n && sql[i+1] == '*' {
					depth++
					i += 2
				} else if sql[i] == '*' && i+1 < n && sql[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'':
			start := i
			i = skipQuoted(sql, i, '\'', false)
			toks = append(toks, token{tokString, sql[start:i], start})
		case (c == 'e' || c == 'E' || c == 'b' || c == 'B' || c == 'x' || c == 'X') && i+1 < n && sql[i+1] == '\'':
			start := i
			i = skipQuoted(sql, i+1, '\'', c == 'e' || c == 'E')
			toks = append(toks, token{tokString, sql[start:i], start})
		case c == '"':
			start := i
			i = skipQuoted(sql, i, '"', false)
			name := sql[start+1 : max(i-1, start+1)]
			toks = append(toks, token{tokQuoted, strings.ReplaceAll(name, `""`, `"`), start})
		case c == '$' && i+1 < n && !isDigit(sql[i+1]):
			// $tag$ ... $tag$
			j := i + 1
			for j < n && isIdentChar(sql[j]) {
				j++
			}
			if j < n && sql[j] == '$' {
				tag := sql[i : j+1]
				end := strings.Index(sql[j+1:], tag)
				start := i
				if end < 0 {
					i = n
				} else {
					i = j + 1 + end + len(tag)
				}
				toks = append(toks, token{tokString, sql[start:i], start})
			} else {
				toks = append(toks, token{tokOp, "$", i})
				i++
			}
		case c == '?':
			toks = append(toks, token{tokHole, "?", i})
			i++
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(sql[i+1])):
			start := i
			for i < n && (isDigit(sql[i]) || sql[i] == '.' || sql[i] == 'e' || sql[i] == 'E' ||
				((sql[i] == '+' || sql[i] == '-') && (sql[i-1] == 'e' || sql[i-1] == 'E'))) {
				i++
			}
			toks = append(toks, token{tokNumber, sql[start:i], start})
		case isIdentStart(c):
			start := i
			for i < n && isIdentChar(sql[i]) {
				i++
			}
			toks = append(toks, token{tokWord, sql[start:i], start})
		default:
			start := i
			if i+1 < n {
				switch sql[i : i+2] {
				case "<=", ">=", "<>", "!=", "||", "::":
					i += 2
					toks = append(toks, token{tokOp, sql[start:i], start})
					continue
				}
			}
			_, size := utf8.DecodeRuneInString(sql[i:])
			i += size
			toks = append(toks, token{tokOp, sql[start:i], start})
		}
	}
	return toks
}

// skipQuoted returns the offset just past the quoted text opening at
// sql[i] (== q); a doubled quote is part of the text, and with backslash
// a backslash escapes the next byte.
func skipQuoted(sql string, i int, q byte, backslash bool) int {
	for i++; i < len(sql); i++ {
		switch sql[i] {
		case '\\':
			if backslash {
				i++
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// bind renders row of params into t's holes, each value a typed literal.
// want[i] is the type of the column hole i is compared with
// (TypeInvalid: unknown, any literal goes).
func (t *template) bind(params arrow.RecordBatch, row int, want []schema.DataType) (string, error) {
	if int(params.NumCols()) != len(t.holes) {
		return "", fmt.Errorf("the statement has %d parameter(s) but the bound batch has %d column(s)", len(t.holes), params.NumCols())
	}
	var b strings.Builder
	b.Grow(len(t.sql) + 16*len(t.holes))
	last := 0
	for i, pos := range t.holes {
		b.WriteString(t.sql[last:pos])
		lit, err := literal(params.Column(i), row, want[i])
		if err != nil {
			return "", fmt.Errorf("parameter %d (%s)%s: %w", i+1, params.Schema().Field(i).Type, t.comparedWith(i, want[i]), err)
		}
		// Spaces keep the literal one token: `x-?` bound to -5 must not
		// become the comment `x--5`.
		b.WriteByte(' ')
		b.WriteString(lit)
		b.WriteByte(' ')
		last = pos + 1
	}
	b.WriteString(t.sql[last:])
	return b.String(), nil
}

func (t *template) comparedWith(i int, want schema.DataType) string {
	if t.columns[i] == "" || want == schema.TypeInvalid {
		return ""
	}
	return fmt.Sprintf(" compared with column %q (%s)", t.columns[i], want)
}

// typeFamily groups column types by the literals they accept.
type typeFamily uint8

const (
	famAny typeFamily = iota
	famNumber
	famString
	famBool
	famBytes
	famTime
)

func familyOf(t schema.DataType) typeFamily {
	switch t {
	case schema.TypeInt, schema.TypeLong, schema.TypeFloat, schema.TypeDouble, schema.TypeBigDecimal:
		return famNumber
	case schema.TypeString, schema.TypeJSON:
		return famString
	case schema.TypeBoolean:
		return famBool
	case schema.TypeBytes:
		return famBytes
	case schema.TypeTimestamp:
		return famTime
	}
	return famAny
}

// literal renders one parameter cell as a SQL literal, checking it against
// the column type it is compared with.
func literal(col arrow.Array, row int, want schema.DataType) (string, error) {
	if col.IsNull(row) {
		return "NULL", nil
	}
	fam := familyOf(want)
	accept := func(ok ...typeFamily) error {
		if fam == famAny {
			return nil
		}
		for _, f := range ok {
			if f == fam {
				return nil
			}
		}
		return fmt.Errorf("a %s value does not match the column's type %s", col.DataType(), want)
	}
	switch a := col.(type) {
	case *array.Int8:
		return intLiteral(int64(a.Value(row))), accept(famNumber, famTime)
	case *array.Int16:
		return intLiteral(int64(a.Value(row))), accept(famNumber, famTime)
	case *array.Int32:
		return intLiteral(int64(a.Value(row))), accept(famNumber, famTime)
	case *array.Int64:
		return intLiteral(a.Value(row)), accept(famNumber, famTime)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(row)), 10), accept(famNumber, famTime)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(row)), 10), accept(famNumber, famTime)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(row)), 10), accept(famNumber, famTime)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(row), 10), accept(famNumber, famTime)
	case *array.Float32:
		return floatLiteral(float64(a.Value(row)), 32), accept(famNumber)
	case *array.Float64:
		return floatLiteral(a.Value(row), 64), accept(famNumber)
	case *array.Boolean:
		if a.Value(row) {
			return "TRUE", accept(famBool)
		}
		return "FALSE", accept(famBool)
	case *array.String:
		return sql.QuoteString(a.Value(row)), accept(famString, famTime, famBytes)
	case *array.LargeString:
		return sql.QuoteString(a.Value(row)), accept(famString, famTime, famBytes)
	case *array.Binary:
		return hexLiteral(a.Value(row)), accept(famBytes)
	case *array.LargeBinary:
		return hexLiteral(a.Value(row)), accept(famBytes)
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		ms := a.Value(row).ToTime(unit).UnixMilli()
		return intLiteral(ms), accept(famTime, famNumber)
	case *array.Date32:
		return intLiteral(a.Value(row).ToTime().UnixMilli()), accept(famTime, famNumber)
	case *array.Date64:
		return intLiteral(a.Value(row).ToTime().UnixMilli()), accept(famTime, famNumber)
	case *array.Decimal128:
		s := a.Value(row).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
		if strings.HasPrefix(s, "-") {
			return "(" + s + ")", accept(famNumber)
		}
		return s, accept(famNumber)
	case *array.Null:
		return "NULL", nil
	}
	return "", fmt.Errorf("parameters of Arrow type %s are not supported (use an integer, floating point, boolean, utf8, binary, timestamp, date or decimal128 column)", col.DataType())
}

func intLiteral(v int64) string {
	if v < 0 {
		// Parenthesised: a negative literal stays one operand after any
		// operator (`x - ?`).
		return "(" + strconv.FormatInt(v, 10) + ")"
	}
	return strconv.FormatInt(v, 10)
}

func floatLiteral(f float64, bits int) string {
	s := sql.FloatLiteral(f, bits)
	if f < 0 && !math.IsInf(f, -1) {
		return "(" + s + ")" // as intLiteral
	}
	return s
}

// hexLiteral renders bytes as Pinot compares BYTES columns: a string of
// lowercase hex digits.
func hexLiteral(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b)+2)
	out = append(out, '\'')
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(append(out, '\''))
}

// placeholderLiteral is a literal of column type t used to plan a
// template at prepare time, before its parameters are known.
func placeholderLiteral(t schema.DataType) string {
	switch familyOf(t) {
	case famNumber, famTime:
		return "0"
	case famBool:
		return "FALSE"
	case famString, famBytes:
		return "''"
	}
	return "NULL"
}

// withPlaceholders is t's SQL with each hole replaced by a placeholder
// literal of its column's type.
func (t *template) withPlaceholders(want []schema.DataType) string {
	var b strings.Builder
	last := 0
	for i, pos := range t.holes {
		b.WriteString(t.sql[last:pos])
		b.WriteByte(' ')
		b.WriteString(placeholderLiteral(want[i]))
		b.WriteByte(' ')
		last = pos + 1
	}
	b.WriteString(t.sql[last:])
	return b.String()
}

// paramSchema is the parameter schema of a template: one field per hole,
// named after its position, typed after the column it is compared with,
// in the type database/sql hands a driver for it (int64 for any integer
// column, float64 for FLOAT and DOUBLE: the ADBC driver checks values
// against these types exactly). TIMESTAMP and BIG_DECIMAL columns, and
// holes of unknown column, are Arrow null: any supported value binds
// (time.Time, epoch millis or text for a timestamp; a number or its text
// for a decimal), checked on the server when bound.
func paramSchema(t *template, want []schema.DataType) *arrow.Schema {
	fields := make([]arrow.Field, len(t.holes))
	for i := range t.holes {
		var typ arrow.DataType = arrow.Null
		switch want[i] {
		case schema.TypeInt, schema.TypeLong:
			typ = arrow.PrimitiveTypes.Int64
		case schema.TypeFloat, schema.TypeDouble:
			typ = arrow.PrimitiveTypes.Float64
		case schema.TypeString, schema.TypeJSON:
			typ = arrow.BinaryTypes.String
		case schema.TypeBoolean:
			typ = arrow.FixedWidthTypes.Boolean
		case schema.TypeBytes:
			typ = arrow.BinaryTypes.Binary
		}
		fields[i] = arrow.Field{Name: "parameter_" + strconv.Itoa(i+1), Type: typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}
