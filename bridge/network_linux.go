package bridge

import (
	"fmt"
	"strings"
)

// Ensure makes the kernel match s: the bridge device up with the gateway address, the sysctls, the
// MINILINK chains and the base rules (the FORWARD block at the top, the icc rule after the jump).
// Idempotent. With ICC false it needs br_netfilter and fails with the spec's text otherwise
// (ErrBrNetfilter), before changing anything. A changed ICC swaps the icc rule in place. The MINILINK
// chains are created when missing but never flushed. To change Bridge, Remove the old settings first;
// a changed Subnet is handled (the bridge address and the MASQUERADE rules move).
//
// current is the tables as they are, read with ReadRuleset (nil: Ensure reads them); when Ensure
// changes a rule it reads them again into current.
func Ensure(s Settings, current *Ruleset) error {
	s, err := s.normalize()
	if err != nil {
		return fmt.Errorf("ensure bridge network: %w", err)
	}
	subnet, gw, err := s.Network()
	if err != nil {
		return fmt.Errorf("ensure bridge network: %w", err)
	}
	if !s.ICC {
		if err := ensureBrNetfilter(); err != nil {
			return err
		}
	}
	if _, err := ensureBridge(s.Bridge, subnet, gw); err != nil {
		return err
	}
	if err := ensureSysctls(s.Bridge); err != nil {
		return err
	}
	if current == nil {
		if current, err = ReadRuleset(); err != nil {
			return err
		}
	}
	rules := BaseRules(s)
	// Every start calls Ensure: when the rules stand as they should (the common case), the one
	// snapshot tells so.
	if baseRulesInPlace(s, rules, current) {
		return nil
	}
	t, err := newIPT()
	if err != nil {
		return err
	}
	for _, table := range []string{"filter", "nat"} {
		if err := t.ensureChain(table, ChainName); err != nil {
			return err
		}
	}
	if err := t.ensureTopBlock(rules[:4], []Rule{iccRule(s.Bridge, !s.ICC)}); err != nil {
		return err
	}
	if err := t.removeStaleMasquerade(s); err != nil {
		return err
	}
	for _, r := range rules[4:6] {
		if err := t.appendUnique(r); err != nil {
			return err
		}
	}
	if err := t.ensureInOrder(rules[6:]); err != nil {
		return err
	}
	return current.Reload()
}

// removeStaleMasquerade deletes the subnet-bound POSTROUTING rules of this bridge that name another
// subnet: they are left over from before a `network set --subnet`.
func (t ipt) removeStaleMasquerade(s Settings) error {
	current, err := t.listRules("nat", "POSTROUTING")
	if err != nil {
		return err
	}
	for _, line := range current {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "-s" || f[3] == s.Subnet {
			continue
		}
		rest := strings.Join(f[4:], " ")
		if rest == "! -o "+s.Bridge+" -j MASQUERADE" ||
			rest == "-o "+s.Bridge+" -m conntrack --ctstate DNAT -j MASQUERADE" {
			if err := t.deleteAll(Rule{Table: "nat", Chain: "POSTROUTING", Spec: f[2:]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureInOrder appends the rules of one chain that are missing. If any is missing, all of them are
// deleted and appended again, so that they always stand in the spec's order.
func (t ipt) ensureInOrder(rules []Rule) error {
	complete := true
	for _, r := range rules {
		ok, err := t.exists(r)
		if err != nil {
			return err
		}
		complete = complete && ok
	}
	if complete {
		return nil
	}
	for _, r := range rules {
		if err := t.deleteAll(r); err != nil {
			return err
		}
	}
	for _, r := range rules {
		if err := t.Append(r.Table, r.Chain, r.Spec...); err != nil {
			return fmt.Errorf("add rule %q to %s: %w", r, r.Table, err)
		}
	}
	return nil
}

// Remove deletes the bridge, the base rules and the MINILINK chains (tests and `network rm`). Idempotent.
// The chains are flushed first, so rules other parts of minilink left in them go too. While another
// minilink bridge (another root) still jumps to MINILINK from FORWARD, the chains, their content
// and the nat jumps, which all bridges share, are kept. The sysctls are left as they are: other
// software may rely on forwarding.
func Remove(s Settings) error {
	if n, err := s.normalize(); err == nil {
		s = n
	} else {
		// Still remove what does not depend on the subnet.
		s.Bridge = bridgeName(s)
	}
	t, err := newIPT()
	if err != nil {
		return err
	}
	base := BaseRules(s)
	own := append(append(base[:4:4], iccRule(s.Bridge, !s.ICC)), base[6:]...)
	for _, r := range own {
		if err := t.deleteAll(r); err != nil {
			return err
		}
	}
	shared, err := t.chainUsedByOthers()
	if err != nil {
		return err
	}
	if !shared {
		for _, r := range base[4:6] {
			if err := t.deleteAll(r); err != nil {
				return err
			}
		}
		for _, table := range []string{"filter", "nat"} {
			if err := t.removeChain(table, ChainName); err != nil {
				return err
			}
		}
	}
	return removeBridge(s.Bridge)
}

// chainUsedByOthers reports whether a FORWARD rule still jumps to the filter MINILINK chain, which
// after our own rules are gone means that another bridge uses it.
func (t ipt) chainUsedByOthers() (bool, error) {
	rules, err := t.listRules("filter", "FORWARD")
	if err != nil {
		return false, err
	}
	for _, r := range rules {
		if strings.HasSuffix(r, " -j "+ChainName) {
			return true, nil
		}
	}
	return false, nil
}

// ListRules returns the rules of table/chain as `iptables -S CHAIN` prints them ("-A CHAIN …"),
// without the chain's own "-N"/"-P" line. A missing chain has no rules.
func ListRules(table, chain string) ([]Rule, error) {
	t, err := newIPT()
	if err != nil {
		return nil, err
	}
	lines, err := t.List(table, chain)
	if err != nil {
		// A chain that does not exist is no rules. iptables-nft says so in more than one way (on
		// a host where nothing made the table yet, "chain … is incompatible"): ask plainly.
		if exists, cerr := t.ChainExists(table, chain); isNotExist(err) || (cerr == nil && !exists) {
			return nil, nil
		}
		return nil, fmt.Errorf("list chain %s in %s: %w", chain, table, err)
	}
	var rules []Rule
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || f[1] != chain {
			continue
		}
		rules = append(rules, Rule{Table: table, Chain: chain, Spec: f[2:]})
	}
	return rules, nil
}

// BridgePorts lists the devices enslaved to the bridge s names, and whether the bridge exists at
// all, for `network show` to compare the kernel with the records.
func BridgePorts(s Settings) (exists bool, ports []string, err error) {
	br, err := linkByName(nil, s.Bridge)
	if isLinkNotFound(err) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("find bridge %s: %w", s.Bridge, err)
	}
	links, err := linkListRetry()
	if err != nil {
		return true, nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			ports = append(ports, l.Attrs().Name)
		}
	}
	return true, ports, nil
}
