package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newGCCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Reclaim what a killed minilink left behind",
		Long: `Reclaim what minilink processes killed half-way (kill -9, the OOM killer, a power cut) left
behind. Every command already brings the container records in line with the kernel: a start cut
short is undone, and a container whose minilink process died is stopped and released (cgroup,
network namespace name, veth pair, mount, rules). gc does the same, then also removes what no
record accounts for: container directories without a record, libcontainer states and cgroups of
containers that do not run, rules in the MINILINK chains that no link or published port wants, and
hosts lines of links that are gone (it puts back missing ones of links to running children).

It prints one line per thing reclaimed, and nothing when there was nothing to do. Running
containers are not touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			done, err := rt.GC()
			for _, line := range done {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			return err
		},
	}
}
