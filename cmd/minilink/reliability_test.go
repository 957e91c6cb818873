package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The reliability tests: minilink killed at chosen points (MINILINK_CRASH_AT, see package
// checkpoint), many commands at once, a simulated reboot, and the signals of stop and run. After
// each, the records and the kernel must agree (consistent).

// mlEnv runs minilink like ml, with extra environment variables.
func mlEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runML(t, testRoot, env, "", args...)
}

// record is what consistent needs of `minilink inspect`.
type record struct {
	ID    string `json:"Id"`
	Name  string
	State struct {
		Running bool
		Pid     int
	}
	HostConfig struct {
		NetworkMode string
		Links       []string
	}
	NetworkSettings struct {
		IPAddress string
	}
}

func records(t *testing.T) []record {
	t.Helper()
	ids := strings.Fields(mustML(t, "ps", "-aq", "--no-trunc"))
	if len(ids) == 0 {
		return nil
	}
	var out []record
	if err := json.Unmarshal([]byte(mustML(t, append([]string{"inspect"}, ids...)...)), &out); err != nil {
		t.Fatalf("inspect: %v", err)
	}
	for i := range out {
		out[i].Name = strings.TrimPrefix(out[i].Name, "/")
	}
	return out
}

// consistent checks that the kernel holds exactly what the records say, and nothing of a
// container that does not run: for each running bridge container its netns name, mount and a veth
// on the bridge; for the others no netns name, no mount, no cgroup; addresses unique; the
// MINILINK filter chain exactly the link rules of running pairs (every child here is a redis,
// port 6379/tcp); no container directory without a record.
func consistent(t *testing.T) {
	t.Helper()
	recs := records(t)
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	byName := map[string]record{}
	ips := map[string]string{}
	runningBridge := 0
	var problems []string
	for _, c := range recs {
		byName[c.Name] = c
		_, nsErr := os.Stat("/run/netns/minilink-" + c.Name)
		mounted := bytes.Contains(mounts, []byte("/containers/"+c.ID+"/rootfs "))
		cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/minilink/" + c.ID)
		if v2, _ := filepath.Glob("/sys/fs/cgroup/minilink/" + c.ID); len(v2) > 0 {
			cgroups = append(cgroups, v2...)
		}
		if c.State.Running {
			if c.HostConfig.NetworkMode == "bridge" || c.HostConfig.NetworkMode == "default" {
				runningBridge++
				if nsErr != nil {
					problems = append(problems, c.Name+" runs without its netns name")
				}
				if other, dup := ips[c.NetworkSettings.IPAddress]; dup {
					problems = append(problems, fmt.Sprintf("%s and %s share %s", c.Name, other, c.NetworkSettings.IPAddress))
				}
				ips[c.NetworkSettings.IPAddress] = c.Name
			}
			if !mounted {
				problems = append(problems, c.Name+" runs without its root filesystem mount")
			}
			continue
		}
		if nsErr == nil {
			problems = append(problems, c.Name+" stopped, but /run/netns/minilink-"+c.Name+" is there")
		}
		if mounted {
			problems = append(problems, c.Name+" stopped, but its root filesystem is mounted")
		}
		if len(cgroups) > 0 {
			problems = append(problems, fmt.Sprintf("%s stopped, but its cgroups are there: %v", c.Name, cgroups))
		}
	}
	veths, _ := exec.Command("ip", "-o", "link", "show", "master", "minilink0").Output()
	if n := strings.Count(string(veths), "\n"); n != runningBridge {
		problems = append(problems, fmt.Sprintf("%d devices on the bridge for %d running bridge containers:\n%s", n, runningBridge, veths))
	}
	var want []string
	if strings.Contains(mustML(t, "network", "inspect"), `"ICC": false`) {
		for _, p := range recs {
			for _, l := range p.HostConfig.Links {
				child := byName[strings.TrimPrefix(strings.SplitN(l, ":", 2)[0], "/")]
				if p.State.Running && child.State.Running {
					want = append(want, pairFor(p.NetworkSettings.IPAddress, child.NetworkSettings.IPAddress, 6379, "tcp")...)
				}
			}
		}
	}
	got := linkRules(t)
	sort.Strings(got)
	sort.Strings(want)
	want = slices.Compact(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		problems = append(problems, fmt.Sprintf("MINILINK rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n")))
	}
	dirs, _ := os.ReadDir(filepath.Join(testRoot, "containers"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(testRoot, "containers", d.Name(), "container.json")); err != nil {
			problems = append(problems, "directory without a record: "+d.Name())
		}
	}
	if len(problems) > 0 {
		t.Fatalf("records and kernel disagree:\n%s", strings.Join(problems, "\n"))
	}
}

