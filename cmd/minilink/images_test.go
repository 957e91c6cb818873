package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// startRegistry serves an in-process registry on loopback in the test namespace and returns its
// host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// pushSaved pushes the image minilink saves under ref to the registry as repo:tag.
func pushSaved(t *testing.T, ref, target string) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "img.tar")
	mustML(t, "save", "-o", archive, ref)
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := name.NewTag(target, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(dst, img); err != nil {
		t.Fatalf("push %s: %v", target, err)
	}
}

func TestPullRunAndLinkFromRegistry(t *testing.T) {
	needKernel(t)
	reg := startRegistry(t)
	pushSaved(t, "redis:latest", reg+"/library/redis:7")
	r := ml(t, "pull", reg+"/library/redis:7")
	if r.code != 0 {
		t.Fatalf("pull: %s", r)
	}
	want := regexp.MustCompile(`^7: Pulling from library/redis\n(?:[0-9a-f]{12}: [A-Za-z ]+\n)*Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ` +
		regexp.QuoteMeta(reg+"/library/redis:7") + `\n` + regexp.QuoteMeta(reg+"/library/redis:7") + `\n$`)
	if !want.MatchString(r.stdout) {
		t.Fatalf("pull output:\n%s", r.stdout)
	}
	if r := ml(t, "pull", reg+"/library/redis:7"); !strings.Contains(r.stdout, "Status: Image is up to date for") {
		t.Fatalf("second pull: %s", r)
	}
	// The pulled image runs, and links like the imported one.
	runDetached(t, "--name", "pulled-ds", reg+"/library/redis:7")
	if !pongs(redisPing(t, "", ipOf(t, "pulled-ds"))) {
		t.Fatal("the pulled redis does not answer")
	}
	env := mustML(t, "run", "--rm", "--link", "pulled-ds:redis", "alpine", "env")
	if !strings.Contains(env, "REDIS_ENV_REDIS_VERSION=") || !strings.Contains(env, "REDIS_PORT_6379_TCP=tcp://") {
		t.Fatalf("link to the pulled image:\n%s", env)
	}
	// run pulls a missing image first, its progress on stderr.
	pushSaved(t, "busybox:latest", reg+"/tools/box:1")
	r = ml(t, "run", "--rm", reg+"/tools/box:1", "echo", "pulled and ran")
	if r.code != 0 || r.stdout != "pulled and ran\n" || !strings.HasPrefix(r.stderr, "Unable to find image '"+reg+"/tools/box:1' locally\n1: Pulling from tools/box\n") {
		t.Fatalf("run of a missing image: %s", r)
	}
	ids := mustML(t, "images", "-q", "--no-trunc", reg+"/tools/box")
	t.Cleanup(func() { ml(t, "rmi", reg+"/tools/box:1", reg+"/library/redis:7") })
	if strings.TrimSpace(ids) == "" {
		t.Fatal("the pulled image is not listed")
	}
	// A name the registry does not have: a clear error, nothing kept.
	before := mustML(t, "images", "-q", "--no-trunc")
	wantError(t, ml(t, "pull", reg+"/nothing/here:1"), "nothing/here")
	if after := mustML(t, "images", "-q", "--no-trunc"); after != before {
		t.Fatalf("a failed pull changed the images:\n%s\n---\n%s", before, after)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	needKernel(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	mustML(t, "save", "-o", archive, "busybox")
	id := inspect(t, "{{.Id}}", "busybox")
	other := filepath.Join(t.TempDir(), "root")
	cmd := exec.Command(binary, "--root", other, "load", "-i", archive)
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "Loaded image: busybox:latest\n" {
		t.Fatalf("load: %v\n%s", err, out)
	}
	got, err := exec.Command(binary, "--root", other, "inspect", "-f", "{{.Id}}", "busybox").Output()
	if err != nil || strings.TrimSpace(string(got)) != id {
		t.Fatalf("loaded image ID %q, want %q (%v)", got, id, err)
	}
	// From stdin too.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd = exec.Command(binary, "--root", other, "load")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "Loaded image: busybox:latest\n" {
		t.Fatalf("load from stdin: %v\n%s", err, out)
	}
	// A truncated archive is refused and leaves nothing.
	data, _ := os.ReadFile(archive)
	cut := filepath.Join(t.TempDir(), "cut.tar")
	_ = os.WriteFile(cut, data[:len(data)/2], 0o644)
	fresh := filepath.Join(t.TempDir(), "root")
	cmd = exec.Command(binary, "--root", fresh, "load", "-i", cut)
	if out, err := cmd.CombinedOutput(); err == nil || cmd.ProcessState.ExitCode() != 125 {
		t.Fatalf("load of a truncated archive: %v\n%s", err, out)
	}
	if list, _ := exec.Command(binary, "--root", fresh, "images", "-q").Output(); len(list) != 0 {
		t.Fatalf("a failed load kept %s", list)
	}
	if entries, _ := os.ReadDir(filepath.Join(fresh, "layers")); len(entries) != 0 {
		t.Fatalf("a failed load kept layers: %v", entries)
	}
}
