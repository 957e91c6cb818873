package rootfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// entry is one tar member for tests; the zero Typeflag means a regular file.
type entry struct {
	name     string
	typ      byte
	body     string
	link     string
	mode     int64
	uid, gid int
}

var testTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func makeTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode,
			Uid: e.uid, Gid: e.gid, ModTime: testTime, Format: tar.FormatPAX}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importTar(t *testing.T, s *Store, ref string, changes []string, entries ...entry) *Image {
	t.Helper()
	img, err := s.Import(bytes.NewReader(makeTar(t, entries...)), ref, changes)
	if err != nil {
		t.Fatalf("Import %s: %v", ref, err)
	}
	return img
}

// storeContents lists everything below the store's layers/ and images/configs/ directories.
func storeContents(t *testing.T, s *Store) []string {
	t.Helper()
	var names []string
	for _, d := range []string{s.layersDir(), s.configDir()} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
	}
	return names
}

var sampleTree = []entry{
	{name: "./", typ: tar.TypeDir},
	{name: "bin/", typ: tar.TypeDir},
	{name: "bin/busybox", body: "#!busybox", mode: 0o755},
	{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"},
	{name: "bin/ash", typ: tar.TypeLink, link: "bin/busybox"},
	{name: "usr/bin/su", body: "su", mode: 0o4755},
	{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
	{name: "etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\n", uid: 0},
	{name: "home/u/file", body: "mine", uid: 1000, gid: 1000},
	{name: "etc/.wh.gone", body: ""},
}

func TestImport(t *testing.T) {
	s := newStore(t)
	img := importTar(t, s, "busybox", []string{"ENV PATH=/bin", `CMD ["/bin/sh"]`, "EXPOSE 80"}, sampleTree...)

	if !strings.HasPrefix(img.ID, "sha256:") || len(img.ID) != 71 {
		t.Fatalf("ID = %q", img.ID)
	}
	if want := []string{"busybox:latest"}; !reflect.DeepEqual(img.RepoTags, want) {
		t.Errorf("RepoTags = %v, want %v", img.RepoTags, want)
	}
	if img.Size != int64(len("#!busybox")+len("su")+len("root:x:0:0:root:/root:/bin/sh\n")+len("mine")) {
		t.Errorf("Size = %d", img.Size)
	}
	if time.Since(img.Created) > time.Minute {
		t.Errorf("Created = %v", img.Created)
	}

	// The ID is the digest of the stored config, and the config says what docker import says.
	hexID := strings.TrimPrefix(img.ID, "sha256:")
	data, err := os.ReadFile(filepath.Join(s.root, "images", "configs", hexID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hexID {
		t.Errorf("ID %s is not the sha256 of the config", img.ID)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(data, &cf); err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture == "" || cf.RootFS.Type != "layers" || len(cf.RootFS.DiffIDs) != 1 {
		t.Errorf("config = %+v", cf)
	}
	if len(cf.History) != 1 || cf.History[0].Comment != "Imported from -" {
		t.Errorf("history = %+v", cf.History)
	}
	if !reflect.DeepEqual(cf.Config.Cmd, []string{"/bin/sh"}) || !reflect.DeepEqual(cf.Config.Env, []string{"PATH=/bin"}) {
		t.Errorf("config.Config = %+v", cf.Config)
	}
	if _, ok := cf.Config.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v", cf.Config.ExposedPorts)
	}
	// The diffID is the sha256 of the uncompressed tar.
	tarSum := sha256.Sum256(makeTar(t, sampleTree...))
	if got, want := cf.RootFS.DiffIDs[0].Hex, hex.EncodeToString(tarSum[:]); got != want {
		t.Errorf("diffID = %s, want %s", got, want)
	}
	if !reflect.DeepEqual(img.Layers, []string{"sha256:" + hex.EncodeToString(tarSum[:])}) {
		t.Errorf("Layers = %v", img.Layers)
	}

	dirs := s.LayerDirs(img)
	if len(dirs) != 1 || !filepath.IsAbs(dirs[0]) {
		t.Fatalf("LayerDirs = %v", dirs)
	}
	root := dirs[0]
	if b, err := os.ReadFile(filepath.Join(root, "bin/busybox")); err != nil || string(b) != "#!busybox" {
		t.Errorf("bin/busybox = %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(root, "bin/sh")); err != nil || l != "busybox" {
		t.Errorf("bin/sh -> %q, %v", l, err)
	}
	var a, b syscall.Stat_t
	if err := syscall.Stat(filepath.Join(root, "bin/ash"), &a); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(filepath.Join(root, "bin/busybox"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino {
		t.Errorf("bin/ash is not a hard link of bin/busybox")
	}
	modes := map[string]os.FileMode{
		".":           os.ModeDir | 0o755,
		"bin/busybox": 0o755,
		"usr/bin/su":  0o755 | os.ModeSetuid,
		"tmp":         os.ModeDir | os.ModeSticky | 0o777,
		"etc/passwd":  0o644,
	}
	for name, want := range modes {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", name, fi.Mode(), want)
		}
		if name != "." && name != "tmp" && !fi.ModTime().Equal(testTime) {
			t.Errorf("%s mtime = %v, want %v", name, fi.ModTime(), testTime)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "bin")); err != nil || !fi.ModTime().Equal(testTime) {
		t.Errorf("bin dir mtime not restored: %v %v", fi.ModTime(), err)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/.wh.gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("whiteout was extracted: %v", err)
	}
	if os.Geteuid() == 0 {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(root, "home/u/file"), &st); err != nil || st.Uid != 1000 || st.Gid != 1000 {
			t.Errorf("home/u/file owner = %d:%d, %v", st.Uid, st.Gid, err)
		}
	}
}

func TestImportCompressed(t *testing.T) {
	s := newStore(t)
	plain := makeTar(t, entry{name: "f", body: "x"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	a, err := s.Import(bytes.NewReader(plain), "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Import(&gz, "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same uncompressed stream, same layer.
	if a.Layers[0] != b.Layers[0] {
		t.Errorf("gzip layer %s != plain layer %s", b.Layers[0], a.Layers[0])
	}
	if _, err := s.Import(bytes.NewReader([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 1, 2}), "c", nil); err == nil || !strings.Contains(err.Error(), "xz") {
		t.Errorf("xz import error = %v", err)
	}
	if _, err := s.Import(bytes.NewReader(nil), "c", nil); err == nil {
		t.Errorf("empty import succeeded")
	}
}

func TestImportSameLayerStoredOnce(t *testing.T) {
	s := newStore(t)
	a := importTar(t, s, "one", nil, entry{name: "f", body: "x"})
	b := importTar(t, s, "two", []string{"USER nobody"}, entry{name: "f", body: "x"})
	if a.ID == b.ID {
		t.Fatalf("different configs gave the same ID")
	}
	if a.Layers[0] != b.Layers[0] {
		t.Fatalf("layers differ: %v %v", a.Layers, b.Layers)
	}
	var layerDirs int
	entries, _ := os.ReadDir(s.layersDir())
	for _, e := range entries {
		if e.IsDir() {
			layerDirs++
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temp dir left: %s", e.Name())
		}
	}
	if layerDirs != 1 {
		t.Errorf("%d layer dirs, want 1", layerDirs)
	}
}

func TestTagMoves(t *testing.T) {
	s := newStore(t)
	old := importTar(t, s, "app:1", nil, entry{name: "f", body: "old"})
	importTar(t, s, "app", nil, entry{name: "f", body: "old"})
	cur := importTar(t, s, "app:1", nil, entry{name: "f", body: "new"})

	got, err := s.Lookup("app:1")
	if err != nil || got.ID != cur.ID {
		t.Fatalf("app:1 = %v, %v; want %s", got, err, cur.ID)
	}
	// The old image lost its only tag and stays, untagged.
	o, err := s.Lookup(old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.RepoTags) != 0 {
		t.Errorf("old image tags = %v, want none", o.RepoTags)
	}
	imgs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 {
		t.Fatalf("List has %d images, want 3", len(imgs))
	}
	if imgs[0].ID != cur.ID || imgs[2].ID != old.ID {
		t.Errorf("List not newest first: %s %s %s", imgs[0].ID, imgs[1].ID, imgs[2].ID)
	}
	// Untagged import.
	u := importTar(t, s, "", nil, entry{name: "g"})
	if len(u.RepoTags) != 0 {
		t.Errorf("untagged import has tags %v", u.RepoTags)
	}
}

func TestLookup(t *testing.T) {
	s := newStore(t)
	a := importTar(t, s, "busybox", nil, entry{name: "a"})
	b := importTar(t, s, "redis:7", nil, entry{name: "b"})
	// Give a second tag so tag lookups are not trivially the only image.
	importTar(t, s, "library/other:x", nil, entry{name: "c"})
	hexA := strings.TrimPrefix(a.ID, "sha256:")
	hexB := strings.TrimPrefix(b.ID, "sha256:")

	// Find the shortest prefix of A that no other image shares, and one that is shared.
	ids, _ := s.imageIDs()
	unique := ""
	for n := 1; n <= 64 && unique == ""; n++ {
		count := 0
		for _, id := range ids {
			if strings.HasPrefix(id, hexA[:n]) {
				count++
			}
		}
		if count == 1 {
			unique = hexA[:n]
		}
	}

	tests := []struct {
		ref  string
		want string
	}{
		{"busybox", a.ID},
		{"busybox:latest", a.ID},
		{"docker.io/library/busybox:latest", a.ID},
		{"docker.io/library/busybox", a.ID},
		{"redis:7", b.ID},
		{a.ID, a.ID},
		{hexA, a.ID},
		{hexB[:12], b.ID},
		{"sha256:" + hexB[:12], b.ID},
		{unique, a.ID},
	}
	for _, tc := range tests {
		got, err := s.Lookup(tc.ref)
		if err != nil {
			t.Errorf("Lookup(%q): %v", tc.ref, err)
			continue
		}
		if got.ID != tc.want {
			t.Errorf("Lookup(%q) = %s, want %s", tc.ref, got.ID, tc.want)
		}
	}

	for _, ref := range []string{"redis", "busybox:1", "nope", "sha256:", "", strings.Repeat("f", 64), "ffffffffffff"} {
		if strings.HasPrefix(hexA, ref) && ref != "" && ref != "sha256:" {
			continue
		}
		_, err := s.Lookup(ref)
		if !errors.Is(err, ErrNoSuchImage) || err.Error() != "No such image: "+ref {
			t.Errorf("Lookup(%q) error = %v, want No such image", ref, err)
		}
	}
}

func TestLookupAmbiguousPrefix(t *testing.T) {
	s := newStore(t)
	// Sixteen images make a shared first hex digit certain.
	seen := map[byte]bool{}
	var shared string
	for i := 0; shared == ""; i++ {
		img := importTar(t, s, "", []string{"ENV I=" + strings.Repeat("x", i)}, entry{name: "f"})
		c := strings.TrimPrefix(img.ID, "sha256:")[0]
		if seen[c] {
			shared = string(c)
		}
		seen[c] = true
	}
	_, err := s.Lookup(shared)
	if !errors.Is(err, ErrAmbiguousImage) {
		t.Errorf("Lookup(%q) error = %v, want ambiguous", shared, err)
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	a := importTar(t, s, "busybox", nil, entry{name: "f", body: "a"})
	importTar(t, s, "alpine", nil, entry{name: "f", body: "a"}) // same layer, other image
	hexA := strings.TrimPrefix(a.ID, "sha256:")
	layerA := a.Layers[0]

	// Tag the same image twice in two repositories by moving tags onto it.
	repos, _ := s.loadRepos()
	repos["other:1"] = a.ID
	repos["busybox:1"] = a.ID
	if err := s.saveRepos(repos); err != nil {
		t.Fatal(err)
	}

	// By ID, with tags in several repositories: needs force.
	_, err := s.Remove(hexA[:12], false)
	if err == nil || err.Error() != "conflict: unable to delete "+hexA[:12]+" (must be forced) - image is referenced in multiple repositories" {
		t.Fatalf("Remove by ID error = %v", err)
	}

	// By tag: untag only.
	lines, err := s.Remove("other:1", false)
	if err != nil || !reflect.DeepEqual(lines, []string{"Untagged: other:1"}) {
		t.Fatalf("Remove other:1 = %q, %v", lines, err)
	}
	// By ID with tags of one repository: all untagged, image deleted, layer kept (alpine uses it).
	lines, err = s.Remove(a.ID, false)
	want := []string{"Untagged: busybox:1", "Untagged: busybox:latest", "Deleted: " + a.ID}
	if err != nil || !reflect.DeepEqual(lines, want) {
		t.Fatalf("Remove by ID = %q, %v; want %q", lines, err, want)
	}
	if _, err := os.Stat(filepath.Join(s.layersDir(), strings.TrimPrefix(layerA, "sha256:"))); err != nil {
		t.Errorf("shared layer was removed: %v", err)
	}
	if _, err := s.Lookup("busybox"); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("busybox still there: %v", err)
	}

	// Last user of the layer: the layer goes too.
	alpine, _ := s.Lookup("alpine")
	lines, err = s.Remove("alpine", false)
	want = []string{"Untagged: alpine:latest", "Deleted: " + alpine.ID, "Deleted: " + layerA}
	if err != nil || !reflect.DeepEqual(lines, want) {
		t.Fatalf("Remove alpine = %q, %v; want %q", lines, err, want)
	}
	if left := storeContents(t, s); len(left) != 0 {
		t.Errorf("store not empty after removing everything: %v", left)
	}
	if _, err := s.Remove("alpine", false); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("second Remove error = %v", err)
	}
}

func TestRemoveForce(t *testing.T) {
	s := newStore(t)
	a := importTar(t, s, "x", nil, entry{name: "f"})
	repos, _ := s.loadRepos()
	repos["y:latest"] = a.ID
	if err := s.saveRepos(repos); err != nil {
		t.Fatal(err)
	}
	lines, err := s.Remove(a.ID, true)
	want := []string{"Untagged: x:latest", "Untagged: y:latest", "Deleted: " + a.ID, "Deleted: " + a.Layers[0]}
	if err != nil || !reflect.DeepEqual(lines, want) {
		t.Fatalf("Remove -f = %q, %v; want %q", lines, err, want)
	}
	// An untagged image is removed by ID without force.
	u := importTar(t, s, "", nil, entry{name: "g"})
	lines, err = s.Remove(u.ID[7:19], false)
	if err != nil || len(lines) != 2 || lines[0] != "Deleted: "+u.ID {
		t.Fatalf("Remove untagged = %q, %v", lines, err)
	}
}

func TestImportHostile(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		bad     string // the entry the error must name
	}{
		{"dotdot", []entry{{name: "../evil", body: "x"}}, "../evil"},
		{"dotdot inside", []entry{{name: "a/../../evil", body: "x"}}, "a/../../evil"},
		{"absolute dotdot", []entry{{name: "/../../evil", body: "x"}}, "/../../evil"},
		{"hardlink out", []entry{{name: "passwd", typ: tar.TypeLink, link: "../../etc/passwd"}}, "passwd"},
		{"hardlink absolute out", []entry{{name: "p", typ: tar.TypeLink, link: "/../etc/passwd"}}, "p"},
		{"symlink to root then write", []entry{
			{name: "link", typ: tar.TypeSymlink, link: "/"},
			{name: "link/etc/evil", body: "x"},
		}, "link/etc/evil"},
		{"symlink up then write", []entry{
			{name: "link", typ: tar.TypeSymlink, link: "../.."},
			{name: "link/x", body: "x"},
		}, "link/x"},
		{"symlink to etc then dir", []entry{
			{name: "link", typ: tar.TypeSymlink, link: "/etc"},
			{name: "link/sub/", typ: tar.TypeDir},
		}, "link/sub/"},
		{"symlink inside then write", []entry{
			{name: "real/", typ: tar.TypeDir},
			{name: "link", typ: tar.TypeSymlink, link: "real"},
			{name: "link/x", body: "x"},
		}, "link/x"},
		{"hardlink through symlink", []entry{
			{name: "link", typ: tar.TypeSymlink, link: "/etc"},
			{name: "h", typ: tar.TypeLink, link: "link/passwd"},
		}, "h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outside := t.TempDir()
			s, err := Open(filepath.Join(outside, "root", "a", "b"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Import(bytes.NewReader(makeTar(t, tc.entries...)), "evil", nil)
			if err == nil {
				t.Fatalf("hostile import succeeded")
			}
			if !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("error %q does not name %q", err, tc.bad)
			}
			if left := storeContents(t, s); len(left) != 0 {
				t.Errorf("store not empty after failed import: %v", left)
			}
			if _, err := s.Lookup("evil"); !errors.Is(err, ErrNoSuchImage) {
				t.Errorf("image exists after failed import: %v", err)
			}
			for _, p := range []string{"evil", "root/evil", "root/a/evil", "x", "root/x", "root/a/x"} {
				if _, err := os.Lstat(filepath.Join(outside, p)); err == nil {
					t.Errorf("%s was written outside the store", p)
				}
			}
		})
	}
}

func TestImportReplacesEntries(t *testing.T) {
	s := newStore(t)
	img := importTar(t, s, "r", nil,
		entry{name: "link", typ: tar.TypeSymlink, link: "/etc"},
		entry{name: "link", body: "now a file"}, // replaces the symlink, does not write through it
		entry{name: "d/", typ: tar.TypeDir},
		entry{name: "d/keep", body: "k"},
		entry{name: "d/", typ: tar.TypeDir, mode: 0o700}, // a directory again keeps its contents
	)
	root := s.LayerDirs(img)[0]
	if b, err := os.ReadFile(filepath.Join(root, "link")); err != nil || string(b) != "now a file" {
		t.Errorf("link = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "d/keep")); err != nil {
		t.Errorf("d/keep: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(root, "d")); fi.Mode().Perm() != 0o700 {
		t.Errorf("d mode = %v", fi.Mode())
	}
}

func TestImportDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	s := newStore(t)
	img := importTar(t, s, "dev", nil,
		entry{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		entry{name: "dev/fifo", typ: tar.TypeFifo, mode: 0o600},
	)
	root := s.LayerDirs(img)[0]
	if fi, err := os.Lstat(filepath.Join(root, "dev/null")); err != nil || fi.Mode()&os.ModeCharDevice == 0 || fi.Mode().Perm() != 0o666 {
		t.Errorf("dev/null: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "dev/fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("dev/fifo: %v %v", fi.Mode(), err)
	}
}

func TestImportCleansStaleTemp(t *testing.T) {
	s := newStore(t)
	stale := filepath.Join(s.layersDir(), tmpPrefix+"layer-123")
	if err := os.MkdirAll(filepath.Join(stale, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	importTar(t, s, "a", nil, entry{name: "f"})
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp dir kept: %v", err)
	}
}

func TestTag(t *testing.T) {
	s := newStore(t)
	a := importTar(t, s, "busybox", nil, entry{name: "a"})
	b := importTar(t, s, "other", nil, entry{name: "b"})
	if err := s.Tag("busybox", "alpine"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(a.ID[7:19], "other"); err != nil { // moves other:latest off b
		t.Fatal(err)
	}
	got, err := s.Lookup("alpine")
	if err != nil || got.ID != a.ID {
		t.Fatalf("alpine = %v, %v", got, err)
	}
	if want := []string{"alpine:latest", "busybox:latest", "other:latest"}; !reflect.DeepEqual(got.RepoTags, want) {
		t.Errorf("tags = %v, want %v", got.RepoTags, want)
	}
	if old, _ := s.Lookup(b.ID); len(old.RepoTags) != 0 {
		t.Errorf("moved tag still on old image: %v", old.RepoTags)
	}
	if err := s.Tag("nope", "x"); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("Tag of a missing image: %v", err)
	}
	if err := s.Tag("busybox", "Bad"); err == nil {
		t.Errorf("Tag to an invalid name succeeded")
	}
}

func TestImportBadRef(t *testing.T) {
	s := newStore(t)
	for _, ref := range []string{"Busybox", "a b", "x:", ":tag", "name@sha256:abc"} {
		if _, err := s.Import(bytes.NewReader(makeTar(t, entry{name: "f"})), ref, nil); err == nil {
			t.Errorf("Import with ref %q succeeded", ref)
		}
	}
	if left := storeContents(t, s); len(left) != 0 {
		t.Errorf("store not empty: %v", left)
	}
}
