package rootfs

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/minilink/minilink/atomicfile"
)

// ErrNoSuchImage is returned when a reference names no stored image.
var ErrNoSuchImage = errors.New("no such image")

// ErrAmbiguousImage is returned when an ID prefix matches more than one image.
var ErrAmbiguousImage = errors.New("ambiguous image ID prefix")

// noSuchImageError carries Docker's message, which has no room for the sentinel's own text.
type noSuchImageError struct{ ref string }

func (e noSuchImageError) Error() string { return "No such image: " + e.ref }
func (e noSuchImageError) Unwrap() error { return ErrNoSuchImage }

// Image is a stored image.
type Image struct {
	ID       string    // "sha256:<64 hex>", the digest of the config file
	RepoTags []string  // e.g. "busybox:latest", sorted
	Created  time.Time // from the config
	Size     int64     // bytes of the unpacked layers
	Config   v1.Config // Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts
	Layers   []string  // diffIDs, bottom layer first ("sha256:<hex>")
}

// Store is the image store below a minilink root. Callers serialise writes with the runtime's lock.
type Store struct{ root string }

// Temporary names start with a dot so that no listing ever mistakes them for a layer or a config;
// a writer that died (Ctrl-C, crash) leaves them behind and the next writer removes them.
const tmpPrefix = atomicfile.TempPrefix

// Open returns the store below root, creating its directories.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", root, err)
	}
	s := &Store{root: abs}
	for _, d := range []string{s.configDir(), s.layersDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open image store: %w", err)
		}
	}
	return s, nil
}

func (s *Store) configDir() string            { return filepath.Join(s.root, "images", "configs") }
func (s *Store) layersDir() string            { return filepath.Join(s.root, "layers") }
func (s *Store) reposFile() string            { return filepath.Join(s.root, "images", "repositories.json") }
func (s *Store) layerDir(hexID string) string { return filepath.Join(s.layersDir(), hexID) }

// layerSizeFile sits beside the layer directory, not inside it, because the layer directory is
// exactly the image's filesystem.
func (s *Store) layerSizeFile(hexID string) string {
	return filepath.Join(s.layersDir(), hexID+".size")
}

// layerSplitFile is the layer's tar-split record, from which Save rebuilds the layer's tar.
func (s *Store) layerSplitFile(hexID string) string {
	return filepath.Join(s.layersDir(), hexID+".tar-split")
}

var hexDigest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// trimDigest returns the hex part of "sha256:<hex>" or "<hex>".
func trimDigest(id string) string { return strings.TrimPrefix(id, "sha256:") }

// cleanTemp removes what an interrupted writer left. Only writers call it, and writers hold the
// runtime's lock, so no temp entry can belong to a live import.
func (s *Store) cleanTemp() {
	for _, d := range []string{s.layersDir(), s.configDir(), filepath.Join(s.root, "images")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				_ = os.RemoveAll(filepath.Join(d, e.Name()))
			}
		}
	}
}

// writeFileAtomic writes a store file whole or not at all; its temporary name starts with
// tmpPrefix, which cleanTemp sweeps.
func writeFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }

// repositories maps "name:tag" to an image ID.
type repositories map[string]string

