package batch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
)

// rejectFunc handles a record rejected at position pos; a non-nil result
// stops the ingestion.
type rejectFunc func(pos int64, err *decode.Error) error

// source reads one input file into batches.
type source interface {
	// prepare adds the input fields transforms read to b and makes the
	// decoder that fills b.
	prepare(b *decode.Batch, inputs []string) error
	// fill decodes records into b until it is full; io.EOF reports the end
	// of the input (b may hold rows then).
	fill(b *decode.Batch, reject rejectFunc) error
	// bytesRead is the number of bytes of the file read so far.
	bytesRead() int64
	// rowUnit reports that positions are row numbers, not lines.
	rowUnit() bool
	close() error
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const readBufferSize = 1 << 20

// lineReader reads lines of a text file, possibly gzip-compressed,
// without copying them unless a line is longer than the buffer.
type lineReader struct {
	f    *os.File
	cr   countingReader
	gz   *gzip.Reader
	r    *bufio.Reader
	long []byte
	line int64 // lines read so far
}

func openLines(path string, gzipped bool) (*lineReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	lr := &lineReader{f: f, cr: countingReader{r: f}}
	var r io.Reader = &lr.cr
	if gzipped {
		gz, err := gzip.NewReader(bufio.NewReaderSize(&lr.cr, 256<<10))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %q: gzip: %w", path, err)
		}
		lr.gz = gz
		r = gz
	}
	lr.r = bufio.NewReaderSize(r, readBufferSize)
	return lr, nil
}

// next returns the next line with its terminator (none on the last line
// of a file that lacks one), valid until the following call, or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.r.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	lr.line++
	return line, nil
}

func (lr *lineReader) close() error {
	if lr.gz != nil {
		lr.gz.Close()
	}
	return lr.f.Close()
}

// csvSource reads a CSV file with a header line.
type csvSource struct {
	lr     *lineReader
	path   string
	opts   decode.CSVOptions
	header []string
	dec    *decode.CSVDecoder
	multi  []byte
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func openCSV(path string, gzipped bool, opts decode.CSVOptions) (*csvSource, error) {
	lr, err := openLines(path, gzipped)
	if err != nil {
		return nil, err
	}
	s := &csvSource{lr: lr, path: path, opts: opts}
	line, err := lr.next()
	if err == io.EOF {
		return s, nil // empty file: no header, no rows
	}
	if err != nil {
		lr.close()
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	line = bytes.TrimPrefix(decode.TrimEOL(line), utf8BOM)
	sp := decode.CSVSplitter{Delimiter: opts.Delimiter}
	fields, _, err := sp.Split(line)
	if err != nil {
		lr.close()
		return nil, fmt.Errorf("read %q: header: %w", path, err)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		h := string(f)
		if seen[h] {
			lr.close()
			return nil, fmt.Errorf("read %q: header names column %q twice", path, h)
		}
		seen[h] = true
		s.header = append(s.header, h)
	}
	return s, nil
}

func (s *csvSource) prepare(b *decode.Batch, inputs []string) error {
	for _, in := range inputs {
		b.AddInput(in, schema.TypeString)
	}
	s.dec = decode.NewCSVDecoder(b, s.header, s.opts)
	return nil
}

func (s *csvSource) fill(b *decode.Batch, reject rejectFunc) error {
	if s.header == nil {
		return io.EOF
	}
	for !b.Full() {
		line, err := s.lr.next()
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return fmt.Errorf("read %q: %w", s.path, err)
		}
		start := s.lr.line
		rec := decode.TrimEOL(line)
		if len(rec) == 0 {
			continue // commons-csv skips empty lines too
		}
		err = s.dec.Decode(start, rec)
		for err == decode.ErrUnterminatedQuote {
			// The record goes on: a quoted field holds a line break.
			s.multi = append(s.multi[:0], line...)
			for err == decode.ErrUnterminatedQuote {
				more, rerr := s.lr.next()
				if rerr == io.EOF {
					err = &decode.Error{Reason: decode.ReasonMalformedCSV, Err: errors.New("unterminated quoted field at the end of the file")}
					break
				}
				if rerr != nil {
					return fmt.Errorf("read %q: %w", s.path, rerr)
				}
				s.multi = append(s.multi, more...)
				err = s.dec.Decode(start, decode.TrimEOL(s.multi))
			}
		}
		if err != nil {
			var de *decode.Error
			if !errors.As(err, &de) {
				return err
			}
			if rerr := reject(start, de); rerr != nil {
				return rerr
			}
		}
	}
	return nil
}

func (s *csvSource) bytesRead() int64 { return s.lr.cr.n }
func (s *csvSource) rowUnit() bool    { return false }
func (s *csvSource) close() error     { return s.lr.close() }

// jsonSource reads a JSON lines file: one object per line, blank lines
// ignored.
type jsonSource struct {
	lr   *lineReader
	path string
	dec  *decode.JSONDecoder
}

func openJSON(path string, gzipped bool) (*jsonSource, error) {
	lr, err := openLines(path, gzipped)
	if err != nil {
		return nil, err
	}
	return &jsonSource{lr: lr, path: path}, nil
}

func (s *jsonSource) prepare(b *decode.Batch, inputs []string) error {
	for _, in := range inputs {
		b.AddInput(in, schema.TypeInvalid) // typed by each value
	}
	s.dec = decode.NewJSONDecoder(b)
	return nil
}

func (s *jsonSource) fill(b *decode.Batch, reject rejectFunc) error {
	for !b.Full() {
		line, err := s.lr.next()
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return fmt.Errorf("read %q: %w", s.path, err)
		}
		if s.lr.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := s.dec.Decode(s.lr.line, line); err != nil {
			var de *decode.Error
			if !errors.As(err, &de) {
				return err
			}
			if rerr := reject(s.lr.line, de); rerr != nil {
				return rerr
			}
		}
	}
	return nil
}

func (s *jsonSource) bytesRead() int64 { return s.lr.cr.n }
func (s *jsonSource) rowUnit() bool    { return false }
func (s *jsonSource) close() error     { return s.lr.close() }
