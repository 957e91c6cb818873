package runtime

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/console"
	"github.com/cyphar/filepath-securejoin"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/checkpoint"
	"github.com/minilink/minilink/explain"
	"github.com/minilink/minilink/linker"
	"github.com/minilink/minilink/rootfs"
)

// session is a container that this process started and must wait for.
type session struct {
	c    *Container
	lc   *libcontainer.Container
	proc *libcontainer.Process
	pty  console.Console // the pty master, with -t
	log  *jsonLog
	// The read ends of a detached container's stdout and stderr (without -t): its monitor
	// hands them to the waiter (package waiter), which copies them into the log.
	stdout, stderr *os.File
	// ownerLock is this process's lock on the container's directory while it owns the running
	// container (ownerlock_linux.go); nil if it could not be taken.
	ownerLock *os.File
}

// close closes what the session holds open of the container's output.
func (s *session) close() {
	if s.pty != nil {
		s.pty.Close()
	}
	if s.log != nil {
		s.log.Close()
	}
	if s.stdout != nil {
		s.stdout.Close()
	}
	if s.stderr != nil {
		s.stderr.Close()
	}
	if s.ownerLock != nil {
		s.ownerLock.Close()
	}
}

// stdio says where a started container's standard streams go. Nil writers mean the container's
// log only, through pipes that the session keeps (detached); Stdin nil means /dev/null.
type stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// launchLocked starts c: it mounts the root filesystem, gives the container its network and its
// /etc files, creates the libcontainer container, and lets the process run once everything is in
// place: libcontainer's Start, with the network wired meanwhile (wireLocked), then Exec, so the
// program never sees a half-configured network. On failure everything made is undone and c is
// left stopped.
//
// Preconditions: the lock is held; c is not running.
// all is every container, as currentLocked returned it (c among them).
func (r *Runtime) launchLocked(c *Container, all []*Container, streams stdio) (_ *session, err error) {
	dir := r.containerDir(c.ID)
	// s is what this start made so far; the deferred cleanup reads it after a failed return.
	s := &session{c: c}
	defer func() {
		if err != nil {
			r.releaseWithRulesLocked(all, c)
			s.close()
			c.State.Status = StatusExited
			if c.State.StartedAt.IsZero() {
				c.State.Status = StatusCreated // it never ran
			}
			c.State.Error = err.Error()
			c.State.Starting = false
			_ = r.save(c)
		}
	}()
	if !c.State.Starting { // createLocked wrote it so already
		c.State.Starting = true
		if err := r.save(c); err != nil {
			return nil, err
		}
	}
	checkpoint.Reached("saved starting")
	targets, err := linkTargets(all, c)
	if err != nil {
		return nil, err
	}
	linkVars, err := linkEnv(c.Name, targets)
	if err != nil {
		return nil, err
	}
	img, err := r.Images.Lookup(c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image of container %s: %w", c.Name, err)
	}
	rootfsPath, err := rootfs.MountContainer(r.Images.LayerDirs(img), dir)
	if err != nil {
		return nil, fmt.Errorf("%w: mount root filesystem: %w", ErrHostNotReady, err)
	}
	checkpoint.Reached("overlay mounted")
	user, err := rootfs.LookupUser(rootfsPath, c.Config.User)
	if err != nil {
		return nil, userError(ErrInvalidArgument, "%s", err)
	}
	cwd := c.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if err := mkdirInRoot(rootfsPath, cwd); err != nil {
		return nil, err
	}

	netMode, err := r.prepareNetworkLocked(c, all)
	if err != nil {
		return nil, err
	}
	checkpoint.Reached("network prepared")
	etcDir := dir
	if netMode.owner != nil {
		etcDir = r.containerDir(netMode.owner.ID)
	} else if err := r.writeEtcFiles(c, linkHostsLines(targets)); err != nil {
		return nil, err
	}

	checkpoint.Reached("etc files")
	if netMode.bridge != nil {
		// The process joins a namespace made here, so that its wiring can go on while
		// libcontainer prepares the process (wireLocked) rather than after. Until the process
		// is in it, this open file keeps it, and the name points at the file.
		explain.Note("a new network namespace for %s, kept open by minilink until its process joins it", c.Name)
		ns, err := newNetns()
		if err != nil {
			return nil, err
		}
		defer ns.Close()
		netMode.setup.joinNS = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.Fd())
		if _, err := nameNetns(netnsName(c.Name), netMode.setup.joinNS); err != nil {
			return nil, err
		}
		checkpoint.Reached("netns named")
	}
	cfg := libcontainerConfig(c, rootfsPath, etcDir, netMode.setup)
	if old, err := libcontainer.Load(r.libcontainerRoot(), c.ID); err == nil {
		_ = old.Destroy() // left by a crash; Create refuses an existing ID
	}
	s.lc, err = libcontainer.Create(r.libcontainerRoot(), c.ID, cfg)
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	if err := setMemoryLimitEarly(cfg.Cgroups); err != nil {
		return nil, err
	}

	checkpoint.Reached("libcontainer create")
	s.log, err = openJSONLog(r.logPath(c.ID))
	if err != nil {
		return nil, err
	}
	s.proc = &libcontainer.Process{
		Args:             append([]string{c.Path}, c.Args...),
		Env:              ProcessEnv(c.Config.Hostname, c.Config.Tty, linkVars, c.Config.Env, nil, user.Home),
		Cwd:              cwd,
		UID:              user.UID,
		GID:              user.GID,
		AdditionalGroups: user.AdditionalGroups,
		Init:             true,
	}
	var consoleSock *os.File
	if c.Config.Tty {
		var child *os.File
		consoleSock, child, err = utils.NewSockPair("console")
		if err != nil {
			return nil, fmt.Errorf("console socket: %w", err)
		}
		defer consoleSock.Close()
		defer child.Close()
		s.proc.ConsoleSocket = child
		if cur, cerr := console.ConsoleFromFile(os.Stdin); cerr == nil && streams.Stdin != nil {
			if size, serr := cur.Size(); serr == nil {
				s.proc.ConsoleWidth, s.proc.ConsoleHeight = size.Width, size.Height
			}
		}
	} else if streams.Stdout == nil {
		// Pipes of our own rather than libcontainer's copying goroutines: the monitor hands
		// their read ends to the waiter. The container has its copies of the write ends once
		// Start returns.
		var stdoutW, stderrW *os.File
		if s.stdout, stdoutW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("stdout pipe: %w", err)
		}
		defer stdoutW.Close()
		if s.stderr, stderrW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("stderr pipe: %w", err)
		}
		defer stderrW.Close()
		s.proc.Stdin, s.proc.Stdout, s.proc.Stderr = streams.Stdin, stdoutW, stderrW
	} else {
		s.proc.Stdin = streams.Stdin
		s.proc.Stdout = teeWriter(streams.Stdout, s.log.stream("stdout"))
		s.proc.Stderr = teeWriter(streams.Stderr, s.log.stream("stderr"))
	}

	namespaces := "new pid, mount, uts, ipc and net namespaces for " + c.Name
	if netMode.bridge != nil {
		namespaces = "new pid, mount, uts and ipc namespaces for " + c.Name + ", which joins " + netnsName(c.Name)
	}
	explain.Note("libcontainer: %s; cgroup /minilink/%s,\npivot_root into the overlay, Docker's default capabilities; the process waits until the network is set", namespaces, ShortID(c.ID))
	explainEnv(c.Name, s.proc.Env)
	wired := func() error { return nil }
	if netMode.bridge != nil {
		wired = r.wireLocked(c, all, *netMode.bridge)
	}
	startErr := s.lc.Start(s.proc)
	if err := wired(); err != nil {
		return nil, err
	}
	if startErr != nil {
		return nil, classifyStartError(startErr)
	}
	checkpoint.Reached("libcontainer start")
	pid, err := s.proc.Pid()
	if err != nil {
		return nil, fmt.Errorf("container pid: %w", err)
	}
	if c.Network.NetnsPath != "" {
		// From now on the process keeps the namespace; the name follows it there.
		explain.Note("name %s's network namespace for ip netns and nsenter", c.Name)
		if _, err = nameNetns(netnsName(c.Name), procNetns(pid)); err != nil {
			return nil, err
		}
	}
	if netMode.bridge == nil {
		if err := r.linkLocked(all, c); err != nil {
			return nil, err
		}
	}
	if consoleSock != nil {
		if s.pty, err = receiveConsole(consoleSock); err != nil {
			return nil, err
		}
	}
	if err := s.lc.Exec(); err != nil {
		return nil, classifyStartError(err)
	}

	checkpoint.Reached("exec")
	self := os.Getpid()
	selfStart, err := procStartTime(self)
	if err != nil {
		return nil, fmt.Errorf("read own start time: %w", err)
	}
	s.ownerLock = holdOwnerLock(r.containerDir(c.ID))
	c.State = State{
		Status:     StatusRunning,
		Pid:        pid,
		StartedAt:  time.Now().UTC(),
		OwnerPid:   self,
		OwnerStart: selfStart,
	}
	if err := r.save(c); err != nil {
		return nil, err
	}
	return s, nil
}

