package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// minilink doctor: what minilink needs from the kernel and the host, one small check each, in a
// fixed order (the model is runc's libcontainer/configs/validate). Every check reads its paths
// below the roots of a doctorEnv, so that the tests can point it at a fake /proc and /sys.
// Nothing here changes the host: no module is loaded, no device created, no directory made.

func newDoctorCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that the kernel and the host have what minilink needs",
		Long: `Check, without changing anything, what minilink needs from the kernel and the host, and print
one line per check: ok, FAIL or warn, the check's name and a short detail; a FAIL says what to do.

  namespaces    /proc/self/ns/{net,mnt,pid,uts,ipc} exist and no user.max_*_namespaces is 0
  veth          the veth driver: /sys/module/veth, else CONFIG_VETH in /proc/config.gz or
                /boot/config-$(uname -r); "unknown" (warn) when neither can be read
  bridge        the bridge driver, the same way (/sys/module/bridge, CONFIG_BRIDGE)
  overlayfs     overlay in /proc/filesystems (or CONFIG_OVERLAY_FS=m: loaded on first mount)
  iptables      an iptables on PATH and its backend (nf_tables or legacy)
  br_netfilter  /proc/sys/net/bridge/bridge-nf-call-iptables; warn only: just --icc=false needs it
  ip_forward    net.ipv4.ip_forward; warn when 0: minilink sets it when it sets up the bridge
  cgroups       v2 (/sys/fs/cgroup/cgroup.controllers) or v1 with memory, pids and devices
  state root    --root exists or can be created, is writable, and its filesystem can hold an
                overlay upper directory (ext4, xfs, btrfs, tmpfs: yes; NFS, FUSE, overlay: no)
  root          minilink runs as root

It exits 0 when every required check passes (warnings included) and 125 when one fails. Colours
are used only when stdout is a terminal.`,
		Example: "  sudo minilink doctor",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			colour := false
			if f, ok := out.(*os.File); ok {
				colour = isTerminal(f)
			}
			return runDoctor(out, hostDoctorEnv(g.root), colour)
		},
	}
}

// doctorEnv is where the checks look: the roots of /proc, /sys and /boot, the state root, and the
// few calls that cannot be read from a file.
type doctorEnv struct {
	procRoot  string // "/proc"
	sysRoot   string // "/sys"
	bootRoot  string // "/boot", for config-<release>
	stateRoot string // --root
	release   string // uname -r
	euid      int
	lookPath  func(file string) (string, error)
	output    func(name string, arg ...string) ([]byte, error)
	statfs    func(path string) (fsInfo, error)
	writable  func(path string) error

	config     map[string]string // the kernel config, read once
	configFrom string            // the file it came from, "" when none could be read
	configRead bool
}

// fsInfo is what the state-root check needs from statfs(2).
type fsInfo struct {
	magic    int64
	readOnly bool
}

func hostDoctorEnv(stateRoot string) *doctorEnv {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return &doctorEnv{
		procRoot:  "/proc",
		sysRoot:   "/sys",
		bootRoot:  "/boot",
		stateRoot: stateRoot,
		release:   unix.ByteSliceToString(uts.Release[:]),
		euid:      os.Geteuid(),
		lookPath:  exec.LookPath,
		output: func(name string, arg ...string) ([]byte, error) {
			return exec.Command(name, arg...).CombinedOutput()
		},
		statfs: func(path string) (fsInfo, error) {
			var st unix.Statfs_t
			if err := unix.Statfs(path, &st); err != nil {
				return fsInfo{}, err
			}
			return fsInfo{magic: int64(st.Type), readOnly: st.Flags&unix.ST_RDONLY != 0}, nil
		},
		// access(2) with W_OK: for root it still reports EROFS on a read-only mount.
		writable: func(path string) error { return unix.Access(path, unix.W_OK) },
	}
}

type checkStatus int

const (
	statusOK checkStatus = iota
	statusWarn
	statusFail
)

func (s checkStatus) String() string {
	return [...]string{"ok", "warn", "FAIL"}[s]
}

func (s checkStatus) colour() string {
	return [...]string{"\x1b[32m", "\x1b[33m", "\x1b[31m"}[s]
}

type checkResult struct {
	status checkStatus
	detail string
}

func resOK(format string, a ...any) checkResult {
	return checkResult{statusOK, fmt.Sprintf(format, a...)}
}

func resWarn(format string, a ...any) checkResult {
	return checkResult{statusWarn, fmt.Sprintf(format, a...)}
}

func resFail(format string, a ...any) checkResult {
	return checkResult{statusFail, fmt.Sprintf(format, a...)}
}

type doctorCheck struct {
	name  string
	check func(e *doctorEnv) checkResult
}

