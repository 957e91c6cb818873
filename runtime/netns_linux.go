package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/explain"
)

// netnsDir is where `ip netns` looks for named network namespaces.
const netnsDir = "/run/netns"

// netnsName is the name a container's network namespace gets for the standard tools, so that
// `ip netns exec minilink-web ip addr` and `nsenter --net=/run/netns/minilink-web` work.
func netnsName(containerName string) string { return "minilink-" + containerName }

// netnsPath is where nameNetns puts the name.
func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// nameNetns names the network namespace at target (a /proc path: a process's ns/net, or an open
// file of minilink's) with a symlink /run/netns/<name> → target, replacing what had the name, and
// returns the path. ip netns and nsenter follow it as they do `ip netns add`'s bind mounts. A
// symlink rather than a mount: every container's start copies the mount table into its new mount
// namespace and detaches the copy again, so with hundreds of containers a mount per namespace
// made every start slower, by some 10 to 30 ms per 300 mounts measured here.
func nameNetns(name, target string) (string, error) {
	path := netnsPath(name)
	explain.Command("ln", "-sfn", target, path)
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		_ = unnameNetns(path) // a bind mount of an older minilink, left by a crash
	}
	tmp := path + ".new"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("name network namespace %s: %w", name, err)
	}
	return path, nil
}

// procNetns is the path of process pid's network namespace.
func procNetns(pid int) string { return fmt.Sprintf("/proc/%d/ns/net", pid) }

// newNetns creates an empty network namespace and returns it open: a bridge container's process
// joins it, already wired, instead of creating its own (see launchLocked). It lives as long as the
// file is open or a process is in it.
func newNetns() (*os.File, error) {
	// netns.New moves the calling thread into the new namespace; this thread goes back to its
	// own before other goroutines may run on it.
	goruntime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		goruntime.UnlockOSThread()
		return nil, fmt.Errorf("create network namespace: %w", err)
	}
	defer origin.Close()
	created, err := netns.New()
	if serr := netns.Set(origin); serr != nil {
		// The thread stays locked, in the wrong namespace: Go ends it with this goroutine.
		if err == nil {
			created.Close()
		}
		return nil, fmt.Errorf("create network namespace: return to minilink's own: %w", serr)
	}
	goruntime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("create network namespace: %w", err)
	}
	return os.NewFile(uintptr(created), "netns"), nil
}

// unnameNetns undoes nameNetns (and removes a bind mount an older minilink made); a path that is
// not there is fine.
func unnameNetns(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	explain.Command("rm", path)
	if err == nil && fi.Mode()&os.ModeSymlink == 0 {
		if err := unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unmount %s: %w", path, err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
