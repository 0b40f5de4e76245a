package kinesis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tannin-db/tannin/stream"
)

type offsetKind uint8

const (
	kindStart offsetKind = iota
	kindTime
	kindRecord
)

// whole marks a position after a whole Kinesis record (no "/<i>").
const whole = -1

// position is a parsed Offset (see doc.go, Offsets).
type position struct {
	kind offsetKind
	ms   int64  // kindTime
	seq  string // kindRecord: canonical decimal sequence number
	sub  int64  // kindRecord: user records 0..sub consumed, or whole
}

// maxSeqDigits is the longest sequence number the Kinesis API allows
// (pattern 0|([1-9]\d{0,128})).
const maxSeqDigits = 129

// parseOffset parses an offset this provider produces.
func parseOffset(o stream.Offset) (position, error) {
	if ms, ok := stream.ParseMarker(o); ok {
		if o == stream.Start {
			return position{kind: kindStart}, nil
		}
		if ms < 0 {
			return position{}, fmt.Errorf("kinesis: offset %q: negative timestamp", o)
		}
		return position{kind: kindTime, ms: ms}, nil
	}
	s := string(o)
	if s[0] == '@' {
		return position{}, fmt.Errorf("kinesis: offset %q: a timestamp marker needs decimal epoch milliseconds after '@'", o)
	}
	seq, subText, hasSub := strings.Cut(s, "/")
	if err := checkSeq(seq); err != nil {
		return position{}, fmt.Errorf("kinesis: offset %q: %w", o, err)
	}
	p := position{kind: kindRecord, seq: seq, sub: whole}
	if hasSub {
		i, err := strconv.ParseInt(subText, 10, 32)
		if err != nil || i < 0 || strconv.FormatInt(i, 10) != subText {
			return position{}, fmt.Errorf("kinesis: offset %q: user record index %q: want a canonical decimal from 0 to 2147483647", o, subText)
		}
		p.sub = i
	}
	return p, nil
}

// checkSeq checks that seq is a sequence number in canonical decimal.
func checkSeq(seq string) error {
	if seq == "" {
		return fmt.Errorf("empty sequence number")
	}
	if len(seq) > maxSeqDigits {
		return fmt.Errorf("sequence number of %d digits: at most %d", len(seq), maxSeqDigits)
	}
	for i := 0; i < len(seq); i++ {
		if seq[i] < '0' || seq[i] > '9' {
			return fmt.Errorf("sequence number %q: byte %d is not a decimal digit", seq, i)
		}
	}
	if len(seq) > 1 && seq[0] == '0' {
		return fmt.Errorf("sequence number %q: leading zero", seq)
	}
	return nil
}

// compareSeq orders canonical decimals as integers: a longer one is
// larger; equal lengths compare digit by digit.
func compareSeq(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func comparePositions(a, b position) int {
	if a.kind != b.kind {
		if a.kind < b.kind {
			return -1
		}
		return 1
	}
	switch a.kind {
	case kindTime:
		return cmpInt(a.ms, b.ms)
	case kindRecord:
		if c := compareSeq(a.seq, b.seq); c != 0 {
			return c
		}
		if a.sub == b.sub {
			return 0
		}
		if a.sub == whole {
			return 1
		}
		if b.sub == whole {
			return -1
		}
		return cmpInt(a.sub, b.sub)
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareOffsets orders two offsets of one shard (Stream.Compare).
func CompareOffsets(a, b stream.Offset) (int, error) {
	pa, err := parseOffset(a)
	if err != nil {
		return 0, err
	}
	pb, err := parseOffset(b)
	if err != nil {
		return 0, err
	}
	return comparePositions(pa, pb), nil
}

// subOffset is the offset after user record i of the aggregate at seq.
func subOffset(seq string, i int) stream.Offset {
	return stream.Offset(seq + "/" + strconv.Itoa(i))
}
