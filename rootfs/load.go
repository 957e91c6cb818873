package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Load reads a `docker save` archive (manifest.json + layers) or an OCI image layout in a tar
// (oci-layout, index.json, blobs/) from r, possibly gzip-compressed, and stores every image in
// it; it returns Docker's lines: "Loaded image: NAME:TAG" per tag, or "Loaded image ID: sha256:…"
// for untagged ones. An OCI index for several platforms contributes this machine's image.
//
// Layers and configs are checked against every digest the archive states, and against the
// diffIDs of the configs, with the same hostility checks as Pull. Nothing reaches the store until
// every image of the archive is verified and unpacked, so a bad archive leaves nothing behind.
func (s *Store) Load(ctx context.Context, r io.Reader) ([]string, error) {
	st, err := s.newStager("load")
	if err != nil {
		return nil, err
	}
	defer st.close()
	stream, closeFn, err := decompress(r, "load")
	if err != nil {
		return nil, err
	}
	defer closeFn()
	// A tar can only be read front to back, and the manifest may come last: the archive's files
	// are spooled to one temp file first and read from there.
	a, err := spoolArchive(ctx, stream, filepath.Join(st.tmp, "archive"))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer a.close()

	var loaded []loadedImage
	switch {
	case a.has("manifest.json"):
		loaded, err = st.loadDockerSave(ctx, a)
	case a.has("index.json"):
		loaded, err = st.loadOCILayout(ctx, a)
	default:
		err = errors.New("neither manifest.json nor index.json in the archive: not a docker save archive or an OCI image layout")
	}
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := st.commit(ctx); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}

	repos, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	var lines []string
	seen := map[string]bool{}
	add := func(line string) {
		if !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	for _, img := range loaded {
		if len(img.tags) == 0 {
			add("Loaded image ID: sha256:" + img.hexID)
		}
		for _, tag := range img.tags {
			repos[tag] = "sha256:" + img.hexID
			add("Loaded image: " + tag)
		}
	}
	if err := s.saveRepos(repos); err != nil {
		return nil, err
	}
	return lines, nil
}

// loadedImage is an image of the archive and the tags it comes with.
type loadedImage struct {
	hexID string
	tags  []string
}

// Bounds on the JSON documents of an archive, far above real ones, so a hostile archive cannot
// make Load hold gigabytes in memory.
const (
	maxManifestSize = 16 << 20
	maxConfigSize   = 64 << 20
)

// loadDockerSave stages the images of a docker save archive.
func (st *stager) loadDockerSave(ctx context.Context, a *archive) ([]loadedImage, error) {
	raw, err := a.read("manifest.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse manifest.json: %w", err)
	}
	if len(m) == 0 {
		return nil, errors.New("manifest.json lists no image")
	}
	var loaded []loadedImage
	for _, d := range m {
		cfgRaw, err := a.read(d.Config, maxConfigSize)
		if err != nil {
			return nil, err
		}
		cf, hexID, err := parseConfig(cfgRaw, len(d.Layers))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Config, err)
		}
		// Config names carry the config's digest in every format Docker and crane write.
		if want := digestInName(d.Config); want != "" && want != hexID {
			return nil, fmt.Errorf("config %s: digest mismatch: content is sha256:%s", d.Config, hexID)
		}
		img := loadedImage{hexID: hexID}
		for _, t := range d.RepoTags {
			tag, err := normalizeRef(t)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", hexID[:12], err)
			}
			img.tags = append(img.tags, tag)
		}
		if _, staged := st.configs[hexID]; !staged && !st.haveImage(hexID, cf) {
			for i, p := range d.Layers {
				diffID := cf.RootFS.DiffIDs[i]
				if st.haveLayer(diffID) {
					continue
				}
				rd, size, err := a.open(p)
				if err != nil {
					return nil, err
				}
				// New archives name layers by their digest; the legacy <id>/layer.tar does not,
				// and there the diffID check is all there is.
				var digest v1.Hash
				if hx := digestInName(p); hx != "" {
					digest = v1.Hash{Algorithm: "sha256", Hex: hx}
				}
				if err := st.unpack(ctx, rd, p, digest, size, diffID); err != nil {
					return nil, err
				}
			}
			st.addConfig(hexID, cfgRaw)
		}
		loaded = append(loaded, img)
	}
	return loaded, nil
}

