package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// newRegistry starts an in-process registry on loopback, its handler wrapped by wrap when set,
// and returns its host:port. Pushes go straight to the unwrapped registry.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) (host string, push *httptest.Server) {
	t.Helper()
	// No credentials from the machine running the tests.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := reg
	if wrap != nil {
		h = wrap(reg)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if wrap == nil {
		return strings.TrimPrefix(srv.URL, "http://"), srv
	}
	direct := httptest.NewServer(reg)
	t.Cleanup(direct.Close)
	return strings.TrimPrefix(srv.URL, "http://"), direct
}

// pushImage writes img to the registry behind srv as repo:tag and returns its digest.
func pushImage(t *testing.T, srv *httptest.Server, repoTag string, img v1.Image) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testLayer makes a gzip layer of the given tar entries.
func testLayer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	data := makeTar(t, entries...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage stacks layers into an image with cfg, built for platform p when p is set.
func testImage(t *testing.T, p *v1.Platform, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config = cfg
	if p != nil {
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

func imageID(t *testing.T, img v1.Image) string {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// assertNothingStored checks that a failed pull or load left no image, layer, tag or temp dir.
func assertNothingStored(t *testing.T, s *Store) {
	t.Helper()
	if left := storeContents(t, s); len(left) != 0 {
		t.Errorf("store not empty: %v", left)
	}
	if imgs, err := s.List(); err != nil || len(imgs) != 0 {
		t.Errorf("List = %v, %v", imgs, err)
	}
	if repos, err := s.loadRepos(); err != nil || len(repos) != 0 {
		t.Errorf("tags = %v, %v", repos, err)
	}
}

// layerDirCount counts the unpacked layer directories.
func layerDirCount(t *testing.T, s *Store) int {
	t.Helper()
	entries, err := os.ReadDir(s.layersDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n
}

var appConfig = v1.Config{
	Env:          []string{"PATH=/bin", "GREETING=hello"},
	Cmd:          []string{"/bin/app", "--serve"},
	Entrypoint:   []string{"/bin/tini", "--"},
	WorkingDir:   "/srv",
	User:         "1000",
	ExposedPorts: map[string]struct{}{"8080/tcp": {}},
}

func TestPullByTagAndDigest(t *testing.T) {
	host, srv := newRegistry(t, nil)
	img := testImage(t, nil, appConfig,
		testLayer(t, entry{name: "bin/", typ: tar.TypeDir}, entry{name: "bin/app", body: "app v1", mode: 0o755}),
		testLayer(t, entry{name: "srv/index.html", body: "<h1>hi</h1>"}),
	)
	digest := pushImage(t, srv, "team/app:1", img)

	s := newStore(t)
	res, err := s.Pull(context.Background(), host+"/team/app:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := PullResult{Reference: host + "/team/app:1", Tag: host + "/team/app:1", Digest: digest.String()}
	if res.Reference != want.Reference || res.Tag != want.Tag || res.Digest != want.Digest || res.UpToDate {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	got, err := s.Lookup(host + "/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != imageID(t, img) || res.Image.ID != got.ID {
		t.Errorf("ID = %s (result %s), want %s", got.ID, res.Image.ID, imageID(t, img))
	}
	if !slices.Equal(got.Config.Env, appConfig.Env) || !slices.Equal(got.Config.Cmd, appConfig.Cmd) ||
		!slices.Equal(got.Config.Entrypoint, appConfig.Entrypoint) || got.Config.WorkingDir != "/srv" ||
		got.Config.User != "1000" || len(got.Config.ExposedPorts) != 1 {
		t.Errorf("config = %+v", got.Config)
	}
	dirs := s.LayerDirs(got)
	if len(dirs) != 2 {
		t.Fatalf("layer dirs = %v", dirs)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[1], "bin/app")); err != nil || string(b) != "app v1" {
		t.Errorf("bottom layer bin/app = %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "srv/index.html")); err != nil || string(b) != "<h1>hi</h1>" {
		t.Errorf("top layer srv/index.html = %q, %v", b, err)
	}

	// Again: nothing to do, and Docker's "Image is up to date".
	var events []ProgressEvent
	res, err = s.Pull(context.Background(), host+"/team/app:1", PullOptions{Progress: func(e ProgressEvent) { events = append(events, e) }})
	if err != nil || !res.UpToDate || len(events) != 0 {
		t.Errorf("second pull = %+v, %v, events %v", res, err, events)
	}

	// By digest, into another store: no tag, found by ID.
	s2 := newStore(t)
	res, err = s2.Pull(context.Background(), host+"/team/app@"+digest.String(), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "" || res.Reference != host+"/team/app@"+digest.String() || res.Digest != digest.String() || res.UpToDate {
		t.Errorf("by digest = %+v", res)
	}
	if got, err := s2.Lookup(imageID(t, img)); err != nil || len(got.RepoTags) != 0 {
		t.Errorf("Lookup by ID = %+v, %v", got, err)
	}
	if res, err = s2.Pull(context.Background(), host+"/team/app@"+digest.String(), PullOptions{}); err != nil || !res.UpToDate {
		t.Errorf("by digest again = %+v, %v", res, err)
	}
}

func TestPullReferenceNames(t *testing.T) {
	tests := []struct {
		ref, reference, tag string
	}{
		{"redis", "docker.io/library/redis:latest", "redis:latest"},
		{"library/redis:7", "docker.io/library/redis:7", "redis:7"},
		{"docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7"},
		{"jpetazzo/trainingwheels", "docker.io/jpetazzo/trainingwheels:latest", "jpetazzo/trainingwheels:latest"},
		{"localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x:1"},
	}
	for _, tc := range tests {
		r, err := name.ParseReference(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := normalizeRef(r.Context().Name() + ":" + r.Identifier())
		if got := dockerReference(r); got != tc.reference || err != nil || tag != tc.tag {
			t.Errorf("%s: reference %q, tag %q (%v); want %q, %q", tc.ref, got, tag, err, tc.reference, tc.tag)
		}
	}
}

// otherArch is an architecture this machine is not.
func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

func TestPullMultiArch(t *testing.T) {
	host, srv := newRegistry(t, nil)
	here := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	there := v1.Platform{OS: "linux", Architecture: otherArch()}
	imgHere := testImage(t, &here, v1.Config{Cmd: []string{"here"}}, testLayer(t, entry{name: "arch", body: here.Architecture}))
	imgThere := testImage(t, &there, v1.Config{Cmd: []string{"there"}}, testLayer(t, entry{name: "arch", body: there.Architecture}))

	both := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: imgThere, Descriptor: v1.Descriptor{Platform: &there}},
		mutate.IndexAddendum{Add: imgHere, Descriptor: v1.Descriptor{Platform: &here}},
	)
	only := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: imgThere, Descriptor: v1.Descriptor{Platform: &there}})
	for tag, idx := range map[string]v1.ImageIndex{"both": both, "only": only} {
		ref, _ := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/multi:" + tag)
		if err := remote.WriteIndex(ref, idx); err != nil {
			t.Fatal(err)
		}
	}
	bothDigest, _ := both.Digest()

	tests := []struct {
		name     string
		tag      string
		platform string
		wantID   string
		wantErr  string
	}{
		{"host platform chosen", "both", "", imageID(t, imgHere), ""},
		{"platform asked for", "both", "linux/" + otherArch(), imageID(t, imgThere), ""},
		{"no entry for the host", "only", "", "", "no matching manifest for linux/" + runtime.GOARCH + " in the manifest list entries (available: linux/" + otherArch() + ")"},
		{"no entry for the asked platform", "both", "linux/s390x", "", "no matching manifest for linux/s390x"},
		{"bad platform", "both", "linux", "", "invalid platform"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			res, err := s.Pull(context.Background(), host+"/multi:"+tc.tag, PullOptions{Platform: tc.platform})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				assertNothingStored(t, s)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Image.ID != tc.wantID || res.Digest != bothDigest.String() {
				t.Errorf("pulled %s (digest %s), want %s (index digest %s)", res.Image.ID, res.Digest, tc.wantID, bothDigest)
			}
		})
	}

	// A single-platform image for another platform is refused too.
	pushImage(t, srv, "single:there", imgThere)
	s := newStore(t)
	if _, err := s.Pull(context.Background(), host+"/single:there", PullOptions{}); err == nil || !strings.Contains(err.Error(), "does not match the requested platform") {
		t.Errorf("other platform image: err = %v", err)
	}
	assertNothingStored(t, s)
}

// Two images on one base: the base is downloaded and unpacked once, "Already exists" the second
// time, and survives the removal of either image until both are gone.
func TestPullSharedBase(t *testing.T) {
	host, srv := newRegistry(t, nil)
	base, err := random.Layer(5<<20, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	baseDigest, _ := base.Digest()
	img1 := testImage(t, nil, v1.Config{Cmd: []string{"one"}}, base, testLayer(t, entry{name: "one", body: "1"}))
	img2 := testImage(t, nil, v1.Config{Cmd: []string{"two"}}, base, testLayer(t, entry{name: "two", body: "2"}))
	pushImage(t, srv, "one:latest", img1)
	pushImage(t, srv, "two:latest", img2)

	s := newStore(t)
	if _, err := s.Pull(context.Background(), host+"/one", PullOptions{}); err != nil {
		t.Fatal(err)
	}
	var events []ProgressEvent
	if _, err := s.Pull(context.Background(), host+"/two", PullOptions{Progress: func(e ProgressEvent) { events = append(events, e) }}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(events, ProgressEvent{ID: short(baseDigest), Status: "Already exists"}) {
		t.Errorf("no Already exists for the base in %v", events)
	}
	if n := layerDirCount(t, s); n != 3 {
		t.Errorf("%d layer dirs, want 3 (base once, two tops)", n)
	}
	du := map[string]int64{}
	entries, _ := os.ReadDir(s.layersDir())
	for _, e := range entries {
		if e.IsDir() {
			du[e.Name()[:12]] = dirSize(t, filepath.Join(s.layersDir(), e.Name()))
		}
	}
	t.Logf("bytes of regular files per layer dir: %v", du)

	lines, err := s.Remove(host+"/one", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 { // Untagged, Deleted image, Deleted top layer: not the base
		t.Errorf("Remove one = %q", lines)
	}
	img, err := s.Lookup(host + "/two")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range s.LayerDirs(img) {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("layer of the remaining image gone: %v", err)
		}
	}
	if _, err := s.Remove(host+"/two", false); err != nil {
		t.Fatal(err)
	}
	if left := storeContents(t, s); len(left) != 0 {
		t.Errorf("left after removing both: %v", left)
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPullErrors(t *testing.T) {
	img := testImage(t, nil, v1.Config{}, testLayer(t, entry{name: "f", body: strings.Repeat("data", 1000)}))
	layers, _ := img.Layers()
	layerDigest, _ := layers[0].Digest()

	basicAuth := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, _, ok := r.BasicAuth(); !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="minilink test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	corrupt := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+layerDigest.String()) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body[len(body)/2] ^= 0xff
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
	truncate := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+layerDigest.String()) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
			w.WriteHeader(http.StatusOK)
			w.Write(rec.Body.Bytes()[:rec.Body.Len()/2]) // then the connection ends early
		})
	}

	tests := []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		ref     string
		wantErr []string
	}{
		{"auth required", basicAuth, "/app:1", []string{"pull access denied for ", "/app, repository does not exist or may require authentication"}},
		{"no such repository", nil, "/nosuch:1", []string{"pull access denied for ", "/nosuch, repository does not exist"}},
		{"no such tag", nil, "/app:2", []string{"manifest for ", "/app:2 not found: manifest unknown"}},
		{"corrupted blob", corrupt, "/app:1", []string{"verification failed", layerDigest.String()}},
		{"truncated blob", truncate, "/app:1", []string{layerDigest.String(), "EOF"}},
		{"bad reference", nil, "/App:1", []string{"invalid reference format"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host, srv := newRegistry(t, tc.wrap)
			pushImage(t, srv, "app:1", img)
			s := newStore(t)
			_, err := s.Pull(context.Background(), host+tc.ref, PullOptions{})
			if err == nil {
				t.Fatal("pull succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
			t.Logf("err: %v", err)
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not a one-liner: %q", err)
			}
			assertNothingStored(t, s)
		})
	}
}

// Each layer's events come in Docker's order.
func TestPullProgress(t *testing.T) {
	host, srv := newRegistry(t, nil)
	var layers []v1.Layer
	for i := range 5 { // more than pullJobs, so some wait
		l, err := random.Layer(int64(100000+i), types.DockerLayer)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	pushImage(t, srv, "five:latest", testImage(t, nil, v1.Config{}, layers...))
	s := newStore(t)
	var events []ProgressEvent
	if _, err := s.Pull(context.Background(), host+"/five", PullOptions{Progress: func(e ProgressEvent) { events = append(events, e) }}); err != nil {
		t.Fatal(err)
	}
	order := []string{"Pulling fs layer", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete"}
	waiting := 0
	for _, l := range layers {
		d, _ := l.Digest()
		size, _ := l.Size()
		var statuses []string
		for _, e := range events {
			if e.ID != short(d) {
				continue
			}
			if e.Status == "Waiting" {
				waiting++
				continue
			}
			if (e.Status == "Downloading" || e.Status == "Extracting") && (e.Total != size || e.Current > size) {
				t.Errorf("%s: %s %d/%d, size %d", e.ID, e.Status, e.Current, e.Total, size)
			}
			if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
				statuses = append(statuses, e.Status)
			}
		}
		if !slices.Equal(statuses, order) {
			t.Errorf("layer %s: statuses %q, want %q", short(d), statuses, order)
		}
	}
	if waiting != len(layers)-pullJobs {
		t.Errorf("%d layers Waiting, want %d", waiting, len(layers)-pullJobs)
	}
	// Layers complete bottom first.
	var completed []string
	for _, e := range events {
		if e.Status == "Pull complete" {
			completed = append(completed, e.ID)
		}
	}
	for i, l := range layers {
		if d, _ := l.Digest(); i >= len(completed) || completed[i] != short(d) {
			t.Errorf("Pull complete order %v", completed)
			break
		}
	}
}

// Ctrl-C at any point keeps nothing.
func TestPullCancel(t *testing.T) {
	host, srv := newRegistry(t, nil)
	var layers []v1.Layer
	for range 4 {
		l, err := random.Layer(2<<20, types.DockerLayer)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	pushImage(t, srv, "big:latest", testImage(t, nil, v1.Config{}, layers...))
	for _, at := range []string{"Pulling fs layer", "Downloading", "Download complete", "Extracting", "Pull complete"} {
		t.Run(at, func(t *testing.T) {
			s := newStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := s.Pull(ctx, host+"/big", PullOptions{Progress: func(e ProgressEvent) {
				if e.Status == at {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			assertNothingStored(t, s)
		})
	}
}

// Plain HTTP goes to loopback registries only, unless insecure.
func TestRegistryTransportRefusesPlainHTTP(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		refused  bool
	}{
		{"http://10.0.0.7:5000/v2/", false, true},
		{"http://registry.example.com/v2/", false, true},
		{"http://10.0.0.7:5000/v2/", true, false},
		{"http://127.0.0.1:1/v2/", false, false},
		{"http://127.1.2.3:1/v2/", false, false},
		{"http://localhost:1/v2/", false, false},
		{"http://[::1]:1/v2/", false, false},
	}
	for _, tc := range tests {
		g := &httpGuard{next: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
		}), insecure: tc.insecure}
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		_, err := g.RoundTrip(req)
		if refused := err != nil; refused != tc.refused {
			t.Errorf("%s insecure=%v: err = %v, want refused %v", tc.url, tc.insecure, err, tc.refused)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