// teeWriter sends output to the attached stream (if any) and to the log.
func teeWriter(attached, log io.Writer) io.Writer {
	if attached == nil {
		return log
	}
	return io.MultiWriter(attached, log)
}

// classifyStartError maps failures to exec the container's program to Docker's exit codes: 127
// when the program does not exist, 126 when it cannot be executed.
func classifyStartError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return &StartError{Code: 127, Err: err}
	case strings.Contains(msg, "permission denied"):
		return &StartError{Code: 126, Err: err}
	}
	return fmt.Errorf("start container: %w", err)
}

// StartError is a failure to run the container's program, with the exit code Docker uses for it.
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

func mkdirInRoot(root, dir string) error {
	path, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return fmt.Errorf("working directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("working directory %s: %w", dir, err)
	}
	return nil
}

// receiveConsole takes the pty master that the container's init sends over the console socket.
func receiveConsole(sock *os.File) (console.Console, error) {
	f, err := recvFile(sock)
	if err != nil {
		return nil, fmt.Errorf("receive console: %w", err)
	}
	con, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("receive console: %w", err)
	}
	// ONLCR stays on, as in Docker: the container's "\n" reaches the raw host terminal and the
	// log as "\r\n".
	return con, nil
}

// networkPlan is what launchLocked needs to give a container its network.
type networkPlan struct {
	setup  netSetup
	bridge *bridge.Settings // for bridge mode: the settings the veth attaches with
	owner  *Container       // for container:X mode: X
}

