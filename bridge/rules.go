package bridge

import (
	"net"
	"strings"
)

// ChainName is the chain minilink owns in both the filter and the nat table. The base rules only jump
// to it; per-link and per-port rules live in it.
const ChainName = "MINILINK"

// Rule is one iptables rule in `iptables -S` terms.
type Rule struct {
	Table string   // "filter" or "nat"
	Chain string   // "FORWARD", "MINILINK", …
	Spec  []string // the rule after "-A CHAIN"
}

// String renders r as `iptables -t TABLE -S` prints it: "-A CHAIN spec…". Arguments are joined with
// single spaces, which matches iptables for every rule minilink writes (none has a quoted argument).
func (r Rule) String() string {
	if len(r.Spec) == 0 {
		return "-A " + r.Chain
	}
	return "-A " + r.Chain + " " + strings.Join(r.Spec, " ")
}

// BaseRules returns the spec's §5 base rules for s, in order (pure): the four FORWARD rules of the
// filter table (the icc rule last), then the nat PREROUTING and OUTPUT jumps and the three
// POSTROUTING MASQUERADE rules. The chains themselves are not rules and are not listed.
func BaseRules(s Settings) []Rule {
	br := bridgeName(s)
	src := subnetText(s)
	filter := func(spec ...string) Rule { return Rule{Table: "filter", Chain: "FORWARD", Spec: spec} }
	nat := func(chain string, spec ...string) Rule { return Rule{Table: "nat", Chain: chain, Spec: spec} }
	return []Rule{
		filter("-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
		filter("-o", br, "-j", ChainName),
		filter("-i", br, "!", "-o", br, "-j", "ACCEPT"),
		iccRule(br, s.ICC),
		nat("PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainName),
		nat("OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainName),
		nat("POSTROUTING", "-s", src, "!", "-o", br, "-j", "MASQUERADE"),
		nat("POSTROUTING", "-o", br, "-m", "addrtype", "--src-type", "LOCAL", "-j", "MASQUERADE"),
		nat("POSTROUTING", "-s", src, "-o", br, "-m", "conntrack", "--ctstate", "DNAT", "-j", "MASQUERADE"),
	}
}

// iccRule is the FORWARD rule for traffic between two containers; only its verdict depends on icc.
func iccRule(br string, icc bool) Rule {
	verdict := "DROP"
	if icc {
		verdict = "ACCEPT"
	}
	return Rule{Table: "filter", Chain: "FORWARD", Spec: []string{"-i", br, "-o", br, "-j", verdict}}
}

func bridgeName(s Settings) string {
	if s.Bridge == "" {
		return DefaultName
	}
	return s.Bridge
}

// subnetText returns the subnet as iptables prints it (network form), so that the rules compare
// equal to `iptables -S` output even when Subnet was written with host bits set. An unparsable
// subnet is returned unchanged: BaseRules is pure and has no error to report, and Ensure validates
// the settings before it uses any rule.
func subnetText(s Settings) string {
	_, n, err := net.ParseCIDR(s.Subnet)
	if err != nil {
		return s.Subnet
	}
	return n.String()
}
