package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The owner lock: while a process owns a running container (the monitor of a detached container,
// the command of an attached one), it holds an flock on the container's directory. The kernel
// lists every lock held in one file, /proc/locks, with the pid of the process that took it and
// the inode it is on; a lock goes away with its process. So a listing learns which owners live
// from one read, where it would otherwise read /proc/PID/stat of each owner for its start time:
// with hundreds of containers that was a third of a `ps -a`.
//
// The lock is a shortcut, never the only word: an owner that holds none (a record written by an
// older minilink, a monitor between the waiter and its last steps, a failed flock) is checked by
// its start time as before. A lock proves its taker alive only if no other process shares the
// descriptor: it is opened close-on-exec and the waiter closes it before it execs back into Go.

// holdOwnerLock takes the owner lock on dir for this process, or returns nil when it could not
// (the listing then checks this process by its start time).
func holdOwnerLock(dir string) *os.File {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), dir)
}

// ownerLocks are the flocks the kernel lists on the file system of the state root, by the pid
// that took each and the inode it is on.
type ownerLocks map[heldLock]struct{}

type heldLock struct {
	pid int
	ino uint64
}

// holds reports whether process pid holds the owner lock of the directory with inode ino.
func (l ownerLocks) holds(pid int, ino uint64) bool {
	_, ok := l[heldLock{pid, ino}]
	return ok && pid > 0 && ino != 0
}

// readOwnerLocks reads /proc/locks for the locks on dir's file system. It returns nil when it
// cannot: every owner is then checked by its start time.
func readOwnerLocks(dir string) ownerLocks {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return nil
	}
	data, err := readProcLocks()
	if err != nil {
		return nil
	}
	return parseProcLocks(data, unix.Major(st.Dev), unix.Minor(st.Dev))
}

// readProcLocks reads /proc/locks, which lists every lock of the system (of the processes this
// one can see): one line each, a page of them per read.
func readProcLocks() ([]byte, error) {
	fd, err := unix.Open("/proc/locks", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readFd(fd, make([]byte, 0, 32<<10), false)
}

// parseProcLocks keeps the granted flocks of /proc/locks on device major:minor. A line reads
// "3: FLOCK  ADVISORY  WRITE 2715 fe:00:10019063 0 EOF": the pid that took the lock, then the
// device (major and minor in hex) and inode of the locked file. A process waiting for a lock has
// a line with "->" after the number, and holds nothing.
func parseProcLocks(data []byte, major, minor uint32) ownerLocks {
	dev := fmt.Appendf(nil, "%02x:%02x:", major, minor)
	locks := ownerLocks{}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		kind, _ := nthField(line, 1)
		pidField, _ := nthField(line, 4)
		devIno, _ := nthField(line, 5)
		file, ok := bytes.CutPrefix(devIno, dev)
		if string(kind) != "FLOCK" || !ok {
			continue
		}
		pid, err1 := strconv.Atoi(string(pidField))
		ino, err2 := strconv.ParseUint(string(file), 10, 64)
		if err1 == nil && err2 == nil {
			locks[heldLock{pid, ino}] = struct{}{}
		}
	}
	return locks
}

// dirEntry is a directory entry as getdents gives it.
type dirEntry struct {
	name string
	ino  uint64
	typ  uint8 // unix.DT_DIR, unix.DT_REG, …; unix.DT_UNKNOWN where the file system does not say
}

// readDirEntries lists dir with the inode of each entry, which names it in /proc/locks: os.ReadDir
// does not tell it, and a stat of each of hundreds of directories would cost what the owner lock
// saves. The entries are linux_dirent64 records (getdents64(2)).
func readDirEntries(dir string) ([]dirEntry, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var out []dirEntry
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getdents", Path: dir, Err: err}
		}
		if n <= 0 {
			return out, nil
		}
		for rec := buf[:n]; len(rec) >= direntNameOffset; {
			reclen := int(binary.NativeEndian.Uint16(rec[16:18]))
			if reclen < direntNameOffset || reclen > len(rec) {
				return nil, fmt.Errorf("getdents %s: a record of %d bytes", dir, reclen)
			}
			name := rec[direntNameOffset:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			out = append(out, dirEntry{name: string(name), ino: binary.NativeEndian.Uint64(rec[0:8]), typ: rec[18]})
			rec = rec[reclen:]
		}
	}
}

// direntNameOffset is where a linux_dirent64's name starts: after d_ino (8 bytes), d_off (8),
// d_reclen (2) and d_type (1).
const direntNameOffset = 19
