package fn

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Regular expressions: java.util.regex patterns run on Go's RE2. The
// constant pattern is compiled at bind time; a varying one is compiled per
// distinct value, remembering the last. Constructs RE2 lacks
// (backreferences, lookaround, possessive quantifiers) are bind errors.

// patternArg gives the compiled pattern of argument i per row.
type patternArg struct {
	idx    int
	fixed  *regexp.Regexp
	prefix string // flags prepended to varying patterns
}

func compilePattern(c *call, i int, flags string) (patternArg, error) {
	if err := c.needString(i); err != nil {
		return patternArg{}, err
	}
	p := patternArg{idx: i, prefix: flags}
	if a := c.args[i]; a.Const != nil {
		re, err := regexp.Compile(flags + a.Const.Str)
		if err != nil {
			return p, c.errorf("invalid pattern %q: %v", a.Const.Str, err)
		}
		p.fixed = re
	}
	return p, nil
}

// regexCursor is an Eval's per-batch view of a patternArg.
type regexCursor struct {
	p    *patternArg
	last string
	re   *regexp.Regexp
}

func (rc *regexCursor) at(args []*vec.Vector, i int) (*regexp.Regexp, error) {
	if rc.p.fixed != nil {
		return rc.p.fixed, nil
	}
	src := args[rc.p.idx].Str[i]
	if rc.re == nil || src != rc.last {
		re, err := regexp.Compile(rc.p.prefix + src)
		if err != nil {
			return nil, fmt.Errorf("invalid pattern %q: %w", src, err)
		}
		rc.re, rc.last = re, src
	}
	return rc.re, nil
}

func regexFlags(c *call, i int) (string, error) {
	if i >= len(c.args) {
		return "", nil
	}
	f, err := c.constString(i, "flags")
	if err != nil {
		return "", err
	}
	switch f {
	case "", "c":
		return "", nil
	case "i":
		return "(?i)", nil
	}
	return "", c.errorf("unknown flag %q (known: i, c)", f)
}

func bindRegexpLike(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	flags, err := regexFlags(c, 2)
	if err != nil {
		return nil, err
	}
	p, err := compilePattern(c, 1, flags)
	if err != nil {
		return nil, err
	}
	name := c.name
	return &Func{Type: schema.TypeBoolean, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeBoolean, n, args)
		in, o := args[0].Str[:n], out.I64[:n]
		if p.fixed != nil {
			re := p.fixed
			for i, s := range in {
				o[i] = b2i(re.MatchString(s))
			}
		} else {
			rc := regexCursor{p: &p}
			for i, s := range in {
				if nulls != nil && nulls[i] {
					continue
				}
				re, err := rc.at(args, i)
				if err != nil {
					return fmt.Errorf("evaluate %s: %w", name, err)
				}
				o[i] = b2i(re.MatchString(s))
			}
		}
		zeroNulls(out, nulls)
		return nil
	}}, nil
}

// bindRegexpExtract is Pinot's regexpExtract(s, pattern[, group[, default]]):
// the group of the first match, default ("" when absent) when there is no
// match or no such group; null when the group did not take part.
func bindRegexpExtract(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	p, err := compilePattern(c, 1, "")
	if err != nil {
		return nil, err
	}
	group := int64(0)
	if len(c.args) >= 3 {
		if group, err = c.constInt(2, "group"); err != nil {
			return nil, err
		}
		if group < 0 {
			return nil, c.errorf("group must not be negative, got %d", group)
		}
	}
	def := ""
	if len(c.args) == 4 {
		if def, err = c.constString(3, "default"); err != nil {
			return nil, err
		}
	}
	name := c.name
	return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls, mask := beginMask(out, schema.TypeString, n, args)
		in, o := args[0].Str[:n], out.Str[:n]
		rc := regexCursor{p: &p}
		for i, s := range in {
			if nulls != nil && nulls[i] {
				o[i] = ""
				continue
			}
			re, err := rc.at(args, i)
			if err != nil {
				return fmt.Errorf("evaluate %s: %w", name, err)
			}
			if int(group) > re.NumSubexp() {
				o[i] = def
				continue
			}
			m := re.FindStringSubmatchIndex(s)
			switch {
			case m == nil:
				o[i] = def
			case m[2*group] < 0:
				o[i] = ""
				mask.set(i)
			default:
				o[i] = s[m[2*group]:m[2*group+1]]
			}
		}
		return nil
	}}, nil
}

