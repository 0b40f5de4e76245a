package datagen

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// RawOptions choose how raw events are written.
type RawOptions struct {
	// TimeAsString writes creationTimestamp as "YYYY-MM-DD hh:mm:ss" (UTC),
	// as many event sources do, instead of epoch millis; ingestion then
	// needs a time-format transform (Pinot's
	// SIMPLE_DATE_FORMAT|yyyy-MM-dd HH:mm:ss).
	TimeAsString bool
	// TimeKey names the time field ("creationTimestamp" when empty), e.g.
	// "creationTime" for a table whose transform derives
	// creationTimestamp from it.
	TimeKey string
}

func (o RawOptions) timeKey() string {
	if o.TimeKey == "" {
		return "creationTimestamp"
	}
	return o.TimeKey
}

// TimeLayout is the string form of creationTimestamp in raw events.
const TimeLayout = "2006-01-02 15:04:05"

// WriteTransactionsJSON writes the rows of WebTransactions{}.Generate(seed,
// rows, ...) as JSON lines, one object per event with the schema's field
// names as keys.
func WriteTransactionsJSON(w io.Writer, seed uint64, rows int, opts RawOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	err := WebTransactions{}.Events(seed, rows, func(t *Transaction) error {
		line = append(AppendTransactionJSON(line[:0], t, opts), '\n')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// AppendTransactionJSON appends t as one JSON object, with the schema's
// field names as keys (opts chooses the time field's name and form).
func AppendTransactionJSON(line []byte, t *Transaction, opts RawOptions) []byte {
	line = append(line, `{"userID":`...)
	line = strconv.AppendQuote(line, t.UserID)
	line = append(line, `,"productName":`...)
	line = strconv.AppendQuote(line, t.ProductName)
	line = append(line, `,"color":`...)
	line = strconv.AppendQuote(line, t.Color)
	line = append(line, `,"department":`...)
	line = strconv.AppendQuote(line, t.Department)
	line = append(line, `,"product":`...)
	line = strconv.AppendQuote(line, t.Product)
	line = append(line, `,"campaign":`...)
	line = strconv.AppendQuote(line, t.Campaign)
	line = append(line, `,"price":`...)
	line = strconv.AppendFloat(line, t.Price, 'f', 2, 64)
	line = append(line, `,"`...)
	line = append(line, opts.timeKey()...)
	line = append(line, `":`...)
	if opts.TimeAsString {
		line = append(line, '"')
		line = time.UnixMilli(t.CreationTimestamp).UTC().AppendFormat(line, TimeLayout)
		line = append(line, '"')
	} else {
		line = strconv.AppendInt(line, t.CreationTimestamp, 10)
	}
	return append(line, '}')
}

// WriteTransactionsCSV writes the same events as CSV with a header line.
// No vocabulary value contains a comma, quote or newline, so fields are
// written unquoted.
func WriteTransactionsCSV(w io.Writer, seed uint64, rows int, opts RawOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("userID,productName,color,department,product,campaign,price," + opts.timeKey() + "\n"); err != nil {
		return err
	}
	var line []byte
	err := WebTransactions{}.Events(seed, rows, func(t *Transaction) error {
		line = append(line[:0], t.UserID...)
		line = append(line, ',')
		line = append(line, t.ProductName...)
		line = append(line, ',')
		line = append(line, t.Color...)
		line = append(line, ',')
		line = append(line, t.Department...)
		line = append(line, ',')
		line = append(line, t.Product...)
		line = append(line, ',')
		line = append(line, t.Campaign...)
		line = append(line, ',')
		line = strconv.AppendFloat(line, t.Price, 'f', 2, 64)
		line = append(line, ',')
		if opts.TimeAsString {
			line = time.UnixMilli(t.CreationTimestamp).UTC().AppendFormat(line, TimeLayout)
		} else {
			line = strconv.AppendInt(line, t.CreationTimestamp, 10)
		}
		line = append(line, '\n')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
