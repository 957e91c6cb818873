package linker

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// The six lines every bridge container's /etc/hosts starts with (§4), written out independently.
const defaults = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

const own = "172.17.0.3\t5d1b2c3a4e5f\n"

func TestHostsLine(t *testing.T) {
	tests := []struct {
		ip, alias, hostname, name, want string
	}{
		{"172.17.0.2", "redis", "38f2e2bedd94", "datastore", "172.17.0.2\tredis 38f2e2bedd94 datastore"},
		{"172.17.0.2", "datastore", "38f2e2bedd94", "datastore", "172.17.0.2\tdatastore 38f2e2bedd94"},
		{"172.17.0.2", fullID, "38f2e2bedd94", "datastore", "172.17.0.2\t" + fullID + " 38f2e2bedd94 datastore"},
		{"172.17.0.2", "test", "38f2e2bedd94", "/datastore", "172.17.0.2\ttest 38f2e2bedd94 datastore"},
		{"172.17.0.5", "alias1", "fred", "container1", "172.17.0.5\talias1 fred container1"},
		{"172.17.0.5", "fred", "fred", "container1", "172.17.0.5\tfred fred container1"}, // Docker keeps the hostname
	}
	for _, tc := range tests {
		if got := HostsLine(tc.ip, tc.alias, tc.hostname, tc.name); got != tc.want {
			t.Errorf("HostsLine(%q, %q, %q, %q) = %q; want %q", tc.ip, tc.alias, tc.hostname, tc.name, got, tc.want)
		}
	}
}

func TestReplaceHostsLine(t *testing.T) {
	redisOld := "172.17.0.2\tredis 38f2e2bedd94 datastore\n"
	redisNew := "172.17.0.9\tredis 0123456789ab datastore"
	cache := "172.17.0.4\tcache 4b5c6d7e8f90\n"
	tests := []struct {
		name, hosts, alias, line, want string
	}{
		{"replace keeps position", defaults + redisOld + cache + own, "redis", redisNew,
			defaults + redisNew + "\n" + cache + own},
		{"replace second of two", defaults + redisOld + cache + own, "cache", "172.17.0.7\tcache 4b5c6d7e8f90",
			defaults + redisOld + "172.17.0.7\tcache 4b5c6d7e8f90\n" + own},
		{"insert before own line", defaults + cache + own, "redis", redisNew,
			defaults + cache + redisNew + "\n" + own},
		{"insert into a file without links", defaults + own, "redis", redisNew,
			defaults + redisNew + "\n" + own},
		{"no trailing newline", defaults + redisOld + strings.TrimSuffix(own, "\n"), "redis", redisNew,
			defaults + redisNew + "\n" + strings.TrimSuffix(own, "\n")},
		{"insert, no trailing newline", defaults + strings.TrimSuffix(own, "\n"), "redis", redisNew,
			defaults + redisNew + "\n" + strings.TrimSuffix(own, "\n")},
		{"line with trailing newline", defaults + redisOld + own, "redis", redisNew + "\n",
			defaults + redisNew + "\n" + own},
		{"other lines byte for byte", defaults + "10.0.0.1   a  b \n" + redisOld + "\t\n" + own, "redis", redisNew,
			defaults + "10.0.0.1   a  b \n" + redisNew + "\n\t\n" + own},
		{"trailing blank lines are not the own line", defaults + own + "\n\n", "redis", redisNew,
			defaults + redisNew + "\n" + own + "\n\n"},
		{"alias matched on the first name only", defaults + "172.17.0.2\tdb redis datastore\n" + own, "redis", redisNew,
			defaults + "172.17.0.2\tdb redis datastore\n" + redisNew + "\n" + own},
		{"alias compared exactly", defaults + "172.17.0.2\tRedis x\n" + own, "redis", redisNew,
			defaults + "172.17.0.2\tRedis x\n" + redisNew + "\n" + own},
		{"own line never matches", defaults + "172.17.0.3\tredis\n", "redis", redisNew,
			defaults + redisNew + "\n" + "172.17.0.3\tredis\n"},
		{"default lines never match", defaults + own, "localhost", "1.2.3.4\tlocalhost x",
			defaults + "1.2.3.4\tlocalhost x\n" + own},
		{"comment is not a link", defaults + "#\tredis\n" + own, "redis", redisNew,
			defaults + "#\tredis\n" + redisNew + "\n" + own},
		{"empty file", "", "redis", redisNew, redisNew + "\n"},
		{"only blank lines", "\n", "redis", redisNew, "\n" + redisNew + "\n"},
		{"only blank lines, no trailing newline", " ", "redis", redisNew, " \n" + redisNew + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.hosts)
			got := ReplaceHostsLine(in, tc.alias, tc.line)
			if string(got) != tc.want {
				t.Fatalf("got:\n%q\nwant:\n%q", got, tc.want)
			}
			if string(in) != tc.hosts {
				t.Fatalf("input modified: %q", in)
			}
		})
	}
}

