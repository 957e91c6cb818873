package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunForegroundOutputAndExitCodes(t *testing.T) {
	needKernel(t)
	if r := ml(t, "run", "--rm", "busybox", "echo", "hello"); r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("echo: %s", r)
	}
	if r := ml(t, "run", "--rm", "busybox", "sh", "-c", "echo oops >&2; exit 3"); r.code != 3 || r.stderr != "oops\n" {
		t.Fatalf("exit 3: %s", r)
	}
	if r := ml(t, "run", "--rm", "busybox", "nosuchcommand"); r.code != 127 || !strings.Contains(r.stderr, `"nosuchcommand": executable file not found`) {
		t.Fatalf("missing command: %s", r)
	}
	if r := ml(t, "run", "--rm", "busybox", "/etc/passwd"); r.code != 126 {
		t.Fatalf("non-executable command: %s", r)
	}
	// --rm leaves nothing to list.
	if out := mustML(t, "ps", "-aq"); out != "" {
		t.Fatalf("ps -aq after --rm runs: %q", out)
	}
}

// TestRunDetachedCreateErrors: the monitor of run -d creates the container; a create it refuses is
// one line on stderr and exit 125, as from create, and changes nothing: no record, no kernel
// object, no monitor left waiting.
func TestRunDetachedCreateErrors(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "taken", "busybox", "sleep", "1000")
	before := hostState(t)
	wantError(t, ml(t, "run", "-d", "--name", "taken", "busybox", "sleep", "1000"), `Conflict. The container name "/taken" is already in use by container`)
	wantError(t, ml(t, "run", "-d", "--link", "nosuch:db", "busybox", "sleep", "1000"), "No such container: nosuch")
	wantError(t, ml(t, "run", "-d", "--name", "bad/name", "busybox", "true"), "Invalid container name (bad/name)")
	if after := hostState(t); after != before {
		t.Fatalf("refused run -d changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if cmdline, err := os.ReadFile("/proc/" + p.Name() + "/cmdline"); err == nil && strings.Contains(string(cmdline), "monitor\x00--create") {
			t.Fatalf("a refused run -d left its monitor: pid %s, %q", p.Name(), cmdline)
		}
	}
}

// TestRunEnvFromTheCaller: `-e NAME` without a value takes NAME from the environment of the
// command that runs (Docker's client side), also with -d, where the monitor creates the container;
// a NAME the caller has not set is left out.
func TestRunEnvFromTheCaller(t *testing.T) {
	needKernel(t)
	env := []string{"MINILINK_TEST_FROM_CALLER=from the caller"}
	r := mlEnv(t, env, "run", "-d", "--name", "envd", "-e", "MINILINK_TEST_FROM_CALLER", "-e", "MINILINK_TEST_UNSET", "busybox", "sleep", "1000")
	t.Cleanup(func() { ml(t, "rm", "-f", "envd") })
	if r.code != 0 {
		t.Fatalf("run -d -e NAME: %s", r)
	}
	want := "MINILINK_TEST_FROM_CALLER=from the caller\n"
	if got := mustML(t, "exec", "envd", "sh", "-c", "env | grep ^MINILINK_TEST_ | sort"); got != want {
		t.Fatalf("run -d -e NAME: the container's MINILINK_TEST_ variables are %q, want %q", got, want)
	}
	r = mlEnv(t, env, "run", "--rm", "-e", "MINILINK_TEST_FROM_CALLER", "-e", "MINILINK_TEST_UNSET", "busybox", "sh", "-c", "env | grep ^MINILINK_TEST_ | sort")
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run -e NAME in the foreground: %s, want stdout %q", r, want)
	}
}

func TestRunStdin(t *testing.T) {
	needKernel(t)
	if r := mlIn(t, "from stdin\n", "run", "--rm", "-i", "busybox", "cat"); r.stdout != "from stdin\n" {
		t.Fatalf("run -i cat: %s", r)
	}
	// Without -i the container's stdin is empty, as in Docker.
	if r := mlIn(t, "ignored\n", "run", "--rm", "busybox", "cat"); r.code != 0 || r.stdout != "" {
		t.Fatalf("run cat without -i: %s", r)
	}
}

