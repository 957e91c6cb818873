package runtime

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/atomicfile"
	"github.com/minilink/minilink/bridge"
	"github.com/minilink/minilink/explain"
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
		r.storeRulesetLocked()
		r.ruleset = nil
		f.Close()
	}, nil
}

// rulesetLocked returns the iptables snapshot of this locked operation: the one stored by an
// earlier command when the tables have not changed since (storedRulesetLocked), or else one read
// now. Every iptables run reads the whole ruleset, so at hundreds of links an iptables-save costs
// some 17 ms, and even at none a fork and 5 ms of CPU that the starting container's init needs.
//
// Preconditions: the lock is held.
func (r *Runtime) rulesetLocked() (*bridge.Ruleset, error) {
	if r.ruleset == nil {
		r.ruleset = r.storedRulesetLocked()
	}
	if r.ruleset == nil {
		rs, err := bridge.ReadRuleset()
		if err != nil {
			return nil, err
		}
		r.ruleset = rs
	}
	return r.ruleset, nil
}

// rulesetFile keeps the last marked snapshot between commands.
func (r *Runtime) rulesetFile() string { return filepath.Join(r.Root, "iptables.snapshot") }

// storedRulesetLocked is the stored snapshot if the kernel's mark of the tables is still the one
// it was taken at: then no rule of any table has changed since, whoever would have changed it.
// nil when there is none, or it no longer holds.
//
// Preconditions: the lock is held.
func (r *Runtime) storedRulesetLocked() *bridge.Ruleset {
	data, err := os.ReadFile(r.rulesetFile())
	if err != nil {
		return nil
	}
	rs, ok := bridge.UnmarshalSnapshot(data)
	if !ok {
		return nil
	}
	stored, _ := rs.Mark()
	if now, ok := bridge.CurrentMark(); !ok || now != stored {
		return nil
	}
	r.storedMark = stored
	explain.Note("the tables are as minilink last read them (nf_tables generation %d): %s stands in for iptables-save", stored.Generation, r.rulesetFile())
	return rs
}

// storeRulesetLocked writes this operation's snapshot for the next command when it is marked and
// newer than the stored one. The file is a cache, checked against the kernel before every use, so
// it is written without fsync, and a failed write only costs the next command a reading.
//
// Preconditions: the lock is held.
func (r *Runtime) storeRulesetLocked() {
	if r.ruleset == nil {
		return
	}
	m, ok := r.ruleset.Mark()
	if !ok || m == r.storedMark {
		return
	}
	data, err := r.ruleset.MarshalText()
	if err != nil {
		return
	}
	if atomicfile.WriteUnsynced(r.rulesetFile(), data, 0o600) == nil {
		r.storedMark = m
	}
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
