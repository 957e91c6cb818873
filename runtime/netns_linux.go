package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

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

// unnameNetns undoes nameNetns; a path that is not there is fine.
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
