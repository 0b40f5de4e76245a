//go:build unix

package localstream

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on path, so that a second process
// opening the same stream fails instead of interleaving appends; the lock
// goes with the process, so a killed process never leaves it behind.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: another process has this stream open (%w)", path, err)
	}
	return f, nil
}
