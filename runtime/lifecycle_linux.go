package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/checkpoint"
	"github.com/minilink/minilink/explain"
	"github.com/minilink/minilink/runtime/waiter"
)

// Attach is the terminal a foreground container is attached to.
type Attach struct {
	Stdin          *os.File // nil unless -i
	Stdout, Stderr *os.File
}

// StartAttached starts a created or stopped container in this process and waits for it, with its
// streams on the caller's terminal: `start -a`. It returns the container's exit code.
func (r *Runtime) StartAttached(arg string, a Attach) (int, error) {
	return r.runAttached(a, func() (*Container, []*Container, error) { return r.startableLocked(arg) })
}

// RunAttached creates a container and starts it in this process, as StartAttached does: foreground
// `run`. The create and the start happen under one hold of the lock, on one listing of the
// containers. It returns the container, also when the create succeeded and the start failed.
func (r *Runtime) RunAttached(o CreateOptions, a Attach) (*Container, int, error) {
	var c *Container
	code, err := r.runAttached(a, func() (*Container, []*Container, error) {
		created, all, err := r.createCurrentLocked(o)
		c = created
		return created, all, err
	})
	return c, code, err
}

// createCurrentLocked creates a container on the current listing, and returns it with the listing,
// the new container included, for its start. Its first record already says "starting", as the
// start's first step would write it: one synced write less on every run.
//
// Preconditions: the lock is held.
func (r *Runtime) createCurrentLocked(o CreateOptions) (*Container, []*Container, error) {
	all, err := r.currentLocked()
	if err != nil {
		return nil, nil, err
	}
	c, err := r.createLocked(all, o, true)
	if err != nil {
		return nil, nil, err
	}
	return c, append([]*Container{c}, all...), nil // newest first, as a listing is
}

// runAttached starts the container pick returns (under the lock) and waits for it, attached.
func (r *Runtime) runAttached(a Attach, pick func() (*Container, []*Container, error)) (int, error) {
	caught := catchSignals() // while the container is made
	unlock, err := r.lock()
	if err != nil {
		signal.Stop(caught())
		return 0, err
	}
	checkpoint.Reached("locked")
	c, all, err := pick()
	if err != nil {
		unlock()
		signal.Stop(caught())
		return 0, err
	}
	streams := stdio{Stdout: a.Stdout, Stderr: a.Stderr}
	if a.Stdin != nil {
		streams.Stdin = a.Stdin
	}
	checkpoint.Reached("current listed")
	s, err := r.launchLocked(c, all, streams)
	checkpoint.Reached("launched")
	unlock()
	signals := caught()
	if err != nil {
		signal.Stop(signals)
		return 0, err
	}
	var out io.Writer = a.Stdout
	if s.pty != nil {
		out = io.MultiWriter(a.Stdout, s.log.stream("stdout"))
	}
	var in io.Reader
	if a.Stdin != nil {
		in = a.Stdin
	}
	att := attach(s.pty, in, out, s.proc, signals)
	checkpoint.Reached("attached")
	code := r.wait(s)
	checkpoint.Reached("waited")
	att.detach()
	return code, r.finish(s, code)
}

// startableLocked resolves arg to a container that is not running; it also returns every
// container, for the start to work with.
func (r *Runtime) startableLocked(arg string) (*Container, []*Container, error) {
	all, err := r.currentLocked()
	if err != nil {
		return nil, nil, err
	}
	c, err := resolve(all, arg)
	if err != nil {
		return nil, nil, err
	}
	if c.State.Running() {
		return nil, nil, userError(ErrRunning, "container %s is already running", c.Name)
	}
	return c, all, nil
}

// wait waits for the container's process and returns its exit code.
func (r *Runtime) wait(s *session) int {
	ps, err := s.proc.Wait()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ps = ee.ProcessState
		}
	}
	return exitCode(ps)
}

func (r *Runtime) finish(s *session, code int) error {
	s.close()
	return r.finishID(s.c.ID, code)
}

// finishID records that container id's process exited with code, unless the container was
// removed meanwhile.
func (r *Runtime) finishID(id string, code int) error {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := r.load(id)
	if errors.Is(err, os.ErrNotExist) {
		return nil // rm -f removed it meanwhile
	}
	if err != nil {
		return err
	}
	return r.finishLocked(nil, c, code, "")
}

