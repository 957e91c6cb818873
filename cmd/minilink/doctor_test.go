package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeHost builds a healthy host below a temp dir: proc/, sys/, boot/ and a state root, with
// iptables, statfs and access(2) faked. Each test then breaks one thing.
func fakeHost(t *testing.T) (*doctorEnv, string) {
	t.Helper()
	dir := t.TempDir()
	e := &doctorEnv{
		procRoot:  filepath.Join(dir, "proc"),
		sysRoot:   filepath.Join(dir, "sys"),
		bootRoot:  filepath.Join(dir, "boot"),
		stateRoot: filepath.Join(dir, "state"),
		release:   "6.1.0-test",
		euid:      0,
		lookPath: func(file string) (string, error) {
			if file == "iptables" {
				return "/usr/sbin/iptables", nil
			}
			return "", errors.New("not found")
		},
		output: func(name string, arg ...string) ([]byte, error) {
			return []byte("iptables v1.8.9 (nf_tables)\n"), nil
		},
		statfs:   func(string) (fsInfo, error) { return fsInfo{magic: unix.EXT4_SUPER_MAGIC}, nil },
		writable: func(string) error { return nil },
	}
	for _, ns := range []string{"net", "mnt", "pid", "uts", "ipc"} {
		fakeWrite(t, e.proc("self", "ns", ns), "")
		fakeWrite(t, e.proc("sys", "user", "max_"+ns+"_namespaces"), "63379\n")
	}
	fakeWrite(t, e.proc("filesystems"), "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n")
	fakeWrite(t, e.proc("sys", "net", "bridge", "bridge-nf-call-iptables"), "1\n")
	fakeWrite(t, e.proc("sys", "net", "ipv4", "ip_forward"), "1\n")
	fakeMkdir(t, e.sys("module", "veth"))
	fakeMkdir(t, e.sys("module", "bridge"))
	fakeWrite(t, e.sys("fs", "cgroup", "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n")
	fakeMkdir(t, e.stateRoot)
	return e, dir
}

func fakeWrite(t *testing.T, path, content string) {
	t.Helper()
	fakeMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fakeMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func fakeRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

func writeConfigGz(t *testing.T, path, content string) {
	t.Helper()
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	if _, err := z.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	fakeWrite(t, path, b.String())
}

// doctorOutput runs every check and returns the output with the temp dir written as $T.
func doctorOutput(t *testing.T, e *doctorEnv, dir string) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := runDoctor(&b, e, false)
	return strings.ReplaceAll(b.String(), dir, "$T"), err
}

// doctorLineOf is the output line of the check called name.
func doctorLineOf(t *testing.T, out, name string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 5 && strings.HasPrefix(line[5:], name+" ") {
			return line
		}
	}
	t.Fatalf("no line for %q in:\n%s", name, out)
	return ""
}

