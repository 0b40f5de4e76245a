package stream

import (
	"fmt"
	"strconv"
)

// Position is an offset resolved for ordering, for providers whose record
// offsets are decimal integers from 1 without leading zeros (memstream's
// sequence numbers, localstream's byte positions): Start, then AtTime
// markers by time, then record offsets by number.
type Position struct {
	Kind PositionKind
	// N is the marker's time (PosTime) or the record offset (PosRecord).
	N int64
}

// PositionKind orders the three kinds of offset.
type PositionKind uint8

const (
	PosStart PositionKind = iota
	PosTime
	PosRecord
)

// Compare orders two positions: -1, 0 or +1.
func (a Position) Compare(b Position) int {
	switch {
	case a.Kind != b.Kind:
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	case a.N < b.N:
		return -1
	case a.N > b.N:
		return 1
	}
	return 0
}

// ParseIntOffset resolves an offset of a provider with integer record
// offsets; what describes those offsets in errors ("a memstream record
// offset is a sequence number from 1").
func ParseIntOffset(o Offset, what string) (Position, error) {
	if o == Start {
		return Position{Kind: PosStart}, nil
	}
	if o[0] == '@' {
		ms, ok := ParseMarker(o)
		if !ok {
			return Position{}, fmt.Errorf("malformed offset %q: an AtTime marker is '@' and epoch milliseconds", o)
		}
		return Position{Kind: PosTime, N: ms}, nil
	}
	s := string(o)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || s[0] == '0' || s[0] == '+' {
		return Position{}, fmt.Errorf("malformed offset %q: %s", o, what)
	}
	return Position{Kind: PosRecord, N: n}, nil
}

// CompareIntOffsets is Stream.Compare for providers with integer record
// offsets.
func CompareIntOffsets(a, b Offset, what string) (int, error) {
	pa, err := ParseIntOffset(a, what)
	if err != nil {
		return 0, err
	}
	pb, err := ParseIntOffset(b, what)
	if err != nil {
		return 0, err
	}
	return pa.Compare(pb), nil
}