func TestIsolation(t *testing.T) {
	needKernel(t)
	out := mustML(t, "run", "--rm", "busybox", "sh", "-c", `
		echo pid=$$
		echo net=$(ls /sys/class/net | tr '\n' ' ')
		echo keys=$(wc -c </proc/keys)
		echo timer_list=$(wc -c </proc/timer_list)
		if mount -t tmpfs none /tmp 2>/dev/null; then echo mount=allowed; else echo mount=refused; fi
		if echo 1 >/proc/sys/net/ipv4/ip_forward 2>/dev/null; then echo procsys=writable; else echo procsys=readonly; fi
		echo devices=$(ls /dev | tr '\n' ' ')
		grep -E '^Cap(Eff|Bnd)' /proc/self/status
		[ -e /proc/kcore ] && echo kcore=$(wc -c </proc/kcore) || true
	`)
	// Some kernels have no /proc/kcore; where the host has one, the container sees it masked.
	if _, err := os.Stat("/proc/kcore"); err == nil && !strings.Contains(out, "kcore=0\n") {
		t.Errorf("/proc/kcore not masked:\n%s", out)
	}
	for _, want := range []string{
		"pid=1\n",
		"net=eth0 lo\n",
		"keys=0\n",       // masked with /dev/null
		"timer_list=0\n", // masked
		"mount=refused\n",
		"procsys=readonly\n",
		"devices=fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero\n",
		"CapEff:\t00000000a80425fb\n", // Docker's 14 default capabilities
		"CapBnd:\t00000000a80425fb\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestContainerFilesAndEnv(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--name", "files", "busybox", "sleep", "1000")
	short := id[:12]
	ip := inspect(t, "{{.NetworkSettings.IPAddress}}", "files")
	if !regexp.MustCompile(`^172\.17\.0\.\d+$`).MatchString(ip) {
		t.Fatalf("IP %q not on the default bridge", ip)
	}
	if got := inspect(t, "{{.NetworkSettings.Networks.bridge.IPAddress}}", "files"); got != ip {
		t.Fatalf("Networks.bridge.IPAddress %q != IPAddress %q", got, ip)
	}
	hosts := mustML(t, "exec", "files", "cat", "/etc/hosts")
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" + ip + "\t" + short + "\n"
	if hosts != want {
		t.Fatalf("/etc/hosts:\n%s\nwant:\n%s", hosts, want)
	}
	if got := mustML(t, "exec", "files", "hostname"); got != short+"\n" {
		t.Fatalf("hostname %q, want %q", got, short)
	}
	if got := mustML(t, "exec", "files", "cat", "/etc/hostname"); got != short+"\n" {
		t.Fatalf("/etc/hostname %q", got)
	}
	resolv := mustML(t, "exec", "files", "cat", "/etc/resolv.conf")
	if strings.Contains(resolv, "nameserver 127.") || !strings.Contains(resolv, "nameserver ") {
		t.Fatalf("/etc/resolv.conf:\n%s", resolv)
	}
	env := mustML(t, "exec", "-e", "EXTRA=1", "files", "env")
	for _, want := range []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", "HOSTNAME=" + short + "\n", "HOME=/root\n", "EXTRA=1\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("exec env lacks %q:\n%s", want, env)
		}
	}
	// -h, -e, -w and --entrypoint as Docker applies them.
	out := mustML(t, "run", "--rm", "-h", "web.example", "-e", "A=1", "-e", "PATH=/p:/bin", "-w", "/work",
		"--entrypoint", "/bin/sh", "busybox", "-c", "hostname; pwd; echo $A; echo $PATH; tail -n1 /etc/hosts")
	if !regexp.MustCompile(`^web\.example\n/work\n1\n/p:/bin\n172\.17\.0\.\d+\tweb\.example web\n$`).MatchString(out) {
		t.Fatalf("run -h -e -w --entrypoint:\n%s", out)
	}
	if got := inspect(t, "{{json .Config.Env}}", "files"); got != `["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]` {
		t.Fatalf(".Config.Env = %s", got)
	}
}

