package main

import (
	"encoding/json"
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/runtime"
)

func newNetworkCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Show and change the default bridge network",
	}
	cmd.AddCommand(newNetworkInspectCommand(g), newNetworkSetCommand(g), newNetworkShowCommand(g))
	return cmd
}

func newNetworkInspectCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect",
		Short: "Print the bridge's settings and its containers as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			v, err := rt.NetworkInspect()
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent([]runtime.NetworkView{v}, "", "    ")
			if err != nil {
				return err
			}
			fmt.Println(string(b))
			return nil
		},
	}
}

func newNetworkSetCommand(g *globals) *cobra.Command {
	var icc bool
	var subnet, bridgeName string
	cmd := &cobra.Command{
		Use:   "set [--icc=true|false] [--subnet CIDR]",
		Short: "Change the bridge's settings; they persist and apply at once",
		Long: `Change the bridge's settings. --icc=false puts a DROP rule for traffic between containers on
the bridge, so that only linked containers (through their ACCEPT rules) can talk; --icc=true puts
back the ACCEPT rule. --subnet changes the bridge's address range and --bridge its device name
(only while no container runs).`,
		Example: "  minilink network set --icc=false",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			var iccp *bool
			if cmd.Flags().Changed("icc") {
				iccp = &icc
			}
			s, err := rt.NetworkSet(iccp, subnet, bridgeName)
			if err != nil {
				return err
			}
			fmt.Printf("bridge %s: subnet %s, gateway %s, icc=%t\n", s.Bridge, s.Subnet, s.Gateway, s.ICC)
			return nil
		},
	}
	cmd.Flags().BoolVar(&icc, "icc", true, "allow traffic between containers that are not linked")
	cmd.Flags().StringVar(&subnet, "subnet", "", "the bridge's IPv4 subnet, e.g. 172.18.0.0/16")
	cmd.Flags().StringVar(&bridgeName, "bridge", "", "the bridge device's name (default minilink0)")
	return cmd
}

func newInfoCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show system-wide information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			list, err := rt.List()
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for _, c := range list {
				counts[c.State.Status]++
			}
			images, err := rt.Images.List()
			if err != nil {
				return err
			}
			s, err := bridge.LoadSettings(rt.Root)
			if err != nil {
				return err
			}
			var uts unix.Utsname
			_ = unix.Uname(&uts)
			cgroup := "1 (hybrid)"
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
				cgroup = "2"
			}
			fmt.Printf("Containers: %d\n Running: %d\n Paused: 0\n Stopped: %d\n", len(list), counts[runtime.StatusRunning], len(list)-counts[runtime.StatusRunning])
			fmt.Printf("Images: %d\n", len(images))
			fmt.Printf("Server Version: minilink %s (daemonless)\n", version)
			fmt.Printf("Storage Driver: overlay\n")
			fmt.Printf("Cgroup Version: %s\n", cgroup)
			fmt.Printf("Kernel Version: %s\n", unix.ByteSliceToString(uts.Release[:]))
			fmt.Printf("Architecture: %s\n", goruntime.GOARCH)
			fmt.Printf("Root Dir: %s\n", rt.Root)
			fmt.Printf("Bridge: %s\n Subnet: %s\n Gateway: %s\n ICC: %t\n", s.Bridge, s.Subnet, s.Gateway, s.ICC)
			return nil
		},
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the minilink version and what it is built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Printf("minilink version %s\n", version)
			fmt.Printf(" Go version:    %s\n", goruntime.Version())
			fmt.Printf(" OS/Arch:       %s/%s\n", goruntime.GOOS, goruntime.GOARCH)
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, dep := range bi.Deps {
					if strings.HasSuffix(dep.Path, "opencontainers/runc") {
						fmt.Printf(" libcontainer:  %s\n", dep.Version)
					}
				}
			}
			return nil
		},
	}
}
