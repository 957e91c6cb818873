package runtime

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors, checked with errors.Is at the CLI boundary.
var (
	// ErrNoSuchContainer: a name, ID or prefix resolved to nothing.
	ErrNoSuchContainer = errors.New("no such container")
	// ErrNameInUse: another container already has the name.
	ErrNameInUse = errors.New("name in use")
	// ErrLinkTargetNotRunning: a linked child is missing or stopped when its parent starts.
	ErrLinkTargetNotRunning = errors.New("link target not running")
	// ErrRunning: the operation needs a stopped container.
	ErrRunning = errors.New("container is running")
	// ErrNotRunning: the operation needs a running container.
	ErrNotRunning = errors.New("container is not running")
	// ErrInvalidArgument: bad user input.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrHostNotReady: the host lacks something minilink needs from the kernel (the bridge, the
	// rules, overlayfs); `minilink doctor` says what.
	ErrHostNotReady = errors.New("host not ready")
)

// ExitError carries the exit code of a container's process through the error chain: run, start -a
// and exec return it so that the CLI exits with the container's status.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

// userError is an error whose text is the message alone, and which still matches sentinel with
// errors.Is, so that the CLI can choose the exit code without the sentinel's words in the message.
func userError(sentinel error, format string, args ...any) error {
	return &sentinelError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

type sentinelError struct {
	sentinel error
	msg      string
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() error { return e.sentinel }
