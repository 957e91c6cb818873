package runtime

import (
	goruntime "runtime"
)

// minMemory is Docker's smallest memory limit (linuxMinMemory): below it a container cannot
// even start its program.
const minMemory = 6 * 1024 * 1024

// minNanoCPUs is --cpus 0.01: a quota of 1 ms per 100 ms period, the kernel's smallest.
const minNanoCPUs = 1e7

// cpuPeriod is Docker's fixed CFS period for --cpus, 100 ms (in µs, as the cgroup file takes it).
const cpuPeriod = 100000

// checkMemory checks -m: 0 is no limit, as in Docker.
func checkMemory(_ *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	switch {
	case o.Memory < 0:
		return userError(ErrInvalidArgument, "invalid memory limit %d: it cannot be negative", o.Memory)
	case o.Memory > 0 && o.Memory < minMemory:
		return userError(ErrInvalidArgument, "Minimum memory limit allowed is 6MB")
	}
	c.HostConfig.Memory = o.Memory
	return nil
}

// checkCPUs checks --cpus against this host's CPUs, with Docker's message. Unlike Docker, an
// explicit --cpus 0 is refused too: it would silently mean no limit.
func checkCPUs(_ *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	if o.NanoCPUs == nil {
		return nil
	}
	n := goruntime.NumCPU() // the CPUs this process may run on, as Docker counts them
	if *o.NanoCPUs < minNanoCPUs || *o.NanoCPUs > int64(n)*1e9 {
		return userError(ErrInvalidArgument, "Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
	}
	c.HostConfig.NanoCPUs = *o.NanoCPUs
	return nil
}

// checkPidsLimit checks --pids-limit: 0 and negative values mean no limit, as in Docker, and are
// recorded as none.
func checkPidsLimit(_ *Runtime, _ []*Container, o *CreateOptions, c *Container) error {
	if o.PidsLimit != nil && *o.PidsLimit > 0 {
		limit := *o.PidsLimit
		c.HostConfig.PidsLimit = &limit
	}
	return nil
}

// cpuQuota is the CFS quota per cpuPeriod that nanoCPUs billionths of a CPU give (Docker's rule).
func cpuQuota(nanoCPUs int64) int64 {
	return nanoCPUs * cpuPeriod / 1e9
}