// digestInName finds the sha256 an archive member's name states: blobs/sha256/<hex>,
// <hex>.json, sha256:<hex>, <hex>.tar[.gz|.zst]. It is "" for names that state none.
func digestInName(p string) string {
	base := path.Base(p)
	if path.Dir(p) == "blobs/sha256" {
		return base
	}
	base = strings.TrimPrefix(base, "sha256:")
	for _, ext := range []string{".json", ".tar.gz", ".tar.zst", ".tar"} {
		if b, ok := strings.CutSuffix(base, ext); ok {
			base = b
			break
		}
	}
	if hexDigest().MatchString(base) {
		return base
	}
	return ""
}

// loadOCILayout stages the images that an OCI layout's index.json lists.
func (st *stager) loadOCILayout(ctx context.Context, a *archive) ([]loadedImage, error) {
	if !a.has("oci-layout") {
		return nil, errors.New("index.json without oci-layout: not an OCI image layout")
	}
	raw, err := a.read("index.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse index.json: %w", err)
	}
	var loaded []loadedImage
	for _, d := range idx.Manifests {
		hexID, ok, err := st.loadOCIManifest(ctx, a, d, 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		img := loadedImage{hexID: hexID}
		if tag := ociTag(d.Annotations); tag != "" {
			t, err := normalizeRef(tag)
			if err != nil {
				return nil, fmt.Errorf("index.json: %w", err)
			}
			img.tags = []string{t}
		}
		loaded = append(loaded, img)
	}
	if len(loaded) == 0 {
		return nil, errors.New("index.json lists no image")
	}
	return loaded, nil
}

// ociTag is the image name an index.json entry carries: containerd's full name (what docker
// save writes), else the OCI ref.name when it is a full name rather than just a tag.
func ociTag(ann map[string]string) string {
	n := ann["io.containerd.image.name"]
	if n == "" {
		if rn := ann["org.opencontainers.image.ref.name"]; strings.ContainsAny(rn, ":/") {
			n = rn
		}
	}
	if strings.Contains(n, "@") {
		return "" // a digest reference names no tag
	}
	return n
}

// loadOCIManifest stages the image d describes, this machine's entry when d is an index. It
// reports false for descriptors that are no image (attestations, artifacts).
func (st *stager) loadOCIManifest(ctx context.Context, a *archive, d v1.Descriptor, depth int) (string, bool, error) {
	switch {
	case d.MediaType.IsIndex():
		if depth > 2 {
			return "", false, errors.New("index.json: indexes nested too deep")
		}
		raw, err := a.blob(d, maxManifestSize)
		if err != nil {
			return "", false, err
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return "", false, fmt.Errorf("index %s: %w", d.Digest, err)
		}
		child, err := matchPlatform(idx.Manifests, defaultPlatform())
		if err != nil {
			return "", false, err
		}
		return st.loadOCIManifest(ctx, a, child, depth+1)
	case d.MediaType.IsImage():
	default:
		return "", false, nil
	}
	raw, err := a.blob(d, maxManifestSize)
	if err != nil {
		return "", false, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return "", false, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	cfgRaw, err := a.blob(m.Config, maxConfigSize)
	if err != nil {
		return "", false, err
	}
	cf, hexID, err := parseConfig(cfgRaw, len(m.Layers))
	if err != nil {
		return "", false, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if _, staged := st.configs[hexID]; staged || st.haveImage(hexID, cf) {
		return hexID, true, nil
	}
	for i, l := range m.Layers {
		diffID := cf.RootFS.DiffIDs[i]
		if st.haveLayer(diffID) {
			continue
		}
		p, err := blobPath(l.Digest)
		if err != nil {
			return "", false, err
		}
		rd, _, err := a.open(p)
		if err != nil {
			return "", false, err
		}
		if err := st.unpack(ctx, rd, l.Digest.String(), l.Digest, l.Size, diffID); err != nil {
			return "", false, err
		}
	}
	st.addConfig(hexID, cfgRaw)
	return hexID, true, nil
}

func blobPath(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" || !hexDigest().MatchString(h.Hex) {
		return "", fmt.Errorf("unsupported digest %q", h)
	}
	return "blobs/sha256/" + h.Hex, nil
}

// archive is the spooled content of a tar: its regular files, one after another in a temp file,
// and its links, by cleaned member name.
type archive struct {
	f     *os.File
	files map[string]span
	links map[string]string // symlink or hard link -> the member it names
}

type span struct{ off, size int64 }

// spoolArchive copies the tar stream r into a temp file at p. Member names are only ever keys
// here, never paths on disk, but an archive whose names or links climb out of it is hostile
// or broken, and refused.
func spoolArchive(ctx context.Context, r io.Reader, p string) (*archive, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	a := &archive{f: f, files: map[string]span{}, links: map[string]string{}}
	end := &endMarker{r: ctxReader{ctx, r}}
	tr := tar.NewReader(end)
	var off int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if !end.seen() {
				a.close()
				return nil, errors.New("archive is truncated: it ends without the end-of-archive marker")
			}
			break
		}
		if err != nil {
			a.close()
			return nil, archiveReadError(err)
		}
		n, err := archiveName(hdr.Name)
		if err != nil {
			a.close()
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			w, err := io.Copy(f, tr)
			if err != nil {
				a.close()
				return nil, archiveReadError(err)
			}
			a.files[n] = span{off, w}
			delete(a.links, n)
			off += w
		case tar.TypeSymlink, tar.TypeLink:
			target := hdr.Linkname
			if hdr.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(n), target)
			}
			t, err := archiveName(target)
			if err != nil {
				a.close()
				return nil, fmt.Errorf("archive member %s links outside the archive", hdr.Name)
			}
			a.links[n] = t
			delete(a.files, n)
		case tar.TypeDir, tar.TypeXGlobalHeader:
		default:
			a.close()
			return nil, fmt.Errorf("archive member %s: unexpected entry type %q", hdr.Name, hdr.Typeflag)
		}
	}
	if len(a.files) == 0 {
		a.close()
		return nil, errors.New("empty archive")
	}
	return a, nil
}