func statusOf(t *testing.T, name string) string {
	t.Helper()
	return inspect(t, "{{.State.Status}}", name)
}

// startCrashPoints are the checkpoints of a start, in order (the veth and the rules are made while
// libcontainer starts the process, so those two come before or after "libcontainer start"); a
// detached start runs them in the monitor, which inherits MINILINK_CRASH_AT from the CLI.
var startCrashPoints = []string{
	"saved starting", "overlay mounted", "network prepared", "etc files", "netns named",
	"libcontainer create", "veth attached", "rules synced", "libcontainer start", "exec",
}

// TestCrashDuringStart kills the monitor at every checkpoint of a linked detached start under
// icc=false: the run fails with a message, ps -a says the container did not start, nothing of it is
// left in the kernel, and it starts fine afterwards, with its link.
func TestCrashDuringStart(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	_, dsIP := datastore(t, "crashds")
	for i, point := range startCrashPoints {
		name := fmt.Sprintf("crash%d", i)
		r := mlEnv(t, []string{"MINILINK_CRASH_AT=" + point}, "run", "-d", "--name", name, "--link", "crashds:redis", "busybox", "sleep", "1000")
		t.Cleanup(func() { ml(t, "rm", "-f", name) })
		if r.code != 125 || !strings.Contains(r.stderr, "monitor exited before the container started") {
			t.Fatalf("%s: run killed at %q: %s", name, point, r)
		}
		if st := statusOf(t, name); st != "created" {
			t.Fatalf("%s: killed at %q: status %q, want created", name, point, st)
		}
		consistent(t)
		if out := mustML(t, "gc"); out != "" {
			t.Fatalf("gc after the reconcile of %q found more: %s", point, out)
		}
		mustML(t, "start", name)
		if hosts := mustML(t, "exec", name, "cat", "/etc/hosts"); !strings.Contains(hosts, dsIP+"\tredis ") {
			t.Fatalf("%s restarted after a crash at %q: hosts without the link:\n%s", name, point, hosts)
		}
		consistent(t)
		mustML(t, "rm", "-f", name)
		consistent(t)
	}
}

// TestCrashDuringStopAndRemove kills the monitor in the middle of its teardown after a stop, and
// rm in the middle of a removal: stop still returns, the record says exited, and a second rm (or
// gc, for a directory left without its record) finishes the job.
func TestCrashDuringStopAndRemove(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "stopds")
	for _, point := range []string{"lc destroyed", "netns unnamed", "veth released", "released"} {
		t.Run("stop at "+point, func(t *testing.T) {
			r := mlEnv(t, []string{"MINILINK_CRASH_AT=" + point}, "run", "-d", "--name", "stopper", "--link", "stopds:redis", "busybox", "sleep", "1000")
			t.Cleanup(func() { ml(t, "rm", "-f", "stopper") })
			if r.code != 0 {
				t.Fatalf("run: %s", r)
			}
			mustML(t, "stop", "-t", "1", "stopper")
			if st := statusOf(t, "stopper"); st != "exited" {
				t.Fatalf("after the monitor died at %q: status %q", point, st)
			}
			consistent(t)
			mustML(t, "rm", "stopper")
			consistent(t)
		})
	}
	for _, point := range []string{"lc destroyed", "netns unnamed", "veth released", "record removed"} {
		t.Run("rm at "+point, func(t *testing.T) {
			runDetached(t, "--name", "removed", "--link", "stopds:redis", "busybox", "sleep", "1000")
			if r := mlEnv(t, []string{"MINILINK_CRASH_AT=" + point}, "rm", "-f", "removed"); r.code != 137 {
				t.Fatalf("rm killed at %q: %s", point, r)
			}
			if point == "record removed" {
				if out := mustML(t, "gc"); !strings.Contains(out, "directory without a record") {
					t.Fatalf("gc after rm killed at %q: %q", point, out)
				}
			} else {
				mustML(t, "rm", "-f", "removed")
			}
			if r := ml(t, "inspect", "removed"); r.code == 0 {
				t.Fatalf("removed is still there: %s", r)
			}
			consistent(t)
		})
	}
}