func TestRemoveHostsLine(t *testing.T) {
	redis := "172.17.0.2\tredis 38f2e2bedd94 datastore\n"
	cache := "172.17.0.4\tcache 4b5c6d7e8f90\n"
	tests := []struct {
		name, hosts, alias, want string
	}{
		{"first of two", defaults + redis + cache + own, "redis", defaults + cache + own},
		{"second of two", defaults + redis + cache + own, "cache", defaults + redis + own},
		{"absent", defaults + redis + own, "db", defaults + redis + own},
		{"own line kept", defaults + "172.17.0.3\tredis\n", "redis", defaults + "172.17.0.3\tredis\n"},
		{"no trailing newline", defaults + redis + strings.TrimSuffix(own, "\n"), "redis", defaults + strings.TrimSuffix(own, "\n")},
		{"same IP twice, one alias removed", defaults + "172.17.0.2\tdb1 38f2e2bedd94 datastore\n172.17.0.2\tdb2 38f2e2bedd94 datastore\n" + own,
			"db1", defaults + "172.17.0.2\tdb2 38f2e2bedd94 datastore\n" + own},
		{"empty", "", "redis", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RemoveHostsLine([]byte(tc.hosts), tc.alias); string(got) != tc.want {
				t.Fatalf("got:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// Two links built up, moved and removed one at a time, as the runtime does across events (§4).
func TestHostsLifecycle(t *testing.T) {
	h := []byte(defaults + own)
	h = ReplaceHostsLine(h, "redis", HostsLine("172.17.0.2", "redis", "38f2e2bedd94", "datastore"))
	h = ReplaceHostsLine(h, "cache", HostsLine("172.17.0.4", "cache", "4b5c6d7e8f90", "cache"))
	h = ReplaceHostsLine(h, "redis", HostsLine("172.17.0.5", "redis", "0123456789ab", "datastore"))
	want := defaults + "172.17.0.5\tredis 0123456789ab datastore\n172.17.0.4\tcache 4b5c6d7e8f90\n" + own
	if string(h) != want {
		t.Fatalf("got %q; want %q", h, want)
	}
	h = RemoveHostsLine(h, "redis")
	h = RemoveHostsLine(h, "cache")
	if string(h) != defaults+own {
		t.Fatalf("got %q", h)
	}
}

// fuzzLines splits b into lines independently of the code under test: strings.SplitAfter,
// dropping the empty element after a final newline.
func fuzzLines(b []byte) []string {
	s := strings.SplitAfter(string(b), "\n")
	if s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

// stripNL compares lines regardless of a final newline, which an append may move.
func stripNL(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSuffix(l, "\n")
	}
	return out
}

// removedOne reports whether short is long with exactly one line taken out.
func removedOne(long, short []string) bool {
	if len(long) != len(short)+1 {
		return false
	}
	for skip := range long {
		ok := true
		for i, j := 0, 0; i < len(long); i++ {
			if i == skip {
				continue
			}
			if long[i] != short[j] {
				ok = false
				break
			}
			j++
		}
		if ok {
			return true
		}
	}
	return false
}

func FuzzReplaceHostsLine(f *testing.F) {
	f.Add([]byte(defaults+"172.17.0.2\tredis 38f2e2bedd94 datastore\n"+own), "redis", "172.17.0.9\tredis 0123456789ab datastore")
	f.Add([]byte(defaults+own), "redis", "172.17.0.9\tredis x")
	f.Add([]byte(defaults+"1.1.1.1 a\n2.2.2.2 b"), "a", "3.3.3.3\ta")
	f.Add([]byte(""), "x", "1.2.3.4\tx")
	f.Add([]byte("a\n\n\r\n b c\n"), "c", "")
	f.Fuzz(func(t *testing.T, hosts []byte, alias, line string) {
		line = strings.TrimSuffix(line, "\n")
		if strings.Contains(line, "\n") {
			t.Skip("line must be a single line")
		}
		orig := bytes.Clone(hosts)
		in := stripNL(fuzzLines(hosts))

		got := ReplaceHostsLine(hosts, alias, line)
		if !bytes.Equal(hosts, orig) {
			t.Fatal("input modified")
		}
		out := stripNL(fuzzLines(got))
		// Every line but the one written stays, in order: taking the written line out of the
		// output gives the input itself (an insert) or the input less one line (a replace).
		kept := false
		for i, l := range out {
			if l != line {
				continue
			}
			rest := slices.Concat(out[:i], out[i+1:])
			if slices.Equal(rest, in) || removedOne(in, rest) {
				kept = true
				break
			}
		}
		if !kept {
			t.Fatalf("ReplaceHostsLine(%q, %q, %q) = %q: other lines changed", hosts, alias, line, got)
		}
		if d := len(out) - len(in); d < 0 || d > 1 {
			t.Fatalf("line count %d -> %d", len(in), len(out))
		}
		if len(bytes.TrimSpace(orig)) > 0 && bytes.HasSuffix(orig, []byte("\n")) != bytes.HasSuffix(got, []byte("\n")) {
			t.Fatalf("final newline changed: %q -> %q", orig, got)
		}

		rem := RemoveHostsLine(got, alias)
		rout := stripNL(fuzzLines(rem))
		if !slices.Equal(rout, out) && !removedOne(out, rout) {
			t.Fatalf("RemoveHostsLine(%q, %q) = %q: other lines changed", got, alias, rem)
		}
	})
}
