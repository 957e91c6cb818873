// Package waiter is what the monitor of a detached container turns into while the container
// runs: a loop in C, started before Go's runtime, that waits for the container's process and
// copies its output into the container's json-file log.
//
// A detached container needs a process of its own for as long as it runs: the parent that reaps
// the container's init, reads its output and records its exit. minilink's monitor starts the
// container with libcontainer, which takes a Go process of 15 MiB resident; idle, for days, one
// per container, that is what a learner's VM would spend on waiting. So once the container runs,
// the monitor execs its own binary again with the hand-over in the environment (the container's
// pid and the descriptors of its output and log): this package's constructor, which runs before
// Go's runtime starts, finds it and waits in about 1.5 MiB (make bench). The exec keeps the
// process, so the container's init stays its child, and keeps the pid, which the container's
// record names as its owner. When the container exits the waiter execs the binary once more,
// with the wait status in the environment: the monitor, back in Go, records the exit and
// releases the network (Returned).
//
// libcontainer's nsenter works the same way: a constructor that takes over the process before
// Go starts when an environment variable tells it to.
package waiter

/*
#include <stdlib.h>
#include "waiter.h"
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	waiterEnv = C.MINILINK_WAITER_ENV
	waitedEnv = C.MINILINK_WAITED_ENV
)

// Streams are the descriptors the waiter reads and writes. Stdout and Stderr are the read ends
// of the container's output pipes, or with a terminal Stdout is the pty master and Stderr -1.
// Log is the container's json-file log, open for appending. OwnerLock is the monitor's lock on
// the container's directory (or -1), which the waiter holds while it waits and closes before it
// execs the monitor again.
type Streams struct {
	Stdout, Stderr, Log, OwnerLock int
}

// Exec replaces this process by the waiter for the container process pid, which must be its
// child. When the container exits, the waiter execs this binary again with the command line args
// (args[0] first). It returns only when the exec fails.
func Exec(pid int, s Streams, args []string) error {
	for _, fd := range []int{s.Stdout, s.Stderr, s.Log, s.OwnerLock} {
		if fd < 0 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("keep descriptor %d for the waiter: %w", fd, err)
		}
	}
	env := append(os.Environ(), fmt.Sprintf("%s=%d %d %d %d %d", waiterEnv, pid, s.Stdout, s.Stderr, s.Log, s.OwnerLock))
	if err := syscall.Exec("/proc/self/exe", args, env); err != nil {
		return fmt.Errorf("exec the waiter: %w", err)
	}
	return nil
}

// Returned reports whether this process is a monitor back from the waiter, and if so the
// container's wait status (ok false: it could not be had). The hand-back leaves the environment,
// so that nothing this process starts inherits it.
func Returned() (status unix.WaitStatus, ok, back bool) {
	v, back := os.LookupEnv(waitedEnv)
	if !back {
		return 0, false, false
	}
	os.Unsetenv(waitedEnv)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false, true
	}
	return unix.WaitStatus(n), true, true
}

// logEntry is the waiter's encoding of one log line, for comparing it with Go's.
func logEntry(line []byte, stream string, t time.Time) []byte {
	out := make([]byte, 6*len(line)+128)
	cs := C.CString(stream)
	defer C.free(unsafe.Pointer(cs))
	ts := C.struct_timespec{tv_sec: C.time_t(t.Unix()), tv_nsec: C.long(t.Nanosecond())}
	var p *C.uchar
	if len(line) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&line[0]))
	}
	n := C.minilink_log_entry((*C.char)(unsafe.Pointer(&out[0])), p, C.size_t(len(line)), cs, &ts)
	return out[:n]
}