func TestDetachedLifecycle(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--name", "web", "busybox", "httpd", "-f", "-p", "80")
	ps := mustML(t, "ps")
	if !regexp.MustCompile(`(?m)^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n` + id[:12] + ` +busybox +"httpd -f -p 80" +.* ago +Up .* +web\n`).MatchString(ps) {
		t.Fatalf("ps:\n%s", ps)
	}
	if got := inspect(t, "{{.State.Running}} {{.Name}} {{.Id}}", id[:8]); got != "true /web "+id {
		t.Fatalf("inspect by ID prefix: %q", got)
	}
	ip := inspect(t, "{{.NetworkSettings.IPAddress}}", "web")
	// A second container reaches the first over the bridge.
	page := mustML(t, "run", "--rm", "busybox", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "+ip+" 80")
	if !strings.HasPrefix(page, "HTTP/1.") {
		t.Fatalf("httpd over the bridge answered %q", page)
	}
	// The monitor keeps the container running after the CLI exited; exec joins it.
	if got := mustML(t, "exec", "web", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"); got != "httpd -f -p 80 " {
		t.Fatalf("pid 1 in web: %q", got)
	}
	if r := ml(t, "exec", "web", "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("exec exit code: %s", r)
	}

	wantError(t, ml(t, "rm", "web"), "You cannot remove a running container "+id+". Stop the container before attempting removal or force remove")

	// httpd as pid 1 ignores SIGTERM: stop waits -t seconds, then kills.
	start := time.Now()
	if out := mustML(t, "stop", "-t", "1", "web"); out != "web\n" {
		t.Fatalf("stop printed %q", out)
	}
	if time.Since(start) > 8*time.Second {
		t.Fatalf("stop -t 1 took %s", time.Since(start))
	}
	if got := inspect(t, "{{.State.Running}} {{.State.ExitCode}} {{.NetworkSettings.IPAddress}}", "web"); got != "false 137" {
		t.Fatalf("after stop: %q", got)
	}
	if ps := mustML(t, "ps", "-a"); !regexp.MustCompile(`Exited \(137\) .* ago +web`).MatchString(ps) {
		t.Fatalf("ps -a after stop:\n%s", ps)
	}
	wantError(t, ml(t, "exec", "web", "true"), "Container "+id+" is not running")

	// start brings it back with a fresh veth; restart too.
	if out := mustML(t, "start", "web"); out != "web\n" {
		t.Fatalf("start printed %q", out)
	}
	if got := inspect(t, "{{.State.Running}}", "web"); got != "true" {
		t.Fatal("not running after start")
	}
	mustML(t, "restart", "-t", "0", "web")
	if got := inspect(t, "{{.State.Running}}", "web"); got != "true" {
		t.Fatal("not running after restart")
	}
	mustML(t, "kill", "web")
	if got := inspect(t, "{{.State.Running}} {{.State.ExitCode}}", "web"); got != "false 137" {
		t.Fatalf("after kill: %q", got)
	}
	if out := mustML(t, "rm", "web"); out != "web\n" {
		t.Fatalf("rm printed %q", out)
	}
	wantError(t, ml(t, "inspect", "web"), "No such object: web")
	wantError(t, ml(t, "start", "web"), "No such container: web")
}

func TestExitedByItself(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "short", "busybox", "sh", "-c", "echo out; echo err >&2; exit 4")
	// The monitor records the exit and releases the network within moments.
	eventually(t, 5*time.Second, func() error {
		if got := inspect(t, "{{.State.Status}} {{.State.ExitCode}} {{.NetworkSettings.IPAddress}}", "short"); got != "exited 4" {
			return fmt.Errorf("state %q", got)
		}
		return nil
	})
	r := ml(t, "logs", "short")
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("logs: %s", r)
	}
	// Run it again: the same output is appended, as Docker's json-file log does.
	if r := ml(t, "start", "-a", "short"); r.code != 4 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("start -a: %s", r)
	}
	if r := ml(t, "logs", "short"); r.stdout != "out\nout\n" {
		t.Fatalf("logs after start -a: %s", r)
	}
}

// A detached container's monitor turns into the waiter (package waiter) once the container runs:
// output written after that, long lines and bytes that are not UTF-8 reach the log as the Go
// monitor wrote them, and the exit status comes back.
func TestDetachedOutputThroughWaiter(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "chatty", "busybox", "sh", "-c",
		"while [ ! -e /tmp/go ]; do sleep 0.05; done; echo late; printf '\\377<&>\\n' >&2; head -c 40000 /dev/zero | tr '\\0' x; echo; exit 3")
	// The container's parent is its monitor: while the container waits, the waiter runs in C,
	// one thread, where a Go process has several.
	pid := inspect(t, "{{.State.Pid}}", "chatty")
	monitor := procStatus(t, pid, "PPid")
	eventually(t, 5*time.Second, func() error {
		if threads := procStatus(t, monitor, "Threads"); threads != "1" {
			return fmt.Errorf("monitor %s has %s threads, want the waiter's 1", monitor, threads)
		}
		return nil
	})
	mustML(t, "exec", "chatty", "touch", "/tmp/go")
	eventually(t, 10*time.Second, func() error {
		if got := inspect(t, "{{.State.Status}} {{.State.ExitCode}}", "chatty"); got != "exited 3" {
			return fmt.Errorf("state %q", got)
		}
		return nil
	})
	r := ml(t, "logs", "chatty")
	if want := "late\n" + strings.Repeat("x", 40000) + "\n"; r.stdout != want {
		t.Errorf("logs stdout: %d bytes %.40q…, want %d bytes %.40q…", len(r.stdout), r.stdout, len(want), want)
	}
	if r.stderr != "\ufffd<&>\n" {
		t.Errorf("logs stderr: %q", r.stderr)
	}
}

