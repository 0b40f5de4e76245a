package broker

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tannin-db/tannin/query/exec"
	"github.com/tannin-db/tannin/schema"
)

// response is one answer in the shape of Pinot's BrokerResponseNative.
type response struct {
	// Result is nil when the query failed before producing one: the JSON
	// then has no resultTable, as Pinot's has none.
	Result *exec.Result
	// NullHandling keeps NULL cells as JSON null; without it they are
	// rendered as Pinot renders them without null handling (see nullValue).
	NullHandling bool
	// Schema gives the default null values of plain column results.
	Schema     *schema.Schema
	Exceptions []*queryError

	Stats                       exec.Stats
	NumServersQueried           int
	NumServersResponded         int
	NumConsumingSegmentsQueried int64
	NumSegmentsPrunedByBroker   int
	TimeUsedMs                  int64
	BrokerReduceTimeMs          int64
	RequestID                   string
	BrokerID                    string
	TraceInfo                   map[string]string
	TablesQueried               []string
}

// partial reports Pinot's partialResult: any exception, or the group limit
// reached (BrokerResponseNative.isPartialResult).
func (r *response) partial() bool {
	return len(r.Exceptions) > 0 || r.Stats.NumGroupsLimitReached
}

// errorCode is the X-Pinot-Error-Code header: the first exception's code,
// or -1.
func (r *response) errorCode() int {
	if len(r.Exceptions) == 0 {
		return -1
	}
	return r.Exceptions[0].Code
}

// appendJSON appends the response's JSON, keys in the order of Pinot's
// BrokerResponseNative, values encoded as Pinot encodes them (see
// appendValue). It does not reflect over cells: the hot path of a small
// answer is a few appends.
func (r *response) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if res := r.Result; res != nil {
		b = r.appendResultTable(b, res)
		b = append(b, ',')
	}
	rows := 0
	if r.Result != nil {
		rows = len(r.Result.Rows)
	}
	st := &r.Stats
	b = appendIntField(b, "numRowsResultSet", int64(rows), false)
	b = appendBoolField(b, "partialResult", r.partial())
	b = append(b, `,"exceptions":[`...)
	for i, e := range r.Exceptions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"errorCode":`...)
		b = strconv.AppendInt(b, int64(e.Code), 10)
		b = append(b, `,"message":`...)
		b = appendString(b, e.Msg)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendBoolField(b, "numGroupsLimitReached", st.NumGroupsLimitReached)
	b = appendBoolField(b, "numGroupsWarningLimitReached", false)
	b = appendBoolField(b, "maxRowsInDistinctReached", false)
	b = appendBoolField(b, "maxRowsWithoutChangeInDistinctReached", false)
	b = appendBoolField(b, "maxExecutionTimeInDistinctReached", false)
	b = appendIntField(b, "timeUsedMs", r.TimeUsedMs, true)
	b = append(b, `,"requestId":`...)
	b = appendString(b, r.RequestID)
	b = append(b, `,"brokerId":`...)
	b = appendString(b, r.BrokerID)
	b = appendIntField(b, "numDocsScanned", st.NumDocsScanned, true)
	b = appendIntField(b, "totalDocs", st.TotalDocs, true)
	b = appendIntField(b, "numEntriesScannedInFilter", st.NumEntriesScannedInFilter, true)
	b = appendIntField(b, "numEntriesScannedPostFilter", st.NumEntriesScannedPostFilter, true)
	b = appendIntField(b, "numServersQueried", int64(r.NumServersQueried), true)
	b = appendIntField(b, "numServersResponded", int64(r.NumServersResponded), true)
	b = appendIntField(b, "numSegmentsQueried", int64(st.NumSegmentsQueried), true)
	b = appendIntField(b, "numSegmentsProcessed", int64(st.NumSegmentsProcessed), true)
	b = appendIntField(b, "numSegmentsMatched", int64(st.NumSegmentsMatched), true)
	b = appendIntField(b, "numConsumingSegmentsQueried", r.NumConsumingSegmentsQueried, true)
	b = appendIntField(b, "numConsumingSegmentsProcessed", 0, true)
	b = appendIntField(b, "numConsumingSegmentsMatched", 0, true)
	b = appendIntField(b, "minConsumingFreshnessTimeMs", 0, true)
	b = appendIntField(b, "numSegmentsPrunedByBroker", int64(r.NumSegmentsPrunedByBroker), true)
	b = appendIntField(b, "numSegmentsPrunedByServer", int64(max(st.NumSegmentsQueried-st.NumSegmentsProcessed, 0)), true)
	for _, k := range [...]string{
		"numSegmentsPrunedInvalid", "numSegmentsPrunedByLimit", "numSegmentsPrunedByValue",
	} {
		b = appendIntField(b, k, 0, true)
	}
	b = appendIntField(b, "brokerReduceTimeMs", r.BrokerReduceTimeMs, true)
	for _, k := range [...]string{
		"offlineThreadCpuTimeNs", "realtimeThreadCpuTimeNs",
		"offlineSystemActivitiesCpuTimeNs", "realtimeSystemActivitiesCpuTimeNs",
		"offlineResponseSerializationCpuTimeNs", "realtimeResponseSerializationCpuTimeNs",
		"offlineTotalCpuTimeNs", "realtimeTotalCpuTimeNs",
		"explainPlanNumEmptyFilterSegments", "explainPlanNumMatchAllFilterSegments",
	} {
		b = appendIntField(b, k, 0, true)
	}
	b = append(b, `,"traceInfo":{`...)
	keys := make([]string, 0, len(r.TraceInfo))
	for k := range r.TraceInfo {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, r.TraceInfo[k])
	}
	b = append(b, `},"tablesQueried":[`...)
	for i, t := range r.TablesQueried {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, t)
	}
	b = append(b, `],"groupsTrimmed":false}`...)
	return b
}

func appendIntField(b []byte, key string, v int64, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `":`...)
	return strconv.AppendInt(b, v, 10)
}