// wireLocked gives c, a bridge container, its network in the namespace named c.Network.NetnsPath,
// which its process is to join: the bridge's side made ready (bridge.Ensure: the device, the sysctls, the
// base rules), a veth pair with its end inside as eth0, and then c's links (linkLocked). It works
// while libcontainer starts the container's init, a wait of tens of milliseconds for this process
// that the init spends mostly compiling the seccomp filter; the returned function waits for it and
// says how it went. With --explain it works at once, so that the commands print in the order they
// are made.
//
// Preconditions: the lock is held; until the wait returns, nothing else uses r's rule snapshot,
// c or all.
func (r *Runtime) wireLocked(c *Container, all []*Container, settings bridge.Settings) (wait func() error) {
	wire := func() error {
		rules, err := r.rulesetLocked()
		if err == nil {
			err = bridge.Ensure(settings, rules)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrHostNotReady, err)
		}
		explain.Note("a veth pair: one end on the bridge, the other born inside the container's namespace as eth0")
		veth, err := bridge.Attach(settings, c.Network.NetnsPath, net.ParseIP(c.Network.IPAddress))
		if err != nil {
			return fmt.Errorf("attach to bridge: %w", err)
		}
		c.Network.HostVeth = veth
		checkpoint.Reached("veth attached")
		return r.linkLocked(all, c)
	}
	if explain.Enabled() {
		err := wire()
		return func() error { return err }
	}
	done := make(chan error, 1)
	go func() { done <- wire() }()
	return func() error { return <-done }
}

