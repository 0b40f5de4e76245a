package localstream

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tannin-db/tannin/stream"
)

const (
	metaFile = "partitions.json"
	lockFile = "LOCK"
	// headerSize is the frame header: body length and CRC.
	headerSize = 8
	// bodyPrefix is the fixed part of a body: arrival and key length.
	bodyPrefix = 12
	// MaxRecordSize bounds key plus data of one record (Kinesis allows
	// 1 MiB; the bound is larger, and catches a corrupt length).
	MaxRecordSize = 8 << 20
	// indexEvery is the stride of the sparse index.
	indexEvery = 64
	// readChunk is how much one Fetch reads at most, unless a single
	// record is larger.
	readChunk = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configure Open; the zero value opens an existing stream.
type Options struct {
	// Partitions is the number of partitions of a stream Open creates; it
	// is ignored when the directory already holds a stream.
	Partitions int
	// Sync makes every Append fsync the log before it returns.
	Sync bool
	// Now is the clock that stamps arrivals (default time.Now).
	Now func() time.Time
	// FetchWait is how long a Fetch waits for records before returning
	// empty (default 500ms).
	FetchWait time.Duration
	// Logger reports torn tails truncated on open (default slog.Default()).
	Logger *slog.Logger
}

// Record is one record to append.
type Record struct {
	Key  string
	Data []byte
}

// Stream is a stream in a directory. It is safe for concurrent use.
type Stream struct {
	dir  string
	opts Options
	lock *os.File

	mu     sync.Mutex
	parts  map[string]*partition
	nextID int
	closed bool
	wbuf   []byte
}

type indexEntry struct {
	pos     int64 // start of the frame
	arrival int64
}

type partition struct {
	id      string
	parents []string
	closed  bool
	f       *os.File
	// size is the end of the last complete frame; count the number of
	// frames; last the newest arrival. Guarded by Stream.mu.
	size    int64
	count   int64
	last    int64
	index   []indexEntry
	changed chan struct{}
}

type metaJSON struct {
	Version    int             `json:"version"`
	Next       int             `json:"next"`
	Partitions []partitionJSON `json:"partitions"`
}

type partitionJSON struct {
	ID      string   `json:"id"`
	Parents []string `json:"parents,omitempty"`
	Closed  bool     `json:"closed,omitempty"`
}

// Open opens the stream in dir, creating the directory and a stream of
// o.Partitions partitions when there is none.
func Open(dir string, o Options) (*Stream, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FetchWait <= 0 {
		o.FetchWait = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localstream: open %s: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("localstream: open %s: %w", dir, err)
	}
	s := &Stream{dir: dir, opts: o, lock: lock, parts: map[string]*partition{}}
	if err := s.load(); err != nil {
		s.Close()
		return nil, fmt.Errorf("localstream: open %s: %w", dir, err)
	}
	return s, nil
}

func (s *Stream) load() error {
	data, err := os.ReadFile(filepath.Join(s.dir, metaFile))
	if errors.Is(err, os.ErrNotExist) {
		if s.opts.Partitions < 1 {
			return fmt.Errorf("no stream here, and Options.Partitions is %d; give at least 1 to create one", s.opts.Partitions)
		}
		for range s.opts.Partitions {
			if _, err := s.addLocked(nil); err != nil {
				return err
			}
		}
		return s.saveLocked()
	}
	if err != nil {
		return err
	}
	var m metaJSON
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", metaFile, err)
	}
	if m.Version != 1 {
		return fmt.Errorf("%s: version %d; this build reads version 1", metaFile, m.Version)
	}
	s.nextID = m.Next
	for _, pj := range m.Partitions {
		p, err := s.openPartition(pj.ID)
		if err != nil {
			return err
		}
		p.parents, p.closed = pj.Parents, pj.Closed
		s.parts[p.id] = p
	}
	return nil
}

