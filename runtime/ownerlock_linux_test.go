package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestParseProcLocks(t *testing.T) {
	data := []byte(`1: FLOCK  ADVISORY  WRITE 2715 fe:00:10019063 0 EOF
2: FLOCK  ADVISORY  WRITE 2716 fe:00:10019064 0 EOF
2: -> FLOCK  ADVISORY  WRITE 2800 fe:00:10019064 0 EOF
3: POSIX  ADVISORY  WRITE 2717 fe:00:10019065 0 EOF
4: OFDLCK ADVISORY  READ  -1 fe:00:10019066 0 EOF
5: FLOCK  ADVISORY  READ  2718 fe:00:10019067 0 EOF
6: FLOCK  ADVISORY  WRITE 2719 fe:01:10019068 0 EOF
7: FLOCK  ADVISORY  WRITE 2720 103:05:77 0 EOF
8: LEASE  ACTIVE    READ  2721 fe:00:10019069 0 EOF
9: FLOCK  ADVISORY  WRITE 2722 fe:00:10019070 0 EOF`) // no newline at the end
	locks := parseProcLocks(data, 0xfe, 0)
	for _, c := range []struct {
		pid  int
		ino  uint64
		want bool
	}{
		{2715, 10019063, true},
		{2716, 10019064, true},
		{2800, 10019064, false}, // waits for the lock, holds nothing
		{2717, 10019065, false}, // a POSIX lock is not an owner lock
		{2718, 10019067, true},
		{2719, 10019068, false}, // another file system
		{2715, 10019064, false}, // another pid's lock
		{2721, 10019069, false},
		{2722, 10019070, true},
		{0, 0, false},
	} {
		if got := locks.holds(c.pid, c.ino); got != c.want {
			t.Errorf("holds(%d, %d) = %v, want %v", c.pid, c.ino, got, c.want)
		}
	}
	if !parseProcLocks(data, 0x103, 5).holds(2720, 77) {
		t.Error("device 103:05: the lock of 2720 on inode 77 is not seen")
	}
}

// TestOwnerLockSeen takes the owner lock as a monitor does and finds it the way a listing does.
func TestOwnerLockSeen(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	ino := st.Sys().(*syscall.Stat_t).Ino
	lock := holdOwnerLock(dir)
	if lock == nil {
		t.Fatal("no owner lock")
	}
	if again := holdOwnerLock(dir); again != nil {
		again.Close()
		t.Error("a second owner lock on the same directory")
	}
	locks := readOwnerLocks(root)
	if locks == nil {
		t.Skip("/proc/locks cannot be read here")
	}
	if !locks.holds(os.Getpid(), ino) {
		t.Fatalf("the lock of pid %d on inode %d is not in /proc/locks", os.Getpid(), ino)
	}
	lock.Close()
	if readOwnerLocks(root).holds(os.Getpid(), ino) {
		t.Fatal("the lock outlives its descriptor")
	}
}

// TestContainerDirs: the inodes come from getdents, and must be the directories' own.
func TestContainerDirs(t *testing.T) {
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	containers := filepath.Join(r.Root, "containers")
	want := map[string]uint64{}
	for _, name := range []string{"a1", "b2", "c3"} {
		if err := os.MkdirAll(filepath.Join(containers, name), 0o711); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(containers, name))
		if err != nil {
			t.Fatal(err)
		}
		want[name] = st.Sys().(*syscall.Stat_t).Ino
	}
	// Neither a file nor a hidden entry is a container.
	if err := os.WriteFile(filepath.Join(containers, "stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(containers, ".tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	dirs, err := r.containerDirs()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, d := range dirs {
		got[d.name] = d.ino
	}
	if len(got) != len(want) {
		t.Fatalf("dirs %v, want %v", got, want)
	}
	for name, ino := range want {
		if got[name] != ino {
			t.Errorf("%s: inode %d, want %d", name, got[name], ino)
		}
	}
	var ids []string
	for _, d := range dirs {
		ids = append(ids, d.name)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a1", "b2", "c3"}) {
		t.Fatalf("containerDirs: %v", ids)
	}
}
