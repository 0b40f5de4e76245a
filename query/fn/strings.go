package fn

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

func stringSpecs() []*spec {
	return []*spec{
		{names: []string{"upper", "ucase"}, min: 1, max: 1, bind: bindStrMap(strings.ToUpper)},
		{names: []string{"lower", "lcase"}, min: 1, max: 1, bind: bindStrMap(strings.ToLower)},
		{names: []string{"reverse"}, min: 1, max: 1, bind: bindStrMap(reverseRunes)},
		{names: []string{"concat"}, min: 1, max: -1, nullAware: true, bind: bindConcat},
		{names: []string{"substring"}, min: 2, max: 3, bind: bindSubstring},
		{names: []string{"substr"}, min: 2, max: 3, bind: bindSubstr},
		{names: []string{"length", "len", "char_length", "character_length", "charlength"}, min: 1, max: 1, bind: bindLength(false)},
		{names: []string{"octet_length", "octetlength"}, min: 1, max: 1, bind: bindLength(true)},
		{names: []string{"trim", "btrim"}, min: 1, max: 3, bind: bindTrim(trimBoth)},
		{names: []string{"ltrim"}, min: 1, max: 2, bind: bindTrim(trimLeading)},
		{names: []string{"rtrim"}, min: 1, max: 2, bind: bindTrim(trimTrailing)},
		{names: []string{"replace"}, min: 3, max: 3, bind: bindReplace},
		{names: []string{"strpos"}, min: 2, max: 3, bind: bindStrpos},
		{names: []string{"position"}, min: 2, max: 2, bind: bindPosition(true)},
		{names: []string{"instr"}, min: 2, max: 2, bind: bindPosition(false)},
		{names: []string{"startswith", "starts_with"}, min: 2, max: 2, bind: bindStrPred(strings.HasPrefix)},
		{names: []string{"endswith", "ends_with"}, min: 2, max: 2, bind: bindStrPred(strings.HasSuffix)},
		{names: []string{"contains"}, min: 2, max: 2, bind: bindStrPred(strings.Contains)},
		{names: []string{"lpad"}, min: 2, max: 3, bind: bindPad(true)},
		{names: []string{"rpad"}, min: 2, max: 3, bind: bindPad(false)},
		{names: []string{"left", "leftsubstr"}, min: 2, max: 2, bind: bindLeftRight(true)},
		{names: []string{"right", "rightsubstr"}, min: 2, max: 2, bind: bindLeftRight(false)},
		{names: []string{"split_part", "splitpart"}, min: 3, max: 3, bind: bindSplitPart},
		{names: []string{"regexp_extract", "regexpextract"}, min: 2, max: 4, bind: bindRegexpExtract},
		{names: []string{"regexp_replace", "regexpreplace"}, min: 3, max: 6, bind: bindRegexpReplace},
		{names: []string{"regexp_like", "regexplike", "regexp_matches"}, min: 2, max: 3, bind: bindRegexpLike},
		{names: []string{"md5"}, min: 1, max: 1, bind: bindHash(md5.New)},
		{names: []string{"sha", "sha1"}, min: 1, max: 1, bind: bindHash(sha1.New)},
		{names: []string{"sha256"}, min: 1, max: 1, bind: bindHash(sha256.New)},
		{names: []string{"sha512"}, min: 1, max: 1, bind: bindHash(sha512.New)},
		{names: []string{"to_utf8", "toutf8"}, min: 1, max: 1, bind: bindRetype(schema.TypeString, schema.TypeBytes)},
		{names: []string{"from_utf8", "fromutf8"}, min: 1, max: 1, bind: bindRetype(schema.TypeBytes, schema.TypeString)},
		{names: []string{"coalesce"}, min: 1, max: -1, nullAware: true, bind: bindCoalesce},
		{names: []string{"ifnull", "nvl"}, min: 2, max: 2, nullAware: true, bind: bindCoalesce},
		{names: []string{"nullif"}, min: 2, max: 2, nullAware: true, bind: bindNullIf},
	}
}

