package rootfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// unpacked is a layer unpacked into temporary places, not yet in the store.
type unpacked struct {
	dir    string // the layer's filesystem
	split  string // its tar-split record
	diffID v1.Hash
	size   int64 // bytes of regular files
}

// unpackLayer unpacks the uncompressed layer tar r into a new directory below work (with its
// tar-split record beside it) and computes its diffID, the sha256 of the whole stream. layer is
// extractTar's: true for a layer of a pulled or loaded image.
func unpackLayer(ctx context.Context, r io.Reader, work string, layer bool) (*unpacked, error) {
	dir, err := os.MkdirTemp(work, tmpPrefix+"layer-")
	if err != nil {
		return nil, err
	}
	u := &unpacked{dir: dir, split: dir + ".tar-split"}
	done := false
	defer func() {
		if !done {
			u.remove()
		}
	}()
	// MkdirTemp makes a 0700 directory; the layer root is the container's "/".
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	h := sha256.New()
	rec, err := newTarRecorder(io.TeeReader(ctxReader{ctx, r}, h), dir, u.split)
	if err != nil {
		return nil, err
	}
	size, err := extractTar(rec, dir, layer)
	if err != nil {
		rec.abort()
		return nil, err
	}
	// The tar reader stops at the end-of-archive marker; the diffID covers the whole stream,
	// padding included, as Docker computes it, and finish reads the rest.
	if err := rec.finish(); err != nil {
		return nil, err
	}
	u.diffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	u.size = size
	done = true
	return u, nil
}

// remove deletes the temporary layer.
func (u *unpacked) remove() {
	_ = os.RemoveAll(u.dir)
	_ = os.Remove(u.split)
}

// storeLayer moves u into the store as layers/<diffID>, or drops it when that layer is stored
// already; it reports whether it stored it.
func (s *Store) storeLayer(u *unpacked) (bool, error) {
	hexID := u.diffID.Hex
	final := s.layerDir(hexID)
	if _, err := os.Lstat(final); err == nil {
		u.remove()
		return false, nil
	}
	// The records go first: a layer directory without them is still usable (its size is
	// recomputed; only Save needs the tar-split), the reverse would be stray files.
	err := writeFileAtomic(s.layerSizeFile(hexID), []byte(strconv.FormatInt(u.size, 10)+"\n"))
	if err == nil {
		err = os.Rename(u.split, s.layerSplitFile(hexID))
	}
	if err == nil {
		err = os.Rename(u.dir, final)
	}
	if err != nil {
		_ = os.Remove(s.layerSizeFile(hexID))
		_ = os.Remove(s.layerSplitFile(hexID))
		u.remove()
		return false, fmt.Errorf("store layer %s: %w", u.diffID, err)
	}
	return true, nil
}

// removeLayer deletes a layer directory and its records. The directory is first renamed to a
// temp name so that a crash halfway through never leaves a partial layer under its real name.
func (s *Store) removeLayer(hexID string) error {
	dir := s.layerDir(hexID)
	doomed := s.layerDir(tmpPrefix + "rm-" + hexID)
	if err := os.Rename(dir, doomed); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove layer %s: %w", hexID, err)
	}
	if err := os.RemoveAll(doomed); err != nil {
		return fmt.Errorf("remove layer %s: %w", hexID, err)
	}
	for _, f := range []string{s.layerSizeFile(hexID), s.layerSplitFile(hexID)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove layer %s: %w", hexID, err)
		}
	}
	return nil
}

// ctxReader fails reads once ctx is done, so that a cancelled pull or load stops in the middle
// of a layer rather than at its end.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