// What a monitor tells the command that started it, on its fd 3: monitorReady once the container
// runs, or encodeMonitorError's line. A monitor that creates the container first (run -d) sends a
// line monitorCreated+ID as soon as the record is written, after a line monitorWarning+TEXT for
// each warning of the create.
const (
	monitorReady   = "ok"
	monitorCreated = "created "
	monitorWarning = "warning "
)

// StartDetached starts a container under a monitor process that outlives this command, and
// returns once the container runs (or failed to start).
func (r *Runtime) StartDetached(arg string) (*Container, error) {
	c, err := r.Get(arg)
	if err != nil {
		return nil, err
	}
	if c.State.Running() {
		return c, nil // Docker's start of a running container is a no-op
	}
	if _, err := r.startMonitor(c.ID, nil, nil); err != nil {
		return nil, err
	}
	return r.Get(c.ID)
}

// RunDetached creates a container and starts it under a monitor, as `run -d` does, and returns its
// ID once it runs. The monitor does both under one hold of the lock and on one listing of the
// containers, which with hundreds of containers is most of either step's cost. Warnings of the
// create go to o.Warn. When the create succeeded and the start failed, the ID comes with the error.
func (r *Runtime) RunDetached(o CreateOptions) (string, error) {
	options, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("encode the options of the container: %w", err)
	}
	return r.startMonitor("", bytes.NewReader(options), o.Warn)
}

func (r *Runtime) monitorLog(id string) string {
	return filepath.Join(r.containerDir(id), "monitor.log")
}

// monitorArgs is the command line of a monitor: `monitor ID`, which the waiter also execs when the
// container exits, or `monitor --create` for run -d.
func (r *Runtime) monitorArgs(arg string) []string {
	return []string{r.Self, "--root", r.Root, "monitor", arg}
}

// startMonitor starts the monitor of container id, or with id "" a monitor that creates the
// container from options, and waits until it reports: it returns the container's ID (once known)
// and the monitor's error, if any. The monitor writes to our stderr until it has a container
// whose log it can write to (see monitor).
func (r *Runtime) startMonitor(id string, options io.Reader, warn func(string)) (string, error) {
	args := r.monitorArgs(id)
	if id == "" {
		args = r.monitorArgs("--create")
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("monitor pipe: %w", err)
	}
	defer readyR.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = options, os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{readyW}
	if explain.Enabled() {
		// The monitor makes the kernel changes: it explains them on our stderr until it is ready.
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.Stderr)
	}
	// Its own session: a Ctrl-C or hangup on this terminal must not reach the monitor.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return "", fmt.Errorf("start monitor: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reaped if it ends while we still run
	data, _ := io.ReadAll(readyR)
	msg := string(data)
	for {
		line, rest, ok := strings.Cut(msg, "\n")
		switch {
		case ok && strings.HasPrefix(line, monitorWarning):
			if warn != nil {
				warn(strings.TrimPrefix(line, monitorWarning))
			}
		case ok && strings.HasPrefix(line, monitorCreated) && isFullID(strings.TrimPrefix(line, monitorCreated)):
			id = strings.TrimPrefix(line, monitorCreated)
		default:
			if msg == monitorReady {
				return id, nil
			}
			logPath := ""
			if id != "" {
				logPath = r.monitorLog(id)
			}
			return id, decodeMonitorError(msg, logPath)
		}
		msg = rest
	}
}

// Monitor is the body of `minilink monitor ID`: start the container, report to the starting
// command on fd 3, then hand over to the waiter (package waiter), which waits for the container
// and copies its output into the log in a fraction of this process's memory. The waiter execs
// minilink again when the container exits: Monitor, called once more, records the exit. With
// explanations on, the start is explained on fd 4 (the starting command's stderr), the rest in
// the monitor's log.
func (r *Runtime) Monitor(id string, ready, explainTo *os.File) error {
	if status, known, back := waiter.Returned(); back {
		code := 255 // Docker's code when the exit status is lost
		if known {
			code = utils.ExitStatus(status)
		}
		return r.finishID(id, code)
	}
	return r.monitor(ready, explainTo, func() (*Container, []*Container, error) { return r.startableLocked(id) })
}

