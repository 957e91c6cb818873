package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/linker"
	"github.com/minilink/minilink/runtime"
)

// psRow is one container as ps shows it; its methods are the fields --format can use.
type psRow struct {
	c         *runtime.Container
	now       time.Time
	noTrunc   bool
	linkNames []string // "parent/alias" names that reach c
}

func (r psRow) ID() string {
	if r.noTrunc {
		return r.c.ID
	}
	return runtime.ShortID(r.c.ID)
}
func (r psRow) Image() string { return r.c.Image }
func (r psRow) Command() string {
	// Docker quotes arguments with spaces so that `sh -c 'sleep 100'` reads back as typed.
	words := []string{r.c.Path}
	for _, a := range r.c.Args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		words = append(words, a)
	}
	cmd := strings.Join(words, " ")
	if !r.noTrunc {
		cmd = ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}
func (r psRow) CreatedAt() string { return r.c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST") }
func (r psRow) RunningFor() string {
	return humanDuration(r.now.Sub(r.c.Created)) + " ago"
}

// Ports is the PORTS column: empty unless the container runs.
func (r psRow) Ports() string {
	if !r.c.State.Running() {
		return ""
	}
	return portsColumn(r.c.Config.ExposedPorts, r.c.Network.Ports)
}
func (r psRow) State() string { return r.c.State.Status }

// Names is the container's name; --no-trunc adds the link names that reach it, as Docker does.
func (r psRow) Names() string {
	if !r.noTrunc {
		return r.c.Name
	}
	return strings.Join(append([]string{r.c.Name}, r.linkNames...), ",")
}
func (r psRow) Networks() string { return networkName(r.c.HostConfig.NetworkMode) }
func (r psRow) Labels() string   { return "" }
func (r psRow) Mounts() string   { return "" }
func (r psRow) Size() string     { return "" }
func (r psRow) Status() string   { return statusText(r.c.State, r.now) }

// statusText is ps's STATUS column: "Created", "Up 3 seconds", "Exited (0) 2 minutes ago".
func statusText(s runtime.State, now time.Time) string {
	switch s.Status {
	case runtime.StatusRunning:
		return "Up " + humanDuration(now.Sub(s.StartedAt))
	case runtime.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, humanDuration(now.Sub(s.FinishedAt)))
	}
	return "Created"
}

// networkName is the name inspect and ps use for a network mode.
func networkName(mode string) string {
	if strings.HasPrefix(mode, "container:") {
		return ""
	}
	return mode
}

// psHeader holds the column titles; executing a table template on it prints the header line.
var psHeader = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Names": "NAMES",
	"Networks": "NETWORKS", "Labels": "LABELS", "Mounts": "MOUNTS", "Size": "SIZE",
}

const psDefaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// printPsLines prints what psDefaultFormat (table) or `-q` (the IDs) would, byte for byte, without
// text/template or text/tabwriter: executing the template through reflection, and the tabwriter's
// copy of every cell, cost a tenth of a `ps -a` with hundreds of rows. --format still goes through
// both.
func printPsLines(w io.Writer, rows []psRow, table bool) error {
	buf := bufio.NewWriter(w)
	if !table {
		for _, r := range rows {
			buf.WriteString(r.ID())
			buf.WriteByte('\n')
		}
		return buf.Flush()
	}
	h := psHeader
	lines := make([][psColumns]string, 0, len(rows)+1)
	lines = append(lines, [psColumns]string{h["ID"], h["Image"], h["Command"], h["RunningFor"], h["Status"], h["Ports"], h["Names"]})
	for _, r := range rows {
		lines = append(lines, [psColumns]string{r.ID(), r.Image(), r.Command(), r.RunningFor(), r.Status(), r.Ports(), r.Names()})
	}
	writeColumns(buf, lines)
	return buf.Flush()
}

// psColumns is the number of columns of ps's default table.
const psColumns = 7

// writeColumns aligns lines as newTable's tabwriter does: each column but the last as wide as its
// widest cell (in runes) plus 3 spaces, and 10 at least; the last cell unpadded.
func writeColumns(w *bufio.Writer, lines [][psColumns]string) {
	var widths [psColumns - 1]int
	for col := range widths {
		widths[col] = tableMinWidth
		for _, line := range lines {
			widths[col] = max(widths[col], utf8.RuneCountInString(line[col])+tablePadding)
		}
	}
	for _, line := range lines {
		for col, width := range widths {
			w.WriteString(line[col])
			for range width - utf8.RuneCountInString(line[col]) {
				w.WriteByte(' ')
			}
		}
		w.WriteString(line[psColumns-1])
		w.WriteByte('\n')
	}
}

