package consumer

import (
	"errors"
	"fmt"

	"github.com/tannin-db/tannin/ingest/decode"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/stream"
	"github.com/tannin-db/tannin/stream/streamconfig"
)

// Bad-record reasons besides decode's (decode.Reason.String()).
const (
	ReasonOversized       = "oversized_record"
	ReasonMissingRequired = "missing_required_field"
)

// recordDecoder is either decoder.
type recordDecoder interface {
	Decode(pos int64, data []byte) error
}

// appender turns stream records into rows of a mutable segment: decode
// into a Batch, transforms and filter, the notNull check, append. One
// goroutine uses it at a time.
type appender struct {
	p   *Partition
	b   *decode.Batch
	dec recordDecoder
	tr  *decode.Transformer
	// required are the batch columns of notNull schema fields.
	required []int
}

func newAppender(p *Partition) (*appender, error) {
	c := &p.cfg
	b, err := decode.NewBatch(c.Schema, c.BatchRows)
	if err != nil {
		return nil, err
	}
	a := &appender{p: p, b: b, tr: p.tr}
	var inputType schema.DataType // JSON inputs are typed by each value
	if c.Decoder.Format == streamconfig.CSV {
		inputType = schema.TypeString
	}
	for _, in := range p.tr.Inputs() {
		b.AddInput(in, inputType)
	}
	switch c.Decoder.Format {
	case streamconfig.CSV:
		a.dec = decode.NewCSVDecoder(b, c.Decoder.CSVHeader, c.Decoder.CSV)
	default:
		a.dec = decode.NewJSONDecoder(b)
	}
	if err := p.tr.Check(b); err != nil {
		return nil, err
	}
	for i := range c.Schema.Fields {
		if c.Schema.Fields[i].NotNull {
			a.required = append(a.required, b.Col(c.Schema.Fields[i].Name))
		}
	}
	return a, nil
}

// appendRecords decodes recs into s, at most want rows (want > 0), and
// returns how many records it consumed: it stops after the record that
// made the want'th row, so that every replica stops at the same record.
// s.offset and s's row count advance past the consumed records.
func (a *appender) appendRecords(s *seg, recs []stream.Record, want int) (int, error) {
	b := a.b
	i := 0
	for i < len(recs) && want > 0 {
		b.Reset()
		limit := min(b.Cap(), want)
		first := i
		for i < len(recs) && b.Len() < limit {
			r := &recs[i]
			if len(r.Data) > a.p.cfg.MaxRecordBytes {
				a.p.bad(ReasonOversized, r, fmt.Sprintf("%d bytes, the limit is %d", len(r.Data), a.p.cfg.MaxRecordBytes))
				i++
				continue
			}
			data := r.Data
			if a.p.cfg.Decoder.Format == streamconfig.CSV {
				data = decode.TrimEOL(data)
			}
			if err := a.dec.Decode(int64(i), data); err != nil {
				var de *decode.Error
				switch {
				case errors.As(err, &de):
					a.p.bad(de.Reason.String(), r, de.Error())
				case errors.Is(err, decode.ErrUnterminatedQuote):
					a.p.bad(decode.ReasonMalformedCSV.String(), r, "unterminated quoted field")
				default:
					return i - first, err
				}
			}
			i++
		}
		if b.Len() > 0 {
			a.tr.Apply(b)
			for _, f := range b.Failures() {
				a.p.bad(f.Err.Reason.String(), &recs[f.Pos], f.Err.Error())
			}
			for _, col := range a.required {
				if !b.HasNulls(col) {
					continue
				}
				for row := range b.Len() {
					if b.Kept(row) && b.IsNull(col, row) {
						name := b.Column(col).Name()
						b.Fail(row, &decode.Error{Reason: decode.ReasonNone, Column: name})
						a.p.bad(ReasonMissingRequired, &recs[b.Pos(row)], fmt.Sprintf("column %q is notNull and has no value", name))
					}
				}
			}
			n := len(b.Selection())
			if err := s.mseg.Append(b); err != nil {
				return i, err
			}
			want -= n
		}
		if i > 0 {
			last := &recs[i-1]
			a.p.progress(s, last.Offset, last.ArrivalMs, a.p.cfg.Now())
		}
	}
	return i, nil
}
