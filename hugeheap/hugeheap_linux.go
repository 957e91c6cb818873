// Package hugeheap asks the kernel to back the Go heap of a short-lived minilink process with
// transparent huge pages, from the start of the process.
//
// Why: a `minilink run` is two Go processes on its critical path, the command and the container's
// init (libcontainer re-executes this binary as "init"), and each touches 2 to 3 MB of fresh heap
// before it is done: some 400 to 550 first-touch page faults per process. In a virtual machine a
// page fault is dear (19 to 23 µs each on the machine BENCHMARKS.md describes, where a 2 MB huge
// page costs some 170 µs in all), so those faults were a fifth of a container's start.
//
// How: the package has no imports but syscall and unsafe, so Go initialises it among the first,
// before the packages whose initialisation fills most of that heap. Its init finds the mapping that
// holds the heap (/proc/self/maps), marks it MADV_HUGEPAGE, so that the kernel gives every 2 MB of it
// that is still untouched one huge page at the first touch, and folds the 2 MB ranges already in use
// into huge pages too (MADV_COLLAPSE). Both are advice: a kernel without transparent huge pages, with
// them set to "never", or short of free huge pages refuses, and the process runs as it would have.
// The system's setting stays as it is; a process only asks for its own heap.
//
// What it misses: the faults before it runs (Go's runtime and the first dozen packages, about 100),
// and the heap that Go maps later. Go maps its heap 4 MB at a time, starting at a random offset in
// the first 4 MB (the heap base is randomised since Go 1.26); when a process outgrows that first
// mapping, which happens to about half of the runs, the next one is a new mapping with 4 KiB pages.
//
// Every Go process of minilink asks: they are all short-lived, or (a foreground run, an exec)
// attached to a terminal where a few MB do not matter. The one that lives as long as its container,
// the idle monitor of a detached container, is runtime/waiter's C loop, which takes the process
// over before Go starts, so this package never runs there. A process whose memory cgroup has a
// limit under 256 MiB does not ask (cgroup_linux.go): there a few MB more can be too many, as in the
// init of a container run with -m 6m, which runs in the container's cgroup (minilink writes that
// limit before the init starts, so that the init sees it).
//
// The cost: the init of this package takes about 1.4 ms (median of 30 runs, GODEBUG=inittrace=1),
// most of it the collapse, and now and then 5 to 12 ms, when the kernel (or the hypervisor under
// it) has to find and clear a fresh 2 MB; the faults it saves are worth more on every command
// measured (BENCHMARKS.md).
package hugeheap

import (
	"syscall"
	"unsafe"
)

const (
	hugePageSize = 2 << 20
	// The advice values (linux/mman.h); the syscall package predates MADV_COLLAPSE.
	madvHugepage = 14
	madvCollapse = 25
)

// probe is a heap object: its address tells which mapping is the heap.
var probe *[64]byte

// allowed is limitAllows, once: false in a cgroup with a small memory limit.
var allowed bool

func init() {
	allowed = limitAllows()
	if !allowed {
		return
	}
	probe = new([64]byte)
	adviseMapping(uintptr(unsafe.Pointer(probe)))
}

// adviseMapping asks for huge pages for the mapping that holds address p.
func adviseMapping(p uintptr) {
	start, end, ok := mappingAt(readMaps(), p)
	if !ok {
		return
	}
	if madvise(start, end-start, madvHugepage) != nil {
		return
	}
	// A range that holds pages already becomes one huge page now; one that holds none is refused
	// (EINVAL), and gets its huge page at its first touch.
	for r := alignUp(start); r+hugePageSize <= end; r += hugePageSize {
		_ = madvise(r, hugePageSize, madvCollapse)
	}
}

// alignUp rounds p up to a huge page boundary.
func alignUp(p uintptr) uintptr { return (p + hugePageSize - 1) &^ (hugePageSize - 1) }

func madvise(start, length uintptr, advice int) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, length, uintptr(advice))
	if errno != 0 {
		return errno
	}
	return nil
}

func readMaps() []byte { return readFile("/proc/self/maps") }

// readFile reads a small /proc file whole; on an error it returns what it has.
func readFile(path string) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 16<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if n <= 0 || err != nil {
			return buf
		}
		buf = buf[:len(buf)+n]
	}
}

// mappingAt finds, in the text of /proc/self/maps, the mapping that holds address p.
func mappingAt(maps []byte, p uintptr) (start, end uintptr, ok bool) {
	for len(maps) > 0 {
		var line []byte
		line, maps, _ = cut(maps, '\n')
		s, rest, ok1 := hexPrefix(line, '-')
		e, _, ok2 := hexPrefix(rest, ' ')
		if ok1 && ok2 && s <= p && p < e {
			return s, e, true
		}
	}
	return 0, 0, false
}

// hexPrefix parses the hexadecimal number that b starts with, up to the byte stop, and returns it
// with what follows stop.
func hexPrefix(b []byte, stop byte) (uintptr, []byte, bool) {
	var v uintptr
	for i, c := range b {
		switch {
		case c == stop && i > 0:
			return v, b[i+1:], true
		case '0' <= c && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}