// doctorChecks run in this order; a check never depends on another's result.
var doctorChecks = []doctorCheck{
	{"namespaces", checkNamespaces},
	{"veth", func(e *doctorEnv) checkResult { return checkDriver(e, "veth", "CONFIG_VETH") }},
	{"bridge", func(e *doctorEnv) checkResult { return checkDriver(e, "bridge", "CONFIG_BRIDGE") }},
	{"overlayfs", checkOverlay},
	{"iptables", checkIptables},
	{"br_netfilter", checkBrNetfilter},
	{"ip_forward", checkIPForward},
	{"cgroups", checkCgroups},
	{"state root", checkStateRoot},
	{"root", checkRoot},
}

// runDoctor runs every check, prints one aligned line each, and returns an error naming how many
// required checks failed.
func runDoctor(w io.Writer, e *doctorEnv, colour bool) error {
	width := 0
	for _, c := range doctorChecks {
		width = max(width, len(c.name))
	}
	failed := 0
	for _, c := range doctorChecks {
		r := c.check(e)
		if r.status == statusFail {
			failed++
		}
		fmt.Fprintln(w, doctorLine(r, c.name, width, colour))
	}
	switch failed {
	case 0:
		return nil
	case 1:
		return errors.New("doctor: 1 required check failed")
	default:
		return fmt.Errorf("doctor: %d required checks failed", failed)
	}
}

// doctorLine is "STAT NAME  DETAIL", the status padded to 4 and the name to width+2; the colour
// wraps only the status word, so that the columns stay aligned.
func doctorLine(r checkResult, name string, width int, colour bool) string {
	status := r.status.String()
	pad := strings.Repeat(" ", 4-len(status))
	if colour {
		status = r.status.colour() + status + "\x1b[0m"
	}
	return fmt.Sprintf("%s%s %-*s %s", status, pad, width+2, name, r.detail)
}

func (e *doctorEnv) proc(p ...string) string {
	return filepath.Join(append([]string{e.procRoot}, p...)...)
}

func (e *doctorEnv) sys(p ...string) string {
	return filepath.Join(append([]string{e.sysRoot}, p...)...)
}

