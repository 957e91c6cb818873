package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/runtime"
)

func newNetworkShowCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show [--format text|dot]",
		Short: "Draw the bridge, its containers, their ports and links, checked against the kernel",
		Long: `Draw the bridge network: each running container's veth pair and address, its exposed and
published ports, and the links between containers with the state of their iptables rules. What
the records say is checked against the kernel: a veth missing from the bridge, a device on the
bridge that no container owns, missing link rules and rules nobody needs are flagged.
--format dot writes a Graphviz graph (minilink network show --format dot | dot -Tpng > net.png).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.runtime()
			if err != nil {
				return err
			}
			p, err := rt.NetworkShow()
			if err != nil {
				return err
			}
			switch format {
			case "text":
				drawNetwork(os.Stdout, p, isTerminal(os.Stdout))
			case "dot":
				dotNetwork(os.Stdout, p)
			default:
				return fmt.Errorf("unknown format %q: text or dot", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text (a picture for the terminal) or dot (Graphviz)")
	return cmd
}

// palette colours the picture on a terminal and is empty when piped.
type palette struct{ ok, bad, dim, bold, reset string }

func newPalette(colour bool) palette {
	if !colour {
		return palette{}
	}
	return palette{ok: "\x1b[32m", bad: "\x1b[31m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

// drawNetwork prints the picture: the bridge, one branch per container, then the links.
func drawNetwork(w io.Writer, p runtime.NetworkPicture, colour bool) {
	c := newPalette(colour)
	s := p.Settings
	state := c.ok + "up" + c.reset
	if !p.BridgeExists {
		state = c.bad + "MISSING in the kernel" + c.reset
	}
	fmt.Fprintf(w, "%sbridge %s%s  %s  gateway %s  icc=%t  (%s)\n", c.bold, s.Bridge, c.reset, s.Subnet, s.Gateway, s.ICC, state)
	nameWidth := 4
	for _, m := range p.Members {
		nameWidth = max(nameWidth, len(m.Name))
	}
	for i, m := range p.Members {
		branch := "├──"
		if i == len(p.Members)-1 && len(p.ExtraPorts) == 0 {
			branch = "└──"
		}
		veth := c.ok + m.HostVeth + c.reset
		if !m.VethOnBridge {
			veth = c.bad + m.HostVeth + " (MISSING)" + c.reset
		}
		fmt.Fprintf(w, "%s %s ── eth0 %-15s %-*s", branch, veth, m.IP, nameWidth, m.Name)
		if len(m.Exposed) > 0 {
			fmt.Fprintf(w, "  exposes %s", strings.Join(m.Exposed, ","))
		}
		for _, b := range m.Published {
			fmt.Fprintf(w, "  %s->%s", b.Host(), b.Key())
		}
		fmt.Fprintln(w)
	}
	for i, port := range p.ExtraPorts {
		branch := "├──"
		if i == len(p.ExtraPorts)-1 {
			branch = "└──"
		}
		fmt.Fprintf(w, "%s %s%s (EXTRA: on the bridge, no container owns it)%s\n", branch, c.bad, port, c.reset)
	}
	if len(p.Members) == 0 && len(p.ExtraPorts) == 0 {
		fmt.Fprintf(w, "%s(no running container)%s\n", c.dim, c.reset)
	}
	if len(p.Links) > 0 {
		fmt.Fprintf(w, "\n%slinks%s\n", c.bold, c.reset)
	}
	for _, l := range p.Links {
		fmt.Fprintf(w, "  %s ──%s──▶ %s", l.Parent, l.Alias, l.Child)
		if len(l.Ports) > 0 {
			fmt.Fprintf(w, "  %s", strings.Join(l.Ports, ","))
		}
		switch {
		case !l.ChildRunning:
			fmt.Fprintf(w, "  %s(child not running)%s", c.dim, c.reset)
		case s.ICC:
			fmt.Fprintf(w, "  %srules: none needed (icc=true)%s", c.dim, c.reset)
		case l.HaveRules == l.WantRules:
			fmt.Fprintf(w, "  rules: %spresent (%d/%d)%s", c.ok, l.HaveRules, l.WantRules, c.reset)
		default:
			fmt.Fprintf(w, "  rules: %sMISSING (%d/%d)%s", c.bad, l.HaveRules, l.WantRules, c.reset)
		}
		fmt.Fprintln(w)
	}
	for _, r := range p.ExtraRules {
		fmt.Fprintf(w, "%sEXTRA rule nobody needs: iptables %s%s\n", c.bad, r, c.reset)
	}
}

// dotNetwork writes the picture as a Graphviz digraph.
func dotNetwork(w io.Writer, p runtime.NetworkPicture) {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	fmt.Fprintln(w, "digraph minilink {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintf(w, "  %s [shape=box, label=%s];\n", q(p.Settings.Bridge), q(p.Settings.Bridge+"\\n"+p.Settings.Subnet+"\\nicc="+fmt.Sprint(p.Settings.ICC)))
	for _, m := range p.Members {
		label := m.Name + "\\n" + m.IP
		if len(m.Exposed) > 0 {
			label += "\\n" + strings.Join(m.Exposed, ",")
		}
		for _, b := range m.Published {
			label += "\\n" + b.Host() + "->" + b.Key()
		}
		fmt.Fprintf(w, "  %s [shape=ellipse, label=%s];\n", q(m.Name), q(label))
		style := ""
		if !m.VethOnBridge {
			style = ", color=red, style=dashed"
		}
		fmt.Fprintf(w, "  %s -> %s [dir=none, label=%s%s];\n", q(p.Settings.Bridge), q(m.Name), q(m.HostVeth), style)
	}
	for _, port := range p.ExtraPorts {
		fmt.Fprintf(w, "  %s [shape=plaintext, fontcolor=red, label=%s];\n", q(port), q(port+" (extra)"))
		fmt.Fprintf(w, "  %s -> %s [dir=none, color=red];\n", q(p.Settings.Bridge), q(port))
	}
	for _, l := range p.Links {
		colour := "black"
		if !p.Settings.ICC && l.ChildRunning && l.HaveRules != l.WantRules {
			colour = "red"
		}
		fmt.Fprintf(w, "  %s -> %s [style=dashed, color=%s, label=%s];\n", q(l.Parent), q(l.Child), colour, q(l.Alias))
	}
	fmt.Fprintln(w, "}")
}
