package explain

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Timing marks: with MINILINK_TIMING=1 each Mark prints, on stderr, the milliseconds since the
// process's Go code began and since the previous mark, so that `make bench`'s totals can be split
// into their parts.
var (
	timingOn    = os.Getenv("MINILINK_TIMING") != ""
	timingMu    sync.Mutex
	timingStart = time.Now()
	timingLast  = timingStart
)

// Mark records that the step named what has just ended.
func Mark(what string) {
	if !timingOn {
		return
	}
	timingMu.Lock()
	defer timingMu.Unlock()
	now := time.Now()
	fmt.Fprintf(os.Stderr, "timing %d %7.2f ms %+7.2f ms  %s\n", os.Getpid(), ms(now.Sub(timingStart)), ms(now.Sub(timingLast)), what)
	timingLast = now
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
