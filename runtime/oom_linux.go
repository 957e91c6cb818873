package runtime

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
)

// oomKilled reports whether the OOM killer killed a process in lc's memory cgroup: the oom_kill
// count of memory.oom_control (cgroup v1) or memory.events (v2).
func oomKilled(lc *libcontainer.Container) bool {
	st, err := lc.State()
	if err != nil {
		return false
	}
	var files []string
	if dir, ok := st.CgroupPaths["memory"]; ok {
		files = append(files, filepath.Join(dir, "memory.oom_control"))
	}
	if dir, ok := st.CgroupPaths[""]; ok {
		files = append(files, filepath.Join(dir, "memory.events"))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if n, ok := strings.CutPrefix(line, "oom_kill "); ok && strings.TrimSpace(n) != "0" {
				return true
			}
		}
	}
	return false
}
