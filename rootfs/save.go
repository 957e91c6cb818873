package rootfs

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Save writes the images named by refs (name[:tag] or IDs) to w as a `docker save` archive
// (loadable by Docker and by Load), with their tags. A name without a tag saves every tag of
// that repository, as docker save does; an ID saves the image untagged.
//
// Layers are written uncompressed, exactly as they were pulled or loaded (rebuilt from their
// tar-split records), so their digests still match the image config and the image keeps its ID.
// A layer found changed on disk fails the save midway; w then holds no valid archive.
func (s *Store) Save(w io.Writer, refs []string) error {
	if len(refs) == 0 {
		return fmt.Errorf("save: no image named")
	}
	repos, err := s.loadRepos()
	if err != nil {
		return err
	}
	images := map[string]v1.Image{}
	toWrite := map[name.Reference]v1.Image{}
	for _, ref := range refs {
		targets, err := s.saveTargets(ref, repos)
		if err != nil {
			return err
		}
		for _, tg := range targets {
			img, ok := images[tg.hexID]
			if !ok {
				if img, err = s.savedImage(tg.hexID); err != nil {
					return fmt.Errorf("save %s: %w", ref, err)
				}
				images[tg.hexID] = img
			}
			var key name.Reference
			if tg.tag != "" {
				key, err = name.NewTag(tg.tag)
			} else {
				// The writer keys its input by reference; a digest reference adds no tag.
				key, err = name.NewDigest("untagged@sha256:" + tg.hexID)
			}
			if err != nil {
				return fmt.Errorf("save %s: %w", ref, err)
			}
			toWrite[key] = img
		}
	}
	if err := tarball.MultiRefWrite(toWrite, w); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// saveTarget is one image to save, under one tag or none.
type saveTarget struct{ hexID, tag string }

// saveTargets resolves one argument of Save.
func (s *Store) saveTargets(ref string, repos repositories) ([]saveTarget, error) {
	if !strings.Contains(ref, "@") && !strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
		if n, err := normalizeRef(ref); err == nil {
			repo := repoName(n)
			var targets []saveTarget
			for tag, id := range repos {
				if repoName(tag) == repo {
					targets = append(targets, saveTarget{trimDigest(id), tag})
				}
			}
			if len(targets) > 0 {
				sort.Slice(targets, func(i, j int) bool { return targets[i].tag < targets[j].tag })
				return targets, nil
			}
		}
	}
	hexID, byID, err := s.resolve(ref, repos)
	if err != nil {
		return nil, err
	}
	if byID {
		return []saveTarget{{hexID: hexID}}, nil
	}
	tag, _ := normalizeRef(ref) // resolve found it by this very tag
	return []saveTarget{{hexID, tag}}, nil
}

// savedImage presents a stored image to the archive writer: its config as stored, and a
// manifest listing its layers uncompressed, whose digests are then their diffIDs.
func (s *Store) savedImage(hexID string) (v1.Image, error) {
	raw, err := os.ReadFile(filepath.Join(s.configDir(), hexID+".json"))
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	cf, _, err := parseConfig(raw, -1)
	if err != nil {
		return nil, err
	}
	img := &savedImage{rawConfig: raw, layers: map[v1.Hash]*savedLayer{}}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(raw)), Digest: v1.Hash{Algorithm: "sha256", Hex: hexID}},
	}
	for _, d := range cf.RootFS.DiffIDs {
		l, ok := img.layers[d]
		if !ok {
			_, size, err := s.openLayerTar(d.Hex)
			if err != nil {
				return nil, err
			}
			l = &savedLayer{s: s, diffID: d, size: size}
			img.layers[d] = l
		}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.DockerUncompressedLayer, Size: l.size, Digest: d})
	}
	if img.rawManifest, err = json.Marshal(m); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return partial.CompressedToImage(img)
}

// savedImage is the partial.CompressedImageCore of a stored image.
type savedImage struct {
	rawConfig   []byte
	rawManifest []byte
	layers      map[v1.Hash]*savedLayer
}

func (i *savedImage) RawConfigFile() ([]byte, error)      { return i.rawConfig, nil }
func (i *savedImage) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }
func (i *savedImage) RawManifest() ([]byte, error)        { return i.rawManifest, nil }
func (i *savedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s in the image", h)
}

// savedLayer is a stored layer as an uncompressed blob: its "compressed" form is its tar.
type savedLayer struct {
	s      *Store
	diffID v1.Hash
	size   int64
}

func (l *savedLayer) Digest() (v1.Hash, error)            { return l.diffID, nil }
func (l *savedLayer) Size() (int64, error)                { return l.size, nil }
func (l *savedLayer) MediaType() (types.MediaType, error) { return types.DockerUncompressedLayer, nil }
func (l *savedLayer) Compressed() (io.ReadCloser, error) {
	lt, _, err := l.s.openLayerTar(l.diffID.Hex)
	if err != nil {
		return nil, err
	}
	return lt, nil
}