// strKernel evaluates a STRING-valued function row by row over the rows
// that are not null.
func strKernel(rt schema.DataType, row func(args []*vec.Vector, i int) string) func([]*vec.Vector, int, *vec.Vector) error {
	return func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, rt, n, args)
		o := out.Str[:n]
		for i := range o {
			if nulls != nil && nulls[i] {
				o[i] = ""
				continue
			}
			o[i] = row(args, i)
		}
		return nil
	}
}

// intKernel evaluates an integer-valued (INT, LONG, BOOLEAN) function row
// by row.
func intKernel(rt schema.DataType, row func(args []*vec.Vector, i int) int64) func([]*vec.Vector, int, *vec.Vector) error {
	return func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, rt, n, args)
		o := out.I64[:n]
		for i := range o {
			if nulls != nil && nulls[i] {
				o[i] = 0
				continue
			}
			o[i] = row(args, i)
		}
		return nil
	}
}

func bindStrMap(f func(string) string) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needString(0); err != nil {
			return nil, err
		}
		return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeString, n, args)
			in, o := args[0].Str[:n], out.Str[:n]
			for i, s := range in {
				o[i] = f(s)
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

func reverseRunes(s string) string {
	if len(s) < 2 {
		return s
	}
	b := make([]byte, len(s))
	j := len(b)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			j--
			b[j] = c
			i++
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		j -= w
		copy(b[j:], s[i:i+w])
		i += w
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// bindConcat concatenates any number of arguments of any type (rendered
// as cast to STRING does); null arguments are skipped as in DuckDB and
// PostgreSQL, the result is never null.
func bindConcat(c *call) (*Func, error) {
	skip := make([]bool, len(c.args))
	for i := range c.args {
		skip[i] = c.isNullConst(i)
	}
	return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		out.Reset(schema.TypeString, n)
		o := out.Str[:n]
		var small [128]byte
		for i := range o {
			b := small[:0]
			for j, a := range args {
				if skip[j] || a.IsNull(i) {
					continue
				}
				b = appendValue(b, a, i)
			}
			o[i] = string(b)
		}
		return nil
	}}, nil
}

// runeRange returns s[from:to] with from and to counted in code points and
// clamped to the string.
func runeRange(s string, from, to int) string {
	if from < 0 {
		from = 0
	}
	if to <= from {
		return ""
	}
	if isASCII(s) {
		if from >= len(s) {
			return ""
		}
		return s[from:min(to, len(s))]
	}
	bfrom, bto := -1, len(s)
	k := 0
	for bi := range s {
		if k == from {
			bfrom = bi
		}
		if k == to {
			bto = bi
			break
		}
		k++
	}
	if bfrom < 0 {
		return ""
	}
	return s[bfrom:bto]
}

// isASCII tests eight bytes at a time: runeLen over long URLs is a hot
// loop of LENGTH().
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func runeLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// intArg returns a per-row reader for integer argument i: a constant when
// the argument is constant.
func intArg(c *call, i int) (func(args []*vec.Vector, row int) int64, error) {
	if err := c.needInteger(i); err != nil {
		return nil, err
	}
	if c.args[i].Const != nil {
		v, err := c.constInt(i, "integer")
		if err != nil {
			return nil, err
		}
		return func([]*vec.Vector, int) int64 { return v }, nil
	}
	return func(args []*vec.Vector, row int) int64 { return intAt(args[i], row) }, nil
}

// clampInt converts to int, saturating (positions far outside any string).
func clampInt(v int64) int {
	const lim = 1 << 40
	if v > lim {
		return lim
	}
	if v < -lim {
		return -lim
	}
	return int(v)
}

