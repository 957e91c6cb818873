package runtime

import (
	"fmt"
	"io"
	"os"

	"github.com/containerd/console"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"

	"github.com/minilink/minilink/rootfs"
)

// execIn starts o.Cmd inside c's namespaces and cgroup and waits for it. Its environment is
// computed afresh, as Docker does for every exec.
func (r *Runtime) execIn(c *Container, o ExecOptions, a Attach) (int, error) {
	var signals func() chan os.Signal
	if !o.Detach {
		signals = catchSignals() // while the process is set up
	}
	lc, err := libcontainer.Load(r.libcontainerRoot(), c.ID)
	if err != nil {
		return 0, fmt.Errorf("load container %s: %w", c.ID, err)
	}
	userSpec := c.Config.User
	if o.User != "" {
		userSpec = o.User
	}
	user, err := rootfs.LookupUser(r.containerDir(c.ID)+"/rootfs", userSpec)
	if err != nil {
		return 0, userError(ErrInvalidArgument, "%s", err)
	}
	cwd := c.Config.WorkingDir
	if o.WorkingDir != "" {
		cwd = o.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	all, err := r.List()
	if err != nil {
		return 0, err
	}
	targets, err := linkTargets(all, c)
	if err != nil {
		return 0, err
	}
	linkVars, err := linkEnv(c.Name, targets)
	if err != nil {
		return 0, err
	}
	p := &libcontainer.Process{
		Args:             o.Cmd,
		Env:              ProcessEnv(c.Config.Hostname, o.Tty, linkVars, c.Config.Env, o.Env, user.Home),
		Cwd:              cwd,
		UID:              user.UID,
		GID:              user.GID,
		AdditionalGroups: user.AdditionalGroups,
	}
	var in io.Reader
	if o.Interactive && a.Stdin != nil {
		in = a.Stdin
	}
	if o.Detach {
		// No stdio and nobody waiting: the process lives on in the container's namespaces, and
		// ends with the container.
		if err := lc.Run(p); err != nil {
			return 0, fmt.Errorf("exec in container %s: %w", c.Name, err)
		}
		return 0, nil
	}
	var consoleSock *os.File
	if o.Tty {
		var child *os.File
		if consoleSock, child, err = utils.NewSockPair("console"); err != nil {
			return 0, fmt.Errorf("console socket: %w", err)
		}
		defer consoleSock.Close()
		defer child.Close()
		p.ConsoleSocket = child
		if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
			if size, err := cur.Size(); err == nil {
				p.ConsoleWidth, p.ConsoleHeight = size.Width, size.Height
			}
		}
	} else {
		if in != nil {
			p.Stdin = in
		}
		p.Stdout, p.Stderr = a.Stdout, a.Stderr
	}
	if err := lc.Run(p); err != nil {
		if se, ok := classifyStartError(err).(*StartError); ok {
			return 0, se
		}
		return 0, fmt.Errorf("exec in container %s: %w", c.Name, err)
	}
	var pty console.Console
	if consoleSock != nil {
		if pty, err = receiveConsole(consoleSock); err != nil {
			_ = p.Signal(os.Kill)
			_, _ = p.Wait()
			return 0, err
		}
		defer pty.Close()
	}
	att := attach(pty, in, a.Stdout, p, signals())
	code := r.wait(&session{proc: p})
	att.detach()
	return code, nil
}