// saveLocked replaces partitions.json atomically: write a temporary file,
// fsync it, rename it over the old one, fsync the directory.
func (s *Stream) saveLocked() error {
	m := metaJSON{Version: 1, Next: s.nextID}
	for _, id := range slices.Sorted(mapsKeys(s.parts)) {
		p := s.parts[id]
		m.Partitions = append(m.Partitions, partitionJSON{ID: p.id, Parents: p.parents, Closed: p.closed})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, metaFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, metaFile)); err != nil {
		return err
	}
	return syncDir(s.dir)
}

func mapsKeys(m map[string]*partition) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// addLocked creates the log of a new partition; the caller saves the
// metadata afterwards, so a crash in between leaves an unlisted empty log
// that the next partition created reuses.
func (s *Stream) addLocked(parents []string) (*partition, error) {
	id := fmt.Sprintf("shardId-%012d", s.nextID)
	p, err := s.openPartition(id)
	if err != nil {
		return nil, err
	}
	if p.size != 0 {
		p.f.Close()
		return nil, fmt.Errorf("partition %s: log %s.log is not empty but the partition is not listed in %s", id, id, metaFile)
	}
	s.nextID++
	p.parents = parents
	s.parts[id] = p
	return p, nil
}

// openPartition opens (creating if need be) a partition's log, scans it,
// truncates a torn tail and builds the sparse index.
func (s *Stream) openPartition(id string) (*partition, error) {
	name := filepath.Join(s.dir, id+".log")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	p := &partition{id: id, f: f, changed: make(chan struct{})}
	fileSize, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	good, reason, err := p.scan(fileSize)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("scan %s: %w", name, err)
	}
	if good < fileSize {
		s.opts.Logger.Warn("localstream: truncating a torn tail", "partition", id, "file", name,
			"at", good, "dropped_bytes", fileSize-good, "reason", reason)
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate %s: %w", name, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return p, nil
}

// scan reads every frame, filling size, count, last and the index, and
// returns the end of the last good frame and, if it is not the end of the
// file, why the frame there is bad.
func (p *partition) scan(fileSize int64) (int64, string, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(p.f, 0, fileSize), 1<<20)
	var hdr [headerSize]byte
	var body []byte
	pos := int64(0)
	for pos < fileSize {
		if fileSize-pos < headerSize {
			return pos, "short frame header", nil
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, "", err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:]))
		if n < bodyPrefix || n > bodyPrefix+MaxRecordSize {
			return pos, fmt.Sprintf("frame length %d out of range", n), nil
		}
		if fileSize-pos-headerSize < n {
			return pos, "short frame body", nil
		}
		body = slices.Grow(body[:0], int(n))[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			return 0, "", err
		}
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return pos, "CRC mismatch", nil
		}
		if int64(binary.LittleEndian.Uint32(body[8:])) > n-bodyPrefix {
			return pos, "key length out of range", nil
		}
		p.addFrame(pos, int64(binary.LittleEndian.Uint64(body)), headerSize+n)
		pos += headerSize + n
	}
	return pos, "", nil
}

func (p *partition) addFrame(pos, arrival, length int64) {
	if p.count%indexEvery == 0 {
		p.index = append(p.index, indexEntry{pos: pos, arrival: arrival})
	}
	p.count++
	p.last = arrival
	p.size = pos + length
}

func (s *Stream) get(id string) (*partition, error) {
	if s.closed {
		return nil, errors.New("localstream: stream is closed")
	}
	p, ok := s.parts[id]
	if !ok {
		return nil, fmt.Errorf("localstream: partition %q: %w", id, stream.ErrUnknownPartition)
	}
	return p, nil
}