// bindSubstring is SQL's substring(s, start[, length]), 1-based, with
// DuckDB's reading of a negative start (from the end).
func bindSubstring(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	start, err := intArg(c, 1)
	if err != nil {
		return nil, err
	}
	if len(c.args) == 2 {
		return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
			return sqlSubstring(args[0].Str[i], clampInt(start(args, i)), 1<<41, false)
		})}, nil
	}
	length, err := intArg(c, 2)
	if err != nil {
		return nil, err
	}
	return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
		return sqlSubstring(args[0].Str[i], clampInt(start(args, i)), clampInt(length(args, i)), true)
	})}, nil
}

func sqlSubstring(s string, start, length int, hasLen bool) string {
	if hasLen && length <= 0 {
		return ""
	}
	var from int
	switch {
	case start > 0:
		from = start - 1
	case start == 0:
		from = -1 // position 0 is before the first character
	default:
		from = runeLen(s) + start
		if from < 0 {
			// DuckDB: a start before the beginning still counts length
			// from there.
		}
	}
	to := from + length
	if !hasLen {
		to = 1 << 41
	}
	return runeRange(s, from, to)
}

// bindSubstr is Pinot's substr(s, begin[, end]): 0-based, end exclusive,
// -1 meaning the end, other negatives counting from the end.
func bindSubstr(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	begin, err := intArg(c, 1)
	if err != nil {
		return nil, err
	}
	end := func([]*vec.Vector, int) int64 { return -1 }
	if len(c.args) == 3 {
		if end, err = intArg(c, 2); err != nil {
			return nil, err
		}
	}
	return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
		s := args[0].Str[i]
		b, e := clampInt(begin(args, i)), clampInt(end(args, i))
		n := runeLen(s)
		if e == -1 {
			e = n
		}
		if e < 0 {
			e += n
		}
		if b < 0 {
			b += n
		}
		if e > n {
			e = n
		}
		return runeRange(s, max(b, 0), e)
	})}, nil
}

func bindLength(octets bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needString(0); err != nil {
			if c.typ(0) != schema.TypeBytes {
				return nil, err
			}
		}
		return &Func{Type: schema.TypeInt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeInt, n, args)
			in, o := args[0].Str[:n], out.I64[:n]
			for i, s := range in {
				if octets || args[0].Type == schema.TypeBytes {
					o[i] = int64(len(s))
				} else {
					o[i] = int64(runeLen(s))
				}
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

type trimMode uint8

const (
	trimBoth trimMode = iota
	trimLeading
	trimTrailing
)

// bindTrim: trim(s) removes characters <= ' ' (Java's String.trim), ltrim
// and rtrim(s) remove whitespace (Pinot's \s regex); trim(s, chars),
// ltrim(s, chars), rtrim(s, chars) remove any of chars (DuckDB); Pinot's
// SQL form trim('BOTH'|'LEADING'|'TRAILING', chars, s) is accepted too.
func bindTrim(mode trimMode) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needStrings(0); err != nil {
			return nil, err
		}
		src, set := 0, -1
		var cutset func(rune) bool
		switch len(c.args) {
		case 1:
			if mode == trimBoth {
				cutset = func(r rune) bool { return r <= ' ' }
			} else {
				cutset = func(r rune) bool {
					return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
				}
			}
		case 2:
			set = 1
		case 3:
			where, err := c.constString(0, "BOTH, LEADING or TRAILING")
			if err != nil {
				return nil, err
			}
			switch strings.ToUpper(where) {
			case "BOTH":
				mode = trimBoth
			case "LEADING":
				mode = trimLeading
			case "TRAILING":
				mode = trimTrailing
			default:
				return nil, c.errorf("argument 1 must be BOTH, LEADING or TRAILING, got %q", where)
			}
			src, set = 2, 1
		}
		return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
			s := args[src].Str[i]
			if set >= 0 {
				chars := args[set].Str[i]
				switch mode {
				case trimLeading:
					return strings.TrimLeft(s, chars)
				case trimTrailing:
					return strings.TrimRight(s, chars)
				}
				return strings.Trim(s, chars)
			}
			switch mode {
			case trimLeading:
				return strings.TrimLeftFunc(s, cutset)
			case trimTrailing:
				return strings.TrimRightFunc(s, cutset)
			}
			return strings.TrimFunc(s, cutset)
		})}, nil
	}
}

