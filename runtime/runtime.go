package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/rootfs"
)

// DefaultRoot is where minilink keeps its state unless --root or MINILINK_ROOT says otherwise.
const DefaultRoot = "/var/lib/minilink"

// Runtime is one minilink state root.
type Runtime struct {
	// Root is absolute and free of symlinks: libcontainer refuses a root filesystem path with a
	// symlink in it, and container roots live below Root.
	Root   string
	Images *rootfs.Store
	// Self is the minilink binary, re-executed as the monitor of a detached container.
	Self string
	// SkipCorrupt, when set, makes a listing pass each container record that cannot be used to
	// it and go on without that container, instead of failing. Commands that only look, stop or
	// remove (ps, inspect, logs, port, stop, kill, rm) set it, so that a damaged record does not
	// hide or pin the others. Commands that start, create, rename or change the rules leave it
	// nil and fail: the unreadable record may hold a name, an address or rules in use.
	SkipCorrupt func(*CorruptRecordError)

	// ruleset is the iptables snapshot of the operation holding the lock (nil until read); it
	// is dropped with the lock, since another minilink may change the rules in between. A marked
	// snapshot is kept on disk instead (see rulesetLocked); storedMark is the mark of that copy.
	ruleset    *bridge.Ruleset
	storedMark bridge.Mark
}

// Open prepares the state root (creating it if needed) and returns its runtime.
func Open(root string) (*Runtime, error) {
	if root == "" {
		root = DefaultRoot
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("state root %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o711); err != nil {
		return nil, fmt.Errorf("create state root: %w", err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("state root %s: %w", root, err)
	}
	for _, dir := range []string{"containers", "libcontainer"} {
		if err := os.MkdirAll(filepath.Join(abs, dir), 0o711); err != nil {
			return nil, fmt.Errorf("create state root: %w", err)
		}
	}
	images, err := rootfs.Open(abs)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the minilink binary: %w", err)
	}
	return &Runtime{Root: abs, Images: images, Self: self}, nil
}

func (r *Runtime) libcontainerRoot() string { return filepath.Join(r.Root, "libcontainer") }

// Get resolves a container by full ID, name or unique ID prefix.
func (r *Runtime) Get(arg string) (*Container, error) {
	if isFullID(arg) {
		if c, err := r.getByID(arg); !errors.Is(err, ErrNoSuchContainer) {
			return c, err
		}
	}
	if id := r.lookupName(trimSlash(arg)); id != "" {
		if c, err := r.getByID(id); err == nil && c.Name == trimSlash(arg) {
			return c, nil
		}
	}
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	return resolve(all, arg)
}

// List returns every container, newest first, after reconciling records with the kernel.
func (r *Runtime) List() ([]*Container, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return r.currentLocked()
}

// ImageInUse reports the first container created from the image with the given ID.
func (r *Runtime) ImageInUse(imageID string) (*Container, error) {
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.ImageID == imageID {
			return c, nil
		}
	}
	return nil, nil
}

// Rename gives a container a new name.
func (r *Runtime) Rename(arg, newName string) error {
	newName = trimSlash(newName)
	if err := ValidateName(newName); err != nil {
		return err
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := r.list()
	if err != nil {
		return err
	}
	c, err := resolve(all, arg)
	if err != nil {
		return err
	}
	if c.Name == newName {
		return userError(ErrInvalidArgument, "Renaming a container with the same name as its current name")
	}
	if other := byName(all, newName); other != nil {
		return nameConflict(newName, other.ID)
	}
	old := c.Name
	c.Name = newName
	if err := r.save(c); err != nil {
		return err
	}
	r.unindexName(old, c.ID)
	r.indexName(newName, c.ID)
	// Links store the child's name: they follow the rename. (The parents' hosts lines keep the
	// old name until they restart, as in Docker.)
	for _, p := range all {
		changed := false
		for i, l := range p.HostConfig.Links {
			if l.Child == old {
				p.HostConfig.Links[i].Child = newName
				changed = true
			}
		}
		if changed {
			if err := r.save(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func byName(all []*Container, name string) *Container {
	for _, c := range all {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func nameConflict(name, id string) error {
	return userError(ErrNameInUse, "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name", name, id)
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
