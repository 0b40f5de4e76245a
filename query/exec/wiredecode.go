package exec

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/axiomhq/hyperloglog"
	"github.com/influxdata/tdigest"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// Decoding of the wire encoding (PARTIAL.md); wire.go encodes.

// UnmarshalPartial decodes a Partial that AppendBinary encoded. A
// truncated, corrupt or unknown buffer gives an error naming the byte
// offset, never a panic; the Partial does not share memory with data.
func UnmarshalPartial(data []byte) (*Partial, error) {
	if len(data) < 6 {
		return nil, fmt.Errorf("unmarshal partial: %d bytes, want at least 6", len(data))
	}
	if data[0] != partialVersion {
		return nil, fmt.Errorf("unmarshal partial: version %d, want %d", data[0], partialVersion)
	}
	body := data[:len(data)-4]
	if got, want := crc32.Checksum(body, castagnoli()), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, fmt.Errorf("unmarshal partial: checksum %08x, want %08x", got, want)
	}
	d := &decoder{b: body, off: 1}
	p := &Partial{kind: partialKind(d.u8())}
	d.stats(&p.Stats)
	switch p.kind {
	case partialGroups:
		p.groups = d.groupTable()
		if p.groups != nil {
			p.groups.limitReached = p.Stats.NumGroupsLimitReached
		}
	case partialRows:
		p.rows = d.rowSet()
	case partialExplain:
		p.explain = d.explain()
	default:
		d.fail("unknown kind %d", p.kind)
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes after the partial", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

// decoder reads the encoding, bounds-checking every read. After the first
// error every read returns zero values and the error stays.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("unmarshal partial: "+format+" (at byte %d)", append(args, d.off)...)
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

// need reports whether n more bytes are there, failing when not.
func (d *decoder) need(n int, what string) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > d.left() {
		d.fail("%s needs %d bytes, %d left", what, n, d.left())
		return false
	}
	return true
}

