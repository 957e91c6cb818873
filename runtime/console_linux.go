package runtime

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// recvFile receives one file descriptor sent with SCM_RIGHTS; the payload is its name.
func recvFile(sock *os.File) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), name, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("expected one control message, got %d", len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		return nil, err
	}
	if len(fds) != 1 {
		return nil, fmt.Errorf("expected one file descriptor, got %d", len(fds))
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}

// attachment connects a started container's pty (if any) to this process's terminal and forwards
// signals to the container's process, until detach is called.
type attachment struct {
	signals  chan os.Signal
	restore  func()
	output   sync.WaitGroup
	stopOnce sync.Once
	detached atomic.Bool // signals arriving now are caught and dropped
}

// signaler is a process that can be signalled: a libcontainer process.
type signaler interface{ Signal(os.Signal) error }

// attach starts forwarding. With a pty, the host terminal goes into raw mode (so that Ctrl-C,
// Ctrl-D and job control reach the container's shell), its size follows the window, input is
// copied in when stdin is given, and output copied to out.
//
// signals is the channel of catchSignals, made before the container started: what arrived
// meanwhile is forwarded now.
func attach(pty console.Console, stdin io.Reader, out io.Writer, proc signaler, signals chan os.Signal) *attachment {
	a := &attachment{signals: signals, restore: func() {}}
	if pty != nil {
		if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
			if err := makeRaw(cur); err == nil {
				a.restore = func() { _ = cur.Reset() }
			}
			_ = pty.ResizeFrom(cur)
		}
		if stdin != nil {
			go func() { _, _ = io.Copy(pty, stdin) }()
		}
		a.output.Add(1)
		go func() {
			defer a.output.Done()
			_, _ = io.Copy(out, pty) // ends with EIO once the container side closes
		}()
	}
	go func() {
		for sig := range a.signals {
			if a.detached.Load() {
				continue
			}
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
				// Ours, not the container's: child exits, Go's preemption, closed pipes.
			case unix.SIGWINCH:
				if pty != nil {
					if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
						_ = pty.ResizeFrom(cur)
					}
				}
			default:
				_ = proc.Signal(sig)
			}
		}
	}()
	return a
}

// catchSignals starts catching every signal this process can catch, for attach to forward. A
// foreground run and exec call it before they start the container's process, so that a Ctrl-C or
// a kill arriving meanwhile reaches the process instead of killing minilink half-way. Go enables
// the signals one at a time, each a handshake with its signal thread, some 3 ms in all: the ones a
// user sends to stop a program (Ctrl-C, kill, a closed terminal, Ctrl-\) are caught before it
// returns, the others while the process is made. The function it returns waits until all are
// caught and returns their channel.
func catchSignals() func() chan os.Signal {
	c := make(chan os.Signal, 32)
	signal.Notify(c, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	caught := make(chan struct{})
	go func() {
		signal.Notify(c)
		close(caught)
	}()
	return sync.OnceValue(func() chan os.Signal {
		<-caught
		return c
	})
}

// detach stops forwarding, waits briefly for the remaining output and restores the terminal. The
// signals stay caught, and are dropped: giving them back (signal.Stop) is a handshake per signal,
// some 2 ms, and the process ends once it has released the container, which a Ctrl-C then does
// not cut short.
func (a *attachment) detach() {
	a.stopOnce.Do(func() {
		a.detached.Store(true)
		done := make(chan struct{})
		go func() { a.output.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		a.restore()
	})
}

// makeRaw puts the host terminal fully in raw mode, output included, as Docker's CLI does: the
// container's pty already turns "\n" into "\r\n" (which its log keeps too), so the host terminal
// must not do it again. containerd's SetRaw leaves output processing on.
func makeRaw(c console.Console) error {
	if err := c.SetRaw(); err != nil {
		return err
	}
	t, err := unix.IoctlGetTermios(int(c.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Oflag &^= unix.OPOST
	return unix.IoctlSetTermios(int(c.Fd()), unix.TCSETS, t)
}