// TestCrashDuringCreate leaves a container directory without its record; gc removes it.
func TestCrashDuringCreate(t *testing.T) {
	needKernel(t)
	r := mlEnv(t, []string{"MINILINK_CRASH_AT=create: directory made"}, "create", "--name", "halfmade", "busybox")
	if r.code != 137 {
		t.Fatalf("create killed: %s", r)
	}
	if r := ml(t, "inspect", "halfmade"); r.code == 0 {
		t.Fatalf("a container without its record: %s", r)
	}
	if out := mustML(t, "gc"); !strings.Contains(out, "directory without a record") {
		t.Fatalf("gc: %q", out)
	}
	consistent(t)
	runDetached(t, "--name", "halfmade", "busybox", "sleep", "1000") // the name is free
}

// TestCrashDuringRemoveLink kills rm --link between its steps; the link is either still whole or
// gone, and gc or a second rm --link finishes.
func TestCrashDuringRemoveLink(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "linkds")
	for _, point := range []string{"link: hosts line removed", "link: record saved"} {
		t.Run(point, func(t *testing.T) {
			runDetached(t, "--name", "unlinked", "--link", "linkds:redis", "busybox", "sleep", "1000")
			if r := mlEnv(t, []string{"MINILINK_CRASH_AT=" + point}, "rm", "--link", "unlinked/redis"); r.code != 137 {
				t.Fatalf("rm --link killed at %q: %s", point, r)
			}
			out := mustML(t, "gc")
			hosts := mustML(t, "exec", "unlinked", "cat", "/etc/hosts")
			links := inspect(t, "{{json .HostConfig.Links}}", "unlinked")
			switch point {
			case "link: hosts line removed": // the record still has the link: gc puts the line back
				if !strings.Contains(out, "hosts line for link redis put back") || !strings.Contains(hosts, "\tredis ") || links == "null" {
					t.Fatalf("gc: %q\nhosts:\n%s\nlinks: %s", out, hosts, links)
				}
				consistent(t)
				mustML(t, "rm", "--link", "unlinked/redis")
			case "link: record saved": // the link is gone: gc removes its rules
				if !strings.Contains(out, "rule nobody wants") || strings.Contains(hosts, "\tredis ") || links != "null" {
					t.Fatalf("gc: %q\nhosts:\n%s\nlinks: %s", out, hosts, links)
				}
			}
			consistent(t)
		})
	}
}

// monitorPid finds the monitor of container id.
func monitorPid(t *testing.T, id string) int {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", "monitor "+id).Output()
	if err != nil {
		t.Fatalf("no monitor for %s", id)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(out))[0])
	return pid
}

// TestMonitorHoldsOwnerLock: a detached container's monitor holds the flock on the container's
// directory that tells a listing it lives (runtime/ownerlock_linux.go); the container's own
// processes do not share it, and it goes when the container stops.
func TestMonitorHoldsOwnerLock(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--name", "locked", "busybox", "sleep", "1000")
	t.Cleanup(func() { ml(t, "rm", "-f", "locked") })
	dir := filepath.Join(testRoot, "containers", id)
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	lockLine := func() string {
		data, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Fatal(err)
		}
		suffix := fmt.Sprintf(":%d", st.Sys().(*syscall.Stat_t).Ino)
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 6 && strings.HasSuffix(f[5], suffix) {
				return line
			}
		}
		return ""
	}
	line := lockLine()
	if f := strings.Fields(line); len(f) < 6 || f[1] != "FLOCK" || f[4] != strconv.Itoa(monitorPid(t, id)) {
		t.Fatalf("lock on %s: %q, want an FLOCK of the monitor (pid %d)", dir, line, monitorPid(t, id))
	}
	pid := inspect(t, "{{.State.Pid}}", "locked")
	fds, err := os.ReadDir("/proc/" + pid + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, _ := os.Readlink("/proc/" + pid + "/fd/" + fd.Name()); target == dir {
			t.Fatalf("the container's process has the owner lock's directory open (fd %s)", fd.Name())
		}
	}
	if got := mustML(t, "ps", "--format", "{{.Names}} {{.State}}"); !strings.Contains(got, "locked running") {
		t.Fatalf("ps: %q", got)
	}
	mustML(t, "stop", "-t", "1", "locked")
	if line := lockLine(); line != "" {
		t.Fatalf("after stop: %q", line)
	}
}

