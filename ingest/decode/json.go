package decode

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
)

// JSONDecoder decodes JSON objects (one record each, as in JSON lines or a
// stream message) straight into a Batch: a single pass over the bytes, keys
// matched to columns without building a map per record, values converted
// in place. Top-level keys that name no column are skipped. Nested objects
// and arrays become compact JSON text for JSON and STRING columns; an array
// fills a multi-value column. Objects and arrays stored as text are checked
// and compacted with github.com/goccy/go-json.
type JSONDecoder struct {
	b    *Batch
	cols map[string]int
	// Records usually list their keys in the same order: the key seen at
	// position k of the last record is tried first.
	order   []orderedKey
	unknown map[string]string
	keyBuf  []byte
	strBuf  []byte
}

type orderedKey struct {
	key string
	col int
}

// NewJSONDecoder returns a decoder filling b. Keys match column names
// exactly, as Pinot's record readers do; input fields must be added to b
// before the decoder is made.
func NewJSONDecoder(b *Batch) *JSONDecoder {
	d := &JSONDecoder{b: b, cols: make(map[string]int, len(b.cols)), unknown: map[string]string{}}
	for i, c := range b.cols {
		d.cols[c.Spec.Name] = i
	}
	return d
}

// Decode decodes one JSON object into a new row of the batch at input
// position pos. On error the row is discarded and the error is an *Error.
func (d *JSONDecoder) Decode(pos int64, data []byte) error {
	d.b.BeginRow(pos)
	if err := d.object(data); err != nil {
		d.b.AbortRow()
		return err
	}
	d.b.EndRow()
	return nil
}

func malformed(data []byte, p int, format string, args ...any) *Error {
	return &Error{Reason: ReasonMalformedJSON, Err: fmt.Errorf("malformed JSON at byte %d: %s", p+1, fmt.Sprintf(format, args...))}
}

