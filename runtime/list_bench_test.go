package runtime

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/minilink/minilink/bridge"
)

// benchRoot makes a state root with n container records shaped like the scale benchmark's: linked
// parents "running" under this process, which holds their owner locks (so the reconcile sees a
// live owner).
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
		// As a monitor does: the listing finds its owner alive in /proc/locks.
		if lock := holdOwnerLock(r.containerDir(c.ID)); lock != nil {
			b.Cleanup(func() { lock.Close() })
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

// BenchmarkWantedRules is the rule plan of a start under icc=false with n parents linked to one
// child: the scale benchmark's `run -d --link` computes it once.
func BenchmarkWantedRules(b *testing.B) {
	for _, n := range []int{1, 300} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			all := linkedRecords(n)
			settings := bridge.Settings{Bridge: bridge.DefaultName, Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: false}
			b.ResetTimer()
			for range b.N {
				want, _, err := wantedRules(settings, all)
				if err != nil || len(want) != 2*n {
					b.Fatalf("%d rules, %v", len(want), err)
				}
			}
		})
	}
}

// linkedRecords is n running parents linked to one running child exposing 6379/tcp, in memory.
func linkedRecords(n int) []*Container {
	all := []*Container{{
		ID: fmt.Sprintf("%064x", 1), Name: "datastore",
		Config:     Config{ExposedPorts: map[string]struct{}{"6379/tcp": {}}},
		HostConfig: HostConfig{NetworkMode: "bridge"},
		State:      State{Status: StatusRunning},
		Network:    Network{IPAddress: "172.17.0.2"},
	}}
	for i := 0; i < n; i++ {
		all = append(all, &Container{
			ID: fmt.Sprintf("%064x", i+2), Name: fmt.Sprintf("parent-%d", i),
			HostConfig: HostConfig{NetworkMode: "bridge", Links: []Link{{Child: "datastore", Alias: "redis"}}},
			State:      State{Status: StatusRunning},
			Network:    Network{IPAddress: fmt.Sprintf("172.17.%d.%d", (i+3)/256, (i+3)%256)},
		})
	}
	return all
}
