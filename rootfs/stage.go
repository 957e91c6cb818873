package rootfs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// stager holds what a pull or load has verified so far, in a private temp directory below
// layers/, until commit moves it into the store; close removes whatever is left. So a failure or
// a cancellation at any point before commit leaves the store as it was.
type stager struct {
	s       *Store
	tmp     string
	layers  map[string]*unpacked // newly unpacked layers by hex diffID
	order   []string             // their hex diffIDs, bottom first
	configs map[string][]byte    // image configs by hex image ID
}

func (s *Store) newStager(op string) (*stager, error) {
	s.cleanTemp()
	tmp, err := os.MkdirTemp(s.layersDir(), tmpPrefix+op+"-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &stager{s: s, tmp: tmp, layers: map[string]*unpacked{}, configs: map[string][]byte{}}, nil
}

func (st *stager) close() { _ = os.RemoveAll(st.tmp) }

// haveLayer tells whether the layer is stored or staged already.
func (st *stager) haveLayer(diffID v1.Hash) bool {
	if _, ok := st.layers[diffID.Hex]; ok {
		return true
	}
	_, err := os.Lstat(st.s.layerDir(diffID.Hex))
	return err == nil
}

// haveImage tells whether the image is stored complete: its config and every layer.
func (st *stager) haveImage(hexID string, cf *v1.ConfigFile) bool {
	if _, err := os.Stat(filepath.Join(st.s.configDir(), hexID+".json")); err != nil {
		return false
	}
	for _, d := range cf.RootFS.DiffIDs {
		if _, err := os.Lstat(st.s.layerDir(d.Hex)); err != nil {
			return false
		}
	}
	return true
}

// parseConfig checks an image config before anything is fetched for it: its layer list must
// match the manifest's (unless nlayers is negative), and every diffID be a sha256, since they
// name directories.
func parseConfig(raw []byte, nlayers int) (*v1.ConfigFile, string, error) {
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, "", fmt.Errorf("parse image config: %w", err)
	}
	if nlayers >= 0 && len(cf.RootFS.DiffIDs) != nlayers {
		return nil, "", fmt.Errorf("image config lists %d layers, the manifest %d", len(cf.RootFS.DiffIDs), nlayers)
	}
	if len(cf.RootFS.DiffIDs) == 0 {
		return nil, "", errors.New("image has no layers")
	}
	for _, d := range cf.RootFS.DiffIDs {
		if d.Algorithm != "sha256" || !hexDigest().MatchString(d.Hex) {
			return nil, "", fmt.Errorf("image config: unsupported layer diffID %q", d)
		}
	}
	sum := sha256.Sum256(raw)
	return cf, hex.EncodeToString(sum[:]), nil
}

// addConfig stages an image config.
func (st *stager) addConfig(hexID string, raw []byte) { st.configs[hexID] = raw }

