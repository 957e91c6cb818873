package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/bridge"
)

func newPortCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List a running container's published ports",
		Long: `List a running container's published ports, one line per binding: "6379/tcp -> 0.0.0.0:32768".
Each binding is a DNAT rule in the nat table's MINILINK chain (iptables -t nat -S MINILINK); no
process listens on the host port.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.tolerantRuntime()
			if err != nil {
				return err
			}
			c, err := rt.Get(args[0])
			if err != nil {
				return err
			}
			if !c.State.Running() {
				return nil
			}
			bindings := append([]bridge.Binding(nil), c.Network.Ports...)
			bridge.SortBindings(bindings)
			if len(args) == 1 {
				for _, b := range bindings {
					fmt.Printf("%s -> %s\n", b.Key(), b.Host())
				}
				return nil
			}
			want := args[1]
			if !strings.Contains(want, "/") {
				want += "/tcp"
			}
			found := false
			for _, b := range bindings {
				if b.Key() == want {
					fmt.Println(b.Host())
					found = true
				}
			}
			if !found {
				return fmt.Errorf("no public port '%s' published for %s", want, args[0])
			}
			return nil
		},
	}
}
