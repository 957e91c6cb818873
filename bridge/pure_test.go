package bridge

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestChooseSubnet(t *testing.T) {
	tests := []struct {
		name  string
		inUse []string
		want  string // "" means the no-pool error
	}{
		{"nothing in use", nil, "172.17.0.0/16"},
		{"small network inside the first pool", []string{"172.17.5.0/24"}, "172.18.0.0/16"},
		{"single address inside the first pool", []string{"172.17.0.1/32"}, "172.18.0.0/16"},
		{"unrelated networks", []string{"10.0.0.0/8", "192.168.1.0/24", "127.0.0.0/8"}, "172.17.0.0/16"},
		{"first two taken", []string{"172.17.0.0/16", "172.18.200.0/22"}, "172.19.0.0/16"},
		{"larger network covering two pools", []string{"172.16.0.0/15", "172.18.0.0/15"}, "172.20.0.0/16"},
		{"adjacent but not overlapping", []string{"172.16.0.0/16", "172.32.0.0/16"}, "172.17.0.0/16"},
		{"everything but the last", []string{"172.16.0.0/13", "172.24.0.0/14", "172.28.0.0/15", "172.30.0.0/16"}, "172.31.0.0/16"},
		{"a /12 covers all", []string{"172.16.0.0/12"}, ""},
		{"IPv6 ignored", []string{"fd00::/8"}, "172.17.0.0/16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var inUse []*net.IPNet
			for _, s := range tc.inUse {
				inUse = append(inUse, cidr(t, s))
			}
			inUse = append(inUse, nil) // tolerated
			got, err := ChooseSubnet(inUse)
			if tc.want == "" {
				const text = "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
				if err == nil || err.Error() != text || !errors.Is(err, ErrNoAvailablePool) {
					t.Fatalf("got %v, %v; want error %q", got, err, text)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestChooseSubnetSixteenByteMask(t *testing.T) {
	n := &net.IPNet{IP: net.ParseIP("172.17.3.0"), Mask: net.CIDRMask(24+96, 128)}
	got, err := ChooseSubnet([]*net.IPNet{n})
	if err != nil || got.String() != "172.18.0.0/16" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func ips(ss ...string) []net.IP {
	var out []net.IP
	for _, s := range ss {
		out = append(out, net.ParseIP(s))
	}
	return out
}

func TestAllocateIP(t *testing.T) {
	tests := []struct {
		name, subnet, gw string
		used             []net.IP
		want             string // "" means full
	}{
		{"gateway skipped", "172.17.0.0/16", "172.17.0.1", nil, "172.17.0.2"},
		{"lowest free", "172.17.0.0/16", "172.17.0.1", ips("172.17.0.2", "172.17.0.3"), "172.17.0.4"},
		{"freed address reused", "172.17.0.0/16", "172.17.0.1", ips("172.17.0.2", "172.17.0.4"), "172.17.0.3"},
		{"16-byte forms in used", "172.17.0.0/16", "172.17.0.1", []net.IP{net.ParseIP("172.17.0.2").To16()}, "172.17.0.3"},
		{"crosses an octet", "172.17.0.0/16", "172.17.0.1", rangeIPs("172.17.0.2", 254), "172.17.1.0"},
		{"/30 edge", "10.9.0.0/30", "10.9.0.1", nil, "10.9.0.2"},
		{"/30 full: broadcast excluded", "10.9.0.0/30", "10.9.0.1", ips("10.9.0.2"), ""},
		{"/24 broadcast excluded", "192.168.7.0/24", "192.168.7.1", rangeIPs("192.168.7.2", 253), ""},
		{"/24 last host", "192.168.7.0/24", "192.168.7.1", rangeIPs("192.168.7.2", 252), "192.168.7.254"},
		{"gateway not first", "10.0.0.0/29", "10.0.0.3", ips("10.0.0.1"), "10.0.0.2"},
		{"nil gateway", "10.0.0.0/29", "", nil, "10.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AllocateIP(cidr(t, tc.subnet), net.ParseIP(tc.gw), tc.used)
			if tc.want == "" {
				if err == nil || !errors.Is(err, ErrNoFreeAddress) {
					t.Fatalf("got %v, %v; want ErrNoFreeAddress", got, err)
				}
				return
			}
			if err != nil || got.String() != tc.want || len(got) != net.IPv4len {
				t.Fatalf("got %v (len %d), %v; want %s", got, len(got), err, tc.want)
			}
		})
	}
	if _, err := AllocateIP(cidr(t, "fd00::/64"), nil, nil); err == nil {
		t.Error("IPv6 subnet accepted")
	}
	if _, err := AllocateIP(cidr(t, "10.0.0.0/32"), nil, nil); !errors.Is(err, ErrNoFreeAddress) {
		t.Errorf("/32: %v", err)
	}
}

// rangeIPs returns n consecutive addresses from first.
func rangeIPs(first string, n int) []net.IP {
	var out []net.IP
	for i := range n {
		out = append(out, offset(net.ParseIP(first), uint32(i)))
	}
	return out
}

func TestMAC(t *testing.T) {
	for ip, want := range map[string]string{
		"172.17.0.2":     "02:42:ac:11:00:02",
		"10.255.1.254":   "02:42:0a:ff:01:fe",
		"::ffff:1.2.3.4": "02:42:01:02:03:04",
	} {
		if got := MAC(net.ParseIP(ip)).String(); got != want {
			t.Errorf("MAC(%s) = %s, want %s", ip, got, want)
		}
	}
	if got := MAC(net.ParseIP("fd00::1")); got != nil {
		t.Errorf("MAC(IPv6) = %v, want nil", got)
	}
}

func TestRuleString(t *testing.T) {
	r := Rule{Table: "nat", Chain: "MINILINK", Spec: []string{"-p", "tcp", "-m", "tcp", "--dport", "32768", "-j", "DNAT", "--to-destination", "172.17.0.3:6379"}}
	if got, want := r.String(), "-A MINILINK -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.17.0.3:6379"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (Rule{Table: "filter", Chain: "X"}).String(); got != "-A X" {
		t.Errorf("empty spec: %q", got)
	}
}

// specBaseRules is the base rules block of links.md §5, as written there (icc=true).
const specBaseRules = `
filter:  -N MINILINK
         -A FORWARD -o minilink0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
         -A FORWARD -o minilink0 -j MINILINK
         -A FORWARD -i minilink0 ! -o minilink0 -j ACCEPT
         -A FORWARD -i minilink0 -o minilink0 -j ACCEPT      (icc=true, the default; icc=false: -j DROP)
nat:     -N MINILINK
         -A PREROUTING -m addrtype --dst-type LOCAL -j MINILINK
         -A OUTPUT -m addrtype --dst-type LOCAL -j MINILINK
         -A POSTROUTING -s 172.17.0.0/16 ! -o minilink0 -j MASQUERADE
         -A POSTROUTING -o minilink0 -m addrtype --src-type LOCAL -j MASQUERADE
         -A POSTROUTING -s 172.17.0.0/16 -o minilink0 -m conntrack --ctstate DNAT -j MASQUERADE
`

// specRules parses specBaseRules into table-prefixed lines, leaving out the -N lines (chains are not
// rules) and rewriting the icc rule's verdict for icc=false.
func specRules(icc bool) []string {
	var out []string
	table := ""
	for _, line := range strings.Split(strings.TrimSpace(specBaseRules), "\n") {
		line = strings.TrimSpace(line)
		if t, rest, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "-") {
			table, line = t, strings.TrimSpace(rest)
		}
		if strings.HasPrefix(line, "-N ") {
			continue
		}
		if rule, note, ok := strings.Cut(line, "  "); ok {
			line = rule
			if strings.Contains(note, "icc=false: -j DROP") && !icc {
				line = strings.TrimSuffix(line, "-j ACCEPT") + "-j DROP"
			}
		}
		out = append(out, table+" "+line)
	}
	return out
}

func TestBaseRulesGolden(t *testing.T) {
	for _, icc := range []bool{true, false} {
		// Subnet with host bits and no gateway: BaseRules must still print the network form.
		for _, s := range []Settings{
			{Bridge: "minilink0", Subnet: "172.17.0.0/16", Gateway: "172.17.0.1", ICC: icc},
			{Subnet: "172.17.0.9/16", ICC: icc},
		} {
			var got []string
			for _, r := range BaseRules(s) {
				got = append(got, r.Table+" "+r.String())
			}
			want := specRules(icc)
			if len(got) != len(want) {
				t.Fatalf("icc=%v: %d rules, want %d:\n%s", icc, len(got), len(want), strings.Join(got, "\n"))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("icc=%v rule %d:\n got %s\nwant %s", icc, i+1, got[i], want[i])
				}
			}
		}
	}
}

func TestBaseRulesOtherBridge(t *testing.T) {
	rules := BaseRules(Settings{Bridge: "ml1", Subnet: "172.20.0.0/16", ICC: false})
	if got, want := rules[3].String(), "-A FORWARD -i ml1 -o ml1 -j DROP"; got != want {
		t.Errorf("icc rule %q, want %q", got, want)
	}
	if got, want := rules[8].String(), "-A POSTROUTING -s 172.20.0.0/16 -o ml1 -m conntrack --ctstate DNAT -j MASQUERADE"; got != want {
		t.Errorf("last rule %q, want %q", got, want)
	}
}

func TestSettingsNetwork(t *testing.T) {
	tests := []struct {
		s          Settings
		subnet, gw string // "" means an error
	}{
		{Settings{Subnet: "172.17.0.0/16"}, "172.17.0.0/16", "172.17.0.1"},
		{Settings{Subnet: "172.17.3.4/16"}, "172.17.0.0/16", "172.17.0.1"},
		{Settings{Subnet: "10.1.0.0/24", Gateway: "10.1.0.254"}, "10.1.0.0/24", "10.1.0.254"},
		{Settings{Subnet: "10.1.0.0/30"}, "10.1.0.0/30", "10.1.0.1"},
		{Settings{Subnet: "10.1.0.0/31"}, "", ""},
		{Settings{Subnet: "10.1.0.0/24", Gateway: "10.2.0.1"}, "", ""},
		{Settings{Subnet: "10.1.0.0/24", Gateway: "10.1.0.255"}, "", ""},
		{Settings{Subnet: "10.1.0.0/24", Gateway: "10.1.0.0"}, "", ""},
		{Settings{Subnet: "10.1.0.0/24", Gateway: "nope"}, "", ""},
		{Settings{Subnet: "fd00::/64"}, "", ""},
		{Settings{Subnet: ""}, "", ""},
	}
	for _, tc := range tests {
		subnet, gw, err := tc.s.Network()
		if tc.subnet == "" {
			if err == nil {
				t.Errorf("%+v: no error, got %v %v", tc.s, subnet, gw)
			}
			continue
		}
		if err != nil || subnet.String() != tc.subnet || gw.String() != tc.gw {
			t.Errorf("%+v: got %v %v %v; want %s %s", tc.s, subnet, gw, err, tc.subnet, tc.gw)
		}
	}
}

func TestSaveAndLoadExistingSettings(t *testing.T) {
	root := t.TempDir()
	if err := SaveSettings(root, Settings{Subnet: "172.20.0.0/16", ICC: false}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "network.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	got, err := LoadSettings(root)
	want := Settings{Bridge: "minilink0", Subnet: "172.20.0.0/16", Gateway: "172.20.0.1", ICC: false}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if err := SaveSettings(root, Settings{Subnet: "10.0.0.0/31"}); err == nil {
		t.Error("invalid settings saved")
	}
}

func TestLoadSettingsDefaults(t *testing.T) {
	root := t.TempDir()
	// A hand-written file without icc, bridge or gateway: icc must default to true, not to false.
	if err := os.WriteFile(filepath.Join(root, "network.json"), []byte(`{"subnet":"172.19.0.0/16"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings(root)
	want := Settings{Bridge: "minilink0", Subnet: "172.19.0.0/16", Gateway: "172.19.0.1", ICC: true}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	if err := os.WriteFile(filepath.Join(root, "network.json"), []byte(`{"subnet":"172.19.0.0/16","icc":false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadSettings(root); err != nil || got.ICC {
		t.Fatalf("explicit icc=false: got %+v, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(root, "network.json"), []byte(`{`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSettings(root); err == nil {
		t.Fatal("corrupt file accepted")
	}
}

func TestEnsureBrNetfilterMissing(t *testing.T) {
	oldRoot, oldLoad := sysctlRoot, loadBrNetfilter
	t.Cleanup(func() { sysctlRoot, loadBrNetfilter = oldRoot, oldLoad })
	sysctlRoot = t.TempDir()
	loaded := false
	loadBrNetfilter = func() error { loaded = true; return nil }
	err := ensureBrNetfilter()
	const text = "cannot restrict inter-container communication: please ensure that br_netfilter kernel module is loaded"
	if err == nil || !strings.Contains(err.Error(), text) || !errors.Is(err, ErrBrNetfilter) || !loaded {
		t.Fatalf("got %v (modprobe tried: %v); want %q", err, loaded, text)
	}
	loadBrNetfilter = func() error { return errors.New("modprobe: not found") }
	if err := ensureBrNetfilter(); !errors.Is(err, ErrBrNetfilter) {
		t.Fatalf("got %v", err)
	}

	// Present: it is set to 1.
	p := filepath.Join(sysctlRoot, "net/bridge/bridge-nf-call-iptables")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ensureBrNetfilter(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("bridge-nf-call-iptables = %q", b)
	}
}