// linkLocked sets up c's links, both ways, before its program runs: its own link rules, and as a
// child, the hosts lines and rules of the parents already running (§8c).
//
// Preconditions: the lock is held.
func (r *Runtime) linkLocked(all []*Container, c *Container) error {
	if r.affectsRules(c) {
		starting := *c
		starting.State.Status = StatusRunning
		if err := r.syncRulesLocked(all, &starting); err != nil {
			return fmt.Errorf("link rules: %w", err)
		}
	}
	checkpoint.Reached("rules synced")
	if err := r.updateParentsLocked(all, c); err != nil {
		return fmt.Errorf("update linked containers: %w", err)
	}
	return nil
}

// prepareNetworkLocked allocates the container's address (bridge mode) or finds the namespace it
// joins, and records the result in c.Network.
func (r *Runtime) prepareNetworkLocked(c *Container, all []*Container) (networkPlan, error) {
	mode := c.HostConfig.NetworkMode
	switch {
	case mode == "host":
		return networkPlan{setup: netSetup{share: true}}, nil
	case mode == "none":
		c.Network = Network{NetnsPath: netnsPath(netnsName(c.Name))} // recorded before it exists
		return networkPlan{}, r.save(c)
	case strings.HasPrefix(mode, "container:"):
		owner, err := r.load(strings.TrimPrefix(mode, "container:"))
		if err != nil {
			return networkPlan{}, userError(ErrNoSuchContainer, "No such container: %s", strings.TrimPrefix(mode, "container:"))
		}
		if !owner.State.Running() {
			return networkPlan{}, userError(ErrNotRunning, "cannot join network of a non running container: %s", owner.Name)
		}
		// The files come from the container that owns the namespace, at the end of the chain.
		files := netnsOwner(all, owner)
		return networkPlan{setup: netSetup{joinNS: fmt.Sprintf("/proc/%d/ns/net", owner.State.Pid)}, owner: files}, nil
	}
	settings, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return networkPlan{}, err
	}
	_, subnet, err := net.ParseCIDR(settings.Subnet)
	if err != nil {
		return networkPlan{}, fmt.Errorf("network settings: %w", err)
	}
	var used []net.IP
	for _, other := range all {
		if other.ID != c.ID && other.Network.IPAddress != "" {
			used = append(used, net.ParseIP(other.Network.IPAddress))
		}
	}
	ip, err := bridge.AllocateIP(subnet, net.ParseIP(settings.Gateway), used)
	if err != nil {
		return networkPlan{}, err
	}
	ones, _ := subnet.Mask.Size()
	c.Network = Network{
		IPAddress:   ip.String(),
		IPPrefixLen: ones,
		Gateway:     settings.Gateway,
		MacAddress:  bridge.MAC(ip).String(),
		NetnsPath:   netnsPath(netnsName(c.Name)),
	}
	var taken []bridge.Binding
	for _, other := range all {
		if other.ID != c.ID {
			taken = append(taken, other.Network.Ports...)
		}
	}
	if c.Network.Ports, err = bridge.AllocatePorts(publications(c), taken, hostPortFree); err != nil {
		c.Network = Network{}
		return networkPlan{}, userError(ErrInvalidArgument, "%s", err)
	}
	// Persist the address and the netns name at once, so that a crash before the container runs
	// still shows who holds them, and the next reconcile releases them. The name is recorded
	// before it exists: the release removes it, and a missing one is fine.
	if err := r.save(c); err != nil {
		return networkPlan{}, err
	}
	return networkPlan{bridge: &settings}, nil
}

