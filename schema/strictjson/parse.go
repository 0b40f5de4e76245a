package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Kind is the JSON type of a Value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{Null: "null", Bool: "boolean", Number: "number", String: "string", Array: "array", Object: "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Value is one node of a parsed document.
type Value struct {
	Kind Kind
	// Raw is the exact input bytes of the value (shared with the input).
	Raw []byte
	// Off is the byte offset of the value in the input.
	Off int
	// Str is the decoded text of a String; Num is the literal of a Number;
	// Bool is the value of a Bool.
	Str  string
	Num  string
	Bool bool
	// Elems are an Array's elements; Members an Object's members in input order.
	Elems   []*Value
	Members []Member
}

// Member is one key of an object.
type Member struct {
	Key   string
	Value *Value
}

// Get returns the member named key of an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := range v.Members {
		if v.Members[i].Key == key {
			return v.Members[i].Value
		}
	}
	return nil
}

// IsNull reports whether v is absent or JSON null.
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }

// Compact returns the value's bytes without insignificant whitespace, the
// canonical form Tannin keeps for verbatim parts of a document.
func (v *Value) Compact() []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v.Raw); err != nil {
		panic("BUG: strictjson: compact of a parsed value: " + err.Error())
	}
	return b.Bytes()
}

// SyntaxError is malformed JSON, positioned by 1-based line and column
// (the column counts bytes).
type SyntaxError struct {
	Line, Column int
	Offset       int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// LineCol converts a byte offset of data into a 1-based line and column.
func LineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// Parse parses one JSON document. Duplicate keys in an object are an error,
// as is anything but whitespace after the document.
func Parse(data []byte) (*Value, error) {
	p := parser{data: data}
	p.skipSpace()
	if p.pos == len(data) {
		return nil, p.errorf("empty document")
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return nil, p.errorf("unexpected %s after the end of the document", p.describe())
	}
	return v, nil
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) errorfAt(off int, format string, args ...any) error {
	line, col := LineCol(p.data, off)
	return &SyntaxError{Line: line, Column: col, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errorf(format string, args ...any) error {
	return p.errorfAt(p.pos, format, args...)
}

// describe names the input at the current position for an error message.
func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return fmt.Sprintf("%q", r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input, expecting a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Raw: p.data[start:p.pos], Off: start, Str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return nil, err
		}
		raw := p.data[start:p.pos]
		return &Value{Kind: Number, Raw: raw, Off: start, Num: string(raw)}, nil
	case c == 't':
		return p.literal("true", &Value{Kind: Bool, Bool: true})
	case c == 'f':
		return p.literal("false", &Value{Kind: Bool})
	case c == 'n':
		return p.literal("null", &Value{Kind: Null})
	default:
		return nil, p.errorf("unexpected %s, expecting a value", p.describe())
	}
}

func (p *parser) literal(word string, v *Value) (*Value, error) {
	start := p.pos
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return nil, p.errorf("invalid literal, expecting %q", word)
	}
	p.pos += len(word)
	if p.pos < len(p.data) && isIdentByte(p.data[p.pos]) {
		return nil, p.errorfAt(start, "invalid literal, expecting %q", word)
	}
	v.Raw = p.data[start:p.pos]
	v.Off = start
	return v, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *parser) object(depth int) (*Value, error) {
	start := p.pos
	p.pos++ // '{'
	v := &Value{Kind: Object, Off: start}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		v.Raw = p.data[start:p.pos]
		return v, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("unexpected %s, expecting an object key string", p.describe())
		}
		keyOff := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		for i := range v.Members {
			if v.Members[i].Key == key {
				return nil, p.errorfAt(keyOff, "duplicate key %q", key)
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("unexpected %s after object key %q, expecting ':'", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		elem, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Members = append(v.Members, Member{Key: key, Value: elem})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input, expecting ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			v.Raw = p.data[start:p.pos]
			return v, nil
		default:
			return nil, p.errorf("unexpected %s after object member, expecting ',' or '}'", p.describe())
		}
	}
}

func (p *parser) array(depth int) (*Value, error) {
	start := p.pos
	p.pos++ // '['
	v := &Value{Kind: Array, Off: start}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		v.Raw = p.data[start:p.pos]
		return v, nil
	}
	for {
		p.skipSpace()
		elem, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Elems = append(v.Elems, elem)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input, expecting ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			v.Raw = p.data[start:p.pos]
			return v, nil
		default:
			return nil, p.errorf("unexpected %s after array element, expecting ',' or ']'", p.describe())
		}
	}
}

// str scans a string literal and returns its decoded text.
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	plain := true
	for {
		if p.pos >= len(p.data) {
			return "", p.errorfAt(start, "unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if plain {
				return string(p.data[start+1 : p.pos-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.pos], &s); err != nil {
				return "", p.errorfAt(start, "invalid string: %v", err)
			}
			return s, nil
		case c == '\\':
			plain = false
			if p.pos+1 >= len(p.data) {
				return "", p.errorfAt(start, "unterminated string")
			}
			switch e := p.data[p.pos+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos += 2
			case 'u':
				if p.pos+6 > len(p.data) || !isHex4(p.data[p.pos+2:p.pos+6]) {
					return "", p.errorf("invalid \\u escape in string")
				}
				p.pos += 6
			default:
				return "", p.errorf("invalid escape %q in string", "\\"+string(rune(e)))
			}
		case c < 0x20:
			return "", p.errorf("control character 0x%02x in string", c)
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", p.errorf("invalid UTF-8 in string")
			}
			p.pos += n
		default:
			p.pos++
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return false
		}
	}
	return true
}

// number scans a number literal following the JSON grammar.
func (p *parser) number() error {
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	default:
		return p.errorf("invalid number, expecting a digit")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return p.errorf("invalid number, expecting a digit after '.'")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return p.errorf("invalid number, expecting a digit in the exponent")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	if p.pos < len(d) && isIdentByte(d[p.pos]) {
		return p.errorf("invalid number, unexpected %s", p.describe())
	}
	return nil
}