func bindReplace(c *call) (*Func, error) {
	if err := c.needStrings(0); err != nil {
		return nil, err
	}
	return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
		s, find := args[0].Str[i], args[1].Str[i]
		if find == "" {
			return s
		}
		return strings.ReplaceAll(s, find, args[2].Str[i])
	})}, nil
}

// bindStrpos is Pinot's strpos(s, find[, instance]): the 0-based code point
// index of the instance-th (1-based, overlapping) occurrence, -1 if absent.
func bindStrpos(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	if err := c.needString(1); err != nil {
		return nil, err
	}
	inst := func([]*vec.Vector, int) int64 { return 1 }
	if len(c.args) == 3 {
		var err error
		if inst, err = intArg(c, 2); err != nil {
			return nil, err
		}
	}
	return &Func{Type: schema.TypeInt, Eval: intKernel(schema.TypeInt, func(args []*vec.Vector, i int) int64 {
		s, find := args[0].Str[i], args[1].Str[i]
		k := inst(args, i)
		if k <= 0 {
			return -1
		}
		b := -1
		for ; k > 0; k-- {
			j := strings.Index(s[b+1:], find)
			if j < 0 {
				return -1
			}
			b += 1 + j
			if find == "" {
				break
			}
		}
		return int64(runeLen(s[:b]))
	})}, nil
}

// bindPosition is SQL's 1-based position(needle, haystack) (POSITION(needle
// IN haystack)) or instr(haystack, needle); 0 when absent.
func bindPosition(needleFirst bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needStrings(0); err != nil {
			return nil, err
		}
		hay, needle := 1, 0
		if !needleFirst {
			hay, needle = 0, 1
		}
		return &Func{Type: schema.TypeInt, Eval: intKernel(schema.TypeInt, func(args []*vec.Vector, i int) int64 {
			s := args[hay].Str[i]
			j := strings.Index(s, args[needle].Str[i])
			if j < 0 {
				return 0
			}
			return int64(runeLen(s[:j])) + 1
		})}, nil
	}
}

func bindStrPred(f func(s, sub string) bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needStrings(0); err != nil {
			return nil, err
		}
		return &Func{Type: schema.TypeBoolean, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeBoolean, n, args)
			a, b, o := args[0].Str[:n], args[1].Str[:n], out.I64[:n]
			for i, s := range a {
				o[i] = b2i(f(s, b[i]))
			}
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

// bindPad is commons-lang leftPad / rightPad: pads to size code points with
// pad (a space when empty or absent), never truncates.
func bindPad(left bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needString(0); err != nil {
			return nil, err
		}
		size, err := intArg(c, 1)
		if err != nil {
			return nil, err
		}
		padArg := -1
		if len(c.args) == 3 {
			if err := c.needString(2); err != nil {
				return nil, err
			}
			padArg = 2
		}
		return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
			s := args[0].Str[i]
			pad := " "
			if padArg >= 0 && args[padArg].Str[i] != "" {
				pad = args[padArg].Str[i]
			}
			return padString(s, clampInt(size(args, i)), pad, left)
		})}, nil
	}
}

func padString(s string, size int, pad string, left bool) string {
	n := runeLen(s)
	if size <= n || size > 1<<24 {
		return s
	}
	need := size - n
	var b strings.Builder
	b.Grow(len(s) + need*len(pad))
	if !left {
		b.WriteString(s)
	}
	for need > 0 {
		for _, r := range pad {
			if need == 0 {
				break
			}
			b.WriteRune(r)
			need--
		}
	}
	if left {
		b.WriteString(s)
	}
	return b.String()
}

func bindLeftRight(left bool) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needString(0); err != nil {
			return nil, err
		}
		length, err := intArg(c, 1)
		if err != nil {
			return nil, err
		}
		return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
			s := args[0].Str[i]
			k := clampInt(length(args, i))
			if k <= 0 {
				return ""
			}
			if left {
				return runeRange(s, 0, k)
			}
			n := runeLen(s)
			if k >= n {
				return s
			}
			return runeRange(s, n-k, n)
		})}, nil
	}
}

