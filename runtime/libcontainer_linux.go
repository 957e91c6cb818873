package runtime

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/cgroups"
	devices "github.com/opencontainers/cgroups/devices/config"
	"github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"

	// Without the devices controller code, device rules fail with ErrDevicesUnsupported.
	_ "github.com/opencontainers/cgroups/devices"
)

// defaultCapabilities is Docker's default capability set.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// Docker's masked and read-only paths (moby's default OCI spec).
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
		"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// netSetup says how the container gets its network namespace.
type netSetup struct {
	share  bool   // --net host: no namespace of its own
	joinNS string // --net container:X: the path of X's namespace
}

// libcontainerConfig is the container's libcontainer config: runc's default hardening with
// Docker's defaults (capabilities, masked and read-only paths, the seccomp profile), no_new_privs,
// the record's cgroup limits, the overlay root, and /etc/{hosts,hostname,resolv.conf}
// bind-mounted from the container's directory so that they can be rewritten in place later.
func libcontainerConfig(c *Container, rootfsPath, etcDir string, net netSetup) *configs.Config {
	const noExecSuidDev = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	deviceRules := make([]*devices.Rule, 0, len(specconv.AllowedDevices))
	for _, d := range specconv.AllowedDevices {
		deviceRules = append(deviceRules, &d.Rule)
	}
	namespaces := configs.Namespaces{
		{Type: configs.NEWNS}, {Type: configs.NEWUTS}, {Type: configs.NEWIPC}, {Type: configs.NEWPID},
	}
	var networks []*configs.Network
	switch {
	case net.share:
	case net.joinNS != "":
		namespaces = append(namespaces, configs.Namespace{Type: configs.NEWNET, Path: net.joinNS})
	default:
		namespaces = append(namespaces, configs.Namespace{Type: configs.NEWNET})
		networks = []*configs.Network{{Type: "loopback", Address: "127.0.0.1/0", Gateway: "localhost"}}
	}
	mounts := []*configs.Mount{
		{Source: "proc", Destination: "/proc", Device: "proc", Flags: noExecSuidDev},
		{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		{Source: "devpts", Destination: "/dev/pts", Device: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{Source: "shm", Destination: "/dev/shm", Device: "tmpfs", Flags: noExecSuidDev, Data: "mode=1777,size=65536k"},
		{Source: "mqueue", Destination: "/dev/mqueue", Device: "mqueue", Flags: noExecSuidDev},
		{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: noExecSuidDev | unix.MS_RDONLY},
		{Source: "cgroup", Destination: "/sys/fs/cgroup", Device: "cgroup", Flags: noExecSuidDev | unix.MS_RELATIME | unix.MS_RDONLY},
	}
	for _, name := range []string{"hosts", "hostname", "resolv.conf"} {
		mounts = append(mounts, &configs.Mount{
			Source:      etcDir + "/" + name,
			Destination: "/etc/" + name,
			Device:      "bind",
			Flags:       unix.MS_BIND | unix.MS_REC,
		})
	}
	return &configs.Config{
		Rootfs:     rootfsPath,
		Hostname:   c.Config.Hostname,
		Domainname: c.Config.Domainname,
		Namespaces: namespaces,
		Networks:   networks,
		Capabilities: &configs.Capabilities{
			Bounding:  defaultCapabilities,
			Effective: defaultCapabilities,
			Permitted: defaultCapabilities,
		},
		// Docker leaves no_new_privs off unless --security-opt no-new-privileges; minilink always
		// sets it: a setuid binary in an image cannot gain privileges, and libcontainer can load
		// the seccomp filter unprivileged, just before the program runs.
		NoNewPrivileges: true,
		Seccomp:         containerSeccomp(),
		Mounts:          mounts,
		Devices:         specconv.AllowedDevices,
		MaskPaths:       maskedPaths,
		ReadonlyPaths:   readonlyPaths,
		Cgroups: &cgroups.Cgroup{
			Path:      "/minilink/" + c.ID,
			Resources: containerResources(c.HostConfig, deviceRules),
		},
		Labels: []string{"minilink.name=" + c.Name},
	}
}

// containerResources turns the record's limits into libcontainer's cgroup settings, which its
// manager writes to the v1 controllers (memory, cpu, pids) or the v2 files alike.
func containerResources(hc HostConfig, deviceRules []*devices.Rule) *cgroups.Resources {
	res := &cgroups.Resources{Devices: deviceRules, PidsLimit: hc.PidsLimit}
	if hc.Memory > 0 {
		// Memory and swap together at the same limit: no swap beyond -m, so that a container
		// that outgrows its limit is killed there even on a host with swap (Docker would allow
		// as much swap again; minilink has no --memory-swap).
		res.Memory = hc.Memory
		if swapAccounted() {
			res.MemorySwap = hc.Memory
		}
	}
	if hc.NanoCPUs > 0 {
		res.CpuPeriod = cpuPeriod
		res.CpuQuota = cpuQuota(hc.NanoCPUs)
	}
	return res
}

// swapAccounted tells whether the kernel limits swap per cgroup. On v1 libcontainer writes
// memory.memsw.limit_in_bytes, which exists only with swap accounting (swapaccount=1), and a
// write to a missing file would fail the start; on v2 it skips a missing memory.swap.max itself.
func swapAccounted() bool {
	if cgroups.IsCgroup2UnifiedMode() {
		return true
	}
	mnt, err := cgroups.FindCgroupMountpoint("", "memory")
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(mnt, "memory.memsw.limit_in_bytes"))
	return err == nil
}

// setMemoryLimitEarly creates the container's cgroups and writes its memory limit before
// libcontainer starts its init, when the container has one. libcontainer writes the limits only
// once the init has made the root filesystem, and until then the init's memory is not limited: with
// huge pages for its heaps (package hugeheap) it could already be over a small -m when the limit
// came, which killed it (-m 6m). With the limit in place from the start, the init reads it and keeps
// to small pages (hugeheap's limitAllows); libcontainer then joins the same cgroups and writes all
// the limits, the same memory values included. The device rules are left to libcontainer. A failed
// start removes the cgroups by name (removeCgroups), as for any start that dies before libcontainer
// has a state.
func setMemoryLimitEarly(cg *cgroups.Cgroup) error {
	if cg.Resources == nil || cg.Resources.Memory == 0 {
		return nil
	}
	early := *cg
	early.Resources = &cgroups.Resources{
		Memory:      cg.Resources.Memory,
		MemorySwap:  cg.Resources.MemorySwap,
		SkipDevices: true,
	}
	m, err := manager.New(&early)
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", cg.Path, err)
	}
	if err := m.Apply(-1); err != nil { // -1: create the cgroups, put no process in them
		return fmt.Errorf("create cgroup %s: %w", cg.Path, err)
	}
	if err := m.Set(early.Resources); err != nil {
		return fmt.Errorf("set the memory limit of cgroup %s: %w", cg.Path, err)
	}
	return nil
}
