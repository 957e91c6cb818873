//go:build linux && !amd64

package runtime

// kernelRunsX32: x32 is an amd64 ABI; elsewhere Docker's profile does not list it.
func kernelRunsX32() bool { return true }
