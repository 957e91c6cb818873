package linker

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/minilink/minilink/bridge"
)

// Rules is §5's per-link pair for each port, in port order, in the filter chain bridge.ChainName: the
// parent may open connections to the child's port (--dport) and the child may answer from it
// (--sport), and nothing else, which is what icc=false leaves to a link. parentIP and childIP are
// plain IPv4 addresses. The specs are written exactly as `iptables -S` prints them, so the runtime can
// compare listed rules with bridge.Rule.String().
func Rules(bridgeName, parentIP, childIP string, ports []Port) []bridge.Rule {
	var rules []bridge.Rule
	for _, p := range sortedCopy(ports) {
		n := strconv.Itoa(p.Num)
		rules = append(rules,
			linkRule(bridgeName, parentIP, childIP, p.Proto, "--dport", n),
			linkRule(bridgeName, childIP, parentIP, p.Proto, "--sport", n),
		)
	}
	return rules
}

func linkRule(br, src, dst, proto, portFlag, port string) bridge.Rule {
	return bridge.Rule{
		Table: "filter",
		Chain: bridge.ChainName,
		Spec: []string{
			"-s", src + "/32", "-d", dst + "/32", "-i", br, "-o", br,
			"-p", proto, "-m", proto, portFlag, port, "-j", "ACCEPT",
		},
	}
}

// IsLinkRule reports whether line, one line of `iptables -S MINILINK`, has the exact shape of a
// per-link rule on bridgeName, whatever its addresses and port. The runtime uses it to find rules
// that no running link needs any more; it must not match the published-port ACCEPT rules that share
// the chain (they have no -s and match conntrack DNAT), which is why every field is checked.
func IsLinkRule(bridgeName, line string) bool {
	f := strings.Fields(line)
	// -A MINILINK -s S/32 -d D/32 -i BR -o BR -p P -m P --dport|--sport N -j ACCEPT
	if len(f) != 18 ||
		f[0] != "-A" || f[1] != bridge.ChainName ||
		f[2] != "-s" || !isHostIPv4(f[3]) || f[4] != "-d" || !isHostIPv4(f[5]) ||
		f[6] != "-i" || f[7] != bridgeName || f[8] != "-o" || f[9] != bridgeName ||
		f[10] != "-p" || f[12] != "-m" || f[13] != f[11] ||
		(f[14] != "--dport" && f[14] != "--sport") ||
		f[16] != "-j" || f[17] != "ACCEPT" {
		return false
	}
	_, err := ParsePort(f[15] + "/" + f[11])
	return err == nil && f[11] == strings.ToLower(f[11])
}

// isHostIPv4 reports whether s is a single IPv4 address in iptables' "a.b.c.d/32" form.
func isHostIPv4(s string) bool {
	pfx, err := netip.ParsePrefix(s)
	return err == nil && pfx.Addr().Is4() && pfx.Bits() == 32
}