// MonitorNew is the body of `minilink monitor --create` (run -d): create the container from the
// options on stdin (CreateOptions as JSON), tell the starting command its ID, and go on as Monitor
// does.
func (r *Runtime) MonitorNew(options io.Reader, ready, explainTo *os.File) error {
	var o CreateOptions
	if err := json.NewDecoder(options).Decode(&o); err != nil {
		fmt.Fprint(ready, encodeMonitorError(fmt.Errorf("read the options of the container: %w", err)))
		return errReportedToStarter
	}
	// The options were all there is on stdin; the waiter this process becomes keeps its descriptors.
	if null, err := os.Open(os.DevNull); err == nil {
		_ = unix.Dup3(int(null.Fd()), 0, 0)
		null.Close()
	}
	o.Warn = func(w string) { fmt.Fprint(ready, monitorWarning+strings.ReplaceAll(w, "\n", " ")+"\n") }
	return r.monitor(ready, explainTo, func() (*Container, []*Container, error) {
		c, all, err := r.createCurrentLocked(o)
		if err == nil {
			fmt.Fprint(ready, monitorCreated+c.ID+"\n")
		}
		return c, all, err
	})
}

// errReportedToStarter is a monitor's error that went to the starting command only, which prints
// it: the monitor's stderr is that command's until it has a container whose log it writes to.
var errReportedToStarter = &ExitError{Code: 125}

// logTo points this process's stdout and stderr at the end of the file path.
func logTo(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("monitor log: %w", err)
	}
	defer f.Close()
	for _, fd := range []int{1, 2} {
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("monitor log %s: %w", path, err)
		}
	}
	return nil
}

// monitor starts the container pick returns (under the lock), reports to the starting command,
// and hands over to the waiter.
func (r *Runtime) monitor(ready, explainTo *os.File, pick func() (*Container, []*Container, error)) error {
	// The ready pipe must not leak into the container, or the starting command would wait for
	// the container's exit instead of its start.
	unix.CloseOnExec(int(ready.Fd()))
	if explain.Enabled() {
		if _, err := explainTo.Stat(); err == nil {
			unix.CloseOnExec(int(explainTo.Fd()))
			explain.Enable(explainTo)
			defer explainTo.Close()
		}
	}
	signalIgnoreTerminal()
	unlock, err := r.lock()
	if err != nil {
		fmt.Fprint(ready, encodeMonitorError(err))
		return errReportedToStarter
	}
	c, all, err := pick()
	if err != nil {
		unlock()
		fmt.Fprint(ready, encodeMonitorError(err))
		return errReportedToStarter
	}
	// From here on the monitor writes to the container's monitor log: what goes wrong is kept
	// there as well as told to the starting command.
	if err := logTo(r.monitorLog(c.ID)); err != nil {
		fmt.Fprintf(os.Stderr, "minilink monitor: %v\n", err)
	}
	s, err := r.launchLocked(c, all, stdio{})
	unlock()
	if err != nil {
		fmt.Fprint(ready, encodeMonitorError(err))
		ready.Close()
		return err
	}
	fmt.Fprint(ready, monitorReady)
	ready.Close()
	if explain.Enabled() {
		explain.Enable(os.Stderr) // the starting command is gone: the monitor's log from here on
		explainTo.Close()
	}
	streams := waiter.Streams{Stdout: -1, Stderr: -1, Log: int(s.log.f.Fd()), OwnerLock: -1}
	if s.ownerLock != nil {
		streams.OwnerLock = int(s.ownerLock.Fd())
	}
	if s.pty != nil {
		streams.Stdout = int(s.pty.Fd())
	} else {
		streams.Stdout, streams.Stderr = int(s.stdout.Fd()), int(s.stderr.Fd())
	}
	err = waiter.Exec(c.State.Pid, streams, r.monitorArgs(c.ID))
	// Still here: the exec failed (it does not, short of a broken /proc). Nothing would read the
	// container's output, which would block it once the pipe is full: stop it and say why.
	fmt.Fprintf(os.Stderr, "minilink monitor: %v; killing the container\n", err)
	_ = s.proc.Signal(syscall.SIGKILL)
	return r.finish(s, r.wait(s))
}

// encodeMonitorError passes an error across the process boundary with the exit code the CLI
// should use: "<code> <kind> <message>".
func encodeMonitorError(err error) string {
	code := 125
	var se *StartError
	if errors.As(err, &se) {
		code = se.Code
	}
	kind := "other"
	for name, sentinel := range sentinels {
		if errors.Is(err, sentinel) {
			kind = name
		}
	}
	return strconv.Itoa(code) + " " + kind + " " + err.Error()
}

var sentinels = map[string]error{
	"nosuch":     ErrNoSuchContainer,
	"nameinuse":  ErrNameInUse,
	"running":    ErrRunning,
	"notrunning": ErrNotRunning,
	"invalid":    ErrInvalidArgument,
	"link":       ErrLinkTargetNotRunning,
}

