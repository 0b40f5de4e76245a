//go:build linux

package fn

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFromDateTimeThroughput guards the ingestion requirement: the common
// 'yyyy-MM-dd HH:mm:ss' pattern parses at 5M values/s or more on one core.
// It measures the thread's CPU time, not wall time, so that a loaded
// machine does not make it flaky; the race detector's slowdown is exempt.
func TestFromDateTimeThroughput(t *testing.T) {
	p, err := compilePatternDT("yyyy-MM-dd HH:mm:ss", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]string, 1024)
	base := time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC)
	for i := range vals {
		vals[i] = base.Add(time.Duration(i) * 37 * time.Minute).Format("2006-01-02 15:04:05")
	}
	zc := newCursor(utcZone)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := func() time.Duration {
		var ru unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	const rounds = 2000
	start := cpu()
	for r := 0; r < rounds; r++ {
		for _, s := range vals {
			if _, err := p.parse(s, utcZone, &zc); err != nil {
				t.Fatal(err)
			}
		}
	}
	used := cpu() - start
	rate := float64(rounds*len(vals)) / used.Seconds()
	t.Logf("fromDateTime yyyy-MM-dd HH:mm:ss: %.1fM values/s per core", rate/1e6)
	if rate < 5e6 && !raceEnabled {
		t.Errorf("fromDateTime parses %.1fM values/s per core, want >= 5M", rate/1e6)
	}
}
