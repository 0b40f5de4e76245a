//go:build unix

package datagen

import (
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time, for benchmarks that
// report throughput per CPU-second on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