func skipWS(data []byte, p int) int {
	for p < len(data) {
		switch data[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

func (d *JSONDecoder) object(data []byte) *Error {
	p := skipWS(data, 0)
	if p >= len(data) || data[p] != '{' {
		if p >= len(data) {
			return malformed(data, p, "empty record")
		}
		return malformed(data, p, "want an object, found %q", data[p])
	}
	p = skipWS(data, p+1)
	if p < len(data) && data[p] == '}' {
		p++
	} else {
		for k := 0; ; k++ {
			if p >= len(data) {
				return malformed(data, p, "unexpected end of input")
			}
			if data[p] != '"' {
				return malformed(data, p, "want a key, found %q", data[p])
			}
			start, end, esc, np, ok := scanString(data, p)
			if !ok {
				return malformed(data, p, "unterminated string")
			}
			key := data[start:end]
			if esc {
				var err error
				if d.keyBuf, err = unescape(d.keyBuf[:0], key); err != nil {
					return malformed(data, start, "%v", err)
				}
				key = d.keyBuf
			}
			col := d.lookup(k, key)
			p = skipWS(data, np)
			if p >= len(data) || data[p] != ':' {
				return malformed(data, p, "want ':' after key %q", key)
			}
			p = skipWS(data, p+1)
			var err *Error
			if col < 0 {
				p, err = skipValue(data, p)
			} else {
				p, err = d.value(col, data, p)
			}
			if err != nil {
				return err
			}
			p = skipWS(data, p)
			if p >= len(data) {
				return malformed(data, p, "unexpected end of input")
			}
			if data[p] == ',' {
				p = skipWS(data, p+1)
				continue
			}
			if data[p] == '}' {
				p++
				break
			}
			return malformed(data, p, "want ',' or '}', found %q", data[p])
		}
	}
	if p = skipWS(data, p); p != len(data) {
		return malformed(data, p, "trailing data after the object")
	}
	return nil
}

// lookup finds the column of the k-th key of a record.
func (d *JSONDecoder) lookup(k int, key []byte) int {
	if k < len(d.order) && d.order[k].key == unsafeString(key) {
		return d.order[k].col
	}
	col, ok := d.cols[unsafeString(key)]
	if !ok {
		col = -1
	}
	if k > len(d.order) || k >= 256 {
		return col
	}
	// Remember the key without allocating: a column's name, or a copy
	// of an unknown key made once.
	var name string
	if col >= 0 {
		name = d.b.cols[col].Spec.Name
	} else if name, ok = d.unknown[unsafeString(key)]; !ok {
		name = string(key)
		if len(d.unknown) < 1024 {
			d.unknown[name] = name
		}
	}
	if k < len(d.order) {
		d.order[k] = orderedKey{name, col}
	} else {
		d.order = append(d.order, orderedKey{name, col})
	}
	return col
}

// value decodes the value at data[p] into column col.
func (d *JSONDecoder) value(col int, data []byte, p int) (int, *Error) {
	b := d.b
	c := b.cols[col]
	if p >= len(data) {
		return p, malformed(data, p, "unexpected end of input")
	}
	switch data[p] {
	case '[':
		if c.mv {
			return d.array(col, data, p)
		}
		end, err := skipValue(data, p)
		if err != nil {
			return end, err
		}
		return end, b.setRawJSON(c, data[p:end])
	case '{':
		end, err := skipValue(data, p)
		if err != nil {
			return end, err
		}
		if c.mv {
			return end, valueError(ReasonTypeMismatch, c.Spec.Name, data[p:end], "a JSON object is not a multi-value %v", c.Spec.DataType)
		}
		return end, b.setRawJSON(c, data[p:end])
	}
	return d.scalar(col, data, p)
}

// scalar decodes a string, number, boolean or null at data[p].
func (d *JSONDecoder) scalar(col int, data []byte, p int) (int, *Error) {
	b := d.b
	c := b.cols[col]
	switch data[p] {
	case '"':
		start, end, esc, np, ok := scanString(data, p)
		if !ok {
			return np, malformed(data, p, "unterminated string")
		}
		text := data[start:end]
		if esc {
			var err error
			if d.strBuf, err = unescape(d.strBuf[:0], text); err != nil {
				return np, malformed(data, start, "%v", err)
			}
			text = d.strBuf
		}
		return np, b.setText(c, b.n, text)
	case 't':
		if !bytes.HasPrefix(data[p:], []byte("true")) {
			return p, malformed(data, p, "invalid literal")
		}
		return p + 4, b.setBool(c, b.n, true)
	case 'f':
		if !bytes.HasPrefix(data[p:], []byte("false")) {
			return p, malformed(data, p, "invalid literal")
		}
		return p + 5, b.setBool(c, b.n, false)
	case 'n':
		if !bytes.HasPrefix(data[p:], []byte("null")) {
			return p, malformed(data, p, "invalid literal")
		}
		if !c.mv {
			b.SetNull(col)
		}
		return p + 4, nil
	}
	end, ok := scanNumber(data, p)
	if !ok {
		if p < len(data) {
			return p, malformed(data, p, "unexpected %q", data[p])
		}
		return p, malformed(data, p, "unexpected end of input")
	}
	return end, b.setNumber(c, b.n, data[p:end])
}

// array decodes a JSON array into a multi-value column: each scalar
// element is one value; nulls are left out.
func (d *JSONDecoder) array(col int, data []byte, p int) (int, *Error) {
	c := d.b.cols[col]
	c.set = d.b.gen // [] is an explicit empty (null) value
	p = skipWS(data, p+1)
	if p < len(data) && data[p] == ']' {
		return p + 1, nil
	}
	for {
		if p >= len(data) {
			return p, malformed(data, p, "unexpected end of input")
		}
		if data[p] == '[' || data[p] == '{' {
			end, err := skipValue(data, p)
			if err != nil {
				return end, err
			}
			return end, valueError(ReasonTypeMismatch, c.Spec.Name, data[p:end], "a nested JSON value is not a %v element", c.Spec.DataType)
		}
		np, err := d.scalar(col, data, p)
		if err != nil {
			return np, err
		}
		p = skipWS(data, np)
		if p >= len(data) {
			return p, malformed(data, p, "unexpected end of input")
		}
		switch data[p] {
		case ',':
			p = skipWS(data, p+1)
		case ']':
			return p + 1, nil
		default:
			return p, malformed(data, p, "want ',' or ']', found %q", data[p])
		}
	}
}

// scanString scans the string starting with the quote at data[p]. It
// returns the bounds of its contents, whether they hold escapes, and the
// index after the closing quote.
func scanString(data []byte, p int) (start, end int, esc bool, next int, ok bool) {
	start = p + 1
	i := start
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return start, len(data), esc, len(data), false
		}
		q := i + j
		// Count the backslashes before the quote: an odd count escapes it.
		if bs := bytes.IndexByte(data[i:q], '\\'); bs >= 0 {
			esc = true
			n := 0
			for k := q - 1; k >= start && data[k] == '\\'; k-- {
				n++
			}
			if n%2 == 1 {
				i = q + 1
				continue
			}
		}
		return start, q, esc, q + 1, true
	}
}

// scanNumber scans a number in JSON's grammar at data[p].
func scanNumber(data []byte, p int) (int, bool) {
	i := p
	if i < len(data) && data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(data) && data[i] == '0' {
		i++ // no leading zeros
	} else if digits() == 0 {
		return p, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return p, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return p, false
		}
	}
	return i, true
}

