package bridge

import (
	"strconv"
	"strings"

	"github.com/minilink/minilink/explain"
)

// The iptables calls minilink makes, each explained as the command line that does the same. These
// methods shadow go-iptables' own, so no change to the rules escapes the explanation.

func (t ipt) Append(table, chain string, spec ...string) error {
	explain.Command(append([]string{"iptables", "-t", table, "-A", chain}, spec...)...)
	return t.IPTables.Append(table, chain, spec...)
}

func (t ipt) Insert(table, chain string, pos int, spec ...string) error {
	explain.Command(append([]string{"iptables", "-t", table, "-I", chain, strconv.Itoa(pos)}, spec...)...)
	return t.IPTables.Insert(table, chain, pos, spec...)
}

func (t ipt) Replace(table, chain string, pos int, spec ...string) error {
	explain.Command(append([]string{"iptables", "-t", table, "-R", chain, strconv.Itoa(pos)}, spec...)...)
	return t.IPTables.Replace(table, chain, pos, spec...)
}

func (t ipt) Delete(table, chain string, spec ...string) error {
	explain.Command(append([]string{"iptables", "-t", table, "-D", chain}, spec...)...)
	return t.IPTables.Delete(table, chain, spec...)
}

func (t ipt) DeleteById(table, chain string, id int) error {
	explain.Command("iptables", "-t", table, "-D", chain, strconv.Itoa(id))
	return t.IPTables.DeleteById(table, chain, id)
}

func (t ipt) NewChain(table, chain string) error {
	explain.Command("iptables", "-t", table, "-N", chain)
	return t.IPTables.NewChain(table, chain)
}

func (t ipt) ClearAndDeleteChain(table, chain string) error {
	explain.Command("iptables", "-t", table, "-F", chain)
	explain.Command("iptables", "-t", table, "-X", chain)
	return t.IPTables.ClearAndDeleteChain(table, chain)
}

// ipIn is the start of an `ip` command that acts inside the network namespace at nsPath: by name
// when it is one `ip netns` knows, through nsenter otherwise.
func ipIn(nsPath string) []string {
	if name, ok := strings.CutPrefix(nsPath, "/run/netns/"); ok && !strings.Contains(name, "/") {
		return []string{"ip", "-n", name}
	}
	return []string{"nsenter", "--net=" + nsPath, "ip"}
}
