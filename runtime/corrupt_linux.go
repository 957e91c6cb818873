package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// RemoveCorrupted removes a container whose record cannot be used ([CorruptRecordError]), named by
// its full ID or a unique prefix of it: its name went with the record. It reports false, and does
// nothing, when arg names no such container.
//
// Whether the container runs is read from libcontainer's state, since the record cannot say. As
// rm does, it refuses a running container unless force. It removes what gc removes for a directory
// without a record (the processes, the cgroup, the mount, the directory) and, for a container that
// ran, the name of its network namespace (found by the init's namespace, since the name that made
// it is lost; the veth pair goes with the namespace) and the rules no running container wants.
// The name index loses the entry that still points at it.
func (r *Runtime) RemoveCorrupted(arg string, force bool) (bool, error) {
	if arg == "" || !isHex(arg) {
		return false, nil
	}
	unlock, err := r.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	dirs, err := r.containerDirs()
	if err != nil {
		return false, err
	}
	var id string
	for _, dir := range dirs {
		if !strings.HasPrefix(dir.name, arg) {
			continue
		}
		var bad *CorruptRecordError
		if _, err := r.load(dir.name); !errors.As(err, &bad) {
			continue
		}
		if id != "" {
			return true, userError(ErrInvalidArgument, "multiple IDs found with provided prefix: %s", arg)
		}
		id = dir.name
	}
	if id == "" {
		return false, nil
	}
	initPid := 0
	if lc, err := libcontainer.Load(r.libcontainerRoot(), id); err == nil {
		if st, err := lc.Status(); err == nil && st != libcontainer.Stopped {
			if state, err := lc.State(); err == nil {
				initPid = state.InitProcessPid
			}
			if !force {
				return true, userError(ErrRunning, "You cannot remove a running container %s. Stop the container before attempting removal or force remove", id)
			}
		}
	}
	var errs []error
	if initPid > 0 {
		errs = append(errs, unnameNetnsOf(initPid))
	}
	if err := r.removeOrphanDirLocked(id); err != nil {
		return true, errors.Join(append(errs, err)...)
	}
	// The name index may still hold its name.
	if names, err := os.ReadDir(r.nameIndexDir()); err == nil {
		for _, n := range names {
			r.unindexName(n.Name(), id)
		}
	}
	if _, err := os.Stat(filepath.Join(r.Root, "network.json")); initPid > 0 && err == nil {
		errs = append(errs, r.syncRulesLocked(nil, nil))
	}
	return true, errors.Join(errs...)
}

// unnameNetnsOf removes the minilink name (/run/netns/minilink-*) of process pid's network
// namespace, if it has one.
func unnameNetnsOf(pid int) error {
	var ns unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &ns); err != nil {
		return nil // the process is gone: nothing tells its namespace's name from the others
	}
	names, err := filepath.Glob(netnsPath(netnsName("*")))
	if err != nil {
		return err
	}
	for _, path := range names {
		var st unix.Stat_t
		if unix.Stat(path, &st) == nil && st.Dev == ns.Dev && st.Ino == ns.Ino {
			return unnameNetns(path)
		}
	}
	return nil
}