// skipValue returns the index after the JSON value at data[p], checking
// that strings close and brackets balance.
func skipValue(data []byte, p int) (int, *Error) {
	if p >= len(data) {
		return p, malformed(data, p, "unexpected end of input")
	}
	switch data[p] {
	case '"':
		_, _, _, np, ok := scanString(data, p)
		if !ok {
			return np, malformed(data, p, "unterminated string")
		}
		return np, nil
	case '{', '[':
		var stack [64]byte
		depth := 0
		i := p
		for i < len(data) {
			switch c := data[i]; c {
			case '{', '[':
				if depth == len(stack) {
					return i, malformed(data, i, "nested too deeply")
				}
				stack[depth] = c
				depth++
				i++
			case '}', ']':
				want := byte('{')
				if c == ']' {
					want = '['
				}
				if depth == 0 || stack[depth-1] != want {
					return i, malformed(data, i, "unbalanced %q", c)
				}
				depth--
				i++
				if depth == 0 {
					return i, nil
				}
			case '"':
				_, _, _, np, ok := scanString(data, i)
				if !ok {
					return np, malformed(data, i, "unterminated string")
				}
				i = np
			default:
				i++
			}
		}
		return i, malformed(data, i, "unexpected end of input")
	case 't':
		if bytes.HasPrefix(data[p:], []byte("true")) {
			return p + 4, nil
		}
	case 'f':
		if bytes.HasPrefix(data[p:], []byte("false")) {
			return p + 5, nil
		}
	case 'n':
		if bytes.HasPrefix(data[p:], []byte("null")) {
			return p + 4, nil
		}
	default:
		if end, ok := scanNumber(data, p); ok {
			return end, nil
		}
	}
	return p, malformed(data, p, "unexpected %q", data[p])
}

var errBadEscape = errors.New("invalid escape in string")

// unescape appends the decoded contents of a JSON string to dst.
func unescape(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...), nil
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(s) {
			return dst, errBadEscape
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				return dst, errBadEscape
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, ok := hex4(s[i+2:]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							dst = utf8.AppendRune(dst, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, errBadEscape
		}
		i += 2
	}
	return dst, nil
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// compactJSON appends raw without insignificant white space, checking it.
func compactJSON(dst *bytes.Buffer, raw []byte) error {
	if err := gojson.Compact(dst, raw); err != nil {
		return fmt.Errorf("invalid JSON value: %w", err)
	}
	return nil
}
