package hugeheap

// minLimit is the smallest memory limit under which a process still asks for huge pages. A huge
// page is charged whole to the process's memory cgroup: the container's init, which runs in the
// container's cgroup, peaked at 8 MB with them against 4.6 MB without, and a container run with
// Docker's smallest limit (-m 6m) was killed before its program started.
const minLimit = 256 << 20

// limitAllows reports whether the memory cgroup this process is in leaves room for huge pages: no
// limit, or one of minLimit or more. Only the process's own cgroup is read, not its ancestors'.
func limitAllows() bool {
	limit, ok := memoryLimit(readFile("/proc/self/cgroup"), readFile)
	return !ok || limit >= minLimit
}

// memoryLimit finds, from the text of /proc/self/cgroup, the memory limit of the process's
// cgroup: cgroup v1's memory.limit_in_bytes when a v1 hierarchy has the memory controller, else
// cgroup v2's memory.max. ok is false when there is none ("max", or no such file).
func memoryLimit(cgroups []byte, read func(string) []byte) (limit uint64, ok bool) {
	var v2 string
	for len(cgroups) > 0 {
		var line []byte
		line, cgroups, _ = cut(cgroups, '\n')
		// hierarchy-ID:controller,controller:path
		_, rest, ok1 := cut(line, ':')
		controllers, path, ok2 := cut(rest, ':')
		if !ok1 || !ok2 {
			continue
		}
		if hasController(controllers, "memory") {
			return decimal(read("/sys/fs/cgroup/memory" + string(path) + "/memory.limit_in_bytes"))
		}
		if len(controllers) == 0 {
			v2 = string(path)
		}
	}
	if v2 == "" {
		return 0, false
	}
	return decimal(read("/sys/fs/cgroup" + v2 + "/memory.max"))
}

// cut is bytes.Cut for one byte: this package imports nothing it need not (see the package doc).
func cut(b []byte, sep byte) (before, after []byte, found bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

func hasController(list []byte, name string) bool {
	for len(list) > 0 {
		var one []byte
		one, list, _ = cut(list, ',')
		if string(one) == name {
			return true
		}
	}
	return false
}

// decimal parses a cgroup file's number; "max", an empty read or anything else is no limit.
func decimal(b []byte) (uint64, bool) {
	var v uint64
	n := 0
	for _, c := range b {
		if c == '\n' {
			break
		}
		if c < '0' || c > '9' || v > (1<<63)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		n++
	}
	return v, n > 0
}
