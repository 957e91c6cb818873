package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	fastjson "github.com/segmentio/encoding/json"
	"golang.org/x/sys/unix"

	"github.com/minilink/minilink/atomicfile"
	"github.com/minilink/minilink/bridge"
)

// Container states, as Docker names them.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusExited  = "exited"
)

// Container is the persisted record of one container. Field names follow Docker's inspect output
// where one exists, so that inspect can show it with little translation.
type Container struct {
	ID         string     `json:"Id"`
	Name       string     `json:"Name"` // without the leading "/"
	Created    time.Time  `json:"Created"`
	Image      string     `json:"Image"` // as the user named it, e.g. "busybox"
	ImageID    string     `json:"ImageID"`
	Path       string     `json:"Path"`
	Args       []string   `json:"Args"`
	Config     Config     `json:"Config"`
	HostConfig HostConfig `json:"HostConfig"`
	State      State      `json:"State"`
	Network    Network    `json:"Network"`

	// dirIno is the inode of the container's directory when a listing read the record: the
	// owner lock is on it (ownerlock_linux.go). 0 when not known.
	dirIno uint64
}

// Config is what the container runs: the image config merged with the user's flags.
type Config struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Entrypoint   []string            `json:"Entrypoint"`
	WorkingDir   string              `json:"WorkingDir"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	Image        string              `json:"Image"`
}

// HostConfig holds the settings that are about the host rather than the image.
type HostConfig struct {
	NetworkMode string `json:"NetworkMode"` // "bridge", "none", "host" or "container:<id>"
	AutoRemove  bool   `json:"AutoRemove"`
	Links       []Link `json:"Links,omitempty"` // in --link order
	// Publish are the -p values; PublishAllPorts is -P. Host ports are chosen at start.
	Publish         []bridge.Publish `json:"Publish,omitempty"`
	PublishAllPorts bool             `json:"PublishAllPorts,omitempty"`
	// Memory (-m, bytes), NanoCPUs (--cpus, billionths of a CPU) and PidsLimit (--pids-limit)
	// are the cgroup limits; zero or nil is none.
	Memory    int64  `json:"Memory,omitempty"`
	NanoCPUs  int64  `json:"NanoCpus,omitempty"`
	PidsLimit *int64 `json:"PidsLimit,omitempty"`
}

// Link is one --link of a parent. It stores the child's name, not its ID, so that a child removed
// and recreated under the same name is linked again (the spec's §8b).
type Link struct {
	Child string `json:"Child"`
	Alias string `json:"Alias"`
}

// State is the container's lifecycle state.
type State struct {
	Status     string    `json:"Status"`
	Pid        int       `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// OwnerPid is the process that waits for the container (the monitor, or a foreground run);
	// OwnerStart is its start time in clock ticks, so that a recycled pid is not mistaken for it.
	OwnerPid   int    `json:"OwnerPid,omitempty"`
	OwnerStart uint64 `json:"OwnerStart,omitempty"`
	// Starting is set while a start is making kernel objects (mount, address, veth). A record
	// found with it set and no running process is left over from a crash, and is cleaned up.
	Starting bool `json:"Starting,omitempty"`
	// OOMKilled: the kernel's OOM killer killed a process of the container's cgroup (-m).
	OOMKilled bool `json:"OOMKilled,omitempty"`
}

// Running reports whether the container's process is alive (as far as the record knows).
func (s State) Running() bool { return s.Status == StatusRunning }

// Network is what the bridge gave a running container.
type Network struct {
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	Gateway     string `json:"Gateway"`
	MacAddress  string `json:"MacAddress"`
	HostVeth    string `json:"HostVeth"`
	// NetnsPath is the container's network namespace as `ip netns` names it (/run/netns/minilink-NAME).
	NetnsPath string `json:"NetnsPath,omitempty"`
	// Ports are the published ports while the container runs, host ports chosen.
	Ports []bridge.Binding `json:"Ports,omitempty"`
}

func (r *Runtime) containerDir(id string) string { return filepath.Join(r.Root, "containers", id) }

func (r *Runtime) recordPath(id string) string {
	return filepath.Join(r.containerDir(id), "container.json")
}

// save writes the record atomically, so that a crash leaves either the old or the new record.
func (r *Runtime) save(c *Container) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode container %s: %w", c.ID, err)
	}
	path := r.recordPath(c.ID)
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		// "write container record PATH: no space left on device", without the temporary file.
		return fmt.Errorf("write container record %s: %w", path, pathCause(err))
	}
	return nil
}

// CorruptRecordError is a container record that cannot be used: not JSON (empty, truncated,
// garbage), or not the record of the container its directory names (another ID, no valid name).
// minilink writes records atomically, so this is damage from outside: a disk error, a hand edit.
type CorruptRecordError struct {
	ID   string // the name of the container's directory
	Path string
	Err  error
}

func (e *CorruptRecordError) Error() string {
	return fmt.Sprintf("corrupted container record %s: %v (remove the container with 'minilink rm -f %s')", e.Path, e.Err, e.ID)
}

func (e *CorruptRecordError) Unwrap() error { return e.Err }