func appendBoolField(b []byte, key string, v bool) []byte {
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return strconv.AppendBool(b, v)
}

func (r *response) appendResultTable(b []byte, res *exec.Result) []byte {
	b = append(b, `"resultTable":{"dataSchema":{"columnNames":[`...)
	for i, c := range res.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c)
	}
	b = append(b, `],"columnDataTypes":[`...)
	for i, t := range res.Types {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, pinotTypeName(t, isMV(res, i))...)
		b = append(b, '"')
	}
	b = append(b, `]},"rows":[`...)
	var nulls []nullFill
	for ri, row := range res.Rows {
		if ri > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for ci, v := range row {
			if ci > 0 {
				b = append(b, ',')
			}
			if v == nil && !r.NullHandling {
				if nulls == nil {
					nulls = nullFills(res, r.Schema)
				}
				b = nulls[ci].appendTo(b)
				continue
			}
			b = appendValue(b, v, res.Types[ci])
		}
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

func isMV(res *exec.Result, i int) bool { return i < len(res.MultiValue) && res.MultiValue[i] }

// pinotTypeName is Pinot's columnDataTypes name: the type's name, with
// _ARRAY for multi-value columns.
func pinotTypeName(t schema.DataType, mv bool) string {
	if mv {
		return t.String() + "_ARRAY"
	}
	return t.String()
}

// appendValue encodes one cell as Pinot's broker does (DataSchema
// ColumnDataType.format, then Jackson): numbers as JSON numbers (doubles
// and floats in Java's Double.toString / Float.toString form, non-finite
// ones as the strings "NaN", "Infinity", "-Infinity"), BOOLEAN as true or
// false, TIMESTAMP as java.sql.Timestamp's text "yyyy-MM-dd HH:mm:ss.S" in
// UTC, BYTES as lowercase hex, BIG_DECIMAL, STRING and JSON as strings,
// multi-value cells as arrays, NULL as null.
func appendValue(b []byte, v any, t schema.DataType) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return appendInt(b, x, t)
	case float64:
		return appendFloat(b, x, t)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		if t == schema.TypeBytes {
			return appendHex(b, x)
		}
		return appendString(b, x)
	case []byte:
		return appendHex(b, string(x))
	case []int64:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, e, t)
		}
		return append(b, ']')
	case []float64:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, e, t)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if t == schema.TypeBytes {
				b = appendHex(b, e)
			} else {
				b = appendString(b, e)
			}
		}
		return append(b, ']')
	}
	// Not a type exec.Result documents: render its text rather than fail.
	return appendString(b, "unsupported value")
}

