package decode

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/tannin-db/tannin/schema"
)

// CSVOptions describe a CSV dialect.
type CSVOptions struct {
	// Delimiter separates fields (default ',').
	Delimiter byte
	// MultiValueDelimiter separates the values of a multi-value column
	// within one field (default ';', Pinot's multiValueDelimiter).
	MultiValueDelimiter byte
	// NullValue, when set, is a field text read as null (e.g. "\N"), in
	// addition to an empty unquoted field.
	NullValue string
}

func (o CSVOptions) withDefaults() CSVOptions {
	if o.Delimiter == 0 {
		o.Delimiter = ','
	}
	if o.MultiValueDelimiter == 0 {
		o.MultiValueDelimiter = ';'
	}
	return o
}

// ErrUnterminatedQuote reports a record that ends inside a quoted field: a
// reader that sees it appends the next line (the field holds a line break)
// and tries again.
var ErrUnterminatedQuote = errors.New("unterminated quoted field")

// CSVSplitter splits CSV records (RFC 4180: fields may be quoted with '"',
// a quote inside a quoted field is doubled, quoted fields may hold the
// delimiter and line breaks) into fields without copying, except for
// quoted fields with doubled quotes.
type CSVSplitter struct {
	Delimiter byte
	fields    [][]byte
	quoted    []bool
	scratch   []byte
}

// Split splits one record, without its line terminator. The fields are
// valid until the next call. It returns ErrUnterminatedQuote when the
// record ends inside a quoted field, and another error for a character
// after a closing quote.
func (s *CSVSplitter) Split(rec []byte) (fields [][]byte, quoted []bool, err error) {
	delim := s.Delimiter
	if delim == 0 {
		delim = ','
	}
	s.fields, s.quoted = s.fields[:0], s.quoted[:0]
	// Unescaped fields are written to scratch, which must not move while
	// fields point into it.
	if cap(s.scratch) < len(rec) {
		s.scratch = make([]byte, 0, len(rec)+len(rec)/2)
	}
	s.scratch = s.scratch[:0]
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			i++
			start, esc := i, false
			for {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return nil, nil, ErrUnterminatedQuote
				}
				i += j
				if i+1 < len(rec) && rec[i+1] == '"' {
					esc = true
					i += 2
					continue
				}
				break
			}
			field := rec[start:i]
			i++ // closing quote
			if esc {
				off := len(s.scratch)
				for k := 0; k < len(field); k++ {
					s.scratch = append(s.scratch, field[k])
					if field[k] == '"' {
						k++
					}
				}
				field = s.scratch[off:]
			}
			s.fields = append(s.fields, field)
			s.quoted = append(s.quoted, true)
			if i < len(rec) && rec[i] != delim {
				return nil, nil, fmt.Errorf("unexpected %q after the closing quote of field %d", rec[i], len(s.fields))
			}
		} else {
			j := bytes.IndexByte(rec[i:], delim)
			if j < 0 {
				j = len(rec) - i
			}
			s.fields = append(s.fields, rec[i:i+j])
			s.quoted = append(s.quoted, false)
			i += j
		}
		if i >= len(rec) {
			return s.fields, s.quoted, nil
		}
		i++ // delimiter
		if i == len(rec) {
			s.fields = append(s.fields, rec[i:])
			s.quoted = append(s.quoted, false)
			return s.fields, s.quoted, nil
		}
	}
}

// CSVDecoder decodes CSV records into a Batch, by a header that names the
// fields. Header names match schema columns and input fields exactly;
// other fields are ignored.
type CSVDecoder struct {
	b      *Batch
	opts   CSVOptions
	header []string
	cols   []int
	split  CSVSplitter
}

// NewCSVDecoder returns a decoder of records with the given header. Input
// fields must be added to b before the decoder is made.
func NewCSVDecoder(b *Batch, header []string, opts CSVOptions) *CSVDecoder {
	opts = opts.withDefaults()
	d := &CSVDecoder{b: b, opts: opts, header: header, cols: make([]int, len(header))}
	d.split.Delimiter = opts.Delimiter
	for i, h := range header {
		d.cols[i] = b.Col(h)
	}
	return d
}

// TrimEOL removes a trailing "\n" or "\r\n".
func TrimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// Decode decodes one record (without its line terminator) into a new row at
// input position pos. It returns ErrUnterminatedQuote, with no row added,
// when the record continues on the next line; other errors are *Error and
// the row is discarded.
func (d *CSVDecoder) Decode(pos int64, rec []byte) error {
	fields, quoted, err := d.split.Split(rec)
	if err != nil {
		if err == ErrUnterminatedQuote {
			return err
		}
		return &Error{Reason: ReasonMalformedCSV, Err: err}
	}
	if len(fields) != len(d.header) {
		return &Error{Reason: ReasonColumnCount, Err: fmt.Errorf("record has %d fields, the header %d", len(fields), len(d.header))}
	}
	b := d.b
	b.BeginRow(pos)
	for i, f := range fields {
		col := d.cols[i]
		if col < 0 {
			continue
		}
		if e := d.field(col, f, quoted[i]); e != nil {
			b.AbortRow()
			return e
		}
	}
	b.EndRow()
	return nil
}

func (d *CSVDecoder) field(col int, f []byte, quoted bool) *Error {
	b := d.b
	c := b.cols[col]
	if !quoted && (len(f) == 0 || d.opts.NullValue != "" && string(f) == d.opts.NullValue) {
		b.SetNull(col)
		return nil
	}
	if len(f) == 0 && !c.dynamic && c.st != schema.StorageString {
		b.SetNull(col) // "" is no number
		return nil
	}
	if !c.mv {
		return b.setText(c, b.n, f)
	}
	c.set = b.gen
	for len(f) > 0 {
		j := bytes.IndexByte(f, d.opts.MultiValueDelimiter)
		v := f
		if j >= 0 {
			v, f = f[:j], f[j+1:]
		} else {
			f = nil
		}
		if len(v) == 0 {
			continue
		}
		if e := b.setText(c, b.n, v); e != nil {
			return e
		}
	}
	return nil
}