// procStatus is one field of /proc/PID/status.
func procStatus(t *testing.T, pid, field string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && name == field {
			return strings.TrimSpace(value)
		}
	}
	t.Fatalf("no %s in /proc/%s/status", field, pid)
	return ""
}

func TestRenameAndNames(t *testing.T) {
	needKernel(t)
	id := strings.TrimSpace(mustML(t, "create", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", id) })
	name := inspect(t, "{{.Name}}", id)
	if !regexp.MustCompile(`^/[a-z]+_[a-z_]+\d?$`).MatchString(name) {
		t.Fatalf("generated name %q", name)
	}
	if got := inspect(t, "{{.State.Status}}", id); got != "created" {
		t.Fatalf("created container status %q", got)
	}
	mustML(t, "rename", id, "renamed")
	if got := inspect(t, "{{.Name}}", "renamed"); got != "/renamed" {
		t.Fatalf("after rename: %q", got)
	}
	other := strings.TrimSpace(mustML(t, "create", "--name", "other", "busybox", "true"))
	t.Cleanup(func() { ml(t, "rm", "-f", other) })
	wantError(t, ml(t, "rename", "renamed", "other"), `Conflict. The container name "/other" is already in use by container "`+other+`"`)
}

func TestBadInputChangesNothing(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "taken", "busybox", "sleep", "1000")
	before := hostState(t)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--pull", "never", "nosuchimage"}, "Unable to find image 'nosuchimage' locally"},
		{[]string{"run", "--pull", "sometimes", "busybox"}, `invalid pull policy "sometimes"`},
		{[]string{"run", "--bogus", "busybox"}, "unknown flag: --bogus"},
		{[]string{"run", "--name", "taken", "busybox", "true"}, `Conflict. The container name "/taken" is already in use`},
		{[]string{"run", "--name", "bad name", "busybox", "true"}, "Invalid container name (bad name)"},
		{[]string{"run", "--net", "bogus", "busybox", "true"}, "network bogus not found"},
		{[]string{"run", "--net", "container:nosuch", "busybox", "true"}, "No such container: nosuch"},
		{[]string{"run", "--expose", "abc", "busybox", "true"}, "invalid range format for --expose: abc"},
		{[]string{"run", "-w", "relative", "busybox", "true"}, "the working directory 'relative' is invalid"},
		{[]string{"run", "-u", "nosuchuser", "busybox", "true"}, "unable to find user nosuchuser"},
		{[]string{"stop", "nosuch"}, "No such container: nosuch"},
		{[]string{"rm", "nosuch"}, "No such container: nosuch"},
		{[]string{"exec", "nosuch", "true"}, "No such container: nosuch"},
		{[]string{"logs", "nosuch"}, "No such container: nosuch"},
		{[]string{"kill", "-s", "NOPE", "taken"}, "invalid signal: NOPE"},
		{[]string{"network", "set", "--subnet", "nonsense"}, "invalid subnet nonsense"},
		{[]string{"network", "set", "--subnet", "10.9.0.0/16"}, "cannot change network settings while containers are running"},
		{[]string{"import", "/nonexistent.tar", "x"}, "/nonexistent.tar"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantError(t, ml(t, tc.args...), tc.msg)
		})
	}
	// A missing image is pulled first, as Docker does; here there is no registry to reach.
	r := ml(t, "run", "nosuchimage")
	if r.code != 125 || !strings.HasPrefix(r.stderr, "Unable to find image 'nosuchimage:latest' locally\nlatest: Pulling from library/nosuchimage\nminilink: ") {
		t.Fatalf("run of a missing image without a registry: %s", r)
	}
	// -u nosuchuser fails at start: run leaves the container Created, as Docker does; remove it.
	for _, line := range strings.Split(strings.TrimSpace(mustML(t, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}")), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == "created" {
			mustML(t, "rm", f[0])
		}
	}
	if after := hostState(t); after != before {
		t.Fatalf("state changed by bad input:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestConcurrentRunsGetDistinctAddresses(t *testing.T) {
	needKernel(t)
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(binary, "--root", testRoot, "run", "-d", "busybox", "sleep", "1000").Output()
			ids[i], errs[i] = strings.TrimSpace(string(out)), err
		}()
	}
	wg.Wait()
	t.Cleanup(func() { ml(t, append([]string{"rm", "-f"}, ids...)...) })
	ips := map[string]bool{}
	names := map[string]bool{}
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		ip := inspect(t, "{{.NetworkSettings.IPAddress}}", id)
		name := inspect(t, "{{.Name}}", id)
		if ips[ip] || names[name] {
			t.Fatalf("duplicate address %s or name %s", ip, name)
		}
		ips[ip], names[name] = true, true
	}
}

