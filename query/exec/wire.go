package exec

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// The wire encoding of a Partial; PARTIAL.md is its byte-level
// specification.

// partialVersion is the version byte of the encoding.
const partialVersion = 1

// Column flags.
const (
	colHasNulls   = 1 << 0
	colMultiValue = 1 << 1
)

// Accumulator tags.
const (
	accTagCount      = 1
	accTagSum        = 2
	accTagMinMax     = 3
	accTagStrMinMax  = 4
	accTagDistinct   = 5
	accTagHLL        = 6
	accTagPercentile = 7
	accTagTDigest    = 8
)

// Sketch parameters every accumulator uses.
const (
	tdigestCompression = 100
	hllPrecision       = 14 // hyperloglog.New14
	// maxDigestWeight bounds a decoded t-digest's total weight (its count
	// of values).
	maxDigestWeight = 1 << 53
)

// Distinct-set storage codes.
const (
	distinctInt64   = 0
	distinctFloat64 = 1
	distinctString  = 2
)

func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// AppendBinary appends p's wire encoding to dst; UnmarshalPartial decodes
// it. The layout is in PARTIAL.md. It compacts t-digests as it encodes
// them, so it must not run concurrently with other uses of p.
func (p *Partial) AppendBinary(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = slices.Grow(dst, p.sizeHint())
	dst = append(dst, partialVersion, byte(p.kind))
	dst = appendStats(dst, &p.Stats)
	var err error
	switch p.kind {
	case partialGroups:
		if p.groups == nil {
			return dst[:start], fmt.Errorf("append partial: no group table")
		}
		dst, err = appendGroupTable(dst, p.groups)
	case partialRows:
		dst = appendRowSet(dst, p.rows, p.order)
	case partialExplain:
		if p.explain == nil {
			return dst[:start], fmt.Errorf("append partial: no EXPLAIN facts")
		}
		dst = appendExplain(dst, p.explain)
	default:
		return dst[:start], fmt.Errorf("append partial: unknown kind %d", p.kind)
	}
	if err != nil {
		return dst[:start], fmt.Errorf("append partial: %w", err)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli())), nil
}

// sizeHint estimates the encoding's length, to allocate it at once.
func (p *Partial) sizeHint() int {
	size := 64
	switch {
	case p.groups != nil:
		t := p.groups
		for _, k := range t.keys {
			size += t.n/8 + 2 + valuesSize(k.t, t.n, k.strs)
		}
		for _, a := range t.accs {
			size += accSizeHint(a, t.n)
		}
	case p.rows != nil:
		n, all := p.numRows(), p.rows.n
		for _, cols := range [][]*vec.Vector{p.rows.items, p.rows.keys} {
			for _, v := range cols {
				if all == 0 {
					break
				}
				// The candidates' share of the column.
				values := n
				if v.Offsets != nil {
					values = int(v.Offsets[all]) * n / all
					size += n
				}
				size += n/8 + 2 + valuesSize(v.Type, values, nil) + totalLen(v.Str)*n/all
			}
		}
	}
	return size
}

// valuesSize estimates n values of type t (strs: their values, when at
// hand).
func valuesSize(t schema.DataType, n int, strs []string) int {
	switch t.Storage() {
	case schema.StorageInt64:
		return 5 * n
	case schema.StorageFloat64:
		return 8 * n
	}
	return 2*n + totalLen(strs)
}

func totalLen(strs []string) int {
	size := 0
	for _, s := range strs {
		size += len(s)
	}
	return size
}

func accSizeHint(a accumulator, n int) int {
	switch a := a.(type) {
	case *countAcc:
		return 3 * n
	case *sumAcc:
		return 11 * n
	case *minMaxAcc:
		return 9 * n
	case *strMinMaxAcc:
		return 2*n + totalLen(a.val)
	case *distinctAcc:
		size := 3 * n
		for _, m := range a.ints {
			size += 5 * len(m)
		}
		for _, m := range a.flts {
			size += 8 * len(m)
		}
		for _, m := range a.strs {
			size += 16 * len(m)
		}
		return size
	case *percentileAcc:
		size := 3 * n
		for _, v := range a.vals {
			size += 8 * len(v)
		}
		return size
	case *hllAcc:
		return 64 * n
	case *tdigestAcc:
		return 256 * n
	}
	return n
}

func appendStats(dst []byte, s *Stats) []byte {
	for _, x := range [...]int64{
		int64(s.NumSegmentsQueried), int64(s.NumSegmentsProcessed), int64(s.NumSegmentsMatched),
		s.NumDocsScanned, s.NumEntriesScannedInFilter, s.NumEntriesScannedPostFilter, s.TotalDocs,
	} {
		dst = binary.AppendUvarint(dst, uint64(max(x, 0)))
	}
	var flags byte
	if s.NumGroupsLimitReached {
		flags |= 1
	}
	return append(dst, flags)
}

