package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/explain"
)

// MountContainer mounts the overlay root of a container whose private directory is dir:
// dir/upper and dir/work are created if missing, the overlay is mounted on dir/rootfs, and its path
// returned. Mounting an already mounted root is not an error.
func MountContainer(layerDirs []string, dir string) (string, error) {
	if len(layerDirs) == 0 {
		return "", errors.New("mount container: image has no layers")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("mount container: %w", err)
	}
	upper := filepath.Join(dir, "upper")
	work := filepath.Join(dir, "work")
	target := filepath.Join(dir, "rootfs")
	for _, d := range []string{upper, work, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("mount container: %w", err)
		}
	}
	fstype, err := mountType(target)
	if err != nil {
		return "", fmt.Errorf("mount container: %w", err)
	}
	switch fstype {
	case "overlay":
		return target, nil
	case "":
	default:
		return "", fmt.Errorf("mount container: %s is already a %s mount", target, fstype)
	}
	// The mount options are a comma-separated list whose lowerdir is colon-separated; a path with
	// either character would be cut apart.
	for _, p := range append([]string{upper, work}, layerDirs...) {
		if strings.ContainsAny(p, ",:") {
			return "", fmt.Errorf("mount container: path %q contains ',' or ':', which overlay options cannot carry", p)
		}
	}
	opts := "lowerdir=" + strings.Join(layerDirs, ":") + ",upperdir=" + upper + ",workdir=" + work
	if len(opts) >= os.Getpagesize() {
		return "", fmt.Errorf("mount container: overlay options too long (%d layers)", len(layerDirs))
	}
	explain.Note("the container's root: the image's layers read-only below, its own upper directory above")
	explain.Command("mount", "-t", "overlay", "overlay", "-o", opts, target)
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return target, nil
}

// UnmountContainer unmounts dir/rootfs if mounted; unmounting an unmounted root is not an error.
func UnmountContainer(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("unmount container: %w", err)
	}
	target := filepath.Join(dir, "rootfs")
	// Loop because mounts may be stacked; each round removes the top one.
	for range 16 {
		fstype, err := mountType(target)
		if err != nil {
			return fmt.Errorf("unmount container: %w", err)
		}
		if fstype == "" {
			return nil
		}
		explain.Command("umount", target)
		err = unix.Unmount(target, 0)
		if errors.Is(err, unix.EBUSY) {
			// A process still has a file open in there (for example a container being torn
			// down): detach now, the kernel finishes when it lets go.
			err = unix.Unmount(target, unix.MNT_DETACH)
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil // not a mount point (any more)
		}
		if err != nil {
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
	return fmt.Errorf("unmount %s: still mounted", target)
}

// mountType returns the filesystem type of the topmost mount on path, or "" when path is not a
// mount point or does not exist. It asks the kernel about path alone (openat2 or statx, then
// statfs) rather than reading /proc/self/mountinfo, whose size grows with every running
// container: at 300 containers one read of it cost more than the rest of an unmount.
func mountType(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	mounted, err := mountinfo.Mounted(real)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("is %s a mount point: %w", real, err)
	}
	if !mounted {
		return "", nil
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(real, &fs); err != nil {
		return "", fmt.Errorf("statfs %s: %w", real, err)
	}
	switch fs.Type {
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlay", nil
	case unix.TMPFS_MAGIC:
		return "tmpfs", nil
	}
	return fmt.Sprintf("0x%x", fs.Type), nil
}
