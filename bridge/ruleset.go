package bridge

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Ruleset is a snapshot of iptables' tables as `iptables-save` prints them. One iptables-save run
// tells Ensure that the base rules stand and tells the rule sync what the MINILINK chains hold,
// where asking chain by chain (`iptables -S CHAIN`) costs a fork each. Changes go in as one batch
// (Apply: one `iptables-restore --noflush`), and the snapshot follows them, so the rest of one
// locked operation needs no new reading.
//
// A snapshot is only as good as the lock it was read under (minilink's own changes all hold the
// state root's lock), unless it carries a mark: then it holds for as long as the kernel's mark of
// the tables is the same (see Mark), which lets the runtime keep it on disk for the next command.
type Ruleset struct {
	chains map[string]bool     // "table chain" → exists
	rules  map[string][]string // "table chain" → the chain's rules, "-A CHAIN spec…", in order
	mark   Mark                // the tables' mark the snapshot shows, when marked
	marked bool
}

// Mark returns the mark of the tables the snapshot shows; ok is false when it is not known, and
// then the snapshot is good only under the lock it was read under.
func (rs *Ruleset) Mark() (m Mark, ok bool) { return rs.mark, rs.marked }

// snapshotHeader starts the text form of a marked snapshot.
const snapshotHeader = "# minilink's snapshot of the tables, good while the kernel's mark is "

// MarshalText writes a marked snapshot in iptables-save's form, behind one comment line that
// holds its mark (pure). It is for UnmarshalSnapshot and for reading, not for iptables-restore:
// chains come sorted and without their policies, and only the rules within a chain keep their order.
func (rs *Ruleset) MarshalText() ([]byte, error) {
	mark, err := json.Marshal(rs.mark)
	if err != nil {
		return nil, err
	}
	byTable := map[string][]string{}
	for key := range rs.chains {
		table, chain, _ := strings.Cut(key, " ")
		byTable[table] = append(byTable[table], chain)
	}
	tables := make([]string, 0, len(byTable))
	for t := range byTable {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	size := len(snapshotHeader) + len(mark) + 1
	for _, lines := range rs.rules {
		for _, l := range lines {
			size += len(l) + 1
		}
	}
	var b strings.Builder
	b.Grow(size + 64*len(rs.chains))
	b.WriteString(snapshotHeader + string(mark) + "\n")
	for _, t := range tables {
		chains := byTable[t]
		sort.Strings(chains)
		b.WriteString("*" + t + "\n")
		for _, c := range chains {
			b.WriteString(":" + c + "\n")
		}
		for _, c := range chains {
			for _, line := range rs.rules[t+" "+c] {
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
		b.WriteString("COMMIT\n")
	}
	return []byte(b.String()), nil
}

// UnmarshalSnapshot reads what MarshalText wrote; ok is false for anything else (pure).
func UnmarshalSnapshot(data []byte) (rs *Ruleset, ok bool) {
	first, rest, _ := strings.Cut(string(data), "\n")
	markJSON, found := strings.CutPrefix(first, snapshotHeader)
	if !found {
		return nil, false
	}
	var m Mark
	if err := json.Unmarshal([]byte(markJSON), &m); err != nil || m.Boot == "" {
		return nil, false
	}
	rs = ParseSave(rest)
	rs.mark, rs.marked = m, true
	return rs, true
}

// ParseSave reads iptables-save output. Counters, comments and policy details are dropped; a
// table iptables-save did not print has no chains.
func ParseSave(out string) *Ruleset {
	rs := &Ruleset{chains: map[string]bool{}, rules: map[string][]string{}}
	table := ""
	var lastTable, lastChain, lastKey string // a chain's rules come together: one key for them all
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":") && table != "":
			if f := strings.Fields(line[1:]); len(f) > 0 {
				rs.chains[table+" "+f[0]] = true
			}
		case strings.HasPrefix(line, "-A ") && table != "":
			// Lines are kept as substrings of out when they are already in the one-space form
			// (iptables-save's own, and the snapshot's): at hundreds of rules, fresh strings
			// were most of a reading's cost in a short-lived process.
			if strings.Contains(line, "  ") || strings.ContainsAny(line, "\t\r\v\f") {
				line = strings.Join(strings.Fields(line), " ")
			}
			chain, _, _ := strings.Cut(line[len("-A "):], " ")
			if chain == "" {
				continue
			}
			if table != lastTable || chain != lastChain {
				lastTable, lastChain, lastKey = table, chain, table+" "+chain
			}
			key := lastKey
			rs.chains[key] = true
			rs.rules[key] = append(rs.rules[key], line)
		}
	}
	return rs
}

