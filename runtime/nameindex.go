package runtime

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/minilink/minilink/atomicfile"
)

// The name index: the file names/NAME in the state root holds the ID of the container called
// NAME, so that a command naming one container (inspect web, stop web, rm -f web) reads one record
// instead of every record, which matters with hundreds of containers. It is a hint only: a missing
// or stale entry (minilink killed between the record and the index) sends the lookup to the full
// scan, which is always right, and `minilink gc` writes the index anew.

func (r *Runtime) nameIndexDir() string { return filepath.Join(r.Root, "names") }

// indexName records that the container id is called name.
//
// Preconditions: the lock is held.
func (r *Runtime) indexName(name, id string) {
	if ValidateName(name) != nil {
		return
	}
	if err := os.MkdirAll(r.nameIndexDir(), 0o700); err == nil {
		_ = atomicfile.WriteUnsynced(filepath.Join(r.nameIndexDir(), name), []byte(id+"\n"), 0o600)
	}
}

// unindexName drops name's entry if it still names id.
//
// Preconditions: the lock is held.
func (r *Runtime) unindexName(name, id string) {
	if r.lookupName(name) == id {
		_ = os.Remove(filepath.Join(r.nameIndexDir(), name))
	}
}

// lookupName returns the ID the index holds for name, or "".
func (r *Runtime) lookupName(name string) string {
	if ValidateName(name) != nil {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(r.nameIndexDir(), name))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(data))
	if !isFullID(id) {
		return ""
	}
	return id
}

// reindexNamesLocked writes the index anew from every record.
//
// Preconditions: the lock is held.
func (r *Runtime) reindexNamesLocked(all []*Container) error {
	if err := os.RemoveAll(r.nameIndexDir()); err != nil {
		return err
	}
	for _, c := range all {
		r.indexName(c.Name, c.ID)
	}
	return nil
}
