package rootfs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLookupUser(t *testing.T) {
	withFiles := t.TempDir()
	os.MkdirAll(filepath.Join(withFiles, "etc"), 0o755)
	os.WriteFile(filepath.Join(withFiles, "etc/passwd"), []byte(
		"root:x:0:0:root:/root:/bin/sh\n"+
			"redis:x:999:1000::/var/lib/redis:/bin/false\n"+
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(withFiles, "etc/group"), []byte(
		"root:x:0:\nredis:x:1000:\nwheel:x:10:redis\nnogroup:x:65534:\n"), 0o644)
	empty := t.TempDir()

	// An absolute symlink in the image resolves inside the rootfs, never on the host.
	escaping := t.TempDir()
	os.MkdirAll(filepath.Join(escaping, "etc"), 0o755)
	os.MkdirAll(filepath.Join(escaping, "usr/lib"), 0o755)
	os.WriteFile(filepath.Join(escaping, "usr/lib/passwd"), []byte("toor:x:0:0::/toor:/bin/sh\n"), 0o644)
	os.Symlink("/usr/lib/passwd", filepath.Join(escaping, "etc/passwd"))

	tests := []struct {
		rootfs, spec string
		want         User
	}{
		{withFiles, "", User{UID: 0, GID: 0, Home: "/root", AdditionalGroups: []int{}}},
		{withFiles, "root", User{UID: 0, GID: 0, Home: "/root", AdditionalGroups: []int{}}},
		{withFiles, "redis", User{UID: 999, GID: 1000, Home: "/var/lib/redis", AdditionalGroups: []int{10}}},
		{withFiles, "999", User{UID: 999, GID: 1000, Home: "/var/lib/redis", AdditionalGroups: []int{10}}},
		{withFiles, "redis:nogroup", User{UID: 999, GID: 65534, Home: "/var/lib/redis", AdditionalGroups: []int{}}},
		{withFiles, "redis:42", User{UID: 999, GID: 42, Home: "/var/lib/redis", AdditionalGroups: []int{}}},
		{withFiles, "1234", User{UID: 1234, GID: 0, Home: "/", AdditionalGroups: []int{}}},
		{withFiles, "1234:5678", User{UID: 1234, GID: 5678, Home: "/", AdditionalGroups: []int{}}},
		{empty, "", User{UID: 0, GID: 0, Home: "/root", AdditionalGroups: []int{}}},
		{empty, "0", User{UID: 0, GID: 0, Home: "/root", AdditionalGroups: []int{}}},
		{empty, "1000:1000", User{UID: 1000, GID: 1000, Home: "/", AdditionalGroups: []int{}}},
		{escaping, "toor", User{UID: 0, GID: 0, Home: "/toor", AdditionalGroups: []int{}}},
	}
	for _, tc := range tests {
		got, err := LookupUser(tc.rootfs, tc.spec)
		if err != nil {
			t.Errorf("LookupUser(%q): %v", tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("LookupUser(%q) = %+v, want %+v", tc.spec, got, tc.want)
		}
	}

	errs := []struct {
		rootfs, spec, want string
	}{
		{withFiles, "ghost", "unable to find user ghost: no matching entries in passwd file"},
		{empty, "ghost", "unable to find user ghost: no matching entries in passwd file"},
		{withFiles, "redis:ghosts", "unable to find group ghosts"},
		{escaping, "daemon", "unable to find user daemon"},
	}
	for _, tc := range errs {
		_, err := LookupUser(tc.rootfs, tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LookupUser(%q) error = %v, want %q", tc.spec, err, tc.want)
		}
	}
}
