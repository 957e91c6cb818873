package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/explain"
)

// netnsDir is where `ip netns` looks for named network namespaces.
const netnsDir = "/run/netns"

// netnsName is the name a container's network namespace gets for the standard tools, so that
// `ip netns exec minilink-web ip addr` and `nsenter --net=/run/netns/minilink-web` work.
func netnsName(containerName string) string { return "minilink-" + containerName }

// netnsPath is where nameNetns and newNamedNetns put the name.
func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// nameNetns bind-mounts the namespace of process pid on /run/netns/<name>, as
// `ip netns attach NAME PID` does, and returns the path.
func nameNetns(name string, pid int) (string, error) {
	path := netnsPath(name)
	explain.Command("ip", "netns", "attach", name, strconv.Itoa(pid))
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	_ = unnameNetns(path) // a leftover of a crash under the same name
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	f.Close()
	if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/net", pid), path, "", unix.MS_BIND, ""); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	return path, nil
}

// newNamedNetns creates an empty network namespace named name, as `ip netns add NAME` does, and
// returns its path. A bridge container's process joins it, already wired, instead of creating its
// own: see launchLocked.
func newNamedNetns(name string) (string, error) {
	path := netnsPath(name)
	explain.Command("ip", "netns", "add", name)
	_ = unnameNetns(path) // a leftover of a crash under the same name
	// netns.NewNamed moves the calling thread into the new namespace; this thread goes back to
	// its own before other goroutines may run on it.
	goruntime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		goruntime.UnlockOSThread()
		return "", fmt.Errorf("create network namespace %s: %w", name, err)
	}
	defer origin.Close()
	created, err := netns.NewNamed(name)
	if err == nil {
		created.Close()
	}
	if serr := netns.Set(origin); serr != nil {
		// The thread stays locked, in the wrong namespace: Go ends it with this goroutine.
		_ = unnameNetns(path)
		return "", fmt.Errorf("create network namespace %s: return to minilink's own: %w", name, serr)
	}
	goruntime.UnlockOSThread()
	if err != nil {
		_ = unnameNetns(path)
		return "", fmt.Errorf("create network namespace %s: %w", name, err)
	}
	return path, nil
}

// unnameNetns undoes nameNetns and newNamedNetns; a path that is not there is fine.
func unnameNetns(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	explain.Command("ip", "netns", "del", filepath.Base(path))
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
