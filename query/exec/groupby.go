package exec

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"strings"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// denseGroupLimit bounds the directly indexed group array: below it, the
// combined dictionary ids of the keys index an array, with no hashing. A
// segment may go further, to twice the rows it aggregates, since then the
// array costs no more than the rows themselves.
const denseGroupLimit = 1 << 18

// keyCol produces one group-by key's per-row ids for a segment. A key that
// is a dictionary column uses the dictionary ids (null gets id
// cardinality); any other key gets ids from a segment-local dictionary of
// the values it has seen.
type keyCol struct {
	t schema.DataType
	// Dictionary key.
	col  segment.Column
	dict *segment.Dictionary
	// Expression key.
	node   node
	local  *localDict
	ids    []uint32
	nullsV *vec.Vector
	// Multi-value key: the batch's value ids and per-row offsets, and the
	// scratch the expansion swaps with ids.
	mv    bool
	mvIDs []uint32
	mvOff []uint32
	exp   []uint32
	card  uint64 // ids are < card (dictionary keys only)
}

// localDict numbers distinct values in arrival order.
type localDict struct {
	t      schema.DataType
	ints   map[int64]uint32
	flts   map[uint64]uint32
	strs   map[string]uint32
	vals   *keyValues
	nullID int64
}

func newLocalDict(t schema.DataType) *localDict {
	d := &localDict{t: t, vals: newKeyValues(t), nullID: -1}
	switch t.Storage() {
	case schema.StorageInt64:
		d.ints = map[int64]uint32{}
	case schema.StorageFloat64:
		d.flts = map[uint64]uint32{}
	default:
		d.strs = map[string]uint32{}
	}
	return d
}

func (d *localDict) idsOf(v *vec.Vector, n int, ids []uint32) {
	for i := 0; i < n; i++ {
		if v.IsNull(i) {
			if d.nullID < 0 {
				d.nullID = int64(d.vals.len())
				d.vals.appendNull()
			}
			ids[i] = uint32(d.nullID)
			continue
		}
		switch d.t.Storage() {
		case schema.StorageInt64:
			x := v.I64[i]
			id, ok := d.ints[x]
			if !ok {
				id = uint32(d.vals.len())
				d.ints[x] = id
				d.vals.ints = append(d.vals.ints, x)
				d.vals.nulls = append(d.vals.nulls, false)
			}
			ids[i] = id
		case schema.StorageFloat64:
			x := v.F64[i]
			k := math.Float64bits(x)
			if x == 0 {
				k = 0 // -0 and +0 group together
			}
			id, ok := d.flts[k]
			if !ok {
				id = uint32(d.vals.len())
				d.flts[k] = id
				d.vals.flts = append(d.vals.flts, x)
				d.vals.nulls = append(d.vals.nulls, false)
			}
			ids[i] = id
		default:
			s := v.Str[i]
			id, ok := d.strs[s]
			if !ok {
				id = uint32(d.vals.len())
				s = strings.Clone(s)
				d.strs[s] = id
				d.vals.strs = append(d.vals.strs, s)
				d.vals.nulls = append(d.vals.nulls, false)
			}
			ids[i] = id
		}
	}
}

// keyValues is a column of group-key values.
type keyValues struct {
	t     schema.DataType
	ints  []int64
	flts  []float64
	strs  []string
	nulls []bool
}

func newKeyValues(t schema.DataType) *keyValues { return &keyValues{t: t} }

func (k *keyValues) len() int { return len(k.nulls) }

func (k *keyValues) appendNull() {
	switch k.t.Storage() {
	case schema.StorageInt64:
		k.ints = append(k.ints, 0)
	case schema.StorageFloat64:
		k.flts = append(k.flts, 0)
	default:
		k.strs = append(k.strs, "")
	}
	k.nulls = append(k.nulls, true)
}

func (k *keyValues) appendFrom(o *keyValues, i int) {
	switch k.t.Storage() {
	case schema.StorageInt64:
		k.ints = append(k.ints, o.ints[i])
	case schema.StorageFloat64:
		k.flts = append(k.flts, o.flts[i])
	default:
		k.strs = append(k.strs, o.strs[i])
	}
	k.nulls = append(k.nulls, o.nulls[i])
}

