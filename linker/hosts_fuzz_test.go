package linker

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FuzzReplaceHostsLine (hosts_test.go) checks that a rewrite keeps every line but one, in order,
// but it accepts that the one line replaced (or, for RemoveHostsLine, dropped) be any line at all,
// and it compares lines without their "\n". The two targets here pin down which line may change:
// only the first link line of the alias itself, never a default line, a comment, the container's
// own line or another container's link line, and every other line byte for byte.

// hostsLines cuts b into lines that keep their "\n" (the last one may lack it), independently of
// hosts.go: joining them gives b back.
func hostsLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}

// isLinkLineFor reports whether l is, by §4's definition, a link line for alias: its first name
// (second whitespace-separated field) is alias and it is not a comment.
func isLinkLineFor(l, alias string) bool {
	f := strings.Fields(l)
	return len(f) >= 2 && f[1] == alias && !strings.HasPrefix(f[0], "#")
}

// hostsLayout is where the container's own line is (the last non-blank line, len(lines) when there
// is none) and the first link line for alias between the six default lines and the own line (-1
// when there is none).
func hostsLayout(lines []string, alias string) (own, link int) {
	own = len(lines)
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			own = i
			break
		}
	}
	link = -1
	for i := 6; i < own; i++ {
		if isLinkLineFor(lines[i], alias) {
			link = i
			break
		}
	}
	return own, link
}

func FuzzHostsRewrite(f *testing.F) {
	redis := "172.17.0.2\tredis 38f2e2bedd94 datastore\n"
	cache := "172.17.0.4\tcache 4b5c6d7e8f90\n"
	f.Add([]byte(defaults+redis+cache+own), "redis", "172.17.0.9\tredis 0123456789ab datastore")
	f.Add([]byte(defaults+redis+cache+own), "cache", "172.17.0.7\tcache 4b5c6d7e8f90")
	f.Add([]byte(defaults+own), "redis", "172.17.0.9\tredis x")
	f.Add([]byte(defaults+cache+strings.TrimSuffix(own, "\n")), "redis", "172.17.0.9\tredis x")
	f.Add([]byte(defaults+"1.1.1.1 db redis\n"+"#2.2.2.2 redis\n"+redis+own+"\n\n"), "redis", "3.3.3.3\tredis y")
	f.Add([]byte(defaults+"172.17.0.3\tredis\n"), "redis", "172.17.0.9\tredis x")
	f.Add([]byte("127.0.0.1\tredis\n"+own), "redis", "172.17.0.9\tredis x")
	f.Add([]byte(defaults+redis+redis+own), "redis", "")
	f.Add([]byte(" \n\t"), "x", "1.2.3.4\tx")
	f.Add([]byte(""), "x", "1.2.3.4\tx\n")
	f.Add([]byte(defaults+"10.0.0.1   a  b \r\n"+redis+"\t\n"+own), "a", "10.0.0.2 a")
	f.Fuzz(func(t *testing.T, hosts []byte, alias, line string) {
		line = strings.TrimSuffix(line, "\n")
		if strings.Contains(line, "\n") {
			t.Skip("line must be a single line")
		}
		orig := bytes.Clone(hosts)
		in := hostsLines(hosts)
		own, link := hostsLayout(in, alias)

		got := ReplaceHostsLine(hosts, alias, line)
		if !bytes.Equal(hosts, orig) {
			t.Fatal("ReplaceHostsLine modified its input")
		}
		out := hostsLines(got)
		call := fmt.Sprintf("ReplaceHostsLine(%q, %q, %q) = %q", orig, alias, line, got)
		if link >= 0 {
			// A replace: the alias's own link line, and no other, becomes line, in place.
			want := slices.Clone(in)
			want[link] = line + "\n"
			if !slices.Equal(out, want) {
				t.Fatalf("%s; want line %d (%q) replaced and every other line kept byte for byte", call, link, in[link])
			}
		} else {
			// An insert: right before the own line (at the end when there is none), every
			// other line kept; only a final blank line without "\n" may gain one.
			before := slices.Clone(in[:own])
			if own == len(in) && own > 0 && !strings.HasSuffix(before[own-1], "\n") {
				before[own-1] += "\n"
			}
			want := slices.Concat(before, []string{line + "\n"}, in[own:])
			if !slices.Equal(out, want) {
				t.Fatalf("%s; no link line for %q, want it inserted at line %d and every other line kept", call, alias, own)
			}
		}
		if own < len(in) && bytes.HasSuffix(orig, []byte("\n")) != bytes.HasSuffix(got, []byte("\n")) {
			t.Fatalf("%s: final newline changed", call)
		}

		// The written line is found again, and only it is taken out: when line is a link line for
		// alias in the searched region, a second replace changes nothing and a remove after an
		// insert gives the original file back.
		if isLinkLineFor(line, alias) && (link >= 0 || (own >= 6 && own < len(in))) {
			if again := ReplaceHostsLine(got, alias, line); !bytes.Equal(again, got) {
				t.Fatalf("second ReplaceHostsLine(%q, %q, %q) = %q; want it unchanged", got, alias, line, again)
			}
			if link < 0 {
				if back := RemoveHostsLine(got, alias); !bytes.Equal(back, orig) {
					t.Fatalf("RemoveHostsLine(%q, %q) = %q; want the original %q", got, alias, back, orig)
				}
			}
		}

		// RemoveHostsLine drops exactly the alias's first link line, or returns hosts unchanged.
		rem := RemoveHostsLine(hosts, alias)
		if !bytes.Equal(hosts, orig) {
			t.Fatal("RemoveHostsLine modified its input")
		}
		want := orig
		if link >= 0 {
			want = []byte(strings.Join(slices.Delete(slices.Clone(in), link, link+1), ""))
		}
		if !bytes.Equal(rem, want) {
			t.Fatalf("RemoveHostsLine(%q, %q) = %q; want %q", orig, alias, rem, want)
		}
	})
}

