// Command minilink is a small, daemonless container runtime that reimplements Docker's legacy
// container links: containers on a default bridge, /etc/hosts entries, link environment variables
// and iptables rules, each step done by minilink itself.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/checkpoint"
	"github.com/minilink/minilink/explain"
	_ "github.com/minilink/minilink/hugeheap"
	"github.com/minilink/minilink/rootfs"
	"github.com/minilink/minilink/runtime"
)

// exitRuntimeError is Docker's exit code for errors of the runtime itself (as opposed to the
// container's own exit status).
const exitRuntimeError = 125

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	checkpoint.Reached("main")
	root := newRootCommand()
	err := root.Execute()
	checkpoint.Reached("done")
	os.Exit(exitCode(err))
}

// exitCode maps an error to the process exit status and prints it: one line on stderr.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *runtime.ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	if errors.Is(err, errReported) {
		return exitRuntimeError
	}
	msg := oneLine(err.Error())
	if errors.Is(err, runtime.ErrHostNotReady) || errors.Is(err, bridge.ErrBrNetfilter) {
		msg = strings.TrimPrefix(msg, runtime.ErrHostNotReady.Error()+": ") + " (run 'minilink doctor' to check the host)"
	}
	fmt.Fprintln(os.Stderr, "minilink: "+msg)
	var start *runtime.StartError
	if errors.As(err, &start) {
		return start.Code
	}
	return exitRuntimeError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// globals are the flags every command shares.
type globals struct {
	root    string
	explain bool
}

func (g *globals) runtime() (*runtime.Runtime, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("minilink needs root: it creates namespaces, mounts, veths and iptables rules (try sudo)")
	}
	return runtime.Open(g.root)
}

// tolerantRuntime is runtime for the commands that only look, stop or remove: a container record
// that cannot be used is skipped with one warning line on stderr (naming the file and what to do),
// so that the other containers can still be listed, inspected, stopped and removed. The commands
// that start, create or rename containers or change the rules use runtime, and fail on it.
func (g *globals) tolerantRuntime() (*runtime.Runtime, error) {
	rt, err := g.runtime()
	if err != nil {
		return nil, err
	}
	warned := map[string]bool{}
	rt.SkipCorrupt = func(err *runtime.CorruptRecordError) {
		if !warned[err.Path] {
			warned[err.Path] = true
			fmt.Fprintln(os.Stderr, "WARNING: ignoring "+oneLine(err.Error()))
		}
	}
	return rt, nil
}

func (g *globals) images() (*rootfs.Store, error) {
	rt, err := g.runtime()
	if err != nil {
		return nil, err
	}
	return rt.Images, nil
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "minilink",
		Short: "A daemonless container runtime that shows how Docker's legacy links work",
		Long: `minilink runs containers on a default bridge and links them the way Docker Engine 20.10 did:
--link adds the child to the parent's /etc/hosts, injects ALIAS_PORT_… variables and, with
icc=false, opens exactly the linked ports with iptables ACCEPT rules. It does every step itself:
no daemon, and everything it changes in the kernel can be seen with ip, iptables and mount.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())
	})
	defaultRoot := os.Getenv("MINILINK_ROOT")
	if defaultRoot == "" {
		defaultRoot = runtime.DefaultRoot
	}
	root.PersistentFlags().StringVar(&g.root, "root", defaultRoot, "state directory (env MINILINK_ROOT)")
	root.PersistentFlags().BoolVar(&g.explain, "explain", os.Getenv("MINILINK_EXPLAIN") == "1",
		"print each change made to the kernel as the equivalent shell command, on stderr (env MINILINK_EXPLAIN=1)")
	root.PersistentPreRun = func(cmd *cobra.Command, args []string) {
		if g.explain {
			explain.Enable(os.Stderr)
			// A detached container is started by its monitor, which explains on our stderr too.
			os.Setenv("MINILINK_EXPLAIN", "1")
		}
	}
	root.AddGroup(
		&cobra.Group{ID: "containers", Title: "Containers:"},
		&cobra.Group{ID: "images", Title: "Images:"},
		&cobra.Group{ID: "network", Title: "Network and system:"},
	)
	for _, c := range []*cobra.Command{
		newRunCommand(g), newCreateCommand(g), newStartCommand(g), newStopCommand(g),
		newRestartCommand(g), newKillCommand(g), newRmCommand(g), newPsCommand(g), newLogsCommand(g),
		newExecCommand(g), newInspectCommand(g), newRenameCommand(g), newPortCommand(g),
	} {
		c.GroupID = "containers"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newPullCommand(g), newImportCommand(g), newLoadCommand(g), newSaveCommand(g), newImagesCommand(g), newRmiCommand(g), newTagCommand(g)} {
		c.GroupID = "images"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newNetworkCommand(g), newDoctorCommand(g), newGCCommand(g), newInfoCommand(g), newVersionCommand()} {
		c.GroupID = "network"
		root.AddCommand(c)
	}
	root.AddCommand(newMonitorCommand(g))
	return root
}
