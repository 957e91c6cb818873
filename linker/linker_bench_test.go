package linker_test

// Benchmarks of the pure link planning that every `run --link` and every child restart goes through
// (scripts/bench.sh puts their results in BENCHMARKS.md). They touch no kernel and need no root:
//
//	go test -run '^$' -bench . -benchmem ./linker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/minilink/minilink/linker"
)

// redisEnv is a child environment like the redis image's: PATH plus a few image variables.
var redisEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"REDIS_VERSION=7.0.15",
	"HOME=/root",
	"HOSTNAME=38f2e2bedd94",
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := linker.Parse("datastore:redis"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnv is one link's variables for a child exposing one port (redis, 6379/tcp).
func BenchmarkEnv(b *testing.B) {
	ports := []linker.Port{{Num: 6379, Proto: "tcp"}}
	for b.Loop() {
		if env := linker.Env("redis", "web", "172.17.0.2", ports, redisEnv); len(env) == 0 {
			b.Fatal("no variables")
		}
	}
}

// BenchmarkEnvPortRange is one link to a child exposing 100 ports (a range block and 100 per-port
// blocks), the worst case a real image gives.
func BenchmarkEnvPortRange(b *testing.B) {
	ports := make([]linker.Port, 0, 100)
	for n := 8000; n < 8100; n++ {
		ports = append(ports, linker.Port{Num: n, Proto: "tcp"})
	}
	for b.Loop() {
		if env := linker.Env("redis", "web", "172.17.0.2", ports, redisEnv); len(env) == 0 {
			b.Fatal("no variables")
		}
	}
}

func BenchmarkSortedPorts(b *testing.B) {
	exposed := map[string]struct{}{"6379/tcp": {}, "53/udp": {}, "80/tcp": {}, "443/tcp": {}}
	for b.Loop() {
		if _, err := linker.SortedPorts(exposed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHostsLine(b *testing.B) {
	for b.Loop() {
		_ = linker.HostsLine("172.17.0.2", "redis", "38f2e2bedd94", "datastore")
	}
}

// hostsFile is a parent's /etc/hosts with the six default lines, n link lines (aliases link0 …)
// and the container's own line last.
func hostsFile(n int) []byte {
	var sb strings.Builder
	sb.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	for i := range n {
		sb.WriteString(linker.HostsLine(fmt.Sprintf("172.17.%d.%d", 1+i/250, 2+i%250), fmt.Sprintf("link%d", i),
			fmt.Sprintf("%012x", i), fmt.Sprintf("child%d", i)))
		sb.WriteByte('\n')
	}
	sb.WriteString("172.17.0.3\t5d1b2c3a4e5f\n")
	return []byte(sb.String())
}

// BenchmarkReplaceHostsLine rewrites one link line in place in a hosts file of about 300 lines, as
// a child's restart with a new address does in each parent's file; the line replaced is in the
// middle, one not present is inserted before the own line.
func BenchmarkReplaceHostsLine(b *testing.B) {
	hosts := hostsFile(300)
	for _, tc := range []struct{ name, alias string }{{"middle", "link150"}, {"new", "redis"}} {
		line := linker.HostsLine("172.17.9.9", tc.alias, "0123456789ab", "datastore")
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(hosts)))
			for b.Loop() {
				if out := linker.ReplaceHostsLine(hosts, tc.alias, line); len(out) < len(hosts)-60 {
					b.Fatal("lines lost")
				}
			}
		})
	}
}

// BenchmarkRemoveHostsLine is `rm --link` on the same 300-line file.
func BenchmarkRemoveHostsLine(b *testing.B) {
	hosts := hostsFile(300)
	b.SetBytes(int64(len(hosts)))
	for b.Loop() {
		if out := linker.RemoveHostsLine(hosts, "link150"); len(out) >= len(hosts) {
			b.Fatal("line not removed")
		}
	}
}

// BenchmarkRules is one link's rule pair for a one-port child.
func BenchmarkRules(b *testing.B) {
	ports := []linker.Port{{Num: 6379, Proto: "tcp"}}
	for b.Loop() {
		if r := linker.Rules("minilink0", "172.17.0.3", "172.17.0.2", ports); len(r) != 2 {
			b.Fatalf("%d rules, want 2", len(r))
		}
	}
}

// BenchmarkIsLinkRule classifies the 600 link rules of 300 linked parents, as a listing of the
// filter MINILINK chain does.
func BenchmarkIsLinkRule(b *testing.B) {
	ports := []linker.Port{{Num: 6379, Proto: "tcp"}}
	var lines []string
	for i := range 300 {
		for _, r := range linker.Rules("minilink0", fmt.Sprintf("172.17.%d.%d", 1+i/250, 2+i%250), "172.17.0.2", ports) {
			lines = append(lines, r.String())
		}
	}
	for b.Loop() {
		for _, l := range lines {
			if !linker.IsLinkRule("minilink0", l) {
				b.Fatalf("not a link rule: %s", l)
			}
		}
	}
}
