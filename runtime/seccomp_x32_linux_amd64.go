package runtime

import (
	"golang.org/x/sys/unix"
)

// x32SyscallBit marks a syscall number as the x32 ABI's (x86_64 registers, 32-bit pointers).
const x32SyscallBit = 0x40000000

// kernelRunsX32 reports whether this kernel runs x32 programs: a kernel built without
// CONFIG_X86_X32_ABI, or booted with syscall.x32=n (Debian's default), answers every x32 syscall
// with ENOSYS before any seccomp rule could matter. The probe is an x32 getpid, issued only when
// this process has no seccomp filter of its own: a filter without x32 (systemd's
// SystemCallArchitectures=native, a container's) might kill the process for it; then x32 is
// assumed to run, which keeps Docker's list.
func kernelRunsX32() bool {
	if mode, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil || mode != 0 {
		return true
	}
	_, _, errno := unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
	return errno != unix.ENOSYS
}
