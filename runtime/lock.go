package runtime

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/bridge"
)

// lock takes the root's lock file. Every state change holds it, so that two minilink processes
// never choose the same name or address, and never edit one file at the same time. It is an flock,
// so the kernel releases it when a holder dies.
func (r *Runtime) lock() (unlock func(), err error) {
	path := filepath.Join(r.Root, "minilink.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		// "open lock PATH: read-only file system"
		return nil, fmt.Errorf("open lock %s: %w", path, pathCause(err))
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	r.ruleset = nil
	return func() {
		r.ruleset = nil
		f.Close()
	}, nil
}

// rulesetLocked returns the iptables snapshot of this locked operation, reading it the first time.
//
// Preconditions: the lock is held.
func (r *Runtime) rulesetLocked() (*bridge.Ruleset, error) {
	if r.ruleset == nil {
		rs, err := bridge.ReadRuleset()
		if err != nil {
			return nil, err
		}
		r.ruleset = rs
	}
	return r.ruleset, nil
}

// WithLock runs fn holding the root's lock, for changes made outside this package (the image
// store's imports, pulls, loads, tags and removals).
func (r *Runtime) WithLock(fn func() error) error {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}
