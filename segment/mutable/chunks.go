package mutable

// chunked is an append-only array stored in fixed-size chunks that never
// move once allocated. The writer appends past the end; a reader holds a
// copy of the directory taken when the row count was published and reads
// only below that count, so the two never touch the same element and no
// element a reader holds is ever copied or freed.
type chunked[T any] struct {
	dir   [][]T
	shift uint
}

func newChunked[T any](shift uint, capacity int) chunked[T] {
	return chunked[T]{shift: shift, dir: make([][]T, 0, (capacity>>shift)+1)}
}

// write stores src at positions start.. (start must not exceed the
// number of elements written so far).
func (c *chunked[T]) write(start int, src []T) {
	size := 1 << c.shift
	for len(src) > 0 {
		ci, off := start>>c.shift, start&(size-1)
		if ci == len(c.dir) {
			c.dir = append(c.dir, make([]T, size))
		}
		n := copy(c.dir[ci][off:], src)
		src = src[n:]
		start += n
	}
}

// set stores one element at position i (at most the count written).
func (c *chunked[T]) set(i int, v T) {
	ci := i >> c.shift
	if ci == len(c.dir) {
		c.dir = append(c.dir, make([]T, 1<<c.shift))
	}
	c.dir[ci][i&(1<<c.shift-1)] = v
}

// bytes is the memory the chunks take, given the element size.
func (c *chunked[T]) bytes(elem int) int64 {
	return int64(len(c.dir)) * int64(elem) << c.shift
}

// view is a reader's copy of a chunked array's directory.
type view[T any] struct {
	dir   [][]T
	shift uint
}

func (c *chunked[T]) view() view[T] { return view[T]{dir: c.dir, shift: c.shift} }

func (v view[T]) at(i uint32) T {
	return v.dir[i>>v.shift][i&(1<<v.shift-1)]
}

// gather fills dst[:len(docs)] with the elements at docs (ascending), a
// chunk at a time for a contiguous run.
func (v view[T]) gather(docs []uint32, dst []T) {
	n := len(docs)
	if n == 0 {
		return
	}
	dst = dst[:n]
	if int(docs[n-1]-docs[0]) == n-1 {
		v.copyRun(int(docs[0]), dst)
		return
	}
	mask := uint32(1)<<v.shift - 1
	for i, d := range docs {
		dst[i] = v.dir[d>>v.shift][d&mask]
	}
}

// copyRun copies the elements start.. into dst.
func (v view[T]) copyRun(start int, dst []T) {
	size := 1 << v.shift
	for len(dst) > 0 {
		ci, off := start>>v.shift, start&(size-1)
		n := copy(dst, v.dir[ci][off:])
		dst = dst[n:]
		start += n
	}
}

// appendRange appends the elements [lo, hi) to dst.
func (v view[T]) appendRange(dst []T, lo, hi int) []T {
	size := 1 << v.shift
	for lo < hi {
		ci, off := lo>>v.shift, lo&(size-1)
		end := min(size, off+hi-lo)
		dst = append(dst, v.dir[ci][off:end]...)
		lo += end - off
	}
	return dst
}