// writeEtcFiles writes the container's hosts, hostname and resolv.conf in place.
func (r *Runtime) writeEtcFiles(c *Container, linkLines []string) error {
	dir := r.containerDir(c.ID)
	var hosts []byte
	switch c.HostConfig.NetworkMode {
	case "host":
		data, err := os.ReadFile("/etc/hosts")
		if err != nil && !isNotExist(err) {
			return fmt.Errorf("read host's /etc/hosts: %w", err)
		}
		hosts = data
	default:
		hosts = RenderHosts(linkLines, c.Network.IPAddress, c.Config.Hostname)
	}
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("read host's /etc/resolv.conf: %w", err)
	}
	if onlyStubResolver(hostResolv) {
		if upstream, err := os.ReadFile("/run/systemd/resolve/resolv.conf"); err == nil {
			hostResolv = upstream
		}
	}
	files := map[string][]byte{
		"hosts":       hosts,
		"hostname":    RenderHostname(c.Config.Hostname),
		"resolv.conf": RenderResolvConf(hostResolv),
	}
	for name, data := range files {
		if err := writeFileInPlace(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	explain.Note("write %s, bind-mounted on %s's /etc/hosts:\n%s", filepath.Join(dir, "hosts"), c.Name, strings.TrimSuffix(string(hosts), "\n"))
	return nil
}

// releaseLocked undoes everything a start made: the namespace's name, then side by side the
// process (killed if still alive) with libcontainer's state and cgroups, and the root filesystem
// mount with the veth; last the address, which c.Network forgets. Every step is idempotent, so a
// stop, a remove and a reconcile after a crash can all run it.
//
// Preconditions: the lock is held.
func (r *Runtime) releaseLocked(c *Container) []error {
	var errs []error
	// The name goes first: once the container's processes are gone too, the namespace has no
	// user left and the kernel frees it, and the veth pair with it, while the rest of the release
	// goes on; bridge.Release, last, finds the pair gone or waits for it.
	if err := unnameNetns(c.Network.NetnsPath); err != nil {
		errs = append(errs, err)
	}
	checkpoint.Reached("netns unnamed")
	// libcontainer's part (what still runs killed, then the state and the cgroups removed) and the
	// rest (the root filesystem unmounted, the veth pair released) do not wait for each other, so
	// they run side by side: some 2 ms off every stop and removal. The host's mount of the root
	// filesystem may go before a process ends: the container's mount namespace holds its own. With
	// --explain they run one after the other, so that the commands print in order.
	var gone destroyed
	var destroyErr error
	destroy := func() {
		gone, destroyErr = r.destroyLibcontainerLocked(c.ID)
		checkpoint.Reached("lc destroyed")
	}
	waitDestroyed := func() {}
	if explain.Enabled() {
		destroy()
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			destroy()
		}()
		waitDestroyed = func() { <-done }
	}
	if err := rootfs.UnmountContainer(r.containerDir(c.ID)); err != nil {
		errs = append(errs, err)
	}
	if err := bridge.Release(c.Network.HostVeth); err != nil {
		errs = append(errs, err)
	}
	checkpoint.Reached("veth released")
	waitDestroyed()
	if destroyErr != nil {
		errs = append(errs, destroyErr)
	}
	c.State.OOMKilled = c.State.OOMKilled || gone.oomKilled
	c.Network = Network{}
	return errs
}

// destroyed is what destroyLibcontainerLocked removed.
type destroyed struct {
	state     bool     // a libcontainer state (and through it the processes and cgroups)
	cgroups   []string // cgroup directories removed by name, for a start killed before it had a state
	oomKilled bool     // the OOM killer had struck in the container's memory cgroup
}

// destroyLibcontainerLocked kills what still runs of container id and removes its libcontainer
// state and cgroups: through libcontainer when it recorded a state, by name when a start was
// killed before it could (a cgroup, a state directory). Idempotent.
//
// Preconditions: the lock is held.
func (r *Runtime) destroyLibcontainerLocked(id string) (destroyed, error) {
	lc, err := libcontainer.Load(r.libcontainerRoot(), id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		var gone destroyed
		var errs []error
		gone.cgroups, err = removeCgroups(id)
		errs = append(errs, err)
		if err := os.RemoveAll(filepath.Join(r.libcontainerRoot(), id)); err != nil {
			errs = append(errs, fmt.Errorf("remove libcontainer state of %s: %w", id, err))
		}
		return gone, errors.Join(errs...)
	}
	if err != nil {
		return destroyed{}, fmt.Errorf("load container %s: %w", id, err)
	}
	if st, err := lc.Status(); err == nil && st != libcontainer.Stopped {
		_ = lc.Signal(syscall.SIGKILL)
		waitLibcontainerStopped(lc, 5*time.Second)
	}
	gone := destroyed{state: true, oomKilled: oomKilled(lc)} // the cgroup goes with Destroy
	if err := lc.Destroy(); err != nil {
		return gone, fmt.Errorf("destroy container %s: %w", id, err)
	}
	return gone, nil
}

