package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/rootfs"
	"github.com/minilink/minilink/runtime"
)

// errReported ends a command whose errors were already printed one per line (stop a b c, …).
var errReported = errors.New("")

// forEach runs fn for every argument, prints each failure on its own line and fails at the end if
// any did, as Docker's multi-container commands do.
func forEach(args []string, fn func(arg string) error) error {
	failed := false
	for _, arg := range args {
		if err := fn(arg); err != nil {
			fmt.Fprintln(os.Stderr, "minilink: "+oneLine(err.Error()))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// eachContainer is the shape of Docker's multi-container commands: act on every argument, print
// each one that worked, and report each failure on a line of its own. open is g.runtime or
// g.tolerantRuntime.
func eachContainer(open func() (*runtime.Runtime, error), args []string, act func(rt *runtime.Runtime, arg string) error) error {
	rt, err := open()
	if err != nil {
		return err
	}
	return forEach(args, func(arg string) error {
		if err := act(rt, arg); err != nil {
			return err
		}
		fmt.Println(arg)
		return nil
	})
}

// createFlags are the flags `create` and `run` share.
type createFlags struct {
	opts       runtime.CreateOptions
	entrypoint string
	pullPolicy string
	pull       pullFlags
	memory     memBytes
	cpus       nanoCPUs
	pidsLimit  int64
}

func addCreateFlags(cmd *cobra.Command, f *createFlags) {
	fl := cmd.Flags()
	fl.SetInterspersed(false) // flags after IMAGE belong to the container's command
	fl.StringVar(&f.opts.Name, "name", "", "assign a name to the container")
	fl.StringVarP(&f.opts.Hostname, "hostname", "h", "", "container host name (default: the short ID)")
	fl.StringArrayVarP(&f.opts.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it from here)")
	fl.StringArrayVar(&f.opts.Expose, "expose", nil, "expose a port or a range of ports (6379, 8000-8002/udp)")
	fl.StringVarP(&f.opts.WorkingDir, "workdir", "w", "", "working directory inside the container")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "overwrite the image's ENTRYPOINT")
	fl.StringVar(&f.opts.Network, "net", "bridge", "network: bridge, none, host or container:NAME")
	fl.StringVar(&f.opts.Network, "network", "bridge", "same as --net")
	fl.StringVarP(&f.opts.User, "user", "u", "", "user name or UID (NAME|UID[:GROUP|GID])")
	fl.BoolVarP(&f.opts.Interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&f.opts.Tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.BoolVar(&f.opts.AutoRemove, "rm", false, "remove the container when it exits")
	fl.StringArrayVarP(&f.opts.Publish, "publish", "p", nil, "publish a container's port on the host: [IP:][HOSTPORT:]PORT[/tcp|udp] (DNAT rules, no proxy process)")
	fl.BoolVarP(&f.opts.PublishAll, "publish-all", "P", false, "publish every exposed port on a free host port from 32768 up")
	fl.StringArrayVar(&f.opts.Links, "link", nil, "link to another container: NAME[:ALIAS] (repeatable; adds /etc/hosts lines, ALIAS_* variables and, with icc=false, ACCEPT rules)")
	fl.VarP(&f.memory, "memory", "m", "memory limit: a size with an optional unit b, k, m or g, at least 6m (the container is killed beyond it)")
	fl.Var(&f.cpus, "cpus", "number of CPUs, e.g. 0.5: a CPU time quota per 100 ms period")
	fl.Int64Var(&f.pidsLimit, "pids-limit", 0, "maximum number of processes in the container (0 or -1: unlimited)")
	fl.StringVar(&f.pullPolicy, "pull", "missing", `pull the image before creating: "missing", "always" or "never"`)
	f.pull.add(cmd)
	// -h is the hostname, as in Docker; help stays on --help.
	fl.BoolP("help", "", false, "help for "+cmd.Name())
}

func (f *createFlags) options(cmd *cobra.Command, args []string) runtime.CreateOptions {
	o := f.opts
	o.Warn = func(w string) { fmt.Fprintln(os.Stderr, w) }
	o.Image = args[0]
	o.Cmd = args[1:]
	if cmd.Flags().Changed("entrypoint") {
		o.Entrypoint = &f.entrypoint
	}
	o.Memory = int64(f.memory)
	// Given or not matters: an explicit --cpus 0 is refused, a missing one is no limit.
	if cmd.Flags().Changed("cpus") {
		n := int64(f.cpus)
		o.NanoCPUs = &n
	}
	if cmd.Flags().Changed("pids-limit") {
		o.PidsLimit = &f.pidsLimit
	}
	return o
}

func newCreateCommand(g *globals) *cobra.Command {
	f := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a container without starting it",
		Long: `Create a container: its record, name and ID. Nothing is set up in the kernel until it starts.
Prints the container's full ID.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			if err := ensureImage(rt, args[0], f); err != nil {
				return err
			}
			c, err := rt.Create(f.options(cmd, args))
			if err != nil {
				return err
			}
			fmt.Println(c.ID)
			return nil
		},
	}
	addCreateFlags(cmd, f)
	return cmd
}

func newRunCommand(g *globals) *cobra.Command {
	f := &createFlags{}
	var detach bool
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and start a container",
		Long: `Create a container and start it: mount an overlay root over the image, create the namespaces,
give it a veth pair on the bridge with the next free address, write its /etc/hosts, hostname and
resolv.conf, and run the command. In the foreground, minilink exits with the command's status;
with -d it prints the ID and a small monitor process waits for the container.`,
		Example: `  minilink run --rm -ti busybox sh
  minilink run -d --name web busybox httpd -f -p 80`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := f.options(cmd, args)
			if o.Tty && o.Interactive && !isTerminal(os.Stdin) {
				return errors.New("the input device is not a TTY")
			}
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			if err := ensureImage(rt, o.Image, f); err != nil {
				return err
			}
			if detach {
				id, err := rt.RunDetached(o)
				if err != nil {
					removeIfAuto(rt, o, id)
					return err
				}
				fmt.Println(id)
				return nil
			}
			c, code, err := rt.RunAttached(o, terminal(o.Interactive))
			if err != nil {
				if c != nil {
					removeIfAuto(rt, o, c.ID)
				}
				return err
			}
			return &runtime.ExitError{Code: code}
		},
	}
	addCreateFlags(cmd, f)
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run in the background and print the container ID")
	return cmd
}

// removeIfAuto removes the container id that run created and could not start, when --rm asks for
// it; id "" is no container.
func removeIfAuto(rt *runtime.Runtime, o runtime.CreateOptions, id string) {
	if o.AutoRemove && id != "" {
		_ = rt.Remove(id, true)
	}
}

func terminal(interactive bool) runtime.Attach {
	a := runtime.Attach{Stdout: os.Stdout, Stderr: os.Stderr}
	if interactive {
		a.Stdin = os.Stdin
	}
	return a
}

func newStartCommand(g *globals) *cobra.Command {
	var attach, interactive bool
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			if attach || interactive {
				if len(args) > 1 {
					return errors.New("you cannot start and attach multiple containers at once")
				}
				code, err := rt.StartAttached(args[0], terminal(interactive))
				if err != nil {
					return err
				}
				return &runtime.ExitError{Code: code}
			}
			if len(args) == 1 {
				if _, err := rt.StartDetached(args[0]); err != nil {
					return err
				}
				fmt.Println(args[0])
				return nil
			}
			var failed []string
			for _, arg := range args {
				if _, err := rt.StartDetached(arg); err != nil {
					fmt.Fprintln(os.Stderr, "minilink: "+oneLine(err.Error()))
					failed = append(failed, arg)
					continue
				}
				fmt.Println(arg)
			}
			if len(failed) > 0 {
				return fmt.Errorf("failed to start containers: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "attach STDOUT/STDERR and forward signals")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "attach the container's STDIN")
	return cmd
}

func newStopCommand(g *globals) *cobra.Command {
	var seconds int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers (SIGTERM, then SIGKILL after a grace period)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(g.tolerantRuntime, args, func(rt *runtime.Runtime, arg string) error {
				return rt.Stop(arg, time.Duration(seconds)*time.Second)
			})
		},
	}
	cmd.Flags().IntVarP(&seconds, "time", "t", 10, "seconds to wait for stop before killing it")
	return cmd
}

func newRestartCommand(g *globals) *cobra.Command {
	var seconds int
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(g.runtime, args, func(rt *runtime.Runtime, arg string) error {
				if err := rt.Restart(arg, time.Duration(seconds)*time.Second); err != nil {
					//lint:ignore ST1005 Docker's exact text, which users and tests match
					return fmt.Errorf("Cannot restart container %s: %w", arg, err)
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVarP(&seconds, "time", "t", 10, "seconds to wait for stop before killing the container")
	return cmd
}

func newKillCommand(g *globals) *cobra.Command {
	var sigName string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Send a signal to one or more running containers (SIGKILL by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := parseSignal(sigName)
			if err != nil {
				return err
			}
			return eachContainer(g.tolerantRuntime, args, func(rt *runtime.Runtime, arg string) error {
				_, err := rt.Signal(arg, sig)
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&sigName, "signal", "s", "KILL", "signal to send (name or number)")
	return cmd
}

// parseSignal accepts "KILL", "SIGKILL", "kill" or "9".
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}

func newRmCommand(g *globals) *cobra.Command {
	var force, link bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers, or with --link a link",
		Long: `Remove one or more containers. With --link, remove the link PARENT/ALIAS instead: the parent's
/etc/hosts line and the link's iptables rules go at once, both containers keep running.`,
		Example: "  minilink rm --link web/redis",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			open := g.tolerantRuntime
			if link {
				open = g.runtime // the link's rules are computed from every record
			}
			return eachContainer(open, args, func(rt *runtime.Runtime, arg string) error {
				if link {
					return rt.RemoveLink(arg)
				}
				err := rt.Remove(arg, force)
				var bad *runtime.CorruptRecordError
				if errors.As(err, &bad) || errors.Is(err, runtime.ErrNoSuchContainer) {
					// A container whose record is corrupted is known by its ID alone.
					if found, rerr := rt.RemoveCorrupted(arg, force); found {
						return rerr
					}
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	cmd.Flags().BoolVarP(&link, "link", "l", false, "remove the specified link (PARENT/ALIAS)")
	return cmd
}

func newLogsCommand(g *globals) *cobra.Command {
	var o runtime.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Print a container's output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.tolerantRuntime()
			if err != nil {
				return err
			}
			return rt.Logs(args[0], o, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "follow the output until the container stops")
	cmd.Flags().BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	return cmd
}

func newExecCommand(g *globals) *cobra.Command {
	var o runtime.ExecOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command in a running container: it joins the container's namespaces and cgroup, and
gets the container's environment computed afresh.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Tty && o.Interactive && !isTerminal(os.Stdin) {
				return errors.New("the input device is not a TTY")
			}
			if err := runtime.ValidateEnv(o.Env); err != nil {
				return err
			}
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			o.Cmd = args[1:]
			code, err := rt.Exec(args[0], o, terminal(o.Interactive))
			if err != nil {
				return err
			}
			return &runtime.ExitError{Code: code}
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&o.Interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&o.Tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.BoolVarP(&o.Detach, "detach", "d", false, "run the command in the background")
	fl.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable")
	fl.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&o.User, "user", "u", "", "user name or UID")
	return cmd
}

func newRenameCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			return rt.Rename(args[0], args[1])
		},
	}
}

func newMonitorCommand(g *globals) *cobra.Command {
	var create bool
	cmd := &cobra.Command{
		Use:    "monitor CONTAINER_ID | --create",
		Short:  "Wait for a detached container (started by run -d and start; not for direct use)",
		Hidden: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if create {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			if create {
				return rt.MonitorNew(os.Stdin, os.NewFile(3, "ready"), os.NewFile(4, "explain"))
			}
			return rt.Monitor(args[0], os.NewFile(3, "ready"), os.NewFile(4, "explain"))
		},
	}
	cmd.Flags().BoolVar(&create, "create", false, "create the container from the options on stdin (JSON) first (run -d)")
	return cmd
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// ensureImage pulls the image first when --pull asks for it, as Docker's run and create do; the
// pull's output goes to stderr, so that stdout keeps only the container's ID or output.
func ensureImage(rt *runtime.Runtime, image string, f *createFlags) error {
	switch f.pullPolicy {
	case "never":
		return nil
	case "always":
		return pull(rt, image, &f.pull, os.Stderr, false)
	case "missing":
	default:
		return fmt.Errorf(`invalid pull policy %q: "missing", "always" or "never"`, f.pullPolicy)
	}
	if _, err := rt.Images.Lookup(image); !errors.Is(err, rootfs.ErrNoSuchImage) {
		return nil // present, or an error that create will report
	}
	full := image
	if !strings.Contains(lastPathElement(image), ":") && !strings.Contains(image, "@") {
		full += ":latest"
	}
	fmt.Fprintf(os.Stderr, "Unable to find image '%s' locally\n", full)
	return pull(rt, image, &f.pull, os.Stderr, false)
}
