// Package explain prints what minilink does to the kernel as the shell commands a learner would
// type to do the same (`ip link add …`, `iptables -t nat -A …`, `mount -t overlay …`), with
// annotations on lines of their own starting with "#". It is off unless enabled (--explain or
// MINILINK_EXPLAIN=1). Every command is printed just before minilink makes the change, and only
// when it makes it: replaying the printed commands builds the same state.
package explain

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

var (
	mu  sync.Mutex
	out io.Writer // nil: off
)

// Enable sends explanations to w; a nil w turns them off.
func Enable(w io.Writer) {
	mu.Lock()
	defer mu.Unlock()
	out = w
}

// Enabled reports whether explanations are printed.
func Enabled() bool {
	mu.Lock()
	defer mu.Unlock()
	return out != nil
}

// Command prints one command, each argument quoted for a POSIX shell when it needs it.
func Command(args ...string) {
	mu.Lock()
	defer mu.Unlock()
	if out == nil {
		return
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = Quote(a)
	}
	fmt.Fprintln(out, "+ "+strings.Join(quoted, " "))
}

// Note prints an annotation: what a command does, or a change that is not a command (a file
// written, the environment given to a process).
func Note(format string, a ...any) {
	mu.Lock()
	defer mu.Unlock()
	if out == nil {
		return
	}
	for _, line := range strings.Split(fmt.Sprintf(format, a...), "\n") {
		fmt.Fprintln(out, "# "+line)
	}
}

// Quote returns s as one shell word.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
