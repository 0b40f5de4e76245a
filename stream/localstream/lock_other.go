//go:build !unix

package localstream

import "os"

// lockDir opens the lock file; without flock, a second process is not
// kept out.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