// javaReplacement turns a java.util.regex replacement ($1, \$) into Go's
// template syntax (${1}, $$).
func javaReplacement(r string) string {
	if !strings.ContainsAny(r, `$\`) {
		return r
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		ch := r[i]
		switch {
		case ch == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case ch == '$' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		case ch == '$' && i+1 < len(r) && r[i+1] == '{':
			j := strings.IndexByte(r[i:], '}')
			if j < 0 {
				b.WriteString("$$")
				continue
			}
			b.WriteString(r[i : i+j+1])
			i += j
		case ch == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// bindRegexpReplace is Pinot's regexpReplace(s, pattern, replacement[,
// startPos[, occurrence[, flag]]]): every match from startPos (0-based) is
// replaced, or only the occurrence-th (0-based) one when occurrence >= 0,
// literally. DuckDB replaces only the first match unless given 'g'.
func bindRegexpReplace(c *call) (*Func, error) {
	if err := c.needString(0); err != nil {
		return nil, err
	}
	if err := c.needString(2); err != nil {
		return nil, err
	}
	var startPos, occurrence int64 = 0, -1
	var err error
	if len(c.args) >= 4 {
		if startPos, err = c.constInt(3, "start position"); err != nil {
			return nil, err
		}
	}
	if len(c.args) >= 5 {
		if occurrence, err = c.constInt(4, "occurrence"); err != nil {
			return nil, err
		}
	}
	flags, err := regexFlags(c, 5)
	if err != nil {
		return nil, err
	}
	p, err := compilePattern(c, 1, flags)
	if err != nil {
		return nil, err
	}
	constRepl := ""
	replConst := c.args[2].Const != nil
	if replConst {
		constRepl = javaReplacement(c.args[2].Const.Str)
	}
	name := c.name
	return &Func{Type: schema.TypeString, Eval: func(args []*vec.Vector, n int, out *vec.Vector) error {
		nulls := begin(out, schema.TypeString, n, args)
		in, o := args[0].Str[:n], out.Str[:n]
		rc := regexCursor{p: &p}
		for i, s := range in {
			if nulls != nil && nulls[i] {
				o[i] = ""
				continue
			}
			re, err := rc.at(args, i)
			if err != nil {
				return fmt.Errorf("evaluate %s: %w", name, err)
			}
			from := runeOffset(s, clampInt(startPos))
			if from < 0 {
				o[i] = s
				continue
			}
			head, tail := s[:from], s[from:]
			if occurrence >= 0 {
				lit := args[2].Str[i]
				locs := re.FindAllStringIndex(tail, clampInt(occurrence)+1)
				if int64(len(locs)) <= occurrence {
					o[i] = s
					continue
				}
				m := locs[occurrence]
				o[i] = head + tail[:m[0]] + lit + tail[m[1]:]
				continue
			}
			repl := constRepl
			if !replConst {
				repl = javaReplacement(args[2].Str[i])
			}
			r := re.ReplaceAllString(tail, repl)
			if head != "" {
				r = head + r
			}
			o[i] = r
		}
		return nil
	}}, nil
}

// runeOffset is the byte offset of code point k in s, -1 past the end.
func runeOffset(s string, k int) int {
	if k <= 0 {
		return 0
	}
	if isASCII(s) {
		if k > len(s) {
			return -1
		}
		return k
	}
	n := 0
	for bi := range s {
		if n == k {
			return bi
		}
		n++
	}
	if n == k {
		return len(s)
	}
	return -1
}
