package linker

import (
	"testing"

	"github.com/minilink/minilink/bridge"
)

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		parent string
		child  string
		ports  []string
		want   []string // Rule.String(), as `iptables -S MINILINK` prints it
	}{
		{"no ports", "172.17.0.3", "172.17.0.2", nil, nil},
		{"tcp (§5)", "172.17.0.3", "172.17.0.2", []string{"6379/tcp"}, []string{
			"-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT",
			"-A MINILINK -s 172.17.0.2/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p tcp -m tcp --sport 6379 -j ACCEPT",
		}},
		{"udp and sctp, in port order", "172.17.0.3", "172.17.0.4", []string{"9000/sctp", "8000/udp", "8000/tcp"}, []string{
			"-A MINILINK -s 172.17.0.3/32 -d 172.17.0.4/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 8000 -j ACCEPT",
			"-A MINILINK -s 172.17.0.4/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p tcp -m tcp --sport 8000 -j ACCEPT",
			"-A MINILINK -s 172.17.0.3/32 -d 172.17.0.4/32 -i minilink0 -o minilink0 -p udp -m udp --dport 8000 -j ACCEPT",
			"-A MINILINK -s 172.17.0.4/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p udp -m udp --sport 8000 -j ACCEPT",
			"-A MINILINK -s 172.17.0.3/32 -d 172.17.0.4/32 -i minilink0 -o minilink0 -p sctp -m sctp --dport 9000 -j ACCEPT",
			"-A MINILINK -s 172.17.0.4/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p sctp -m sctp --sport 9000 -j ACCEPT",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Rules("minilink0", tc.parent, tc.child, ports(t, tc.ports...))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rules %v; want %d", len(got), got, len(tc.want))
			}
			for i, r := range got {
				if r.Table != "filter" || r.Chain != bridge.ChainName || r.String() != tc.want[i] {
					t.Errorf("rule %d: got %s %q; want filter %q", i, r.Table, r.String(), tc.want[i])
				}
				if !IsLinkRule("minilink0", r.String()) {
					t.Errorf("IsLinkRule(%q) = false", r.String())
				}
			}
		})
	}
	// A link to multi (example 2's six ports) gives 12 rules (§9 scenario 14).
	if n := len(Rules("br1", "10.0.0.2", "10.0.0.3", ports(t, "6379/tcp", "7000/tcp", "8000/udp", "8001/udp", "8002/udp", "9000/tcp"))); n != 12 {
		t.Errorf("multi: %d rules; want 12", n)
	}
}

func TestIsLinkRule(t *testing.T) {
	tests := []struct {
		bridge, line string
		want         bool
	}{
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT", true},
		{"minilink0", "-A MINILINK -s 172.17.0.2/32 -d 172.17.0.3/32 -i minilink0 -o minilink0 -p udp -m udp --sport 53 -j ACCEPT\n", true},
		{"minilink0", "-A MINILINK -s 10.1.2.3/32 -d 10.1.2.4/32 -i minilink0 -o minilink0 -p sctp -m sctp --dport 9000 -j ACCEPT", true},
		// Published-port and other rules in the same chain.
		{"minilink0", "-A MINILINK -d 172.17.0.3/32 -o minilink0 -p tcp -m tcp --dport 6379 -m conntrack --ctstate DNAT -j ACCEPT", false},
		{"minilink0", "-A MINILINK -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.17.0.3:6379", false},
		{"minilink0", "-N MINILINK", false},
		{"minilink0", "", false},
		// Another bridge, another chain, or not quite the shape.
		{"br1", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o br1 -p tcp -m tcp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A DOCKER -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.0/16 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m udp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p icmp -m icmp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 0 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379:6380 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j DROP", false},
		{"minilink0", "-A MINILINK -s fd00::3/128 -d fd00::2/128 -i minilink0 -o minilink0 -p tcp -m tcp --dport 6379 -j ACCEPT", false},
		{"minilink0", "-A MINILINK -s 172.17.0.3/32 -d 172.17.0.2/32 -i minilink0 -o minilink0 -p TCP -m TCP --dport 6379 -j ACCEPT", false},
	}
	for _, tc := range tests {
		if got := IsLinkRule(tc.bridge, tc.line); got != tc.want {
			t.Errorf("IsLinkRule(%q, %q) = %v; want %v", tc.bridge, tc.line, got, tc.want)
		}
	}
}
