package runtime

import (
	"bytes"
	"fmt"
	"strconv"
)

// procStartTime is a process's start time in clock ticks since boot (field 22 of
// /proc/<pid>/stat). A pid and its start time together name one process even after the pid is
// recycled.
func procStartTime(pid int) (uint64, error) {
	data, err := readSmallFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	defer releaseFileBuffer(data)
	// The command name (field 2) may contain spaces and parentheses; fields restart after the
	// last ')', with the state (field 3). The start time is field 22.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	field, ok := nthField(data[i+1:], 19)
	if !ok {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strconv.ParseUint(string(field), 10, 64)
}

// nthField returns the n-th (from 0) space-separated field of b.
func nthField(b []byte, n int) ([]byte, bool) {
	for {
		b = bytes.TrimLeft(b, " \n")
		if len(b) == 0 {
			return nil, false
		}
		end := bytes.IndexAny(b, " \n")
		if end < 0 {
			end = len(b)
		}
		if n == 0 {
			return b[:end], true
		}
		b = b[end:]
		n--
	}
}

// ownerAlive reports whether the process that waits for the container still exists.
func ownerAlive(s State) bool {
	if s.OwnerPid <= 0 {
		return false
	}
	start, err := procStartTime(s.OwnerPid)
	return err == nil && start == s.OwnerStart
}
