package runtime

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/checkpoint"
	"github.com/minilink/minilink/explain"
	"github.com/minilink/minilink/linker"
)

// Links: the runtime side of --link. The package linker computes what a link means (env, hosts
// lines, rules); this file finds the containers involved and applies the result.

// checkLinks is create's link validation, in the spec's order (§2): syntax, the parent's network
// mode, then each child: it must exist, a child sharing another container's namespace links to
// that container instead, and a child on the host's network cannot be linked. Duplicate aliases
// only warn.
func checkLinks(_ *Runtime, all []*Container, o *CreateOptions, c *Container) error {
	if len(o.Links) == 0 {
		return nil
	}
	var specs []linker.Spec
	for _, raw := range o.Links {
		s, err := linker.Parse(raw)
		if err != nil {
			return userError(ErrInvalidArgument, "%s", err)
		}
		specs = append(specs, s)
	}
	switch mode := o.Network; {
	case mode == "host":
		return userError(ErrInvalidArgument, "conflicting options: host type networking can't be used with links. This would result in undefined behavior")
	case strings.HasPrefix(mode, "container:"):
		return userError(ErrInvalidArgument, "conflicting options: container type network can't be used with links. This would result in undefined behavior")
	case mode == "none":
		return userError(ErrInvalidArgument, "conflicting options: none type networking can't be used with links")
	}
	kept, warnings := linker.Dedup(specs)
	for _, s := range kept {
		child, err := resolve(all, s.Name)
		if s.Name == "" || err != nil {
			return userError(ErrNoSuchContainer, "%s", linker.LookupError(s.Name))
		}
		owner := netnsOwner(all, child)
		if owner.HostConfig.NetworkMode == "host" {
			return userError(ErrInvalidArgument, "conflicting options: host type networking can't be used with links. This would result in undefined behavior")
		}
		c.HostConfig.Links = append(c.HostConfig.Links, Link{Child: owner.Name, Alias: s.Alias})
	}
	o.warnings = warnings
	return nil
}

// netnsOwner follows --net container:X until the container that owns the network namespace.
func netnsOwner(all []*Container, c *Container) *Container {
	seen := map[string]bool{}
	for strings.HasPrefix(c.HostConfig.NetworkMode, "container:") && !seen[c.ID] {
		seen[c.ID] = true
		next := byID(all, strings.TrimPrefix(c.HostConfig.NetworkMode, "container:"))
		if next == nil {
			break
		}
		c = next
	}
	return c
}