// bindSplitPart is Pinot's splitPart(s, delim, index).
func bindSplitPart(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	if err := c.needString(1); err != nil {
		return nil, err
	}
	index, err := intArg(c, 2)
	if err != nil {
		return nil, err
	}
	return &Func{Type: schema.TypeString, Eval: strKernel(schema.TypeString, func(args []*vec.Vector, i int) string {
		return splitPart(args[0].Str[i], args[1].Str[i], index(args, i))
	})}, nil
}

// splitPart returns field index (0-based; negative from the end) of s
// split on delim, leading delimiters skipped and runs collapsed, or the
// string "null" when there is no such field.
func splitPart(s, delim string, index int64) string {
	if delim == "" {
		f := strings.Fields(s)
		if index < 0 {
			index += int64(len(f))
		}
		if index < 0 || index >= int64(len(f)) {
			return "null"
		}
		return f[index]
	}
	if s == "" {
		return "null"
	}
	dl := len(delim)
	start := 0
	for strings.HasPrefix(s[start:], delim) {
		start += dl
	}
	skipRun := func(p int) int {
		for p < len(s) && strings.HasPrefix(s[p:], delim) {
			p += dl
		}
		return p
	}
	if index < 0 {
		total := int64(0)
		for p := start; ; {
			total++
			j := strings.Index(s[p:], delim)
			if j < 0 {
				break
			}
			p = skipRun(p + j + dl)
		}
		index += total
		if index < 0 {
			return "null"
		}
	}
	for k := int64(0); k < index; k++ {
		j := strings.Index(s[start:], delim)
		if j < 0 {
			return "null"
		}
		start = skipRun(start + j + dl)
	}
	if j := strings.Index(s[start:], delim); j >= 0 {
		return s[start : start+j]
	}
	return s[start:]
}

func bindHash(h func() hash.Hash) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		if err := c.needString(0); err != nil && c.typ(0) != schema.TypeBytes {
			return nil, err
		}
		return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, schema.TypeString, n, args)
			hh := h()
			var sum [64]byte
			var hexBuf [128]byte
			in, o := args[0].Str[:n], out.Str[:n]
			for i, s := range in {
				if nulls != nil && nulls[i] {
					o[i] = ""
					continue
				}
				hh.Reset()
				hh.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
				d := hh.Sum(sum[:0])
				hex.Encode(hexBuf[:], d)
				o[i] = string(hexBuf[:2*len(d)])
			}
			return nil
		}}, nil
	}
}

// bindRetype reinterprets the bytes of a string as BYTES or back.
func bindRetype(from, to schema.DataType) func(c *call) (*Func, error) {
	return func(c *call) (*Func, error) {
		t := c.typ(0)
		ok := t == from || (from == schema.TypeString && isStringType(t)) || c.isNullConst(0)
		if !ok {
			if from == schema.TypeString {
				return nil, c.errorf("argument 1 must be a string, got %s", t)
			}
			return nil, c.errorf("argument 1 must be BYTES, got %s", t)
		}
		return &Func{Type: to, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
			nulls := begin(out, to, n, args)
			copy(out.Str[:n], args[0].Str[:n])
			zeroNulls(out, nulls)
			return nil
		}}, nil
	}
}