// appendKey appends row i's canonical bytes to dst (for merging groups
// across segments by value).
func (k *keyValues) appendKey(dst []byte, i int) []byte {
	if k.nulls[i] {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	switch k.t.Storage() {
	case schema.StorageInt64:
		return binary.LittleEndian.AppendUint64(dst, uint64(k.ints[i]))
	case schema.StorageFloat64:
		f := k.flts[i]
		if f == 0 {
			f = 0
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
	default:
		dst = binary.AppendUvarint(dst, uint64(len(k.strs[i])))
		return append(dst, k.strs[i]...)
	}
}

// toVector copies the values into v.
func (k *keyValues) toVector(v *vec.Vector) {
	n := k.len()
	v.Reset(k.t, n)
	switch k.t.Storage() {
	case schema.StorageInt64:
		copy(v.I64, k.ints)
	case schema.StorageFloat64:
		copy(v.F64, k.flts)
	default:
		copy(v.Str, k.strs)
	}
	for i, isNull := range k.nulls {
		if isNull {
			v.SetNull(i)
		}
	}
}

// groupTable maps key tuples to dense group numbers and holds the
// aggregates' accumulators. The per-segment table addresses groups by key
// ids; the merged table by key values.
type groupTable struct {
	keys []*keyValues
	accs []accumulator
	n    int

	// Per-segment addressing.
	dense  []int32
	packed map[uint64]uint32
	bytes  map[string]uint32
	// packing: bit offset of each key in the packed id.
	shifts []uint
	// keyIDs of each group, to materialise key values at the end.
	groupIDs [][]uint32

	limit        int
	limitReached bool
	// sorted, when set, lists the groups in ascending order of their
	// single key (NULL last): the segment grouped on a sorted dictionary,
	// so its groups merge with other segments' by a k-way merge instead of
	// hashing every key again.
	sorted []int32
	// inOrder: the groups themselves are in that order (a merged table).
	inOrder bool
}

// isSorted reports whether the groups can be visited in ascending order
// of their single key (sortedGroup).
func (t *groupTable) isSorted() bool { return t.inOrder || t.sorted != nil }

// sortedGroup is the i-th group in key order of a sorted table.
func (t *groupTable) sortedGroup(i int) int {
	if t.sorted != nil {
		return int(t.sorted[i])
	}
	return i
}

// segmentGrouper groups one segment's rows.
type segmentGrouper struct {
	keys []*keyCol
	// hasMV: some key is a multi-value column, so rows expand; rep maps
	// each expanded row to its batch row.
	hasMV  bool
	rep    []int32
	table  *groupTable
	mode   int // 0 dense, 1 packed, 2 bytes
	groups []uint32
	buf    []byte
	valid  []bool
	// scratch lends groups, valid and the keys' id buffers; finish gives
	// back what grew.
	scratch *segScratch
}

func newSegmentGrouper(keys []*keyCol, accs []accumulator, limit, rows int, sc *segScratch) *segmentGrouper {
	denseLimit := max(uint64(denseGroupLimit), 2*uint64(rows))
	g := &segmentGrouper{keys: keys, table: &groupTable{accs: accs, limit: limit}, scratch: sc, groups: sc.groups, valid: sc.valid}
	g.table.groupIDs = make([][]uint32, len(keys))
	allDict := true
	product := uint64(1)
	totalBits := uint(0)
	for j, k := range keys {
		k.ids = sc.keyIDBuf(j)
		g.hasMV = g.hasMV || k.mv
		if k.dict == nil {
			allDict = false
			totalBits += 32
			continue
		}
		product *= k.card
		if product > denseLimit {
			allDict = false
		}
		totalBits += uint(bits.Len64(k.card))
	}
	switch {
	case allDict && product <= denseLimit:
		g.mode = 0
		g.table.dense = make([]int32, product)
		for i := range g.table.dense {
			g.table.dense[i] = -1
		}
	case totalBits <= 64:
		g.mode = 1
		g.table.packed = map[uint64]uint32{}
		shift := uint(0)
		for _, k := range keys {
			g.table.shifts = append(g.table.shifts, shift)
			if k.dict != nil {
				shift += uint(bits.Len64(k.card))
			} else {
				shift += 32
			}
		}
	default:
		g.mode = 2
		g.table.bytes = map[string]uint32{}
	}
	return g
}

// assign computes the group of each row of the batch, creating groups as
// needed. valid[i] is false for a row whose new group exceeded the limit.
func (g *segmentGrouper) assign(b *batch) ([]uint32, []bool, error) {
	if err := g.fillIDs(b); err != nil {
		return nil, nil, err
	}
	n := b.n
	if g.hasMV {
		n = g.expand(b)
	}
	return g.assignIDs(n)
}

// fillIDs computes every key's id for each row of the batch (for a
// multi-value key, the ids of all the row's values, in mvIDs).
func (g *segmentGrouper) fillIDs(b *batch) error {
	n := b.n
	for _, k := range g.keys {
		if k.mv {
			k.mvIDs = k.mvIDs[:0]
			k.mvOff = append(k.mvOff[:0], 0)
			for _, d := range b.docs {
				k.mvIDs = k.col.MVDictIDs(d, k.mvIDs)
				k.mvOff = append(k.mvOff, uint32(len(k.mvIDs)))
			}
			continue
		}
		if cap(k.ids) < n {
			k.ids = make([]uint32, n)
		}
		k.ids = k.ids[:cap(k.ids)]
		if k.dict != nil {
			k.col.DictIDs(b.docs, k.ids)
			if nulls := k.col.Nulls(); nulls != nil && !nulls.IsEmpty() {
				if k.nullsV == nil {
					k.nullsV = vec.New(schema.TypeBoolean)
				}
				k.nullsV.Reset(schema.TypeBoolean, n)
				markNulls(nulls, b.docs, k.nullsV)
				if k.nullsV.Nulls != nil {
					for i, isNull := range k.nullsV.Nulls {
						if isNull {
							k.ids[i] = uint32(k.card - 1)
						}
					}
				}
			}
			continue
		}
		v, err := k.node.eval(b)
		if err != nil {
			return err
		}
		k.local.idsOf(v, n, k.ids)
	}
	return nil
}

// expand turns each row into one row per combination of its multi-value
// keys' values (Pinot groups a document under each of its values),
// recording in rep the batch row each expanded row came from.
func (g *segmentGrouper) expand(b *batch) int {
	g.rep = g.rep[:0]
	for i := 0; i < b.n; i++ {
		count := 1
		for _, k := range g.keys {
			if k.mv {
				count *= int(k.mvOff[i+1] - k.mvOff[i])
			}
		}
		for c := 0; c < count; c++ {
			g.rep = append(g.rep, int32(i))
		}
	}
	n := len(g.rep)
	for _, k := range g.keys {
		if cap(k.exp) < n {
			k.exp = make([]uint32, n, n+vec.BatchSize)
		}
		k.exp = k.exp[:n]
	}
	// Fill the combinations row by row: the last multi-value key varies
	// fastest.
	j := 0
	for i := 0; i < b.n; i++ {
		start := j
		for j < n && int(g.rep[j]) == i {
			j++
		}
		stride := j - start
		for _, k := range g.keys {
			if !k.mv {
				for e := start; e < j; e++ {
					k.exp[e] = k.ids[i]
				}
				continue
			}
			vals := k.mvIDs[k.mvOff[i]:k.mvOff[i+1]]
			if len(vals) == 0 {
				continue
			}
			stride /= len(vals)
			for e := start; e < j; e++ {
				k.exp[e] = vals[((e-start)/stride)%len(vals)]
			}
		}
	}
	for _, k := range g.keys {
		k.ids, k.exp = k.exp, k.ids
	}
	return n
}

// assignIDs maps the first n rows' key ids to groups.
func (g *segmentGrouper) assignIDs(n int) ([]uint32, []bool, error) {
	if cap(g.groups) < n {
		g.groups = make([]uint32, n)
		g.valid = make([]bool, n)
	}
	groups := g.groups[:n]
	valid := g.valid[:n]
	t := g.table
	if g.mode == 0 && len(g.keys) == 1 {
		if g.assignDense1(groups, valid) {
			return groups, nil, nil
		}
		return groups, valid, nil
	}
	allValid := true
	for i := 0; i < n; i++ {
		var gid int64 = -1
		switch g.mode {
		case 0:
			idx := uint64(0)
			for _, k := range g.keys {
				idx = idx*k.card + uint64(k.ids[i])
			}
			if d := t.dense[idx]; d >= 0 {
				gid = int64(d)
			} else if gid = g.newGroup(i); gid >= 0 {
				t.dense[idx] = int32(gid)
			}
		case 1:
			var p uint64
			for j, k := range g.keys {
				p |= uint64(k.ids[i]) << t.shifts[j]
			}
			if d, ok := t.packed[p]; ok {
				gid = int64(d)
			} else if gid = g.newGroup(i); gid >= 0 {
				t.packed[p] = uint32(gid)
			}
		default:
			g.buf = g.buf[:0]
			for _, k := range g.keys {
				g.buf = binary.LittleEndian.AppendUint32(g.buf, k.ids[i])
			}
			if d, ok := t.bytes[string(g.buf)]; ok {
				gid = int64(d)
			} else if gid = g.newGroup(i); gid >= 0 {
				t.bytes[string(g.buf)] = uint32(gid)
			}
		}
		if gid < 0 {
			valid[i] = false
			allValid = false
			groups[i] = 0
			continue
		}
		valid[i] = true
		groups[i] = uint32(gid)
	}
	if allValid {
		valid = nil
	}
	return groups, valid, nil
}

// assignDense1 is assignIDs for one dictionary key, the common case
// (GROUP BY country): the key's id indexes the dense table directly. It
// reports whether every row got a group (valid then is unspecified).
func (g *segmentGrouper) assignDense1(groups []uint32, valid []bool) (allValid bool) {
	dense := g.table.dense
	allValid = true
	for i, id := range g.keys[0].ids[:len(groups)] {
		d := dense[id]
		if d < 0 {
			gid := g.newGroup(i)
			if gid < 0 {
				if allValid {
					for j := range i {
						valid[j] = true
					}
					allValid = false
				}
				valid[i] = false
				groups[i] = 0
				continue
			}
			d = int32(gid)
			dense[id] = d
		}
		groups[i] = uint32(d)
		if !allValid {
			valid[i] = true
		}
	}
	return allValid
}

func (g *segmentGrouper) newGroup(row int) int64 {
	t := g.table
	if t.n >= t.limit {
		t.limitReached = true
		return -1
	}
	gid := t.n
	t.n++
	for j, k := range g.keys {
		t.groupIDs[j] = append(t.groupIDs[j], k.ids[row])
	}
	for _, a := range t.accs {
		a.resize(t.n)
	}
	return int64(gid)
}

// finish materialises the key values of every group.
func (g *segmentGrouper) finish() *groupTable {
	g.scratch.groups, g.scratch.valid = g.groups, g.valid
	t := g.table
	t.keys = make([]*keyValues, len(g.keys))
	for j, k := range g.keys {
		kv := newKeyValues(k.t)
		ids := t.groupIDs[j]
		if k.dict != nil {
			nullID := uint32(k.card - 1)
			for _, id := range ids {
				if id == nullID {
					kv.appendNull()
					continue
				}
				switch k.t.Storage() {
				case schema.StorageInt64:
					kv.ints = append(kv.ints, k.dict.Ints[id])
				case schema.StorageFloat64:
					kv.flts = append(kv.flts, k.dict.Floats[id])
				default:
					// Dictionary strings live as long as the segment, which
					// outlives the query; output values are cloned.
					kv.strs = append(kv.strs, k.dict.Strs[id])
				}
				kv.nulls = append(kv.nulls, false)
			}
		} else {
			for _, id := range ids {
				kv.appendFrom(k.local.vals, int(id))
			}
		}
		t.keys[j] = kv
	}
	if len(g.keys) == 1 && g.keys[0].dict != nil && g.keys[0].dict.Sorted && !g.keys[0].mv && t.dense != nil {
		// Dense ids ascend with the key values; the null id is last.
		t.sorted = make([]int32, 0, t.n)
		for _, gid := range t.dense {
			if gid >= 0 {
				t.sorted = append(t.sorted, gid)
			}
		}
	}
	t.dense, t.packed, t.bytes, t.groupIDs = nil, nil, nil, nil
	return t
}

// merger combines group tables by key value. A single key is looked up by
// its value directly; several keys by a hash of their encoded bytes, the
// groups of one hash chained through next and told apart by their values.
type merger struct {
	out *groupTable
	// Several keys.
	hashed map[uint64]uint32 // hash -> latest group with it
	next   []int32           // group -> previous group with its hash, or -1
	seed   maphash.Seed
	hash   uint64 // of the tuple lookup last saw
	buf    []byte
	// One key.
	ints map[int64]uint32
	flts map[uint64]uint32
	strs map[string]uint32
	// nullGroup is the group of a single NULL key, or -1.
	nullGroup int64
}

// newMerger returns a merger into fresh accumulators accs; hint is the
// number of groups to make room for.
func newMerger(keyTypes []schema.DataType, accs []accumulator, hint int) *merger {
	m := &merger{out: &groupTable{accs: accs}, nullGroup: -1}
	for _, t := range keyTypes {
		m.out.keys = append(m.out.keys, newKeyValues(t))
	}
	switch {
	case len(keyTypes) == 0:
		// An aggregation without GROUP BY has exactly one group, even
		// over no rows.
		m.out.n = 1
		for _, a := range accs {
			a.resize(1)
		}
	case len(keyTypes) > 1:
		m.hashed = make(map[uint64]uint32, hint)
		m.next = make([]int32, 0, hint)
		m.seed = maphash.MakeSeed()
	case keyTypes[0].Storage() == schema.StorageInt64:
		m.ints = make(map[int64]uint32, hint)
	case keyTypes[0].Storage() == schema.StorageFloat64:
		m.flts = make(map[uint64]uint32, hint)
	default:
		m.strs = make(map[string]uint32, hint)
	}
	return m
}

// adopt makes t, a table of distinct keys whose accumulators merge with
// the other tables', the output: its groups are indexed, not copied.
func (m *merger) adopt(t *groupTable) {
	m.out = t
	t.inOrder, t.sorted = false, nil // groups merged in come last
	if len(t.keys) == 0 {
		return
	}
	for g := 0; g < t.n; g++ {
		if m.hashed != nil {
			m.hash = m.hashOf(t, g)
		}
		m.insert(t, g, uint32(g))
	}
}

// hashOf hashes the key tuple of group g of t.
func (m *merger) hashOf(t *groupTable, g int) uint64 {
	m.buf = m.buf[:0]
	for _, k := range t.keys {
		m.buf = k.appendKey(m.buf, g)
	}
	return maphash.Bytes(m.seed, m.buf)
}

// lookup returns the merged group of group g of t, and whether it exists.
func (m *merger) lookup(t *groupTable, g int) (uint32, bool) {
	if m.hashed != nil {
		m.hash = m.hashOf(t, g)
		d, ok := m.hashed[m.hash]
		for ok {
			if m.sameKeys(int(d), t, g) {
				return d, true
			}
			prev := m.next[d]
			d, ok = uint32(prev), prev >= 0
		}
		return 0, false
	}
	k := t.keys[0]
	if k.nulls[g] {
		return uint32(m.nullGroup), m.nullGroup >= 0
	}
	var d uint32
	var ok bool
	switch {
	case m.ints != nil:
		d, ok = m.ints[k.ints[g]]
	case m.flts != nil:
		d, ok = m.flts[floatKey(k.flts[g])]
	default:
		d, ok = m.strs[k.strs[g]]
	}
	return d, ok
}

// sameKeys reports whether merged group d has the keys of group g of t.
func (m *merger) sameKeys(d int, t *groupTable, g int) bool {
	for j, k := range m.out.keys {
		o := t.keys[j]
		if k.nulls[d] || o.nulls[g] {
			if k.nulls[d] != o.nulls[g] {
				return false
			}
			continue
		}
		switch k.t.Storage() {
		case schema.StorageInt64:
			if k.ints[d] != o.ints[g] {
				return false
			}
		case schema.StorageFloat64:
			if floatKey(k.flts[d]) != floatKey(o.flts[g]) {
				return false
			}
		default:
			if k.strs[d] != o.strs[g] {
				return false
			}
		}
	}
	return true
}

// insert records dst as the merged group of group g of t; with several
// keys, right after lookup or hashOf of that group.
func (m *merger) insert(t *groupTable, g int, dst uint32) {
	if m.hashed != nil {
		for len(m.next) <= int(dst) {
			m.next = append(m.next, -1)
		}
		if prev, ok := m.hashed[m.hash]; ok {
			m.next[dst] = int32(prev)
		}
		m.hashed[m.hash] = dst
		return
	}
	k := t.keys[0]
	switch {
	case k.nulls[g]:
		m.nullGroup = int64(dst)
	case m.ints != nil:
		m.ints[k.ints[g]] = dst
	case m.flts != nil:
		m.flts[floatKey(k.flts[g])] = dst
	default:
		m.strs[k.strs[g]] = dst
	}
}

func floatKey(f float64) uint64 {
	if f == 0 {
		return 0 // -0 and +0 group together
	}
	return math.Float64bits(f)
}

func (m *merger) add(t *groupTable) {
	if t.limitReached {
		m.out.limitReached = true
	}
	for g := 0; g < t.n; g++ {
		dst, ok := m.lookup(t, g)
		if !ok {
			dst = uint32(m.out.n)
			m.out.n++
			m.insert(t, g, dst)
			for j, k := range m.out.keys {
				k.appendFrom(t.keys[j], g)
			}
		}
		for i, a := range m.out.accs {
			if !ok {
				a.resize(m.out.n)
			}
			a.merge(int(dst), t.accs[i], g)
		}
	}
}
