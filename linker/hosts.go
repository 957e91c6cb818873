package linker

import (
	"bytes"
	"strings"
)

// defaultHostsLines is how many lines every bridge container's /etc/hosts starts with (§4: localhost
// and the five IPv6 names). Link lines follow them and are never searched for among them.
const defaultHostsLines = 6

// HostsLine is §4's link line, "<childIP>\t<alias> <childHostname>[ <childName>]". The child's name is
// left out when it equals the alias, as Docker does; the hostname is always kept, even when it
// repeats the alias, again as Docker does. A leading "/" on childName is dropped.
func HostsLine(childIP, alias, childHostname, childName string) string {
	line := childIP + "\t" + alias + " " + childHostname
	if name := trimSlash(childName); name != alias {
		line += " " + name
	}
	return line
}

// ReplaceHostsLine returns hosts with the link line for alias replaced by line, at the same position.
// A link line is one whose first name (second whitespace-separated field) is alias, found among the
// lines after the six default ones and before the container's own line. The own line is the last
// line that is not blank, so blank lines a process appended do not push links after it. When no link
// line for alias exists, line is inserted right before the own line (appended when there is none).
// Every other line stays byte for byte and a missing final newline stays missing (unless the file
// holds only blank lines), because the file is bind-mounted into a running container and rewritten
// in place. line must be a single line; a
// trailing newline on it is ignored.
func ReplaceHostsLine(hosts []byte, alias, line string) []byte {
	line = strings.TrimSuffix(line, "\n")
	lines := splitLines(hosts)
	own := ownLine(lines)
	if i := findLinkLine(lines, own, alias); i >= 0 {
		// A link line always ends in "\n": the own line follows it.
		lines[i] = []byte(line + "\n")
		return bytes.Join(lines, nil)
	}
	out := make([][]byte, 0, len(lines)+1)
	out = append(out, lines[:own]...)
	if own == len(lines) && own > 0 && !bytes.HasSuffix(lines[own-1], []byte("\n")) {
		// Only when the file is blank lines and nothing else: the entry goes last and must not
		// be glued to a final blank line without newline.
		out[own-1] = append(bytes.Clone(out[own-1]), '\n')
	}
	out = append(out, []byte(line+"\n"))
	out = append(out, lines[own:]...)
	return bytes.Join(out, nil)
}

// RemoveHostsLine returns hosts without the link line for alias (found as ReplaceHostsLine finds it);
// hosts is returned unchanged when there is none. Every other line stays byte for byte.
func RemoveHostsLine(hosts []byte, alias string) []byte {
	lines := splitLines(hosts)
	i := findLinkLine(lines, ownLine(lines), alias)
	if i < 0 {
		return hosts
	}
	return bytes.Join(append(lines[:i:i], lines[i+1:]...), nil)
}

// splitLines cuts b into lines that keep their "\n", so that joining them gives b back exactly.
func splitLines(b []byte) [][]byte {
	return bytes.SplitAfter(b, []byte("\n"))[:countLines(b)]
}

// countLines is the number of lines in b, a final line without "\n" included. SplitAfter yields an
// empty last element when b ends in "\n" (or is empty), which is not a line.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// ownLine is the index of the container's own line: the last line that is not blank, or len(lines)
// when every line is blank.
func ownLine(lines [][]byte) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if len(bytes.TrimSpace(lines[i])) > 0 {
			return i
		}
	}
	return len(lines)
}

// findLinkLine returns the index of the first link line for alias between the default lines and own,
// or -1. Comment lines are skipped: "# ip alias" is not a link.
func findLinkLine(lines [][]byte, own int, alias string) int {
	for i := defaultHostsLines; i < own; i++ {
		f := strings.Fields(string(lines[i]))
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && f[1] == alias {
			return i
		}
	}
	return -1
}

// LinkAliases returns the aliases of hosts' link lines, in file order: the first name of every
// line between the default lines and the own line, as ReplaceHostsLine finds them.
func LinkAliases(hosts []byte) []string {
	lines := splitLines(hosts)
	var out []string
	for i := defaultHostsLines; i < ownLine(lines); i++ {
		f := strings.Fields(string(lines[i]))
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") {
			out = append(out, f[1])
		}
	}
	return out
}