// Append writes records to the end of an open partition, in order, with
// one write, and returns their offsets.
func (s *Stream) Append(partition string, recs ...Record) ([]stream.Offset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return nil, err
	}
	if p.closed {
		return nil, fmt.Errorf("localstream: append to partition %q: it is closed (split or merged)", partition)
	}
	arrival := max(s.opts.Now().UnixMilli(), p.last)
	buf := s.wbuf[:0]
	for i, r := range recs {
		if len(r.Key)+len(r.Data) > MaxRecordSize {
			return nil, fmt.Errorf("localstream: append to partition %q: record %d has %d bytes of key and data; the limit is %d", partition, i, len(r.Key)+len(r.Data), MaxRecordSize)
		}
		n := bodyPrefix + len(r.Key) + len(r.Data)
		start := len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
		buf = binary.LittleEndian.AppendUint32(buf, 0)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(arrival))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(r.Key)))
		buf = append(buf, r.Key...)
		buf = append(buf, r.Data...)
		binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+headerSize:], castagnoli))
	}
	s.wbuf = buf
	if _, err := p.f.WriteAt(buf, p.size); err != nil {
		// Cut whatever part was written, so the log ends at a frame.
		p.f.Truncate(p.size)
		return nil, fmt.Errorf("localstream: append to partition %q: %w", partition, err)
	}
	if s.opts.Sync {
		if err := p.f.Sync(); err != nil {
			p.f.Truncate(p.size)
			return nil, fmt.Errorf("localstream: append to partition %q: %w", partition, err)
		}
	}
	offs := make([]stream.Offset, len(recs))
	base, pos := p.size, p.size
	for i := range recs {
		n := int64(binary.LittleEndian.Uint32(buf[pos-base:]))
		p.addFrame(pos, arrival, headerSize+n)
		pos += headerSize + n
		offs[i] = posOffset(pos)
	}
	if len(buf) > 4<<20 {
		s.wbuf = nil // don't keep a huge batch's buffer
	}
	p.notify()
	return offs, nil
}

// Produce appends one record to the open partition its key hashes to
// (FNV-1a over the open partitions in ID order), as a Kinesis producer's
// partition key would choose a shard.
func (s *Stream) Produce(key string, data []byte) (partition string, off stream.Offset, err error) {
	s.mu.Lock()
	var open []string
	for id, p := range s.parts {
		if !p.closed {
			open = append(open, id)
		}
	}
	s.mu.Unlock()
	if len(open) == 0 {
		return "", "", errors.New("localstream: produce: the stream has no open partition")
	}
	sort.Strings(open)
	h := fnv.New32a()
	h.Write([]byte(key))
	partition = open[h.Sum32()%uint32(len(open))]
	offs, err := s.Append(partition, Record{Key: key, Data: data})
	if err != nil {
		return "", "", err
	}
	return partition, offs[0], nil
}

func (p *partition) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Split closes partition and returns the two open partitions that replace
// it.
func (s *Stream) Split(partition string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return nil, err
	}
	if p.closed {
		return nil, fmt.Errorf("localstream: split partition %q: it is already closed", partition)
	}
	a, err := s.addLocked([]string{partition})
	if err != nil {
		return nil, fmt.Errorf("localstream: split partition %q: %w", partition, err)
	}
	b, err := s.addLocked([]string{partition})
	if err != nil {
		return nil, fmt.Errorf("localstream: split partition %q: %w", partition, err)
	}
	p.closed = true
	if err := s.saveLocked(); err != nil {
		return nil, fmt.Errorf("localstream: split partition %q: %w", partition, err)
	}
	p.notify()
	return []string{a.id, b.id}, nil
}

// Merge closes partitions a and b and returns the open partition that
// replaces them.
func (s *Stream) Merge(a, b string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == b {
		return "", fmt.Errorf("localstream: merge partition %q with itself", a)
	}
	var ps [2]*partition
	for i, id := range []string{a, b} {
		p, err := s.get(id)
		if err != nil {
			return "", err
		}
		if p.closed {
			return "", fmt.Errorf("localstream: merge partition %q: it is already closed", id)
		}
		ps[i] = p
	}
	c, err := s.addLocked([]string{a, b})
	if err != nil {
		return "", fmt.Errorf("localstream: merge partitions %q and %q: %w", a, b, err)
	}
	ps[0].closed, ps[1].closed = true, true
	if err := s.saveLocked(); err != nil {
		return "", fmt.Errorf("localstream: merge partitions %q and %q: %w", a, b, err)
	}
	ps[0].notify()
	ps[1].notify()
	return c.id, nil
}

