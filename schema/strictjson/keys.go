package strictjson

import (
	"fmt"
	"strings"
)

// UnknownFieldError is an object key outside the known vocabulary.
type UnknownFieldError struct {
	Key        string
	Path       string // path of the object holding the key
	Suggestion string // nearest known key, "" when none is close
	// Hint is free text a decoder may add, such as where the key belongs.
	Hint string
}

func (e *UnknownFieldError) Error() string {
	msg := fmt.Sprintf("unknown field %q at %s", e.Key, Where(e.Path))
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// CheckKeys returns an *UnknownFieldError for the first key of obj that is in
// none of the known lists, or nil. obj must be an object.
func CheckKeys(obj *Value, path string, known ...[]string) error {
	for _, m := range obj.Members {
		if !containsAny(m.Key, known) {
			var all []string
			for _, k := range known {
				all = append(all, k...)
			}
			return &UnknownFieldError{Key: m.Key, Path: path, Suggestion: Nearest(m.Key, all)}
		}
	}
	return nil
}

func containsAny(key string, lists [][]string) bool {
	for _, l := range lists {
		for _, k := range l {
			if k == key {
				return true
			}
		}
	}
	return false
}

// Nearest returns the candidate closest to s, or "" when none is close
// enough to be a plausible misspelling. A case-insensitive match always
// wins; then the smallest optimal-string-alignment distance (edits, and
// swaps of adjacent letters), which must be at most 2, or a third of s's
// length for longer words; failing that, the shortest candidate that s
// (of 4 letters or more) begins, as "encoding" begins "encodingType".
// The first candidate wins ties.
func Nearest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", -1
	prefixOf := ""
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if lc == ls {
			return c
		}
		d := Distance(ls, lc)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
		if len(ls) >= 4 && strings.HasPrefix(lc, ls) && (prefixOf == "" || len(c) < len(prefixOf)) {
			prefixOf = c
		}
	}
	if bestD >= 0 && bestD <= max(2, len([]rune(s))/3) {
		return best
	}
	return prefixOf
}

// Distance is the optimal-string-alignment edit distance between a and b
// (insertions, deletions, substitutions and transpositions of adjacent
// characters, each costing 1), over runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: i-2, i-1, i.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
