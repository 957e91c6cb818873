package runtime

import (
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
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
