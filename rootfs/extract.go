package rootfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// whiteoutPrefix marks overlay deletions in layer tars: ".wh.NAME" deletes NAME of the layers
// below, and opaqueWhiteout in a directory hides everything the layers below have in it.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// extractTar unpacks the tar stream that rec reads into the directory root, which must be fresh
// and private to the caller, and returns the total size of the regular files written.
//
// Every entry is checked before anything is created: its cleaned name must stay below root, no
// existing component of its parent may be a symlink (so a symlink from an earlier entry is never
// followed, whatever it points at), and a hard link's target must be inside root too.
//
// layer says the tar is one layer of a pulled or loaded image, to be stacked on the layers below
// it: whiteouts become what overlayfs understands (see applyWhiteout), and absolute names and
// device nodes, which image builders never produce, are refused. Otherwise (Import: a single
// layer, nothing below) whiteouts are dropped, and device nodes made as docker import does.
func extractTar(rec *tarRecorder, root string, layer bool) (int64, error) {
	tr := tar.NewReader(rec)
	isRoot := os.Geteuid() == 0
	type dirTime struct {
		path  string
		mtime time.Time
	}
	var dirs []dirTime
	var size int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read tar: %w", err)
		}
		rel, err := entryPath(hdr.Name)
		if err != nil {
			return 0, err
		}
		if layer && (strings.HasPrefix(hdr.Name, "/") || (hdr.Typeflag == tar.TypeLink && strings.HasPrefix(hdr.Linkname, "/"))) {
			return 0, fmt.Errorf("extract %s: absolute path in an image layer", hdr.Name)
		}
		if rel == "." {
			// The archive's "./": apply its metadata to the root itself.
			if hdr.Typeflag == tar.TypeDir {
				if err := setMeta(root, hdr, isRoot); err != nil {
					return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
				}
				dirs = append(dirs, dirTime{root, hdr.ModTime})
			}
			continue
		}
		if strings.HasPrefix(path.Base(rel), whiteoutPrefix) {
			if layer {
				if err := applyWhiteout(root, rel); err != nil {
					return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
				}
			}
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(rel))
		if err := checkParent(root, rel); err != nil {
			return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
		// A later entry replaces an earlier one, but an existing directory stays when the new
		// entry is a directory too, so that its contents survive.
		if fi, err := os.Lstat(target); err == nil {
			if !(fi.IsDir() && hdr.Typeflag == tar.TypeDir) {
				if err := rec.detach(rel); err != nil {
					return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
				}
				if err := os.RemoveAll(target); err != nil {
					return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
				}
			}
		}

		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
			}
			dirs = append(dirs, dirTime{target, hdr.ModTime})
		case tar.TypeReg:
			if hdr.Size > 0 {
				rec.beginFile(rel)
			}
			n, err := writeFile(target, tr)
			if hdr.Size > 0 {
				rec.endFile()
			}
			if err != nil {
				return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
			}
			size += n
		case tar.TypeSymlink:
			// The symlink's target is stored as is: it is only ever resolved inside the
			// container, whose root is this directory.
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
			}
		case tar.TypeLink:
			src, err := linkTarget(root, hdr.Linkname)
			if err != nil {
				return 0, fmt.Errorf("extract %s: hard link to %s: %w", hdr.Name, hdr.Linkname, err)
			}
			if err := os.Link(src, target); err != nil {
				return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
			}
			// A hard link shares the inode, and so the metadata, of its target.
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			if layer && hdr.Typeflag != tar.TypeFifo {
				// A device node in an image would hand the container a disk or a terminal
				// of the host; runtimes give containers their devices themselves.
				return 0, fmt.Errorf("extract %s: device nodes are not allowed in image layers", hdr.Name)
			}
			mode := uint32(unix.S_IFIFO)
			switch hdr.Typeflag {
			case tar.TypeChar:
				mode = unix.S_IFCHR
			case tar.TypeBlock:
				mode = unix.S_IFBLK
			}
			dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
			if err := unix.Mknod(target, mode|0o600, int(dev)); err != nil {
				return 0, fmt.Errorf("extract %s: mknod: %w", hdr.Name, err)
			}
		case tar.TypeXGlobalHeader:
			continue
		default:
			return 0, fmt.Errorf("extract %s: unsupported tar entry type %q", hdr.Name, hdr.Typeflag)
		}
		if err := setMeta(target, hdr, isRoot); err != nil {
			return 0, fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
	}
	// Directory mtimes last: creating the entries inside them has changed them. Deepest first is
	// not needed because setting a directory's times does not touch its parent.
	for _, d := range dirs {
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return 0, fmt.Errorf("set times of %s: %w", d.path, err)
		}
	}
	return size, nil
}

