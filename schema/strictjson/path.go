package strictjson

import (
	"fmt"
	"strconv"
	"strings"
)

// JoinKey appends an object key to a path. A key that is not a plain
// identifier (letters, digits, '_', '$', '-') is quoted as ["key"] so that
// SplitPath can undo the join.
func JoinKey(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends an array index to a path.
func Index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// Where renders a path for an error message: "top level" for the root,
// else "at <path>"'s argument.
func Where(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isIdentByte(c) || c == '$' || c == '-') {
			return false
		}
	}
	return true
}

// Step is one step of a path: an object key, or an array index when IsIndex.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// SplitPath parses a path made by JoinKey and Index.
func SplitPath(path string) ([]Step, error) {
	var steps []Step
	i := 0
	for i < len(path) {
		switch path[i] {
		case '.':
			if len(steps) == 0 || i+1 >= len(path) {
				return nil, fmt.Errorf("parse path %q: misplaced '.'", path)
			}
			i++
			fallthrough
		default:
			if path[i] == '[' || path[i] == '.' {
				return nil, fmt.Errorf("parse path %q: empty key", path)
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			steps = append(steps, Step{Key: path[i:j]})
			i = j
		case '[':
			end := strings.IndexByte(path[i:], ']')
			if i+1 < len(path) && path[i+1] == '"' {
				// Quoted key: find the closing quote, honouring escapes.
				q, err := strconv.QuotedPrefix(path[i+1:])
				if err != nil {
					return nil, fmt.Errorf("parse path %q: bad quoted key: %w", path, err)
				}
				key, _ := strconv.Unquote(q)
				j := i + 1 + len(q)
				if j >= len(path) || path[j] != ']' {
					return nil, fmt.Errorf("parse path %q: missing ']'", path)
				}
				steps = append(steps, Step{Key: key})
				i = j + 1
				continue
			}
			if end < 0 {
				return nil, fmt.Errorf("parse path %q: missing ']'", path)
			}
			n, err := strconv.Atoi(path[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("parse path %q: bad index %q", path, path[i+1:i+end])
			}
			steps = append(steps, Step{Index: n, IsIndex: true})
			i += end + 1
		}
	}
	return steps, nil
}
