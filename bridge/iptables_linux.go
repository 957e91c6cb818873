package bridge

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/coreos/go-iptables/iptables"
)

// maxDuplicates bounds the loops that delete every copy of a rule, so that an iptables that keeps
// answering "exists" cannot hang minilink.
const maxDuplicates = 64

// ipt wraps the iptables on PATH with the idempotent operations minilink needs.
type ipt struct{ *iptables.IPTables }

// newIPT returns the process's iptables handle. go-iptables runs `iptables --version` to make one;
// once is enough.
var newIPT = sync.OnceValues(func() (ipt, error) {
	t, err := iptables.New()
	if err != nil {
		return ipt{}, fmt.Errorf("iptables: %w", err)
	}
	return ipt{t}, nil
})

// isNotExist reports whether err is iptables saying that a chain, rule or target is missing.
func isNotExist(err error) bool {
	var e *iptables.Error
	return errors.As(err, &e) && e.IsNotExist()
}

// ensureChain creates table/chain unless it exists; it never flushes it, since other parts of
// minilink keep their rules there.
func (t ipt) ensureChain(table, chain string) error {
	ok, err := t.ChainExists(table, chain)
	if err != nil {
		return fmt.Errorf("check chain %s in %s: %w", chain, table, err)
	}
	if ok {
		return nil
	}
	if err := t.NewChain(table, chain); err != nil {
		// Exit status 1 is "chain already exists": someone else created it in between.
		var e *iptables.Error
		if errors.As(err, &e) && e.ExitStatus() == 1 {
			return nil
		}
		return fmt.Errorf("create chain %s in %s: %w", chain, table, err)
	}
	return nil
}

// removeChain flushes and deletes table/chain; a missing chain is fine.
func (t ipt) removeChain(table, chain string) error {
	ok, err := t.ChainExists(table, chain)
	if err != nil {
		return fmt.Errorf("check chain %s in %s: %w", chain, table, err)
	}
	if !ok {
		return nil
	}
	if err := t.ClearAndDeleteChain(table, chain); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete chain %s in %s: %w", chain, table, err)
	}
	return nil
}

// exists is `iptables -C`, where a rule jumping to a missing chain simply does not exist.
func (t ipt) exists(r Rule) (bool, error) {
	ok, err := t.Exists(r.Table, r.Chain, r.Spec...)
	if err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("check rule %q in %s: %w", r, r.Table, err)
	}
	return ok, nil
}

// appendUnique appends r unless an identical rule is already anywhere in its chain.
func (t ipt) appendUnique(r Rule) error {
	ok, err := t.exists(r)
	if err != nil || ok {
		return err
	}
	if err := t.Append(r.Table, r.Chain, r.Spec...); err != nil {
		return fmt.Errorf("add rule %q to %s: %w", r, r.Table, err)
	}
	return nil
}

// deleteAll removes every copy of r; none at all is fine.
func (t ipt) deleteAll(r Rule) error {
	for range maxDuplicates {
		ok, err := t.exists(r)
		if err != nil || !ok {
			return err
		}
		if err := t.Delete(r.Table, r.Chain, r.Spec...); err != nil {
			if isNotExist(err) {
				return nil
			}
			return fmt.Errorf("delete rule %q from %s: %w", r, r.Table, err)
		}
	}
	return fmt.Errorf("delete rule %q from %s: still present after %d deletions", r, r.Table, maxDuplicates)
}

// listRules returns the rules of table/chain as `iptables -S` prints them, without the policy or
// chain-creation lines, so that index i is rule number i+1.
func (t ipt) listRules(table, chain string) ([]string, error) {
	lines, err := t.List(table, chain)
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", chain, table, err)
	}
	rules := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, strings.TrimSpace(l))
		}
	}
	return rules, nil
}

// ensureTopBlock makes the first len(block) rules of the block's chain be exactly block, in order,
// with no other copy of them (or of the stale rules in obsolete) further down. Whatever already
// stands right is left alone; a stale rule standing exactly where block's last rule belongs is
// replaced in place, which is how an icc change swaps ACCEPT and DROP without the rule ever being
// missing. All rules of block share one table and chain.
func (t ipt) ensureTopBlock(block []Rule, obsolete []Rule) error {
	table, chain := block[0].Table, block[0].Chain
	current, err := t.listRules(table, chain)
	if err != nil {
		return err
	}
	// k = how many rules of block already stand at their place.
	k := 0
	for k < len(block) && k < len(current) && current[k] == block[k].String() {
		k++
	}
	if last := len(block) - 1; k == last && last < len(current) {
		for _, o := range obsolete {
			if current[last] == o.String() {
				if err := t.Replace(table, chain, last+1, block[last].Spec...); err != nil {
					return fmt.Errorf("replace rule %d of %s in %s with %q: %w", last+1, chain, table, block[last], err)
				}
				current[last] = block[last].String()
				k++
				break
			}
		}
	}
	// Copies of the rules already in place, further down: delete by number, from the bottom up so
	// the numbers of the ones still to delete stay valid.
	inPlace := make(map[string]bool, k)
	for _, r := range block[:k] {
		inPlace[r.String()] = true
	}
	for i := len(current) - 1; i >= k; i-- {
		if inPlace[current[i]] {
			if err := t.DeleteById(table, chain, i+1); err != nil {
				return fmt.Errorf("delete duplicate rule %d of %s in %s: %w", i+1, chain, table, err)
			}
		}
	}
	// The rest are missing or misplaced. Deleting them by spec (-D removes the first match) cannot
	// hit the rules in place: those are different rules.
	for _, r := range append(append([]Rule(nil), block[k:]...), obsolete...) {
		if err := t.deleteAll(r); err != nil {
			return err
		}
	}
	for i := k; i < len(block); i++ {
		if err := t.Insert(table, chain, i+1, block[i].Spec...); err != nil {
			return fmt.Errorf("insert rule %q at %d of %s in %s: %w", block[i], i+1, chain, table, err)
		}
	}
	return nil
}
