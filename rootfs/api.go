package rootfs

// API CONTRACT (stub written by the lead; the rootfs helper replaces the bodies and may split files).

import (
	"errors"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNoSuchImage is returned when a reference names no stored image.
var ErrNoSuchImage = errors.New("no such image")

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

// Open returns the store below root, creating its directories.
func Open(root string) (*Store, error) { return &Store{root: root}, nil }

// Import is `docker import`: r is a tar (optionally gzip/bzip2/xz compressed) of a root filesystem,
// ref is NAME[:TAG] (tag defaults to "latest"; "" means untagged), changes are Dockerfile-like
// instructions (ENV, EXPOSE, CMD, ENTRYPOINT, WORKDIR, USER). The tag moves to the new image.
func (s *Store) Import(r io.Reader, ref string, changes []string) (*Image, error) { return nil, nil }

// Lookup resolves NAME[:TAG], a full ID (with or without "sha256:") or a unique ID prefix.
func (s *Store) Lookup(ref string) (*Image, error) { return nil, ErrNoSuchImage }

// List returns every image, newest first.
func (s *Store) List() ([]*Image, error) { return nil, nil }

// Remove is `docker rmi`: untags ref (or all tags when ref is an ID) and deletes the image and its
// unused layers once no tag is left. It returns Docker's lines ("Untagged: busybox:latest",
// "Deleted: sha256:…").
func (s *Store) Remove(ref string, force bool) ([]string, error) { return nil, nil }

// LayerDirs returns the unpacked layer directories of img, top layer first (overlay lowerdir order).
func (s *Store) LayerDirs(img *Image) []string { return nil }

// MountContainer mounts the overlay root of a container whose private directory is dir:
// dir/upper and dir/work are created if missing, the overlay is mounted on dir/rootfs, and its path
// returned. Mounting an already mounted root is not an error.
func MountContainer(layerDirs []string, dir string) (string, error) { return "", nil }

// UnmountContainer unmounts dir/rootfs if mounted; unmounting an unmounted root is not an error.
func UnmountContainer(dir string) error { return nil }

// ParseChanges validates `--change` values and returns them applied to cfg.
func ParseChanges(cfg v1.Config, changes []string) (v1.Config, error) { return cfg, nil }

// User is a resolved container user.
type User struct {
	UID, GID         int
	AdditionalGroups []int
	Home             string // from the image's /etc/passwd; "/root" for root without an entry? see LookupUser
}

// LookupUser resolves spec ("", "name", "uid", "name:group", "uid:gid") against the passwd and group
// files of the mounted root filesystem rootfs, as Docker does. "" means root. Home is the passwd
// entry's home directory, or "/" when there is no entry (Docker's rule; "/root" for uid 0 without
// an entry).
func LookupUser(rootfs, spec string) (User, error) { return User{}, nil }