func appendInt(b []byte, x int64, t schema.DataType) []byte {
	switch t {
	case schema.TypeTimestamp:
		b = append(b, '"')
		b = appendTimestamp(b, x)
		return append(b, '"')
	case schema.TypeBoolean:
		return strconv.AppendBool(b, x != 0)
	case schema.TypeFloat, schema.TypeDouble:
		return appendFloat(b, float64(x), t)
	}
	return strconv.AppendInt(b, x, 10)
}

func appendFloat(b []byte, x float64, t schema.DataType) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(x, -1):
		return append(b, `"-Infinity"`...)
	}
	switch t {
	case schema.TypeInt, schema.TypeLong:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return strconv.AppendInt(b, int64(x), 10)
		}
	case schema.TypeFloat:
		return appendJavaFloat(b, x, 32)
	}
	return appendJavaFloat(b, x, 64)
}

// appendJavaFloat formats x as Java's Double.toString (bits 64) or
// Float.toString (bits 32) do: the shortest digits that read back to the
// same value, in plain notation with at least one fractional digit for
// 1e-3 <= |x| < 1e7, else as d.dddE±n.
func appendJavaFloat(b []byte, x float64, bits int) []byte {
	if x == 0 {
		if math.Signbit(x) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if ax := math.Abs(x); ax >= 1e-3 && ax < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, x, 'f', -1, bits)
		for _, c := range b[start:] {
			if c == '.' {
				return b
			}
		}
		return append(b, ".0"...)
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], x, 'e', -1, bits)
	// s is like "-1.2345e+07" or "1e-05".
	mant, exp, _ := strings.Cut(string(s), "e")
	b = append(b, mant...)
	if !strings.Contains(mant, ".") {
		b = append(b, ".0"...)
	}
	b = append(b, 'E')
	if exp[0] == '-' {
		b = append(b, '-')
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return append(b, exp...)
}

// appendTimestamp writes epoch millis as java.sql.Timestamp.toString in
// UTC: "2024-11-23 09:15:00.0", the fraction without trailing zeros.
func appendTimestamp(b []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	frac := ms % 1000
	if frac < 0 {
		frac += 1000
	}
	b = append(b, '.')
	d := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for n > 1 && d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		b = append(b, hexDigits[s[i]>>4], hexDigits[s[i]&15])
	}
	return append(b, '"')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// HTML characters are not escaped (Jackson does not escape them either).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// nullFill is the JSON a NULL cell of one column becomes without null
// handling.
type nullFill []byte

func (n nullFill) appendTo(b []byte) []byte { return append(b, n...) }

// nullFills computes, per result column, what Pinot shows for a NULL
// without null handling: a column of the schema shows its default null
// value (what Pinot stores in place of a null: Integer.MIN_VALUE for an INT
// dimension, 0 for a metric, "null" for a string, …; a multi-value column
// shows an array of that one value); any other expression shows the null
// placeholder of its type (Pinot's ColumnDataType.getNullPlaceholder: 0,
// 0.0, "", false, epoch 0, empty bytes, empty arrays).
func nullFills(res *exec.Result, sch *schema.Schema) []nullFill {
	out := make([]nullFill, len(res.Columns))
	for i, name := range res.Columns {
		t, mv := res.Types[i], isMV(res, i)
		var v any
		if sch != nil {
			if f := sch.Field(name); f != nil && f.DataType == t && f.SingleValue == !mv && f.DefaultNull != nil {
				v = f.DefaultNull
			}
		}
		if v == nil && !mv {
			switch t.Storage() {
			case schema.StorageInt64:
				v = int64(0)
			case schema.StorageFloat64:
				v = float64(0)
			default:
				v = ""
			}
			if t == schema.TypeBigDecimal {
				v = "0"
			}
		}
		var b []byte
		switch x := v.(type) {
		case nil: // multi-value expression: empty array
			b = append(b, "[]"...)
		case int64, float64, string:
			if mv {
				b = append(b, '[')
			}
			b = appendValue(b, x, t)
			if mv {
				b = append(b, ']')
			}
		default:
			b = append(b, "null"...)
		}
		out[i] = b
	}
	return out
}
