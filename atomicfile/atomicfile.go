// Package atomicfile writes files so that a reader, or a crash, sees either the old content or the
// new, never half of it: the data goes to a temporary file beside the target, is synced, and is
// renamed over it. minilink keeps all its state (container records, image configs, tags, network
// settings) this way.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// TempPrefix starts the names of the temporary files, so that an owner can sweep the ones a crash
// left behind.
const TempPrefix = ".tmp-"

// Write replaces path with data, mode perm.
func Write(path string, data []byte, perm os.FileMode) error { return write(path, data, perm, true) }

// WriteUnsynced is Write without the sync: a reader still sees the old content or the new, but a
// power cut may lose the new (or leave the file empty). For hints that are checked against the
// state they point to, such as minilink's name index, where a sync is half a millisecond lost.
func WriteUnsynced(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// CreateTemp makes the file 0600.
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
