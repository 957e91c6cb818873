package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Remove is `docker rmi`: untags ref (or all tags when ref is an ID) and deletes the image and its
// unused layers once no tag is left. It returns Docker's lines ("Untagged: busybox:latest",
// "Deleted: sha256:…" for the image, then one per deleted layer).
//
// Removing by ID an image tagged in more than one repository needs force, as in Docker; tags of a
// single repository (busybox:1, busybox:latest) are all removed without it.
func (s *Store) Remove(ref string, force bool) ([]string, error) {
	s.cleanTemp()
	repos, err := s.loadRepos()
	if err != nil {
		return nil, err
	}
	hexID, byID, err := s.resolve(ref, repos)
	if err != nil {
		return nil, err
	}
	id := "sha256:" + hexID
	var tags []string
	for tag, tid := range repos {
		if tid == id {
			tags = append(tags, tag)
		}
	}
	sort.Strings(tags)

	var untag []string
	if byID {
		if len(tags) > 1 && !force && !singleRepo(tags) {
			return nil, fmt.Errorf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", hexID[:12])
		}
		untag = tags
	} else {
		tag, _ := normalizeRef(ref) // resolve found it by this very tag
		untag = []string{tag}
	}

	var lines []string
	for _, t := range untag {
		delete(repos, t)
		lines = append(lines, "Untagged: "+t)
	}
	if len(untag) > 0 {
		if err := s.saveRepos(repos); err != nil {
			return nil, err
		}
	}
	if len(untag) < len(tags) {
		return lines, nil // other tags keep the image
	}

	cf, err := s.readConfig(hexID)
	if err != nil {
		return lines, fmt.Errorf("remove image %s: %w", hexID, err)
	}
	if err := os.Remove(filepath.Join(s.configDir(), hexID+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return lines, fmt.Errorf("remove image %s: %w", hexID, err)
	}
	lines = append(lines, "Deleted: "+id)

	used, err := s.usedLayers()
	if err != nil {
		return lines, err
	}
	// Top layer first, as Docker lists them.
	for i := len(cf.RootFS.DiffIDs) - 1; i >= 0; i-- {
		d := cf.RootFS.DiffIDs[i]
		if used[d.Hex] {
			continue
		}
		used[d.Hex] = true // an image may list the same layer twice
		if err := s.removeLayer(d.Hex); err != nil {
			return lines, err
		}
		lines = append(lines, "Deleted: "+d.String())
	}
	return lines, nil
}

// usedLayers returns the hex diffIDs that some stored image still uses.
func (s *Store) usedLayers() (map[string]bool, error) {
	ids, err := s.imageIDs()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, id := range ids {
		cf, err := s.readConfig(id)
		if err != nil {
			// A layer of an unreadable image could be deleted under it; refuse instead.
			return nil, fmt.Errorf("check layer use: %w", err)
		}
		for _, d := range cf.RootFS.DiffIDs {
			used[d.Hex] = true
		}
	}
	return used, nil
}

// singleRepo tells whether all tags name the same repository, which Docker lets an ID removal
// untag without force.
func singleRepo(tags []string) bool {
	for _, t := range tags[1:] {
		if repoName(t) != repoName(tags[0]) {
			return false
		}
	}
	return true
}
