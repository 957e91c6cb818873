package runtime

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// benchRoot makes a state root with n container records shaped like the scale benchmark's: linked
// parents "running" under this process (so the reconcile sees a live owner).
func benchRoot(b *testing.B, n int) *Runtime {
	b.Helper()
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	self, err := procStartTime(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		c := &Container{
			ID:      fmt.Sprintf("%064x", i+1),
			Name:    fmt.Sprintf("parent-%d", i),
			Created: time.Now().UTC(),
			Image:   "busybox",
			Path:    "sleep",
			Args:    []string{"1000"},
			Config: Config{
				Hostname: fmt.Sprintf("%012x", i+1),
				Env:      []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
				Cmd:      []string{"sleep", "1000"},
			},
			HostConfig: HostConfig{NetworkMode: "bridge", Links: []Link{{Child: "datastore", Alias: "redis"}}},
			State:      State{Status: StatusRunning, Pid: os.Getpid(), StartedAt: time.Now().UTC(), OwnerPid: os.Getpid(), OwnerStart: self},
			Network:    Network{IPAddress: fmt.Sprintf("172.17.%d.%d", (i+3)/256, (i+3)%256), IPPrefixLen: 16, Gateway: "172.17.0.1"},
		}
		if err := os.Mkdir(r.containerDir(c.ID), 0o711); err != nil {
			b.Fatal(err)
		}
		if err := r.save(c); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// BenchmarkCurrent is what every command pays to read and reconcile the records, at 1 and 300
// containers: the scale benchmark's ps, inspect and rm -f grow with it.
func BenchmarkCurrent(b *testing.B) {
	for _, n := range []int{1, 300} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := benchRoot(b, n)
			b.ResetTimer()
			for range b.N {
				if _, err := r.currentLocked(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
