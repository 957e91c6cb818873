package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minilink/minilink/bridge"
)

// The integration tests run the real minilink binary as a user would, against a private state
// root, inside the private network and mount namespace that scripts/test.sh creates. Outside that
// namespace they are skipped: they would change the host's network.

var (
	binary   string // the minilink built for this run
	testRoot string // its --root
	kernelOK bool   // running as root inside the test namespace
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	kernelOK = os.Geteuid() == 0 && os.Getenv("MINILINK_TEST_NETNS") == "1"
	if !kernelOK {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "minilink-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "minilink")
	testRoot = filepath.Join(dir, "root")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build minilink: %v\n%s", err, out)
		return 1
	}
	images := exec.Command("../../scripts/images.sh")
	images.Env = append(os.Environ(), "MINILINK="+binary, "MINILINK_ROOT="+testRoot)
	if out, err := images.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build images: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	// Tear down what every test shares: containers a failed test left, then the bridge.
	if out, _ := exec.Command(binary, "--root", testRoot, "ps", "-aq", "--no-trunc").Output(); len(out) > 0 {
		args := append([]string{"--root", testRoot, "rm", "-f"}, strings.Fields(string(out))...)
		_ = exec.Command(binary, args...).Run()
	}
	if s, err := bridge.LoadSettings(testRoot); err == nil {
		if err := bridge.Remove(s); err != nil {
			fmt.Fprintln(os.Stderr, "remove bridge:", err)
			code = 1
		}
	}
	return code
}

// needKernel skips a test outside the private namespace of `make test`.
func needKernel(t *testing.T) {
	t.Helper()
	if !kernelOK {
		t.Skip("integration test: runs as root inside the private namespace of `sudo make test`")
	}
}

// result is what a user sees of one minilink command.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// ml runs minilink with args against the test root, with stdin closed.
func ml(t *testing.T, args ...string) result {
	t.Helper()
	return mlIn(t, "", args...)
}

func mlIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runML(t, testRoot, nil, stdin, args...)
}

// runML runs minilink with args against the state root root, with extra environment variables
// env and stdin. A minilink killed by a signal exits 128+signal, as a shell reports it.
func runML(t *testing.T, root string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--root", root}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("minilink --root %s %v: %v", root, args, err)
	}
	return r
}

// mustML runs minilink and fails the test unless it exits 0; it returns stdout.
func mustML(t *testing.T, args ...string) string {
	t.Helper()
	r := ml(t, args...)
	if r.code != 0 {
		t.Fatalf("minilink %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// runDetached starts a detached container and removes it when the test ends.
func runDetached(t *testing.T, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(mustML(t, append([]string{"run", "-d"}, args...)...))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want a 64-hex ID", id)
	}
	t.Cleanup(func() { ml(t, "rm", "-f", id) })
	return id
}

func inspect(t *testing.T, format, name string) string {
	t.Helper()
	return strings.TrimSpace(mustML(t, "inspect", "-f", format, name))
}

// wantError checks a user error: exit 125 and the message on stderr.
func wantError(t *testing.T, r result, msg string) {
	t.Helper()
	if r.code != 125 || !strings.Contains(r.stderr, msg) {
		t.Fatalf("want exit 125 with %q; got %s", msg, r)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Fatalf("want a one-line error, got %q", r.stderr)
	}
}

// hostState is what a failed command must not change: the containers and the kernel objects.
func hostState(t *testing.T) string {
	t.Helper()
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	rules, _ := exec.Command("iptables", "-S").Output()
	nat, _ := exec.Command("iptables", "-t", "nat", "-S").Output()
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	var overlay []string
	for _, l := range strings.Split(string(mounts), "\n") {
		if strings.Contains(l, testRoot) {
			overlay = append(overlay, l)
		}
	}
	var names []string
	for _, l := range strings.Split(string(links), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			names = append(names, strings.SplitN(f[1], "@", 2)[0])
		}
	}
	return fmt.Sprintf("containers: %s\nlinks: %v\nrules:\n%s\nnat:\n%s\nmounts: %d",
		mustML(t, "ps", "-aq", "--no-trunc"), names, rules, nat, len(overlay))
}

// eventually retries check until it succeeds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