// commonType is the type coalesce-like functions return for args: their
// type when they agree, LONG for mixed whole numbers, DOUBLE for mixed
// numbers, STRING for strings.
func commonType(c *call) (schema.DataType, []bool, error) {
	var rt schema.DataType
	mixed := false
	allInt, allNum, allStr := true, true, true
	skip := make([]bool, len(c.args))
	for i := range c.args {
		if c.isNullConst(i) {
			skip[i] = true
			continue
		}
		t := c.typ(i)
		allInt = allInt && isIntType(t)
		allNum = allNum && isNumType(t) && t != schema.TypeBigDecimal
		allStr = allStr && isStringType(t)
		if rt == schema.TypeInvalid {
			rt = t
		} else if rt != t {
			mixed = true
		}
	}
	switch {
	case rt == schema.TypeInvalid:
		return schema.TypeString, skip, nil
	case !mixed:
		return rt, skip, nil
	case allInt:
		return schema.TypeLong, skip, nil
	case allNum:
		return schema.TypeDouble, skip, nil
	case allStr:
		return schema.TypeString, skip, nil
	}
	return 0, nil, c.errorf("arguments must be of one type family (numbers or strings), got %s", typeList(c.args))
}

func typeList(args []Arg) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		if a.Const != nil && a.Const.Null {
			b.WriteString("NULL")
		} else {
			b.WriteString(a.Type.String())
		}
	}
	return b.String()
}

// bindCoalesce returns the first non-null argument of each row.
func bindCoalesce(c *call) (*Func, error) {
	rt, skip, err := commonType(c)
	if err != nil {
		return nil, err
	}
	return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		buf := out.Nulls
		out.Reset(rt, n)
		pending := fillBools(buf, n, true) // rows still null
		left := n
		for j, a := range args {
			if skip[j] || left == 0 {
				continue
			}
			for i := 0; i < n; i++ {
				if !pending[i] || a.IsNull(i) {
					continue
				}
				switch rt.Storage() {
				case schema.StorageInt64:
					out.I64[i] = a.I64[i]
				case schema.StorageFloat64:
					if a.Type.Storage() == schema.StorageInt64 {
						out.F64[i] = float64(a.I64[i])
					} else {
						out.F64[i] = a.F64[i]
					}
				default:
					out.Str[i] = a.Str[i]
				}
				pending[i] = false
				left--
			}
		}
		if left > 0 {
			out.Nulls = pending
			zeroNulls(out, pending)
		}
		return nil
	}}, nil
}

// bindNullIf returns a, or null where a equals b.
func bindNullIf(c *call) (*Func, error) {
	if c.isNullConst(0) {
		return allNull("nullif", schema.TypeString), nil
	}
	rt := c.typ(0)
	if !c.isNullConst(1) {
		t1 := c.typ(1)
		same := rt.Storage() == t1.Storage() ||
			(isNumType(rt) && isNumType(t1) && rt != schema.TypeBigDecimal && t1 != schema.TypeBigDecimal)
		if !same {
			return nil, c.errorf("cannot compare %s with %s", rt, t1)
		}
	}
	bNull := c.isNullConst(1)
	return &Func{Type: rt, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		a, b := args[0], args[1]
		buf := out.Nulls
		out.Reset(rt, n)
		var nulls []bool
		for i := 0; i < n; i++ {
			isNull := a.IsNull(i)
			if !isNull && !bNull && !b.IsNull(i) {
				isNull = equalAt(a, b, i)
			}
			if isNull {
				if nulls == nil {
					nulls = fillBools(buf, n, false)
				}
				nulls[i] = true
			}
			switch rt.Storage() {
			case schema.StorageInt64:
				out.I64[i] = a.I64[i]
			case schema.StorageFloat64:
				out.F64[i] = a.F64[i]
			default:
				out.Str[i] = a.Str[i]
			}
		}
		out.Nulls = nulls
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

func equalAt(a, b *vec.Vector, i int) bool {
	sa, sb := a.Type.Storage(), b.Type.Storage()
	switch {
	case sa == schema.StorageInt64 && sb == schema.StorageInt64:
		return a.I64[i] == b.I64[i]
	case sa == schema.StorageInt64 && sb == schema.StorageFloat64:
		return float64(a.I64[i]) == b.F64[i]
	case sa == schema.StorageFloat64 && sb == schema.StorageInt64:
		return a.F64[i] == float64(b.I64[i])
	case sa == schema.StorageFloat64:
		return a.F64[i] == b.F64[i]
	}
	return a.Str[i] == b.Str[i]
}
