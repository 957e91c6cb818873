package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// requireMountPrivileges skips the overlay tests when not root. They clean up their mounts, but
// by hand prefer a private mount namespace so a crash cannot leave one on the host:
// unshare --mount --fork sh -c 'mount --make-rprivate / && go test ./rootfs/'
func requireMountPrivileges(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting overlays needs root")
	}
}

func TestMountContainer(t *testing.T) {
	requireMountPrivileges(t)
	tmp := t.TempDir()
	lower1 := filepath.Join(tmp, "l1")
	lower2 := filepath.Join(tmp, "l2")
	for _, d := range []string{lower1, lower2} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(lower2, "base"), []byte("bottom"), 0o644)
	os.WriteFile(filepath.Join(lower2, "both"), []byte("bottom"), 0o644)
	os.WriteFile(filepath.Join(lower1, "both"), []byte("top"), 0o644)

	tests := []struct {
		name   string
		layers []string
		files  map[string]string
	}{
		{"single layer", []string{lower2}, map[string]string{"base": "bottom", "both": "bottom"}},
		{"two layers top first", []string{lower1, lower2}, map[string]string{"base": "bottom", "both": "top"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ctr")
			root, err := MountContainer(tc.layers, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { UnmountContainer(dir) })
			if root != filepath.Join(dir, "rootfs") {
				t.Errorf("root = %s", root)
			}
			for name, want := range tc.files {
				if b, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(b) != want {
					t.Errorf("%s = %q, %v; want %q", name, b, err, want)
				}
			}
			// Writes land in upper, never in a layer.
			if err := os.WriteFile(filepath.Join(root, "new"), []byte("n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "base"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "upper", "new")); err != nil || string(b) != "n" {
				t.Errorf("upper/new = %q, %v", b, err)
			}
			if b, _ := os.ReadFile(filepath.Join(lower2, "base")); string(b) != "bottom" {
				t.Errorf("lower layer modified: %q", b)
			}
			os.WriteFile(filepath.Join(lower2, "base"), []byte("bottom"), 0o644)

			// Mounting again is a no-op, not a second mount.
			if _, err := MountContainer(tc.layers, dir); err != nil {
				t.Errorf("second mount: %v", err)
			}
			if err := UnmountContainer(dir); err != nil {
				t.Fatalf("unmount: %v", err)
			}
			if typ, _ := mountType(root); typ != "" {
				t.Errorf("still mounted (%s) after one unmount: second mount was stacked", typ)
			}
			if _, err := os.Stat(filepath.Join(root, "new")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("merged view still visible after unmount: %v", err)
			}
			if err := UnmountContainer(dir); err != nil {
				t.Errorf("second unmount: %v", err)
			}
		})
	}
}

func TestUnmountContainerMissing(t *testing.T) {
	if err := UnmountContainer(filepath.Join(t.TempDir(), "never")); err != nil {
		t.Errorf("unmount of a missing dir: %v", err)
	}
}

func TestMountContainerNoLayers(t *testing.T) {
	if _, err := MountContainer(nil, t.TempDir()); err == nil {
		t.Error("mount without layers succeeded")
	}
}

func TestMountImage(t *testing.T) {
	requireMountPrivileges(t)
	s := newStore(t)
	img := importTar(t, s, "m", nil, entry{name: "etc/hostname", body: "img"})
	dir := t.TempDir()
	root, err := MountContainer(s.LayerDirs(img), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer UnmountContainer(dir)
	if b, err := os.ReadFile(filepath.Join(root, "etc/hostname")); err != nil || string(b) != "img" {
		t.Errorf("etc/hostname = %q, %v", b, err)
	}
}