// Partitions lists the partitions ordered by ID.
func (s *Stream) Partitions(ctx context.Context) ([]stream.Partition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("localstream: stream is closed")
	}
	out := make([]stream.Partition, 0, len(s.parts))
	for _, p := range s.parts {
		out = append(out, stream.Partition{ID: p.id, Parents: slices.Clone(p.parents), Closed: p.closed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Consumer returns a consumer of one partition.
func (s *Stream) Consumer(partition string) (stream.Consumer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.get(partition)
	if err != nil {
		return nil, err
	}
	return &consumer{s: s, p: p}, nil
}

// Compare orders two offsets: Start, then AtTime markers by time, then
// record offsets by position.
func (s *Stream) Compare(a, b stream.Offset) (int, error) {
	return stream.CompareIntOffsets(a, b, offsetForm)
}

// Close closes the logs and releases the directory.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, p := range s.parts {
		errs = append(errs, p.f.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

type consumer struct {
	s *Stream
	p *partition
	// valid is the last Next this consumer returned, a known frame
	// boundary, so the usual fetch needs no boundary check.
	valid  int64
	buf    []byte
	recs   []stream.Record
	strs   []byte
	spans  [][3]int // per record: key start, offset start, offset end in strs
	closed bool
}

func (c *consumer) Close() error {
	c.closed = true
	return nil
}

// snapshot is what a fetch needs of a partition, read under the lock.
type snapshot struct {
	size    int64
	closed  bool
	index   []indexEntry
	changed <-chan struct{}
}

func (c *consumer) snap() (snapshot, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.closed {
		return snapshot{}, errors.New("localstream: stream is closed")
	}
	p := c.p
	// The index only grows; the slice header taken here stays valid.
	return snapshot{size: p.size, closed: p.closed, index: p.index, changed: p.changed}, nil
}

// Fetch returns up to max records after from, waiting up to FetchWait for
// the first one.
func (c *consumer) Fetch(ctx context.Context, from stream.Offset, max int) (stream.FetchResult, error) {
	id := c.p.id
	if c.closed {
		return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: fetch on a closed consumer", id)
	}
	if max < 1 {
		return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: fetch of %d records; max must be at least 1", id, max)
	}
	key, err := stream.ParseIntOffset(from, offsetForm)
	if err != nil {
		return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: %w", id, err)
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return stream.FetchResult{}, err
		}
		sn, err := c.snap()
		if err != nil {
			return stream.FetchResult{}, err
		}
		var pos int64
		switch key.Kind {
		case stream.PosStart:
			pos = 0
		case stream.PosTime:
			if pos, err = c.findTime(sn, key.N); err != nil {
				return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: %w", id, err)
			}
		default:
			pos = key.N
			if err := c.checkBoundary(sn, pos); err != nil {
				return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: offset %q: %w", id, from, err)
			}
		}
		if pos < sn.size {
			return c.read(from, pos, sn, max)
		}
		if sn.closed {
			return stream.FetchResult{Next: from, EndOfPartition: true}, nil
		}
		if timer == nil {
			timer = time.NewTimer(c.s.opts.FetchWait)
		}
		select {
		case <-sn.changed:
		case <-timer.C:
			return stream.FetchResult{Next: from}, nil
		case <-ctx.Done():
			return stream.FetchResult{}, ctx.Err()
		}
	}
}

// frameAt reads the header and arrival of the frame at pos.
func (c *consumer) frameAt(pos int64) (length, arrival int64, err error) {
	var b [headerSize + 8]byte
	if _, err := c.p.f.ReadAt(b[:], pos); err != nil {
		return 0, 0, err
	}
	return headerSize + int64(binary.LittleEndian.Uint32(b[0:])), int64(binary.LittleEndian.Uint64(b[headerSize:])), nil
}

// checkBoundary verifies that pos ends a frame, walking the frames from
// the index entry before it.
func (c *consumer) checkBoundary(sn snapshot, pos int64) error {
	if pos == c.valid || pos == sn.size {
		return nil
	}
	if pos > sn.size {
		return fmt.Errorf("beyond the partition's end (%d)", sn.size)
	}
	// i is the last index entry at or before pos.
	i := sort.Search(len(sn.index), func(i int) bool { return sn.index[i].pos > pos }) - 1
	at := int64(0)
	if i >= 0 {
		at = sn.index[i].pos
	}
	for at < pos {
		n, _, err := c.frameAt(at)
		if err != nil {
			return err
		}
		at += n
	}
	if at != pos {
		return errors.New("not a record boundary")
	}
	return nil
}

// findTime returns the position of the first frame that arrived at or
// after ms, or the end.
func (c *consumer) findTime(sn snapshot, ms int64) (int64, error) {
	i := sort.Search(len(sn.index), func(i int) bool { return sn.index[i].arrival >= ms })
	at := int64(0)
	if i > 0 {
		at = sn.index[i-1].pos
	}
	for at < sn.size {
		n, arrival, err := c.frameAt(at)
		if err != nil {
			return 0, err
		}
		if arrival >= ms {
			return at, nil
		}
		at += n
	}
	return sn.size, nil
}

// read returns the frames from pos, which is before sn.size.
func (c *consumer) read(from stream.Offset, pos int64, sn snapshot, limit int) (stream.FetchResult, error) {
	id := c.p.id
	n := min(sn.size-pos, readChunk)
	if first, _, err := c.frameAt(pos); err != nil {
		return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: read at %d: %w", id, pos, err)
	} else if first > n {
		n = first
	}
	c.buf = slices.Grow(c.buf[:0], int(n))[:n]
	if _, err := c.p.f.ReadAt(c.buf, pos); err != nil {
		return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: read at %d: %w", id, pos, err)
	}
	// Keys and offsets are strings that callers may keep (Next above
	// all); they are cut from one string built per fetch, so that a fetch
	// allocates once, not twice per record.
	c.recs = c.recs[:0]
	c.spans = c.spans[:0]
	strs := c.strs[:0]
	b := c.buf
	at := pos
	for len(c.recs) < limit && len(b) >= headerSize {
		bodyLen := int(binary.LittleEndian.Uint32(b))
		if len(b) < headerSize+bodyLen {
			break
		}
		body := b[headerSize : headerSize+bodyLen]
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
			return stream.FetchResult{}, fmt.Errorf("localstream: partition %q: frame at %d: CRC mismatch", id, at)
		}
		keyLen := int(binary.LittleEndian.Uint32(body[8:]))
		at += int64(headerSize + bodyLen)
		k := len(strs)
		strs = append(strs, body[bodyPrefix:bodyPrefix+keyLen]...)
		o := len(strs)
		strs = strconv.AppendInt(strs, at, 10)
		c.spans = append(c.spans, [3]int{k, o, len(strs)})
		c.recs = append(c.recs, stream.Record{
			Data:      body[bodyPrefix+keyLen:],
			ArrivalMs: int64(binary.LittleEndian.Uint64(body)),
		})
		b = b[headerSize+bodyLen:]
	}
	c.strs = strs
	all := string(strs)
	for i, sp := range c.spans {
		c.recs[i].Key = all[sp[0]:sp[1]]
		c.recs[i].Offset = stream.Offset(all[sp[1]:sp[2]])
	}
	res := stream.FetchResult{Records: c.recs, Next: c.recs[len(c.recs)-1].Offset, LagMs: 0}
	c.valid = at
	switch {
	case at == sn.size:
		res.EndOfPartition = sn.closed
	case len(b) >= headerSize+8:
		res.LagMs = max(0, c.s.opts.Now().UnixMilli()-int64(binary.LittleEndian.Uint64(b[headerSize:])))
	default:
		res.LagMs = -1
	}
	return res, nil
}

func posOffset(pos int64) stream.Offset { return stream.Offset(strconv.FormatInt(pos, 10)) }

// offsetForm describes record offsets in errors.
const offsetForm = "a localstream record offset is a byte position in decimal"