// TestMonitorKilled: the container of a killed monitor keeps running, stays manageable, and its
// resources go with it.
func TestMonitorKilled(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "monds")
	for _, how := range []string{"stop -t 1", "rm -f"} {
		id := runDetached(t, "--name", "orphan", "--link", "monds:redis", "busybox", "sleep", "1000")
		if err := syscall.Kill(monitorPid(t, id), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if st := statusOf(t, "orphan"); st != "running" {
			t.Fatalf("container of a killed monitor: %q, want running", st)
		}
		consistent(t)
		mustML(t, "exec", "orphan", "true")
		start := time.Now()
		mustML(t, append(strings.Fields(how), "orphan")...)
		if how == "stop -t 1" {
			if d := time.Since(start); d > 8*time.Second {
				t.Fatalf("stop took %s", d)
			}
			if st := statusOf(t, "orphan"); st != "exited" {
				t.Fatalf("after stop: %q", st)
			}
			consistent(t)
			mustML(t, "start", "orphan") // and it starts again under a new monitor
			consistent(t)
			mustML(t, "rm", "-f", "orphan")
		}
		consistent(t)
	}
}

// TestForegroundRunKilled: a foreground run killed while its container runs leaves it running
// and manageable.
func TestForegroundRunKilled(t *testing.T) {
	needKernel(t)
	r := mlEnv(t, []string{"MINILINK_CRASH_AT=attached"}, "run", "--name", "fgkilled", "busybox", "sleep", "1000")
	t.Cleanup(func() { ml(t, "rm", "-f", "fgkilled") })
	if r.code != 137 {
		t.Fatalf("run killed: %s", r)
	}
	if st := statusOf(t, "fgkilled"); st != "running" {
		t.Fatalf("status %q", st)
	}
	consistent(t)
	mustML(t, "rm", "-f", "fgkilled")
	consistent(t)
}

// TestConcurrentRunsAndRemovals: 20 linked runs and 20 removals at once, three rounds.
func TestConcurrentRunsAndRemovals(t *testing.T) {
	needKernel(t)
	iccFalse(t)
	datastore(t, "manyds")
	const n = 20
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make(chan string, 2*n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if r := ml(t, "run", "-d", "--name", fmt.Sprintf("many-%d-%d", round, i), "--link", "manyds:redis", "busybox", "sleep", "1000"); r.code != 0 {
					errs <- fmt.Sprintf("run %d: %s", i, r)
				}
			}(i)
			if round > 0 {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					if r := ml(t, "rm", "-f", fmt.Sprintf("many-%d-%d", round-1, i)); r.code != 0 {
						errs <- fmt.Sprintf("rm %d: %s", i, r)
					}
				}(i)
			}
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if t.Failed() {
			t.FailNow()
		}
		consistent(t)
		for i := 0; i < n; i += 7 {
			if r := redisPing(t, fmt.Sprintf("many-%d-%d", round, i), "redis"); !pongs(r) {
				t.Fatalf("round %d: many-%d-%d cannot reach its link: %s", round, round, i, r)
			}
		}
	}
	var last []string
	for i := 0; i < n; i++ {
		last = append(last, fmt.Sprintf("many-2-%d", i))
	}
	mustML(t, append([]string{"rm", "-f"}, last...)...)
	consistent(t)
}