// FuzzHostsLifecycle replays a sequence of link events on one container's /etc/hosts, as the
// runtime does: links made (ReplaceHostsLine with HostsLine), moved when a child restarts with
// another address, and removed (RemoveHostsLine), among lines a process added itself. After every
// event the file must be exactly the default lines, the process's lines, one line per live link
// (in the order the links were first made, a moved link keeping its place), the own line and the
// trailing blank lines: an event never touches another container's line and never loses one.
//
// aliases is a comma-separated list of --link values, parsed with Parse as the runtime does; junk
// is lines a process wrote between the default lines and the links; ops is two bytes per event:
// which alias and what happens to it (remove, or make/move it to a new address).
func FuzzHostsLifecycle(f *testing.F) {
	f.Add("datastore:redis,cache,web/db", "# added by a process\n10.0.0.1 other\n", []byte{0, 1, 1, 2, 0, 3, 2, 1, 0, 0, 1, 0}, uint8(2))
	f.Add("a,b,c,d", "", []byte{0, 1, 1, 1, 2, 1, 3, 1, 1, 0, 1, 5, 3, 0, 0, 9}, uint8(0))
	f.Add("x:localhost,y:5d1b2c3a4e5f,z:#c", "\t\n", []byte{0, 1, 1, 1, 2, 1, 0, 2, 1, 2}, uint8(1))
	f.Add("My-Redis.db,r:/p/q", "1.2.3.4\tnot-a-link q\n", []byte{1, 7, 0, 7, 1, 0, 0, 8}, uint8(0))
	f.Fuzz(func(t *testing.T, aliases, junk string, ops []byte, trailing uint8) {
		var names []string
		for _, v := range strings.Split(aliases, ",") {
			if s, err := Parse(v); err == nil && !slices.Contains(names, s.Alias) {
				names = append(names, s.Alias)
			}
		}
		if len(names) == 0 {
			t.Skip("no valid --link value")
		}
		junkLines := hostsLines([]byte(junk))
		if len(junkLines) > 0 && !strings.HasSuffix(junk, "\n") {
			junkLines[len(junkLines)-1] += "\n"
		}
		for _, l := range junkLines {
			for _, a := range names {
				if isLinkLineFor(l, a) {
					t.Skip("a process line that is a link line")
				}
			}
		}
		const ownLine = "172.17.0.3\t5d1b2c3a4e5f\n"
		tail := strings.Repeat("\n", int(trailing%4))
		prefix := defaults + strings.Join(junkLines, "")
		hosts := []byte(prefix + ownLine + tail)

		var live []string            // aliases with a line, in the order their lines were made
		lines := map[string]string{} // alias -> its current line
		for i := 0; i+1 < len(ops); i += 2 {
			alias := names[int(ops[i])%len(names)]
			before := bytes.Clone(hosts)
			if ops[i+1] == 0 {
				hosts = RemoveHostsLine(hosts, alias)
				live = slices.DeleteFunc(live, func(a string) bool { return a == alias })
				delete(lines, alias)
			} else {
				ip := fmt.Sprintf("172.17.%d.%d", i/250, ops[i+1])
				line := HostsLine(ip, alias, "38f2e2bedd94", "datastore")
				hosts = ReplaceHostsLine(hosts, alias, line)
				if _, ok := lines[alias]; !ok {
					live = append(live, alias)
				}
				lines[alias] = line + "\n"
			}
			want := prefix
			for _, a := range live {
				want += lines[a]
			}
			want += ownLine + tail
			if string(hosts) != want {
				t.Fatalf("event %d (%q, %d) on %q gave %q; want %q", i/2, alias, ops[i+1], before, hosts, want)
			}
		}
	})
}
