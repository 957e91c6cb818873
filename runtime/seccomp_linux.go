package runtime

import (
	"errors"
	"fmt"
	"sync"

	profiles "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// errNoSeccomp: libcontainer only loads a seccomp filter when built with the seccomp tag (and
// libseccomp); without it every container start would fail, so create says why at once.
var errNoSeccomp = errors.New("this minilink was built without seccomp support: rebuild it with `go build -tags seccomp` (needs libseccomp-dev)")

// seccompProfile is Docker's default seccomp profile as libcontainer takes it. The profile depends
// on the capabilities: a syscall that a capability guards (mount with CAP_SYS_ADMIN, reboot with
// CAP_SYS_BOOT, …) is allowed only when the bounding set holds that capability, so the
// container's own list goes in.
func seccompProfile(capabilities []string) (*configs.Seccomp, error) {
	oci, err := ociSeccompProfile(capabilities)
	if err != nil {
		return nil, err
	}
	sc, err := specconv.SetupSeccomp(oci)
	if err != nil {
		return nil, fmt.Errorf("convert docker's default seccomp profile: %w", err)
	}
	return sc, nil
}

func ociSeccompProfile(capabilities []string) (*specs.LinuxSeccomp, error) {
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: capabilities}}}
	oci, err := profiles.GetDefaultProfile(spec)
	if err != nil {
		return nil, fmt.Errorf("docker's default seccomp profile: %w", err)
	}
	oci.Architectures = runnableArchitectures(oci.Architectures, x32Runs())
	return oci, nil
}

// x32Runs asks the kernel once per process.
var x32Runs = sync.OnceValue(kernelRunsX32)

// runnableArchitectures is Docker's list of ABIs for the filter without x32 when the kernel cannot
// run x32 programs. Such a program then fails on that kernel under minilink as under Docker (its
// syscalls end in ENOSYS under Docker, in SIGSYS here), and libseccomp no longer compiles rules
// that can never match: the x32 ABI is some 12 ms of every container's start, a third of the
// filter's cost. x86 (i386) stays: 32-bit images run on Docker's kernels.
func runnableArchitectures(archs []specs.Arch, x32 bool) []specs.Arch {
	if x32 {
		return archs
	}
	out := make([]specs.Arch, 0, len(archs))
	for _, a := range archs {
		if a != specs.ArchX32 {
			out = append(out, a)
		}
	}
	return out
}

// OCISeccompProfile is the profile every container gets, in the OCI runtime spec's form (a
// config.json's linux.seccomp), for giving runc the same filter (scripts/bench.sh).
func OCISeccompProfile() (*specs.LinuxSeccomp, error) { return ociSeccompProfile(defaultCapabilities) }

// defaultSeccomp is the profile for defaultCapabilities, the only set minilink gives today; it is
// built once per process. With --cap-add or --cap-drop, build it from that container's list.
var defaultSeccomp = sync.OnceValues(func() (*configs.Seccomp, error) {
	return seccompProfile(defaultCapabilities)
})

// containerSeccomp is the filter libcontainerConfig installs. create has already checked that the
// profile builds (checkSeccomp), so the failure branch is for a record created by another
// binary: it fails closed, killing the container's first syscall, rather than run it unconfined.
func containerSeccomp() *configs.Seccomp {
	sc, err := defaultSeccomp()
	if err != nil {
		return &configs.Seccomp{DefaultAction: configs.Kill}
	}
	return sc
}

// checkSeccomp refuses to create a container that could not start: a build without seccomp
// support, or a profile that does not convert.
func checkSeccomp(_ *Runtime, _ []*Container, _ *CreateOptions, _ *Container) error {
	if !seccomp.Enabled {
		return errNoSeccomp
	}
	_, err := defaultSeccomp()
	return err
}