// TestStopSignals: stop sends SIGTERM and returns as soon as the container exits; a container
// that ignores SIGTERM is killed after -t seconds; a foreground run forwards SIGINT and SIGTERM.
func TestStopSignals(t *testing.T) {
	needKernel(t)
	runDetached(t, "--name", "polite", "busybox", "sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.1; done`)
	runDetached(t, "--name", "stubborn", "busybox", "sh", "-c", `trap "" TERM; while :; do sleep 0.1; done`)
	start := time.Now()
	mustML(t, "stop", "-t", "10", "polite")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stop of a container that exits on SIGTERM took %s", d)
	}
	if code := inspect(t, "{{.State.ExitCode}}", "polite"); code != "0" {
		t.Fatalf("polite exit code %s", code)
	}
	start = time.Now()
	mustML(t, "stop", "-t", "2", "stubborn")
	if d := time.Since(start); d < 2*time.Second || d > 6*time.Second {
		t.Fatalf("stop -t 2 of a container that ignores SIGTERM took %s", d)
	}
	if code := inspect(t, "{{.State.ExitCode}}", "stubborn"); code != "137" {
		t.Fatalf("stubborn exit code %s, want 137 (SIGKILL)", code)
	}
	for sig, code := range map[syscall.Signal]int{syscall.SIGINT: 3, syscall.SIGTERM: 4} {
		cmd := exec.Command(binary, "--root", testRoot, "run", "--rm", "busybox", "sh", "-c",
			`trap "exit 3" INT; trap "exit 4" TERM; echo ready; while :; do sleep 0.1; done`)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
			t.Fatalf("container did not start: %q %v", buf, err)
		}
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != code {
			t.Fatalf("foreground run sent %v: %v, want exit %d", sig, err, code)
		}
	}
	consistent(t)
}

// rebootPhase runs script in a new network, mount and pid namespace, as a booted machine would
// see minilink's state root: when the script ends, every process, mount, network device and rule
// it made is gone with the namespaces; the records in the state root stay.
func rebootPhase(t *testing.T, script string) string {
	t.Helper()
	setup := `set -e
mount --make-rprivate /
mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns
ip link set lo up
ml() { "$MINILINK" --root "$ROOT" "$@"; }
`
	cmd := exec.Command("unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "bash", "-c", setup+script)
	cmd.Env = append(os.Environ(), "MINILINK="+binary, "ROOT="+testRoot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("phase failed: %v\n%s", err, out)
	}
	return string(out)
}

// TestReboot: containers running when the machine went down show as exited afterwards, and start
// again with their link: hosts line, environment, rules and a working connection.
func TestReboot(t *testing.T) {
	needKernel(t)
	t.Cleanup(func() { ml(t, "rm", "-f", "rbds", "rbweb"); ml(t, "network", "set", "--icc=true") })
	rebootPhase(t, `
ml network set --icc=false >/dev/null
ml run -d --name rbds redis >/dev/null
ml run -d --name rbweb --link rbds:redis busybox sleep 1000 >/dev/null
ml exec rbweb true
`)
	ids := strings.Fields(mustML(t, "ps", "-aq", "--no-trunc"))
	out := rebootPhase(t, `
echo "ps: $(ml ps -a --format '{{.Names}}={{.Status}}' | sort | tr '\n' ' ')"
ml start rbds rbweb >/dev/null
ip=$(ml inspect -f '{{.NetworkSettings.IPAddress}}' rbds)
echo "hosts: $(ml exec rbweb grep -c "^$ip	redis " /etc/hosts)"
echo "env: $(ml exec rbweb env | grep -c "^REDIS_PORT_6379_TCP_ADDR=$ip$")"
echo "rules: $(iptables -S MINILINK | grep -c -- "-A MINILINK -s .* -d $ip/32 .* --dport 6379 -j ACCEPT")"
echo "ping: $(ml exec rbweb sh -c "printf 'PING\r\n' | nc -w 2 redis 6379" | tr -d '\r')"
ml rm -f rbds rbweb >/dev/null
ml network set --icc=true >/dev/null
`)
	for _, want := range []string{
		"ps: rbds=Exited (255) ", "rbweb=Exited (255) ",
		"hosts: 1\n", "env: 1\n", "rules: 1\n", "ping: +PONG\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after the reboot: want %q in\n%s", want, out)
		}
	}
	for _, id := range ids {
		if left, _ := filepath.Glob("/sys/fs/cgroup/*/minilink/" + id); len(left) > 0 {
			t.Errorf("cgroups of %s left after the reboot: %v", id, left)
		}
	}
}
