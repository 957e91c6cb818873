package rootfs

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Import is `docker import`: r is a tar (optionally gzip or bzip2 compressed; xz and zstd are
// refused) of a root filesystem, ref is NAME[:TAG] (tag defaults to "latest"; "" means untagged),
// changes are Dockerfile-like instructions (ENV, EXPOSE, CMD, ENTRYPOINT, WORKDIR, USER, LABEL,
// VOLUME, STOPSIGNAL). The tag moves to the new image.
//
// The layer is unpacked into a temporary directory and renamed into place, then the config and
// finally the tag are written with atomic renames, so an interrupted import leaves no image.
func (s *Store) Import(r io.Reader, ref string, changes []string) (*Image, error) {
	// Validate everything cheap before unpacking a possibly large archive.
	tag := ""
	if ref != "" {
		var err error
		if tag, err = normalizeRef(ref); err != nil {
			return nil, err
		}
	}
	cfg, err := ParseChanges(v1.Config{}, changes)
	if err != nil {
		return nil, err
	}
	s.cleanTemp()

	diffID, err := s.importLayer(r)
	if err != nil {
		return nil, err
	}

	now := time.Now().UTC()
	cf := v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: now},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}},
		Config:       cfg,
		History:      []v1.History{{Created: v1.Time{Time: now}, Comment: "Imported from -"}},
	}
	data, err := json.Marshal(cf)
	if err != nil {
		return nil, fmt.Errorf("encode image config: %w", err)
	}
	sum := sha256.Sum256(data)
	hexID := hex.EncodeToString(sum[:])
	id := "sha256:" + hexID
	if err := writeFileAtomic(filepath.Join(s.configDir(), hexID+".json"), data); err != nil {
		return nil, fmt.Errorf("write image config: %w", err)
	}

	repos, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	if tag != "" {
		repos[tag] = id
		if err := s.saveRepos(repos); err != nil {
			return nil, err
		}
	}
	return s.image(hexID, repos)
}

// importLayer unpacks r into layers/<diffID> and returns the diffID, the sha256 of the
// uncompressed tar stream. A layer that is already stored is kept and the new copy dropped.
func (s *Store) importLayer(r io.Reader) (v1.Hash, error) {
	tarStream, closeFn, err := decompress(r, "import")
	if err != nil {
		return v1.Hash{}, err
	}
	defer closeFn()
	u, err := unpackLayer(context.Background(), tarStream, s.layersDir(), false)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("import: %w", err)
	}
	if _, err := s.storeLayer(u); err != nil {
		return v1.Hash{}, fmt.Errorf("import: %w", err)
	}
	return u.diffID, nil
}

// decompress sniffs the compression of r by its magic number, as docker import does; op names
// the command in errors.
func decompress(r io.Reader, op string) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%s: read archive: %w", op, err)
	}
	if len(magic) == 0 {
		return nil, nil, fmt.Errorf("%s: empty archive", op)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", op, err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return nil, nil, fmt.Errorf("%s: xz-compressed archives are not supported; decompress it first (xz -d)", op)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, nil, fmt.Errorf("%s: zstd-compressed archives are not supported; decompress it first (zstd -d)", op)
	}
	return br, func() {}, nil
}
