package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The confinement every container gets, as Docker's defaults give it: the default seccomp
// profile, the 14 default capabilities, no_new_privs (which minilink sets and Docker does not),
// read-only /proc/sys and /sys; and the cgroup limits of -m, --pids-limit and --cpus.

func TestConfineDefaults(t *testing.T) {
	needKernel(t)
	out := mustML(t, "run", "--rm", "busybox", "sh", "-c", `
		grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status
		unshare -n true 2>&1; echo unshare-net=$?
		unshare -U true 2>&1; echo unshare-user=$?
		mount -t tmpfs x /mnt 2>&1; echo mount=$?
		echo x 2>&1 >/proc/sys/kernel/hostname; echo procsys=$?
		touch /sys/x 2>&1; echo sys=$?
	`)
	for _, want := range []string{
		"NoNewPrivs:\t1\n",
		"Seccomp:\t2\n", // a filter is loaded
		"CapEff:\t00000000a80425fb\n",
		"CapBnd:\t00000000a80425fb\n",
		// A new network namespace needs CAP_SYS_ADMIN, which the container lacks.
		"unshare: unshare(0x40000000): Operation not permitted\nunshare-net=1\n",
		// A user namespace needs no capability: only the seccomp profile refuses it.
		"unshare: unshare(0x10000000): Operation not permitted\nunshare-user=1\n",
		"mount: permission denied (are you root?)\nmount=1\n",
		"can't create /proc/sys/kernel/hostname: Read-only file system\nprocsys=1\n",
		"touch: /sys/x: Read-only file system\nsys=1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// Without a limit the record says so, with Docker's keys.
	id := strings.TrimSpace(mustML(t, "create", "busybox", "true"))
	defer ml(t, "rm", id)
	if got := inspect(t, "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}", id); got != "0 0 <no value>" {
		t.Errorf("limits of a container without any: %q", got)
	}
}

func TestConfineForkBombStopsAtPidsLimit(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--pids-limit", "20", "busybox", "sh", "-c", "f() { f | f & }; f; sleep 1000")
	if got := inspect(t, "{{.HostConfig.PidsLimit}}", id); got != "20" {
		t.Fatalf(".HostConfig.PidsLimit = %q", got)
	}
	pid := inspect(t, "{{.State.Pid}}", id)
	dir := cgroupDir(t, pid, "pids")
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "20" {
		t.Fatalf("pids.max = %q", got)
	}
	// The bomb runs into the limit at once: the kernel refuses its forks (pids.events counts
	// them) with EAGAIN, which the shell reports.
	eventually(t, 5*time.Second, func() error {
		if events := readTrim(t, filepath.Join(dir, "pids.events")); events == "max 0" {
			return fmt.Errorf("pids.events: %q, no fork refused yet", events)
		}
		if logs := ml(t, "logs", id); !strings.Contains(logs.stderr, "can't fork: Resource temporarily unavailable") {
			return fmt.Errorf("no failed fork in the logs yet: %s", logs)
		}
		return nil
	})
	for i := 0; i < 5; i++ {
		n, err := strconv.Atoi(readTrim(t, filepath.Join(dir, "pids.current")))
		if err != nil || n > 20 {
			t.Fatalf("pids.current = %d (%v), want at most 20", n, err)
		}
		// The host stays responsive: a process starts and ends at once, minilink answers.
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = exec.CommandContext(ctx, "sh", "-c", "true").Run()
		cancel()
		if err != nil || time.Since(start) > 2*time.Second {
			t.Fatalf("host command during the fork bomb: %v after %s", err, time.Since(start))
		}
		if got := inspect(t, "{{.State.Running}}", id); got != "true" {
			t.Fatalf("container running: %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConfineMemoryHogIsKilled(t *testing.T) {
	needKernel(t)
	name := "hog"
	r := ml(t, "run", "--name", name, "-m", "16m", "busybox", "sh", "-c", "x=a; while :; do x=$x$x; done")
	defer ml(t, "rm", "-f", name)
	if r.code != 137 {
		t.Fatalf("memory hog under -m 16m: want exit 137 (SIGKILL by the OOM killer), got %s", r)
	}
	if got := inspect(t, "{{.HostConfig.Memory}} {{.State.ExitCode}} {{.State.OOMKilled}}", name); got != "16777216 137 true" {
		t.Fatalf("memory, exit code, OOMKilled: %q", got)
	}
	// A program that stays below the limit runs to the end.
	if r := ml(t, "run", "--rm", "-m", "16m", "busybox", "sh", "-c", "head -c 4m /dev/zero | wc -c"); r.code != 0 || r.stdout != "4194304\n" {
		t.Fatalf("below the limit: %s", r)
	}
}

// TestConfineSmallestMemoryLimit runs a container under Docker's smallest limit, -m 6m, several
// times: its init, which runs in the container's cgroup, must start it within the limit (it asks
// for huge pages only without a small limit, which must be in place before it starts), and the
// limit must be the one asked for.
func TestConfineSmallestMemoryLimit(t *testing.T) {
	needKernel(t)
	limitFile := "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		limitFile = "/sys/fs/cgroup/memory.max"
	}
	for i := range 5 {
		r := ml(t, "run", "--rm", "-m", "6m", "busybox", "sh", "-c", "echo started; cat "+limitFile)
		if r.code != 0 || r.stdout != "started\n6291456\n" {
			t.Fatalf("run %d under -m 6m: want it started with a limit of 6291456 bytes, got %s", i, r)
		}
	}
}

func TestConfineCPUQuota(t *testing.T) {
	needKernel(t)
	id := runDetached(t, "--cpus", "0.5", "busybox", "sleep", "1000")
	if got := inspect(t, "{{.HostConfig.NanoCpus}}", id); got != "500000000" {
		t.Fatalf(".HostConfig.NanoCpus = %q", got)
	}
	// A process exec'd into the container gets its confinement too.
	if got := mustML(t, "exec", id, "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"); got != "NoNewPrivs:\t1\nSeccomp:\t2\n" {
		t.Fatalf("exec's confinement: %q", got)
	}
	pid := inspect(t, "{{.State.Pid}}", id)
	dir := cgroupDir(t, pid, "cpu")
	if cgroup2() {
		if got := readTrim(t, filepath.Join(dir, "cpu.max")); got != "50000 100000" {
			t.Fatalf("cpu.max = %q", got)
		}
		return
	}
	quota := readTrim(t, filepath.Join(dir, "cpu.cfs_quota_us"))
	period := readTrim(t, filepath.Join(dir, "cpu.cfs_period_us"))
	if quota != "50000" || period != "100000" {
		t.Fatalf("cpu.cfs_quota_us = %q, cpu.cfs_period_us = %q", quota, period)
	}
}

func TestConfineBadLimits(t *testing.T) {
	needKernel(t)
	n := goruntime.NumCPU()
	cpuRange := fmt.Sprintf("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
	before := mustML(t, "ps", "-a", "--no-trunc")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-m", "1k"}, "Minimum memory limit allowed is 6MB"},
		{[]string{"--memory", "5m"}, "Minimum memory limit allowed is 6MB"},
		{[]string{"-m", "abc"}, `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`},
		{[]string{"--cpus", "0"}, cpuRange},
		{[]string{"--cpus", "99"}, cpuRange},
		{[]string{"--cpus", "0.001"}, cpuRange},
		{[]string{"--cpus", "x"}, `invalid argument "x" for "--cpus" flag: failed to parse x as a rational number`},
		{[]string{"--pids-limit", "x"}, `invalid argument "x" for "--pids-limit" flag`},
	} {
		for _, cmd := range []string{"run", "create"} {
			args := append(append([]string{cmd}, tc.args...), "busybox", "true")
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				wantError(t, ml(t, args...), tc.msg)
			})
		}
	}
	if after := mustML(t, "ps", "-a", "--no-trunc"); after != before {
		t.Fatalf("bad limits changed ps -a:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// cgroup2 tells whether the host runs the unified hierarchy only.
func cgroup2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// cgroupDir is the directory of the process's cgroup for controller: on v1 the controller's own
// hierarchy, on v2 the single one, as /proc/PID/cgroup names it.
func cgroupDir(t *testing.T, pid, controller string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if cgroup2() && f[0] == "0" {
			return filepath.Join("/sys/fs/cgroup", f[2])
		}
		for _, c := range strings.Split(f[1], ",") {
			if !cgroup2() && c == controller {
				return filepath.Join("/sys/fs/cgroup", f[1], f[2])
			}
		}
	}
	t.Fatalf("no %s cgroup for pid %s in:\n%s", controller, pid, data)
	return ""
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}