func waitLibcontainerStopped(lc *libcontainer.Container, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if st, err := lc.Status(); err != nil || st == libcontainer.Stopped {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// releaseWithRulesLocked is releaseLocked and then the rules c had: what a stop, a removal, a
// failed start and the undoing of a crashed one all do. Only a container that runs or is starting
// can have rules: the owner of one that exited dropped them before the record said "exited"
// (finishLocked), and without its address the step would be a full recompute from every record.
//
// Preconditions: the lock is held; c's process is to be gone (the release kills it).
func (r *Runtime) releaseWithRulesLocked(all []*Container, c *Container) []error {
	affectsRules := (c.State.Running() || c.State.Starting) && r.affectsRules(c)
	held := *c // what c had, ports and address, which the release forgets
	errs := r.releaseLocked(c)
	checkpoint.Reached("released")
	if affectsRules {
		errs = append(errs, r.dropRulesLocked(all, &held))
	}
	return errs
}

// finishLocked records that c's process exited with code and releases what it held. A container
// run with --rm is removed.
//
// Preconditions: the lock is held.
func (r *Runtime) finishLocked(all []*Container, c *Container, code int, reason string) error {
	// The rules go before the record says "exited": stop returns once it does.
	errs := r.releaseWithRulesLocked(all, c)
	checkpoint.Reached("rules synced at finish")
	c.State.Status = StatusExited
	c.State.ExitCode = code
	c.State.Error = reason
	c.State.Pid = 0
	c.State.OwnerPid, c.State.OwnerStart = 0, 0
	c.State.FinishedAt = time.Now().UTC()
	if c.HostConfig.AutoRemove && errors.Join(errs...) == nil {
		errs = append(errs, r.removeDirLocked(c))
	} else if err := r.save(c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeDirLocked deletes the container's directory, once its root filesystem is unmounted: a
// recursive delete through a mounted overlay would reach into the image.
func (r *Runtime) removeDirLocked(c *Container) error {
	if err := rootfs.UnmountContainer(r.containerDir(c.ID)); err != nil {
		return err
	}
	// The record goes first: a directory without one is what `minilink gc` looks for.
	if err := os.Remove(r.recordPath(c.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove container %s: %w", c.ID, err)
	}
	r.unindexName(c.Name, c.ID)
	checkpoint.Reached("record removed")
	if err := os.RemoveAll(r.containerDir(c.ID)); err != nil {
		return fmt.Errorf("remove container %s: %w", c.ID, err)
	}
	return nil
}

// exitCode turns a wait status into Docker's exit code: the status, or 128+signal.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return 255
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return utils.ExitStatus(unix.WaitStatus(ws))
	}
	return ps.ExitCode()
}

// publications are what a start publishes, in port order: the -p values, then with -P every
// exposed port that no -p names.
func publications(c *Container) []bridge.Publish {
	pubs := append([]bridge.Publish(nil), c.HostConfig.Publish...)
	if c.HostConfig.PublishAllPorts {
		named := map[string]bool{}
		for _, p := range pubs {
			named[p.Key()] = true
		}
		ports, _ := linker.SortedPorts(c.Config.ExposedPorts)
		for _, p := range ports {
			if !named[p.String()] && (p.Proto == "tcp" || p.Proto == "udp") {
				pubs = append(pubs, bridge.Publish{HostIP: "0.0.0.0", ContainerPort: p.Num, Proto: p.Proto})
			}
		}
	}
	sort.SliceStable(pubs, func(i, j int) bool {
		a, b := pubs[i], pubs[j]
		if a.ContainerPort != b.ContainerPort {
			return a.ContainerPort < b.ContainerPort
		}
		return a.Proto < b.Proto
	})
	return pubs
}

// hostPortFree tries to bind the host port, as Docker's proxy would: a host process that holds
// it makes the start fail with the kernel's word for it.
func hostPortFree(ip string, port int, proto string) error {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// explainEnv shows the environment a container's process gets, link variables included.
func explainEnv(name string, env []string) {
	if explain.Enabled() {
		explain.Note("environment of %s's process:\n%s", name, strings.Join(env, "\n"))
	}
}
