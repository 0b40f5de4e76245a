package immutable

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine it
// measures work where wall time measures contention too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPURate reports rows per CPU-second since start (GC work of other
// goroutines included).
func reportCPURate(b *testing.B, start time.Duration, rows float64) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(rows/d.Seconds(), "rows/cpu-s")
	}
}
