package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// A layer that deletes a file of the layer below (.wh.NAME) and replaces a directory wholesale
// (.wh..wh..opq) gives, once the unpacked layers are stacked, the image's real filesystem.
func TestWhiteouts(t *testing.T) {
	requireMountPrivileges(t)
	img := testImage(t, nil, v1.Config{},
		testLayer(t,
			entry{name: "gone", body: "deleted above"},
			entry{name: "keep", body: "kept"},
			entry{name: "d/", typ: tar.TypeDir},
			entry{name: "d/old1", body: "1"},
			entry{name: "d/old2", body: "2"},
			entry{name: "e/x", body: "x"},
			entry{name: "e/y", body: "y"},
		),
		testLayer(t,
			entry{name: ".wh.gone"},
			entry{name: "d/", typ: tar.TypeDir},
			entry{name: "d/.wh..wh..opq"},
			entry{name: "d/new", body: "new"},
			entry{name: "e/.wh.x"},
		),
	)
	archive := dockerSave(t, map[string]v1.Image{"wh:1": img})
	host, srv := newRegistry(t, nil)
	pushImage(t, srv, "wh:1", img)

	for _, how := range []string{"pull", "load"} {
		t.Run(how, func(t *testing.T) {
			s := newStore(t)
			var err error
			if how == "pull" {
				_, err = s.Pull(context.Background(), host+"/wh:1", PullOptions{})
			} else {
				_, err = s.Load(context.Background(), bytes.NewReader(archive))
			}
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Lookup(imageID(t, img))
			if err != nil {
				t.Fatal(err)
			}
			top := s.LayerDirs(stored)[0]
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(top, "gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
				t.Errorf("top layer's gone is not a 0/0 whiteout: mode %o rdev %d, %v", st.Mode, st.Rdev, err)
			}
			buf := make([]byte, 8)
			if n, err := unix.Getxattr(filepath.Join(top, "d"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
				t.Errorf("d not opaque: %q, %v", buf[:n], err)
			}

			dir := filepath.Join(t.TempDir(), "ctr")
			root, err := MountContainer(s.LayerDirs(stored), dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { UnmountContainer(dir) })
			if _, err := os.Lstat(filepath.Join(root, "gone")); !os.IsNotExist(err) {
				t.Errorf("gone still there: %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(root, "keep")); err != nil || string(b) != "kept" {
				t.Errorf("keep = %q, %v", b, err)
			}
			for d, want := range map[string][]string{"d": {"new"}, "e": {"y"}, ".": {"d", "e", "keep"}} {
				entries, err := os.ReadDir(filepath.Join(root, d))
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				if !slices.Equal(names, want) {
					t.Errorf("%s lists %q, want %q", d, names, want)
				}
			}
		})
	}
}