func newPsCommand(g *globals) *cobra.Command {
	var all, latest, quiet, noTrunc bool
	var last int
	var format string
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := g.tolerantRuntime()
			if err != nil {
				return err
			}
			list, err := rt.List()
			if err != nil {
				return err
			}
			if latest {
				last = 1
			}
			var rows []psRow
			now := time.Now()
			for _, c := range list {
				if !all && last <= 0 && !c.State.Running() {
					continue
				}
				row := psRow{c: c, now: now, noTrunc: noTrunc}
				if noTrunc {
					row.linkNames = runtime.LinkNamesTo(list, c) // a scan of every record per row
				}
				rows = append(rows, row)
			}
			if last > 0 && len(rows) > last {
				rows = rows[:last]
			}
			switch {
			case quiet:
				return printPsLines(os.Stdout, rows, false)
			case format == "" || format == psDefaultFormat:
				return printPsLines(os.Stdout, rows, true)
			}
			return printRows(format, rows, psHeader)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	fl.BoolVarP(&latest, "latest", "l", false, "show the latest created container (includes all states)")
	fl.IntVarP(&last, "last", "n", -1, "show n last created containers (includes all states)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	fl.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	fl.StringVar(&format, "format", "", "format the output with a Go template ('table …' adds headers)")
	return cmd
}

// printRows prints rows with a --format template; a "table" template gets a header line and
// aligned columns, any other template prints one raw line per row.
func printRows[T any](format string, rows []T, header map[string]string) error {
	return printRowsTo(os.Stdout, format, rows, header)
}

func printRowsTo[T any](w io.Writer, format string, rows []T, header map[string]string) error {
	tmpl, table, err := parseFormat(format)
	if err != nil {
		return err
	}
	// One write at the end rather than one per cell: with hundreds of containers the writes
	// cost more than the rest of the printing.
	buf := bufio.NewWriter(w)
	defer buf.Flush()
	var out io.Writer = buf
	var tw *tabwriter.Writer
	if table {
		tw = newTable(buf)
		out = tw
		if err := tmpl.Execute(out, header); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		fmt.Fprintln(out)
	}
	for _, row := range rows {
		if err := tmpl.Execute(out, row); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return buf.Flush()
}

// portsColumn formats ps's PORTS the way the docker 20.10 CLI does (spec §6): one entry per
// binding and per unpublished exposed port, sorted; bindings whose host port differs go to a list
// of mappings; the rest are grouped into ranges per protocol (and host IP); groups first.
func portsColumn(exposed map[string]struct{}, bindings []bridge.Binding) string {
	type entry struct {
		ip       string
		hp, cp   int
		proto    string
		unpubbed bool
	}
	var entries []entry
	published := map[string]bool{}
	for _, b := range bindings {
		published[b.Key()] = true
		entries = append(entries, entry{ip: b.HostIP, hp: b.HostPort, cp: b.ContainerPort, proto: b.Proto})
	}
	for key := range exposed {
		if published[key] {
			continue
		}
		p, err := linker.ParsePort(key)
		if err != nil {
			continue
		}
		entries = append(entries, entry{cp: p.Num, proto: p.Proto, unpubbed: true})
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.cp != b.cp {
			return a.cp < b.cp
		}
		if a.ip != b.ip {
			return a.ip < b.ip
		}
		if a.hp != b.hp {
			return a.hp < b.hp
		}
		return a.proto < b.proto
	})
	type group struct {
		ip, proto   string
		first, last int
		unpubbed    bool
	}
	format := func(g *group) string {
		span := strconv.Itoa(g.first)
		if g.last != g.first {
			span += "-" + strconv.Itoa(g.last)
		}
		if g.unpubbed {
			return span + "/" + g.proto
		}
		return g.ip + ":" + span + "->" + span + "/" + g.proto
	}
	var groups, mappings, keyOrder []string
	open := map[string]*group{}
	for _, e := range entries {
		if !e.unpubbed && e.hp != e.cp {
			mappings = append(mappings, fmt.Sprintf("%s:%d->%d/%s", e.ip, e.hp, e.cp, e.proto))
			continue
		}
		key := e.proto
		if !e.unpubbed {
			key = e.ip + "/" + e.proto
		}
		g, ok := open[key]
		switch {
		case !ok:
			keyOrder = append(keyOrder, key)
		case e.cp == g.last+1:
			g.last = e.cp
			continue
		default:
			groups = append(groups, format(g))
		}
		open[key] = &group{ip: e.ip, proto: e.proto, first: e.cp, last: e.cp, unpubbed: e.unpubbed}
	}
	for _, key := range keyOrder {
		groups = append(groups, format(open[key]))
	}
	return strings.Join(append(groups, mappings...), ", ")
}