func decodeMonitorError(msg, logPath string) error {
	parts := strings.SplitN(msg, " ", 3)
	if len(parts) != 3 {
		if logPath == "" { // it had not created the container: its errors went to our stderr
			return errors.New("the container's monitor exited before the container was created")
		}
		return fmt.Errorf("the container's monitor exited before the container started (see %s)", logPath)
	}
	code, _ := strconv.Atoi(parts[0])
	var err error = errors.New(parts[2])
	if sentinel, ok := sentinels[parts[1]]; ok {
		err = userError(sentinel, "%s", parts[2])
	}
	if code != 125 {
		return &StartError{Code: code, Err: err}
	}
	return err
}

func signalIgnoreTerminal() {
	// The monitor has its own session and no terminal; these would only come from a stray kill.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPIPE)
}

// Signal sends sig to the container's process. With SIGKILL it waits until the container has
// stopped and was cleaned up, as Docker's kill does.
func (r *Runtime) Signal(arg string, sig syscall.Signal) (*Container, error) {
	c, err := r.Get(arg)
	if err != nil {
		return nil, err
	}
	if !c.State.Running() {
		return nil, userError(ErrNotRunning, "Container %s is not running", c.ID)
	}
	if err := r.signalContainer(c, sig); err != nil {
		return nil, err
	}
	if sig == syscall.SIGKILL {
		if err := r.waitStopped(c.ID, 10*time.Second); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (r *Runtime) signalContainer(c *Container, sig syscall.Signal) error {
	lc, err := libcontainer.Load(r.libcontainerRoot(), c.ID)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil // already gone; reconcile will record it
	}
	if err != nil {
		return fmt.Errorf("load container %s: %w", c.ID, err)
	}
	err = lc.Signal(sig)
	// libcontainer checks that the init runs, then signals it: when the container exits in
	// between (stop's SIGKILL right after a SIGTERM that it obeyed), its monitor may have reaped
	// it already.
	if err != nil && !errors.Is(err, libcontainer.ErrNotRunning) && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal container %s: %w", c.ID, err)
	}
	return nil
}

