// Package checkpoint names the steps of minilink's longer operations (a start, a stop, a removal)
// as they end, for two readers: a person who wants to see where the time goes, and the crash
// tests, which stop minilink dead at a chosen step.
//
//   - MINILINK_TIMING=1: every checkpoint prints, on stderr, the milliseconds since the process's
//     Go code began and since the previous checkpoint.
//   - MINILINK_CRASH_AT=NAME: the process that reaches the checkpoint NAME kills itself with
//     SIGKILL there, as a power cut or an OOM kill would, leaving whatever it made half done. Every
//     minilink process started with that environment obeys, the monitor of a detached container
//     included. It is a test hook; nothing else sets it.
package checkpoint

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

var (
	timingOn = os.Getenv("MINILINK_TIMING") != ""
	crashAt  = os.Getenv("MINILINK_CRASH_AT")
	mu       sync.Mutex
	start    = time.Now()
	last     = start
)

// Reached records that the step named name has just ended.
func Reached(name string) {
	if crashAt != "" && crashAt == name {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL cannot be caught: nothing after this runs
	}
	if !timingOn {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	now := time.Now()
	fmt.Fprintf(os.Stderr, "timing %d %7.2f ms %+7.2f ms  %s\n", os.Getpid(), ms(now.Sub(start)), ms(now.Sub(last)), name)
	last = now
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
