// Package syncbuf is a bytes.Buffer that one goroutine may write while
// another reads it: the sink tests and harnesses give a child process's
// output or a logger, and read while it runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a byte buffer safe for concurrent Write and String.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
