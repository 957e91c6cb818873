package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorruptedStoreFiles: a damaged image index or image config fails the commands that read it
// with one line naming the file and what to do, never a panic.
func TestCorruptedStoreFiles(t *testing.T) {
	s := newStore(t)
	img := importTar(t, s, "busybox", nil, sampleTree...)
	config := filepath.Join(s.configDir(), strings.TrimPrefix(img.ID, "sha256:")+".json")
	for _, tc := range []struct{ path, msg string }{
		{s.reposFile(), "corrupted image index " + s.reposFile() + ": unexpected end of JSON input (remove the file: the images stay, untagged, and 'minilink tag ID NAME' names them again)"},
		{config, "corrupted image config " + config + ": unexpected end of JSON input (remove the file to remove the image, then import or pull it again)"},
	} {
		good, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tc.path, good[:len(good)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"Lookup": func() error { _, err := s.Lookup("busybox"); return err },
			"List":   func() error { _, err := s.List(); return err },
		} {
			if err := call(); err == nil || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s with %s damaged: %v; want one line with %q", name, filepath.Base(tc.path), err, tc.msg)
			}
		}
		if err := os.WriteFile(tc.path, good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Lookup("busybox"); err != nil {
		t.Fatal(err)
	}
}