func TestDoctorHealthyFakeHost(t *testing.T) {
	e, dir := fakeHost(t)
	out, err := doctorOutput(t, e, dir)
	if err != nil {
		t.Fatalf("runDoctor: %v\n%s", err, out)
	}
	want := `ok   namespaces     net mnt pid uts ipc
ok   veth           driver present ($T/sys/module/veth)
ok   bridge         driver present ($T/sys/module/bridge)
ok   overlayfs      overlay in $T/proc/filesystems
ok   iptables       /usr/sbin/iptables: iptables v1.8.9 (nf_tables)
ok   br_netfilter   net.bridge.bridge-nf-call-iptables=1
ok   ip_forward     net.ipv4.ip_forward=1
ok   cgroups        v2 (unified): cpuset cpu io memory hugetlb pids rdma misc
ok   state root     $T/state (ext4)
ok   root           running as uid 0
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// Each case breaks one thing in a healthy fake host and expects exactly one changed line.
func TestDoctorChecks(t *testing.T) {
	tests := []struct {
		name    string
		check   string
		breakIt func(t *testing.T, e *doctorEnv)
		want    string // the line, with $T for the temp dir
	}{
		// namespaces
		{"ns file missing", "namespaces", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.proc("self", "ns", "pid"))
		}, "FAIL namespaces     no pid in $T/proc/self/ns: the kernel lacks namespace support (CONFIG_NAMESPACES, CONFIG_PID_NS)"},
		{"max namespaces 0", "namespaces", func(t *testing.T, e *doctorEnv) {
			fakeWrite(t, e.proc("sys", "user", "max_net_namespaces"), "0\n")
		}, "FAIL namespaces     user.max_net_namespaces is 0, so unshare fails: sudo sysctl -w user.max_net_namespaces=10000"},
		{"no /proc/sys/user is fine", "namespaces", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.proc("sys", "user"))
		}, "ok   namespaces     net mnt pid uts ipc"},

		// veth and bridge
		{"veth built in", "veth", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "veth"))
			writeConfigGz(t, e.proc("config.gz"), "CONFIG_NET_NS=y\nCONFIG_VETH=y\nCONFIG_BRIDGE=m\n")
		}, "ok   veth           built in (CONFIG_VETH=y in $T/proc/config.gz)"},
		{"veth module", "veth", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "veth"))
			writeConfigGz(t, e.proc("config.gz"), "CONFIG_VETH=m\n")
		}, "ok   veth           module (CONFIG_VETH=m in $T/proc/config.gz), loaded on first use"},
		{"veth not set", "veth", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "veth"))
			writeConfigGz(t, e.proc("config.gz"), "# CONFIG_VETH is not set\nCONFIG_BRIDGE=y\n")
		}, "FAIL veth           CONFIG_VETH is not set in $T/proc/config.gz: this kernel has no veth driver; use a kernel built with it"},
		{"veth from /boot config", "veth", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "veth"))
			fakeWrite(t, filepath.Join(e.bootRoot, "config-6.1.0-test"), "CONFIG_VETH=m\n")
		}, "ok   veth           module (CONFIG_VETH=m in $T/boot/config-6.1.0-test), loaded on first use"},
		{"veth unknown", "veth", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "veth"))
		}, "warn veth           unknown: no $T/sys/module/veth and no kernel config to read; the first `minilink run` will tell"},
		{"bridge not in config", "bridge", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("module", "bridge"))
			writeConfigGz(t, e.proc("config.gz"), "CONFIG_VETH=y\n")
		}, "FAIL bridge         CONFIG_BRIDGE is not set in $T/proc/config.gz: this kernel has no bridge driver; use a kernel built with it"},

		// overlayfs
		{"overlay missing", "overlayfs", func(t *testing.T, e *doctorEnv) {
			fakeWrite(t, e.proc("filesystems"), "nodev\tsysfs\n\text4\nnodev\toverlayfs-not-this\n")
		}, "FAIL overlayfs      overlay not in $T/proc/filesystems: sudo modprobe overlay (a kernel with CONFIG_OVERLAY_FS)"},
		{"overlay as a module not loaded yet", "overlayfs", func(t *testing.T, e *doctorEnv) {
			fakeWrite(t, e.proc("filesystems"), "\text4\n")
			writeConfigGz(t, e.proc("config.gz"), "CONFIG_OVERLAY_FS=m\n")
		}, "ok   overlayfs      module (CONFIG_OVERLAY_FS=m in $T/proc/config.gz), loaded on first mount"},

		// iptables
		{"no iptables", "iptables", func(t *testing.T, e *doctorEnv) {
			e.lookPath = func(string) (string, error) { return "", errors.New("not found") }
		}, "FAIL iptables       no iptables on PATH: sudo apt-get install iptables"},
		{"legacy backend", "iptables", func(t *testing.T, e *doctorEnv) {
			e.output = func(string, ...string) ([]byte, error) { return []byte("iptables v1.8.9 (legacy)\n"), nil }
		}, "ok   iptables       /usr/sbin/iptables: iptables v1.8.9 (legacy)"},
		{"old iptables is legacy", "iptables", func(t *testing.T, e *doctorEnv) {
			e.output = func(string, ...string) ([]byte, error) { return []byte("iptables v1.6.1\n"), nil }
		}, "ok   iptables       /usr/sbin/iptables: iptables v1.6.1 (legacy)"},
		{"iptables broken", "iptables", func(t *testing.T, e *doctorEnv) {
			e.output = func(string, ...string) ([]byte, error) {
				return []byte("iptables: error while loading shared libraries\n"), errors.New("exit status 127")
			}
		}, "FAIL iptables       /usr/sbin/iptables --version: exit status 127: iptables: error while loading shared libraries"},

		// br_netfilter: a warning only
		{"no br_netfilter", "br_netfilter", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.proc("sys", "net", "bridge"))
		}, "warn br_netfilter   $T/proc/sys/net/bridge missing: sudo modprobe br_netfilter (needed for --icc=false)"},
		{"bridge-nf-call-iptables 0", "br_netfilter", func(t *testing.T, e *doctorEnv) {
			fakeWrite(t, e.proc("sys", "net", "bridge", "bridge-nf-call-iptables"), "0\n")
		}, "ok   br_netfilter   net.bridge.bridge-nf-call-iptables=0 (network set --icc=false sets it to 1)"},

		// ip_forward: a warning only
		{"ip_forward 0", "ip_forward", func(t *testing.T, e *doctorEnv) {
			fakeWrite(t, e.proc("sys", "net", "ipv4", "ip_forward"), "0\n")
		}, "warn ip_forward     net.ipv4.ip_forward=0: minilink sets it to 1 when it sets up the bridge"},

		// cgroups
		{"cgroup v1 hybrid", "cgroups", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("fs", "cgroup"))
			for _, c := range []string{"cpu", "memory", "pids", "devices", "unified"} {
				fakeMkdir(t, e.sys("fs", "cgroup", c))
			}
		}, "ok   cgroups        v1 (hybrid): memory pids devices"},
		{"cgroup v1 without devices", "cgroups", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("fs", "cgroup"))
			for _, c := range []string{"memory", "pids"} {
				fakeMkdir(t, e.sys("fs", "cgroup", c))
			}
		}, "FAIL cgroups        v1 without devices in $T/sys/fs/cgroup: mount the missing v1 controllers, or boot with cgroup v2"},
		{"no cgroups", "cgroups", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.sys("fs", "cgroup"))
		}, "FAIL cgroups        neither cgroup v2 ($T/sys/fs/cgroup/cgroup.controllers) nor v1 controllers in $T/sys/fs/cgroup: mount cgroup2 on $T/sys/fs/cgroup"},

		// state root
		{"state root to be created", "state root", func(t *testing.T, e *doctorEnv) {
			e.stateRoot = filepath.Join(e.stateRoot, "a", "b")
		}, "ok   state root     $T/state/a/b (ext4, to be created in $T/state)"},
		{"state root on tmpfs", "state root", func(t *testing.T, e *doctorEnv) {
			e.statfs = func(string) (fsInfo, error) { return fsInfo{magic: unix.TMPFS_MAGIC}, nil }
		}, "ok   state root     $T/state (tmpfs)"},
		{"state root on NFS", "state root", func(t *testing.T, e *doctorEnv) {
			e.statfs = func(string) (fsInfo, error) { return fsInfo{magic: unix.NFS_SUPER_MAGIC}, nil }
		}, "FAIL state root     $T/state is on nfs: overlayfs refuses a network filesystem as upperdir; choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},
		{"state root on overlay", "state root", func(t *testing.T, e *doctorEnv) {
			e.statfs = func(string) (fsInfo, error) { return fsInfo{magic: unix.OVERLAYFS_SUPER_MAGIC}, nil }
		}, "FAIL state root     $T/state is on overlay: overlayfs refuses an overlay as upperdir (is this a container?); choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},
		{"state root to be created on overlay", "state root", func(t *testing.T, e *doctorEnv) {
			e.stateRoot = filepath.Join(e.stateRoot, "sub")
			e.statfs = func(path string) (fsInfo, error) {
				if path != filepath.Dir(e.stateRoot) {
					t.Errorf("statfs %s, want the existing parent", path)
				}
				return fsInfo{magic: unix.OVERLAYFS_SUPER_MAGIC}, nil
			}
		}, "FAIL state root     $T/state/sub would be created on overlay: overlayfs refuses an overlay as upperdir (is this a container?); choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},
		{"state root on an unknown filesystem", "state root", func(t *testing.T, e *doctorEnv) {
			e.statfs = func(string) (fsInfo, error) { return fsInfo{magic: 0x1234}, nil }
		}, "warn state root     $T/state is on filesystem 0x1234, unknown: overlayfs may refuse it as upperdir"},
		{"state root read-only", "state root", func(t *testing.T, e *doctorEnv) {
			e.statfs = func(string) (fsInfo, error) { return fsInfo{magic: unix.EXT4_SUPER_MAGIC, readOnly: true}, nil }
		}, "FAIL state root     $T/state is on a read-only mount: choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},
		{"state root not writable", "state root", func(t *testing.T, e *doctorEnv) {
			e.writable = func(string) error { return unix.EACCES }
		}, "FAIL state root     $T/state not writable (permission denied): choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},
		{"state root is a file", "state root", func(t *testing.T, e *doctorEnv) {
			fakeRemove(t, e.stateRoot)
			fakeWrite(t, e.stateRoot, "")
		}, "FAIL state root     $T/state is not a directory: choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"},

		// root
		{"not root", "root", func(t *testing.T, e *doctorEnv) {
			e.euid = 1000
		}, "FAIL root           running as uid 1000: minilink needs root (sudo minilink …)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, dir := fakeHost(t)
			healthy, _ := doctorOutput(t, e, dir)
			tt.breakIt(t, e)
			e.config, e.configFrom, e.configRead = nil, "", false
			out, err := doctorOutput(t, e, dir)
			if got := doctorLineOf(t, out, tt.check); got != tt.want {
				t.Errorf("line:\n got %s\nwant %s", got, tt.want)
			}
			// Every other line is as on the healthy host.
			for _, c := range doctorChecks {
				if c.name != tt.check && doctorLineOf(t, out, c.name) != doctorLineOf(t, healthy, c.name) {
					t.Errorf("%s changed too: %s", c.name, doctorLineOf(t, out, c.name))
				}
			}
			switch {
			case strings.HasPrefix(tt.want, "FAIL"):
				if err == nil || err.Error() != "doctor: 1 required check failed" {
					t.Errorf("error = %v, want doctor: 1 required check failed", err)
				}
			case err != nil:
				t.Errorf("error = %v, want none: warnings do not fail", err)
			}
		})
	}
}

func TestDoctorCountsFailures(t *testing.T) {
	e, dir := fakeHost(t)
	fakeWrite(t, e.proc("filesystems"), "\text4\n")
	e.euid = 1000
	fakeRemove(t, e.proc("sys", "net", "bridge")) // a warning: not counted
	out, err := doctorOutput(t, e, dir)
	if err == nil || err.Error() != "doctor: 2 required checks failed" {
		t.Errorf("error = %v, want doctor: 2 required checks failed", err)
	}
	if n := strings.Count(out, "\nFAIL ") + strings.Count(out[:5], "FAIL "); n != 2 {
		t.Errorf("%d FAIL lines, want 2:\n%s", n, out)
	}
	// Through exitCode, as main would: one line on stderr and 125.
	if code := exitCode(err); code != exitRuntimeError {
		t.Errorf("exit code %d, want %d", code, exitRuntimeError)
	}
}

func TestDoctorColour(t *testing.T) {
	r := checkResult{statusFail, "boom"}
	if got, want := doctorLine(r, "overlayfs", 12, true), "\x1b[31mFAIL\x1b[0m overlayfs      boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := doctorLine(checkResult{statusOK, "fine"}, "root", 12, true), "\x1b[32mok\x1b[0m   root           fine"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := doctorLine(checkResult{statusWarn, "hm"}, "ip_forward", 12, true), "\x1b[33mwarn\x1b[0m ip_forward     hm"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := doctorLine(r, "overlayfs", 12, false), "FAIL overlayfs      boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDoctorHelpNamesEveryCheck(t *testing.T) {
	cmd := newDoctorCommand(&globals{})
	for _, c := range doctorChecks {
		if !strings.Contains(cmd.Long, "\n  "+c.name+" ") {
			t.Errorf("--help does not explain %q", c.name)
		}
	}
}

// TestDoctorThisMachine runs the real checks, through the command, on this machine: as root, with
// a fresh state root, nothing may FAIL. The output is not a terminal, so it has no colour.
func TestDoctorThisMachine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cmd := newDoctorCommand(&globals{root: filepath.Join(t.TempDir(), "root")})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{})
	err := cmd.Execute()
	t.Logf("minilink doctor:\n%s", out.String())
	if err != nil {
		t.Errorf("doctor: %v", err)
	}
	if strings.Contains(out.String(), "FAIL") || strings.Contains(out.String(), "\x1b[") {
		t.Errorf("FAIL or colour in the output")
	}
	if n := strings.Count(out.String(), "\n"); n != len(doctorChecks) {
		t.Errorf("%d lines, want %d", n, len(doctorChecks))
	}
}