func appendExplain(dst []byte, e *explainInfo) []byte {
	dst = binary.AppendUvarint(dst, uint64(max(e.totalDocs, 0)))
	if e.leaves == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(len(e.leaves)))
	for _, l := range e.leaves {
		dst = append(dst, byte(l))
	}
	return dst
}

func appendGroupTable(dst []byte, t *groupTable) ([]byte, error) {
	var flags byte
	if t.inOrder {
		flags |= 1
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(t.n))
	dst = binary.AppendUvarint(dst, uint64(len(t.keys)))
	for _, k := range t.keys {
		dst = appendKeyColumn(dst, k, t.n)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.accs)))
	for i, a := range t.accs {
		var err error
		if dst, err = appendAccumulator(dst, a, t.n); err != nil {
			return dst, fmt.Errorf("aggregate %d: %w", i+1, err)
		}
	}
	return dst, nil
}

// appendBitmap appends n bits, bit i set when set(i), LSB first.
func appendBitmap(dst []byte, n int, set func(i int) bool) []byte {
	var b byte
	for i := 0; i < n; i++ {
		if set(i) {
			b |= 1 << (i & 7)
		}
		if i&7 == 7 {
			dst = append(dst, b)
			b = 0
		}
	}
	if n&7 != 0 {
		dst = append(dst, b)
	}
	return dst
}

func appendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// appendStrings appends the lengths of strs, then their bytes.
func appendStrings(dst []byte, strs []string) []byte {
	for _, s := range strs {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	for _, s := range strs {
		dst = append(dst, s...)
	}
	return dst
}

func appendKeyColumn(dst []byte, k *keyValues, n int) []byte {
	dst = append(dst, byte(k.t))
	hasNulls := false
	for _, isNull := range k.nulls[:n] {
		hasNulls = hasNulls || isNull
	}
	if !hasNulls {
		dst = append(dst, 0)
	} else {
		dst = append(dst, colHasNulls)
		dst = appendBitmap(dst, n, func(i int) bool { return k.nulls[i] })
	}
	switch k.t.Storage() {
	case schema.StorageInt64:
		for _, x := range k.ints[:n] {
			dst = binary.AppendVarint(dst, x)
		}
	case schema.StorageFloat64:
		for _, x := range k.flts[:n] {
			dst = appendF64(dst, x)
		}
	default:
		dst = appendStrings(dst, k.strs[:n])
	}
	return dst
}

// appendVecColumn appends rows of v, in that order.
func appendVecColumn(dst []byte, v *vec.Vector, rows []int) []byte {
	dst = append(dst, byte(v.Type))
	var flags byte
	if v.Offsets != nil {
		flags |= colMultiValue
	} else {
		for _, r := range rows {
			if v.IsNull(r) {
				flags |= colHasNulls
				break
			}
		}
	}
	dst = append(dst, flags)
	if flags&colHasNulls != 0 {
		dst = appendBitmap(dst, len(rows), func(i int) bool { return v.IsNull(rows[i]) })
	}
	// Each row's values: one, or a multi-value row's span.
	span := func(r int) (int, int) { return r, r + 1 }
	if v.Offsets != nil {
		for _, r := range rows {
			dst = binary.AppendUvarint(dst, uint64(v.Offsets[r+1]-v.Offsets[r]))
		}
		span = func(r int) (int, int) { return int(v.Offsets[r]), int(v.Offsets[r+1]) }
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		for _, r := range rows {
			lo, hi := span(r)
			for _, x := range v.I64[lo:hi] {
				dst = binary.AppendVarint(dst, x)
			}
		}
	case schema.StorageFloat64:
		for _, r := range rows {
			lo, hi := span(r)
			for _, x := range v.F64[lo:hi] {
				dst = appendF64(dst, x)
			}
		}
	default:
		for _, r := range rows {
			lo, hi := span(r)
			for _, s := range v.Str[lo:hi] {
				dst = binary.AppendUvarint(dst, uint64(len(s)))
			}
		}
		for _, r := range rows {
			lo, hi := span(r)
			for _, s := range v.Str[lo:hi] {
				dst = append(dst, s...)
			}
		}
	}
	return dst
}

func appendRowSet(dst []byte, rs *rowSet, order []int) []byte {
	if rs == nil {
		rs = &rowSet{}
	}
	rows := order
	if rows == nil {
		rows = make([]int, rs.n)
		for i := range rows {
			rows[i] = i
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(rows)))
	dst = binary.AppendUvarint(dst, uint64(len(rs.items)))
	for _, v := range rs.items {
		dst = appendVecColumn(dst, v, rows)
	}
	dst = binary.AppendUvarint(dst, uint64(len(rs.keys)))
	for _, v := range rs.keys {
		dst = appendVecColumn(dst, v, rows)
	}
	return dst
}

func appendAccumulator(dst []byte, a accumulator, n int) ([]byte, error) {
	switch a := a.(type) {
	case *countAcc:
		dst = append(dst, accTagCount)
		for _, c := range a.n[:n] {
			dst = binary.AppendUvarint(dst, uint64(c))
		}
	case *sumAcc:
		dst = append(dst, accTagSum, boolByte(a.avg))
		for _, s := range a.sum[:n] {
			dst = appendF64(dst, s)
		}
		for _, c := range a.n[:n] {
			dst = binary.AppendUvarint(dst, uint64(c))
		}
	case *minMaxAcc:
		dst = append(dst, accTagMinMax, boolByte(a.max))
		dst = appendBitmap(dst, n, func(i int) bool { return a.has[i] })
		for g, x := range a.val[:n] {
			if a.has[g] {
				dst = appendF64(dst, x)
			}
		}
	case *strMinMaxAcc:
		dst = append(dst, accTagStrMinMax, boolByte(a.max))
		dst = appendBitmap(dst, n, func(i int) bool { return a.has[i] })
		// A string block of the present groups' values.
		for g, s := range a.val[:n] {
			if a.has[g] {
				dst = binary.AppendUvarint(dst, uint64(len(s)))
			}
		}
		for g, s := range a.val[:n] {
			if a.has[g] {
				dst = append(dst, s...)
			}
		}
	case *distinctAcc:
		return appendDistinct(dst, a, n), nil
	case *hllAcc:
		dst = append(dst, accTagHLL)
		dst = appendBitmap(dst, n, func(i int) bool { return a.sk[i] != nil })
		var buf []byte
		for _, sk := range a.sk[:n] {
			if sk == nil {
				continue
			}
			var err error
			if buf, err = sk.AppendBinary(buf[:0]); err != nil {
				return dst, err
			}
			dst = binary.AppendUvarint(dst, uint64(len(buf)))
			dst = append(dst, buf...)
		}
	case *percentileAcc:
		dst = append(dst, accTagPercentile)
		dst = appendF64(dst, a.pct)
		for _, vals := range a.vals[:n] {
			dst = binary.AppendUvarint(dst, uint64(len(vals)))
		}
		for _, vals := range a.vals[:n] {
			for _, x := range vals {
				dst = appendF64(dst, x)
			}
		}
	case *tdigestAcc:
		dst = append(dst, accTagTDigest)
		dst = appendF64(dst, a.pct)
		dst = appendBitmap(dst, n, func(i int) bool { return a.td[i] != nil })
		for _, td := range a.td[:n] {
			if td == nil {
				continue
			}
			cs := td.Centroids()
			dst = binary.AppendUvarint(dst, uint64(len(cs)))
			for _, c := range cs {
				dst = appendF64(dst, c.Mean)
				dst = appendF64(dst, c.Weight)
			}
		}
	default:
		return dst, fmt.Errorf("%T has no wire encoding", a)
	}
	return dst, nil
}

func appendDistinct(dst []byte, a *distinctAcc, n int) []byte {
	dst = append(dst, accTagDistinct)
	switch a.storage {
	case schema.StorageInt64:
		dst = append(dst, distinctInt64)
		for _, m := range a.ints[:n] {
			dst = binary.AppendUvarint(dst, uint64(len(m)))
		}
		for _, m := range a.ints[:n] {
			for x := range m {
				dst = binary.AppendVarint(dst, x)
			}
		}
	case schema.StorageFloat64:
		dst = append(dst, distinctFloat64)
		for _, m := range a.flts[:n] {
			dst = binary.AppendUvarint(dst, uint64(len(m)))
		}
		for _, m := range a.flts[:n] {
			for x := range m {
				dst = appendF64(dst, x)
			}
		}
	default:
		dst = append(dst, distinctString)
		for _, m := range a.strs[:n] {
			dst = binary.AppendUvarint(dst, uint64(len(m)))
		}
		// One pass over each set: a map's order differs between passes.
		var all []string
		for _, m := range a.strs[:n] {
			for s := range m {
				all = append(all, s)
			}
		}
		dst = appendStrings(dst, all)
	}
	return dst
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