// waitStopped waits until the record says the container stopped. The owner normally records it
// within milliseconds; when the owner is gone, the reconcile inside Get does it instead.
func (r *Runtime) waitStopped(id string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := r.load(id)
		if err != nil || !c.State.Running() {
			return nil
		}
		if !ownerAlive(c.State) {
			if _, err := r.Get(id); err != nil && !errors.Is(err, ErrNoSuchContainer) {
				return err
			}
			if c, err = r.load(id); err != nil || !c.State.Running() {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s did not stop within %s", c.Name, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM, waits up to timeout, then SIGKILL, as `docker stop` does.
func (r *Runtime) Stop(arg string, timeout time.Duration) error {
	c, err := r.Get(arg)
	if err != nil {
		return err
	}
	if !c.State.Running() {
		return nil
	}
	if err := r.signalContainer(c, syscall.SIGTERM); err != nil {
		return err
	}
	// The deadline is for the process, not for the record: with many minilink commands at once
	// the monitor may wait a while for the lock before it can record the exit.
	if timeout <= 0 || !r.waitExited(c.ID, timeout) {
		if err := r.signalContainer(c, syscall.SIGKILL); err != nil {
			return err
		}
		if !r.waitExited(c.ID, 10*time.Second) {
			return fmt.Errorf("container %s did not exit within 10s of SIGKILL", c.Name)
		}
	}
	return r.waitStopped(c.ID, time.Minute)
}

// waitExited waits until the container's processes are gone (or its libcontainer state is), and
// reports whether that happened within timeout.
func (r *Runtime) waitExited(id string, timeout time.Duration) bool {
	lc, err := libcontainer.Load(r.libcontainerRoot(), id)
	if err != nil {
		return true
	}
	return waitLibcontainerStopped(lc, timeout)
}

// Restart stops the container if it runs and starts it again, detached.
func (r *Runtime) Restart(arg string, timeout time.Duration) error {
	if err := r.Stop(arg, timeout); err != nil {
		return err
	}
	_, err := r.StartDetached(arg)
	return err
}

// Remove deletes a stopped container, or with force kills a running one first.
func (r *Runtime) Remove(arg string, force bool) error {
	c, err := r.Get(arg)
	if err != nil {
		return err
	}
	if c.State.Running() {
		if !force {
			return userError(ErrRunning, "You cannot remove a running container %s. Stop the container before attempting removal or force remove", c.ID)
		}
		if err := r.signalContainer(c, syscall.SIGKILL); err != nil {
			return err
		}
		// Once the process is gone, the removal releases what it held itself, without waiting
		// for its monitor to record the exit: the record goes anyway.
		if !r.waitExited(c.ID, 10*time.Second) {
			return fmt.Errorf("container %s did not exit within 10s of SIGKILL", c.Name)
		}
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, err = r.load(c.ID)
	if isNotExist(err) {
		return nil // removed by its own --rm meanwhile
	}
	if err != nil {
		return err
	}
	if err := errors.Join(r.releaseWithRulesLocked(nil, c)...); err != nil {
		return err
	}
	return r.removeDirLocked(c)
}

// currentLocked returns every container, newest first, after reconciling the records with the
// kernel: running records whose owner died (a killed monitor or foreground run) are cleaned up as a
// stop would, once their process is gone too, and a start that crashed half-way is undone. A
// container whose process still runs without an owner stays "running"; stop, kill and rm -f still
// work on it. The list is read once, and again only when reconciling changed it.
//
// Preconditions: the lock is held.
func (r *Runtime) currentLocked() ([]*Container, error) {
	all, err := r.list()
	if err != nil {
		return nil, err
	}
	changed := false
	var errs []error
	// An owner that holds its lock lives; the others are checked side by side, by their start
	// time, one /proc read each.
	locks := readOwnerLocks(filepath.Join(r.Root, "containers"))
	alive := make([]bool, len(all))
	var unsure []int
	for i, c := range all {
		alive[i] = locks.holds(c.State.OwnerPid, c.dirIno)
		if !alive[i] && c.State.OwnerPid > 0 {
			unsure = append(unsure, i)
		}
	}
	inParallel(len(unsure), func(j int) { alive[unsure[j]] = ownerAlive(all[unsure[j]].State) })
	for i, c := range all {
		ch, err := r.reconcileLocked(all, c, alive[i])
		changed = changed || ch
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if changed {
		// A --rm container was removed; the others' records were rewritten.
		return r.list()
	}
	return all, nil
}

// reconcileLocked brings one record in line with the kernel, as currentLocked describes, and
// reports whether it rewrote (or removed) the record. all is every container, or nil; ownerAlive
// is ownerAlive(c.State), which currentLocked reads for every record side by side.
//
// Preconditions: the lock is held.
func (r *Runtime) reconcileLocked(all []*Container, c *Container, ownerAlive bool) (bool, error) {
	if c.State.Starting && !c.State.Running() {
		// A start that crashed half-way: undo what it made, its rules included, keep the container.
		errs := r.releaseWithRulesLocked(all, c)
		c.State.Starting = false
		return true, errors.Join(append(errs, r.save(c))...)
	}
	if !c.State.Running() || ownerAlive {
		return false, nil
	}
	if lc, err := libcontainer.Load(r.libcontainerRoot(), c.ID); err == nil {
		if st, err := lc.Status(); err == nil && st != libcontainer.Stopped {
			return false, nil
		}
	}
	return true, r.finishLocked(all, c, 255, "exit status unknown: the process that waited for the container died")
}

// getByID is Get for a full container ID: it reads and reconciles that one record only, where
// Get reads them all, which matters with hundreds of containers.
func (r *Runtime) getByID(id string) (*Container, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := r.getByIDLocked(id)
	if err != nil {
		return nil, err
	}
	changed, err := r.reconcileLocked(nil, c, ownerAlive(c.State))
	if err != nil {
		return nil, err
	}
	if changed {
		return r.getByIDLocked(id)
	}
	return c, nil
}

func (r *Runtime) getByIDLocked(id string) (*Container, error) {
	c, err := r.load(id)
	if errors.Is(err, os.ErrNotExist) {
		return nil, userError(ErrNoSuchContainer, "No such container: %s", id)
	}
	return c, err
}

// Exec runs an additional process in a running container and returns its exit code.
func (r *Runtime) Exec(arg string, o ExecOptions, a Attach) (int, error) {
	c, err := r.Get(arg)
	if err != nil {
		return 0, err
	}
	if !c.State.Running() {
		return 0, userError(ErrNotRunning, "Container %s is not running", c.ID)
	}
	return r.execIn(c, o, a)
}

// ExecOptions are the flags of `exec`.
type ExecOptions struct {
	Cmd         []string
	Env         []string
	WorkingDir  string
	User        string
	Tty         bool
	Interactive bool
	Detach      bool // start the process and return without waiting for it
}