func (s *Store) loadRepos() (repositories, error) {
	data, err := os.ReadFile(s.reposFile())
	if errors.Is(err, fs.ErrNotExist) {
		return repositories{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read repositories: %w", err)
	}
	repos := repositories{}
	if err := json.Unmarshal(data, &repos); err != nil {
		return nil, fmt.Errorf("corrupted image index %s: %w (remove the file: the images stay, untagged, and 'minilink tag ID NAME' names them again)", s.reposFile(), err)
	}
	return repos, nil
}

func (s *Store) saveRepos(repos repositories) error {
	data, err := json.MarshalIndent(repos, "", "  ")
	if err != nil {
		return fmt.Errorf("encode repositories: %w", err)
	}
	if err := writeFileAtomic(s.reposFile(), append(data, '\n')); err != nil {
		return fmt.Errorf("write repositories: %w", err)
	}
	return nil
}

// readConfig loads the config of the image with the given hex ID.
func (s *Store) readConfig(hexID string) (*v1.ConfigFile, error) {
	path := filepath.Join(s.configDir(), hexID+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, fmt.Errorf("corrupted image config %s: %w (remove the file to remove the image, then import or pull it again)", path, err)
	}
	return &cf, nil
}

// imageIDs lists the hex IDs of all stored configs.
func (s *Store) imageIDs() ([]string, error) {
	entries, err := os.ReadDir(s.configDir())
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && hexDigest().MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// layerSize reads the recorded size of a layer, walking the layer when the record is missing.
func (s *Store) layerSize(hexID string) int64 {
	if data, err := os.ReadFile(s.layerSizeFile(hexID)); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil {
			return n
		}
	}
	var n int64
	_ = filepath.WalkDir(s.layerDir(hexID), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func (s *Store) image(hexID string, repos repositories) (*Image, error) {
	cf, err := s.readConfig(hexID)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", hexID, err)
	}
	img := &Image{
		ID:      "sha256:" + hexID,
		Created: cf.Created.Time,
		Config:  cf.Config,
	}
	for tag, id := range repos {
		if id == img.ID {
			img.RepoTags = append(img.RepoTags, tag)
		}
	}
	sort.Strings(img.RepoTags)
	for _, d := range cf.RootFS.DiffIDs {
		img.Layers = append(img.Layers, d.String())
		img.Size += s.layerSize(d.Hex)
	}
	return img, nil
}

// List returns every image, newest first.
func (s *Store) List() ([]*Image, error) {
	repos, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	ids, err := s.imageIDs()
	if err != nil {
		return nil, err
	}
	imgs := make([]*Image, 0, len(ids))
	for _, id := range ids {
		img, err := s.image(id, repos)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	sort.Slice(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return imgs[i].ID < imgs[j].ID
	})
	return imgs, nil
}

// Lookup resolves NAME[:TAG], a full ID (with or without "sha256:") or a unique ID prefix.
func (s *Store) Lookup(ref string) (*Image, error) {
	repos, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	hexID, _, err := s.resolve(ref, repos)
	if err != nil {
		return nil, err
	}
	return s.image(hexID, repos)
}

// resolve returns the hex ID of the image ref names, and whether ref was an ID rather than a tag,
// which decides what Remove untags.
func (s *Store) resolve(ref string, repos repositories) (string, bool, error) {
	notFound := noSuchImageError{ref}
	if ref == "" {
		return "", false, notFound
	}
	// A tag wins over an ID prefix, as in Docker: "beef" may be a repository name.
	if tag, err := normalizeRef(ref); err == nil {
		if id, ok := repos[tag]; ok {
			return trimDigest(id), false, nil
		}
	}
	prefix, hasAlgo := strings.CutPrefix(ref, "sha256:")
	if !isHex(prefix) || (hasAlgo && prefix == "") {
		return "", false, notFound
	}
	ids, err := s.imageIDs()
	if err != nil {
		return "", false, err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return "", false, notFound
	case 1:
		return match[0], true, nil
	default:
		return "", false, fmt.Errorf("%w %s: matches %d images", ErrAmbiguousImage, ref, len(match))
	}
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	_, err := hex.DecodeString(s + strings.Repeat("0", len(s)%2))
	return err == nil && strings.ToLower(s) == s
}

// normalizeRef turns NAME[:TAG] into "name:tag" with the tag defaulting to latest, and drops
// Docker Hub's implicit prefixes so that docker.io/library/busybox is busybox.
func normalizeRef(ref string) (string, error) {
	if strings.Contains(ref, "@") {
		return "", fmt.Errorf("invalid reference format: digest references are not supported: %s", ref)
	}
	name, tag := ref, "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	for _, p := range []string{"docker.io/", "index.docker.io/"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			name = strings.TrimPrefix(rest, "library/")
			break
		}
	}
	if name != strings.ToLower(name) && validRepoPath(strings.ToLower(name)) {
		return "", fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", name)
	}
	if !validRepoPath(name) || !validTag(tag) {
		return "", fmt.Errorf("invalid reference format: %s", ref)
	}
	return name + ":" + tag, nil
}

// repoName is the repository part of "name:tag".
func repoName(tag string) string {
	if i := strings.LastIndex(tag, ":"); i > strings.LastIndex(tag, "/") {
		return tag[:i]
	}
	return tag
}

// LayerDirs returns the unpacked layer directories of img, top layer first (overlay lowerdir order).
func (s *Store) LayerDirs(img *Image) []string {
	dirs := make([]string, 0, len(img.Layers))
	for i := len(img.Layers) - 1; i >= 0; i-- {
		dirs = append(dirs, s.layerDir(trimDigest(img.Layers[i])))
	}
	return dirs
}

// Tag is `docker tag SOURCE TARGET`: target (NAME[:TAG]) names the image that source resolves to
// from now on, moving away from any image it named before.
func (s *Store) Tag(source, target string) error {
	tag, err := normalizeRef(target)
	if err != nil {
		return err
	}
	repos, err := s.loadRepos()
	if err != nil {
		return err
	}
	hexID, _, err := s.resolve(source, repos)
	if err != nil {
		return err
	}
	repos[tag] = "sha256:" + hexID
	return s.saveRepos(repos)
}
