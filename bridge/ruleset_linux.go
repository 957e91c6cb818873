package bridge

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"

	"github.com/minilink/minilink/explain"
)

// ReadRuleset runs iptables-save once and returns what it printed.
func ReadRuleset() (*Ruleset, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("iptables-save")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("iptables-save: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return ParseSave(string(out)), nil
}

// Reload reads the tables again, after changes made rule by rule.
func (rs *Ruleset) Reload() error {
	fresh, err := ReadRuleset()
	if err != nil {
		return err
	}
	*rs = *fresh
	return nil
}

// Apply deletes del (one copy per entry) and appends add in one `iptables-restore --noflush`: all
// or nothing, one fork whatever the number of rules. The chains must exist. Should the batch fail
// (someone else changed a rule since the snapshot), the snapshot is read again, the changes still
// needed are worked out once more and applied once more.
func (rs *Ruleset) Apply(del, add []Rule) error {
	if len(del)+len(add) == 0 {
		return nil
	}
	err := rs.restore(del, add)
	if err == nil {
		return nil
	}
	if rerr := rs.Reload(); rerr != nil {
		return err
	}
	del, add = rs.stillNeeded(del, add)
	if len(del)+len(add) == 0 {
		return nil
	}
	return rs.restore(del, add)
}

// DeleteRules deletes del in one `iptables-restore --noflush`, without a snapshot: for a caller
// that knows which rules are there. With a large ruleset every iptables run reads all of it, so
// reading it first (iptables-save) doubled the cost. If any rule is missing the batch fails and
// nothing changed; the caller then reads the tables.
func DeleteRules(del []Rule) error {
	if len(del) == 0 {
		return nil
	}
	return (&Ruleset{chains: map[string]bool{}, rules: map[string][]string{}}).restore(del, nil)
}

func (rs *Ruleset) restore(del, add []Rule) error {
	for _, r := range del {
		explain.Command(append([]string{"iptables", "-t", r.Table, "-D", r.Chain}, r.Spec...)...)
	}
	for _, r := range add {
		explain.Command(append([]string{"iptables", "-t", r.Table, "-A", r.Chain}, r.Spec...)...)
	}
	cmd := exec.Command("iptables-restore", "--noflush", "--wait")
	cmd.Stdin = strings.NewReader(restoreInput(del, add))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iptables-restore: %w: %s", err, strings.TrimSpace(string(out)))
	}
	rs.record(del, add)
	return nil
}