// TestDemo runs the walkthrough of `sudo make demo` unattended, as CI would.
func TestDemo(t *testing.T) {
	needKernel(t)
	cmd := exec.Command("../../scripts/demo.sh")
	cmd.Env = append(cmd.Environ(), "MINILINK="+binary, "MINILINK_ROOT="+testRoot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"$ minilink run -d --name datastore redis\n",
		"$ minilink run -d -P --name web-unlinked trainingwheels\n",
		" 500 Internal Server Error\nCould not reach redis\n",
		"\tredis ",
		"REDIS_PORT_6379_TCP_ADDR=172.17.0.",
		"This page has been viewed 1 times.\n",
		"This page has been viewed 2 times.\n",
		"REDIS_NAME=/web/redis\n",
		"(no REDIS_ variables without a link)\n",
		"--ctstate DNAT -j ACCEPT\n",
		"This page has been viewed 3 times.\n",
		"no answer: blocked\n",
		"\ndone\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// TestFreshHostWithoutBridge: on a host where minilink never set up its bridge (no iptables table
// made yet), containers that need no bridge still run, and network show says what is missing.
func TestFreshHostWithoutBridge(t *testing.T) {
	needKernel(t)
	script := `set -e
mount --make-rprivate /
mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
M="` + binary + ` --root ` + testRoot + `"
$M run --rm --net none busybox echo none
$M run --rm --net host busybox echo host
$M network show | head -n1
`
	out, err := exec.Command("unshare", "--net", "--mount", "--fork", "bash", "-c", script).CombinedOutput()
	if err != nil || string(out) != "none\nhost\nbridge minilink0  172.17.0.0/16  gateway 172.17.0.1  icc=true  (MISSING in the kernel)\n" {
		t.Fatalf("fresh host: %v\n%s", err, out)
	}
}

// TestSignalsReachTheForegroundProgram: a signal sent to a foreground `run` or `exec` (a kill, the
// terminal's Ctrl-C) goes to the container's program, as with Docker's CLI, and minilink exits
// with the program's status once it has released the container.
func TestSignalsReachTheForegroundProgram(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "sigweb", "busybox", "sleep", "1000")
	trap := func(code int) []string {
		return []string{"sh", "-c", fmt.Sprintf(`trap "exit %d" TERM INT; echo ready; sleep 1000 & wait`, code)}
	}
	for _, tt := range []struct {
		name string
		args []string
		sig  syscall.Signal
		code int
	}{
		{"run, SIGTERM", append([]string{"run", "--rm", "busybox"}, trap(42)...), syscall.SIGTERM, 42},
		{"run, SIGINT", append([]string{"run", "--rm", "busybox"}, trap(43)...), syscall.SIGINT, 43},
		{"exec, SIGTERM", append([]string{"exec", "sigweb"}, trap(44)...), syscall.SIGTERM, 44},
	} {
		cmd := exec.Command(binary, append([]string{"--root", testRoot}, tt.args...)...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, len("ready\n"))
		if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
			_ = cmd.Process.Kill()
			t.Fatalf("%s: the program did not start: %q, %v", tt.name, line, err)
		}
		if err := cmd.Process.Signal(tt.sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
				t.Errorf("%s: minilink ended with %v, want exit status %d (the program's trap)", tt.name, err, tt.code)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%s: the signal did not end the program within 10 s", tt.name)
		}
	}
	if r := ml(t, "ps", "-aq"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("containers left by the foreground runs (only sigweb should be there):\n%s", mustML(t, "ps", "-a"))
	}
}