// applyWhiteout turns the whiteout entry rel into its overlayfs form in the layer directory root:
// ".wh.NAME" becomes a 0/0 character device named NAME, which hides NAME of the lower layers, and
// ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory, which hides the lower layers'
// contents of that directory.
func applyWhiteout(root, rel string) error {
	if err := checkParent(root, rel); err != nil {
		return err
	}
	dir := filepath.Join(root, filepath.FromSlash(path.Dir(rel)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := path.Base(rel)
	if base == opaqueWhiteout {
		if err := unix.Setxattr(dir, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
			return fmt.Errorf("mark directory opaque (needs root): setxattr trusted.overlay.opaque: %w", err)
		}
		return nil
	}
	if strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix) {
		return nil // aufs bookkeeping (.wh..wh.plnk and the like), meaningless to overlayfs
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid whiteout %q", base)
	}
	target := filepath.Join(dir, name)
	if _, err := os.Lstat(target); err == nil {
		// The same layer has NAME: a whiteout only hides what the layers below have.
		return nil
	}
	if err := unix.Mknod(target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("make whiteout for %s: %w", name, err)
	}
	return nil
}

// entryPath cleans a tar entry name into a slash-separated path relative to the root. A leading
// "/" is dropped (the archive's root is the image's root), but ".." that would climb above the
// root is refused rather than clamped, because such an archive is hostile or broken.
func entryPath(name string) (string, error) {
	rel := path.Clean(strings.TrimLeft(name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("extract %s: path escapes the root filesystem", name)
	}
	return rel, nil
}

// checkParent refuses rel when an existing component of its parent directory is a symlink or not
// a directory. SecureJoin resolves symlinks confined to root, so if its result differs from the
// lexical join, some component of the path was a symlink.
func checkParent(root, rel string) error {
	parent := path.Dir(rel)
	if parent == "." {
		return nil
	}
	resolved, err := securejoin.SecureJoin(root, parent)
	if err != nil {
		return fmt.Errorf("resolve parent %s: %w", parent, err)
	}
	if resolved != filepath.Join(root, filepath.FromSlash(parent)) {
		return fmt.Errorf("parent %s goes through a symlink; refusing to follow it", parent)
	}
	return nil
}

// linkTarget returns the path of a hard link's target inside root, refusing targets outside root,
// behind a symlinked parent, missing ones and directories.
func linkTarget(root, linkname string) (string, error) {
	rel, err := entryPath(linkname)
	if err != nil {
		return "", errors.New("target escapes the root filesystem")
	}
	if rel == "." {
		return "", errors.New("target is the root directory")
	}
	if err := checkParent(root, rel); err != nil {
		return "", err
	}
	src := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Lstat(src)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", errors.New("target is a directory")
	}
	return src, nil
}

// writeFile creates target, which must not exist, without following a symlink at its name.
func writeFile(target string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// setMeta applies owner, mode and times. Ownership comes before the mode because chown clears
// the setuid and setgid bits; symlinks have no mode of their own and their times are set without
// following them.
func setMeta(target string, hdr *tar.Header, isRoot bool) error {
	if isRoot {
		if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("set times: %w", err)
		}
		return nil
	}
	if err := unix.Chmod(target, uint32(hdr.Mode&0o7777)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if hdr.Typeflag != tar.TypeDir {
		if err := os.Chtimes(target, hdr.ModTime, hdr.ModTime); err != nil {
			return fmt.Errorf("set times: %w", err)
		}
	}
	return nil
}
