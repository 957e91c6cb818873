package hugeheap

import "testing"

func TestMemoryLimit(t *testing.T) {
	files := map[string]string{
		"/sys/fs/cgroup/memory/minilink/abc/memory.limit_in_bytes": "6291456\n",
		"/sys/fs/cgroup/memory/user.slice/memory.limit_in_bytes":   "9223372036854771712\n",
		"/sys/fs/cgroup/minilink/abc/memory.max":                   "16777216\n",
		"/sys/fs/cgroup/user.slice/memory.max":                     "max\n",
	}
	read := func(path string) []byte { return []byte(files[path]) }
	for _, tc := range []struct {
		name    string
		cgroups string
		limit   uint64
		ok      bool
	}{
		{"v1 container", "12:pids:/minilink/abc\n4:memory:/minilink/abc\n0::/\n", 6 << 20, true},
		{"v1 unlimited", "4:memory:/user.slice\n0::/user.slice\n", 9223372036854771712, true},
		{"v1 joined controllers", "7:cpu,memory:/minilink/abc\n", 6 << 20, true},
		{"v2 container", "0::/minilink/abc\n", 16 << 20, true},
		{"v2 max", "0::/user.slice\n", 0, false},
		{"no memory file", "0::/elsewhere\n", 0, false},
		{"no memory controller", "3:cpuset:/\n", 0, false},
		{"empty", "", 0, false},
	} {
		limit, ok := memoryLimit([]byte(tc.cgroups), read)
		if limit != tc.limit || ok != tc.ok {
			t.Errorf("%s: memoryLimit = %d, %v; want %d, %v", tc.name, limit, ok, tc.limit, tc.ok)
		}
	}
}
