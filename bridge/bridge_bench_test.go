package bridge_test

// Benchmarks of the bridge's pure planning (scripts/bench.sh puts their results in BENCHMARKS.md):
// -p parsing, port and base rule specs, address and port allocation. No kernel, no root:
//
//	go test -run '^$' -bench . -benchmem ./bridge

import (
	"fmt"
	"net"
	"testing"

	"github.com/minilink/minilink/bridge"
)

func BenchmarkParsePublish(b *testing.B) {
	for _, v := range []string{"8080:5000", "127.0.0.1:8080:5000/udp", "5000", "8000-8099:8000-8099"} {
		b.Run(v, func(b *testing.B) {
			for b.Loop() {
				if _, err := bridge.ParsePublish(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPortRules is the DNAT and ACCEPT rules of a container publishing two ports.
func BenchmarkPortRules(b *testing.B) {
	bs := []bridge.Binding{
		{HostIP: "0.0.0.0", HostPort: 32768, ContainerPort: 5000, Proto: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
	}
	for b.Loop() {
		if r := bridge.PortRules("minilink0", "172.17.0.3", bs); len(r) == 0 {
			b.Fatal("no rules")
		}
	}
}

func BenchmarkBaseRules(b *testing.B) {
	s := bridge.Settings{Bridge: "minilink0", Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: false}
	for b.Loop() {
		if r := bridge.BaseRules(s); len(r) != 9 {
			b.Fatalf("%d base rules, want 9", len(r))
		}
	}
}

// BenchmarkRuleString renders a base rule the way `iptables -S` prints it, as every comparison
// with a listing does.
func BenchmarkRuleString(b *testing.B) {
	r := bridge.BaseRules(bridge.Settings{Bridge: "minilink0", Subnet: "172.17.0.0/16", Gateway: "172.17.0.1"})[0]
	for b.Loop() {
		_ = r.String()
	}
}

// BenchmarkAllocateIP picks the lowest free address with n addresses in use (the running
// containers), at the scale levels scripts/bench.sh runs.
func BenchmarkAllocateIP(b *testing.B) {
	_, subnet, _ := net.ParseCIDR("172.17.0.0/16")
	gw := net.ParseIP("172.17.0.1")
	for _, n := range []int{1, 50, 300} {
		used := make([]net.IP, 0, n)
		for i := range n {
			used = append(used, net.IPv4(172, 17, byte((i+2)/256), byte((i+2)%256)))
		}
		b.Run(fmt.Sprintf("used=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := bridge.AllocateIP(subnet, gw, used); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAllocatePorts gives -P's two ports the lowest free ephemeral ports with 300 taken.
func BenchmarkAllocatePorts(b *testing.B) {
	pubs := []bridge.Publish{
		{HostIP: "0.0.0.0", ContainerPort: 5000, Proto: "tcp"},
		{HostIP: "0.0.0.0", ContainerPort: 6379, Proto: "tcp"},
	}
	taken := make([]bridge.Binding, 0, 300)
	for i := range 300 {
		taken = append(taken, bridge.Binding{HostIP: "0.0.0.0", HostPort: bridge.FirstEphemeralPort + i, ContainerPort: 5000, Proto: "tcp"})
	}
	free := func(string, int, string) error { return nil }
	for b.Loop() {
		if _, err := bridge.AllocatePorts(pubs, taken, free); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot600 is the stored snapshot of the tables at 300 linked parents (600 link
// rules): read back (UnmarshalSnapshot) and written (MarshalText) once per command that changes
// the rules.
func BenchmarkSnapshot600(b *testing.B) {
	save := "*filter\n:FORWARD ACCEPT [0:0]\n:MINILINK - [0:0]\n"
	for i := range 300 {
		ip := fmt.Sprintf("172.17.%d.%d", (i+3)/256, (i+3)%256)
		save += fmt.Sprintf("-A MINILINK -s %s/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT\n", ip)
		save += fmt.Sprintf("-A MINILINK -s 172.17.0.2/32 -d %s/32 -i minilink0 -o minilink0 -p tcp -m tcp --sport 6379 -j ACCEPT\n", ip)
	}
	save = "# minilink's snapshot of the tables, good while the kernel's mark is {\"boot\":\"b\",\"netns\":1,\"generation\":2}\n" + save + "COMMIT\n"
	rs, ok := bridge.UnmarshalSnapshot([]byte(save))
	if !ok || len(rs.Lines("filter", bridge.ChainName)) != 600 {
		b.Fatal("the sample is not a snapshot of 600 rules")
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			bridge.UnmarshalSnapshot([]byte(save))
		}
	})
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if _, err := rs.MarshalText(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
