package rootfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dockerSave writes images as `docker save` would, with the registry library's writer; an
// untagged image is given under a digest reference.
func dockerSave(t *testing.T, images map[string]v1.Image) []byte {
	t.Helper()
	refs := map[name.Reference]v1.Image{}
	for ref, img := range images {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		refs[r] = img
	}
	var buf bytes.Buffer
	if err := tarball.MultiRefWrite(refs, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarDir tars the directory dir, as `tar -C dir -c .` would.
func tarDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadDockerSave(t *testing.T) {
	base := testLayer(t, entry{name: "etc/os-release", body: "ID=test\n"})
	web := testImage(t, nil, appConfig, base, testLayer(t, entry{name: "srv/index.html", body: "web"}))
	db := testImage(t, nil, v1.Config{Cmd: []string{"db"}}, base, testLayer(t, entry{name: "db", body: "db"}))
	loose := testImage(t, nil, v1.Config{Cmd: []string{"loose"}}, testLayer(t, entry{name: "l", body: "l"}))
	looseID := imageID(t, loose)
	archive := dockerSave(t, map[string]v1.Image{
		"web:1":                          web,
		"localhost:5000/web:2":           web,
		"db":                             db,
		"untagged@sha256:" + looseID[7:]: loose,
	})
	for _, tc := range []struct {
		name string
		data []byte
	}{{"plain", archive}, {"gzip", gzipped(t, archive)}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			lines, err := s.Load(context.Background(), bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(lines)
			want := []string{"Loaded image ID: " + looseID, "Loaded image: db:latest", "Loaded image: localhost:5000/web:2", "Loaded image: web:1"}
			if !slices.Equal(lines, want) {
				t.Errorf("lines = %q, want %q", lines, want)
			}
			for ref, want := range map[string]v1.Image{"web:1": web, "localhost:5000/web:2": web, "db": db, looseID: loose} {
				img, err := s.Lookup(ref)
				if err != nil {
					t.Fatalf("Lookup %s: %v", ref, err)
				}
				if img.ID != imageID(t, want) {
					t.Errorf("%s: ID %s, want %s", ref, img.ID, imageID(t, want))
				}
			}
			img, _ := s.Lookup("web:1")
			if !slices.Equal(img.Config.Env, appConfig.Env) || img.Config.WorkingDir != "/srv" || img.Config.User != "1000" {
				t.Errorf("config = %+v", img.Config)
			}
			if n := layerDirCount(t, s); n != 4 { // base once, web, db, loose
				t.Errorf("%d layer dirs, want 4", n)
			}
			if b, err := os.ReadFile(filepath.Join(s.LayerDirs(img)[1], "etc/os-release")); err != nil || string(b) != "ID=test\n" {
				t.Errorf("base layer: %q, %v", b, err)
			}
		})
	}
}

func TestLoadOCILayout(t *testing.T) {
	here := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	there := v1.Platform{OS: "linux", Architecture: otherArch()}
	web := testImage(t, nil, appConfig, testLayer(t, entry{name: "srv/index.html", body: "web"}))
	plain := testImage(t, nil, v1.Config{Cmd: []string{"plain"}}, testLayer(t, entry{name: "p", body: "p"}))
	multiHere := testImage(t, &here, v1.Config{Cmd: []string{"here"}}, testLayer(t, entry{name: "arch", body: "here"}))
	multiThere := testImage(t, &there, v1.Config{Cmd: []string{"there"}}, testLayer(t, entry{name: "arch", body: "there"}))
	multi := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: multiThere, Descriptor: v1.Descriptor{Platform: &there}},
		mutate.IndexAddendum{Add: multiHere, Descriptor: v1.Descriptor{Platform: &here}},
	)

	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(web, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          "docker.io/library/web:2",
		"org.opencontainers.image.ref.name": "2",
	})); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(plain, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "latest"})); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(multi, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "multi:1"})); err != nil {
		t.Fatal(err)
	}

	s := newStore(t)
	lines, err := s.Load(context.Background(), bytes.NewReader(tarDir(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Loaded image: web:2", "Loaded image ID: " + imageID(t, plain), "Loaded image: multi:1"}
	if !slices.Equal(lines, want) {
		t.Errorf("lines = %q, want %q", lines, want)
	}
	for ref, want := range map[string]v1.Image{"web:2": web, imageID(t, plain): plain, "multi:1": multiHere} {
		img, err := s.Lookup(ref)
		if err != nil || img.ID != imageID(t, want) {
			t.Errorf("Lookup %s = %v, %v; want ID %s", ref, img, err, imageID(t, want))
		}
	}
	if img, _ := s.Lookup("web:2"); img == nil || !slices.Equal(img.Config.Cmd, appConfig.Cmd) {
		t.Errorf("web:2 config = %+v", img)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	base := testLayer(t, entry{name: "bin/", typ: tar.TypeDir}, entry{name: "bin/sh", body: "sh", mode: 0o755},
		entry{name: "bin/ash", typ: tar.TypeLink, link: "bin/sh"}, entry{name: "lib", typ: tar.TypeSymlink, link: "usr/lib"})
	web := testImage(t, nil, appConfig, base, testLayer(t, entry{name: ".wh.lib"}, entry{name: "srv/index.html", body: "web"}))
	db := testImage(t, nil, v1.Config{Cmd: []string{"db"}}, base)

	s1 := newStore(t)
	if _, err := s1.Load(context.Background(), bytes.NewReader(dockerSave(t, map[string]v1.Image{"web:1": web, "web:2": web, "db:latest": db}))); err != nil {
		t.Fatal(err)
	}
	imported := importTar(t, s1, "imported:x", []string{"CMD [\"/bin/sh\"]"}, sampleTree...)
	untagged := importTar(t, s1, "", nil, entry{name: "u", body: "u"})

	var buf bytes.Buffer
	if err := s1.Save(&buf, []string{"web", "db:latest", "imported:x", untagged.ID[7:19]}); err != nil {
		t.Fatal(err)
	}
	// The registry library reads it back as Docker would, diffIDs checked against the config.
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }
	tag, _ := name.NewTag("web:2")
	if img, err := tarball.Image(opener, &tag); err != nil {
		t.Errorf("read saved web:2: %v", err)
	} else if err := checkLayers(img); err != nil {
		t.Errorf("saved web:2: %v", err)
	}

	s2 := newStore(t)
	lines, err := s2.Load(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	want := []string{"Loaded image ID: " + untagged.ID, "Loaded image: db:latest", "Loaded image: imported:x", "Loaded image: web:1", "Loaded image: web:2"}
	if !slices.Equal(lines, want) {
		t.Errorf("lines = %q, want %q", lines, want)
	}
	for ref, id := range map[string]string{"web:1": imageID(t, web), "web:2": imageID(t, web), "db": imageID(t, db), "imported:x": imported.ID, untagged.ID: untagged.ID} {
		if img, err := s2.Lookup(ref); err != nil || img.ID != id {
			t.Errorf("reloaded %s = %v, %v; want %s", ref, img, err, id)
		}
	}

	if err := s1.Save(io.Discard, []string{"nosuch"}); err == nil {
		t.Error("Save of a missing image succeeded")
	}
}

// checkLayers reads every layer of img to the end, which makes the library verify them.
func checkLayers(img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return err
		}
		want, _ := l.DiffID()
		if got := hex.EncodeToString(h.Sum(nil)); got != want.Hex {
			return fmt.Errorf("layer content is sha256:%s, diffID says %s", got, want)
		}
	}
	return nil
}

// hostileLayers are layers that Pull and Load must refuse, each naming the entry at fault.
var hostileLayers = []struct {
	name    string
	entries []entry
	bad     string
}{
	{"dotdot", []entry{{name: "../evil", body: "x"}}, "../evil"},
	{"dotdot inside", []entry{{name: "a/../../evil", body: "x"}}, "a/../../evil"},
	{"absolute path", []entry{{name: "/etc/evil", body: "x"}}, "/etc/evil"},
	{"symlink escape", []entry{
		{name: "link", typ: tar.TypeSymlink, link: "/"},
		{name: "link/etc/evil", body: "x"},
	}, "link/etc/evil"},
	{"symlink up", []entry{
		{name: "link", typ: tar.TypeSymlink, link: "../../.."},
		{name: "link/evil", body: "x"},
	}, "link/evil"},
	{"hardlink out", []entry{{name: "passwd", typ: tar.TypeLink, link: "../../etc/passwd"}}, "passwd"},
	{"hardlink absolute", []entry{{name: "passwd", typ: tar.TypeLink, link: "/etc/passwd"}}, "passwd"},
	{"hardlink through symlink", []entry{
		{name: "link", typ: tar.TypeSymlink, link: "/etc"},
		{name: "h", typ: tar.TypeLink, link: "link/passwd"},
	}, "h"},
	{"char device", []entry{{name: "dev/mem", typ: tar.TypeChar}}, "dev/mem"},
	{"block device", []entry{{name: "dev/sda", typ: tar.TypeBlock}}, "dev/sda"},
	{"bad whiteout", []entry{{name: "d/.wh..."}}, "d/.wh..."},
}

// assertNothingOutside checks that nothing named evil appeared around the store.
func assertNothingOutside(t *testing.T, outside string) {
	t.Helper()
	for _, p := range []string{"evil", "root/evil", "root/a/evil", "etc/evil"} {
		if _, err := os.Lstat(filepath.Join(outside, p)); err == nil {
			t.Errorf("%s was written outside the store", p)
		}
	}
}

func TestPullHostile(t *testing.T) {
	host, srv := newRegistry(t, nil)
	for _, tc := range hostileLayers {
		t.Run(tc.name, func(t *testing.T) {
			good := testLayer(t, entry{name: "ok", body: "fine"})
			pushImage(t, srv, "evil:latest", testImage(t, nil, v1.Config{}, good, testLayer(t, tc.entries...)))
			outside := t.TempDir()
			s, err := Open(filepath.Join(outside, "root", "a", "b"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Pull(context.Background(), host+"/evil", PullOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("err = %v, want it to name %q", err, tc.bad)
			}
			assertNothingStored(t, s)
			assertNothingOutside(t, outside)
		})
	}
}

func TestLoadHostile(t *testing.T) {
	for _, tc := range hostileLayers {
		t.Run(tc.name, func(t *testing.T) {
			img := testImage(t, nil, v1.Config{}, testLayer(t, entry{name: "ok", body: "fine"}), testLayer(t, tc.entries...))
			outside := t.TempDir()
			s, err := Open(filepath.Join(outside, "root", "a", "b"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Load(context.Background(), bytes.NewReader(dockerSave(t, map[string]v1.Image{"evil:1": img})))
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("err = %v, want it to name %q", err, tc.bad)
			}
			assertNothingStored(t, s)
			assertNothingOutside(t, outside)
		})
	}
}

// archiveOf writes a tar of regular files, in the order given (name, contents, name, ...).
func archiveOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var entries []entry
	for i := 0; i < len(files); i += 2 {
		entries = append(entries, entry{name: files[i], body: files[i+1]})
	}
	return makeTar(t, entries...)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Archives that are broken or lie about their contents.
func TestLoadBadArchives(t *testing.T) {
	good := dockerSave(t, map[string]v1.Image{"x:1": testImage(t, nil, v1.Config{}, testLayer(t, entry{name: "f", body: strings.Repeat("f", 5000)}))})

	layerTar := string(makeTar(t, entry{name: "f", body: "real"}))
	otherTar := string(makeTar(t, entry{name: "f", body: "claimed"}))
	cfgFor := func(diffTar string) string {
		return `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + sha256Hex([]byte(diffTar)) + `"]},"config":{}}`
	}
	manifest := func(cfgName, layerName string) string {
		return `[{"Config":"` + cfgName + `","RepoTags":["x:1"],"Layers":["` + layerName + `"]}]`
	}
	cfg := cfgFor(otherTar) // says the layer is otherTar, but the archive has layerTar
	diffMismatch := archiveOf(t, "manifest.json", manifest("c.json", "l/layer.tar"), "c.json", cfg, "l/layer.tar", layerTar)
	okCfg := cfgFor(layerTar)
	blobMismatch := archiveOf(t, "manifest.json", manifest("c.json", "blobs/sha256/"+sha256Hex([]byte(otherTar))),
		"c.json", okCfg, "blobs/sha256/"+sha256Hex([]byte(otherTar)), layerTar)
	cfgMismatch := archiveOf(t, "manifest.json", manifest(strings.Repeat("a", 64)+".json", "l/layer.tar"),
		strings.Repeat("a", 64)+".json", okCfg, "l/layer.tar", layerTar)
	missing := archiveOf(t, "manifest.json", manifest("c.json", "l/layer.tar"), "c.json", okCfg)
	escape := archiveOf(t, "manifest.json", manifest("c.json", "../l/layer.tar"), "c.json", okCfg, "../l/layer.tar", layerTar)
	ociLie := archiveOf(t, "oci-layout", `{"imageLayoutVersion":"1.0.0"}`,
		"index.json", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,"digest":"sha256:`+sha256Hex([]byte("{}"))+`"}]}`,
		"blobs/sha256/"+sha256Hex([]byte("{}")), `{"x":1}`)
	legit := archiveOf(t, "manifest.json", manifest("c.json", "l/layer.tar"), "c.json", okCfg, "l/layer.tar", layerTar)

	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"truncated gzip", gzipped(t, good)[:len(gzipped(t, good))-100], "unexpected EOF"},
		{"empty", nil, "empty archive"},
		{"not an archive", []byte(strings.Repeat("hello", 200)), "load"},
		{"uncompressed digest mismatch", diffMismatch, "l/layer.tar: uncompressed digest mismatch"},
		{"blob digest mismatch", blobMismatch, "digest mismatch"},
		{"config digest mismatch", cfgMismatch, "config " + strings.Repeat("a", 64) + ".json: digest mismatch"},
		{"layer missing", missing, "l/layer.tar is not in the archive"},
		{"member escapes", escape, "path outside the archive"},
		{"OCI blob lies", ociLie, "digest mismatch"},
		{"no manifest", archiveOf(t, "hello", "x"), "neither manifest.json nor index.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Load(context.Background(), bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			assertNothingStored(t, s)
		})
	}

	// The hand-made archive above is fine once it tells the truth.
	s := newStore(t)
	if lines, err := s.Load(context.Background(), bytes.NewReader(legit)); err != nil || !slices.Equal(lines, []string{"Loaded image: x:1"}) {
		t.Errorf("legit archive: %q, %v", lines, err)
	}
}

// Cancelling a load keeps nothing.
func TestLoadCancel(t *testing.T) {
	archive := dockerSave(t, map[string]v1.Image{"x:1": testImage(t, nil, v1.Config{}, testLayer(t, entry{name: "f", body: "f"}))})
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Load(ctx, bytes.NewReader(archive)); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v", err)
	}
	assertNothingStored(t, s)
}
