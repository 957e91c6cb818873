package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// procStartTime is a process's start time in clock ticks since boot (field 22 of
// /proc/<pid>/stat). A pid and its start time together name one process even after the pid is
// recycled.
func procStartTime(pid int) (uint64, error) {
	data, err := readSmallFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces and parentheses; fields restart after the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// ownerAlive reports whether the process that waits for the container still exists.
func ownerAlive(s State) bool {
	if s.OwnerPid <= 0 {
		return false
	}
	start, err := procStartTime(s.OwnerPid)
	return err == nil && start == s.OwnerStart
}