// unpack decompresses blob (gzip, zstd or a plain tar, told by its first bytes as Docker does,
// since media types are not always truthful), unpacks it as an image layer, and checks the blob
// against digest and size (when known: a zero digest, a negative size) and the tar against
// diffID. what names the layer in errors.
func (st *stager) unpack(ctx context.Context, blob io.Reader, what string, digest v1.Hash, size int64, diffID v1.Hash) error {
	h := sha256.New()
	counted := &countWriter{}
	src := io.TeeReader(blob, io.MultiWriter(h, counted))
	tarStream, closeFn, err := decompressLayer(src)
	if err != nil {
		return fmt.Errorf("layer %s: %w", what, err)
	}
	u, err := unpackLayer(ctx, tarStream, st.tmp, true)
	closeFn()
	if err != nil {
		return fmt.Errorf("layer %s: %w", what, err)
	}
	// The compressed digest covers the whole blob, past whatever the decompressor needed.
	if _, err := io.Copy(io.Discard, ctxReader{ctx, src}); err != nil {
		u.remove()
		return fmt.Errorf("layer %s: %w", what, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); digest.Hex != "" && got != digest.Hex {
		u.remove()
		return fmt.Errorf("layer %s: digest mismatch: content is sha256:%s, want %s", what, got, digest)
	}
	if size >= 0 && counted.n != size {
		u.remove()
		return fmt.Errorf("layer %s: size mismatch: %d bytes, want %d", what, counted.n, size)
	}
	if u.diffID != diffID {
		u.remove()
		return fmt.Errorf("layer %s: uncompressed digest mismatch: content is %s, the image config says %s", what, u.diffID, diffID)
	}
	if _, ok := st.layers[diffID.Hex]; ok {
		u.remove()
		return nil
	}
	st.layers[diffID.Hex] = u
	st.order = append(st.order, diffID.Hex)
	return nil
}

// commit moves the staged layers and configs into the store. If one fails, what it had already
// moved is taken out again.
func (st *stager) commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var stored []string
	var written []string
	undo := func() {
		for _, p := range written {
			_ = os.Remove(p)
		}
		for _, hexID := range stored {
			_ = st.s.removeLayer(hexID)
		}
	}
	for _, hexID := range st.order {
		ok, err := st.s.storeLayer(st.layers[hexID])
		if err != nil {
			undo()
			return err
		}
		if ok {
			stored = append(stored, hexID)
		}
	}
	for hexID, raw := range st.configs {
		p := filepath.Join(st.s.configDir(), hexID+".json")
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := writeFileAtomic(p, raw); err != nil {
			undo()
			return fmt.Errorf("write image config: %w", err)
		}
		written = append(written, p)
	}
	return nil
}

// decompressLayer sniffs a layer blob's compression.
func decompressLayer(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// countWriter counts what goes through it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// defaultPlatform is what this machine runs.
func defaultPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// parsePlatform reads "os/arch[/variant]"; "" is this machine's platform.
func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		return defaultPlatform(), nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/amd64", s)
	}
	return *p, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// variantOf fills in the variant a platform has when it names none (arm64 is v8).
func variantOf(p v1.Platform) string {
	if p.Variant == "" && p.Architecture == "arm64" {
		return "v8"
	}
	return p.Variant
}

// matchPlatform picks want's entry of an index: same OS and architecture, and the same variant
// when want names one. With none, the error lists what the index has, so the user sees which
// --platform would work.
func matchPlatform(entries []v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	var avail []string
	for _, d := range entries {
		p := d.Platform
		if p == nil || !(d.MediaType.IsImage() || d.MediaType.IsIndex()) {
			continue
		}
		if p.OS == want.OS && p.Architecture == want.Architecture && (want.Variant == "" || variantOf(*p) == variantOf(want)) {
			return d, nil
		}
		// Attestations and other non-images carry unknown/unknown; they are no choice.
		if p.OS != "unknown" {
			avail = append(avail, platformString(*p))
		}
	}
	msg := fmt.Sprintf("no matching manifest for %s in the manifest list entries", platformString(want))
	if len(avail) > 0 {
		msg += " (available: " + strings.Join(avail, ", ") + ")"
	}
	return v1.Descriptor{}, errors.New(msg)
}

// checkPlatform refuses a single-platform image built for another platform, which could not run.
// A config without OS or architecture (hand-made images) is taken as it is.
func checkPlatform(cf *v1.ConfigFile, want v1.Platform) error {
	if cf.OS == "" || cf.Architecture == "" {
		return nil
	}
	if cf.OS != want.OS || cf.Architecture != want.Architecture ||
		(want.Variant != "" && cf.Variant != "" && variantOf(v1.Platform{Architecture: cf.Architecture, Variant: cf.Variant}) != variantOf(want)) {
		got := platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
		return fmt.Errorf("image is for %s, which does not match the requested platform %s", got, platformString(want))
	}
	return nil
}