func (d *decoder) u8() byte {
	if !d.need(1, "a byte") {
		return 0
	}
	b := d.b[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return x
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return x
}

func (d *decoder) f64() float64 {
	if !d.need(8, "a float") {
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return x
}

func (d *decoder) take(n int, what string) []byte {
	if !d.need(n, what) {
		return nil
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

// int64 reads a non-negative uvarint that fits an int64.
func (d *decoder) int64(what string) int64 {
	x := d.uvarint()
	if x > math.MaxInt64 {
		d.fail("%s %d out of range", what, x)
		return 0
	}
	return int64(x)
}

// count reads a count of items that take at least per bytes each, so that
// it cannot exceed what is left of the buffer.
func (d *decoder) count(what string, per int) int {
	x := d.uvarint()
	if d.err != nil {
		return 0
	}
	if x > uint64(d.left()/per) {
		d.fail("%s %d exceeds what %d bytes can hold", what, x, d.left())
		return 0
	}
	return int(x)
}

func (d *decoder) flag(what string) bool {
	switch b := d.u8(); b {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("%s %d, want 0 or 1", what, b)
		return false
	}
}

// bitmap reads n bits, LSB first; the unused high bits of the last byte
// must be zero.
func (d *decoder) bitmap(n int, what string) []bool {
	raw := d.take((n+7)/8, what)
	if raw == nil {
		return make([]bool, 0)
	}
	bits := make([]bool, n)
	for i := range bits {
		bits[i] = raw[i>>3]&(1<<(i&7)) != 0
	}
	if n&7 != 0 && raw[len(raw)-1]>>(n&7) != 0 {
		d.fail("%s has bits past its %d entries", what, n)
	}
	return bits
}

// strings reads n lengths, then the bytes of n strings, which share one
// allocation.
func (d *decoder) strings(n int, what string) []string {
	if !d.need(n, what) {
		return nil
	}
	lens := make([]int, n)
	total := 0
	for i := range lens {
		l := d.uvarint()
		if l > uint64(d.left()) {
			d.fail("%s: string of %d bytes, %d left", what, l, d.left())
			return nil
		}
		lens[i] = int(l)
		total += int(l)
		if total > d.left() {
			d.fail("%s: %d bytes of strings, %d left", what, total, d.left())
			return nil
		}
	}
	raw := d.take(total, what)
	if d.err != nil {
		return nil
	}
	blob := string(raw)
	out := make([]string, n)
	pos := 0
	for i, l := range lens {
		out[i] = blob[pos : pos+l]
		pos += l
	}
	return out
}

func (d *decoder) floats(n int, what string) []float64 {
	if !d.need(8*n, what) {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = d.f64()
	}
	return out
}

func (d *decoder) ints(n int, what string) []int64 {
	if !d.need(n, what) {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = d.varint()
	}
	return out
}

func (d *decoder) stats(s *Stats) {
	var v [7]int64
	for i := range v {
		v[i] = d.int64("statistic")
	}
	for _, x := range v[:3] {
		if x > math.MaxInt32 {
			d.fail("segment count %d out of range", x)
		}
	}
	s.NumSegmentsQueried, s.NumSegmentsProcessed, s.NumSegmentsMatched = int(v[0]), int(v[1]), int(v[2])
	s.NumDocsScanned, s.NumEntriesScannedInFilter, s.NumEntriesScannedPostFilter, s.TotalDocs = v[3], v[4], v[5], v[6]
	switch flags := d.u8(); flags {
	case 0, 1:
		s.NumGroupsLimitReached = flags == 1
	default:
		d.fail("statistics flags %#x", flags)
	}
}

func (d *decoder) explain() *explainInfo {
	e := &explainInfo{totalDocs: d.int64("total docs")}
	if !d.flag("EXPLAIN leaves flag") {
		return e
	}
	n := d.count("filter predicates", 1)
	e.leaves = make([]accessPath, n)
	for i := range e.leaves {
		a := accessPath(d.u8())
		if a >= numAccessPaths {
			d.fail("access path %d", a)
		}
		e.leaves[i] = a
	}
	return e
}

// dataType reads a column type byte.
func (d *decoder) dataType() schema.DataType {
	t := schema.DataType(d.u8())
	if d.err == nil && (t < schema.TypeInt || t > schema.TypeBytes) {
		d.fail("data type %d", t)
	}
	return t
}

// column reads a column of n rows into a vector.
func (d *decoder) column(n int) *vec.Vector {
	v := &vec.Vector{Type: d.dataType()}
	flags := d.u8()
	if flags&^(colHasNulls|colMultiValue) != 0 || flags == colHasNulls|colMultiValue {
		d.fail("column flags %#x", flags)
	}
	if d.err != nil {
		return v
	}
	if flags&colHasNulls != 0 {
		v.Nulls = d.bitmap(n, "null bitmap")
	}
	values := n
	if flags&colMultiValue != 0 {
		if !d.need(n, "value counts") {
			return v
		}
		v.Offsets = make([]uint32, n+1)
		total := uint64(0)
		for i := 0; i < n; i++ {
			total += d.uvarint()
			if total > uint64(d.left()) || total > math.MaxUint32 {
				d.fail("multi-value column of %d values, %d bytes left", total, d.left())
				return v
			}
			v.Offsets[i+1] = uint32(total)
		}
		values = int(total)
	}
	switch v.Type.Storage() {
	case schema.StorageInt64:
		v.I64 = d.ints(values, "integer column")
	case schema.StorageFloat64:
		v.F64 = d.floats(values, "float column")
	default:
		v.Str = d.strings(values, "string column")
	}
	return v
}

func (d *decoder) groupTable() *groupTable {
	flags := d.u8()
	if flags > 1 {
		d.fail("group table flags %#x", flags)
	}
	t := &groupTable{inOrder: flags == 1}
	t.n = d.count("groups", 1)
	nk := d.count("group keys", 2)
	if d.err != nil {
		return nil
	}
	if nk == 0 && t.n != 1 {
		d.fail("%d groups without keys, want 1", t.n)
		return nil
	}
	for j := 0; j < nk && d.err == nil; j++ {
		v := d.column(t.n)
		if v.Offsets != nil {
			d.fail("group key %d is multi-value", j+1)
		}
		k := &keyValues{t: v.Type, ints: v.I64, flts: v.F64, strs: v.Str, nulls: v.Nulls}
		if k.nulls == nil {
			k.nulls = make([]bool, t.n)
		}
		t.keys = append(t.keys, k)
	}
	if d.err == nil && t.inOrder {
		if nk != 1 {
			d.fail("groups in key order need one key, have %d", nk)
		}
		for g := 1; g < t.n && d.err == nil; g++ {
			if compareKeys(t.keys[0], g-1, t.keys[0], g) >= 0 {
				d.fail("groups %d and %d are not in key order", g-1, g)
			}
		}
	}
	na := d.count("aggregates", 1)
	for i := 0; i < na && d.err == nil; i++ {
		t.accs = append(t.accs, d.accumulator(t.n))
	}
	if d.err != nil {
		return nil
	}
	return t
}

func (d *decoder) accumulator(n int) accumulator {
	switch tag := d.u8(); tag {
	case accTagCount:
		a := &countAcc{n: make([]int64, 0, min(n, d.left()))}
		for i := 0; i < n && d.err == nil; i++ {
			a.n = append(a.n, d.int64("count"))
		}
		return a
	case accTagSum:
		a := &sumAcc{avg: d.flag("AVG flag")}
		a.sum = d.floats(n, "sums")
		if d.need(n, "sum counts") {
			a.n = make([]int64, n)
			for i := range a.n {
				a.n[i] = d.int64("count")
			}
		}
		return a
	case accTagMinMax:
		a := &minMaxAcc{extremeAcc: extremeAcc[float64]{max: d.flag("MAX flag")}}
		a.has = d.bitmap(n, "MIN/MAX presence")
		if d.err == nil {
			a.val = make([]float64, n)
			for g, ok := range a.has {
				if ok {
					a.val[g] = d.f64()
				}
			}
		}
		return a
	case accTagStrMinMax:
		a := &strMinMaxAcc{extremeAcc[string]{max: d.flag("MAX flag")}}
		a.has = d.bitmap(n, "MIN/MAX presence")
		present := 0
		for _, ok := range a.has {
			if ok {
				present++
			}
		}
		strs := d.strings(present, "MIN/MAX strings")
		if d.err == nil {
			a.val = make([]string, n)
			j := 0
			for g, ok := range a.has {
				if ok {
					a.val[g] = strs[j]
					j++
				}
			}
		}
		return a
	case accTagDistinct:
		return d.distinct(n)
	case accTagHLL:
		a := &hllAcc{}
		has := d.bitmap(n, "HLL presence")
		if d.err != nil {
			return a
		}
		a.sk = make([]*hyperloglog.Sketch, n)
		for g, ok := range has {
			if !ok || d.err != nil {
				continue
			}
			raw := d.take(d.count("HLL sketch bytes", 1), "HLL sketch")
			if d.err != nil {
				break
			}
			if len(raw) < 2 || raw[1] != hllPrecision {
				d.fail("HLL sketch of group %d: not precision %d", g, hllPrecision)
				break
			}
			sk := &hyperloglog.Sketch{}
			if err := sk.UnmarshalBinary(raw); err != nil {
				d.fail("HLL sketch of group %d: %v", g, err)
				break
			}
			a.sk[g] = sk
		}
		return a
	case accTagPercentile:
		a := &percentileAcc{pct: d.f64()}
		if !d.need(n, "value counts") {
			return a
		}
		counts := make([]int, n)
		total := 0
		for i := range counts {
			counts[i] = d.count("values", 8)
			total += counts[i]
			if total > d.left()/8 {
				d.fail("%d values, %d bytes left", total, d.left())
				return a
			}
		}
		all := d.floats(total, "values")
		if d.err != nil {
			return a
		}
		a.vals = make([][]float64, n)
		pos := 0
		for g, c := range counts {
			if c > 0 {
				a.vals[g] = all[pos : pos+c : pos+c]
			}
			pos += c
		}
		return a
	case accTagTDigest:
		a := &tdigestAcc{pct: d.f64()}
		has := d.bitmap(n, "t-digest presence")
		if d.err != nil {
			return a
		}
		a.td = make([]*tdigest.TDigest, n)
		for g, ok := range has {
			if !ok || d.err != nil {
				continue
			}
			c := d.count("centroids", 16)
			if c == 0 && d.err == nil {
				d.fail("t-digest of group %d has no centroids", g)
			}
			cs := make(tdigest.CentroidList, 0, c)
			total := 0.0
			for i := 0; i < c && d.err == nil; i++ {
				m, w := d.f64(), d.f64()
				total += w
				// Weights count values: an infinite total would make
				// the digest's quantile index NaN.
				if math.IsNaN(m) || math.IsInf(m, 0) || !(w > 0) || !(total <= maxDigestWeight) {
					d.fail("t-digest of group %d: centroid (%v, %v)", g, m, w)
				}
				cs = append(cs, tdigest.Centroid{Mean: m, Weight: w})
			}
			if d.err != nil {
				break
			}
			td := tdigest.NewWithCompression(tdigestCompression)
			td.AddCentroidList(cs)
			a.td[g] = td
		}
		return a
	default:
		d.fail("aggregate tag %d", tag)
		return &countAcc{}
	}
}

func (d *decoder) distinct(n int) *distinctAcc {
	a := &distinctAcc{}
	code := d.u8()
	switch code {
	case distinctInt64:
		a.storage = schema.StorageInt64
	case distinctFloat64:
		a.storage = schema.StorageFloat64
	case distinctString:
		a.storage = schema.StorageString
	default:
		d.fail("distinct set storage %d", code)
	}
	if !d.need(n, "set sizes") {
		return a
	}
	sizes := make([]int, n)
	total := 0
	for i := range sizes {
		sizes[i] = d.count("set size", 1)
		total += sizes[i]
		if total > d.left() {
			d.fail("sets of %d values, %d bytes left", total, d.left())
			return a
		}
	}
	switch a.storage {
	case schema.StorageInt64:
		vals := d.ints(total, "set values")
		if d.err != nil {
			return a
		}
		a.ints = make([]map[int64]struct{}, n)
		for g, size := range sizes {
			if size == 0 {
				continue
			}
			m := make(map[int64]struct{}, size)
			for _, x := range vals[:size] {
				m[x] = struct{}{}
			}
			vals = vals[size:]
			a.ints[g] = m
		}
	case schema.StorageFloat64:
		vals := d.floats(total, "set values")
		if d.err != nil {
			return a
		}
		a.flts = make([]map[float64]struct{}, n)
		for g, size := range sizes {
			if size == 0 {
				continue
			}
			m := make(map[float64]struct{}, size)
			for _, x := range vals[:size] {
				m[x] = struct{}{}
			}
			vals = vals[size:]
			a.flts[g] = m
		}
	default:
		vals := d.strings(total, "set values")
		if d.err != nil {
			return a
		}
		a.strs = make([]map[string]struct{}, n)
		for g, size := range sizes {
			if size == 0 {
				continue
			}
			m := make(map[string]struct{}, size)
			for _, s := range vals[:size] {
				m[s] = struct{}{}
			}
			vals = vals[size:]
			a.strs[g] = m
		}
	}
	return a
}

func (d *decoder) rowSet() *rowSet {
	rs := &rowSet{n: d.count("rows", 1)}
	ni := d.count("columns", 2)
	for i := 0; i < ni && d.err == nil; i++ {
		rs.items = append(rs.items, d.column(rs.n))
	}
	nk := d.count("sort keys", 2)
	for i := 0; i < nk && d.err == nil; i++ {
		v := d.column(rs.n)
		if v.Offsets != nil {
			d.fail("sort key %d is multi-value", i+1)
		}
		rs.keys = append(rs.keys, v)
	}
	return rs
}