// readValue is a sysctl-like file's first line, trimmed.
func doctorReadValue(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

func doctorExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func checkNamespaces(e *doctorEnv) checkResult {
	kinds := []string{"net", "mnt", "pid", "uts", "ipc"}
	var missing []string
	for _, k := range kinds {
		if !doctorExists(e.proc("self", "ns", k)) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return resFail("no %s in %s: the kernel lacks namespace support (CONFIG_NAMESPACES, CONFIG_%s_NS)",
			strings.Join(missing, ", "), e.proc("self", "ns"), strings.ToUpper(missing[0]))
	}
	// A zero limit makes unshare(2) fail with ENOSPC, even for root.
	for _, k := range kinds {
		v, err := doctorReadValue(e.proc("sys", "user", "max_"+k+"_namespaces"))
		if err == nil && v == "0" {
			return resFail("user.max_%s_namespaces is 0, so unshare fails: sudo sysctl -w user.max_%s_namespaces=10000", k, k)
		}
	}
	return resOK("%s", strings.Join(kinds, " "))
}

// kernelConfig reads /proc/config.gz, else /boot/config-<release>, once. A missing or unreadable
// config gives nil.
func (e *doctorEnv) kernelConfig() (map[string]string, string) {
	if e.configRead {
		return e.config, e.configFrom
	}
	e.configRead = true
	read := func(path string, gz bool) (map[string]string, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var r io.Reader = f
		if gz {
			z, err := gzip.NewReader(f)
			if err != nil {
				return nil, err
			}
			defer z.Close()
			r = z
		}
		cfg := map[string]string{}
		s := bufio.NewScanner(r)
		for s.Scan() {
			line := s.Text()
			if k, v, found := strings.Cut(line, "="); found && strings.HasPrefix(k, "CONFIG_") {
				cfg[k] = v
			} else if k, found := strings.CutPrefix(line, "# "); found && strings.HasSuffix(k, " is not set") {
				cfg[strings.TrimSuffix(k, " is not set")] = "n"
			}
		}
		return cfg, s.Err()
	}
	if cfg, err := read(e.proc("config.gz"), true); err == nil {
		e.config, e.configFrom = cfg, e.proc("config.gz")
	} else if e.release != "" {
		p := filepath.Join(e.bootRoot, "config-"+e.release)
		if cfg, err := read(p, false); err == nil {
			e.config, e.configFrom = cfg, p
		}
	}
	return e.config, e.configFrom
}

// checkDriver finds a network driver loaded (/sys/module/NAME), else in the kernel config; it
// never creates a device to find out.
func checkDriver(e *doctorEnv, module, option string) checkResult {
	if doctorExists(e.sys("module", module)) {
		return resOK("driver present (%s)", e.sys("module", module))
	}
	cfg, from := e.kernelConfig()
	if cfg == nil {
		return resWarn("unknown: no %s and no kernel config to read; the first `minilink run` will tell", e.sys("module", module))
	}
	switch v := cfg[option]; v {
	case "y":
		return resOK("built in (%s=y in %s)", option, from)
	case "m":
		return resOK("module (%s=m in %s), loaded on first use", option, from)
	case "", "n":
		return resFail("%s is not set in %s: this kernel has no %s driver; use a kernel built with it", option, from, module)
	default:
		return resWarn("unknown: %s=%s in %s", option, v, from)
	}
}

func checkOverlay(e *doctorEnv) checkResult {
	path := e.proc("filesystems")
	b, err := os.ReadFile(path)
	if err != nil {
		return resFail("cannot read %s: %v", path, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[len(f)-1] == "overlay" {
			return resOK("overlay in %s", path)
		}
	}
	if cfg, from := e.kernelConfig(); cfg["CONFIG_OVERLAY_FS"] == "m" {
		return resOK("module (CONFIG_OVERLAY_FS=m in %s), loaded on first mount", from)
	}
	return resFail("overlay not in %s: sudo modprobe overlay (a kernel with CONFIG_OVERLAY_FS)", path)
}

func checkIptables(e *doctorEnv) checkResult {
	path, err := e.lookPath("iptables")
	if err != nil {
		return resFail("no iptables on PATH: sudo apt-get install iptables")
	}
	out, err := e.output(path, "--version")
	text := strings.TrimSpace(string(out))
	if err != nil {
		return resFail("%s --version: %v: %s", path, err, oneLine(text))
	}
	line, _, _ := strings.Cut(text, "\n")
	switch {
	case strings.Contains(line, "(nf_tables)"):
		return resOK("%s: %s", path, line)
	case strings.Contains(line, "(legacy)"):
		return resOK("%s: %s", path, line)
	}
	// Before 1.8 iptables had only the legacy backend and did not name it.
	if v, found := strings.CutPrefix(line, "iptables v"); found {
		parts := strings.SplitN(v, ".", 3)
		major, err1 := strconv.Atoi(parts[0])
		minor := 0
		var err2 error
		if len(parts) > 1 {
			minor, err2 = strconv.Atoi(parts[1])
		}
		if err1 == nil && err2 == nil && (major < 1 || major == 1 && minor < 8) {
			return resOK("%s: %s (legacy)", path, line)
		}
	}
	return resWarn("%s: %s: backend unknown", path, line)
}

func checkBrNetfilter(e *doctorEnv) checkResult {
	dir := e.proc("sys", "net", "bridge")
	if !doctorExists(dir) {
		return resWarn("%s missing: sudo modprobe br_netfilter (needed for --icc=false)", dir)
	}
	v, err := doctorReadValue(filepath.Join(dir, "bridge-nf-call-iptables"))
	if err != nil {
		return resWarn("%v: sudo modprobe br_netfilter (needed for --icc=false)", err)
	}
	if v == "1" {
		return resOK("net.bridge.bridge-nf-call-iptables=1")
	}
	return resOK("net.bridge.bridge-nf-call-iptables=%s (network set --icc=false sets it to 1)", v)
}

func checkIPForward(e *doctorEnv) checkResult {
	v, err := doctorReadValue(e.proc("sys", "net", "ipv4", "ip_forward"))
	switch {
	case err != nil:
		return resWarn("unknown: %v", err)
	case v == "1":
		return resOK("net.ipv4.ip_forward=1")
	default:
		return resWarn("net.ipv4.ip_forward=%s: minilink sets it to 1 when it sets up the bridge", v)
	}
}

func checkCgroups(e *doctorEnv) checkResult {
	root := e.sys("fs", "cgroup")
	if b, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err == nil {
		return resOK("v2 (unified): %s", strings.Join(strings.Fields(string(b)), " "))
	}
	needed := []string{"memory", "pids", "devices"}
	var found, missing []string
	for _, c := range needed {
		if doctorExists(filepath.Join(root, c)) {
			found = append(found, c)
		} else {
			missing = append(missing, c)
		}
	}
	if len(found) == 0 {
		return resFail("neither cgroup v2 (%s) nor v1 controllers in %s: mount cgroup2 on %s",
			filepath.Join(root, "cgroup.controllers"), root, root)
	}
	kind := "v1"
	if doctorExists(filepath.Join(root, "unified")) {
		kind = "v1 (hybrid)"
	}
	if len(missing) > 0 {
		return resFail("%s without %s in %s: mount the missing v1 controllers, or boot with cgroup v2",
			kind, strings.Join(missing, ", "), root)
	}
	return resOK("%s: %s", kind, strings.Join(found, " "))
}

// fsNames are the filesystems the state-root check knows. upper says whether overlayfs accepts an
// upper directory there (tried on Linux 6.18: tmpfs and ext4 yes, overlay no).
var fsNames = map[int64]struct {
	name  string
	upper bool
	why   string
}{
	unix.EXT4_SUPER_MAGIC:      {"ext4", true, ""},
	unix.XFS_SUPER_MAGIC:       {"xfs", true, ""},
	unix.BTRFS_SUPER_MAGIC:     {"btrfs", true, ""},
	unix.TMPFS_MAGIC:           {"tmpfs", true, ""},
	unix.F2FS_SUPER_MAGIC:      {"f2fs", true, ""},
	unix.BCACHEFS_SUPER_MAGIC:  {"bcachefs", true, ""},
	0x2fc12fc1:                 {"zfs", true, ""},
	unix.OVERLAYFS_SUPER_MAGIC: {"overlay", false, "overlayfs refuses an overlay as upperdir (is this a container?)"},
	unix.NFS_SUPER_MAGIC:       {"nfs", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.CIFS_SUPER_MAGIC:      {"cifs", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.SMB2_SUPER_MAGIC:      {"smb2", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.SMB_SUPER_MAGIC:       {"smb", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.CEPH_SUPER_MAGIC:      {"ceph", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.V9FS_MAGIC:            {"9p", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.AFS_SUPER_MAGIC:       {"afs", false, "overlayfs refuses a network filesystem as upperdir"},
	unix.FUSE_SUPER_MAGIC:      {"fuse", false, "overlayfs refuses a FUSE filesystem as upperdir"},
	unix.ECRYPTFS_SUPER_MAGIC:  {"ecryptfs", false, "overlayfs refuses ecryptfs as upperdir"},
	unix.MSDOS_SUPER_MAGIC:     {"vfat", false, "no xattrs or file types for overlayfs"},
	unix.EXFAT_SUPER_MAGIC:     {"exfat", false, "no xattrs or file types for overlayfs"},
	unix.SQUASHFS_MAGIC:        {"squashfs", false, "a read-only filesystem"},
	unix.ISOFS_SUPER_MAGIC:     {"iso9660", false, "a read-only filesystem"},
	unix.CRAMFS_MAGIC:          {"cramfs", false, "a read-only filesystem"},
	0xe0f5e1e2:                 {"erofs", false, "a read-only filesystem"},
}

const stateRootHint = "choose another with --root or MINILINK_ROOT, on ext4, xfs, btrfs or tmpfs"

// checkStateRoot checks the state root, or when it does not exist yet the directory it will be
// created in, without creating anything.
func checkStateRoot(e *doctorEnv) checkResult {
	root, err := filepath.Abs(e.stateRoot)
	if err != nil {
		return resFail("%s: %v", e.stateRoot, err)
	}
	at, note := root, ""
	fi, err := os.Stat(root)
	switch {
	case err == nil && !fi.IsDir():
		return resFail("%s is not a directory: %s", root, stateRootHint)
	case errors.Is(err, fs.ErrNotExist):
		// The nearest existing ancestor is where MkdirAll will start.
		for {
			at = filepath.Dir(at)
			if fi, err := os.Stat(at); err == nil {
				if !fi.IsDir() {
					return resFail("%s cannot be created: %s is not a directory", root, at)
				}
				break
			}
			if at == "/" || at == "." {
				break
			}
		}
		note = ", to be created in " + at
	case err != nil:
		return resFail("%v", err)
	}
	if err := e.writable(at); err != nil {
		return resFail("%s not writable (%v): %s", at, err, stateRootHint)
	}
	info, err := e.statfs(at)
	if err != nil {
		return resFail("statfs %s: %v", at, err)
	}
	on := root + " is on"
	if note != "" {
		on = root + " would be created on"
	}
	if info.readOnly {
		return resFail("%s a read-only mount: %s", on, stateRootHint)
	}
	known, found := fsNames[info.magic]
	switch {
	case !found:
		return resWarn("%s filesystem 0x%x, unknown: overlayfs may refuse it as upperdir", on, info.magic)
	case !known.upper:
		return resFail("%s %s: %s; %s", on, known.name, known.why, stateRootHint)
	}
	return resOK("%s (%s%s)", root, known.name, note)
}

func checkRoot(e *doctorEnv) checkResult {
	if e.euid != 0 {
		return resFail("running as uid %d: minilink needs root (sudo minilink …)", e.euid)
	}
	return resOK("running as uid 0")
}