// HasChain reports whether table has chain.
func (rs *Ruleset) HasChain(table, chain string) bool { return rs.chains[table+" "+chain] }

// Rules returns the rules of table/chain, in order; a missing chain has none.
func (rs *Ruleset) Rules(table, chain string) []Rule {
	var out []Rule
	for _, line := range rs.rules[table+" "+chain] {
		out = append(out, ParseRule(table, line))
	}
	return out
}

// Lines returns the rules of table/chain as iptables prints them ("-A CHAIN spec…"), in order,
// without parsing them into Rules: for a caller that looks at hundreds of them and keeps few.
// The slice is the snapshot's own.
func (rs *Ruleset) Lines(table, chain string) []string { return rs.rules[table+" "+chain] }

// ParseRule is the Rule of a line of table as Lines returns it.
func ParseRule(table, line string) Rule {
	f := strings.Fields(line)
	r := Rule{Table: table}
	if len(f) >= 2 {
		r.Chain, r.Spec = f[1], f[2:]
	}
	return r
}

// restoreInput is the iptables-restore --noflush input that deletes del (one copy per entry)
// and then appends add, table by table (pure). It has one COMMIT per table, and iptables-nft
// commits each as one transaction: commits is their number.
func restoreInput(del, add []Rule) (input string, commits int) {
	var tables []string
	byTable := map[string][]string{}
	note := func(table, line string) {
		if _, ok := byTable[table]; !ok {
			tables = append(tables, table)
		}
		byTable[table] = append(byTable[table], line)
	}
	for _, r := range del {
		note(r.Table, "-D"+strings.TrimPrefix(r.String(), "-A"))
	}
	for _, r := range add {
		note(r.Table, r.String())
	}
	var b strings.Builder
	for _, t := range tables {
		b.WriteString("*" + t + "\n")
		for _, line := range byTable[t] {
			b.WriteString(line + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return b.String(), len(tables)
}

// record makes the snapshot follow a batch Apply made: each deletion takes the first copy of its
// rule, each addition goes at the end of its chain.
func (rs *Ruleset) record(del, add []Rule) {
	for _, r := range del {
		key := r.Table + " " + r.Chain
		line := r.String()
		for i, l := range rs.rules[key] {
			if l == line {
				rs.rules[key] = append(rs.rules[key][:i:i], rs.rules[key][i+1:]...)
				break
			}
		}
	}
	for _, r := range add {
		key := r.Table + " " + r.Chain
		rs.chains[key] = true
		rs.rules[key] = append(rs.rules[key], r.String())
	}
}

// stillNeeded drops from a batch what the snapshot shows done already: deletions of rules it does
// not hold (beyond the copies it holds) and additions of rules it holds.
func (rs *Ruleset) stillNeeded(del, add []Rule) (d, a []Rule) {
	key := func(r Rule) string { return r.Table + " " + r.String() }
	have := map[string]int{}
	for k, lines := range rs.rules {
		table, _, _ := strings.Cut(k, " ")
		for _, l := range lines {
			have[table+" "+l]++
		}
	}
	for _, r := range del {
		if have[key(r)] > 0 {
			have[key(r)]--
			d = append(d, r)
		}
	}
	for _, r := range add {
		if have[key(r)] == 0 {
			have[key(r)]++
			a = append(a, r)
		}
	}
	return d, a
}

// baseRulesInPlace reports whether the base rules all stand where Ensure would put them: the
// FORWARD block on top, the nat jumps, the MASQUERADE rules in order, and no MASQUERADE rule of this
// bridge for another subnet; and both MINILINK chains exist (pure).
func baseRulesInPlace(s Settings, rules []Rule, rs *Ruleset) bool {
	if !rs.HasChain("filter", ChainName) || !rs.HasChain("nat", ChainName) {
		return false
	}
	forward := rs.Lines("filter", "FORWARD")
	for i, r := range rules[:4] {
		if i >= len(forward) || forward[i] != r.String() {
			return false
		}
	}
	if !slices.Contains(rs.Lines("nat", "PREROUTING"), rules[4].String()) ||
		!slices.Contains(rs.Lines("nat", "OUTPUT"), rules[5].String()) {
		return false
	}
	postrouting := rs.Lines("nat", "POSTROUTING")
	last := -1
	for _, r := range rules[6:] {
		i := slices.Index(postrouting, r.String())
		if i <= last {
			return false
		}
		last = i
	}
	for _, line := range postrouting {
		f := strings.Fields(line)
		if len(f) >= 4 && f[2] == "-s" && f[3] != s.Subnet && strings.Contains(line, " "+s.Bridge+" ") {
			return false
		}
	}
	return true
}