// endMarker watches the stream under a tar reader, which reports a stream that stops between two
// members as a clean end: a cut that falls on a member boundary would go unnoticed. A real
// archive ends with two zero blocks; so either the tar reader stopped at them before the stream's
// end, or the stream's last 1024 bytes are zeros.
type endMarker struct {
	r    io.Reader
	tail []byte
	eof  bool
}

func (e *endMarker) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.tail = append(e.tail, p[:n]...)
	if len(e.tail) > 1024 {
		e.tail = e.tail[len(e.tail)-1024:]
	}
	if errors.Is(err, io.EOF) {
		e.eof = true
	}
	return n, err
}

func (e *endMarker) seen() bool {
	if !e.eof {
		return true // the tar reader found the marker and stopped reading
	}
	return len(e.tail) == 1024 && bytes.Count(e.tail, []byte{0}) == 1024
}

func archiveReadError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("archive is truncated: %w", err)
	}
	return fmt.Errorf("read archive: %w", err)
}

// archiveName cleans a member name; absolute names and names above the archive's root are refused.
func archiveName(name string) (string, error) {
	n := path.Clean(name)
	if strings.HasPrefix(name, "/") || n == ".." || strings.HasPrefix(n, "../") {
		return "", fmt.Errorf("archive member %s: path outside the archive", name)
	}
	return n, nil
}

func (a *archive) close() { _ = a.f.Close() }

// lookup finds a member's contents, following links (a bounded number, against loops).
func (a *archive) lookup(name string) (span, error) {
	n := path.Clean(name)
	for range 16 {
		if sp, ok := a.files[n]; ok {
			return sp, nil
		}
		t, ok := a.links[n]
		if !ok {
			return span{}, fmt.Errorf("%s is not in the archive", name)
		}
		n = t
	}
	return span{}, fmt.Errorf("%s: too many links", name)
}

func (a *archive) has(name string) bool {
	_, err := a.lookup(name)
	return err == nil
}

// open returns a reader of a member and its size.
func (a *archive) open(name string) (io.Reader, int64, error) {
	sp, err := a.lookup(name)
	if err != nil {
		return nil, 0, err
	}
	return io.NewSectionReader(a.f, sp.off, sp.size), sp.size, nil
}

// read returns a member of at most limit bytes.
func (a *archive) read(name string, limit int64) ([]byte, error) {
	rd, size, err := a.open(name)
	if err != nil {
		return nil, err
	}
	if size > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", name, size, limit)
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// blob reads the blob d describes from an OCI layout and checks it against d's size and digest.
func (a *archive) blob(d v1.Descriptor, limit int64) ([]byte, error) {
	p, err := blobPath(d.Digest)
	if err != nil {
		return nil, err
	}
	data, err := a.read(p, limit)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != d.Digest.Hex {
		return nil, fmt.Errorf("blob %s: digest mismatch: content is sha256:%s", d.Digest, got)
	}
	if int64(len(data)) != d.Size {
		return nil, fmt.Errorf("blob %s: size mismatch: %d bytes, want %d", d.Digest, len(data), d.Size)
	}
	return data, nil
}
