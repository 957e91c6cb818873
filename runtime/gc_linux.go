package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/sys/mountinfo"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/linker"
	"github.com/minilink/minilink/rootfs"
)

// GC reclaims what minilink processes killed half-way (SIGKILL, OOM, power cut) left behind, and
// returns one line per thing reclaimed. Every command already reconciles the records with the
// kernel (currentLocked): a crashed start is undone, a container whose owner died is stopped and
// released, with its cgroup, network namespace name, veth pair, mount and rules. GC does that, then
// looks for what no record accounts for any more:
//
//   - rules in the MINILINK chains that no running link or published port wants, and missing ones;
//   - hosts lines of running containers that their links no longer have (an `rm --link` cut short),
//     and missing lines of links to running children;
//   - container directories without a record (a create or a removal cut short), with their mount
//     and libcontainer state;
//   - libcontainer states and cgroups of containers that do not run.
//
// The veth pairs need no search: the container end is created inside the container's network
// namespace, so the pair dies with the namespace, and the namespace's name is recorded before it
// is made.
func (r *Runtime) GC() ([]string, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	before, err := r.list()
	if err != nil {
		return nil, err
	}
	var done []string
	all, err := r.currentLocked()
	if err != nil {
		return nil, err
	}
	for _, c := range before {
		if now := byID(all, c.ID); now == nil || now.State.Status != c.State.Status || now.State.Starting != c.State.Starting {
			done = append(done, fmt.Sprintf("container %s: recorded as %s, reconciled with the kernel", c.Name, c.State.Status))
		}
	}
	var errs []error
	orphans, err := r.orphanDirsLocked(all)
	errs = append(errs, err)
	for _, id := range orphans {
		if err := r.removeOrphanDirLocked(id); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, "directory without a record: "+r.containerDir(id))
	}
	for _, c := range all {
		if c.State.Running() {
			continue
		}
		gone, err := r.destroyLibcontainerLocked(c.ID)
		errs = append(errs, err)
		if gone.state {
			done = append(done, fmt.Sprintf("container %s: libcontainer state of a stopped container", c.Name))
		}
		for _, p := range gone.cgroups {
			done = append(done, fmt.Sprintf("container %s: cgroup %s", c.Name, p))
		}
	}
	errs = append(errs, r.reindexNamesLocked(all))
	fixed, err := r.repairHostsLocked(all)
	errs = append(errs, err)
	done = append(done, fixed...)
	rules, err := r.rulesetLocked()
	if err == nil {
		before := minilinkRules(rules)
		if err = r.syncRulesLocked(all, nil); err == nil {
			after := minilinkRules(rules)
			for _, rule := range before {
				if !slices.Contains(after, rule) {
					done = append(done, "rule nobody wants: "+rule)
				}
			}
			for _, rule := range after {
				if !slices.Contains(before, rule) {
					done = append(done, "missing rule put back: "+rule)
				}
			}
		}
	}
	errs = append(errs, err)
	return done, errors.Join(errs...)
}

// minilinkRules lists the rules of both MINILINK chains as iptables -t TABLE -S prints them.
func minilinkRules(rs *bridge.Ruleset) []string {
	var out []string
	for _, table := range []string{"filter", "nat"} {
		for _, rule := range rs.Rules(table, bridge.ChainName) {
			out = append(out, "-t "+table+" "+rule.String())
		}
	}
	return out
}

// orphanDirsLocked lists the container directories that hold no record.
func (r *Runtime) orphanDirsLocked(all []*Container) ([]string, error) {
	dirs, err := r.containerDirs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dir := range dirs {
		id := dir.name
		if byID(all, id) != nil {
			continue
		}
		if _, err := os.Stat(r.recordPath(id)); errors.Is(err, os.ErrNotExist) {
			out = append(out, id)
		}
	}
	return out, nil
}

// removeOrphanDirLocked removes a container directory without a record, after whatever of a
// container may still hang on it: processes and cgroup (through libcontainer's state), its mount.
func (r *Runtime) removeOrphanDirLocked(id string) error {
	if _, err := r.destroyLibcontainerLocked(id); err != nil {
		return err
	}
	if err := rootfs.UnmountContainer(r.containerDir(id)); err != nil {
		return err
	}
	if err := os.RemoveAll(r.containerDir(id)); err != nil {
		return fmt.Errorf("remove %s: %w", r.containerDir(id), err)
	}
	return nil
}

// removeCgroups removes the cgroup /minilink/ID in every hierarchy where it is left (cgroup v1 has
// one per controller, v2 one in all), killing what still runs in it first. It returns the
// directories removed.
func removeCgroups(id string) ([]string, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, m := range mounts {
		dir := filepath.Join(m, "minilink", id)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		if procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(procs)) {
				var pid int
				if _, err := fmt.Sscan(f, &pid); err == nil && pid > 0 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		var rmErr error
		for range 50 { // the killed processes leave the cgroup within moments
			if rmErr = os.Remove(dir); rmErr == nil || errors.Is(rmErr, os.ErrNotExist) {
				rmErr = nil
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if rmErr != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", dir, rmErr))
			continue
		}
		removed = append(removed, dir)
	}
	return removed, errors.Join(errs...)
}

// cgroupMounts lists the mount points of the cgroup hierarchies (v1 and v2).
func cgroupMounts() ([]string, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	var out []string
	for _, m := range mounts {
		out = append(out, m.Mountpoint)
	}
	return out, nil
}

// repairHostsLocked makes the link lines of every running bridge container's hosts file match its
// links: lines for aliases it no longer has go, and a missing line for a link whose child runs
// comes back with the child's address.
func (r *Runtime) repairHostsLocked(all []*Container) ([]string, error) {
	var done []string
	var errs []error
	for _, p := range all {
		if !p.State.Running() || p.HostConfig.NetworkMode != "bridge" {
			continue
		}
		path := r.containerDir(p.ID) + "/hosts"
		hosts, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("read hosts of %s: %w", p.Name, err))
			continue
		}
		want := map[string]bool{}
		fixed := hosts
		for _, l := range p.HostConfig.Links {
			want[l.Alias] = true
			child := byName(all, l.Child)
			if child == nil {
				continue
			}
			child = netnsOwner(all, child)
			if slices.Contains(linker.LinkAliases(fixed), l.Alias) || !child.State.Running() || child.Network.IPAddress == "" {
				continue
			}
			fixed = linker.ReplaceHostsLine(fixed, l.Alias, linker.HostsLine(child.Network.IPAddress, l.Alias, child.Config.Hostname, l.Child))
			done = append(done, fmt.Sprintf("container %s: hosts line for link %s put back", p.Name, l.Alias))
		}
		for _, alias := range linker.LinkAliases(fixed) {
			if !want[alias] {
				fixed = linker.RemoveHostsLine(fixed, alias)
				done = append(done, fmt.Sprintf("container %s: hosts line of removed link %s", p.Name, alias))
			}
		}
		if string(fixed) != string(hosts) {
			errs = append(errs, writeFileInPlace(path, fixed))
		}
	}
	return done, errors.Join(errs...)
}
