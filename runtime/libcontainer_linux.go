package runtime

import (
	"github.com/opencontainers/cgroups"
	devices "github.com/opencontainers/cgroups/devices/config"
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
// Docker's defaults, the overlay root, and /etc/{hosts,hostname,resolv.conf} bind-mounted from the
// container's directory so that they can be rewritten in place later.
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
		Mounts:        mounts,
		Devices:       specconv.AllowedDevices,
		MaskPaths:     maskedPaths,
		ReadonlyPaths: readonlyPaths,
		Cgroups: &cgroups.Cgroup{
			Path:      "/minilink/" + c.ID,
			Resources: &cgroups.Resources{Devices: deviceRules},
		},
		Labels: []string{"minilink.name=" + c.Name},
	}
}