func byID(all []*Container, id string) *Container {
	for _, c := range all {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// linkTarget is a link with the running child it reaches.
type linkTarget struct {
	Link
	child *Container
}

// linkTargets resolves parent's links by name, at start and at every exec (§2 start-time
// checks): a child on no network or the host's cannot be linked; a missing or stopped child
// stops the parent from starting.
func linkTargets(all []*Container, parent *Container) ([]linkTarget, error) {
	var targets []linkTarget
	for _, l := range parent.HostConfig.Links {
		child := byName(all, l.Child)
		if child != nil {
			child = netnsOwner(all, child)
			if mode := child.HostConfig.NetworkMode; mode == "none" || mode == "host" {
				return nil, userError(ErrInvalidArgument, "%s", linker.NotDefaultNetworkText(l.Child))
			}
		}
		if child == nil || !child.State.Running() || child.Network.IPAddress == "" {
			return nil, userError(ErrLinkTargetNotRunning, "%s", linker.NonRunningText(l.Child, parent.Name, l.Alias))
		}
		targets = append(targets, linkTarget{Link: l, child: child})
	}
	return targets, nil
}

// linkEnv is the link variables of all targets, in --link order.
func linkEnv(parentName string, targets []linkTarget) ([]string, error) {
	var env []string
	for _, t := range targets {
		ports, err := linker.SortedPorts(t.child.Config.ExposedPorts)
		if err != nil {
			return nil, fmt.Errorf("exposed ports of %s: %w", t.child.Name, err)
		}
		env = append(env, linker.Env(t.Alias, parentName, t.child.Network.IPAddress, ports, t.child.Config.Env)...)
	}
	return env, nil
}

func linkHostsLines(targets []linkTarget) []string {
	var lines []string
	for _, t := range targets {
		lines = append(lines, linker.HostsLine(t.child.Network.IPAddress, t.Alias, t.child.Config.Hostname, t.child.Name))
	}
	return lines
}

// updateParentsLocked runs after child started: every running parent linked to it gets its
// hosts line rewritten in place with the child's new address (§4, §8c). The rules follow in
// syncRulesLocked.
//
// Preconditions: the lock is held.
func (r *Runtime) updateParentsLocked(all []*Container, child *Container) error {
	var errs []error
	for _, p := range all {
		if p.ID == child.ID || !p.State.Running() || p.HostConfig.NetworkMode != "bridge" {
			continue
		}
		for _, l := range p.HostConfig.Links {
			if l.Child != child.Name {
				continue
			}
			line := linker.HostsLine(child.Network.IPAddress, l.Alias, child.Config.Hostname, child.Name)
			explain.Note("rewrite %s's /etc/hosts in place (same inode): %s", p.Name, line)
			if err := r.editHosts(p, func(hosts []byte) []byte { return linker.ReplaceHostsLine(hosts, l.Alias, line) }); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// editHosts rewrites a container's hosts file in place: its inode is bind-mounted into the
// running container.
func (r *Runtime) editHosts(c *Container, edit func([]byte) []byte) error {
	path := r.containerDir(c.ID) + "/hosts"
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read hosts of %s: %w", c.Name, err)
	}
	return writeFileInPlace(path, edit(data))
}

// affectsRules reports whether starting or stopping c can change what syncRulesLocked wants: c
// publishes ports, or links have rules (icc=false). Otherwise a start or stop skips the sync and
// the iptables-save it would cost: nothing of c's is in the chains, and what others have there does
// not depend on c.
func (r *Runtime) affectsRules(c *Container) bool {
	if len(c.Network.Ports) > 0 {
		return true
	}
	s, err := bridge.LoadSettings(r.Root)
	return err != nil || !s.ICC
}

// dropRulesOfLocked deletes the link and port rules that name ip, the address a stopping bridge
// container had: its link pairs, as parent and as child, and its published ports. Addresses are
// unique among the records, so no other container's rule names it. It reads no record, and the
// tables through the stored snapshot while it holds (rulesetLocked), so with hundreds of
// containers a stop or removal needs one iptables run, the deletion. Rules that no record accounts
// for (left by a crash between a start's rules and its record) stay until the next start, whose
// sync under icc=false makes the chains exact again before its program runs.
//
// Preconditions: the lock is held.
func (r *Runtime) dropRulesOfLocked(ip string) error {
	settings, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return err
	}
	rules, err := r.rulesetLocked()
	if err != nil {
		return err
	}
	var del []bridge.Rule
	for _, table := range []string{"filter", "nat"} {
		for _, line := range rules.Lines(table, bridge.ChainName) {
			if !strings.Contains(line, ip) {
				continue // most of them, at hundreds of links: no need to parse
			}
			rule := bridge.ParseRule(table, line)
			if (linker.IsLinkRule(settings.Bridge, line) || bridge.IsPortRule(settings.Bridge, rule)) && ruleNames(rule, ip) {
				del = append(del, rule)
			}
		}
	}
	return rules.Apply(del, nil)
}

// dropRulesLocked takes out the rules of a container that stops; held is its record as it ran,
// before the release forgot its address and ports. A bridge container's go by address
// (dropRulesOfLocked), a --net container:X link child's by a full sync.
//
// Preconditions: the lock is held; the container's process is gone.
func (r *Runtime) dropRulesLocked(all []*Container, held *Container) error {
	if held.Network.IPAddress != "" && held.HostConfig.NetworkMode == "bridge" {
		return r.dropRulesOfLocked(held.Network.IPAddress)
	}
	stopped := *held
	stopped.State.Status = StatusExited
	return r.syncRulesLocked(all, &stopped)
}

// ruleNames reports whether rule matches on ip (-s/-d ip/32) or sends to it (--to-destination
// ip:port).
func ruleNames(rule bridge.Rule, ip string) bool {
	for _, f := range rule.Spec {
		if f == ip+"/32" || strings.HasPrefix(f, ip+":") {
			return true
		}
	}
	return false
}

// syncRulesLocked makes the rules in the MINILINK chains exactly what the records say: per link
// (§5's invariant) a pair per exposed port for each link whose parent and child both run, while
// icc=false; per published port (§6) a DNAT and an ACCEPT for each running container's bindings.
// Computing the whole set and comparing it with the chains makes every caller (start, stop,
// rm --link, icc switch, crash recovery) the same idempotent step, and keeps rules two links share
// until the last one goes.
//
// Preconditions: the lock is held.
// all is every container (nil: read them); it is not changed.
// pending, when not nil, is a container whose record is about to change: the rules follow its
// new state (running for a start, stopped for a stop) before the record says so, so that the record
// never claims a state whose rules are not in place yet.
func (r *Runtime) syncRulesLocked(all []*Container, pending *Container) error {
	settings, err := bridge.LoadSettings(r.Root)
	if err != nil {
		return err
	}
	if all == nil {
		if all, err = r.list(); err != nil {
			return err
		}
	}
	if pending != nil {
		all = withRecord(all, pending)
	}
	want, order, err := wantedRules(settings, all)
	if err != nil {
		return err
	}
	rules, err := r.rulesetLocked()
	if err != nil {
		return err
	}
	// What is there: the MINILINK rules that are link or port rules of this bridge, each once;
	// what is there but not wanted, and extra copies, go.
	var del, add []bridge.Rule
	present := map[string]bool{}
	for _, table := range []string{"filter", "nat"} {
		for _, line := range rules.Lines(table, bridge.ChainName) {
			key := table + " " + line
			_, wanted := want[key]
			if wanted && !present[key] {
				present[key] = true // the common case: no need to parse it
				continue
			}
			// Not wanted, or a second copy of a wanted one: it goes if it is a link or port
			// rule of this bridge (a wanted one is, by definition).
			rule := bridge.ParseRule(table, line)
			if wanted || linker.IsLinkRule(settings.Bridge, line) || bridge.IsPortRule(settings.Bridge, rule) {
				del = append(del, rule)
			}
		}
	}
	for _, key := range order {
		if !present[key] {
			add = append(add, want[key])
		}
	}
	return rules.Apply(del, add)
}

// withRecord is a copy of all with c in place of the record of the same ID.
func withRecord(all []*Container, c *Container) []*Container {
	out := slices.Clone(all)
	for i, other := range out {
		if other.ID == c.ID {
			out[i] = c
		}
	}
	return out
}

// wantedRules is the rules the MINILINK chains must hold for the records all (pure): per link a
// pair per exposed port while parent and child both run, under icc=false; per published port a
// DNAT and an ACCEPT. The map's keys are "table rule", order lists them in the order to add them.
func wantedRules(settings bridge.Settings, all []*Container) (map[string]bridge.Rule, []string, error) {
	want := map[string]bridge.Rule{}
	var order []string
	if !settings.ICC {
		for _, p := range all {
			if !p.State.Running() || p.Network.IPAddress == "" {
				continue
			}
			for _, l := range p.HostConfig.Links {
				child := byName(all, l.Child)
				if child == nil {
					continue
				}
				child = netnsOwner(all, child)
				if !child.State.Running() || child.Network.IPAddress == "" {
					continue
				}
				ports, err := linker.SortedPorts(child.Config.ExposedPorts)
				if err != nil {
					return nil, nil, err
				}
				for _, rule := range linker.Rules(settings.Bridge, p.Network.IPAddress, child.Network.IPAddress, ports) {
					key := rule.Table + " " + rule.String()
					if _, ok := want[key]; !ok {
						want[key] = rule
						order = append(order, key)
					}
				}
			}
		}
	}
	for _, c := range all {
		if !c.State.Running() || c.Network.IPAddress == "" {
			continue
		}
		for _, rule := range bridge.PortRules(settings.Bridge, c.Network.IPAddress, c.Network.Ports) {
			key := rule.Table + " " + rule.String()
			if _, ok := want[key]; !ok {
				want[key] = rule
				order = append(order, key)
			}
		}
	}
	return want, order, nil
}

// LinkNamesTo lists the link names ("parent/alias") that reach c, sorted, for ps --no-trunc.
func LinkNamesTo(all []*Container, c *Container) []string {
	var names []string
	for _, p := range all {
		for _, l := range p.HostConfig.Links {
			if l.Child == c.Name {
				names = append(names, p.Name+"/"+l.Alias)
			}
		}
	}
	sort.Strings(names)
	return names
}

// resolveLinkName finds the child a link name ("parent/alias", with or without a leading "/")
// reaches.
func resolveLinkName(all []*Container, arg string) *Container {
	parentName, alias, ok := strings.Cut(strings.TrimPrefix(arg, "/"), "/")
	if !ok {
		return nil
	}
	parent := byName(all, parentName)
	if parent == nil {
		return nil
	}
	for _, l := range parent.HostConfig.Links {
		if l.Alias == alias {
			return byName(all, l.Child)
		}
	}
	return nil
}

// RemoveLink is `rm --link parent/alias`: the link goes at once and for good, with the parent's
// hosts line and the pair's rules; both containers keep running.
func (r *Runtime) RemoveLink(name string) error {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := r.list()
	if err != nil {
		return err
	}
	trimmed := strings.TrimPrefix(name, "/")
	parentName, alias, ok := strings.Cut(trimmed, "/")
	if !ok {
		if _, err := resolve(all, trimmed); err == nil {
			return userError(ErrInvalidArgument, "Conflict, cannot remove the default link name of the container")
		}
		return userError(ErrNoSuchContainer, "No such container: %s", trimmed)
	}
	parent := byName(all, parentName)
	idx := -1
	if parent != nil {
		for i, l := range parent.HostConfig.Links {
			if l.Alias == alias && byName(all, l.Child) != nil {
				idx = i
			}
		}
	}
	if idx < 0 {
		return userError(ErrNoSuchContainer, "No such container: %s", trimmed)
	}
	// The hosts line goes before the record forgets the link: cut short in between, the link is
	// still recorded and `rm --link` can be run again (or `minilink gc` puts the line back).
	if parent.State.Running() {
		if err := r.editHosts(parent, func(h []byte) []byte { return linker.RemoveHostsLine(h, alias) }); err != nil {
			return err
		}
	}
	checkpoint.Reached("link: hosts line removed")
	parent.HostConfig.Links = append(parent.HostConfig.Links[:idx:idx], parent.HostConfig.Links[idx+1:]...)
	if len(parent.HostConfig.Links) == 0 {
		parent.HostConfig.Links = nil
	}
	if err := r.save(parent); err != nil {
		return err
	}
	checkpoint.Reached("link: record saved")
	return r.syncRulesLocked(all, nil)
}