func (r *Runtime) load(id string) (*Container, error) {
	path := r.recordPath(id)
	data, err := readSmallFile(path)
	if err != nil {
		return nil, fmt.Errorf("read container record: %w", err)
	}
	defer releaseFileBuffer(data) // Unmarshal copies what it keeps
	c, err := decodeRecord(data)
	if err != nil {
		return nil, &CorruptRecordError{ID: id, Path: path, Err: err}
	}
	// The ID and the name make paths (the directory, /run/netns/minilink-NAME): a record that
	// parses but is not this container's must not be acted on.
	switch {
	case c.ID != id:
		return nil, &CorruptRecordError{ID: id, Path: path, Err: fmt.Errorf("it holds the ID %q", c.ID)}
	case !validName.MatchString(c.Name):
		return nil, &CorruptRecordError{ID: id, Path: path, Err: fmt.Errorf("it holds the invalid name %q", c.Name)}
	}
	return c, nil
}

// decodeRecord parses a record. Every listing parses every record, and with hundreds of
// containers encoding/json was the largest part of a `ps -a` (13 µs a record, against 4 µs with
// segmentio's decoder, which follows encoding/json's rules). A record it refuses is parsed again
// by encoding/json, whose error is the one minilink has always shown.
func decodeRecord(data []byte) (*Container, error) {
	c := &Container{}
	if err := fastjson.Unmarshal(data, c); err != nil {
		c = &Container{}
		if err := json.Unmarshal(data, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// list returns every container, newest first (ps order). A record that cannot be used fails the
// listing with its [CorruptRecordError], unless r.SkipCorrupt is set.
func (r *Runtime) list() ([]*Container, error) {
	dirs, err := r.containerDirs()
	if err != nil {
		return nil, err
	}
	records := make([]*Container, len(dirs))
	errs := make([]error, len(dirs))
	inParallel(len(dirs), func(i int) {
		if records[i], errs[i] = r.load(dirs[i].name); errs[i] == nil {
			records[i].dirIno = dirs[i].ino
		}
	})
	var out []*Container
	for i, c := range records {
		err := errs[i]
		if errors.Is(err, os.ErrNotExist) {
			continue // a directory being created or removed right now
		}
		var bad *CorruptRecordError
		if errors.As(err, &bad) && r.SkipCorrupt != nil {
			r.SkipCorrupt(bad)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// containerDirs returns the directories under containers/, named by the IDs of the containers,
// with or without a record, each with its inode, which its owner's lock names (ownerlock_linux.go).
func (r *Runtime) containerDirs() ([]dirEntry, error) {
	dir := filepath.Join(r.Root, "containers")
	entries, err := readDirEntries(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var dirs []dirEntry
	for _, e := range entries {
		if strings.HasPrefix(e.name, ".") {
			continue // ".", ".." and the temporary files of atomic writes
		}
		if e.typ == unix.DT_UNKNOWN {
			var st unix.Stat_t
			if unix.Lstat(filepath.Join(dir, e.name), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				continue
			}
		} else if e.typ != unix.DT_DIR {
			continue
		}
		dirs = append(dirs, e)
	}
	return dirs, nil
}

// writeFileInPlace truncates and rewrites path without changing its inode: the file is
// bind-mounted into a running container, and a rename would leave the container on the old inode.
func writeFileInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	return nil
}

// pathCause is the error beneath the path of an os error ("no space left on device"), for a
// message that names the path itself once.
func pathCause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// inParallel calls f(0) … f(n-1) from a few goroutines: reading hundreds of small files is
// mostly waiting on system calls, which the CPUs can do side by side.
func inParallel(n int, f func(i int)) {
	if n < 16 {
		for i := range n {
			f(i) // not worth the goroutines
		}
		return
	}
	workers := min(n, 2*goruntime.GOMAXPROCS(0))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// readSmallFile is os.ReadFile for the files every command reads once per container (the
// records and /proc/PID/stat: regular files, or one-line /proc files), with a buffer the caller
// gives back (releaseFileBuffer) once it is done with the data. With hundreds of containers the
// system calls and the first touches of fresh memory are most of a listing: this makes open,
// read, close, where os.ReadFile adds two fstat calls, a read for the end and an *os.File, and it
// reuses the buffers.
func readSmallFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	// A short read is the end, for the files this reads: a regular file gives all it has up to
	// the buffer's room, and /proc/PID/stat is one line made whole at the first read. (Not so for
	// a long /proc file such as maps, which comes a page at a time.) Not asking again saves a
	// quarter of the system calls of a listing.
	buf, err := readFd(fd, (*fileBuffers.Get().(*[]byte))[:0], true)
	if err != nil {
		releaseFileBuffer(buf)
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return buf, nil
}

// readFd appends what fd gives to buf, growing it, until a read returns nothing or, with
// shortReadEnds, until a read leaves room in the buffer.
func readFd(fd int, buf []byte, shortReadEnds bool) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, err
		}
		if n == 0 {
			return buf, nil
		}
		free := cap(buf) - len(buf)
		buf = buf[:len(buf)+n]
		if shortReadEnds && n < free {
			return buf, nil
		}
	}
}

var fileBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// releaseFileBuffer hands back what readSmallFile returned; the data must not be used after.
func releaseFileBuffer(data []byte) {
	data = data[:0]
	fileBuffers.Put(&data)
}
