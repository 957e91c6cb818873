package runtime

import (
	"compress/gzip"
	"io"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// allowed lists the syscalls a profile allows without conditions on their arguments.
func allowed(sc *configs.Seccomp) map[string]bool {
	out := map[string]bool{}
	for _, s := range sc.Syscalls {
		if s.Action == configs.Allow && len(s.Args) == 0 {
			out[s.Name] = true
		}
	}
	return out
}

func TestSeccompProfile(t *testing.T) {
	sc, err := defaultSeccomp()
	if err != nil {
		t.Fatal(err)
	}
	// Docker's profile: everything not listed fails with EPERM.
	if sc.DefaultAction != configs.Errno || sc.DefaultErrnoRet == nil || *sc.DefaultErrnoRet != 1 {
		t.Fatalf("default action %v errno %v, want EPERM", sc.DefaultAction, sc.DefaultErrnoRet)
	}
	for _, name := range []string{"read", "write", "execve", "clone", "socket", "chown"} {
		if !hasRule(sc, name) {
			t.Errorf("%s is not allowed", name)
		}
	}
	// Guarded by capabilities the default set lacks (CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_MODULE,
	// CAP_SYS_TIME), or refused to every container (keyctl: the keyring is not namespaced).
	for _, name := range []string{"mount", "umount2", "unshare", "setns", "reboot", "init_module", "settimeofday", "keyctl"} {
		if hasRule(sc, name) {
			t.Errorf("%s is allowed with Docker's default capabilities", name)
		}
	}
	// With CAP_SYS_ADMIN in the set, mount comes in: the profile follows the capabilities.
	admin, err := seccompProfile(append(append([]string{}, defaultCapabilities...), "CAP_SYS_ADMIN"))
	if err != nil {
		t.Fatal(err)
	}
	if !allowed(admin)["mount"] {
		t.Error("mount is not allowed with CAP_SYS_ADMIN")
	}
}

// hasRule reports whether name is allowed under conditions on its arguments (clone without the
// namespace flags, socket without AF_VSOCK …).
func hasRule(sc *configs.Seccomp, name string) bool {
	for _, s := range sc.Syscalls {
		if s.Name == name && s.Action == configs.Allow {
			return true
		}
	}
	return false
}

func TestRunnableArchitectures(t *testing.T) {
	docker := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	if got := runnableArchitectures(docker, true); !slices.Equal(got, docker) {
		t.Errorf("with x32: %v, want Docker's %v", got, docker)
	}
	want := []specs.Arch{specs.ArchX86_64, specs.ArchX86}
	if got := runnableArchitectures(docker, false); !slices.Equal(got, want) {
		t.Errorf("without x32: %v, want %v", got, want)
	}
	if !slices.Equal(docker, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}) {
		t.Errorf("Docker's list was changed in place: %v", docker)
	}
}

// TestKernelRunsX32 holds the probe to the kernel's build configuration, when the kernel shows it:
// built without the x32 ABI, the probe must say so (the filter then leaves x32 out); built with it,
// the boot parameter decides, and only syscall.x32=n is definite.
func TestKernelRunsX32(t *testing.T) {
	if goruntime.GOARCH != "amd64" {
		t.Skip("x32 is an amd64 ABI")
	}
	config, err := kernelConfig()
	if err != nil {
		t.Skipf("the kernel's configuration is not readable: %v", err)
	}
	cmdline, _ := os.ReadFile("/proc/cmdline")
	switch {
	case !strings.Contains(config, "\nCONFIG_X86_X32_ABI=y\n"):
		if kernelRunsX32() {
			t.Error("kernelRunsX32() = true on a kernel built without CONFIG_X86_X32_ABI")
		}
	case strings.Contains(" "+string(cmdline), " syscall.x32=n"):
		if kernelRunsX32() {
			t.Error("kernelRunsX32() = true on a kernel booted with syscall.x32=n")
		}
	default:
		t.Skip("the kernel may run x32 programs; the probe's answer cannot be checked here")
	}
}

// kernelConfig reads the running kernel's build configuration from /proc/config.gz or
// /boot/config-RELEASE.
func kernelConfig() (string, error) {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(z)
		return "\n" + string(b), err
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	b, err := os.ReadFile("/boot/config-" + unix.ByteSliceToString(u.Release[:]))
	return "\n" + string(b), err
}
